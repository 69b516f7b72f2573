"""Home page and `/healthz`."""

from __future__ import annotations

from flask import Blueprint, Response, make_response, render_template

from kaizen.extensions import db
from kaizen.models import utcnow
from kaizen.services.overview import database_health, plant_overview

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    """The plant at a glance: this month's reports and the board's columns."""
    overview = plant_overview(db.session, utcnow())
    return render_template("main/home.html", overview=overview)


@bp.get("/healthz")
def healthz() -> Response:
    """200 `ok` when the app and its database answer and accept writes, 503 otherwise (for
    load balancers: a host whose database refuses writes would lose what people send)."""
    problem = database_health(db.session)
    if problem is None:
        return _plain("ok", 200)
    return _plain(f"{problem}\n", 503)


@bp.get("/livez")
def livez() -> Response:
    """200 `alive` while the process serves requests, whatever the database's state (for a
    supervisor deciding whether to restart the process, which would not mend a database)."""
    return _plain("alive", 200)


def _plain(text: str, status: int) -> Response:
    """A short plain-text answer that no cache keeps."""
    response = make_response(text, status)
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "no-store"
    return response
