"""Five-whys root-cause records: a problem, an ordered chain of why/because steps, a root
cause in the process, and a countermeasure aimed at it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaizen.extensions import Model, db
from kaizen.models.account import User
from kaizen.models.types import TEXT_MAX, enum_type, text_limit, utcnow
from kaizen.models.vocab import RootCauseCategory, RootCauseStatus

if TYPE_CHECKING:
    from kaizen.models.improvement import Improvement
    from kaizen.models.observation import Observation

root_cause_observation = Table(
    "root_cause_observation",
    db.metadata,
    Column("root_cause_id", ForeignKey("root_cause.id", ondelete="CASCADE"), primary_key=True),
    Column("observation_id", ForeignKey("observation.id", ondelete="CASCADE"), primary_key=True),
)

root_cause_improvement = Table(
    "root_cause_improvement",
    db.metadata,
    Column("root_cause_id", ForeignKey("root_cause.id", ondelete="CASCADE"), primary_key=True),
    Column("improvement_id", ForeignKey("improvement.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_root_cause_improvement_improvement_id", "improvement_id"),
)


class RootCause(Model):
    """A five-whys record, linked to any number of observations and improvements."""

    __tablename__ = "root_cause"
    __table_args__ = (
        text_limit("problem", TEXT_MAX),
        text_limit("root_cause", TEXT_MAX),
        text_limit("countermeasure", TEXT_MAX),
        CheckConstraint("length(trim(problem)) > 0", name="problem_not_blank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    problem: Mapped[str] = mapped_column(Text)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[RootCauseCategory | None] = mapped_column(
        enum_type(RootCauseCategory, "category")
    )
    countermeasure: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RootCauseStatus] = mapped_column(
        enum_type(RootCauseStatus, "status"), default=RootCauseStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    created_by: Mapped[User | None] = relationship()
    steps: Mapped[list[WhyStep]] = relationship(
        back_populates="root_cause",
        order_by="WhyStep.position",
        cascade="all, delete-orphan",
    )
    observations: Mapped[list[Observation]] = relationship(
        secondary=root_cause_observation, back_populates="root_causes"
    )
    improvements: Mapped[list[Improvement]] = relationship(
        secondary=root_cause_improvement, back_populates="root_causes"
    )

    def __repr__(self) -> str:
        return f"<RootCause {self.id}>"


class WhyStep(Model):
    """One rung of the ladder: "Why?" and its "Because ..." answer, ordered by `position`."""

    __tablename__ = "why_step"
    __table_args__ = (
        text_limit("why", TEXT_MAX),
        text_limit("because", TEXT_MAX),
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint("length(trim(why)) > 0", name="why_not_blank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    root_cause_id: Mapped[int] = mapped_column(
        ForeignKey("root_cause.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    why: Mapped[str] = mapped_column(Text)
    because: Mapped[str] = mapped_column(Text, default="")

    root_cause: Mapped[RootCause] = relationship(back_populates="steps")
