"""People and machines that sign in: user accounts (including kiosk tablets) and API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from kaizen.extensions import Model
from kaizen.models.place import Area, Team
from kaizen.models.types import enum_type, utcnow
from kaizen.models.vocab import Role


class User(UserMixin, Model):
    """An account. A kiosk account is bound to one area and can only report observations."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role <> 'kiosk' OR area_id IS NOT NULL", name="kiosk_has_area"),
        CheckConstraint("username <> ''", name="username_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"), default=Role.MEMBER)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Last change to the row; the board's poll token watches it (a card owner's name).
    # Rows from before migration 0002 hold NULL until they are first changed.
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)
    # Someone who works across teams: acts on every team's cards (and, as a lead, settings).
    plant_wide: Mapped[bool] = mapped_column(default=False, server_default=false())

    team: Mapped[Team | None] = relationship(back_populates="members")
    area: Mapped[Area | None] = relationship()

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password, never the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """True when the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def can(self, role: Role) -> bool:
        """True when this account has at least the rights of `role` (kiosks only report)."""
        if self.role is Role.KIOSK:
            return role is Role.KIOSK
        return self.role.rank >= role.rank

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Flask-Login refuses sign-in for deactivated accounts."""
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


def hash_token(token: str) -> str:
    """SHA-256 of an API token: tokens are long and random, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Model):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown so a person can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
