"""The monthly improvement report, its charts (SVG or PNG) and its CSV downloads.

Reports are readable without signing in, like the board on a plant TV: they show flow and
learning, never who reported what. Everything is served from one build per month, filters
and data version, shared by every worker (`services/report_cache`); charts carry an ETag of
that build, so a browser that already has one gets a 304 before anything is read or drawn.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, current_app, render_template, request
from markupsafe import Markup

from kaizen.extensions import db
from kaizen.models import utcnow
from kaizen.services.plant_time import to_local, zone_label
from kaizen.services.report_cache import CacheSettings, find_build, stored_part
from kaizen.services.report_page import CHART_NAMES, TABLES, report_page
from kaizen.services.reports import MonthlyReport, ReportParams, read_params
from kaizen.web import SVG_POLICY

bp = Blueprint("reports", __name__, url_prefix="/reports")

MIMETYPES = {"svg": "image/svg+xml", "png": "image/png"}
# Browsers must ask again each time, and get a 304 while the data is unchanged.
REVALIDATE = "private, max-age=0, must-revalidate"


def cache_settings() -> CacheSettings:
    """How long a build is used and how much the cache holds, from the app's settings."""
    config = current_app.config
    return CacheSettings(
        max_age=timedelta(hours=config.get("REPORT_MAX_AGE_HOURS", 12)),
        cap_bytes=config.get("REPORT_CACHE_MB", 200) * 1024 * 1024,
    )


def render_report_body(report: MonthlyReport, params: ReportParams, now: datetime) -> str:
    """The report's HTML without the surrounding layout: what a build stores for the page."""
    return render_template(
        "reports/_report.html",
        page=report_page(db.session, report, params, now),
        filters=params.filters(),
        query=params.query(),
        as_of=f"{to_local(now):%Y-%m-%d %H:%M} {zone_label(now)}",
    )


def _params(month: str | None, now: datetime) -> ReportParams:
    """The month and filters of this request, or a 404 for an unknown one."""
    params = read_params(db.session, month, request.args, now)
    if params is None:
        abort(404)
    return params


@bp.get("/monthly", defaults={"month": None})
@bp.get("/monthly/<month>")
def monthly(month: str | None) -> str:
    """The month's report (this month without one): numbers, charts, tables, downloads."""
    now = utcnow()
    params = _params(month, now)
    _build, body = stored_part(
        db.session, params, now, "page", render_report_body, cache_settings()
    )
    return render_template(
        "reports/monthly.html", heading=params.heading, body=Markup(body.decode())
    )


@bp.get("/charts/<name>.<any(svg, png):fmt>")
def chart(name: str, fmt: str) -> Response:
    """One chart of a month's report as SVG or PNG; 304 when the browser has it already."""
    if name not in CHART_NAMES:
        abort(404)
    now = utcnow()
    params = _params(request.args.get("month"), now)
    build = find_build(db.session, params, now, cache_settings())
    if build is not None and request.if_none_match.contains(build.etag(f"{fmt}:{name}")):
        response = Response(status=304)
    else:
        build, body = stored_part(
            db.session, params, now, f"{fmt}:{name}", render_report_body, cache_settings()
        )
        response = Response(body, mimetype=MIMETYPES[fmt])
        if fmt == "svg":
            response.headers["Content-Security-Policy"] = SVG_POLICY
    response.set_etag(build.etag(f"{fmt}:{name}"))
    response.headers["Cache-Control"] = REVALIDATE
    return response


@bp.get("/csv/<name>.csv")
def data(name: str) -> Response:
    """A table of the report, or the numbers behind a chart, as a CSV download."""
    if name not in TABLES:
        abort(404)
    now = utcnow()
    params = _params(request.args.get("month"), now)
    _build, body = stored_part(
        db.session, params, now, f"csv:{name}", render_report_body, cache_settings()
    )
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{params.file_stem(name)}.csv"'
    return response
