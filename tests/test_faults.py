"""Exactly once through faults: retried writes store nothing new, error pages need no database,
a plain form that failed keeps what was typed, lost connections are ridden out, and the
health check tells the truth. The same faults against a real PostgreSQL server that is
restarted, and workers that are killed, are the fault test (tests/faults/run.py)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

import kaizen.faults
import kaizen.main.views
import kaizen.observations.views
import kaizen.services.idempotency
from kaizen import create_app
from kaizen.extensions import db
from kaizen.models import (
    BoardColumn,
    CardMove,
    IdempotencyKey,
    Improvement,
    Observation,
    Outcome,
)
from kaizen.services.idempotency import (
    BAD_KEY,
    InvalidKey,
    KeyReused,
    fingerprint,
    once,
    valid_key,
)
from kaizen.services.moves import InvalidMove, MoveKeyReused, move_card
from kaizen.services.observations import ObservationInput, submit_observation
from tests.conftest import POSTGRES_URL, SignIn, app_config
from tests.factories import make_area, make_improvement, make_team, make_user

HTMX = {"HX-Request": "true"}
KEY = "0123456789abcdef0123456789abcdef"
THANKS = "Thank you — every report helps us improve."


def lost_connection() -> OperationalError:
    """The error a statement meets when the server has dropped its connection."""
    return OperationalError(
        "SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True
    )


def report(**overrides: object) -> dict[str, object]:
    """Entry-form data for a report at press-3, with its form key."""
    data: dict[str, object] = {
        "waste": "waiting",
        "area": "press-3",
        "description": "Parts waited twenty minutes for the forklift.",
        "form_key": KEY,
    }
    data.update(overrides)
    return data


def stored_reports(session: Session) -> int:
    """How many observations the database holds."""
    return session.scalar(select(func.count(Observation.id))) or 0


@pytest.fixture
def press_3(session: Session) -> None:
    """The press-3 area, committed so requests see it."""
    make_area(session, slug="press-3", name="Press 3")
    session.commit()


# -- idempotent reports ---------------------------------------------------------------------


@pytest.mark.usefixtures("press_3")
def test_a_plain_form_sent_twice_with_its_key_stores_one_report_and_answers_the_same(
    client: FlaskClient, session: Session
) -> None:
    first = client.post("/observe", data=report())
    again = client.post("/observe", data=report())

    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert stored_reports(session) == 1


@pytest.mark.usefixtures("press_3")
def test_an_htmx_submit_sent_twice_with_its_key_stores_one_report_and_thanks_both_times(
    client: FlaskClient, session: Session
) -> None:
    first = client.post("/observe", data=report(), headers=HTMX)
    again = client.post("/observe", data=report(), headers=HTMX)

    assert first.status_code == again.status_code == 200
    assert THANKS in first.get_data(as_text=True)
    assert THANKS in again.get_data(as_text=True)
    assert stored_reports(session) == 1


@pytest.mark.usefixtures("press_3")
def test_the_service_answers_a_retry_with_the_first_report(session: Session) -> None:
    data = ObservationInput(area="press-3", waste="waiting", description="Forklift late.")

    first = submit_observation(session, data, None, key=KEY)
    again = submit_observation(session, data, None, key=KEY)

    assert first.observation is not None and again.observation is not None
    assert again.observation.id == first.observation.id
    assert (first.replayed, again.replayed) == (False, True)
    assert stored_reports(session) == 1


@pytest.mark.usefixtures("press_3")
def test_reports_with_different_keys_are_different_reports(session: Session) -> None:
    data = ObservationInput(area="press-3", waste="waiting", description="Forklift late.")

    submit_observation(session, data, None, key=KEY)
    submit_observation(session, data, None, key=KEY[::-1])
    submit_observation(session, data, None)

    assert stored_reports(session) == 3


@pytest.mark.usefixtures("press_3")
def test_a_key_sent_again_with_another_report_keeps_the_text_and_offers_a_new_key(
    client: FlaskClient, session: Session
) -> None:
    client.post("/observe", data=report())

    response = client.post("/observe", data=report(description="The crane was broken again."))

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "already sent with other details" in html
    assert "The crane was broken again." in html
    assert KEY not in html
    assert stored_reports(session) == 1


@pytest.mark.usefixtures("press_3")
def test_a_retry_that_races_the_first_copy_gets_the_first_answer(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = ObservationInput(area="press-3", waste="waiting", description="Forklift late.")
    first = submit_observation(session, data, None, key=KEY)
    # The second copy looked before the first had committed: it finds no key at first.
    real = kaizen.services.idempotency.stored_result
    looks: list[int] = []

    def too_early_the_first_time(*args: Any) -> Any:
        looks.append(1)
        return None if len(looks) == 1 else real(*args)

    monkeypatch.setattr(kaizen.services.idempotency, "stored_result", too_early_the_first_time)

    again = submit_observation(session, data, None, key=KEY)

    assert again.replayed
    assert again.observation is not None and first.observation is not None
    assert again.observation.id == first.observation.id
    assert stored_reports(session) == 1


def test_a_replay_does_not_run_the_write_again(session: Session) -> None:
    writes: list[int] = []

    def write() -> dict[str, Any]:
        writes.append(1)
        return {"observation_id": len(writes)}

    first = once(session, "observation", KEY, fingerprint("x"), write)
    again = once(session, "observation", KEY, fingerprint("x"), write)

    assert first == ({"observation_id": 1}, False)
    assert again == ({"observation_id": 1}, True)
    assert writes == [1]


def test_the_same_key_in_another_scope_is_another_request(session: Session) -> None:
    once(session, "observation", KEY, fingerprint("x"), lambda: {"observation_id": 1})

    result = once(session, "move", KEY, fingerprint("y"), lambda: {"move_id": 7})

    assert result == ({"move_id": 7}, False)


def test_without_a_key_a_write_that_breaks_a_constraint_is_not_taken_for_a_retry(
    session: Session,
) -> None:
    def write() -> dict[str, Any]:
        session.add(Observation(description="No area, no waste."))
        session.flush()
        return {}

    with pytest.raises(IntegrityError):
        once(session, "observation", None, fingerprint("x"), write)


@pytest.mark.parametrize("key", ["1234567", "x" * 65, "has space1", "ünïcode12", "a/b/c/d/e"])
def test_keys_of_the_wrong_shape_are_refused(key: str) -> None:
    with pytest.raises(InvalidKey):
        valid_key(key)


@pytest.mark.parametrize("key", ["12345678", "x" * 64, "0b8e5c1e-2f8a-4f3e-9c55-1d2e3f4a5b6c"])
def test_keys_of_8_to_64_letters_digits_and_dashes_are_taken(key: str) -> None:
    assert valid_key(key) == key


@pytest.mark.usefixtures("press_3")
def test_a_report_with_a_malformed_key_is_not_stored_and_says_why(session: Session) -> None:
    data = ObservationInput(area="press-3", waste="waiting", description="Forklift late.")

    result = submit_observation(session, data, None, key="not a key")

    assert result.observation is None
    assert result.errors == {"form_key": BAD_KEY}
    assert stored_reports(session) == 0


@pytest.mark.parametrize("key", [None, ""])
def test_no_key_means_no_key(key: str | None) -> None:
    assert valid_key(key) is None


def test_a_failed_write_leaves_its_key_free(session: Session) -> None:
    def failing_write() -> dict[str, Any]:
        raise RuntimeError("the photo could not be stored")

    with pytest.raises(RuntimeError):
        once(session, "observation", KEY, fingerprint("x"), failing_write)

    assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_a_key_reused_for_another_request_is_refused(session: Session) -> None:
    once(session, "observation", KEY, fingerprint("x"), lambda: {"observation_id": 1})

    with pytest.raises(KeyReused):
        once(session, "observation", KEY, fingerprint("y"), lambda: {"observation_id": 2})


# -- idempotent moves -------------------------------------------------------------------------


def test_a_move_sent_again_with_its_key_is_answered_and_logged_once(session: Session) -> None:
    card = make_improvement(session, team=make_team(session), board_column=BoardColumn.PLAN)
    session.commit()

    first = move_card(session, card.id, BoardColumn.DO, None, 1, None, key=KEY)
    # Without the key this would be a stale version (the card is at version 2 now).
    again = move_card(session, card.id, BoardColumn.DO, None, 1, None, key=KEY)

    assert again == first
    moves = session.scalars(select(CardMove).where(CardMove.improvement_id == card.id)).all()
    assert [m.to_column for m in moves] == [BoardColumn.PLAN, BoardColumn.DO]
    assert session.get(Improvement, card.id).version == 2  # type: ignore[union-attr]


def test_a_move_key_reused_for_another_move_is_refused(session: Session) -> None:
    card = make_improvement(session, team=make_team(session), board_column=BoardColumn.PLAN)
    session.commit()
    move_card(session, card.id, BoardColumn.DO, None, 1, None, key=KEY)

    with pytest.raises(MoveKeyReused):
        move_card(session, card.id, BoardColumn.CHECK, None, 2, None, key=KEY)


@pytest.mark.parametrize(
    "change",
    [
        {"card": "other"},
        {"to_column": BoardColumn.CHECK},
        {"position": 0},
        {"version": 2},
        {"reason": "Urgent for the audit."},
        {"to_column": BoardColumn.DONE, "outcome": Outcome.ADOPTED},
    ],
    ids=["card", "column", "position", "version", "reason", "outcome"],
)
def test_a_move_key_sent_with_any_other_detail_is_refused(
    session: Session, change: dict[str, Any]
) -> None:
    team = make_team(session)
    card = make_improvement(session, team=team, board_column=BoardColumn.PLAN)
    other = make_improvement(session, team=team, board_column=BoardColumn.PLAN)
    session.commit()
    first: dict[str, Any] = {"to_column": BoardColumn.DO, "position": None, "version": 1}
    move_card(session, card.id, first["to_column"], None, 1, None, key=KEY)
    asked = {**first, "reason": None, "outcome": None, **change}
    card_id = other.id if change.get("card") else card.id

    with pytest.raises(MoveKeyReused):
        move_card(
            session,
            card_id,
            asked["to_column"],
            asked["position"],
            asked["version"],
            None,
            reason=asked["reason"],
            outcome=asked["outcome"],
            key=KEY,
        )


def test_a_finish_sent_again_with_its_key_answers_with_the_same_outcome(session: Session) -> None:
    card = make_improvement(session, team=make_team(session), board_column=BoardColumn.CHECK)
    session.commit()
    done = BoardColumn.DONE

    first = move_card(session, card.id, done, None, 1, None, outcome=Outcome.ADOPTED, key=KEY)
    again = move_card(session, card.id, done, None, 1, None, outcome=Outcome.ADOPTED, key=KEY)

    assert again == first
    assert again.outcome is Outcome.ADOPTED and again.finished


def test_a_finish_key_sent_with_the_other_outcome_is_refused(session: Session) -> None:
    card = make_improvement(session, team=make_team(session), board_column=BoardColumn.CHECK)
    session.commit()
    done = BoardColumn.DONE
    move_card(session, card.id, done, None, 1, None, outcome=Outcome.ADOPTED, key=KEY)

    with pytest.raises(MoveKeyReused, match="already sent with other details"):
        move_card(session, card.id, done, None, 1, None, outcome=Outcome.NOT_ADOPTED, key=KEY)


def test_a_move_with_a_malformed_key_is_refused_and_nothing_moves(session: Session) -> None:
    card = make_improvement(session, team=make_team(session), board_column=BoardColumn.PLAN)
    session.commit()

    with pytest.raises(InvalidMove, match="idempotency key"):
        move_card(session, card.id, BoardColumn.DO, None, 1, None, key="not a key")

    session.expire_all()
    assert session.get(Improvement, card.id).board_column is BoardColumn.PLAN  # type: ignore[union-attr]


def test_a_move_form_sent_twice_with_its_key_redirects_both_times(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    card = make_improvement(session, team=make_team(session, slug="press-shop"))
    person = make_user(session)
    session.commit()
    sign_in(person)
    move = {"to_column": "plan", "version": 1, "board": "press-shop", "key": KEY}

    first = client.post(f"/board/cards/{card.id}/move", data=move)
    again = client.post(f"/board/cards/{card.id}/move", data=move)

    assert first.status_code == again.status_code == 302
    count = select(func.count(CardMove.id)).where(CardMove.improvement_id == card.id)
    assert session.scalar(count) == 2  # its creation and the one move


# -- error pages that need no database ----------------------------------------------------------


@pytest.fixture
def dead_database(app: Flask) -> Iterator[list[bool]]:
    """Once switched on (append True), every statement fails as on a lost connection."""
    switch: list[bool] = []

    def refuse(*_args: Any) -> None:
        if switch:
            raise lost_connection()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", refuse)
    yield switch
    event.remove(engine, "before_cursor_execute", refuse)


def test_the_error_page_renders_for_a_signed_in_person_when_the_database_is_gone(
    client: FlaskClient,
    session: Session,
    sign_in: SignIn,
    dead_database: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person = make_user(session, display_name="Mira Press")
    session.commit()
    sign_in(person)

    def overview_as_the_database_dies(session: Session, _now: object) -> None:
        dead_database.append(True)
        session.expire_all()  # the signed-in account would have to be loaded again
        session.execute(select(1))

    monkeypatch.setattr(kaizen.main.views, "plant_overview", overview_as_the_database_dies)
    monkeypatch.setattr(kaizen.faults, "RETRY_PAUSES", ())  # it stays gone: no second try

    response = client.get("/")

    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "The database is not answering" in html
    assert "Sign out" in html
    assert response.headers["Retry-After"] == "5"


@pytest.mark.usefixtures("press_3")
def test_a_report_sent_during_an_outage_comes_back_in_its_form_ready_to_send_again(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_submit = kaizen.observations.views.submit_observation

    def submit_then_lose_the_answer(*args: Any, **kwargs: Any) -> Any:
        real_submit(*args, **kwargs)
        raise lost_connection()  # the commit happened; the answer is lost

    views = kaizen.observations.views
    monkeypatch.setattr(views, "submit_observation", submit_then_lose_the_answer)
    typed = "Pallets blocked the walkway to press 3 for an hour."

    response = client.post("/observe?area=press-3", data=report(description=typed))

    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    # The entry form itself, not an error page: the text in its box, the waste still chosen.
    assert 'id="observe-form"' in html
    assert "this report is not saved yet" in html
    assert f"{typed}</textarea>" in html
    assert re.search(r'value="waiting"\s+checked', html)
    assert 'action="/observe?area=press-3"' in html
    assert re.search(rf'name="form_key"[^>]*value="{KEY}"', html)
    # Sent again from that form (same key): answered as saved, and still stored once.
    monkeypatch.setattr(kaizen.observations.views, "submit_observation", real_submit)
    assert client.post("/observe?area=press-3", data=report(description=typed)).status_code == 303
    assert stored_reports(session) == 1


def test_a_failed_sign_in_page_never_holds_the_password(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kaizen.accounts.views

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise lost_connection()

    monkeypatch.setattr(kaizen.accounts.views, "authenticate", fail)
    monkeypatch.setattr(kaizen.faults, "RETRY_PAUSES", ())

    response = client.post("/login", data={"username": "mira", "password": "s3cret-horse"})

    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert 'value="mira"' in html
    assert "s3cret-horse" not in html


def test_an_htmx_error_is_a_fragment_without_a_resend_form(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(kaizen.observations.views, "submit_observation", fail)

    response = client.post("/observe", data=report(), headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<html" not in html and "Send again" not in html


# -- lost connections ridden out -----------------------------------------------------------------


def test_a_request_that_loses_its_connection_before_committing_is_run_again(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = kaizen.main.views.plant_overview
    calls: list[int] = []

    def overview_losing_the_first_connection(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise lost_connection()
        return real(*args)

    monkeypatch.setattr(kaizen.main.views, "plant_overview", overview_losing_the_first_connection)

    response = client.get("/")

    assert response.status_code == 200
    assert len(calls) == 2


@pytest.mark.usefixtures("press_3")
def test_a_request_that_asked_to_commit_is_never_run_again(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_submit = kaizen.observations.views.submit_observation
    calls: list[int] = []

    def submit_then_lose_the_answer(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        real_submit(*args, **kwargs)
        raise lost_connection()

    views = kaizen.observations.views
    monkeypatch.setattr(views, "submit_observation", submit_then_lose_the_answer)

    response = client.post("/observe", data=report(form_key=None))

    assert response.status_code == 503
    assert len(calls) == 1
    assert stored_reports(session) == 1


def test_a_session_that_cannot_close_does_not_spoil_the_answer(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def close_on_a_dead_connection(_self: Session) -> None:
        raise lost_connection()

    monkeypatch.setattr(Session, "close", close_on_a_dead_connection)

    # A client of its own: each request pushes and pops its app context, so the session
    # is closed at the end of each one, as in production.
    response = app.test_client().get("/healthz")

    assert response.status_code == 200


def test_the_pool_checks_server_connections_before_use(tmp_path: Path) -> None:
    config = app_config("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    app = create_app(config)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


# -- a truthful health check -----------------------------------------------------------------------


def test_liveness_answers_without_the_database(tmp_path: Path) -> None:
    app = create_app(app_config("sqlite:////nonexistent-dir/nowhere/kaizen.db", tmp_path))

    response = app.test_client().get("/livez")

    assert response.status_code == 200
    assert response.get_data(as_text=True) == "alive"


@pytest.mark.skipif(bool(POSTGRES_URL), reason="a SQLite file; PostgreSQL has its own test")
def test_health_is_503_on_a_read_only_sqlite_file(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "kaizen.db"
    shutil.copyfile(sqlite_template, path)
    # As SQLite opens a file it may not write (chmod alone does not stop root, who runs CI).
    app = create_app(app_config(f"sqlite:///file:{path}?mode=ro&uri=true", tmp_path))

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database refuses writes\n"


@pytest.mark.skipif(not POSTGRES_URL, reason="needs KAIZEN_TEST_POSTGRES_URL")
def test_health_is_503_when_postgresql_refuses_writes(app: Flask, tmp_path: Path) -> None:
    config = app_config(POSTGRES_URL, tmp_path)
    # A read-only session, as on a hot standby or a database set read-only.
    options = {"connect_args": {"options": "-c default_transaction_read_only=on"}}
    read_only = create_app({**config, "SQLALCHEMY_ENGINE_OPTIONS": options})

    response = read_only.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database refuses writes\n"
    with read_only.app_context():
        db.engine.dispose()
