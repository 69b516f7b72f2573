"""The audit trail: who created, changed or removed what, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaizen.extensions import Model
from kaizen.models.account import User
from kaizen.models.types import utcnow


class AuditEvent(Model):
    """One recorded change, written in the same transaction as the change itself."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # 'created', 'edited', 'deleted', 'password-reset' ...
    action: Mapped[str] = mapped_column(String(40))
    # 'card', 'five-whys', 'reflection', 'account', 'team', 'api-token'
    subject_type: Mapped[str] = mapped_column(String(40), index=True)
    subject_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(String(300))

    actor: Mapped[User | None] = relationship()
