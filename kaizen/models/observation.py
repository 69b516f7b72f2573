"""Waste observations reported from the shop floor."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from kaizen.extensions import Model
from kaizen.models.account import User
from kaizen.models.place import Area
from kaizen.models.types import TEXT_MAX, enum_type, text_limit, utcnow
from kaizen.models.vocab import Frequency, Waste

if TYPE_CHECKING:
    from kaizen.models.improvement import Improvement
    from kaizen.models.root_cause import RootCause


class Observation(Model):
    """One waste someone saw. `reporter_id` is NULL for an anonymous report: no name is kept."""

    __tablename__ = "observation"
    __table_args__ = (
        text_limit("description", TEXT_MAX),
        CheckConstraint("length(trim(description)) > 0", name="description_not_blank"),
        CheckConstraint("minutes_lost IS NULL OR minutes_lost >= 0", name="minutes_not_negative"),
        CheckConstraint("(photo IS NULL) = (photo_type IS NULL)", name="photo_has_type"),
        Index("ix_observation_observed_at", "observed_at"),
        # The reports' before/after: the reports of one waste in one area around a date.
        Index("ix_observation_area_waste_observed_at", "area_id", "waste", "observed_at"),
        # The reports' counts per month, waste and area, read from the index alone.
        Index(
            "ix_observation_observed_at_waste",
            "observed_at",
            "waste",
            "area_id",
            "minutes_lost",
        ),
        # A board's "reported this month" counts its team's areas over a month.
        Index("ix_observation_area_observed_at", "area_id", "observed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"), index=True)
    waste: Mapped[Waste] = mapped_column(enum_type(Waste, "waste"), index=True)
    description: Mapped[str] = mapped_column(Text)
    minutes_lost: Mapped[int | None]
    frequency: Mapped[Frequency | None] = mapped_column(enum_type(Frequency, "frequency"))
    # Photos live in the database so every app server sees them; deferred so that lists
    # never load the bytes they do not show.
    photo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    photo_thumb: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    photo_type: Mapped[str | None] = mapped_column(String(20))
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    area: Mapped[Area] = relationship()
    reporter: Mapped[User | None] = relationship()
    improvements: Mapped[list[Improvement]] = relationship(
        secondary="observation_improvement", back_populates="observations"
    )
    root_causes: Mapped[list[RootCause]] = relationship(
        secondary="root_cause_observation", back_populates="observations"
    )

    @property
    def is_anonymous(self) -> bool:
        """True when the report was made without a name."""
        return self.reporter_id is None

    @property
    def has_photo(self) -> bool:
        """True when a photo was attached (without loading it)."""
        return self.photo_type is not None

    def __repr__(self) -> str:
        return f"<Observation {self.id} {self.waste}>"
