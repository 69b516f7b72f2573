"""Idempotency keys: the first answer to a client-made key, so a retried write stores nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kaizen.extensions import Model
from kaizen.models.types import utcnow


class IdempotencyKey(Model):
    """A key a client made for one write (an entry form, the offline queue, an API call).

    The row is written in the same transaction as what it stands for, and the primary key
    makes a second row for the same `(scope, key)` impossible: a retry finds this row and
    gets `result` back instead of writing again. `fingerprint` (a hash of the request) tells
    a true retry from a different request that reused the key.
    """

    __tablename__ = "idempotency_key"
    __table_args__ = (
        CheckConstraint("length(key) >= 8", name="key_long_enough"),
        # Old keys can be pruned by age.
        Index("ix_idempotency_key_created_at", "created_at"),
    )

    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<IdempotencyKey {self.scope} {self.key}>"
