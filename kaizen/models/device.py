"""Screens that work without a person's account: kiosk tablets bound to an area, and TV
display links that show one team's board read-only."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaizen.extensions import Model
from kaizen.models.account import User
from kaizen.models.place import Area, Team
from kaizen.models.types import utcnow


def hash_secret(secret: str) -> str:
    """SHA-256 of a device secret: secrets are long and random, so a fast hash is enough."""
    return hashlib.sha256(secret.encode()).hexdigest()


class KioskDevice(Model):
    """A tablet turned into the kiosk of one area; its cookie holds a secret stored hashed."""

    __tablename__ = "kiosk_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]

    area: Mapped[Area] = relationship()
    created_by: Mapped[User | None] = relationship()


class DisplayLink(Model):
    """A secret address that shows one team's board in TV mode without an account."""

    __tablename__ = "display_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]

    team: Mapped[Team] = relationship()
    created_by: Mapped[User | None] = relationship()
