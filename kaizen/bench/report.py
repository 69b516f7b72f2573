"""The monthly report's rows of `kaizen bench` (issue 12): cold, warm on another worker, 304,
and what 10x history costs.

Measured on the served app like the board, as ratios to hello world in the same round, on
last month's plant-wide report (a whole month of data):

- cold, as a browser asks: the data version is bumped (as any change does), then the page,
  then its 7 charts all at once on 7 connections, as a browser does once it has the page;
  the time until the last chart has arrived;
- cold, one after the other: the same with the charts asked for one at a time; the sum
  (the work of a first view, without the workers sharing it);
- warm on another worker: the data version is bumped again and the report is built by
  `kaizen reports warm`'s code in this bench process, so no served worker built it; then
  the page and a chart are asked for on fresh connections (either worker answers);
- 304: a chart asked for again with its ETag;
- 10x history: the cold total with the `history10x` preset over that with `team500`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from kaizen.bench.run import Figure, Server, Settings

CHARTS = ("cycle-time", "throughput", "observations", "pareto", "flow", "aging", "before-after")
COLD_BROWSER = "Report cold: page, then 7 charts at once, {}"
COLD = "Report cold: page + 7 charts one after the other, {}"
PAGE_WARM = "Report page, warm on another worker (p50)"
CHART_WARM = "Report chart, warm on another worker (p50)"
NOT_MODIFIED = "Report chart 304 (p50)"
HISTORY = "Report cold cost at 10x history"


def figures(presets: tuple[str, ...]) -> dict[str, Figure]:
    """The report's rows, empty, in the order they are printed (cold: one per preset)."""
    from kaizen.bench.run import Figure

    names = [(COLD_BROWSER.format(preset), "ms") for preset in presets[:2]]
    names += [(COLD.format(preset), "ms") for preset in presets[:2]]
    names += [(PAGE_WARM, "ms"), (CHART_WARM, "ms")]
    names += [(NOT_MODIFIED, "ms"), (HISTORY, "%")]
    return {name: Figure(name, unit) for name, unit in names}


def _month_code() -> str:
    from kaizen.models import utcnow
    from kaizen.services.months import Month

    return Month.of(utcnow()).previous.code


def _bump(url: str) -> None:
    """Change the data version, as any new card move or observation would."""
    engine = create_engine(make_url(url))
    with engine.begin() as connection:
        connection.execute(text("UPDATE report_version SET value = value + 1"))
    engine.dispose()


def _warm_elsewhere(url: str, month: str) -> None:
    """Build the report in this process (not a served worker), as `kaizen reports warm`."""
    from kaizen import create_app
    from kaizen.extensions import db
    from kaizen.models import utcnow
    from kaizen.reports.views import cache_settings, render_report_body
    from kaizen.services.months import Month
    from kaizen.services.report_cache import warm

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUTO_MIGRATE": False})
    with app.app_context(), app.test_request_context():
        parsed = Month.parse(month)
        assert parsed is not None
        warm(db.session, [parsed], utcnow(), render_report_body, cache_settings())
        db.session.remove()
        db.engine.dispose()


def _fresh_ms(port: int, path: str, headers: dict[str, str] | None = None) -> float:
    """One request on a new connection (so either worker may answer), in ms."""
    from kaizen.bench.people import call as request

    conn = HTTPConnection("127.0.0.1", port, timeout=300)
    start = time.perf_counter()
    status = request(port, path, headers, connection=conn)[0]
    elapsed = (time.perf_counter() - start) * 1000
    conn.close()
    if status not in (200, 304):
        raise RuntimeError(f"{path} answered {status}")
    return elapsed


def _browser_ms(port: int, page: str, charts: list[str]) -> float:
    """The page, then every chart at once on connections of their own, as a browser asks
    once it has the page: the time until the last one has arrived, in ms."""
    start = time.perf_counter()
    _fresh_ms(port, page)
    with ThreadPoolExecutor(max_workers=len(charts)) as pool:
        list(pool.map(lambda path: _fresh_ms(port, path), charts))
    return (time.perf_counter() - start) * 1000


def measure(
    step: int,
    hello: Server,
    app: Server,
    settings: Settings,
    table: dict[str, Figure],
    url: str,
    echo: Callable[[str], None],
) -> None:
    """The report's rounds for one preset: step 0 team500, step 1 history10x."""
    from kaizen.bench.people import call as request
    from kaizen.bench.run import p50_ms

    cold_rows = [COLD.format(preset) for preset in settings.presets[:2]]
    browser_rows = [COLD_BROWSER.format(preset) for preset in settings.presets[:2]]
    month = _month_code()
    page = f"/reports/monthly/{month}"
    chart = f"/reports/charts/cycle-time.svg?month={month}"
    samples = settings.samples
    for round_ in range(1, settings.rounds + 1):
        echo(f"  Monthly report ({settings.presets[step]}): round {round_}")
        hello_ms = p50_ms(hello.port, "/", samples)
        _bump(url)
        browser = _browser_ms(
            app.port, page, [f"/reports/charts/{n}.svg?month={month}" for n in CHARTS]
        )
        table[browser_rows[step]].values.append(browser)
        table[browser_rows[step]].ratios.append(browser / hello_ms)
        _bump(url)
        cold = _fresh_ms(app.port, page)
        cold += sum(_fresh_ms(app.port, f"/reports/charts/{n}.svg?month={month}") for n in CHARTS)
        table[cold_rows[step]].values.append(cold)
        table[cold_rows[step]].ratios.append(cold / hello_ms)
        if step != 1:
            continue
        _bump(url)
        _warm_elsewhere(url, month)
        for name, path in ((PAGE_WARM, page), (CHART_WARM, chart)):
            value = statistics.median(_fresh_ms(app.port, path) for _ in range(samples))
            table[name].values.append(value)
            table[name].ratios.append(value / hello_ms)
        etag = request(app.port, chart)[2].get("ETag", "")
        revalidate = p50_ms(app.port, chart, samples, {"If-None-Match": etag})
        table[NOT_MODIFIED].values.append(revalidate)
        table[NOT_MODIFIED].ratios.append(revalidate / hello_ms)
    if step == 1 and table[cold_rows[0]].values and table[cold_rows[1]].values:
        base = statistics.median(table[cold_rows[0]].ratios)
        more = statistics.median(table[cold_rows[1]].ratios)
        table[HISTORY].values = [100 * (more / base - 1)]
        table[HISTORY].note = "median cold ratio, history10x over team500; target <= +20 %"
