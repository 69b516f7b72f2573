"""The monthly report pages: numbers, charts with ETags, CSV downloads, filters, bad months."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kaizen.models import BoardColumn, CardMove, Outcome, Reflection, Waste, utcnow
from kaizen.reports import views
from kaizen.services import report_cache
from tests.factories import make_area, make_moved_improvement, make_observation, make_team

PLAN, DO, DONE = BoardColumn.PLAN, BoardColumn.DO, BoardColumn.DONE
MARCH = datetime(2026, 3, 2, 8, 0)
NOW = datetime(2026, 4, 20, 10, 30)


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Pin the report's clock, so ETags do not turn over with the hour mid-test."""
    monkeypatch.setattr(views, "utcnow", lambda: NOW)
    return NOW


def finished_in_march(session: Session, title: str = "Kanban square", **fields: object):
    """A card that started on 2 March and reached Done three days later."""
    fields.setdefault("outcome", Outcome.ADOPTED)
    return make_moved_improvement(
        session,
        [(PLAN, MARCH), (DO, MARCH + timedelta(days=1)), (DONE, MARCH + timedelta(days=3))],
        created_at=MARCH - timedelta(days=1),
        title=title,
        **fields,
    )


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


# -- the page ---------------------------------------------------------------------------


def test_the_monthly_report_shows_the_months_numbers(client: FlaskClient, session: Session) -> None:
    card = finished_in_march(session, waste=Waste.WAITING)
    finished_in_march(session, title="Shadow board", outcome=Outcome.NOT_ADOPTED)
    make_observation(session, observed_at=MARCH)
    session.add(Reflection(improvement_id=card.id, learnt="Ask the people at the station."))
    session.commit()

    page = client.get("/reports/monthly/2026-03").get_data(as_text=True)

    assert "Improvement report — March 2026" in page
    assert "1 adopted · 1 not adopted" in page
    assert '3.0 <span class="stat-unit">days</span>' in page
    assert "Ask the people at the station." in page
    assert "Shadow board" in page


def test_the_report_is_open_without_signing_in(client: FlaskClient) -> None:
    assert client.get("/reports/monthly/2026-03").status_code == 200


def test_the_report_without_a_month_is_this_months(client: FlaskClient) -> None:
    page = client.get("/reports/monthly").get_data(as_text=True)
    assert f"Improvement report — {utcnow():%B %Y}" in page


def test_the_current_month_has_no_link_to_the_future(client: FlaskClient) -> None:
    page = client.get("/reports/monthly").get_data(as_text=True)
    assert 'rel="prev"' in page
    assert 'rel="next"' not in page


def test_a_past_month_links_to_the_months_either_side(client: FlaskClient) -> None:
    page = client.get("/reports/monthly/2026-01").get_data(as_text=True)
    assert 'href="/reports/monthly/2025-12"' in page
    assert 'href="/reports/monthly/2026-02"' in page


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-3", "march", "20260301"])
def test_a_month_that_does_not_exist_is_not_found(client: FlaskClient, month: str) -> None:
    response = client.get(f"/reports/monthly/{month}")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_an_empty_month_shows_friendly_words_instead_of_charts(client: FlaskClient) -> None:
    page = client.get("/reports/monthly/2026-03").get_data(as_text=True)
    assert "No improvements finished in March 2026 yet." in page
    assert "No observations reported in March 2026 yet." in page
    assert '<img class="chart"' not in page


def test_every_chart_of_a_busy_month_is_on_the_page_with_its_numbers(
    client: FlaskClient, session: Session
) -> None:
    finished_in_march(session)
    make_observation(session, observed_at=MARCH, minutes_lost=20)
    session.commit()

    page = client.get("/reports/monthly/2026-03").get_data(as_text=True)

    for name in views.CHART_NAMES:
        if name == "aging":
            continue  # nothing is in progress
        assert f"/reports/charts/{name}.svg?month=2026-03" in page
        assert f"/reports/csv/{name}.csv?month=2026-03" in page
    assert page.count("Show the numbers") >= 6
    assert "No cards in progress right now." in page
    # The Pareto's words say what its labels are: each waste's own share, the line the sum.
    assert "The share in brackets is that waste&#39;s own" in page
    assert "the share in brackets adds up" not in page


# -- filters ----------------------------------------------------------------------------


def test_the_team_filter_narrows_the_numbers_and_stays_in_every_link(
    client: FlaskClient, session: Session
) -> None:
    press = make_team(session, name="Press shop", slug="press")
    finished_in_march(session, team=press)
    finished_in_march(session, title="Elsewhere")
    session.commit()

    page = client.get("/reports/monthly/2026-03?team=press").get_data(as_text=True)

    assert "Elsewhere" not in page
    assert 'href="/reports/monthly/2026-02?team=press"' in page
    assert "/reports/charts/cycle-time.svg?month=2026-03&amp;team=press" in page
    assert '<option value="press" selected>' in page


def test_the_area_filter_narrows_the_month(client: FlaskClient, session: Session) -> None:
    line = make_area(session, slug="press-line-1", name="Press line 1")
    finished_in_march(session, area=line, title="At the press")
    finished_in_march(session, title="Elsewhere")
    session.commit()

    page = client.get("/reports/monthly/2026-03?area=press-line-1").get_data(as_text=True)

    assert "At the press" in page
    assert "Elsewhere" not in page


def test_an_unknown_team_is_not_found(client: FlaskClient) -> None:
    assert client.get("/reports/monthly/2026-03?team=nobody").status_code == 404


def test_durations_can_be_counted_in_working_days(client: FlaskClient, session: Session) -> None:
    finished_in_march(session)  # Monday to Thursday: 3 working days either way
    session.commit()
    page = client.get("/reports/monthly/2026-03?days=working").get_data(as_text=True)
    assert "Cycle time (working days)" in page
    assert 'value="working" selected' in page


# -- charts -----------------------------------------------------------------------------


def test_a_chart_is_served_as_svg_with_an_etag(
    client: FlaskClient, session: Session, fixed_now: datetime
) -> None:
    finished_in_march(session)
    session.commit()

    response = client.get("/reports/charts/cycle-time.svg?month=2026-03")

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["ETag"]
    assert "must-revalidate" in response.headers["Cache-Control"]
    ET.fromstring(response.data)


def test_a_chart_can_be_served_as_png(client: FlaskClient, fixed_now: datetime) -> None:
    response = client.get("/reports/charts/throughput.png?month=2026-03")
    assert response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")


def test_reopening_a_chart_that_has_not_changed_answers_304(
    client: FlaskClient, session: Session, fixed_now: datetime
) -> None:
    finished_in_march(session)
    session.commit()
    etag = client.get("/reports/charts/cycle-time.svg?month=2026-03").headers["ETag"]

    again = client.get(
        "/reports/charts/cycle-time.svg?month=2026-03", headers={"If-None-Match": etag}
    )

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag


def test_a_304_neither_builds_the_report_nor_draws(
    client: FlaskClient, session: Session, fixed_now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished_in_march(session)
    session.commit()
    etag = client.get("/reports/charts/cycle-time.svg?month=2026-03").headers["ETag"]

    def must_not_run(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a 304 must be answered from the fingerprint alone")

    monkeypatch.setattr(report_cache, "monthly_report", must_not_run)
    monkeypatch.setattr(report_cache, "render", must_not_run)
    again = client.get(
        "/reports/charts/cycle-time.svg?month=2026-03", headers={"If-None-Match": etag}
    )

    assert again.status_code == 304


def test_a_new_card_move_changes_the_charts_etag(
    client: FlaskClient, session: Session, fixed_now: datetime
) -> None:
    card = finished_in_march(session)
    session.commit()
    first = client.get("/reports/charts/cycle-time.svg?month=2026-03").headers["ETag"]

    session.add(
        CardMove(improvement=card, from_column=DONE, to_column=DO, moved_at=MARCH + timedelta(9))
    )
    session.commit()
    response = client.get(
        "/reports/charts/cycle-time.svg?month=2026-03", headers={"If-None-Match": first}
    )

    assert response.status_code == 200
    assert response.headers["ETag"] != first


def test_each_filter_has_its_own_etag(
    client: FlaskClient, session: Session, fixed_now: datetime
) -> None:
    make_team(session, slug="press")
    session.commit()
    plant = client.get("/reports/charts/flow.svg?month=2026-03").headers["ETag"]
    team = client.get("/reports/charts/flow.svg?month=2026-03&team=press").headers["ETag"]
    assert plant != team


def test_an_empty_months_chart_is_still_a_picture_with_a_message(
    client: FlaskClient, fixed_now: datetime
) -> None:
    response = client.get("/reports/charts/before-after.svg?month=2026-03")
    root = ET.fromstring(response.data)
    words = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "No improvements finished in March 2026 yet" in words


def test_an_unknown_chart_or_month_is_not_found(client: FlaskClient) -> None:
    assert client.get("/reports/charts/pie.svg?month=2026-03").status_code == 404
    assert client.get("/reports/charts/flow.gif?month=2026-03").status_code == 404
    assert client.get("/reports/charts/flow.svg?month=2026-99").status_code == 404


# -- CSV --------------------------------------------------------------------------------


def test_the_months_finished_improvements_download_as_csv(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session, name="Press shop", slug="press")
    finished_in_march(session, team=team, waste=Waste.WAITING)
    session.commit()

    response = client.get("/reports/csv/finished.csv?month=2026-03&team=press")

    assert response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="kaizen-finished-2026-03-press.csv"'
    )
    header, row = read_csv(response.data)
    assert header[:5] == ["Improvement", "Team", "Waste", "Outcome", "Finished"]
    assert row == [
        "Kanban square",
        "Press shop",
        "Waiting",
        "Adopted",
        "2026-03-05",
        "3.0",
        "4.0",
        "0.0",
        "Not yet",
    ]


def test_every_charts_numbers_download_as_csv(client: FlaskClient, session: Session) -> None:
    finished_in_march(session)
    make_observation(session, observed_at=MARCH)
    session.commit()
    for name in views.CHART_NAMES:
        response = client.get(f"/reports/csv/{name}.csv?month=2026-03")
        assert response.status_code == 200, name
        assert read_csv(response.data)[0], name


def test_the_throughput_csv_has_twelve_months(client: FlaskClient, session: Session) -> None:
    finished_in_march(session)
    session.commit()
    rows = read_csv(client.get("/reports/csv/throughput.csv?month=2026-03").data)
    assert rows[0] == ["Month", "Adopted", "Not adopted", "Reopened since", "Finished"]
    assert len(rows) == 13
    assert rows[-1] == ["2026-03", "1", "0", "0", "1"]


def test_text_that_looks_like_a_formula_is_defused_in_csv(
    client: FlaskClient, session: Session
) -> None:
    finished_in_march(session, title='=HYPERLINK("http://example.test")')
    session.commit()
    rows = read_csv(client.get("/reports/csv/finished.csv?month=2026-03").data)
    assert rows[1][0].startswith("'=")


def test_an_unknown_csv_is_not_found(client: FlaskClient) -> None:
    assert client.get("/reports/csv/everything.csv?month=2026-03").status_code == 404


def test_finished_cards_without_a_reflection_get_a_quiet_reminder(
    client: FlaskClient, session: Session
) -> None:
    reflected = finished_in_march(session, title="Kanban square")
    finished_in_march(session, title="Shadow board")
    session.add(Reflection(improvement=reflected, learnt="Small signals work."))
    session.commit()

    page = client.get("/reports/monthly/2026-03").get_data(as_text=True)

    assert "1 finished card is still waiting for the team&#39;s reflection" in page
    _header, *rows = read_csv(client.get("/reports/csv/finished.csv?month=2026-03").data)
    assert {row[0]: row[-1] for row in rows} == {
        "Kanban square": "Written",
        "Shadow board": "Not yet",
    }
