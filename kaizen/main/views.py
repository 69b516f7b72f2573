"""Home page and `/healthz`."""

from __future__ import annotations

from flask import Blueprint, Response, make_response, render_template

from kaizen.extensions import db
from kaizen.models import utcnow
from kaizen.services.overview import database_answers, plant_overview

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    """The plant at a glance: this month's reports and the board's columns."""
    overview = plant_overview(db.session, utcnow())
    return render_template("main/home.html", overview=overview)


@bp.get("/healthz")
def healthz() -> Response:
    """200 `ok` when the app and its database answer, 503 otherwise (for load balancers)."""
    if database_answers(db.session):
        response = make_response("ok", 200)
    else:
        response = make_response("database unavailable\n", 503)
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "no-store"
    return response
