"""Signing in and out, role checks, CSRF, and the create-user command."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen import create_app
from kaizen.accounts.access import require_role
from kaizen.models import Role, User
from tests.conftest import SignIn
from tests.factories import make_area, make_user

from .conftest import app_config


def test_a_person_signs_in_with_username_and_password(
    sign_in: SignIn, client: FlaskClient, session: Session
) -> None:
    make_user(session, username="mia", display_name="Mia", password="press-line-2")
    session.commit()
    response = sign_in.attempt("Mia", "press-line-2")
    assert response.status_code == 302
    assert "Welcome, Mia." in client.get("/").get_data(as_text=True)


def test_a_wrong_password_is_refused_and_the_username_is_kept(
    sign_in: SignIn, client: FlaskClient, session: Session
) -> None:
    make_user(session, username="mia", password="press-line-2")
    session.commit()
    response = sign_in.attempt("mia", "nope")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "do not match an account" in body
    assert 'value="mia"' in body


def test_a_deactivated_account_cannot_sign_in(
    sign_in: SignIn, client: FlaskClient, session: Session
) -> None:
    make_user(session, username="old", password="press-line-2", active=False)
    session.commit()
    assert sign_in.attempt("old", "press-line-2").status_code == 422


def test_sign_in_only_follows_next_to_this_site(
    sign_in: SignIn, client: FlaskClient, session: Session
) -> None:
    make_user(session, username="mia", password="press-line-2")
    session.commit()
    response = sign_in.attempt("mia", "press-line-2", next="https://evil.example/")
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "/\\/evil.example"])
def test_sign_in_does_not_follow_next_to_an_address_a_browser_reads_as_another_host(
    sign_in: SignIn, session: Session, target: str
) -> None:
    make_user(session, username="mia", password="press-line-2")
    session.commit()
    response = sign_in.attempt("mia", "press-line-2", next=target)
    assert response.headers["Location"] == "/"


def test_sign_in_follows_next_to_a_page_of_this_site(sign_in: SignIn, session: Session) -> None:
    make_user(session, username="mia", password="press-line-2")
    session.commit()
    response = sign_in.attempt("mia", "press-line-2", next="/board/assembly?display=tv")
    assert response.headers["Location"] == "/board/assembly?display=tv"


def test_signing_out_forgets_the_person(
    sign_in: SignIn, client: FlaskClient, session: Session
) -> None:
    make_user(session, username="mia", display_name="Mia", password="press-line-2")
    session.commit()
    sign_in.attempt("mia", "press-line-2")
    client.post("/logout")
    assert "Sign in" in client.get("/").get_data(as_text=True)


def test_forms_without_a_csrf_token_are_refused(tmp_path: Path, app: Flask) -> None:
    config = app_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    config["WTF_CSRF_ENABLED"] = True
    guarded = create_app(config)
    response = guarded.test_client().post("/login", data={"username": "a", "password": "b"})
    assert response.status_code == 400
    assert "This form had expired" in response.get_data(as_text=True)


def test_role_check_sends_strangers_to_sign_in_and_refuses_low_roles(
    sign_in: SignIn, app: Flask, client: FlaskClient, session: Session
) -> None:
    @app.get("/leads-only")
    @require_role(Role.LEAD)
    def leads_only() -> str:
        return "welcome, lead"

    member = make_user(session, username="m", password="press-line-2")
    lead = make_user(session, username="l", password="press-line-2", role=Role.LEAD)
    session.commit()
    assert client.get("/leads-only").status_code == 302
    sign_in.attempt(member.username, "press-line-2")
    assert client.get("/leads-only").status_code == 403
    client.post("/logout")
    sign_in.attempt(lead.username, "press-line-2")
    assert client.get("/leads-only").get_data(as_text=True) == "welcome, lead"


def test_create_user_command_adds_an_account_with_a_hashed_password(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = runner.invoke(
        args=["create-user", "ana", "--role", "lead", "--name", "Ana", "--password", "s3cret-pass"]
    )
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.username == "ana"))
    assert user.role is Role.LEAD and user.check_password("s3cret-pass")


def test_create_user_command_refuses_a_short_password(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["create-user", "ana", "--password", "short"])
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output


def test_create_user_command_binds_a_kiosk_to_its_area(
    runner: FlaskCliRunner, session: Session
) -> None:
    make_area(session, slug="weld-cell-a")
    session.commit()
    refused = runner.invoke(
        args=["create-user", "tablet1", "--role", "kiosk", "--password", "x" * 12]
    )
    assert "bound to one area" in refused.output
    result = runner.invoke(
        args=[
            "create-user",
            "tablet1",
            "--role",
            "kiosk",
            "--area",
            "weld-cell-a",
            "--password",
            "x" * 12,
        ]
    )
    assert result.exit_code == 0, result.output
    assert session.scalar(select(User).where(User.username == "tablet1")).area.slug == "weld-cell-a"


def test_create_user_command_refuses_a_taken_username(
    runner: FlaskCliRunner, session: Session
) -> None:
    make_user(session, username="ana")
    session.commit()
    result = runner.invoke(args=["create-user", "ANA", "--password", "long-enough"])
    assert "is taken" in result.output


def test_an_htmx_request_after_the_session_ended_asks_for_a_whole_page_sign_in(
    app: Flask, session: Session
) -> None:
    @app.post("/members-only")
    @require_role(Role.MEMBER)
    def members_only() -> str:
        return "ok"

    response = app.test_client().post("/members-only", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith("/login?next=/members-only")
    assert "<form" not in response.get_data(as_text=True)
