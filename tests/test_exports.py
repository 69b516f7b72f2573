"""CSV of every table a person sees: the same rows as the page, with the filters they chose,
spreadsheet-friendly (UTF-8 with a byte-order mark, formulas made inert), and the same access
rule as the page."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kaizen.models import (
    BoardColumn,
    Outcome,
    Role,
    RootCause,
    RootCauseCategory,
    RootCauseStatus,
    Waste,
    WhyStep,
    utcnow,
)
from tests.conftest import SignIn
from tests.factories import (
    make_area,
    make_improvement,
    make_moved_improvement,
    make_observation,
    make_team,
    make_user,
)
from tests.test_learning import make_finished


def download(client: FlaskClient, address: str) -> list[dict[str, str]]:
    """Fetch a CSV download and read it as a spreadsheet would: one dict per row."""
    response = client.get(address)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.data.startswith(b"\xef\xbb\xbf"), "a byte-order mark for spreadsheets"
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_observation_list_downloads_with_its_filters_and_every_page(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    press = make_area(session, name="Press 1", slug="press-1")
    other = make_area(session, name="Paint shop", slug="paint")
    for n in range(30):  # more than one page of the list
        make_observation(
            session, area=press, description=f"Die change {n}", observed_at=datetime(2026, 3, 2)
        )
    make_observation(session, area=press, waste=Waste.MOTION, observed_at=datetime(2026, 3, 3))
    make_observation(session, area=other, observed_at=datetime(2026, 3, 3))
    make_observation(session, area=press, observed_at=datetime(2026, 4, 3))
    viewer = make_user(session, role=Role.VIEWER)
    session.commit()
    sign_in(viewer)

    page = client.get("/observations?area=press-1&waste=waiting&month=2026-03").get_data(
        as_text=True
    )
    assert "/observations/export.csv?area=press-1&amp;waste=waiting&amp;month=2026-03" in page
    rows = download(client, "/observations/export.csv?area=press-1&waste=waiting&month=2026-03")

    assert len(rows) == 30
    assert {row["Area"] for row in rows} == {"Press 1"}
    assert {row["Waste"] for row in rows} == {Waste.WAITING.label}
    assert {row["Observed at (UTC)"] for row in rows} == {"2026-03-02 00:00"}
    assert rows[0]["Reported by"] == "Anonymous"


def test_the_observation_csv_needs_the_same_sign_in_as_the_list(client: FlaskClient) -> None:
    response = client.get("/observations/export.csv")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_made_inert(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    make_observation(session, description='=HYPERLINK("http://evil","click")')
    make_observation(session, description="Zoë's café: 20 mín lost")
    viewer = make_user(session, role=Role.VIEWER)
    session.commit()
    sign_in(viewer)
    descriptions = {row["Description"] for row in download(client, "/observations/export.csv")}
    assert descriptions == {'\'=HYPERLINK("http://evil","click")', "Zoë's café: 20 mín lost"}


def test_the_board_downloads_the_cards_of_the_team_shown(
    client: FlaskClient, session: Session
) -> None:
    press = make_team(session, name="Press", slug="press")
    paint = make_team(session, name="Paint", slug="paint")
    make_improvement(session, team=press, title="Kanban square")
    make_improvement(session, team=press, title="Tool wall", board_column=BoardColumn.DO)
    make_improvement(session, team=paint, title="Mixing timer")
    session.commit()

    page = client.get("/board/press").get_data(as_text=True)
    assert "/board/export.csv?team=press" in page
    rows = download(client, "/board/export.csv?team=press")
    assert {(row["Title"], row["Column"], row["Team"]) for row in rows} == {
        ("Kanban square", BoardColumn.IDEAS.label, "Press"),
        ("Tool wall", BoardColumn.DO.label, "Press"),
    }
    every = download(client, "/board/export.csv")
    assert {row["Title"] for row in every} == {"Kanban square", "Tool wall", "Mixing timer"}
    assert client.get("/board/export.csv?team=nobody").status_code == 404


def test_the_board_csv_keeps_the_done_filter_of_the_board_shown(
    client: FlaskClient, session: Session
) -> None:
    press = make_team(session, name="Press", slug="press")
    now = utcnow()
    make_moved_improvement(
        session, [(BoardColumn.DONE, now - timedelta(days=2))], team=press, title="Just finished"
    )
    make_moved_improvement(
        session, [(BoardColumn.DONE, now - timedelta(days=90))], team=press, title="Long done"
    )
    session.commit()

    page = client.get("/board/press?done=all").get_data(as_text=True)
    assert "/board/export.csv?team=press&amp;done=all" in page
    recent = {row["Title"] for row in download(client, "/board/export.csv?team=press")}
    every = {row["Title"] for row in download(client, "/board/export.csv?team=press&done=all")}
    assert recent == {"Just finished"}
    assert every == {"Just finished", "Long done"}


def test_the_move_log_downloads_for_a_team_and_for_one_card(
    client: FlaskClient, session: Session
) -> None:
    press = make_team(session, name="Press", slug="press")
    card = make_moved_improvement(
        session,
        [(BoardColumn.PLAN, datetime(2026, 3, 2, 8)), (BoardColumn.DO, datetime(2026, 3, 4, 9))],
        created_at=datetime(2026, 3, 1, 7),
        team=press,
        title="Kanban square",
    )
    make_improvement(session, title="Elsewhere")
    session.commit()

    card_page = client.get(f"/improvements/{card.id}").get_data(as_text=True)
    assert f"/board/moves.csv?card={card.id}" in card_page
    rows = download(client, f"/board/moves.csv?card={card.id}")
    assert [(row["From"], row["To"], row["Moved at (UTC)"]) for row in rows] == [
        ("", BoardColumn.IDEAS.label, "2026-03-01 07:00"),
        (BoardColumn.IDEAS.label, BoardColumn.PLAN.label, "2026-03-02 08:00"),
        (BoardColumn.PLAN.label, BoardColumn.DO.label, "2026-03-04 09:00"),
    ]
    assert {row["Title"] for row in download(client, "/board/moves.csv?team=press")} == {
        "Kanban square"
    }
    odd = client.get('/board/moves.csv?team=a"b;c')
    assert odd.headers["Content-Disposition"] == 'attachment; filename="kaizen-moves-a-b-c.csv"'
    assert len(download(client, "/board/moves.csv")) == 4


def test_five_whys_download_with_their_steps_and_the_lists_filters(
    client: FlaskClient, session: Session
) -> None:
    record = RootCause(
        problem="Press stops at shift change",
        category=RootCauseCategory.METHOD,
        status=RootCauseStatus.OPEN,
        root_cause="No handover standard",
    )
    record.steps = [
        WhyStep(position=1, why="Why does it stop?", because="Nobody is at the press"),
        WhyStep(position=2, why="Why is nobody there?", because="-- handover in the office"),
    ]
    session.add(record)
    session.add(RootCause(problem="Paint runs", category=RootCauseCategory.MATERIAL))
    session.commit()

    page = client.get("/root-causes?category=method").get_data(as_text=True)
    assert "/root-causes/export.csv?category=method" in page
    rows = download(client, "/root-causes/export.csv?category=method")
    assert [(row["Step"], row["Why"], row["Because"]) for row in rows] == [
        ("1", "Why does it stop?", "Nobody is at the press"),
        ("2", "Why is nobody there?", "'-- handover in the office"),
    ]
    assert {row["Problem"] for row in rows} == {"Press stops at shift change"}
    every = download(client, "/root-causes/export.csv")
    assert [row["Problem"] for row in every].count("Paint runs") == 1


def test_the_learning_hub_downloads_every_reflection_its_search_finds(
    client: FlaskClient, session: Session, monkeypatch: object
) -> None:
    from kaizen.services import learning

    monkeypatch.setattr(learning, "HUB_LIMIT", 2)  # type: ignore[attr-defined]
    for n in range(3):
        make_finished(session, f"Scanner holster {n}", Outcome.NOT_ADOPTED, learnt="Holsters snag.")
    make_finished(session, "Label printer move", Outcome.ADOPTED, learnt="Closer is better.")
    session.commit()

    page = client.get("/learning?q=holsters").get_data(as_text=True)
    assert "/learning/export.csv?q=holsters" in page
    rows = download(client, "/learning/export.csv?q=holsters")
    assert sorted(row["Title"] for row in rows) == [f"Scanner holster {n}" for n in range(3)]
    assert {row["Outcome"] for row in rows} == {Outcome.NOT_ADOPTED.label}


def test_teams_and_areas_download_as_the_teams_page_lists_them(
    client: FlaskClient, session: Session
) -> None:
    press = make_team(session, name="Press", slug="press")
    make_area(session, name="Press 1", slug="press-1", team=press)
    make_area(session, name="Press 2", slug="press-2", team=press)
    make_team(session, name="Paint", slug="paint")
    session.commit()

    page = client.get("/teams").get_data(as_text=True)
    assert "/teams/export.csv" in page and "/areas/export.csv" in page
    teams = download(client, "/teams/export.csv")
    assert [(row["Team"], row["Areas"]) for row in teams] == [("Paint", "0"), ("Press", "2")]
    areas = download(client, "/areas/export.csv")
    assert [(row["Area"], row["Team"]) for row in areas] == [
        ("Press 1", "Press"),
        ("Press 2", "Press"),
    ]
