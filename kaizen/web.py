"""htmx-aware response helpers shared by every blueprint, and the friendly error pages.

A page includes its fragments, so a partial htmx request gets exactly the markup the full
page already holds. Every answer that depends on HX-Request says so with `Vary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, make_response, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from kaizen.extensions import htmx


def is_partial_request() -> bool:
    """True for a genuine htmx partial request, not a boosted link or a history restore."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def vary_on_htmx(response: Response) -> Response:
    """Tell caches that this answer differs between htmx and plain requests."""
    response.vary.add("HX-Request")
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
        head, _, tail = url_for(endpoint, **arguments).partition(str(_ID_MARK))
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


def _error_page(status: int, title: str, message: str) -> Response:
    """A calm error page (or fragment for htmx) that never shows a traceback."""
    return render_page_or_fragment(
        "errors/page.html",
        "errors/_message.html",
        status=status,
        title=title,
        message=message,
        status_code=status,
    )


ERROR_TEXT = {
    400: ("Something in that request was not right", "Please go back and try again."),
    403: ("Not for this account", "Your account cannot do this. Ask a lead or an admin."),
    404: ("Page not found", "This address does not lead anywhere. Check the link or QR code."),
    405: ("Not allowed", "That action is not available here."),
    413: ("Too large", "That upload is too large. Photos can be at most 10 MB."),
    500: (
        "Something went wrong on our side",
        "Nothing you typed is your fault. Please try again in a moment.",
    ),
}


@dataclass(frozen=True)
class NavItem:
    """One link in the site navigation."""

    label: str
    url: str
    current: bool


NAVIGATION = (
    ("main.home", "Home"),
    ("observations.observe", "Report waste"),
    ("observations.index", "Observations"),
    ("board.board", "Board"),
    ("root_causes.index", "Five whys"),
    ("reports.monthly", "Reports"),
    ("learning.hub", "Learning"),
)


def navigation() -> list[NavItem]:
    """The navigation links, marking the current one."""
    current = request.endpoint or ""
    # The exact page wins; otherwise the first link of the feature (blueprint) the page
    # belongs to, so a card lights up "Board" but "Report waste" and "Observations" (one
    # blueprint, two links) are never both marked.
    endpoints = [endpoint for endpoint, _ in NAVIGATION]
    blueprint = current.split(".")[0]
    marked = (
        current
        if current in endpoints
        else next((e for e in endpoints if e.split(".")[0] == blueprint), None)
    )
    return [NavItem(label, url_for(e), e == marked) for e, label in NAVIGATION]


def register_web_helpers(app: Flask) -> None:
    """Install the error handlers and template globals every page relies on."""

    @app.context_processor
    def inject_navigation() -> dict[str, object]:
        return {"nav_items": navigation()}

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> Response:
        return _error_page(
            400,
            "This form had expired",
            "The page was open for a long time or opened elsewhere. Reload it and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        title, message = ERROR_TEXT.get(status, (error.name, error.description or ""))
        return _error_page(status, title, message)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("Unhandled error on %s", request.path)
        return _error_page(500, *ERROR_TEXT[500])

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response
