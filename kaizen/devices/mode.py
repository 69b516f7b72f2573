"""Kiosk mode: a tablet bound to an area (a kiosk device's cookie, or a kiosk account) sees
only the entry form of that area, no site menu and no sign-out; a lead's sign-in unlocks it.

Decided once per request, before the view runs, so no page has to remember the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from kaizen.extensions import db
from kaizen.models import Area, Role
from kaizen.services.devices import kiosk_by_secret

KIOSK_COOKIE = "kaizen_kiosk"
_CHECKED = "_kiosk_checked"
# Browsers keep a cookie at most 400 days; every visit to the entry form renews it.
KIOSK_COOKIE_DAYS = 400
# Endpoints that never ask who is there (no database either). A kiosk tablet needs the
# service worker, the manifest and the icon too: it is the device that reports offline and
# is pinned to a home screen.
ALWAYS_OPEN = frozenset(
    {
        "static",
        "main.healthz",
        "main.livez",
        "main.service_worker",
        "main.manifest",
        "main.favicon",
    }
)
# What a kiosk may open: the entry form of its area, its language switch, and the lead's
# unlock.
KIOSK_PAGES = frozenset({"observations.observe", "main.choose_language", "kiosks.unlock"})


@dataclass(frozen=True)
class Kiosk:
    """This request comes from a kiosk: its area, and its device (None: a kiosk account)."""

    area: Area
    device_id: int | None


def current_kiosk() -> Kiosk | None:
    """The kiosk this request comes from, decided before the view (None: not a kiosk)."""
    return g.get("kiosk")


def _find_kiosk() -> Kiosk | None:
    """A live kiosk cookie wins over any sign-in; then a signed-in kiosk account."""
    secret = request.cookies.get(KIOSK_COOKIE)
    if secret:
        device = kiosk_by_secret(db.session, secret)
        if device is not None:
            return Kiosk(device.area, device.id)
    user_id = session.get("_user_id")
    # Whether the account is a kiosk is read once per sign-in and kept in the session, so
    # a board's cheap poll does not load the account on every request.
    if user_id is None or session.get(_CHECKED) == f"{user_id}:person":
        return None
    if not current_user.is_authenticated:
        return None
    kiosk = current_user.role is Role.KIOSK and current_user.area is not None
    session[_CHECKED] = f"{user_id}:{'kiosk' if kiosk else 'person'}"
    return Kiosk(current_user.area, None) if kiosk else None


def install(app: Flask) -> None:
    """Hold every request from a kiosk to the entry form of its area."""

    @app.before_request
    def keep_kiosk_to_its_form() -> Response | None:
        # The JSON API answers tokens, never a tablet's cookie (kaizen/api/core.py).
        if request.endpoint in ALWAYS_OPEN or request.path.startswith("/api/"):
            return None
        kiosk = _find_kiosk()
        g.kiosk = kiosk
        if kiosk is None or request.endpoint in KIOSK_PAGES:
            return None
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("observations.observe"))
        abort(403)

    @app.after_request
    def renew_kiosk_cookie(response: Response) -> Response:
        kiosk = g.get("kiosk")
        secret = request.cookies.get(KIOSK_COOKIE)
        if kiosk is not None and kiosk.device_id is not None and secret:
            set_kiosk_cookie(app, response, secret)
        return response


def set_kiosk_cookie(app: Flask, response: Response, secret: str) -> None:
    """Give the tablet its kiosk secret."""
    set_device_cookie(app, response, KIOSK_COOKIE, secret, KIOSK_COOKIE_DAYS)


def set_device_cookie(app: Flask, response: Response, name: str, value: str, days: int) -> None:
    """A cookie the device keeps (its kiosk secret, its language): long-lived, script-proof,
    same-site, secure when the session cookie is."""
    response.set_cookie(
        name,
        value,
        max_age=days * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
    )
