"""Webhooks as admins run them: register an address for events, pause, test, delete, and
send a delivery again. Events are queued by services/webhook_events.py."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import func, select

from kaizen.formatting import number
from kaizen.models import DeliveryStatus, User, Webhook, WebhookDelivery, utcnow
from kaizen.models.webhook import URL_MAX
from kaizen.services import DbSession
from kaizen.services.audit import record
from kaizen.services.webhook_events import (
    CARD_FINISHED,
    CARD_MOVED,
    EVENTS,
    OBSERVATION_CREATED,
    PING,
    REFLECTION_WRITTEN,
    body,
    delivery,
)

NAME_MAX = 120
SECRET_PREFIX = "whsec_"
# How many of a hook's deliveries its page lists (newest first).
LOG_LENGTH = 50
# How each event and delivery status reads on the admin pages (the codes stay as they are).
EVENT_LABELS = {
    OBSERVATION_CREATED: _l("An observation is reported"),
    CARD_MOVED: _l("A card moves to another column"),
    CARD_FINISHED: _l("A card reaches Done"),
    REFLECTION_WRITTEN: _l("A reflection is written or rewritten"),
}
STATUS_LABELS = {
    DeliveryStatus.PENDING: lazy_pgettext("webhook delivery", "Waiting"),
    DeliveryStatus.DELIVERED: lazy_pgettext("webhook delivery", "Delivered"),
    DeliveryStatus.FAILED: lazy_pgettext("webhook delivery", "Failed"),
}


class WebhookError(ValueError):
    """A webhook that cannot be registered as asked; `field` names the form field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def check_url(raw: str) -> str:
    """The address as it will be called; WebhookError when it is not an http(s) address."""
    url = raw.strip()
    if not url:
        raise WebhookError(_("Give the address that receives the events."), "url")
    if len(url) > URL_MAX:
        raise WebhookError(
            _("Addresses can be at most %(most)s characters.", most=number(URL_MAX, 0)), "url"
        )
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise WebhookError(_("An address has no spaces or control characters."), "url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks the port is a number in range
    except ValueError:
        raise WebhookError(_("That is not a web address."), "url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(_("Use an address that starts with https:// or http://."), "url")
    return url


def register(
    session: DbSession, actor: User, *, name: str, url: str, events: list[str]
) -> tuple[Webhook, str]:
    """A new webhook; its signing secret is returned so the page can show it once."""
    name = name.strip()
    if not name:
        raise WebhookError(_("Give the webhook a name that says what receives it."), "name")
    if len(name) > NAME_MAX:
        raise WebhookError(_("Names can be at most %(max)d characters.", max=NAME_MAX), "name")
    url = check_url(url)
    chosen = [code for code in EVENTS if code in events]
    if not chosen or len(chosen) != len(set(events)):
        raise WebhookError(_("Choose at least one of the events listed."), "events")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    hook = Webhook(
        name=name,
        url=url,
        events=",".join(chosen),
        secret=secret,
        created_at=utcnow(),
        created_by_id=actor.id,
    )
    session.add(hook)
    session.flush()
    _audit(session, actor, hook, "created", f"Registered webhook “{name}” for {url}")
    session.commit()
    return hook, secret


def _audit(session: DbSession, actor: User, hook: Webhook, action: str, summary: str) -> None:
    record(
        session,
        actor=actor,
        action=action,
        subject_type="webhook",
        subject_id=hook.id,
        summary=summary,
    )


@dataclass(frozen=True)
class HookRow:
    """A webhook as the list shows it, with its deliveries counted by status."""

    hook: Webhook
    waiting: int
    delivered: int
    failed: int


def list_hooks(session: DbSession) -> list[HookRow]:
    """Every webhook, active ones first, with its delivery counts (two queries)."""
    hooks = session.scalars(
        select(Webhook).order_by(Webhook.active.desc(), Webhook.created_at.desc(), Webhook.id)
    ).all()
    counts: dict[tuple[int, DeliveryStatus], int] = {
        (hook_id, status): count
        for hook_id, status, count in session.execute(
            select(WebhookDelivery.webhook_id, WebhookDelivery.status, func.count()).group_by(
                WebhookDelivery.webhook_id, WebhookDelivery.status
            )
        )
    }
    return [
        HookRow(
            hook,
            counts.get((hook.id, DeliveryStatus.PENDING), 0),
            counts.get((hook.id, DeliveryStatus.DELIVERED), 0),
            counts.get((hook.id, DeliveryStatus.FAILED), 0),
        )
        for hook in hooks
    ]


def hook_by_id(session: DbSession, hook_id: int) -> Webhook | None:
    """The webhook with this id, or None."""
    return session.get(Webhook, hook_id)


def delivery_by_id(session: DbSession, delivery_id: int) -> WebhookDelivery | None:
    """The delivery with this id, or None."""
    return session.get(WebhookDelivery, delivery_id)


def latest_deliveries(session: DbSession, hook: Webhook) -> list[WebhookDelivery]:
    """The hook's newest deliveries (through the index on hook and id), newest first."""
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == hook.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(LOG_LENGTH)
        )
    )


def set_active(session: DbSession, actor: User, hook: Webhook, active: bool) -> None:
    """Pause a webhook (no new deliveries are queued for it) or start it again."""
    if hook.active == active:
        return
    hook.active = active
    verb = "Started" if active else "Paused"
    _audit(session, actor, hook, "started" if active else "paused", f"{verb} webhook “{hook.name}”")
    session.commit()


def remove(session: DbSession, actor: User, hook: Webhook) -> None:
    """Delete a webhook and its delivery log; the audit trail keeps that it existed."""
    _audit(session, actor, hook, "deleted", f"Deleted webhook “{hook.name}” for {hook.url}")
    session.delete(hook)
    session.commit()


def send_again(
    session: DbSession, actor: User, delivery: WebhookDelivery, now: datetime | None = None
) -> None:
    """Queue a delivery for a fresh round of attempts, starting now (same body, same id)."""
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now or utcnow()
    delivery.delivered_at = None
    _audit(
        session,
        actor,
        delivery.webhook,
        "sent again",
        f"Sent delivery {delivery.id} ({delivery.event}) again to “{delivery.webhook.name}”",
    )
    session.commit()


def ping(session: DbSession, actor: User, hook: Webhook, now: datetime | None = None) -> None:
    """Queue a test delivery (event `ping`) for this one webhook, paused or not."""
    now = now or utcnow()
    data = {"webhook": {"id": hook.id, "name": hook.name}, "sent_by": actor.username}
    session.add(delivery(hook.id, body(PING, now, data), PING, now))
    _audit(session, actor, hook, "tested", f"Sent a test to webhook “{hook.name}”")
    session.commit()
