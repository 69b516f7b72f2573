"""Reflections: the three questions every finished improvement asks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaizen.extensions import Model
from kaizen.models.account import User
from kaizen.models.improvement import Improvement
from kaizen.models.types import TEXT_MAX, text_limit, utcnow


class Reflection(Model):
    """What we learnt, what we would take forward, what we would do differently.

    One per improvement; `author_id` is NULL for an anonymous reflection.
    """

    __tablename__ = "reflection"
    __table_args__ = (
        text_limit("learnt", TEXT_MAX),
        text_limit("take_forward", TEXT_MAX),
        text_limit("do_differently", TEXT_MAX),
        CheckConstraint(
            "length(trim(learnt)) + length(trim(take_forward)) + length(trim(do_differently)) > 0",
            name="has_an_answer",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(
        ForeignKey("improvement.id", ondelete="CASCADE"), unique=True
    )
    learnt: Mapped[str] = mapped_column(Text, default="")
    take_forward: Mapped[str] = mapped_column(Text, default="")
    do_differently: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    improvement: Mapped[Improvement] = relationship(back_populates="reflection")
    author: Mapped[User | None] = relationship()
