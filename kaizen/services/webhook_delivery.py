"""Sending webhook deliveries: claim what is due, POST it signed, record what happened.

Any number of workers on any hosts can run `kaizen webhooks run`: a worker claims a
delivery by moving its next attempt past a lease (a compare-and-set UPDATE, with FOR UPDATE
SKIP LOCKED on PostgreSQL so workers pass each other's rows by), sends it outside any
transaction, then records the answer. A worker that dies mid-send leaves the row to be
taken again when the lease ends: delivery is at least once, and each delivery carries its
id (`X-Kaizen-Delivery`) so a receiver can drop a copy it has already seen.
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update

from kaizen.models import DeliveryStatus, Webhook, WebhookDelivery, utcnow
from kaizen.services import DbSession

SIGNATURE_HEADER = "X-Kaizen-Signature"
# Waits after the 1st, 2nd, ... failed attempt; the attempt after the last wait is the last
# one (8 attempts over about 22 hours), then the delivery is marked failed.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
)
ATTEMPTS = len(BACKOFF) + 1
TIMEOUT_SECONDS = 10
# How long a claimed delivery stays the claiming worker's: well past the send's timeout.
LEASE = timedelta(minutes=2)
# Delivered rows are kept this long for the log, then removed by the worker.
KEEP_DELIVERED = timedelta(days=30)
ERROR_MAX = 300


def signature(secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the HMAC-SHA256 of the body, in hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is this body's signature under `secret` (what a receiver checks)."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds for one attempt: everything the send needs."""

    id: int
    event: str
    url: str
    secret: str
    body: str
    attempt: int


@dataclass(frozen=True)
class Answer:
    """What one attempt got: a 2xx is delivered; anything else, or no answer, is not."""

    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        """True when the receiver took the delivery."""
        return self.status_code is not None and 200 <= self.status_code < 300


def claim(session: DbSession, now: datetime, limit: int) -> list[Claimed]:
    """Take up to `limit` due deliveries for one attempt each (committed)."""
    due = session.execute(
        select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    taken = []
    for delivery_id, seen in due:
        # Only the worker that still sees the time it read moves it on: a second worker
        # (on SQLite, which has no row locks) finds the row changed and leaves it.
        written = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at == seen,
            )
            .values(next_attempt_at=now + LEASE, attempts=WebhookDelivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], written).rowcount == 1:
            taken.append(delivery_id)
    rows = session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.event,
            Webhook.url,
            Webhook.secret,
            WebhookDelivery.body,
            WebhookDelivery.attempts,
        )
        .join(Webhook)
        .where(WebhookDelivery.id.in_(taken))
        .order_by(WebhookDelivery.id)
    ).all()
    session.commit()
    return [Claimed(*row) for row in rows]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new address to send the signed body to."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# Direct connections only (no proxy from the environment), and no redirects.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def send(delivery: Claimed, user_agent: str) -> Answer:
    """POST the delivery's body, signed, and say what came back (never raises)."""
    body = delivery.body.encode()
    request = urllib.request.Request(
        delivery.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": user_agent,
            "X-Kaizen-Event": delivery.event,
            "X-Kaizen-Delivery": str(delivery.id),
            SIGNATURE_HEADER: signature(delivery.secret, body),
        },
    )
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            return Answer(response.status, None)
    except urllib.error.HTTPError as error:
        return Answer(error.code, f"HTTP {error.code} {error.reason}"[:ERROR_MAX])
    except Exception as error:
        reason = getattr(error, "reason", None) or error
        return Answer(None, f"{type(error).__name__}: {reason}"[:ERROR_MAX])


def record_answer(session: DbSession, delivery: Claimed, answer: Answer, now: datetime) -> None:
    """Store one attempt's result: delivered, another attempt later, or failed (committed)."""
    values: dict[str, Any] = {
        "last_attempt_at": now,
        "last_status_code": answer.status_code,
        "last_error": answer.error,
    }
    if answer.delivered:
        values.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif delivery.attempt >= ATTEMPTS:
        values.update(status=DeliveryStatus.FAILED)
    else:
        values.update(next_attempt_at=now + BACKOFF[delivery.attempt - 1])
    # Only while the delivery is still this attempt's: an admin may have sent it again.
    session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery.id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.attempts == delivery.attempt,
        )
        .values(values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


@dataclass
class Round:
    """What one round of the worker did."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0


def deliver_due(
    session: DbSession,
    user_agent: str,
    *,
    limit: int = 20,
    senders: int = 4,
    now: Callable[[], datetime] = utcnow,
    sender: Callable[[Claimed, str], Answer] = send,
) -> Round:
    """Claim what is due and send it, a few at a time in parallel; record every answer."""
    claimed = claim(session, now(), limit)
    done = Round()
    if not claimed:
        return done
    with ThreadPoolExecutor(max_workers=min(senders, len(claimed))) as pool:
        answers: Iterable[Answer] = pool.map(lambda d: sender(d, user_agent), claimed)
        for delivery, answer in zip(claimed, answers, strict=True):
            record_answer(session, delivery, answer, now())
            done.sent += 1
            done.delivered += answer.delivered
            done.failed += not answer.delivered and delivery.attempt >= ATTEMPTS
    return done


def prune(session: DbSession, now: datetime | None = None) -> int:
    """Remove deliveries delivered longer ago than KEEP_DELIVERED; returns how many."""
    before = (now or utcnow()) - KEEP_DELIVERED
    removed = session.execute(
        delete(WebhookDelivery)
        .where(
            WebhookDelivery.status == DeliveryStatus.DELIVERED,
            WebhookDelivery.delivered_at < before,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return cast(CursorResult[Any], removed).rowcount
