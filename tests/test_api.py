"""Contract tests of the JSON API v1: every endpoint's success and failure, tokens and their
scope, idempotent creates, paging, the rate limit, and errors that are always JSON."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaizen import create_app
from kaizen.models import (
    ApiToken,
    BoardColumn,
    CardMove,
    Observation,
    Outcome,
    Role,
    TokenScope,
    User,
    WipMode,
    utcnow,
)
from kaizen.services.api_tokens import create_token, revoke_token
from kaizen.services.flow_data import Scope
from kaizen.services.months import Month
from kaizen.services.reports import monthly_report
from tests.conftest import app_config
from tests.factories import (
    make_area,
    make_column_limit,
    make_improvement,
    make_moved_improvement,
    make_observation,
    make_team,
    make_user,
)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


class Api:
    """A client that sends one token's requests."""

    def __init__(self, client: FlaskClient, secret: str) -> None:
        self.client = client
        self.headers = bearer(secret)

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.client.post(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        return self.client.patch(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.client.put(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)


@pytest.fixture
def token_for(session: Session, client: FlaskClient) -> Any:
    """Make a token for an account and hand back a client that uses it."""
    admin = make_user(session, role=Role.ADMIN)

    def make(user: User, scope: TokenScope = TokenScope.READ_WRITE) -> Api:
        _, secret = create_token(session, admin, name="MES", owner=user, scope=scope)
        return Api(client, secret)

    return make


@pytest.fixture
def plant(session: Session) -> dict[str, Any]:
    """Two teams with an area each, a member of the first team, and a viewer."""
    press, paint = make_team(session, slug="press"), make_team(session, slug="paint")
    values = {
        "press": press,
        "paint": paint,
        "press_area": make_area(session, team=press, slug="press-1"),
        "paint_area": make_area(session, team=paint, slug="paint-1"),
        "member": make_user(session, team=press),
        "viewer": make_user(session, role=Role.VIEWER),
    }
    session.commit()
    return values


def error_of(response: Any) -> dict[str, Any]:
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:300]
    body: dict[str, Any] = response.get_json()["error"]
    assert set(body) == {"code", "message", "fields"}
    return body


def count(session: Session, model: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


REPORT = {"area": "press-1", "waste": "waiting", "description": "Coils waited for the forklift."}


# --------------------------------------------------------------------------------------
# The document and the docs page
# --------------------------------------------------------------------------------------


def test_the_openapi_document_describes_every_api_address(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    documented = {path.replace("{", "<").replace("}", ">") for path in spec["paths"]}
    routes = {
        rule.rule.replace("<int:", "<")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint.startswith("api-") and
        not rule.endpoint.startswith(("api-docs.", "api-guide."))
    }  # fmt: skip
    assert routes == documented
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_docs_page_lists_every_operation_of_the_document(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for path in client.get("/api/v1/openapi.json").get_json()["paths"]:
        assert f"<code>{path}</code>" in html


# --------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------


def test_a_request_without_a_token_is_refused_with_401_in_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/observations")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "unauthorized"


def test_an_unknown_token_is_refused(client: FlaskClient) -> None:
    response = client.get("/api/v1/observations", headers=bearer("kz_not-a-real-token"))
    assert response.status_code == 401


def test_a_session_cookie_does_not_open_the_api(
    client: FlaskClient, session: Session, sign_in: Any
) -> None:
    sign_in(make_user(session, role=Role.ADMIN))
    assert client.get("/api/v1/observations").status_code == 401


def test_a_revoked_token_and_a_deactivated_account_stop_working(
    session: Session, token_for: Any, plant: dict[str, Any]
) -> None:
    api = token_for(plant["viewer"])
    assert api.get("/api/v1/observations").status_code == 200
    token = session.scalars(select(ApiToken)).one()
    revoke_token(session, plant["viewer"], token)
    assert api.get("/api/v1/observations").status_code == 401
    other = token_for(plant["member"])
    plant["member"].active = False
    session.commit()
    assert other.get("/api/v1/observations").status_code == 401


def test_a_read_token_cannot_write(session: Session, token_for: Any, plant: dict) -> None:
    api = token_for(plant["member"], TokenScope.READ)
    response = api.post("/api/v1/observations", json=REPORT)
    assert response.status_code == 403
    assert error_of(response)["code"] == "read_only_token"
    assert count(session, Observation) == 0


def test_a_token_records_when_it_was_last_used(
    session: Session, token_for: Any, plant: dict
) -> None:
    api = token_for(plant["viewer"])
    api.get("/api/v1/reflections")
    session.expire_all()
    assert session.scalars(select(ApiToken)).one().last_used_at is not None


def test_the_rate_limit_holds_across_two_app_instances_on_one_database(
    app: Flask, session: Session, token_for: Any, plant: dict, tmp_path: Any
) -> None:
    api = token_for(plant["viewer"])
    other_app = create_app(app_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path))
    for instance in (app, other_app):
        instance.config["API_RATE_PER_MINUTE"] = 3
    other = Api(other_app.test_client(), "")
    other.headers = api.headers
    answers = [client.get("/api/v1/reflections").status_code for client in (api, other, api)]
    refused = other.get("/api/v1/reflections")
    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert error_of(refused)["code"] == "rate_limited"


# --------------------------------------------------------------------------------------
# Errors are JSON
# --------------------------------------------------------------------------------------


def test_an_unknown_api_address_answers_404_in_json(token_for: Any, plant: dict) -> None:
    response = token_for(plant["viewer"]).get("/api/v1/observations/999999")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_wrong_method_answers_405_in_json(token_for: Any, plant: dict) -> None:
    response = token_for(plant["member"]).put("/api/v1/observations", json={})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_nul_in_the_query_string_answers_400_in_json(token_for: Any, plant: dict) -> None:
    response = token_for(plant["viewer"]).get("/api/v1/observations?area=a%00b")
    assert response.status_code == 400


def test_a_body_that_is_not_json_answers_400_in_json(token_for: Any, plant: dict) -> None:
    response = token_for(plant["member"]).post(
        "/api/v1/improvements", data="{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    error_of(response)


def test_a_huge_body_answers_413_in_json(token_for: Any, plant: dict) -> None:
    big = {**REPORT, "description": "x" * (13 * 1024 * 1024)}
    response = token_for(plant["member"]).post("/api/v1/observations", json=big)
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


# --------------------------------------------------------------------------------------
# Observations
# --------------------------------------------------------------------------------------


def test_posting_an_observation_stores_it_anonymously_by_default(
    session: Session, token_for: Any, plant: dict
) -> None:
    response = token_for(plant["member"]).post("/api/v1/observations", json=REPORT)
    assert response.status_code == 201
    body = response.get_json()
    assert body["waste"] == "waiting" and body["area"] == "press-1"
    assert body["anonymous"] is True and body["reporter"] is None
    assert response.headers["Location"].endswith(f"/api/v1/observations/{body['id']}")
    assert session.get(Observation, body["id"]).reporter_id is None  # type: ignore[union-attr]


def test_an_observation_sent_with_a_name_carries_the_token_s_account(
    token_for: Any, plant: dict
) -> None:
    response = token_for(plant["member"]).post(
        "/api/v1/observations", json={**REPORT, "anonymous": False, "minutes_lost": 15}
    )
    assert response.get_json()["reporter"] == plant["member"].display_name
    assert response.get_json()["minutes_lost"] == 15


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"waste": "sleeping"}, "waste"),
        ({"description": ""}, "description"),
        ({"description": "a\x00b"}, "description"),
        ({"minutes_lost": 10**12}, "minutes_lost"),
        ({"minutes_lost": "15"}, "minutes_lost"),
        ({"minutes_lost": float("nan")}, "minutes_lost"),
        ({"area": "nowhere"}, "area"),
    ],
)
def test_a_bad_observation_is_refused_with_its_field_named(
    session: Session, token_for: Any, plant: dict, change: dict, field: str
) -> None:
    response = token_for(plant["member"]).post("/api/v1/observations", json={**REPORT, **change})
    assert response.status_code == 422
    assert field in error_of(response)["fields"]
    assert count(session, Observation) == 0


def test_an_observation_with_a_photo_comes_as_multipart(token_for: Any, plant: dict) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(picture, "JPEG")
    picture.seek(0)
    response = token_for(plant["member"]).post(
        "/api/v1/observations",
        data={**REPORT, "minutes_lost": "5", "photo": (picture, "press.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["has_photo"] is True


def test_a_retried_post_with_its_idempotency_key_stores_one_observation(
    session: Session, token_for: Any, plant: dict
) -> None:
    api = token_for(plant["member"])
    key = {"Idempotency-Key": "mes-7f3a-0001"}
    first = api.post("/api/v1/observations", json=REPORT, headers=key)
    again = api.post("/api/v1/observations", json=REPORT, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert count(session, Observation) == 1
    other = api.post("/api/v1/observations", json={**REPORT, "waste": "motion"}, headers=key)
    assert other.status_code == 422 and "Idempotency-Key" in error_of(other)["fields"]


def test_two_tokens_may_use_the_same_idempotency_key(
    session: Session, token_for: Any, plant: dict
) -> None:
    key = {"Idempotency-Key": "line-1-report-1"}
    token_for(plant["member"]).post("/api/v1/observations", json=REPORT, headers=key)
    token_for(plant["viewer"]).post("/api/v1/observations", json=REPORT, headers=key)
    assert count(session, Observation) == 2


def test_a_malformed_idempotency_key_is_refused(token_for: Any, plant: dict) -> None:
    response = token_for(plant["member"]).post(
        "/api/v1/observations", json=REPORT, headers={"Idempotency-Key": "no"}
    )
    assert response.status_code == 400


def test_the_observation_list_filters_and_pages_in_a_stable_order(
    session: Session, token_for: Any, plant: dict
) -> None:
    now = utcnow()
    for n in range(5):
        make_observation(session, area=plant["press_area"], observed_at=now - timedelta(days=n))
    make_observation(session, area=plant["paint_area"], observed_at=now)
    session.commit()
    api = token_for(plant["viewer"])
    first = api.get("/api/v1/observations?area=press-1&limit=2").get_json()
    assert len(first["items"]) == 2 and first["next"]
    second = api.get(first["next"]).get_json()
    third = api.get(second["next"]).get_json()
    ids = [o["id"] for page in (first, second, third) for o in page["items"]]
    assert len(ids) == 5 and ids == sorted(ids, reverse=True) and third["next"] is None
    since = (now - timedelta(days=1, hours=1)).isoformat()
    recent = api.get("/api/v1/observations", query_string={"area": "press-1", "since": since})
    assert len(recent.get_json()["items"]) == 2
    assert api.get("/api/v1/observations?waste=defects").get_json()["items"] == []


def test_a_page_larger_than_allowed_is_refused(token_for: Any, plant: dict) -> None:
    response = token_for(plant["viewer"]).get("/api/v1/observations?limit=5000")
    assert response.status_code == 422
    assert "limit" in error_of(response)["fields"]


def test_one_observation_reads_with_its_links(
    session: Session, token_for: Any, plant: dict
) -> None:
    observation = make_observation(session, area=plant["press_area"])
    card = make_improvement(session, team=plant["press"])
    card.observations.append(observation)
    session.commit()
    body = token_for(plant["viewer"]).get(f"/api/v1/observations/{observation.id}").get_json()
    assert body["improvements"] == [card.id] and body["root_causes"] == []


# --------------------------------------------------------------------------------------
# Improvements and moves
# --------------------------------------------------------------------------------------


def test_a_member_files_a_card_for_their_own_team(
    session: Session, token_for: Any, plant: dict
) -> None:
    observation = make_observation(session, area=plant["press_area"])
    session.commit()
    response = token_for(plant["member"]).post(
        "/api/v1/improvements",
        json={"title": "Kanban square", "team": "press", "area": "press-1",
              "observations": [observation.id], "expected_cost": 120.5},
    )  # fmt: skip
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["column"] == "ideas" and body["version"] == 1
    assert body["observations"] == [observation.id] and body["expected_cost"] == 120.5


def test_a_member_cannot_file_a_card_for_another_team(token_for: Any, plant: dict) -> None:
    response = token_for(plant["member"]).post(
        "/api/v1/improvements", json={"title": "Paint booth", "team": "paint"}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "other_team"


def test_a_viewer_cannot_file_a_card(token_for: Any, plant: dict) -> None:
    response = token_for(plant["viewer"]).post(
        "/api/v1/improvements", json={"title": "Anything", "team": "press"}
    )
    assert response.status_code == 403


def test_a_card_for_an_unknown_team_is_refused(token_for: Any, plant: dict) -> None:
    response = token_for(plant["member"]).post(
        "/api/v1/improvements", json={"title": "Anything", "team": "nowhere"}
    )
    assert response.status_code == 422 and "team" in error_of(response)["fields"]


def test_the_card_list_filters_by_column_and_team(
    session: Session, token_for: Any, plant: dict
) -> None:
    make_improvement(session, team=plant["press"])
    make_improvement(session, team=plant["paint"], board_column=BoardColumn.DO)
    session.commit()
    api = token_for(plant["viewer"])
    assert len(api.get("/api/v1/improvements?team=press").get_json()["items"]) == 1
    in_do = api.get("/api/v1/improvements?column=do").get_json()["items"]
    assert [c["team"] for c in in_do] == ["paint"]


def test_an_edit_on_a_stale_version_is_refused_with_409(
    session: Session, token_for: Any, plant: dict
) -> None:
    card = make_improvement(session, team=plant["press"])
    session.commit()
    api = token_for(plant["member"])
    first = api.patch(f"/api/v1/improvements/{card.id}", json={"version": 1, "title": "New"})
    assert first.status_code == 200 and first.get_json()["version"] == 2
    stale = api.patch(f"/api/v1/improvements/{card.id}", json={"version": 1, "title": "Old"})
    assert stale.status_code == 409 and error_of(stale)["code"] == "stale_version"
    assert api.get(f"/api/v1/improvements/{card.id}").get_json()["title"] == "New"


def test_a_member_cannot_edit_another_team_s_card(
    session: Session, token_for: Any, plant: dict
) -> None:
    card = make_improvement(session, team=plant["paint"])
    session.commit()
    response = token_for(plant["member"]).patch(
        f"/api/v1/improvements/{card.id}", json={"version": 1, "title": "Mine now"}
    )
    assert response.status_code == 403


def test_moving_a_card_answers_its_new_version_and_logs_the_move(
    session: Session, token_for: Any, plant: dict
) -> None:
    card = make_improvement(session, team=plant["press"])
    session.commit()
    api = token_for(plant["member"])
    moved = api.post(f"/api/v1/improvements/{card.id}/move", json={"to": "plan", "version": 1})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert moved.get_json() | {"position": 0} == {
        "id": card.id, "from": "ideas", "to": "plan", "position": 0, "version": 2,
        "moved": True, "finished": False, "outcome": None,
    }  # fmt: skip
    log = api.get(f"/api/v1/improvements/{card.id}/moves").get_json()["items"]
    assert [(m["from"], m["to"]) for m in log] == [(None, "ideas"), ("ideas", "plan")]


def test_a_move_on_a_stale_version_is_refused_with_409(
    session: Session, token_for: Any, plant: dict
) -> None:
    card = make_improvement(session, team=plant["press"])
    session.commit()
    api = token_for(plant["member"])
    api.post(f"/api/v1/improvements/{card.id}/move", json={"to": "plan", "version": 1})
    stale = api.post(f"/api/v1/improvements/{card.id}/move", json={"to": "do", "version": 1})
    assert stale.status_code == 409 and error_of(stale)["code"] == "stale_version"


def test_a_hard_wip_limit_refuses_a_move_with_422(
    session: Session, token_for: Any, plant: dict
) -> None:
    make_column_limit(session, plant["press"], wip_limit=1, mode=WipMode.HARD)
    make_improvement(session, team=plant["press"], board_column=BoardColumn.DO)
    card = make_improvement(session, team=plant["press"])
    session.commit()
    response = token_for(plant["member"]).post(
        f"/api/v1/improvements/{card.id}/move", json={"to": "do", "version": 1}
    )
    assert response.status_code == 422 and error_of(response)["code"] == "wip_limit"
    assert count(session, CardMove) == 2


def test_a_soft_wip_limit_asks_for_a_reason(session: Session, token_for: Any, plant: dict) -> None:
    make_column_limit(session, plant["press"], wip_limit=1)
    make_improvement(session, team=plant["press"], board_column=BoardColumn.DO)
    card = make_improvement(session, team=plant["press"])
    session.commit()
    api = token_for(plant["member"])
    asked = api.post(f"/api/v1/improvements/{card.id}/move", json={"to": "do", "version": 1})
    assert asked.status_code == 422 and "reason" in error_of(asked)["fields"]
    given = {"to": "do", "version": 1, "reason": "Urgent safety fix"}
    assert api.post(f"/api/v1/improvements/{card.id}/move", json=given).status_code == 200


def test_finishing_a_card_needs_an_outcome(session: Session, token_for: Any, plant: dict) -> None:
    card = make_improvement(session, team=plant["press"], board_column=BoardColumn.CHECK)
    session.commit()
    api = token_for(plant["member"])
    asked = api.post(f"/api/v1/improvements/{card.id}/move", json={"to": "done", "version": 1})
    assert asked.status_code == 422 and error_of(asked)["code"] == "outcome_required"
    done = api.post(
        f"/api/v1/improvements/{card.id}/move",
        json={"to": "done", "version": 1, "outcome": "not_adopted"},
    )
    assert done.get_json()["finished"] is True and done.get_json()["outcome"] == "not_adopted"


def test_a_member_s_token_cannot_move_another_team_s_card(
    session: Session, token_for: Any, plant: dict
) -> None:
    card = make_improvement(session, team=plant["paint"])
    session.commit()
    response = token_for(plant["member"]).post(
        f"/api/v1/improvements/{card.id}/move", json={"to": "plan", "version": 1}
    )
    assert response.status_code == 403 and error_of(response)["code"] == "other_team"
    assert count(session, CardMove) == 1


def test_a_retried_move_with_its_key_moves_once(
    session: Session, token_for: Any, plant: dict
) -> None:
    card = make_improvement(session, team=plant["press"])
    session.commit()
    api = token_for(plant["member"])
    key = {"Idempotency-Key": "move-card-once-1"}
    body = {"to": "plan", "version": 1}
    answers = [api.post(f"/api/v1/improvements/{card.id}/move", json=body, headers=key)]
    answers.append(api.post(f"/api/v1/improvements/{card.id}/move", json=body, headers=key))
    assert [a.status_code for a in answers] == [200, 200]
    assert count(session, CardMove) == 2


def test_moving_a_missing_card_answers_404(token_for: Any, plant: dict) -> None:
    response = token_for(plant["member"]).post(
        "/api/v1/improvements/987654/move", json={"to": "plan", "version": 1}
    )
    assert response.status_code == 404


# --------------------------------------------------------------------------------------
# Reflections
# --------------------------------------------------------------------------------------


def test_a_reflection_is_written_on_a_finished_card_and_listed(
    session: Session, token_for: Any, plant: dict
) -> None:
    card = make_improvement(
        session, team=plant["press"], board_column=BoardColumn.DONE, outcome=Outcome.ADOPTED
    )
    session.commit()
    api = token_for(plant["member"])
    answers = {"version": 1, "learnt": "Small squares work.", "do_differently": "Ask earlier."}
    first = api.post(f"/api/v1/improvements/{card.id}/reflection", json=answers)
    assert first.status_code == 201, first.get_data(as_text=True)
    again = api.post(f"/api/v1/improvements/{card.id}/reflection", json={**answers, "version": 2})
    assert again.status_code == 200
    read = api.get(f"/api/v1/improvements/{card.id}/reflection").get_json()
    assert read["learnt"] == "Small squares work." and read["outcome"] == "adopted"
    assert [r["improvement"] for r in api.get("/api/v1/reflections").get_json()["items"]] == [
        card.id
    ]


def test_a_reflection_waits_for_done(session: Session, token_for: Any, plant: dict) -> None:
    card = make_improvement(session, team=plant["press"])
    session.commit()
    response = token_for(plant["member"]).post(
        f"/api/v1/improvements/{card.id}/reflection", json={"version": 1, "learnt": "Early."}
    )
    assert response.status_code == 422
    assert (
        token_for(plant["viewer"]).get(f"/api/v1/improvements/{card.id}/reflection").status_code
        == 404
    )


# --------------------------------------------------------------------------------------
# Five whys
# --------------------------------------------------------------------------------------

RECORD = {
    "problem": "Coils wait at the press.",
    "steps": [
        {"why": "Why do coils wait?", "because": "The forklift is elsewhere."},
        {"why": "Why is it elsewhere?", "because": "No call signal at the press."},
    ],
    "root_cause": "No pull signal from the press.",
    "category": "method",
    "countermeasure": "Kanban square with a light.",
    "status": "countermeasure",
}


def test_a_five_whys_record_is_written_with_ordered_steps_and_links(
    session: Session, token_for: Any, plant: dict
) -> None:
    observation = make_observation(session, area=plant["press_area"])
    card = make_improvement(session, team=plant["press"])
    session.commit()
    api = token_for(plant["member"])
    sent = {**RECORD, "observations": [observation.id], "improvements": [card.id]}
    created = api.post("/api/v1/root-causes", json=sent)
    assert created.status_code == 201, created.get_data(as_text=True)
    record = created.get_json()
    assert [s["because"] for s in record["steps"]] == [
        "The forklift is elsewhere.", "No call signal at the press."
    ]  # fmt: skip
    assert record["observations"] == [observation.id] and record["improvements"] == [card.id]
    steps = list(reversed(RECORD["steps"]))
    replaced = api.put(f"/api/v1/root-causes/{record['id']}", json={**sent, "steps": steps})
    assert replaced.status_code == 200
    read = api.get(f"/api/v1/root-causes/{record['id']}").get_json()
    assert read["steps"][0]["why"] == "Why is it elsewhere?"


def test_a_record_linked_to_an_unknown_observation_is_refused(token_for: Any, plant: dict) -> None:
    response = token_for(plant["member"]).post(
        "/api/v1/root-causes", json={**RECORD, "observations": [424242]}
    )
    assert response.status_code == 422 and "observations" in error_of(response)["fields"]


def test_a_chosen_record_needs_its_countermeasure(token_for: Any, plant: dict) -> None:
    response = token_for(plant["member"]).post(
        "/api/v1/root-causes", json={**RECORD, "countermeasure": ""}
    )
    assert response.status_code == 422 and "countermeasure" in error_of(response)["fields"]


def test_a_member_cannot_rewrite_another_team_s_record(
    session: Session, token_for: Any, plant: dict
) -> None:
    card = make_improvement(session, team=plant["paint"])
    session.commit()
    painter = make_user(session, team=plant["paint"])
    session.commit()
    made = token_for(painter).post(
        "/api/v1/root-causes", json={**RECORD, "improvements": [card.id]}
    )
    response = token_for(plant["member"]).put(
        f"/api/v1/root-causes/{made.get_json()['id']}", json=RECORD
    )
    assert response.status_code == 403


# --------------------------------------------------------------------------------------
# Metrics: the monthly report's numbers
# --------------------------------------------------------------------------------------


def test_the_metrics_are_the_monthly_report_s_numbers(
    session: Session, token_for: Any, plant: dict
) -> None:
    now = utcnow()
    month = Month.of(now)
    start = month.start
    for n, outcome in enumerate([Outcome.ADOPTED, Outcome.NOT_ADOPTED, Outcome.ADOPTED]):
        make_moved_improvement(
            session,
            [(BoardColumn.PLAN, start - timedelta(days=10 + n)),
             (BoardColumn.DONE, min(start + timedelta(hours=5 + n), now))],
            team=plant["press"], outcome=outcome,
        )  # fmt: skip
    make_observation(session, area=plant["press_area"], observed_at=min(start, now))
    session.commit()
    api = token_for(plant["viewer"])
    cycle = api.get(f"/api/v1/metrics/cycle-times?month={month.code}").get_json()
    report = monthly_report(session, month, utcnow(), Scope())
    percentiles = report.numbers
    assert cycle["percentiles"]["count"] == 3 == percentiles.finished
    assert cycle["percentiles"]["p50"] == pytest.approx(percentiles.median_cycle_days)
    assert cycle["percentiles"]["p85"] == pytest.approx(percentiles.p85_cycle_days)
    throughput = api.get(f"/api/v1/metrics/throughput?month={month.code}").get_json()["items"]
    assert throughput[-1] == {
        "month": month.code, "adopted": 2, "not_adopted": 1, "reopened": 0, "total": 3
    }  # fmt: skip
    assert len(throughput) == len(report.throughput)
    counted = api.get(f"/api/v1/metrics/observations?month={month.code}").get_json()["items"]
    assert counted[-1]["counts"]["waiting"] == 1 and counted[-1]["total"] == 1


def test_metrics_for_an_unknown_team_or_a_bad_month_are_refused(
    token_for: Any, plant: dict
) -> None:
    api = token_for(plant["viewer"])
    assert api.get("/api/v1/metrics/throughput?team=nowhere").status_code == 422
    assert api.get("/api/v1/metrics/throughput?month=2026-13").status_code == 422


def test_writes_through_the_api_are_in_the_audit_trail_under_the_token_s_account(
    session: Session, token_for: Any, plant: dict
) -> None:
    from kaizen.models import AuditEvent

    made = token_for(plant["member"]).post(
        "/api/v1/improvements", json={"title": "Shadow board", "team": "press"}
    )
    session.expire_all()
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.subject_type == "card", AuditEvent.subject_id == made.get_json()["id"]
        )
    ).all()
    assert [(e.actor_id, e.action) for e in events] == [(plant["member"].id, "created")]
