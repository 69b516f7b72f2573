"""`/learning`: browse and search reflections; lessons of a month; "tried elsewhere?"."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from werkzeug.wrappers import Response

from kaizen.extensions import db, htmx
from kaizen.models import Outcome, Waste, utcnow
from kaizen.services import learning as service
from kaizen.services.exports import lessons_table
from kaizen.services.months import Month, month_choices
from kaizen.web import csv_download, is_partial_request, vary_on_htmx

bp = Blueprint("learning", __name__, url_prefix="/learning")


def _enum(enum_cls: Any, value: str | None) -> Any:
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


def _page_url(page: int) -> str:
    """This search's address, on another page."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page" and v}
    return url_for("learning.hub", **args, page=page)


def _pager(found: service.LessonList) -> dict[str, str | None]:
    """The links to the newer and older pages of reflections (None at either end)."""
    return {
        "previous_url": _page_url(found.page - 1) if found.page > 1 else None,
        "next_url": _page_url(found.page + 1) if found.page < found.pages else None,
    }


def _lesson_links() -> dict[str, str]:
    """The printable lessons of this month and of last month."""
    this_month = Month.of(utcnow())
    return {
        "lessons_this_month_url": url_for("learning.lessons", month=this_month.code),
        "lessons_last_month_url": url_for("learning.lessons", month=this_month.previous.code),
    }


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
    """The search and filters as query arguments (for the CSV link: every page)."""
    return {key: value for key, value in request.args.items() if value and key != "page"}


@bp.get("/export.csv")
def export() -> Response:
    """Every reflection the hub's search and filters find, as CSV."""
    filters, _month = _filters()
    return csv_download(lessons_table(db.session, filters), "kaizen-lessons")


@bp.get("")
def hub() -> Response:
    """All reflections newest first, with search and filters."""
    filters, month = _filters()
    found = service.list_lessons(db.session, filters, request.args.get("page", 1, type=int))
    teams, areas = service.filter_choices(db.session)
    context = {
        "found": found,
        "filters": filters,
        "month": month.code if month else "",
        "months": month_choices(utcnow(), month),
        **_pager(found),
        "outcomes": list(Outcome),
        "wastes": list(Waste),
        "teams": teams,
        "areas": areas,
        **_lesson_links(),
        "export_url": url_for(".export", **_chosen()),
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
