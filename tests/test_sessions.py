"""Revocable sessions, remember-me tokens, sign-in throttling and same-cost password checks."""

from __future__ import annotations

import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kaizen import create_app
from kaizen.extensions import db
from kaizen.models import RememberToken, Role, User
from tests.conftest import SignIn, app_config
from tests.factories import DEFAULT_PASSWORD, make_team, make_user


def _settings_page(client: FlaskClient, slug: str) -> int:
    return client.get(f"/teams/{slug}/settings").status_code


def _copy_session(source: FlaskClient, target: FlaskClient) -> None:
    """Give `target` the very session cookie `source` holds now (a copied cookie)."""
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)


# These tests make their rows in an app context of their own and leave it before any
# request: a request inside a test's app context would share its `g`, and with it the
# account Flask-Login keeps there, across clients.
def _make_user(app: Flask, **values: object) -> User:
    with app.app_context():
        user = make_user(db.session, **values)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


@pytest.fixture
def lead(app: Flask) -> User:
    """A lead of a team whose settings page needs a signed-in lead."""
    with app.app_context():
        team = make_team(db.session, slug="press")
        db.session.commit()
        team_id = team.id
    return _make_user(app, username="lena", role=Role.LEAD, team_id=team_id)


@pytest.mark.parametrize("event", ["sign-out", "password change", "deactivation"])
def test_a_copied_session_cookie_is_refused_after_the_account_s_sessions_end(
    app: Flask, client: FlaskClient, sign_in: SignIn, lead: User, event: str
) -> None:
    sign_in(lead)
    thief = app.test_client()
    _copy_session(client, thief)
    assert _settings_page(thief, "press") == 200
    if event == "sign-out":
        client.post("/logout")
    elif event == "password change":
        response = client.post(
            "/account/password",
            data={
                "current_password": DEFAULT_PASSWORD,
                "new_password": "a new long one",
                "confirm": "a new long one",
            },
        )
        assert response.status_code == 302
    else:
        admin = _make_user(app, username="ada", role=Role.ADMIN)
        admin_client = app.test_client()
        SignIn(admin_client)(admin)
        assert (
            admin_client.post(f"/admin/accounts/{lead.id}/active", data={"active": "0"}).status_code
            == 302
        )
    assert _settings_page(thief, "press") == 302  # sent to sign in


def test_changing_one_s_password_keeps_this_device_signed_in(
    client: FlaskClient, sign_in: SignIn, lead: User
) -> None:
    sign_in(lead)
    client.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "new_password": "a new long one",
            "confirm": "a new long one",
        },
    )
    assert _settings_page(client, "press") == 200


def _remember_cookie(client: FlaskClient, sign_in: SignIn, user: User) -> str:
    response = client.post(
        "/login", data={"username": user.username, "password": DEFAULT_PASSWORD, "remember": "y"}
    )
    header = next(h for h in response.headers.getlist("Set-Cookie") if "kaizen_remember" in h)
    assert "HttpOnly" in header and "SameSite=Lax" in header
    cookie = SimpleCookie()
    cookie.load(header)
    return cookie["kaizen_remember"].value


def test_keep_me_signed_in_opens_a_new_browser_with_its_own_token(
    app: Flask, client: FlaskClient, sign_in: SignIn, lead: User
) -> None:
    first = _remember_cookie(client, sign_in, lead)
    second = _remember_cookie(app.test_client(), sign_in, lead)
    assert first != second
    with app.app_context():
        stored = set(db.session.scalars(select(RememberToken.token_hash)))
    assert len(stored) == 2 and first not in stored  # only hashes are kept
    fresh = app.test_client()
    fresh.set_cookie("kaizen_remember", first)
    assert _settings_page(fresh, "press") == 200


@pytest.mark.parametrize("event", ["sign-out", "password change", "deactivation"])
def test_a_copied_remember_me_cookie_is_refused_after_the_account_s_sessions_end(
    app: Flask, client: FlaskClient, sign_in: SignIn, lead: User, event: str
) -> None:
    token = _remember_cookie(client, sign_in, lead)
    if event == "sign-out":
        client.post("/logout")
    elif event == "password change":
        client.post(
            "/account/password",
            data={
                "current_password": DEFAULT_PASSWORD,
                "new_password": "a new long one",
                "confirm": "a new long one",
            },
        )
    else:
        admin = _make_user(app, username="ada", role=Role.ADMIN)
        admin_client = app.test_client()
        SignIn(admin_client)(admin)
        admin_client.post(f"/admin/accounts/{lead.id}/active", data={"active": "0"})
    replay = app.test_client()
    replay.set_cookie("kaizen_remember", token)
    assert _settings_page(replay, "press") == 302


def test_an_expired_remember_me_cookie_is_refused(
    app: Flask, client: FlaskClient, sign_in: SignIn, lead: User
) -> None:
    app.config["REMEMBER_DAYS"] = 0
    token = _remember_cookie(client, sign_in, lead)
    replay = app.test_client()
    replay.set_cookie("kaizen_remember", token)
    assert _settings_page(replay, "press") == 302


def test_a_session_cookie_from_before_generations_is_refused(app: Flask, lead: User) -> None:
    old = app.test_client()
    with old.session_transaction() as cookie_session:
        cookie_session["_user_id"] = str(lead.id)  # the id alone, as before revocable sessions
    assert _settings_page(old, "press") == 302


# --------------------------------------------------------------------------------------
# Throttling
# --------------------------------------------------------------------------------------


def _throttled_app(app: Flask, tmp_path: Path, name: str) -> Flask:
    """A second app instance (another worker or host) on the same database."""
    config = app_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / name)
    other = create_app({**config, "SIGNIN_ACCOUNT_FAILURES": 3, "SIGNIN_LOCK_SECONDS": 60})
    return other


def test_repeated_failures_pause_sign_in_with_a_message_saying_when(
    app: Flask, client: FlaskClient, sign_in: SignIn, lead: User
) -> None:
    app.config.update(SIGNIN_ACCOUNT_FAILURES=3, SIGNIN_LOCK_SECONDS=60)
    for _ in range(3):
        assert sign_in.attempt("lena", "wrong guess").status_code == 422
    refused = sign_in.attempt("lena", DEFAULT_PASSWORD)
    assert refused.status_code == 429
    assert "try again in 60 seconds" in refused.get_data(as_text=True)


def test_throttling_holds_across_two_app_instances_sharing_one_database(
    app: Flask, tmp_path: Path, lead: User
) -> None:
    first = _throttled_app(app, tmp_path, "first")
    second = _throttled_app(app, tmp_path, "second")
    try:
        for instance in (first, second, first):
            answer = SignIn(instance.test_client()).attempt("lena", "wrong guess")
            assert answer.status_code == 422
        refused = SignIn(second.test_client()).attempt("lena", DEFAULT_PASSWORD)
        assert refused.status_code == 429
        assert "Too many sign-in attempts" in refused.get_data(as_text=True)
    finally:
        for instance in (first, second):
            with instance.app_context():
                db.engine.dispose()


def test_the_pause_grows_with_each_further_failure(
    app: Flask, client: FlaskClient, sign_in: SignIn, lead: User
) -> None:
    from kaizen.models import SignInThrottle

    app.config.update(SIGNIN_ACCOUNT_FAILURES=2, SIGNIN_LOCK_SECONDS=1)
    sign_in.attempt("lena", "wrong")
    sign_in.attempt("lena", "wrong")
    time.sleep(1.1)
    sign_in.attempt("lena", "wrong")
    with app.app_context():
        row = db.session.scalar(select(SignInThrottle).where(SignInThrottle.key == "account:lena"))
    assert row.failures == 3
    assert (row.locked_until - row.last_failure_at).total_seconds() == pytest.approx(2, abs=0.1)


def test_a_success_resets_the_account_s_count(
    app: Flask, client: FlaskClient, sign_in: SignIn, lead: User
) -> None:
    app.config.update(SIGNIN_ACCOUNT_FAILURES=3)
    sign_in.attempt("lena", "wrong")
    sign_in.attempt("lena", "wrong")
    sign_in(lead)
    sign_in.out()
    sign_in.attempt("lena", "wrong")
    sign_in.attempt("lena", "wrong")
    assert sign_in.attempt("lena", DEFAULT_PASSWORD).status_code == 302


def test_one_address_trying_many_names_is_paused(
    app: Flask, client: FlaskClient, sign_in: SignIn, lead: User
) -> None:
    app.config.update(SIGNIN_ADDRESS_FAILURES=4, SIGNIN_ACCOUNT_FAILURES=100)
    for name in ("anna", "bert", "carl", "dora"):
        sign_in.attempt(name, "guess")
    assert sign_in.attempt("lena", DEFAULT_PASSWORD).status_code == 429
    elsewhere = app.test_client()
    answer = elsewhere.post(
        "/login",
        data={"username": "lena", "password": DEFAULT_PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert answer.status_code == 302


def test_an_unknown_username_takes_about_as_long_as_a_wrong_password(
    app: Flask, sign_in: SignIn, lead: User
) -> None:
    app.config.update(SIGNIN_ACCOUNT_FAILURES=1000, SIGNIN_ADDRESS_FAILURES=1000)
    sign_in.attempt("warm-up", "x")

    def cost(username: str) -> float:
        started = time.perf_counter()
        for _ in range(5):
            assert sign_in.attempt(username, "not the password").status_code == 422
        return time.perf_counter() - started

    known, unknown = [], []
    for _ in range(2):  # interleaved, so a busy moment weighs on both
        known.append(cost("lena"))
        unknown.append(cost("nobody-here"))
    ratio = sum(unknown) / sum(known)
    assert 0.5 < ratio < 2, ratio
