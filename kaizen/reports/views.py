"""The monthly improvement report, its charts (SVG or PNG) and its CSV downloads.

Reports are readable without signing in, like the board on a plant TV: they show flow and
learning, never who reported what. Charts are answered with an ETag built from the data
they show, so a browser that already has one gets a 304 before anything is drawn.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

from flask import Blueprint, Response, abort, render_template, request

from kaizen.extensions import db
from kaizen.models import utcnow
from kaizen.services.charts import render
from kaizen.services.report_page import CHART_NAMES, TABLES, csv_bytes, draw, report_page, table
from kaizen.services.reports import (
    MonthlyReport,
    ReportParams,
    chart_etag,
    monthly_report,
    read_params,
)

bp = Blueprint("reports", __name__, url_prefix="/reports")

MIMETYPES = {"svg": "image/svg+xml", "png": "image/png"}
# Browsers must ask again each time, and get a 304 while the data is unchanged.
REVALIDATE = "private, max-age=0, must-revalidate"
# An SVG opened on its own may not run or load anything.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


class _RecentCharts:
    """A small in-process cache of drawn charts by ETag: only a speed-up, never relied on."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        with self._lock:
            self._items[key] = body
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_recent = _RecentCharts()


def _params(month: str | None, now: datetime) -> ReportParams:
    """The month and filters of this request, or a 404 for an unknown one."""
    params = read_params(db.session, month, request.args, now)
    if params is None:
        abort(404)
    return params


def _report(params: ReportParams, now: datetime) -> MonthlyReport:
    """The report data for these filters: built once per request."""
    return monthly_report(db.session, params.month, now, params.scope, params.working_days)


@bp.get("/monthly", defaults={"month": None})
@bp.get("/monthly/<month>")
def monthly(month: str | None) -> str:
    """The month's report (this month without one): numbers, charts, tables, downloads."""
    now = utcnow()
    params = _params(month, now)
    page = report_page(db.session, _report(params, now), params, now)
    return render_template(
        "reports/monthly.html", page=page, filters=params.filters(), query=params.query()
    )


@bp.get("/charts/<name>.<any(svg, png):fmt>")
def chart(name: str, fmt: str) -> Response:
    """One chart of a month's report as SVG or PNG; 304 when the browser has it already."""
    if name not in CHART_NAMES:
        abort(404)
    now = utcnow()
    params = _params(request.args.get("month"), now)
    etag = chart_etag(db.session, name, fmt, params, now)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        body = _recent.get(etag)
        if body is None:
            body = render(draw(name, _report(params, now), params), fmt)
            _recent.put(etag, body)
        response = Response(body, mimetype=MIMETYPES[fmt])
        if fmt == "svg":
            response.headers["Content-Security-Policy"] = SVG_POLICY
    response.set_etag(etag)
    response.headers["Cache-Control"] = REVALIDATE
    return response


@bp.get("/csv/<name>.csv")
def data(name: str) -> Response:
    """A table of the report, or the numbers behind a chart, as a CSV download."""
    if name not in TABLES:
        abort(404)
    now = utcnow()
    params = _params(request.args.get("month"), now)
    response = Response(csv_bytes(table(name, _report(params, now), params)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{params.file_stem(name)}.csv"'
    return response
