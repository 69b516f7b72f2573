"""`/learning`: browse and search reflections; lessons of a month; "tried elsewhere?"."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from werkzeug.wrappers import Response

from kaizen.extensions import db, htmx
from kaizen.models import Outcome, Waste, utcnow
from kaizen.services import learning as service
from kaizen.services.exports import lessons_table
from kaizen.services.months import Month
from kaizen.web import csv_download, is_partial_request, vary_on_htmx

bp = Blueprint("learning", __name__, url_prefix="/learning")


def _enum(enum_cls: Any, value: str | None) -> Any:
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


def _filters() -> tuple[service.LessonFilters, Month | None]:
    """The hub's search and filters from the query string; anything malformed is ignored."""
    args = request.args
    month = Month.parse(args.get("month"))
    filters = service.LessonFilters(
        text=args.get("q", "").strip(),
        outcome=_enum(Outcome, args.get("outcome")),
        waste=_enum(Waste, args.get("waste")),
        area_id=args.get("area", type=int),
        team_id=args.get("team", type=int),
        start=month.start if month else None,
        end=month.end if month else None,
    )
    return filters, month


def _chosen() -> dict[str, Any]:
    """The search and filters as query arguments (for the CSV link)."""
    return {key: value for key, value in request.args.items() if value}


@bp.get("/export.csv")
def export() -> Response:
    """Every reflection the hub's search and filters find, as CSV."""
    filters, _month = _filters()
    return csv_download(lessons_table(db.session, filters), "kaizen-lessons")


@bp.get("")
def hub() -> Response:
    """All reflections newest first, with search and filters."""
    filters, month = _filters()
    found = service.list_lessons(db.session, filters)
    teams, areas = service.filter_choices(db.session)
    this_month = Month.of(utcnow())
    context = {
        "found": found,
        "filters": filters,
        "month": month.code if month else "",
        "outcomes": list(Outcome),
        "wastes": list(Waste),
        "teams": teams,
        "areas": areas,
        "lessons_this_month_url": url_for("learning.lessons", month=this_month.code),
        "export_url": url_for(".export", **_chosen()),
        "lessons_last_month_url": url_for("learning.lessons", month=this_month.previous.code),
    }
    partial = is_partial_request() and htmx.target == "lesson-list"
    template = "learning/_lessons.html" if partial else "learning/hub.html"
    return vary_on_htmx(current_app.make_response(render_template(template, **context)))


@bp.get("/lessons/<month>")
def lessons(month: str) -> str:
    """A printable sheet of the lessons written in one month, for a stand-up or a session."""
    shown = Month.parse(month)
    if shown is None:
        abort(404)
    rows = service.find_lessons(db.session, service.LessonFilters(start=shown.start, end=shown.end))
    return render_template(
        "learning/lessons.html",
        lessons=rows,
        month_label=shown.label,
        previous_url=url_for("learning.lessons", month=shown.previous.code),
        next_url=url_for("learning.lessons", month=shown.next.code),
    )


@bp.get("/similar")
def similar() -> Response:
    """'Tried elsewhere?': earlier experiments and five whys with words like these."""
    text = " ".join(request.args.get(k, "") for k in ("title", "problem", "q"))
    suggestions = service.suggest_similar(
        db.session, text, exclude_improvement_id=request.args.get("exclude", type=int)
    )
    context = {
        "suggestions": suggestions,
        "asked": bool(text.strip()),
    }
    template = "learning/_similar.html" if is_partial_request() else "learning/similar.html"
    return vary_on_htmx(current_app.make_response(render_template(template, **context)))
