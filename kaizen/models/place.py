"""Where work happens: teams and the areas (workstations, lines, cells) they look after."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaizen.extensions import Model
from kaizen.models.types import enum_type, utcnow
from kaizen.models.vocab import BoardColumn, WipMode

if TYPE_CHECKING:
    from kaizen.models.account import User

SLUG_CHECK = "slug <> '' AND slug = lower(slug)"


class Team(Model):
    """A team that owns a board swimlane and its improvements."""

    __tablename__ = "team"
    __table_args__ = (CheckConstraint(SLUG_CHECK, name="slug_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Cycle time starts when a card first reaches this column (default: first leaves Ideas).
    cycle_start_column: Mapped[BoardColumn] = mapped_column(
        enum_type(BoardColumn, "cycle_start_column"), default=BoardColumn.PLAN
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Last change to the row; the board's poll token watches it (names, start column).
    # Rows from before migration 0002 hold NULL until they are first changed.
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped in the same transaction as every change this team's board shows
    # (kaizen.models.derived), so an open board's poll reads one row by key.
    board_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The board_version of the last change that redraws the whole lane (its name, its start
    # column, an area or owner renamed, a card into or out of Done): a screen that saw an
    # older version gets the whole lane, a newer one only the cards changed since.
    board_reset_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # An archived team leaves menus and entry forms; its cards and history stay.
    archived_at: Mapped[datetime | None]

    areas: Mapped[list[Area]] = relationship(back_populates="team", order_by="Area.name")
    column_limits: Mapped[list[ColumnLimit]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )
    members: Mapped[list[User]] = relationship(back_populates="team")

    def __repr__(self) -> str:
        return f"<Team {self.slug}>"


class Area(Model):
    """A workstation, line or cell; printed QR codes point at its slug."""

    __tablename__ = "area"
    __table_args__ = (CheckConstraint(SLUG_CHECK, name="slug_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(30), default="workstation")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Last change to the row; the board's poll token watches it (names, start column).
    # Rows from before migration 0002 hold NULL until they are first changed.
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)
    # An archived area leaves menus and the entry form; its reports and history stay.
    archived_at: Mapped[datetime | None]

    team: Mapped[Team | None] = relationship(back_populates="areas")

    def __repr__(self) -> str:
        return f"<Area {self.slug}>"


class ColumnLimit(Model):
    """The WIP limit of one board column for one team, soft (warn) or hard (refuse)."""

    __tablename__ = "column_limit"
    __table_args__ = (
        UniqueConstraint("team_id", "board_column", name="uq_column_limit_team_column"),
        CheckConstraint("wip_limit > 0", name="wip_limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    board_column: Mapped[BoardColumn] = mapped_column(enum_type(BoardColumn, "board_column"))
    wip_limit: Mapped[int] = mapped_column(Integer)
    mode: Mapped[WipMode] = mapped_column(enum_type(WipMode, "mode"), default=WipMode.SOFT)

    team: Mapped[Team] = relationship(back_populates="column_limits")
