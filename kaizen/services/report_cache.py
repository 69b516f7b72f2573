"""The monthly report built once per (month, filters, data version) for every worker and host.

A build is kept in the database (`models/report_cache`): the page's HTML, every CSV and the
figures the charts are drawn from, made together from one `monthly_report`. Each chart (SVG
or PNG) is drawn from those stored figures the first time someone asks for it and kept with
its build: the page answers without waiting for matplotlib, and the browser's seven chart
requests are drawn side by side by the workers that receive them. Concurrent requests for
the same chart wait for one drawing, as they wait for one build. A build is found by a key made of
the month, the filters, the drawing revision and the plant-wide change counter, so any
change a report shows leads to a new build, and a build is used for at most `max_age`
(work-item ages and "until now" grow with time even when nothing changes).

Concurrent first requests for the same report wait for one build: the first takes a lock
row (an INSERT into `report_lock`, which the primary key lets only one of them make); the
others poll for the finished build. A lock older than `LOCK_TIMEOUT` (its builder died) is
taken over. Builds beyond the size cap are dropped oldest first, and builds of an older
counter value, which nothing can ask for any more, as soon as a newer one is stored.

These functions own their transactions: they commit what they store.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from kaizen.models import ReportBuild, ReportLock, ReportPart, utcnow
from kaizen.services import DbSession
from kaizen.services.charts import render
from kaizen.services.exports import csv_bytes
from kaizen.services.flow_data import data_version
from kaizen.services.languages import current_language
from kaizen.services.months import Month
from kaizen.services.plant_time import current_zone
from kaizen.services.report_page import CHART_NAMES, TABLES, draw, table
from kaizen.services.reports import MonthlyReport, ReportParams, monthly_report

# Bump when a chart's drawing or the page changes, so no build of the old look is served.
REVISION = "4"
LOCK_TIMEOUT = timedelta(seconds=120)
POLL_SECONDS = 0.05
MAX_WAIT_SECONDS = 150.0

# The stored part holding the report's figures, which its charts are drawn from.
FIGURES = "figures"

# Renders the page's HTML for a report (the view layer's template), as of a moment.
PageRenderer = Callable[[MonthlyReport, ReportParams, datetime], str]


@dataclass(frozen=True)
class CacheSettings:
    """How long a build may be used, and how much the cache may hold."""

    max_age: timedelta = timedelta(hours=12)
    cap_bytes: int = 200 * 1024 * 1024


@dataclass(frozen=True)
class Build:
    """A stored build: which one, and the moment its ages are counted from."""

    id: int
    key: str
    built_at: datetime

    def etag(self, name: str) -> str:
        """The ETag of one thing made from this build ('svg:flow', 'page' …)."""
        text = f"{self.key}|{self.id}|{self.built_at.isoformat()}|{name}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def report_version(session: DbSession) -> int:
    """The plant-wide change counter: one row read by key."""
    return int(data_version(session))


def build_key(params: ReportParams, version: int) -> str:
    """The cache key of a report: revision, plant time zone, reader's language (waste and
    column names are translated), month, filters and counter value."""
    text = "|".join(
        [REVISION, current_zone().key, current_language(), str(version)]
        + [repr(sorted(params.query().items()))]
        + [f"{choice.id}" for choice in (params.team, params.area) if choice]
    )
    return hashlib.sha256(text.encode()).hexdigest()


def find_build(
    session: DbSession, params: ReportParams, now: datetime, settings: CacheSettings
) -> Build | None:
    """The newest usable build of this report at the current counter value, if there is one."""
    key = build_key(params, report_version(session))
    return _lookup(session, key, now, settings)


def _lookup(session: DbSession, key: str, now: datetime, settings: CacheSettings) -> Build | None:
    row = session.execute(
        select(ReportBuild.id, ReportBuild.built_at)
        .where(ReportBuild.key == key, ReportBuild.built_at > now - settings.max_age)
        .order_by(ReportBuild.built_at.desc())
        .limit(1)
    ).first()
    return Build(row.id, key, row.built_at) if row else None


def ensure_build(
    session: DbSession,
    params: ReportParams,
    now: datetime,
    render_page: PageRenderer,
    settings: CacheSettings = CacheSettings(),
) -> Build:
    """The usable build of this report: found, waited for, or made now (and stored)."""
    version = report_version(session)
    key = build_key(params, version)
    waited_until = time.monotonic() + MAX_WAIT_SECONDS
    claimed = False
    while True:
        found = _lookup(session, key, now, settings)
        if found is not None:
            session.commit()  # end the read transaction: nothing is held while serving
            return found
        claimed = _claim(session, key, now)
        # After a long wait (a build that hangs), build without the lock rather than fail.
        if claimed or time.monotonic() > waited_until:
            break
        time.sleep(POLL_SECONDS)
    try:
        # Another worker may have stored it between our look and our claim.
        found = _lookup(session, key, now, settings)
        if found is None:
            found = _make(session, params, key, version, now, render_page)
            _evict(session, found.id, version, settings)
        if claimed:
            session.execute(delete(ReportLock).where(ReportLock.key == key))
        session.commit()
        return found
    except BaseException:
        session.rollback()
        if claimed:
            session.execute(delete(ReportLock).where(ReportLock.key == key))
            session.commit()
        raise


def stored_part(
    session: DbSession,
    params: ReportParams,
    now: datetime,
    name: str,
    render_page: PageRenderer,
    settings: CacheSettings = CacheSettings(),
) -> tuple[Build, bytes]:
    """One stored part of this report's build ('page', 'csv:lessons', 'svg:flow',
    'png:flow'), built first if need be; a chart is drawn from the build the first time."""
    for _attempt in range(3):
        build = ensure_build(session, params, now, render_page, settings)
        fmt, _, chart = name.partition(":")
        body: bytes | None
        if fmt in ("svg", "png"):
            body = drawing(session, build, params, chart, fmt)
        else:
            body = part(session, build, name)
        if body is not None:
            return build, body
        # The build was dropped between finding it and reading it (a newer one replaced it).
    raise LookupError(f"no stored {name} for this report")


def _claim(session: DbSession, key: str, now: datetime) -> bool:
    """Take the build lock of this key; False while another worker holds a live one."""
    session.rollback()  # a fresh snapshot, so we see other workers' commits
    stale = session.execute(select(ReportLock.claimed_at).where(ReportLock.key == key)).scalar()
    if stale is not None:
        if stale > now - LOCK_TIMEOUT:
            session.rollback()
            return False
        # Its builder has died: take over, but only the lock we saw (another may be quicker).
        session.execute(
            delete(ReportLock).where(ReportLock.key == key, ReportLock.claimed_at == stale)
        )
    session.add(ReportLock(key=key, claimed_at=now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def _make(
    session: DbSession,
    params: ReportParams,
    key: str,
    version: int,
    now: datetime,
    render_page: PageRenderer,
) -> Build:
    """Build the report once: the page, every CSV and the charts' figures, stored together."""
    report = monthly_report(session, params.month, now, params.scope, params.working_days)
    # Only this code writes the cache, and only from the report just made; its key carries
    # REVISION, so a build is only read back by the code that wrote it.
    parts = {"page": render_page(report, params, now).encode(), FIGURES: pickle.dumps(report)}
    for name in sorted(TABLES):
        parts[f"csv:{name}"] = csv_bytes(table(name, report, params))
    build = ReportBuild(
        key=key, version=version, built_at=now, size=sum(len(b) for b in parts.values())
    )
    session.add(build)
    session.flush()
    session.add_all(ReportPart(build_id=build.id, name=n, body=b) for n, b in parts.items())
    session.flush()
    return Build(build.id, key, now)


def _evict(session: DbSession, newest: int, version: int, settings: CacheSettings) -> None:
    """Drop builds nothing can ask for (older counter values) and the oldest beyond the cap;
    the build just made is always kept, however big."""
    rows = session.execute(
        select(ReportBuild.id, ReportBuild.version, ReportBuild.size).order_by(
            ReportBuild.built_at.desc(), ReportBuild.id.desc()
        )
    ).all()
    kept = next((row.size for row in rows if row.id == newest), 0)
    dropped = []
    for row in rows:
        if row.id == newest:
            continue
        kept += row.size
        if row.version < version or kept > settings.cap_bytes:
            dropped.append(row.id)
    if dropped:
        session.execute(delete(ReportPart).where(ReportPart.build_id.in_(dropped)))
        session.execute(delete(ReportBuild).where(ReportBuild.id.in_(dropped)))


def part(session: DbSession, build: Build, name: str) -> bytes | None:
    """Something stored with a build ('page', 'svg:flow', 'csv:lessons' …), if it is there."""
    body = session.execute(
        select(ReportPart.body).where(ReportPart.build_id == build.id, ReportPart.name == name)
    ).scalar()
    session.commit()
    return body


def drawing(
    session: DbSession, build: Build, params: ReportParams, name: str, fmt: str
) -> bytes | None:
    """A chart of this build as SVG or PNG: drawn from the build's figures the first time it
    is asked for, then kept; concurrent first requests wait for one drawing. None when the
    build has been dropped meanwhile (a newer one replaced it)."""
    if name not in CHART_NAMES:
        raise KeyError(name)
    key = f"{fmt}:{name}"
    lock = hashlib.sha256(f"{build.key}|{build.id}|{key}".encode()).hexdigest()
    waited_until = time.monotonic() + MAX_WAIT_SECONDS
    claimed = False
    while True:
        stored = part(session, build, key)
        if stored is not None:
            return stored
        claimed = _claim(session, lock, utcnow())
        if claimed or time.monotonic() > waited_until:
            break
        time.sleep(POLL_SECONDS)
    try:
        body = part(session, build, key)
        if body is None:
            body = _draw(session, build, params, name, fmt)
    finally:
        if claimed:
            session.execute(delete(ReportLock).where(ReportLock.key == lock))
            session.commit()
    return body


def _draw(
    session: DbSession, build: Build, params: ReportParams, name: str, fmt: str
) -> bytes | None:
    figures = part(session, build, FIGURES)
    if figures is None:
        return None
    report: MonthlyReport = pickle.loads(figures)
    body = render(draw(name, report, params), fmt)
    session.add(ReportPart(build_id=build.id, name=f"{fmt}:{name}", body=body))
    session.execute(
        update(ReportBuild)
        .where(ReportBuild.id == build.id)
        .values(size=ReportBuild.size + len(body))
    )
    try:
        session.commit()
    except IntegrityError:  # the build was dropped meanwhile (a newer one replaced it)
        session.rollback()
    return body


def cache_size(session: DbSession) -> tuple[int, int]:
    """How many builds the cache holds and their size in bytes."""
    count, size = session.execute(
        select(func.count(ReportBuild.id), func.coalesce(func.sum(ReportBuild.size), 0))
    ).one()
    return int(count), int(size)


def warm(
    session: DbSession,
    months: list[Month],
    now: datetime,
    render_page: PageRenderer,
    settings: CacheSettings = CacheSettings(),
) -> list[Build]:
    """Build the plant-wide report of each month with its charts (if not already built),
    for a nightly job."""
    builds = []
    for month in months:
        params = ReportParams(month=month)
        build = ensure_build(session, params, now, render_page, settings)
        for name in sorted(CHART_NAMES):
            drawing(session, build, params, name, "svg")
        builds.append(build)
    return builds
