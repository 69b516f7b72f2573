"""htmx-aware response helpers shared by every blueprint, and the friendly error pages.

A page includes its fragments, so a partial htmx request gets exactly the markup the full
page already holds. Every answer that depends on HX-Request says so with `Vary`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, make_response, render_template, request, session, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from kaizen import faults
from kaizen.api.core import ApiError, error_response, http_error_response, is_api_request
from kaizen.devices.mode import current_kiosk
from kaizen.extensions import htmx, login
from kaizen.input import without_control_characters
from kaizen.models import Role


def is_partial_request() -> bool:
    """True for a genuine htmx partial request, not a boosted link or a history restore."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def vary_on_htmx(response: Response) -> Response:
    """Tell caches that this answer differs between htmx and plain requests."""
    response.vary.add("HX-Request")
    return response


def csv_download(data: Any, stem: str) -> Response:
    """A table (kaizen/services/exports.py) as a CSV file to save."""
    from kaizen.services.exports import csv_bytes

    response = Response(csv_bytes(data), mimetype="text/csv")
    # The name carries query-string values: keep only characters safe in any file name.
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem)[:120]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


# An id no row has, to build an address pattern once with url_for.
_ID_MARK = 9_876_543_210_123


@dataclass(frozen=True)
class IdUrl:
    """An address with a row's id in it, built once per page with url_for, filled per row.

    A board of hundreds of cards calls this instead of url_for once per card.
    """

    head: str
    tail: str

    @classmethod
    def of(cls, endpoint: str, key: str, **values: Any) -> IdUrl:
        """The pattern of `url_for(endpoint, key=<id>, **values)`."""
        arguments: dict[str, Any] = {**values, key: _ID_MARK}
        head, _mark, tail = url_for(endpoint, **arguments).partition(str(_ID_MARK))
        return cls(head, tail)

    def __call__(self, row_id: int) -> str:
        return f"{self.head}{row_id}{self.tail}"

    @property
    def pattern(self) -> str:
        """The address with `{id}` where the id goes (for scripts)."""
        return f"{self.head}{{id}}{self.tail}"


def render_page_or_fragment(
    page: str, fragment: str, status: int = 200, **context: Any
) -> Response:
    """Render the fragment for htmx partial requests and the full page for everything else."""
    template = fragment if is_partial_request() else page
    response = make_response(render_template(template, **context), status)
    return vary_on_htmx(response)


@dataclass(frozen=True)
class AccountInHand:
    """Who is signed in, as far as is known without asking the database."""

    signed_in: bool
    name: str | None
    language: str | None = None


def account_in_hand() -> AccountInHand:
    """The signed-in person's name (and own language) if this request already loaded them,
    else only whether someone is signed in (the session cookie says so): an error page asks
    no query."""
    user = g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    name = state.dict.get("display_name") if state is not None else None
    language = state.dict.get("language") if state is not None else None
    return AccountInHand(signed_in="_user_id" in session, name=name, language=language)


# Fields that carry no typing of the person's own (tokens, keys, where a form came from).
_NOT_TYPED = frozenset({"csrf_token", "form_key", "key", "version", "position", "board", "done"})


@dataclass(frozen=True)
class TypedForm:
    """A plain form whose sending failed, to offer it again with everything typed."""

    action: str
    fields: list[tuple[str, str]]
    shown: list[tuple[str, str]]
    files: list[str]


def typed_form() -> TypedForm | None:
    """The form a plain (not htmx) POST sent, or None: kept for an error page to send again."""
    if request.method != "POST" or is_partial_request():
        return None
    try:
        fields = [
            (without_control_characters(k), without_control_characters(v))
            for k, v in request.form.items(multi=True)
            # A password is never written into a page: the person types it again.
            if k != "csrf_token" and "password" not in k
        ]
        files = sorted({name for name, f in request.files.items(multi=True) if f.filename})
    except Exception:  # a body that cannot be read (too large, cut off) has nothing to keep
        return None
    if not fields and not files:
        return None
    shown = [
        (name.replace("_", " ").capitalize(), value)
        for name, value in fields
        if name not in _NOT_TYPED and value.strip()
    ]
    return TypedForm(request.full_path.rstrip("?"), fields, shown, files)


@contextmanager
def _no_account_loading() -> Iterator[None]:
    """While rendering: Flask-Login's template context loads the account from the database
    unless one is in hand, so hand it the anonymous user (the page shows `account`)."""
    missing = object()
    kept = g.get("_login_user", missing)
    g._login_user = login.anonymous_user()
    try:
        yield
    finally:
        if kept is missing:
            g.pop("_login_user", None)
        else:
            g._login_user = kept


def on_outage(render: Callable[[], BaseResponse]) -> None:
    """Let this request answer a database outage with its own page (a form drawn again with
    everything typed, status 503) instead of the error page. The page must ask no query."""
    g.outage_page = render


def _outage_page() -> BaseResponse | None:
    """The page a plain form post set with `on_outage`, drawn without the database; None for
    htmx (its form stays as it is, with the error message) or when none was set."""
    render = g.pop("outage_page", None)
    if render is None or is_partial_request():
        return None
    faults.roll_back_quietly()
    with _no_account_loading():
        response = render()
    response.headers["Retry-After"] = "5"
    return response


def _choose_language_now() -> None:
    """Decide the page's language while the account may still be asked (after a 4xx the
    database answers); Flask-Babel keeps the choice for the rest of the request."""
    try:
        get_locale()
    except SQLAlchemyError:
        faults.roll_back_quietly()


def _error_page(status: int, title: Any, message: Any, *, keep_typed: bool = False) -> Response:
    """A calm error page (or fragment for htmx) that never shows a traceback.

    It rolls the session back first and asks the database nothing, so it renders even when
    the database connection is gone. A plain form's fields come back, ready to send again.
    The title and message (text, or marked with lazy_gettext) are worded in the reader's
    language: the person's own choice if the request already loaded it (not on a kiosk),
    else the device's, the plant's or the browser's.
    """
    account = account_in_hand()
    if status < 500 and account.language is None:
        _choose_language_now()
    faults.roll_back_quietly()
    own = account.language if account.language and current_kiosk() is None else None
    with _no_account_loading(), force_locale(own) if own else nullcontext():
        response = render_page_or_fragment(
            "errors/page.html",
            "errors/_message.html",
            status=status,
            title=str(title),
            message=str(message),
            status_code=status,
            account=account,
            typed=typed_form() if status >= 500 or keep_typed else None,
        )
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


# Marked with lazy_gettext: worded in the reader's language when the page is drawn.
ERROR_TEXT = {
    400: (_l("Something in that request was not right"), _l("Please go back and try again.")),
    403: (
        _l("Not for this account"),
        _l("Your account cannot do this. Ask a lead or an admin."),
    ),
    404: (
        _l("Page not found"),
        _l("This address does not lead anywhere. Check the link or QR code."),
    ),
    405: (_l("Not allowed"), _l("That action is not available here.")),
    413: (
        _l("Too large"),
        _l(
            "That upload is too large: photos can be at most 10 MB. Nothing was saved. "
            "Choose a smaller photo, or none, and send it again."
        ),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you typed is your fault. Please try again in a moment."),
    ),
    503: (
        _l("The database is not answering"),
        _l(
            "Kaizen cannot reach its database for a moment, most likely a restart. "
            "Please try again in a few seconds."
        ),
    ),
}


# Scripts, styles, images and requests from this site only, and nothing inline: an injected
# <script>, style attribute or onclick does nothing. Pages are never framed.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # blob: the photo's preview before it is sent
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# A chart opened on its own is an SVG document whose drawing (from matplotlib) styles itself
# inline; it runs no script and loads nothing.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Nothing here uses these; a page injected into the site cannot ask for them either. (A
    # photo is taken through the file input, which needs no camera permission.)
    "Permissions-Policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
        "accelerometer=(), gyroscope=(), magnetometer=()"
    ),
}


@dataclass(frozen=True)
class NavItem:
    """One link in the site navigation."""

    label: str
    url: str
    current: bool


NAVIGATION = (
    ("main.home", _l("Home")),
    ("observations.observe", _l("Report waste")),
    ("observations.index", _l("Observations")),
    ("board.board", _l("Board")),
    ("root_causes.index", _l("Five whys")),
    ("reports.monthly", _l("Reports")),
    ("learning.hub", _l("Learning")),
)


def navigation() -> list[NavItem]:
    """The navigation links, marking the current one."""
    current = request.endpoint or ""
    # The exact page wins; otherwise the first link of the feature (blueprint) the page
    # belongs to, so a card lights up "Board" but "Report waste" and "Observations" (one
    # blueprint, two links) are never both marked.
    endpoints = [endpoint for endpoint, _label in NAVIGATION]
    blueprint = current.split(".")[0]
    marked = (
        current
        if current in endpoints
        else next((e for e in endpoints if e.split(".")[0] == blueprint), None)
    )
    items = [NavItem(str(label), url_for(e), e == marked) for e, label in NAVIGATION]
    if current_user.is_authenticated and current_user.can(Role.VIEWER):
        own = "accounts.password"
        items.append(NavItem(_("Password"), url_for(own), current == own))
    if current_user.is_authenticated and current_user.can(Role.ADMIN):
        items.append(NavItem(_("Admin"), url_for("admin.index"), blueprint == "admin"))
    return items


def manifest_url() -> str:
    """The web app manifest for this page: pinned to a home screen, it opens this page."""
    return url_for("main.manifest", start=request.full_path.rstrip("?"))


def register_web_helpers(app: Flask) -> None:
    """Install the error handlers and template globals every page relies on."""

    @app.context_processor
    def inject_navigation() -> dict[str, object]:
        # A kiosk tablet shows no site menu and no sign-out (kaizen/devices/mode.py).
        kiosk = current_kiosk()
        return {
            "nav_items": [] if kiosk else navigation(),
            "kiosk": kiosk,
            "manifest_url": manifest_url(),
        }

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> Response:
        return _error_page(
            400,
            _l("This form had expired"),
            _l("The page was open for a long time or opened elsewhere. Reload it and try again."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if is_api_request():
            faults.roll_back_quietly()
            return http_error_response(error)
        status = error.code or 500
        title, message = ERROR_TEXT.get(status, (error.name, error.description or ""))
        # An error raised with words of its own (abort(400, "...")) says them instead; what
        # the person typed is offered back, as after a failure on our side.
        own = error.description if error.description != type(error).description else None
        return _error_page(status, title, own or message, keep_typed=own is not None)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> BaseResponse:
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("Unhandled error on %s", request.path)
        status = 503 if faults.database_unavailable(error) else 500
        if is_api_request():
            faults.roll_back_quietly()
            retry = {"Retry-After": "5"} if status == 503 else {}
            return error_response(ApiError(status, str(ERROR_TEXT[status][1]), headers=retry))
        outage_page = _outage_page() if status == 503 else None
        return outage_page or _error_page(status, *ERROR_TEXT[status])

    @app.after_request
    def security_headers(response: Response) -> Response:
        policy = SVG_POLICY if response.mimetype == "image/svg+xml" else CONTENT_SECURITY_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
