"""The app factory, configuration, health check, home page and error pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import kaizen
from kaizen import create_app
from kaizen.config import instance_secret_key, normalise_database_url
from kaizen.models import BoardColumn, Outcome, Waste, utcnow
from tests.factories import make_area, make_improvement, make_observation

from .conftest import POSTGRES_URL


def test_health_check_answers_ok_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_health_check_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent-dir/nowhere/kaizen.db",
            "AUTO_MIGRATE": False,
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert "ok" not in response.get_data(as_text=True)


def test_plain_postgres_urls_use_the_psycopg3_driver() -> None:
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_secret_key_is_generated_once_and_kept_in_the_instance_folder(tmp_path: Path) -> None:
    first = instance_secret_key(tmp_path)
    second = instance_secret_key(tmp_path)
    assert first == second
    assert len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_two_instance_folders_get_different_secret_keys(tmp_path: Path) -> None:
    assert instance_secret_key(tmp_path / "a") != instance_secret_key(tmp_path / "b")


def test_default_database_is_sqlite_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "AUTO_MIGRATE": False})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'kaizen.db'}"
    assert app.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()


def test_a_relative_instance_path_is_resolved_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAIZEN_INSTANCE_PATH", "var/kaizen")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"AUTO_MIGRATE": False})
    instance = tmp_path / "var" / "kaizen"
    assert app.instance_path == str(instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'kaizen.db'}"
    assert (instance / "secret_key").exists()


def test_without_a_setting_the_instance_folder_sits_beside_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Flask's default, whatever the working directory: <the kaizen package's parent>/instance.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KAIZEN_INSTANCE_PATH", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app({"AUTO_MIGRATE": False})
    assert app.instance_path == str(Path(kaizen.__file__).resolve().parent.parent / "instance")


def test_a_new_sqlite_database_is_migrated_on_start_with_wal_and_foreign_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("KAIZEN_AUTO_MIGRATE", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    from kaizen.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        assert version is not None
        db.engine.dispose()


def test_home_page_shows_this_months_reports_as_good_news(
    client: FlaskClient, session: Session
) -> None:
    area = make_area(session)
    for _ in range(3):
        make_observation(session, area=area, waste=Waste.MOTION, observed_at=utcnow())
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Reports in" in page
    assert ">3<" in page
    assert "healthy sign" in page


def test_home_page_lists_recently_finished_cards_with_their_outcome(
    client: FlaskClient, session: Session
) -> None:
    card = make_improvement(session, title="Shadow board for press tools")
    card.board_column = BoardColumn.DONE
    card.outcome = Outcome.NOT_ADOPTED
    from kaizen.models import CardMove

    session.add(
        CardMove(improvement=card, from_column=BoardColumn.IDEAS, to_column=BoardColumn.DONE)
    )
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Shadow board for press tools" in page
    assert "Not adopted" in page


def test_home_page_of_a_new_install_shows_a_friendly_empty_state(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "Nothing finished yet" in response.get_data(as_text=True)


def test_unknown_address_gets_a_friendly_404_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Page not found" in body
    assert "<html" in body


def test_htmx_request_for_an_unknown_address_gets_just_the_message(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def test_an_unexpected_error_shows_a_calm_page_without_a_traceback(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong on our side" in body
    assert "secret internals" not in body
    assert "Traceback" not in body


def test_every_page_sends_the_csrf_token_with_htmx_requests(client: FlaskClient) -> None:
    body = client.get("/").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in body


def test_vendored_htmx_and_sortable_are_served_locally(client: FlaskClient) -> None:
    htmx = client.get("/static/vendor/htmx-2.0.11/htmx.min.js")
    sortable = client.get("/static/vendor/sortablejs-1.15.7/Sortable.min.js")
    assert htmx.status_code == 200 and b'version:"2.0.11"' in htmx.data
    assert sortable.status_code == 200 and b"Sortable 1.15.7" in sortable.data
    htmx.close()
    sortable.close()


def test_suite_runs_on_the_database_it_was_asked_for(app: Flask) -> None:
    expected = "postgresql" if POSTGRES_URL else "sqlite"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith(expected)


def test_navigation_marks_exactly_one_link_as_the_current_page(client: FlaskClient) -> None:
    for path, label in [("/observe", "Report waste"), ("/learning/lessons/2026-01", "Learning")]:
        body = client.get(path).get_data(as_text=True)
        assert body.count('aria-current="page"') == 1
        assert f'aria-current="page">{label}</a>' in body
