"""The plant's time zone: months and days begin at the plant's midnight, pages show local time,
and storage stays UTC (on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen.extensions import db
from kaizen.models import BoardColumn, Observation, Outcome, Role, User, utcnow
from kaizen.services import flow, report_data
from kaizen.services.flow_data import load_card_logs
from kaizen.services.imports import import_rows, read_table
from kaizen.services.months import Month
from kaizen.services.plant_time import to_local, use_zone
from kaizen.services.report_cache import build_key
from kaizen.services.reports import ReportParams, monthly_report
from tests.conftest import SignIn
from tests.factories import make_moved_improvement, make_observation, make_user

PLAN, DO, DONE = BoardColumn.PLAN, BoardColumn.DO, BoardColumn.DONE
# 2026's last Sunday of October is the 25th: Berlin leaves summer time (UTC+2 -> UTC+1).
BERLIN_SWITCH = datetime(2026, 10, 25, 1, 0)


def finished_at(session: Session, moment: datetime, title: str) -> None:
    """A card finished (adopted) at the stored UTC `moment`, started two days before."""
    make_moved_improvement(
        session,
        [(PLAN, moment - timedelta(days=2)), (DO, moment - timedelta(days=1)), (DONE, moment)],
        created_at=moment - timedelta(days=3),
        title=title,
        outcome=Outcome.ADOPTED,
    )


def finished_titles(session: Session, month: Month, now: datetime) -> set[str]:
    report = monthly_report(session, month, now)
    return {flow.title for flow in report.finished}


def test_berlin_months_end_at_local_midnight_across_the_october_clock_change(
    session: Session,
) -> None:
    with use_zone("Europe/Berlin"):
        october = Month(2026, 10)
        # October begins at midnight summer time (UTC+2) and ends at midnight winter time.
        assert october.start == datetime(2026, 9, 30, 22, 0)
        assert october.end == datetime(2026, 10, 31, 23, 0)
        assert october.end - october.start == timedelta(days=31, hours=1)

    finished_at(session, datetime(2026, 10, 31, 22, 30), "Late on the 31st (23:30 CET)")
    finished_at(session, datetime(2026, 10, 31, 23, 30), "00:30 CET on 1 November")
    finished_at(session, BERLIN_SWITCH - timedelta(minutes=30), "Before the clocks went back")
    session.commit()
    now = datetime(2026, 11, 20, 12, 0)

    with use_zone("Europe/Berlin"):
        assert finished_titles(session, Month(2026, 10), now) == {
            "Late on the 31st (23:30 CET)",
            "Before the clocks went back",
        }
        assert finished_titles(session, Month(2026, 11), now) == {"00:30 CET on 1 November"}
        throughput = {
            t.month: t.total for t in monthly_report(session, Month(2026, 11), now).throughput
        }
        assert throughput[Month(2026, 10)] == 2
        assert throughput[Month(2026, 11)] == 1
    # The same rows counted in UTC put all three in October.
    with use_zone("UTC"):
        assert len(finished_titles(session, Month(2026, 10), now)) == 3


def test_east_of_utc_a_card_finished_at_half_past_midnight_on_the_first_counts_in_that_month(
    session: Session,
) -> None:
    # 00:30 on 1 March in Tokyo (UTC+9) is 15:30 on 28 February in UTC.
    finished_at(session, datetime(2026, 2, 28, 15, 30), "Tokyo 1 March 00:30")
    session.commit()
    now = datetime(2026, 3, 20, 3, 0)

    with use_zone("Asia/Tokyo"):
        assert finished_titles(session, Month(2026, 3), now) == {"Tokyo 1 March 00:30"}
        assert finished_titles(session, Month(2026, 2), now) == set()
        assert Month.of(datetime(2026, 2, 28, 15, 30)) == Month(2026, 3)


def test_the_cumulative_flow_counts_the_plant_s_days_across_the_clock_change(
    session: Session,
) -> None:
    """Where cards stood at the end of each Berlin day, counted in the database, equals the
    count from the move log in Python; a card finished at 00:30 local time counts on that
    day, not on the UTC day before."""
    # 00:30 CEST on 25 October (22:30 UTC on the 24th), 00:30 CET on 26 October (23:30 UTC on
    # the 25th, after the clocks went back), and 23:30 CET on 31 October (22:30 UTC).
    finished_at(session, datetime(2026, 10, 24, 22, 30), "Just after midnight in summer time")
    finished_at(session, datetime(2026, 10, 25, 23, 30), "Just after midnight in winter time")
    finished_at(session, datetime(2026, 10, 31, 22, 30), "Late on the 31st")
    session.commit()
    now = datetime(2026, 11, 20, 12, 0)
    first, last = date(2026, 10, 20), date(2026, 11, 2)

    with use_zone("Europe/Berlin"):
        in_database = report_data.cumulative_flow(session, first, last, now)
        from_the_log = flow.cumulative_flow(load_card_logs(session), first, last, now)
    assert in_database == from_the_log
    done = {day.day: day.counts[DONE] for day in in_database}
    assert done[date(2026, 10, 24)] == 0
    assert done[date(2026, 10, 25)] == 1
    assert done[date(2026, 10, 26)] == 2
    assert done[date(2026, 10, 31)] == 3
    # In UTC the first two land a day earlier.
    with use_zone("UTC"):
        utc_done = {
            day.day: day.counts[DONE]
            for day in report_data.cumulative_flow(session, first, last, now)
        }
    assert utc_done[date(2026, 10, 24)] == 1
    assert utc_done[date(2026, 10, 25)] == 2


def test_the_report_cache_key_changes_with_the_zone() -> None:
    params = ReportParams(month=Month(2026, 3))
    with use_zone("Europe/Berlin"):
        berlin = build_key(params, 7)
    with use_zone("Asia/Tokyo"):
        tokyo = build_key(params, 7)
    assert berlin != tokyo


def test_an_admin_sets_the_zone_and_the_list_filters_and_shows_plant_time(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    admin = make_user(session, role=Role.ADMIN)
    make_observation(
        session, observed_at=datetime(2026, 2, 28, 15, 30), description="Spill by press 4."
    )
    session.commit()
    sign_in(admin)

    before = client.get("/observations?month=2026-02").get_data(as_text=True)
    assert "Spill by press 4." in before
    assert "28 Feb 2026, 15:30" in before

    page = client.get("/settings/plant")
    assert page.status_code == 200
    assert "Plant settings" in page.get_data(as_text=True)
    saved = client.post("/settings/plant", data={"time_zone": "Asia/Tokyo"})
    assert saved.status_code == 302
    assert "Asia/Tokyo" in client.get("/settings/plant").get_data(as_text=True)

    march = client.get("/observations?month=2026-03").get_data(as_text=True)
    february = client.get("/observations?month=2026-02").get_data(as_text=True)
    assert "Spill by press 4." in march
    assert "01 Mar 2026, 00:30" in march
    assert "Spill by press 4." not in february
    # Storage stays UTC.
    session.expire_all()
    stored = session.query(Observation).one()
    assert stored.observed_at == datetime(2026, 2, 28, 15, 30)


def test_a_zone_that_does_not_exist_is_refused_with_a_clear_message(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    sign_in(admin)

    for hostile in ("Mars/Olympus", "../../etc/passwd", ""):
        answer = client.post("/settings/plant", data={"time_zone": hostile})
        assert answer.status_code == 422
        assert "is not a time zone" in answer.get_data(as_text=True)
    # Longer than any zone's name: refused by the length every one-line box has.
    answer = client.post("/settings/plant", data={"time_zone": "x" * 500})
    assert answer.status_code == 422
    assert "Keep this to 200 characters or fewer." in answer.get_data(as_text=True)


def test_only_admins_reach_the_plant_settings(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    lead = make_user(session, role=Role.LEAD)
    session.commit()
    assert client.get("/settings/plant").status_code in (302, 401)
    sign_in(lead)
    assert client.get("/settings/plant").status_code == 403
    assert client.post("/settings/plant", data={"time_zone": "Asia/Tokyo"}).status_code == 403


def test_csv_times_are_the_plant_s_and_an_import_reads_them_back_on_any_plant_clock(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    """The spreadsheet shows the plant's clock and names its zone in the heading, the audit
    trail too; an import reads a heading's zone, or the plant's when the heading has none."""
    admin = make_user(session, role=Role.ADMIN)
    # 00:30 summer time in Berlin on 25 October is 22:30 UTC on the 24th.
    make_observation(
        session, observed_at=datetime(2026, 10, 24, 22, 30), description="Forklift late."
    )
    session.commit()
    sign_in(admin)
    assert client.post("/settings/plant", data={"time_zone": "Europe/Berlin"}).status_code == 302

    exported = client.get("/observations/export.csv").data
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[0]["Observed at (Europe/Berlin)"] == "2026-10-25 00:30"

    def imported(table: list[list[str]], zone: str) -> datetime:
        with use_zone(zone):
            preview = import_rows(session, table, dry_run=False)
        assert preview.ok, preview.errors
        newest = session.scalars(select(Observation).order_by(Observation.id.desc())).first()
        assert newest is not None
        return newest.observed_at

    # Our own file names its zone: read on Berlin's clock wherever the plant is now.
    assert imported(read_table("o.csv", exported), "Asia/Tokyo") == datetime(2026, 10, 24, 22, 30)
    # A plant's own spreadsheet says nothing of zones: its times are the plant's.
    plain = [["Observed at", "Area", "Waste", "Description"],
             ["2026-10-25 00:30", "Press 1", "Waiting", "Forklift late again."]]  # fmt: skip
    assert imported(plain, "Europe/Berlin") == datetime(2026, 10, 24, 22, 30)
    assert imported(plain, "UTC") == datetime(2026, 10, 25, 0, 30)


def test_the_audit_trail_shows_and_filters_the_plant_s_days(app: Flask) -> None:
    with app.app_context():
        admin = make_user(db.session, role=Role.ADMIN)
        db.session.commit()
        username = admin.username
        db.session.remove()
    client = app.test_client()
    SignIn(client)(User(username=username))
    assert client.post("/settings/plant", data={"time_zone": "Europe/Berlin"}).status_code == 302
    assert (
        client.get("/admin/audit.csv").data.decode("utf-8-sig").startswith("When (Europe/Berlin),")
    )
    with use_zone("Europe/Berlin"):
        today = to_local(utcnow()).date()

    def trail(day: date) -> str:
        query = {"since": day.isoformat(), "until": day.isoformat()}
        return client.get("/admin/audit", query_string=query).get_data(as_text=True)

    assert "plant time zone Europe/Berlin" in trail(today)
    assert "plant time zone Europe/Berlin" not in trail(today + timedelta(days=1))
