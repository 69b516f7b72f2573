"""Improvement cards on the board, their append-only move log and their blocked periods."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    DDL,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaizen.extensions import Model, db
from kaizen.models.account import User
from kaizen.models.place import Area, Team
from kaizen.models.types import LINE_MAX, TEXT_MAX, enum_type, text_limit, utcnow
from kaizen.models.vocab import BoardColumn, Outcome, Waste

if TYPE_CHECKING:
    from kaizen.models.observation import Observation
    from kaizen.models.reflection import Reflection
    from kaizen.models.root_cause import RootCause

observation_improvement = Table(
    "observation_improvement",
    db.metadata,
    Column("observation_id", ForeignKey("observation.id", ondelete="CASCADE"), primary_key=True),
    Column("improvement_id", ForeignKey("improvement.id", ondelete="CASCADE"), primary_key=True),
    # The board counts a card's links: look them up by card, not only by observation.
    Index("ix_observation_improvement_improvement_id", "improvement_id"),
)


class Improvement(Model):
    """A card: an improvement idea moving through the PDCA columns.

    `version` is bumped on every change; SQLAlchemy checks it on UPDATE so a stale
    edit fails instead of silently overwriting someone else's move.
    """

    __tablename__ = "improvement"
    __table_args__ = (
        text_limit("title", LINE_MAX),
        text_limit("problem", TEXT_MAX),
        text_limit("countermeasure", TEXT_MAX),
        text_limit("blocked_reason", TEXT_MAX),
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint("version > 0", name="version_positive"),
        CheckConstraint("outcome IS NULL OR board_column = 'done'", name="outcome_only_when_done"),
        CheckConstraint("NOT blocked OR blocked_reason IS NOT NULL", name="blocked_has_reason"),
        CheckConstraint(
            "expected_minutes_per_week IS NULL OR expected_minutes_per_week >= 0",
            name="expected_minutes_not_negative",
        ),
        CheckConstraint(
            "actual_minutes_per_week IS NULL OR actual_minutes_per_week >= 0",
            name="actual_minutes_not_negative",
        ),
        Index("ix_improvement_team_column_position", "team_id", "board_column", "position"),
        # The monthly report's cards: those first finished in its trailing window.
        Index("ix_improvement_finished_at", "finished_at"),
        Index("ix_improvement_team_board_version", "team_id", "board_version"),
        Index("ix_improvement_team_finished_at", "team_id", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text, default="")
    countermeasure: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="SET NULL"))
    waste: Mapped[Waste | None] = mapped_column(enum_type(Waste, "waste"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    board_column: Mapped[BoardColumn] = mapped_column(
        enum_type(BoardColumn, "board_column"), default=BoardColumn.IDEAS
    )
    position: Mapped[int] = mapped_column(default=0)
    expected_minutes_per_week: Mapped[int | None]
    expected_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    actual_minutes_per_week: Mapped[int | None]
    actual_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    blocked: Mapped[bool] = mapped_column(default=False)
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[Outcome | None] = mapped_column(enum_type(Outcome, "outcome"))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # Derived from the move log (docs/metrics.md) and kept in step with it in the same flush
    # (kaizen.models.derived), so the board needs no history to show ages and percentiles:
    # first arrival in the team's cycle start column or later, and first arrival in Done.
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Its team's board_version when the card last changed as the board shows it (a poll
    # sends a screen the cards changed since the version it has; kaizen.models.derived).
    board_version: Mapped[int] = mapped_column(default=0, server_default="0")

    __mapper_args__ = {"version_id_col": version}

    team: Mapped[Team] = relationship()
    area: Mapped[Area | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    moves: Mapped[list[CardMove]] = relationship(
        back_populates="improvement", order_by="CardMove.moved_at, CardMove.id"
    )
    block_periods: Mapped[list[BlockPeriod]] = relationship(
        back_populates="improvement", order_by="BlockPeriod.started_at"
    )
    observations: Mapped[list[Observation]] = relationship(
        secondary=observation_improvement, back_populates="improvements"
    )
    root_causes: Mapped[list[RootCause]] = relationship(
        secondary="root_cause_improvement", back_populates="improvements"
    )
    reflection: Mapped[Reflection | None] = relationship(back_populates="improvement")

    def __repr__(self) -> str:
        return f"<Improvement {self.id} {self.board_column}>"


class CardMove(Model):
    """One move of a card between columns: the single source of truth for flow metrics.

    Append-only where it is stored: database triggers refuse any UPDATE or DELETE of a
    row (on SQLite and PostgreSQL), the foreign keys refuse to delete a card or an account
    that has logged moves rather than cascade into the log, and the ORM refuses too, with
    a clearer error, before the database is asked. The creation of a card is logged as a
    move with no `from_column`.
    """

    __tablename__ = "card_move"
    __table_args__ = (
        text_limit("reason", TEXT_MAX),
        CheckConstraint(
            "from_column IS NULL OR from_column <> to_column", name="moves_between_columns"
        ),
        Index("ix_card_move_improvement_moved_at", "improvement_id", "moved_at"),
        # The board's Done window: recent arrivals in Done, without reading older history.
        Index("ix_card_move_to_column_moved_at", "to_column", "moved_at"),
        # The monthly report's cumulative flow counts moves by time and columns from the
        # index alone.
        Index("ix_card_move_moved_at_columns", "moved_at", "from_column", "to_column"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT, never CASCADE or SET NULL: deleting a card or an account must not reach
    # into the log (every card has its creation move, so cards are never deleted).
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvement.id", ondelete="RESTRICT"))
    from_column: Mapped[BoardColumn | None] = mapped_column(enum_type(BoardColumn, "from_column"))
    to_column: Mapped[BoardColumn] = mapped_column(enum_type(BoardColumn, "to_column"))
    moved_at: Mapped[datetime] = mapped_column(default=utcnow)
    moved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    # Why a soft WIP limit was passed, when it was.
    reason: Mapped[str | None] = mapped_column(Text)

    improvement: Mapped[Improvement] = relationship(back_populates="moves")
    moved_by: Mapped[User | None] = relationship()


class BlockPeriod(Model):
    """A span during which a card was blocked; open while `ended_at` is NULL."""

    __tablename__ = "block_period"
    __table_args__ = (
        text_limit("reason", TEXT_MAX),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(
        ForeignKey("improvement.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text)
    blocked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    improvement: Mapped[Improvement] = relationship(back_populates="block_periods")
    blocked_by: Mapped[User | None] = relationship()


# The same statements are in migration 0002; tests build the schema with create_all, so the
# table carries them too. SQLite's RAISE(ABORT) and PostgreSQL's restrict_violation both
# reach Python as an IntegrityError.
APPEND_ONLY_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE TRIGGER card_move_no_update BEFORE UPDATE ON card_move BEGIN "
        "SELECT RAISE(ABORT, 'card_move is append-only: a logged move is never changed'); END",
        "CREATE TRIGGER card_move_no_delete BEFORE DELETE ON card_move BEGIN "
        "SELECT RAISE(ABORT, 'card_move is append-only: a logged move is never deleted'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION card_move_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
        "'card_move is append-only: a logged move is never changed or deleted' "
        "USING ERRCODE = 'restrict_violation'; END $$",
        "CREATE TRIGGER card_move_append_only BEFORE UPDATE OR DELETE ON card_move "
        "FOR EACH ROW EXECUTE FUNCTION card_move_append_only()",
    ),
}
for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(
            CardMove.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect)
        )
# Dropping the table drops its triggers; the PostgreSQL function stands alone.
event.listen(
    CardMove.__table__,
    "after_drop",
    DDL("DROP FUNCTION IF EXISTS card_move_append_only()").execute_if(dialect="postgresql"),
)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove a logged card move."""


@event.listens_for(CardMove, "before_update")
@event.listens_for(CardMove, "before_delete")
def _refuse_rewriting_history(_mapper: object, _connection: object, target: CardMove) -> None:
    """Keep the move log append-only: metrics depend on it never changing."""
    raise AppendOnlyError(f"card move {target.id} is part of the append-only log")
