"""Importing a plant's spreadsheet of observations or cards: all rows or none, errors named by
row, cards keeping their dates as move history, and a round trip through our own CSV."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaizen.extensions import db
from kaizen.models import BoardColumn, CardMove, Improvement, Observation, Outcome, Role
from kaizen.services.exports import csv_bytes
from kaizen.services.imports import import_rows, read_table
from kaizen.services.months import Month
from kaizen.services.reports import monthly_report
from tests.conftest import POSTGRES_URL, SignIn, empty_all_tables
from tests.factories import (
    make_area,
    make_moved_improvement,
    make_observation,
    make_team,
    make_user,
)


def write_csv(tmp_path: Path, rows: list[list[str]], name: str = "plant.csv") -> Path:
    path = tmp_path / name
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


OBSERVATIONS = [
    ["Observed at", "Area", "Waste", "Description", "Minutes lost", "Notes"],
    ["2026-03-02 07:15", "Press 1", "Waiting", "Forklift late", "20", "x"],
    ["2026-03-03", "Paint shop", "motion", "Walked to the store", "", ""],
]


def test_a_spreadsheet_of_observations_imports_and_creates_its_areas(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    result = runner.invoke(args=["import", str(write_csv(tmp_path, OBSERVATIONS))])
    assert result.exit_code == 0, result.output
    assert "Notes -> (ignored)" in result.output
    assert "New areas: Press 1, Paint shop" in result.output
    assert "Imported 2 observations." in result.output
    rows = session.scalars(select(Observation).order_by(Observation.observed_at)).all()
    assert [(o.area.name, o.waste.value, o.minutes_lost) for o in rows] == [
        ("Press 1", "waiting", 20),
        ("Paint shop", "motion", None),
    ]
    assert rows[0].observed_at == datetime(2026, 3, 2, 7, 15)


def test_a_bad_row_imports_nothing_and_is_named_with_its_reason(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    rows = [
        *OBSERVATIONS,
        ["2026-03-04", "Press 1", "Sleeping", "Nap", "5", ""],
        ["31 March", "Press 1", "Waiting", "Late", "ten", ""],
    ]
    result = runner.invoke(args=["import", str(write_csv(tmp_path, rows))])
    assert result.exit_code == 1
    assert "Row 4: Waste “Sleeping” is not one of" in result.output
    assert "Row 5: Minutes lost “ten” is not a whole number" in result.output
    assert "Nothing imported: 2 rows need fixing." in result.output
    assert count(session, Observation) == 0
    assert "Traceback" not in result.output


def test_a_dry_run_shows_the_mapping_and_writes_nothing(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, OBSERVATIONS)
    result = runner.invoke(args=["import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Observed at -> observed at" in result.output
    assert "Dry run: all 2 rows can be imported; nothing written." in result.output
    assert count(session, Observation) == 0


def test_a_file_that_is_not_a_spreadsheet_gets_a_clear_message(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "photo.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n not a workbook")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "not a readable XLSX workbook" in result.output
    headless = write_csv(tmp_path, [["Name", "Age"], ["a", "1"]])
    result = runner.invoke(args=["import", str(headless)])
    assert "neither a Title column" in result.output


def test_finished_cards_from_a_workbook_keep_their_dates_as_move_history(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Title", "Team", "Column", "Outcome", "Created at", "Finished at"])
    sheet.append(["Kanban square", "Press", "Done", "Adopted", datetime(2025, 11, 3), "2026-02-27"])
    sheet.append(["Tool wall", "Press", "Do", "", datetime(2026, 1, 5), ""])
    path = tmp_path / "ideas.xlsx"
    book.save(path)

    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    card = session.scalars(select(Improvement).where(Improvement.title == "Kanban square")).one()
    moves = session.scalars(
        select(CardMove).where(CardMove.improvement_id == card.id).order_by(CardMove.moved_at)
    ).all()
    assert [(m.to_column, m.moved_at) for m in moves] == [
        (BoardColumn.IDEAS, datetime(2025, 11, 3)),
        (BoardColumn.DONE, datetime(2026, 2, 27)),
    ]
    assert card.outcome == Outcome.ADOPTED and card.finished_at == datetime(2026, 2, 27)
    february = monthly_report(session, Month(2026, 2), datetime(2026, 3, 5))
    march = monthly_report(session, Month(2026, 3), datetime(2026, 3, 5))
    assert [c.title for c in february.finished] == ["Kanban square"]
    assert march.finished == []


def rows_of(data: bytes, id_heading: str = "ID") -> list[dict[str, str]]:
    """A CSV export without its ID column (a new plant numbers its rows anew)."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    for row in rows:
        row.pop(id_heading)
    return rows


def test_observations_and_cards_exported_and_imported_into_an_empty_plant_are_the_same_rows(
    client: FlaskClient,
    session: Session,
    sign_in: SignIn,
    request: pytest.FixtureRequest,
) -> None:
    press = make_team(session, name="Press", slug="press")
    area = make_area(session, name="Press 1", slug="press-1", team=press)
    for n in range(3):
        make_observation(
            session, area=area, description=f"=Die change {n}", observed_at=datetime(2026, 3, n + 1)
        )
    make_moved_improvement(
        session,
        [(BoardColumn.DO, datetime(2026, 3, 4, 9)), (BoardColumn.DONE, datetime(2026, 3, 9, 16))],
        created_at=datetime(2026, 3, 1, 7),
        team=press,
        area=area,
        title="Kanban square",
        outcome=Outcome.ADOPTED,
    )
    make_moved_improvement(
        session, [(BoardColumn.PLAN, datetime(2026, 3, 2, 8))], team=press, title="Tool wall"
    )
    viewer = make_user(session, role=Role.VIEWER)
    session.commit()
    sign_in(viewer)
    observations = client.get("/observations/export.csv").data
    cards = client.get("/board/export.csv?done=all").data

    # A new plant: every table empty but for one account to read the exports with.
    empty_the_plant(request)
    sign_in(make_user(session, role=Role.VIEWER))
    assert count(session, Observation) == count(session, Improvement) == 0
    assert import_rows(session, read_table("o.csv", observations), dry_run=False).ok
    assert import_rows(session, read_table("c.csv", cards), dry_run=False).ok

    assert rows_of(client.get("/observations/export.csv").data) == rows_of(observations)
    assert rows_of(client.get("/board/export.csv?done=all").data) == rows_of(cards)
    assert rows_of(observations)[0]["Description"].startswith("'=Die change")
    stored = session.scalars(select(Observation.description)).all()
    assert sorted(stored) == [f"=Die change {n}" for n in range(3)]


def empty_the_plant(request: pytest.FixtureRequest) -> None:
    """Start the app's database again with no rows: PostgreSQL emptied (as between tests),
    SQLite replaced by the suite's empty file (its move log refuses deletes)."""
    db.session.remove()
    if POSTGRES_URL:
        empty_all_tables()
        return
    path = Path(db.engine.url.database or "")
    db.engine.dispose()
    for journal in ("-wal", "-shm"):
        path.with_name(path.name + journal).unlink(missing_ok=True)
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)


def test_the_exported_csv_reads_back_cell_for_cell() -> None:
    from kaizen.services.exports import Table

    table = read_table("t.csv", csv_bytes(Table(["A", "B"], [["Zoë", 3]])))
    assert table == [["A", "B"], ["Zoë", "3"]]


def upload(client: FlaskClient, rows: list[list[str]], action: str) -> tuple[int, str]:
    """Post a CSV to the import page as the browser's htmx form does."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    response = client.post(
        "/import",
        data={
            "file": (io.BytesIO(buffer.getvalue().encode()), "plant.csv"),
            "action": action,
            "kind": "",
        },
        headers={"HX-Request": "true"},
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


def test_the_import_page_is_for_admins_only(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    assert client.get("/import").status_code == 302
    lead = make_user(session, role=Role.LEAD)
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    sign_in(lead)
    assert client.get("/import").status_code == 403
    sign_in.out()
    sign_in(admin)
    assert "Import a spreadsheet" in client.get("/import").get_data(as_text=True)


def test_the_import_page_checks_then_imports_and_names_bad_rows(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    sign_in(admin)

    status, body = upload(
        client, [*OBSERVATIONS, ["2026-03-04", "", "Waiting", "x", "", ""]], "import"
    )
    assert status == 422
    assert "<td>4</td><td>Area is empty</td>" in body
    assert count(session, Observation) == 0

    status, body = upload(client, OBSERVATIONS, "check")
    assert status == 200
    assert "All 2 rows of observations can be imported" in body
    assert "<td>Notes</td><td>ignored</td>" in body
    assert count(session, Observation) == 0

    status, body = upload(client, OBSERVATIONS, "import")
    assert status == 200 and "Imported 2 observations" in body
    assert count(session, Observation) == 2


def test_the_import_page_refuses_other_files_with_a_message(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    sign_in(admin)
    response = client.post(
        "/import",
        data={"file": (io.BytesIO(b"MZ\x90\x00"), "tool.exe"), "action": "check"},
        headers={"HX-Request": "true"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Only CSV or XLSX files can be imported." in response.get_data(as_text=True)


def test_a_german_export_imports_back_on_the_german_import_page(
    client: FlaskClient, session: Session, sign_in: SignIn, request: pytest.FixtureRequest
) -> None:
    german = {"Accept-Language": "de"}
    press = make_team(session, name="Press", slug="press")
    area = make_area(session, name="Press 1", slug="press-1", team=press)
    make_observation(
        session, area=area, description="Coils waited", observed_at=datetime(2026, 3, 1)
    )
    make_moved_improvement(
        session,
        [(BoardColumn.DO, datetime(2026, 3, 4, 9)), (BoardColumn.DONE, datetime(2026, 3, 9, 16))],
        team=press,
        area=area,
        title="Kanban square",
        outcome=Outcome.ADOPTED,
    )
    viewer = make_user(session, role=Role.VIEWER)
    session.commit()
    sign_in(viewer)
    observations = client.get("/observations/export.csv", headers=german).data
    cards = client.get("/board/export.csv?done=all", headers=german).data
    assert "Verschwendung" in observations.decode("utf-8-sig").splitlines()[0]

    sign_in.out()
    empty_the_plant(request)
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    sign_in(admin)
    for name, data in (("beobachtungen.csv", observations), ("karten.csv", cards)):
        response = client.post(
            "/import",
            data={"file": (io.BytesIO(data), name), "action": "import", "kind": ""},
            headers={**german, "HX-Request": "true"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    assert rows_of(client.get("/observations/export.csv", headers=german).data, "ID") == (
        rows_of(observations, "ID")
    )
    assert count(session, Observation) == 1 and count(session, Improvement) == 1
    card = session.scalars(select(Improvement)).one()
    assert card.board_column is BoardColumn.DONE and card.outcome is Outcome.ADOPTED
