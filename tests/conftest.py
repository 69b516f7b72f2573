"""Shared fixtures: a fresh database per test, on SQLite or (when asked) PostgreSQL.

Set KAIZEN_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to
run the whole suite against PostgreSQL. There the schema is built once per session and
every table is emptied before each test, which is as fresh as a new database and much
faster than rebuilding it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings
from sqlalchemy import text
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from kaizen import create_app
from kaizen.config import normalise_database_url
from kaizen.extensions import db
from kaizen.models import User
from kaizen.models.search import POSTGRES_SEARCH_TABLES
from tests.factories import DEFAULT_PASSWORD

POSTGRES_URL = normalise_database_url(os.environ.get("KAIZEN_TEST_POSTGRES_URL", ""))

# Property tests: the default profile explores; the mutation run (tests/mutation/run.py) wants
# the same examples every time, and fewer of them, so each mutant is judged alike and quickly.
settings.register_profile("mutation", max_examples=25, derandomize=True, database=None)
settings.load_profile(os.environ.get("KAIZEN_HYPOTHESIS_PROFILE", "default"))


def app_config(database_url: str, instance_path: Path) -> dict[str, object]:
    """Settings for an app under test: no auto-migration, CSRF checked only where a test asks."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "AUTO_MIGRATE": False,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        "INSTANCE_PATH": str(instance_path),
    }


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str | None]:
    """Build the PostgreSQL schema once per session (or do nothing on SQLite)."""
    if not POSTGRES_URL:
        yield None
        return
    app = create_app(app_config(POSTGRES_URL, Path("/tmp")))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        db.engine.dispose()
    yield POSTGRES_URL


def empty_all_tables() -> None:
    """Remove every row and reset id sequences (PostgreSQL only), the full-text index's too
    (TRUNCATE fires no row triggers)."""
    tables = [table.name for table in db.metadata.sorted_tables] + list(POSTGRES_SEARCH_TABLES)
    names = ", ".join(f'"{name}"' for name in tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with the whole schema, built once and copied for each test.

    Copying a file is far quicker than creating every table again, which matters most in
    the mutation run, where the same tests run once per mutant.
    """
    folder = tmp_path_factory.mktemp("template")
    path = folder / "kaizen.db"
    app = create_app(app_config(f"sqlite:///{path}", folder))
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture
def app(
    tmp_path: Path, postgres_schema: str | None, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """A Kaizen app with an empty database of its own."""
    database_url = postgres_schema or f"sqlite:///{tmp_path / 'kaizen.db'}"
    if not postgres_schema:
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "kaizen.db")
    app = create_app(app_config(database_url, tmp_path))
    if postgres_schema:
        with app.app_context():
            empty_all_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


class SignIn:
    """Signs the test client in through the sign-in form (flaskr's `auth` fixture, typed)."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def __call__(self, user: User, password: str = DEFAULT_PASSWORD) -> None:
        """Sign in as `user` (made by make_user, whose default password this is)."""
        response = self.attempt(user.username, password)
        assert response.status_code == 302, response.get_data(as_text=True)

    def attempt(self, username: str, password: str, **query: str) -> TestResponse:
        """Post the sign-in form and hand back the answer, whatever it is."""
        return self._client.post(
            "/login", data={"username": username, "password": password}, query_string=query
        )

    def out(self) -> None:
        """Sign out."""
        self._client.post("/logout")


@pytest.fixture
def sign_in(client: FlaskClient) -> SignIn:
    """Sign the `client` in: `sign_in(user)`, `sign_in.attempt(name, password)`."""
    return SignIn(client)


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A runner for the app's CLI commands."""
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """The database session inside an app context, for service and model tests."""
    with app.app_context():
        yield db.session
        db.session.rollback()
