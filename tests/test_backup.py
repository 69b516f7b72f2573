"""`kaizen backup` / `kaizen restore` and the downgrade guard, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaizen import create_app
from kaizen.extensions import db
from kaizen.models import BoardColumn, CardMove, Improvement, Observation, Waste
from kaizen.services.backup import write_backup
from kaizen.services.learning import LessonFilters, find_lessons
from kaizen.services.observations import ObservationFilters, list_observations
from kaizen.services.root_causes import create_root_cause, list_root_causes
from tests.conftest import POSTGRES_URL, app_config, empty_all_tables
from tests.factories import make_area, make_observation, make_reflection, make_team, make_user

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def target(app: Flask, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """An empty database to restore into: a new SQLite file, or the emptied PostgreSQL one."""
    if POSTGRES_URL:
        yield app
        return
    folder = tmp_path / "target"
    folder.mkdir()
    shutil.copyfile(request.getfixturevalue("sqlite_template"), folder / "kaizen.db")
    other = create_app(app_config(f"sqlite:///{folder / 'kaizen.db'}", folder))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def empty_source(app: Flask) -> None:
    """On PostgreSQL the target is the same database: empty it after the backup."""
    if POSTGRES_URL:
        with app.app_context():
            db.session.remove()
            empty_all_tables()


def write_stream(app: Flask, stop: threading.Event, written: list[int]) -> None:
    """Keep reporting observations and filing cards (each moved on to Do) until stopped."""
    with app.app_context():
        area = db.session.scalar(select(make_area.__globals__["Area"]))
        assert area is not None
        number = 0
        while not stop.is_set():
            number += 1
            observation = Observation(
                area_id=area.id, waste=Waste.MOTION, description=f"Walk number {number}."
            )
            card = Improvement(
                team_id=area.team_id,
                title=f"Card {number}",
                problem="Walking.",
                board_column=BoardColumn.DO,
            )
            db.session.add_all([observation, card])
            db.session.flush()
            db.session.add_all(
                [
                    CardMove(improvement_id=card.id, from_column=None, to_column=BoardColumn.IDEAS),
                    CardMove(
                        improvement_id=card.id,
                        from_column=BoardColumn.IDEAS,
                        to_column=BoardColumn.DO,
                    ),
                ]
            )
            db.session.commit()
            written.append(observation.id)
        db.session.remove()


def test_a_backup_taken_while_people_keep_writing_restores_one_consistent_moment(
    app: Flask, session: Session, target: Flask, tmp_path: Path
) -> None:
    team = make_team(session)
    make_area(session, team=team)
    make_observation(session, photo=PHOTO, photo_thumb=PHOTO[:64], photo_type="image/png")
    session.commit()
    stop, written = threading.Event(), []
    writer = threading.Thread(target=write_stream, args=(app, stop, written))
    writer.start()
    try:
        while len(written) < 15:
            time.sleep(0.01)
        before = list(written)
        summary = write_backup(db.engine, tmp_path / "plant.zip")
        while len(written) < len(before) + 15:
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join()
    assert summary.rows["observation"] >= len(before) + 1

    empty_source(app)
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "plant.zip")])
        assert result.exit_code == 0, result.output
        assert "Restored" in result.output

        restored = set(db.session.scalars(select(Observation.id)))
        # Everything written before the backup began is there ...
        assert set(before) <= restored
        assert len(restored) == summary.rows["observation"]
        # ... and the rows are one moment: every card with both its moves, and the column
        # of each card is where its last move took it.
        cards = db.session.scalars(select(Improvement)).all()
        assert len(cards) == len(restored) - 1
        for card in cards:
            moves = db.session.scalars(
                select(CardMove).where(CardMove.improvement_id == card.id).order_by(CardMove.id)
            ).all()
            assert [m.to_column for m in moves] == [BoardColumn.IDEAS, BoardColumn.DO]
            assert card.board_column == moves[-1].to_column
        photo = db.session.scalar(select(Observation).where(Observation.photo_type.is_not(None)))
        assert photo is not None and photo.photo == PHOTO
        # New rows get fresh ids after the restore (sequences moved past the restored ones).
        newest = make_observation(db.session, area_id=photo.area_id)
        db.session.commit()
        assert newest.id > max(restored)


def test_a_restored_plant_can_be_searched_at_once(
    app: Flask, session: Session, target: Flask, tmp_path: Path
) -> None:
    make_observation(session, description="Forklift late again.")
    make_reflection(session, title="Kanban square", learnt="Drivers stopped waiting.")
    create_root_cause(session, problem="Press 4 stops", why="Why?", because="Coils arrive late")
    session.commit()
    write_backup(db.engine, tmp_path / "plant.zip")
    with zipfile.ZipFile(tmp_path / "plant.zip") as archive:
        # The index is not data: no FTS5 table or tsvector column is in the archive.
        assert not [name for name in archive.namelist() if "_fts" in name]
        assert "search_vector" not in archive.read("observation.jsonl").decode()

    empty_source(app)
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "plant.zip")])
        assert result.exit_code == 0, result.output
        observations = list_observations(db.session, ObservationFilters(text="forklift"))
        lessons = find_lessons(db.session, LessonFilters(text="waits"))
        records = list_root_causes(db.session, text="arriving coil")
        assert [row.description for row in observations.rows] == ["Forklift late again."]
        assert [row.title for row in lessons] == ["Kanban square"]
        assert [row.problem for row in records] == ["Press 4 stops"]


def test_restore_refuses_a_database_that_holds_data(
    app: Flask, session: Session, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    make_observation(session, description="The only report.")
    session.commit()
    assert runner.invoke(args=["backup", str(tmp_path / "b.zip")]).exit_code == 0

    result = runner.invoke(args=["restore", str(tmp_path / "b.zip")])

    assert result.exit_code == 1
    assert "This database is not empty, so nothing was restored" in result.output
    assert "observation (1 rows)" in result.output
    assert "Traceback" not in result.output
    assert session.scalar(select(func.count()).select_from(Observation)) == 1


def test_restore_says_plainly_when_the_file_is_not_a_backup(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    (tmp_path / "notes.zip").write_text("not an archive")
    missing = runner.invoke(args=["restore", str(tmp_path / "missing.zip")])
    wrong = runner.invoke(args=["restore", str(tmp_path / "notes.zip")])
    assert "There is no backup file" in missing.output
    assert "is not a Kaizen backup" in wrong.output
    assert missing.exit_code == wrong.exit_code == 1


def test_downgrade_to_base_refuses_a_database_holding_data(
    session: Session, runner: FlaskCliRunner
) -> None:
    make_user(session)
    session.commit()

    result = runner.invoke(args=["db", "downgrade", "base"])

    assert result.exit_code == 1
    assert "this database holds data: user_account (1 rows)" in result.output
    assert "--force" in result.output
    assert session.scalar(select(func.count()).select_from(make_user.__globals__["User"])) == 1


@pytest.mark.skipif(bool(POSTGRES_URL), reason="migrates a database file of its own")
def test_downgrade_to_base_with_force_drops_the_tables(tmp_path: Path) -> None:
    app = create_app(app_config(f"sqlite:///{tmp_path / 'own.db'}", tmp_path))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        make_team(db.session)
        db.session.commit()

    refused = runner.invoke(args=["db", "downgrade", "--", "-30"])
    assert refused.exit_code == 1 and "holds data" in refused.output
    forced = runner.invoke(args=["db", "downgrade", "base", "--force"])
    assert forced.exit_code == 0, forced.output
    with app.app_context():
        from sqlalchemy import inspect

        assert "team" not in inspect(db.engine).get_table_names()
        db.engine.dispose()
