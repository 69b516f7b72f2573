"""Webhooks: addresses of other systems told about events, and the outbox of deliveries.

A delivery row is written in the same transaction as the event it tells of (a report, a
move, a reflection), so an event is never told without having happened, nor lost when it
did. `kaizen webhooks run` sends what is due, from any host: the state lives here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaizen.extensions import Model
from kaizen.models.account import User
from kaizen.models.types import enum_type, utcnow

URL_MAX = 2000


class DeliveryStatus(StrEnum):
    """Where a delivery stands: waiting for (another) attempt, delivered, or given up on."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """How the status reads on the admin page."""
        return {"pending": "Waiting", "delivered": "Delivered", "failed": "Failed"}[self.value]


class Webhook(Model):
    """An address that receives the events it subscribed to, signed with its own secret."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(URL_MAX))
    # Event codes separated by commas ("card.moved,card.finished").
    events: Mapped[str] = mapped_column(String(200))
    # Kept as it is, not hashed: every delivery is signed with it (HMAC-SHA256).
    secret: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    created_by: Mapped[User | None] = relationship()

    @property
    def event_codes(self) -> list[str]:
        """The subscribed event codes, in the order stored."""
        return [code for code in self.events.split(",") if code]


class WebhookDelivery(Model):
    """One event for one webhook: its exact body (signed as sent) and every attempt's result."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # The worker's question: what is due now? And the admin page's: a hook's latest.
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_hook", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    # The JSON body, stored as text so that every attempt sends (and signs) the same bytes.
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    # Attempts made since the delivery was created or sent again by an admin.
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a worker may take it next; while a worker sends it, the end of that worker's lease.
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    # The receiver's HTTP status of the last attempt (None: no answer at all).
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None]

    webhook: Mapped[Webhook] = relationship()
