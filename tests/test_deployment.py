"""Deploying Kaizen: `kaizen doctor` names each mistake with its fix; proxies are trusted
only when told."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from kaizen import apply_migrations, create_app, version
from kaizen.cli import main
from kaizen.doctor import PROBLEM, WARNING, Finding, check_deployment
from kaizen.extensions import db
from tests.factories import make_area

from .conftest import app_config

HTTPS = {
    "PUBLIC_BASE_URL": "https://kaizen.plant.example",
    "SESSION_COOKIE_SECURE": True,
    "TRUSTED_PROXIES": 1,
}
UNREACHABLE = "postgresql+psycopg://kaizen@127.0.0.1:1/kaizen"


def make_app(tmp_path: Path, migrated: bool = True, **overrides: Any) -> Flask:
    """An app on a SQLite file of its own, migrated to head unless told otherwise."""
    config = app_config(f"sqlite:///{tmp_path / 'doctor.db'}", tmp_path)
    config.update({"SECRET_KEY_FROM_ENVIRONMENT": False, **overrides})
    app = create_app(config)
    if migrated:
        apply_migrations(app)
    return app


def doctor(app: Flask) -> tuple[int, str]:
    """Run `kaizen doctor` against the app: its exit code and what it printed."""
    result = app.test_cli_runner().invoke(args=["doctor"])
    return result.exit_code, result.output


def problem(findings: list[Finding], topic: str) -> Finding:
    """The finding about a topic, which must be a problem."""
    found = next(f for f in findings if f.topic == topic)
    assert found.level == PROBLEM, found
    return found


def test_a_well_set_deployment_behind_https_passes(tmp_path: Path) -> None:
    code, output = doctor(make_app(tmp_path, **HTTPS))
    assert code == 0, output
    assert "No problems found." in output
    assert "PROBLEM" not in output and "WARNING" not in output


def test_a_database_that_does_not_answer_is_a_problem(tmp_path: Path) -> None:
    app = make_app(tmp_path, migrated=False, SQLALCHEMY_DATABASE_URI=UNREACHABLE)
    code, output = doctor(app)
    assert code == 1
    assert "PROBLEM  Database: postgresql+psycopg://kaizen@127.0.0.1:1/kaizen does not answer" in (
        output
    )
    assert "fix: Check DATABASE_URL" in output


def test_a_database_behind_on_migrations_is_a_problem(tmp_path: Path) -> None:
    code, output = doctor(make_app(tmp_path, migrated=False, **HTTPS))
    assert code == 1
    assert "The schema is at no migration at all; this version needs 00" in output
    assert "kaizen db upgrade" in output


def test_a_generated_secret_key_with_a_shared_database_is_a_problem(tmp_path: Path) -> None:
    app = create_app(
        app_config(UNREACHABLE, tmp_path) | {"SECRET_KEY_FROM_ENVIRONMENT": False, **HTTPS}
    )
    found = problem(check_deployment(app), "Secret key")
    assert "Set SECRET_KEY to the same long random value on every host" in found.fix


def test_a_secret_key_from_the_environment_is_fine_with_a_shared_database(
    tmp_path: Path,
) -> None:
    app = create_app(
        app_config(UNREACHABLE, tmp_path) | {"SECRET_KEY_FROM_ENVIRONMENT": True, **HTTPS}
    )
    assert next(f for f in check_deployment(app) if f.topic == "Secret key").level == "ok"


def test_https_without_secure_cookies_is_a_problem(tmp_path: Path) -> None:
    app = make_app(tmp_path, **(HTTPS | {"SESSION_COOKIE_SECURE": False}))
    assert problem(check_deployment(app), "Secure cookies").fix == "Set KAIZEN_SECURE_COOKIES=1."


def test_https_without_a_trusted_proxy_is_a_problem(tmp_path: Path) -> None:
    app = make_app(tmp_path, **(HTTPS | {"TRUSTED_PROXIES": 0}))
    assert "KAIZEN_TRUSTED_PROXIES" in problem(check_deployment(app), "Reverse proxy").fix


def test_a_public_address_that_is_not_a_web_address_is_a_problem(tmp_path: Path) -> None:
    app = make_app(tmp_path, PUBLIC_BASE_URL="kaizen.plant.example")
    assert "not an http(s) address" in problem(check_deployment(app), "Public address").message


def test_no_public_address_is_a_warning_that_does_not_fail(tmp_path: Path) -> None:
    app = make_app(tmp_path, PUBLIC_BASE_URL="")
    found = next(f for f in check_deployment(app) if f.topic == "Public address")
    assert found.level == WARNING
    assert doctor(app)[0] == 0


@pytest.mark.parametrize(
    ("free_gib", "level"), [(0.5, PROBLEM), (2, WARNING), (50, "ok")], ids=["full", "low", "room"]
)
def test_free_disk_for_the_sqlite_file_is_checked(
    tmp_path: Path, free_gib: float, level: str
) -> None:
    app = make_app(tmp_path, **HTTPS)
    findings = check_deployment(app, free_bytes=lambda _folder: int(free_gib * 1024**3))
    assert next(f for f in findings if f.topic == "Disk").level == level


# Behind a reverse proxy

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "kaizen.plant.example"}


def qr_page(app: Flask, headers: dict[str, str]) -> str:
    """The printable QR page of a new area, fetched with these request headers."""
    with app.app_context():
        slug = make_area(db.session, slug="press-line-3").slug
        db.session.commit()
    return app.test_client().get(f"/areas/{slug}/qr", headers=headers).get_data(as_text=True)


def test_behind_one_trusted_proxy_printed_addresses_are_the_public_https_ones(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, TRUSTED_PROXIES=1)
    html = qr_page(app, FORWARDED)
    assert "https://kaizen.plant.example/observe?area=press-line-3" in html


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(tmp_path: Path) -> None:
    app = make_app(tmp_path, TRUSTED_PROXIES=0)
    html = qr_page(app, FORWARDED)
    assert "kaizen.plant.example" not in html
    assert "http://localhost/observe?area=press-line-3" in html


def test_the_command_says_which_version_is_installed() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"kaizen, version {version()}"
    assert version().count(".") >= 2
