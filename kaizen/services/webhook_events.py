"""Webhook events: the write paths queue a signed delivery per interested hook.

Every event is queued by the service that makes it happen, inside that service's own
transaction (`enqueue`): the report, the move or the reflection and its deliveries are
stored together or not at all. Sending is the worker's job (services/webhook_delivery.py);
registering hooks is the admin pages' (services/webhooks.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from kaizen.models import DeliveryStatus, Webhook, WebhookDelivery, utcnow
from kaizen.services import DbSession, api_data

OBSERVATION_CREATED = "observation.created"
CARD_MOVED = "card.moved"
CARD_FINISHED = "card.finished"
REFLECTION_WRITTEN = "reflection.written"
# Sent only by an admin's "Send a test", to the one hook it was asked for.
PING = "ping"

EVENTS = {
    OBSERVATION_CREATED: "An observation is reported",
    CARD_MOVED: "A card moves to another column",
    CARD_FINISHED: "A card reaches Done",
    REFLECTION_WRITTEN: "A reflection is written or rewritten",
}


def _json_value(value: Any) -> Any:
    """Moments and amounts as the JSON API writes them (ISO 8601 with zone; numbers)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def body(event: str, now: datetime, data: dict[str, Any]) -> str:
    """The JSON body of an event: the same text for every hook, signed per hook."""
    envelope = {
        "id": uuid.uuid4().hex,
        "event": event,
        "occurred_at": now.replace(tzinfo=UTC).isoformat(),
        "data": data,
    }
    return json.dumps(envelope, default=_json_value, ensure_ascii=False, separators=(",", ":"))


def delivery(hook_id: int, body: str, event: str, now: datetime) -> WebhookDelivery:
    """A new delivery of `body` to one hook, due now."""
    return WebhookDelivery(
        webhook_id=hook_id,
        event=event,
        body=body,
        status=DeliveryStatus.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )


def enqueue(
    session: DbSession,
    event: str,
    data: Callable[[], dict[str, Any]],
    now: datetime | None = None,
) -> int:
    """Queue one delivery of `event` per active hook that wants it, in the caller's
    transaction (the caller commits); `data` is built only when some hook wants it.

    Returns how many deliveries were queued.
    """
    wanted = [
        hook_id
        for hook_id, events in session.execute(
            select(Webhook.id, Webhook.events).where(Webhook.active.is_(True))
        )
        if event in events.split(",")
    ]
    if not wanted:
        return 0
    now = now or utcnow()
    text = body(event, now, data())
    session.add_all(delivery(hook_id, text, event, now) for hook_id in wanted)
    return len(wanted)


# --------------------------------------------------------------------------------------
# The events, as their services queue them. The data is what the JSON API answers for the
# same things at that moment (services/api_data.py), so a receiver needs one reader.
# --------------------------------------------------------------------------------------


def observation_created(session: DbSession, observation_id: int, now: datetime) -> None:
    """Queue `observation.created` for a report just stored (not yet committed)."""
    enqueue(
        session,
        OBSERVATION_CREATED,
        lambda: {"observation": api_data.observation(session, observation_id)},
        now,
    )


def card_moved(
    session: DbSession, card_id: int, move_id: int, finished: bool, now: datetime
) -> None:
    """Queue `card.moved` for a move to another column, and `card.finished` when it
    reached Done; both carry the card as it is after the move and the logged move."""
    built: list[dict[str, Any]] = []

    def data() -> dict[str, Any]:
        if not built:
            built.append(
                {
                    "improvement": api_data.improvement(session, card_id),
                    "move": _move_as_api_writes_it(api_data.card_move(session, move_id)),
                }
            )
        return built[0]

    enqueue(session, CARD_MOVED, data, now)
    if finished:
        enqueue(session, CARD_FINISHED, data, now)


def _move_as_api_writes_it(move: dict[str, Any] | None) -> dict[str, Any] | None:
    """A logged move with the JSON API's names for its columns (`from`, `to`)."""
    if move is None:
        return None
    renamed = {"from_column": "from", "to_column": "to"}
    return {renamed.get(key, key): value for key, value in move.items()}


def reflection_written(session: DbSession, card_id: int, now: datetime) -> None:
    """Queue `reflection.written` for a reflection just saved, with its card."""
    enqueue(
        session,
        REFLECTION_WRITTEN,
        lambda: {
            "reflection": api_data.reflection_of(session, card_id),
            "improvement": api_data.improvement(session, card_id),
        },
        now,
    )
