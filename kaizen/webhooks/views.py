"""Webhook admin pages (admins only): the list with a registration form, each hook's
delivery log, and the buttons that test, pause, start, delete and send again."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from kaizen.accounts.access import refuse_unless
from kaizen.extensions import db
from kaizen.models import Role, User, Webhook
from kaizen.services import webhooks
from kaizen.services.webhook_delivery import ATTEMPTS, SIGNATURE_HEADER
from kaizen.webhooks.forms import WebhookForm

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


@bp.before_request
def admins_only() -> Any:
    """Every page of this blueprint is for admins only."""
    return refuse_unless(Role.ADMIN)


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _hook(hook_id: int) -> Webhook:
    hook = webhooks.hook_by_id(db.session, hook_id)
    if hook is None:
        abort(404)
    return hook


@bp.route("", methods=["GET", "POST"])
def index() -> tuple[str, int]:
    """Every webhook with its delivery counts, and a form to register one (secret shown once)."""
    form = WebhookForm()
    secret = None
    if form.validate_on_submit():
        try:
            _hook_made, secret = webhooks.register(
                db.session,
                _me(),
                name=form.name.data or "",
                url=form.url.data or "",
                events=list(form.events.data or []),
            )
        except webhooks.WebhookError as error:
            form[error.field].errors.append(str(error))
        else:
            form = WebhookForm(formdata=None)
    page = render_template(
        "webhooks/index.html",
        form=form,
        rows=webhooks.list_hooks(db.session),
        secret=secret,
        header=SIGNATURE_HEADER,
    )
    return page, 422 if form.errors else 200


@bp.get("/<int:hook_id>")
def hook(hook_id: int) -> str:
    """One webhook: its address, events and newest deliveries with each one's attempts."""
    found = _hook(hook_id)
    return render_template(
        "webhooks/hook.html",
        hook=found,
        deliveries=webhooks.latest_deliveries(db.session, found),
        events=webhooks.EVENT_LABELS,
        statuses=webhooks.STATUS_LABELS,
        attempts=ATTEMPTS,
    )


@bp.post("/<int:hook_id>/test")
def test(hook_id: int) -> Response:
    """Queue a `ping` delivery to this webhook."""
    found = _hook(hook_id)
    webhooks.ping(db.session, _me(), found)
    flash(_("A test delivery is queued: it is sent at the worker's next round."), "success")
    return redirect(url_for(".hook", hook_id=found.id))


def _set_active(hook_id: int, active: bool) -> Response:
    found = _hook(hook_id)
    webhooks.set_active(db.session, _me(), found, active)
    if active:
        done = _("Webhook “%(name)s” started: new events are queued for it.", name=found.name)
    else:
        done = _("Webhook “%(name)s” paused: no new events are queued for it.", name=found.name)
    flash(done, "success")
    return redirect(url_for(".hook", hook_id=found.id))


@bp.post("/<int:hook_id>/pause")
def pause(hook_id: int) -> Response:
    """Stop queueing deliveries for this webhook (queued ones are still sent)."""
    return _set_active(hook_id, False)


@bp.post("/<int:hook_id>/start")
def start(hook_id: int) -> Response:
    """Queue deliveries for this webhook again."""
    return _set_active(hook_id, True)


@bp.post("/<int:hook_id>/delete")
def delete(hook_id: int) -> Response:
    """Delete a webhook and its delivery log."""
    found = _hook(hook_id)
    name = found.name
    webhooks.remove(db.session, _me(), found)
    flash(_("Webhook “%(name)s” deleted.", name=name), "success")
    return redirect(url_for(".index"))


@bp.post("/deliveries/<int:delivery_id>/again")
def send_again(delivery_id: int) -> Response:
    """Give a delivery a fresh round of attempts, starting at the worker's next round."""
    delivery = webhooks.delivery_by_id(db.session, delivery_id)
    if delivery is None:
        abort(404)
    webhooks.send_again(db.session, _me(), delivery)
    flash(_("Delivery %(id)s is queued again.", id=delivery.id), "success")
    return redirect(url_for(".hook", hook_id=delivery.webhook_id))
