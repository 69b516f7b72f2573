"""Migrations and models agree: a database built by migrations equals one built from models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from kaizen import MIGRATIONS_DIR, create_app
from kaizen.extensions import db
from kaizen.models import include_in_autogenerate

from .conftest import POSTGRES_URL, app_config


@pytest.fixture
def new_database_url(tmp_path: Path) -> Iterator[Any]:
    """Hand out URLs of brand-new empty databases (SQLite files or PostgreSQL databases)."""
    created: list[str] = []

    def make(label: str) -> str:
        if not POSTGRES_URL:
            return f"sqlite:///{tmp_path / f'{label}.db'}"
        name = f"kaizen_{label}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        created.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    if created:
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_for(url: str, tmp_path: Path) -> Flask:
    """An app bound to the given database."""
    return create_app(app_config(url, tmp_path))


def triggers() -> list[tuple[str, str]]:
    """(trigger, table) of every trigger the database holds: the inspector does not list them."""
    if db.engine.dialect.name == "sqlite":
        query = "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = (
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal"
        )
    with db.engine.connect() as connection:
        return sorted((str(name), str(table)) for name, table in connection.execute(text(query)))


def schema_snapshot(app: Flask) -> dict[str, Any]:
    """Everything about the schema that matters: columns, keys, indexes and constraints."""
    with app.app_context():
        inspector = inspect(db.engine)
        snapshot: dict[str, Any] = {}
        for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
            snapshot[table] = {
                "columns": [
                    (c["name"], str(c["type"]).split("(")[0], c["nullable"])
                    for c in inspector.get_columns(table)
                ],
                "pk": inspector.get_pk_constraint(table)["constrained_columns"],
                "fks": sorted(
                    (
                        fk["name"],
                        tuple(fk["constrained_columns"]),
                        fk["referred_table"],
                        (fk.get("options") or {}).get("ondelete"),
                    )
                    for fk in inspector.get_foreign_keys(table)
                ),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(table)
                ),
                "uniques": sorted(
                    (u["name"], tuple(u["column_names"]))
                    for u in inspector.get_unique_constraints(table)
                ),
                "checks": sorted(c["name"] for c in inspector.get_check_constraints(table)),
            }
        snapshot["triggers"] = triggers()
        db.engine.dispose()
    return snapshot


def test_a_database_built_by_migrations_equals_one_built_from_the_models(
    new_database_url: Any, tmp_path: Path
) -> None:
    migrated = app_for(new_database_url("migrated"), tmp_path)
    with migrated.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
    modelled = app_for(new_database_url("modelled"), tmp_path)
    with modelled.app_context():
        db.create_all()

    migrated_schema = schema_snapshot(migrated)
    assert migrated_schema == schema_snapshot(modelled)
    assert {"observation", "improvement", "card_move", "root_cause", "reflection"} <= set(
        migrated_schema
    )
    # The append-only log's triggers, and those that keep the full-text index in step
    # (PostgreSQL keeps the observations' in a generated column instead).
    indexed = {"reflection", "improvement", "root_cause", "why_step"}
    assert {table for _, table in migrated_schema["triggers"]} == {"card_move"} | indexed | (
        set() if POSTGRES_URL else {"observation"}
    )


def test_migrations_leave_nothing_for_autogenerate_to_add(
    new_database_url: Any, tmp_path: Path
) -> None:
    app = app_for(new_database_url("check"), tmp_path)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            # As `flask db check` compares (migrations/env.py): the full-text index is left out.
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "include_name": include_in_autogenerate},
            )
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_migrations_downgrade_to_an_empty_database(new_database_url: Any, tmp_path: Path) -> None:
    app = app_for(new_database_url("down"), tmp_path)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        downgrade(directory=str(MIGRATIONS_DIR), revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert tables == set()


def test_a_plant_with_data_goes_down_to_the_first_revision_and_back_up_with_its_rows(
    new_database_url: Any, tmp_path: Path
) -> None:
    from kaizen.demo import load_demo_plant
    from kaizen.models import utcnow

    app = app_for(new_database_url("round_trip"), tmp_path)
    counts = "SELECT (SELECT count(*) FROM improvement), (SELECT count(*) FROM card_move)"
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        load_demo_plant(db.session, now=utcnow(), seed=7)
        db.session.remove()
        with db.engine.connect() as connection:
            before = connection.execute(text(counts)).one()
        # Down to the first revision: every later change to the card table is undone, which
        # SQLite does by copying tables that others refer to.
        downgrade(directory=str(MIGRATIONS_DIR), revision="0001")
        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            after = connection.execute(text(counts)).one()
            # The backfills ran again: every card carries its team's change version.
            stale = connection.execute(
                text(
                    "SELECT count(*) FROM improvement i JOIN team t ON t.id = i.team_id "
                    "WHERE i.board_version <> t.board_version OR t.board_reset_version <> "
                    "t.board_version"
                )
            ).scalar()
            # 0007 flags the demo administrator, still holding the demo password.
            admin_flagged = connection.execute(
                text("SELECT password_change_due FROM user_account WHERE username = 'admin'")
            ).scalar()
        db.engine.dispose()
    assert after == before and before[1] > 0
    assert stale == 0
    assert admin_flagged


def test_the_search_migration_indexes_the_rows_already_stored(
    new_database_url: Any, tmp_path: Path
) -> None:
    from kaizen.services.learning import LessonFilters, find_lessons
    from kaizen.services.observations import ObservationFilters, list_observations
    from kaizen.services.root_causes import create_root_cause, list_root_causes
    from tests.factories import make_observation, make_reflection

    app = app_for(new_database_url("backfill"), tmp_path)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0011_plant_time")
        make_observation(db.session, description="Forklift late again.")
        make_reflection(db.session, title="Kanban square", learnt="Drivers stopped waiting.")
        create_root_cause(db.session, problem="Press 4 stops", why="Why?", because="Late coils")
        db.session.commit()
        db.session.remove()
        upgrade(directory=str(MIGRATIONS_DIR))
        observations = list_observations(db.session, ObservationFilters(text="forklifts"))
        lessons = find_lessons(db.session, LessonFilters(text="waits"))
        records = list_root_causes(db.session, text="coil")
        db.session.remove()
        db.engine.dispose()
    assert [row.description for row in observations.rows] == ["Forklift late again."]
    assert [row.title for row in lessons] == ["Kanban square"]
    assert [row.problem for row in records] == ["Press 4 stops"]


def test_flask_db_check_works_from_the_checkout_without_naming_the_app(tmp_path: Path) -> None:
    """`flask db check` in the project folder finds the app by itself (wsgi.py)."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'check.db'}"}
    env.pop("FLASK_APP", None)
    flask = [sys.executable, "-m", "flask"]
    upgraded = subprocess.run([*flask, "db", "upgrade"], cwd=root, env=env, capture_output=True)
    assert upgraded.returncode == 0, upgraded.stderr.decode()[-2000:]
    checked = subprocess.run([*flask, "db", "check"], cwd=root, env=env, capture_output=True)
    assert checked.returncode == 0, checked.stderr.decode()[-2000:]
    assert b"No new upgrade operations detected" in checked.stdout + checked.stderr
