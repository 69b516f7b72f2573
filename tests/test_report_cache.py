"""The monthly report is built once per month, filters and data version, for every worker.

Builds are kept in the database: the page and its seven charts come from one build, another
worker (a second app on the same database) uses it too, concurrent first requests wait for
one build, any change a report shows leads to a new one, and the cache keeps to its size.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaizen import create_app
from kaizen.extensions import db
from kaizen.models import (
    BlockPeriod,
    BoardColumn,
    CardMove,
    Outcome,
    Reflection,
    ReportBuild,
    ReportLock,
    ReportPart,
)
from kaizen.reports import views
from kaizen.services import report_cache
from kaizen.services.flow_data import data_version
from kaizen.services.months import Month
from kaizen.services.report_page import CHART_NAMES
from kaizen.services.reports import ReportParams
from tests.conftest import app_config
from tests.factories import make_moved_improvement, make_observation

PLAN, DO, DONE = BoardColumn.PLAN, BoardColumn.DO, BoardColumn.DONE
MARCH = datetime(2026, 3, 2, 8, 0)
NOW = datetime(2026, 4, 20, 10, 30)
PAGE = "/reports/monthly/2026-03"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Pin the report's clock."""
    monkeypatch.setattr(views, "utcnow", lambda: NOW)
    return NOW


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts every report build (a call of monthly_report by the cache)."""
    made: list[str] = []
    real = report_cache.monthly_report

    def counting(*args: Any, **kwargs: Any) -> Any:
        made.append("build")
        return real(*args, **kwargs)

    monkeypatch.setattr(report_cache, "monthly_report", counting)
    return made


def finished_in_march(session: Session, title: str = "Kanban square") -> Any:
    return make_moved_improvement(
        session,
        [(PLAN, MARCH), (DO, MARCH + timedelta(days=1)), (DONE, MARCH + timedelta(days=3))],
        created_at=MARCH - timedelta(days=1),
        title=title,
        outcome=Outcome.ADOPTED,
    )


def open_everything(client: FlaskClient) -> list[int]:
    """The page and its seven charts, as a browser's first view asks for them."""
    statuses = [client.get(PAGE).status_code]
    for name in sorted(CHART_NAMES):
        statuses.append(client.get(f"/reports/charts/{name}.svg?month=2026-03").status_code)
    return statuses


def second_worker(app: Flask, tmp_path: Path) -> Flask:
    """Another app process on the same database: it shares nothing in memory."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    other = tmp_path / "other"
    other.mkdir()
    return create_app(app_config(url, other))


def test_the_page_and_its_seven_charts_are_one_build(
    client: FlaskClient, session: Session, builds: list[str]
) -> None:
    finished_in_march(session)
    session.commit()
    assert open_everything(client) == [200] * 8
    assert builds == ["build"]


def test_another_worker_serves_the_stored_build_without_building(
    app: Flask, client: FlaskClient, session: Session, builds: list[str], tmp_path: Path
) -> None:
    finished_in_march(session)
    session.commit()
    first = client.get("/reports/charts/cycle-time.svg?month=2026-03")
    other = second_worker(app, tmp_path)
    again = other.test_client().get("/reports/charts/cycle-time.svg?month=2026-03")
    with other.app_context():
        db.engine.dispose()
    assert builds == ["build"]
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_change_the_report_shows_leads_to_a_new_build(
    client: FlaskClient, session: Session, builds: list[str]
) -> None:
    card = finished_in_march(session)
    session.commit()
    first = client.get("/reports/charts/cycle-time.svg?month=2026-03")
    session.add(
        CardMove(improvement=card, from_column=DONE, to_column=DO, moved_at=MARCH + timedelta(9))
    )
    session.commit()
    again = client.get("/reports/charts/cycle-time.svg?month=2026-03")
    assert builds == ["build", "build"]
    assert again.headers["ETag"] != first.headers["ETag"]


def test_builds_of_an_older_data_version_are_dropped(client: FlaskClient, session: Session) -> None:
    finished_in_march(session)
    session.commit()
    client.get(PAGE)
    make_observation(session, observed_at=MARCH)
    session.commit()
    client.get(PAGE)
    versions = session.scalars(select(ReportBuild.version)).all()
    assert versions == [int(data_version(session))]


def test_a_build_is_used_until_it_is_too_old(
    client: FlaskClient, session: Session, builds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client.get(PAGE)
    monkeypatch.setattr(views, "utcnow", lambda: NOW + timedelta(hours=11))
    client.get(PAGE)
    monkeypatch.setattr(views, "utcnow", lambda: NOW + timedelta(hours=13))
    client.get(PAGE)
    assert builds == ["build", "build"]


def test_the_cache_keeps_to_its_size_cap(app: Flask, client: FlaskClient, session: Session) -> None:
    finished_in_march(session)
    session.commit()
    client.get(PAGE)
    one_build = session.scalar(select(ReportBuild.size))
    assert one_build
    app.config["REPORT_CACHE_MB"] = 0  # smaller than any build: only the newest is kept
    for month in ("2026-01", "2026-02"):
        client.get(f"/reports/monthly/{month}")
    assert session.scalar(select(func.count(ReportBuild.id))) == 1
    assert session.scalar(select(func.count()).select_from(ReportPart)) > 0
    kept = session.scalars(select(ReportPart.build_id).distinct()).all()
    assert kept == session.scalars(select(ReportBuild.id)).all()


def test_concurrent_first_requests_wait_for_one_build(
    app: Flask, session: Session, builds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    finished_in_march(session)
    session.commit()
    real: Callable[..., Any] = report_cache.monthly_report

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.4)  # long enough for every request to arrive while it builds
        return real(*args, **kwargs)

    monkeypatch.setattr(report_cache, "monthly_report", slow)
    statuses: list[int] = []

    def ask(name: str) -> None:
        response = app.test_client().get(f"/reports/charts/{name}.svg?month=2026-03")
        statuses.append(response.status_code)

    threads = [threading.Thread(target=ask, args=(n,)) for n in sorted(CHART_NAMES)[:4]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    assert builds == ["build"]
    assert session.scalar(select(func.count(ReportBuild.id))) == 1
    assert session.scalar(select(func.count()).select_from(ReportLock)) == 0


def test_the_page_answers_before_any_chart_is_drawn_and_each_chart_is_drawn_once(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished_in_march(session)
    session.commit()
    drawn: list[str] = []
    real = report_cache.render
    monkeypatch.setattr(report_cache, "render", lambda *a: drawn.append("x") or real(*a))
    assert client.get(PAGE).status_code == 200
    assert drawn == []
    first = client.get("/reports/charts/aging.svg?month=2026-03")
    again = client.get("/reports/charts/aging.svg?month=2026-03")
    assert again.data == first.data
    assert drawn == ["x"]


def test_concurrent_first_requests_for_a_chart_wait_for_one_drawing(
    app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished_in_march(session)
    session.commit()
    assert app.test_client().get(PAGE).status_code == 200
    drawn: list[str] = []
    real = report_cache.render

    def slow(*args: Any) -> Any:
        drawn.append("x")
        time.sleep(0.4)  # long enough for every request to arrive while it draws
        return real(*args)

    monkeypatch.setattr(report_cache, "render", slow)
    bodies: list[bytes] = []

    def ask() -> None:
        bodies.append(app.test_client().get("/reports/charts/flow.svg?month=2026-03").data)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert drawn == ["x"]
    assert len(bodies) == 4 and len(set(bodies)) == 1 and bodies[0].startswith(b"<?xml")
    assert session.scalar(select(func.count()).select_from(ReportLock)) == 0


def test_a_lock_left_by_a_builder_that_died_is_taken_over(
    client: FlaskClient, session: Session, builds: list[str]
) -> None:
    params = ReportParams(month=Month(2026, 3))
    key = report_cache.build_key(params, int(data_version(session)))
    session.add(ReportLock(key=key, claimed_at=NOW - timedelta(minutes=10)))
    session.commit()
    assert client.get(PAGE).status_code == 200
    assert builds == ["build"]


def test_a_png_is_drawn_once_from_the_build_and_kept(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished_in_march(session)
    session.commit()
    first = client.get("/reports/charts/flow.png?month=2026-03")
    drawn: list[str] = []
    real = report_cache.render
    monkeypatch.setattr(report_cache, "render", lambda *a: drawn.append("x") or real(*a))
    again = client.get("/reports/charts/flow.png?month=2026-03")
    assert first.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert again.data == first.data
    assert drawn == []


def test_warming_builds_the_month_so_the_first_visitor_does_not_wait(
    runner: FlaskCliRunner, client: FlaskClient, session: Session, builds: list[str]
) -> None:
    finished_in_march(session)
    session.commit()
    result = runner.invoke(args=["reports", "warm", "--month", "2026-03"])
    assert result.exit_code == 0, result.output
    assert "March 2026" in result.output
    built = len(builds)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Kanban square" in page.get_data(as_text=True)
    assert len(builds) == built == 1


def test_warming_without_a_month_builds_this_month_and_the_last(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = runner.invoke(args=["reports", "warm"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count(ReportBuild.id))) == 2


def test_warming_a_month_that_is_not_one_is_refused(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["reports", "warm", "--month", "2026-13"])
    assert result.exit_code != 0
    assert "YYYY-MM" in result.output


@pytest.mark.parametrize(
    "change",
    ["observation", "move", "block", "reflection", "link", "title"],
)
def test_every_change_a_report_shows_bumps_the_data_version(session: Session, change: str) -> None:
    card = finished_in_march(session)
    observation = make_observation(session, observed_at=MARCH)
    session.commit()
    before = data_version(session)
    if change == "observation":
        make_observation(session, observed_at=MARCH)
    elif change == "move":
        session.add(CardMove(improvement=card, from_column=DONE, to_column=DO, moved_at=NOW))
    elif change == "block":
        session.add(BlockPeriod(improvement=card, started_at=MARCH, reason="Parts"))
    elif change == "reflection":
        session.add(Reflection(improvement=card, learnt="Ask the people at the station."))
    elif change == "link":
        observation.improvements.append(card)
    else:
        card.title = "Kanban square, second try"
    session.commit()
    assert data_version(session) != before


def test_reading_a_report_does_not_bump_the_data_version(
    client: FlaskClient, session: Session
) -> None:
    finished_in_march(session)
    session.commit()
    before = data_version(session)
    open_everything(client)
    client.get("/reports/csv/finished.csv?month=2026-03")
    assert data_version(session) == before
