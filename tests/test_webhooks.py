"""Webhooks: events queued with the change that made them, signed deliveries that a real
receiver on 127.0.0.1 checks, retries with backoff until a failing receiver is given up on,
the worker's claims, and the admin pages that register hooks and send deliveries again."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaizen.models import (
    AuditEvent,
    BoardColumn,
    DeliveryStatus,
    Outcome,
    Role,
    TokenScope,
    User,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from kaizen.services import webhook_delivery, webhooks
from kaizen.services.api_tokens import create_token
from kaizen.services.webhook_delivery import ATTEMPTS, BACKOFF, LEASE, claim, deliver_due
from tests.conftest import SignIn
from tests.factories import make_area, make_improvement, make_team, make_user

AGENT = "Kaizen-Webhooks/test"


class Receiver:
    """A real HTTP server on 127.0.0.1 that keeps every POST and answers a chosen status."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.received.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                self.send_response(receiver.status)
                if receiver.status in (301, 302, 307):
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/kaizen-events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver listening on a free local port for the length of a test."""
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def plant(session: Session) -> dict[str, Any]:
    """A team with an area, a member with a read-write token, and an admin."""
    press = make_team(session, slug="press")
    area = make_area(session, team=press, slug="press-1")
    member = make_user(session, team=press)
    admin = make_user(session, role=Role.ADMIN, plant_wide=True)
    session.commit()
    _, secret = create_token(session, admin, name="MES", owner=member, scope=TokenScope.READ_WRITE)
    return {"press": press, "area": area, "member": member, "admin": admin, "token": secret}


def hook_for(
    session: Session, admin: User, url: str, events: list[str] | None = None
) -> tuple[Webhook, str]:
    """A registered webhook (every event unless told) and its secret."""
    return webhooks.register(
        session, admin, name="MES", url=url, events=events or list(webhooks.EVENTS)
    )


def api(client: FlaskClient, plant: dict[str, Any], method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {plant['token']}", **kw.pop("headers", {})}
    return client.open(path, method=method, headers=headers, **kw)


def queued(session: Session) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def signed_by(secret: str, request: dict[str, Any]) -> bool:
    """The receiver's own check: HMAC-SHA256 of the raw body with the shared secret."""
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request["headers"]["X-Kaizen-Signature"])


# --------------------------------------------------------------------------------------
# Events are queued with the change, by the one write path of each
# --------------------------------------------------------------------------------------


def test_a_receiver_gets_a_signed_observation_it_can_verify(
    session: Session, client: FlaskClient, plant: dict, receiver: Receiver
) -> None:
    _, secret = hook_for(session, plant["admin"], receiver.url)
    report = {"area": "press-1", "waste": "waiting", "description": "Coils waited."}
    created = api(client, plant, "POST", "/api/v1/observations", json=report)
    assert created.status_code == 201

    done = deliver_due(session, AGENT)

    assert (done.sent, done.delivered) == (1, 1)
    [request] = receiver.received
    assert request["path"] == "/kaizen-events"
    assert signed_by(secret, request)
    assert request["headers"]["X-Kaizen-Event"] == "observation.created"
    assert request["headers"]["Content-Type"] == "application/json"
    body = json.loads(request["body"])
    assert body["event"] == "observation.created"
    # The same representation the API answers for the observation.
    read = api(client, plant, "GET", f"/api/v1/observations/{created.get_json()['id']}")
    assert body["data"]["observation"] == read.get_json()
    [delivery] = queued(session)
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert request["headers"]["X-Kaizen-Delivery"] == str(delivery.id)


def test_a_body_changed_on_the_way_fails_the_receiver_s_check(
    session: Session, client: FlaskClient, plant: dict, receiver: Receiver
) -> None:
    _, secret = hook_for(session, plant["admin"], receiver.url)
    api(client, plant, "POST", "/api/v1/observations", json={
        "area": "press-1", "waste": "motion", "description": "Walked to the store."
    })  # fmt: skip
    deliver_due(session, AGENT)
    [request] = receiver.received
    tampered = {**request, "body": request["body"].replace(b"motion", b"defects")}
    assert signed_by(secret, request)
    assert not signed_by(secret, tampered)
    assert not signed_by("whsec_someone-else", request)


def test_a_report_from_the_entry_form_is_told_too(
    session: Session, client: FlaskClient, sign_in: SignIn, plant: dict, receiver: Receiver
) -> None:
    hook_for(session, plant["admin"], receiver.url, ["observation.created"])
    sign_in(plant["member"])
    sent = client.post(
        "/observe",
        data={"area": "press-1", "waste": "inventory", "description": "Two pallets waiting."},
    )
    assert sent.status_code in (200, 302, 303)
    [delivery] = queued(session)
    data = json.loads(delivery.body)["data"]["observation"]
    assert (data["waste"], data["description"]) == ("inventory", "Two pallets waiting.")


def test_a_move_is_told_and_a_move_to_done_is_also_told_as_finished(
    session: Session, client: FlaskClient, plant: dict, receiver: Receiver
) -> None:
    hook_for(session, plant["admin"], receiver.url, ["card.moved", "card.finished"])
    card = make_improvement(session, team=plant["press"], board_column=BoardColumn.CHECK)
    session.commit()
    moved = api(client, plant, "POST", f"/api/v1/improvements/{card.id}/move",
                json={"to": "done", "version": 1, "outcome": "adopted"})  # fmt: skip
    assert moved.status_code == 200, moved.get_data(as_text=True)

    assert [d.event for d in queued(session)] == ["card.moved", "card.finished"]
    deliver_due(session, AGENT)
    bodies = [json.loads(r["body"]) for r in receiver.received]
    assert sorted(b["event"] for b in bodies) == ["card.finished", "card.moved"]
    read = api(client, plant, "GET", f"/api/v1/improvements/{card.id}").get_json()
    log = api(client, plant, "GET", f"/api/v1/improvements/{card.id}/moves").get_json()
    for body in bodies:
        assert body["data"]["improvement"] == read
        assert body["data"]["improvement"]["outcome"] == "adopted"
        assert body["data"]["move"] == log["items"][-1]
        assert (body["data"]["move"]["from"], body["data"]["move"]["to"]) == ("check", "done")


def test_a_board_move_to_another_column_is_told_but_not_as_finished(
    session: Session, client: FlaskClient, plant: dict, receiver: Receiver
) -> None:
    hook_for(session, plant["admin"], receiver.url)
    card = make_improvement(session, team=plant["press"], board_column=BoardColumn.IDEAS)
    session.commit()
    api(client, plant, "POST", f"/api/v1/improvements/{card.id}/move",
        json={"to": "plan", "version": 1})  # fmt: skip
    assert [d.event for d in queued(session)] == ["card.moved"]


def test_reordering_within_a_column_tells_nobody(
    session: Session, client: FlaskClient, plant: dict, receiver: Receiver
) -> None:
    hook_for(session, plant["admin"], receiver.url)
    first = make_improvement(session, team=plant["press"], board_column=BoardColumn.PLAN)
    make_improvement(session, team=plant["press"], board_column=BoardColumn.PLAN, position=1)
    session.commit()
    reorder = api(client, plant, "POST", f"/api/v1/improvements/{first.id}/move",
                  json={"to": "plan", "version": 1, "position": 1})  # fmt: skip
    assert reorder.status_code == 200
    assert queued(session) == []


def test_a_refused_move_queues_nothing(
    session: Session, client: FlaskClient, plant: dict, receiver: Receiver
) -> None:
    hook_for(session, plant["admin"], receiver.url)
    card = make_improvement(session, team=plant["press"])
    session.commit()
    stale = api(client, plant, "POST", f"/api/v1/improvements/{card.id}/move",
                json={"to": "plan", "version": 7})  # fmt: skip
    assert stale.status_code == 409
    assert queued(session) == []


def test_a_retried_move_with_its_key_is_told_once(
    session: Session, client: FlaskClient, plant: dict, receiver: Receiver
) -> None:
    hook_for(session, plant["admin"], receiver.url)
    card = make_improvement(session, team=plant["press"])
    session.commit()
    for _ in range(2):
        answer = api(client, plant, "POST", f"/api/v1/improvements/{card.id}/move",
                     json={"to": "plan", "version": 1},
                     headers={"Idempotency-Key": "move-0001-abc"})  # fmt: skip
        assert answer.status_code == 200
    assert [d.event for d in queued(session)] == ["card.moved"]


def test_a_written_reflection_is_told_with_its_card(
    session: Session, client: FlaskClient, plant: dict, receiver: Receiver
) -> None:
    hook_for(session, plant["admin"], receiver.url, ["reflection.written"])
    card = make_improvement(
        session, team=plant["press"], board_column=BoardColumn.DONE, outcome=Outcome.NOT_ADOPTED
    )
    session.commit()
    written = api(client, plant, "POST", f"/api/v1/improvements/{card.id}/reflection",
                  json={"version": 1, "learnt": "The jig was too heavy."})  # fmt: skip
    assert written.status_code == 201, written.get_data(as_text=True)
    [delivery] = queued(session)
    data = json.loads(delivery.body)["data"]
    read = api(client, plant, "GET", f"/api/v1/improvements/{card.id}/reflection").get_json()
    assert data["reflection"] == read
    assert data["improvement"]["id"] == card.id and data["improvement"]["has_reflection"]


def test_a_stale_reflection_queues_nothing(
    session: Session, client: FlaskClient, plant: dict, receiver: Receiver
) -> None:
    hook_for(session, plant["admin"], receiver.url)
    card = make_improvement(
        session, team=plant["press"], board_column=BoardColumn.DONE, outcome=Outcome.ADOPTED
    )
    session.commit()
    stale = api(client, plant, "POST", f"/api/v1/improvements/{card.id}/reflection",
                json={"version": 9, "learnt": "Late."})  # fmt: skip
    assert stale.status_code == 409
    assert queued(session) == []


def test_only_active_hooks_that_want_the_event_get_it(
    session: Session, client: FlaskClient, plant: dict, receiver: Receiver
) -> None:
    wants, _ = hook_for(session, plant["admin"], receiver.url, ["observation.created"])
    hook_for(session, plant["admin"], receiver.url, ["card.moved"])
    paused, _ = hook_for(session, plant["admin"], receiver.url, ["observation.created"])
    webhooks.set_active(session, plant["admin"], paused, False)
    api(client, plant, "POST", "/api/v1/observations", json={
        "area": "press-1", "waste": "defects", "description": "Scratched panel."
    })  # fmt: skip
    assert [d.webhook_id for d in queued(session)] == [wants.id]


# --------------------------------------------------------------------------------------
# Retries, backoff, giving up, the worker's claims
# --------------------------------------------------------------------------------------


def test_a_failing_receiver_is_retried_with_backoff_and_then_marked_failed(
    session: Session, plant: dict, receiver: Receiver
) -> None:
    hook, _ = hook_for(session, plant["admin"], receiver.url)
    webhooks.ping(session, plant["admin"], hook)
    receiver.status = 500
    moment = utcnow()
    for attempt in range(1, ATTEMPTS + 1):
        # Nothing is sent before its time...
        if attempt > 1:
            early = moment - BACKOFF[attempt - 2] / 2
            assert deliver_due(session, AGENT, now=lambda at=early: at).sent == 0
        done = deliver_due(session, AGENT, now=lambda at=moment: at)
        assert done.sent == 1
        [delivery] = queued(session)
        assert delivery.attempts == attempt and delivery.last_status_code == 500
        if attempt < ATTEMPTS:
            assert delivery.status is DeliveryStatus.PENDING
            assert delivery.next_attempt_at == moment + BACKOFF[attempt - 1]
            moment = delivery.next_attempt_at
    assert delivery.status is DeliveryStatus.FAILED
    assert done.failed == 1
    assert len(receiver.received) == ATTEMPTS
    assert deliver_due(session, AGENT, now=lambda: moment + BACKOFF[-1] * 10).sent == 0


def test_a_failed_delivery_sent_again_reaches_a_mended_receiver(
    session: Session, client: FlaskClient, sign_in: SignIn, plant: dict, receiver: Receiver
) -> None:
    hook, _ = hook_for(session, plant["admin"], receiver.url)
    webhooks.ping(session, plant["admin"], hook)
    [delivery] = queued(session)
    delivery.status, delivery.attempts = DeliveryStatus.FAILED, ATTEMPTS
    session.commit()
    sign_in(plant["admin"])
    page = client.get(f"/admin/webhooks/{hook.id}").get_data(as_text=True)
    assert "Failed" in page and f"Send delivery {delivery.id} again" in page

    again = client.post(f"/admin/webhooks/deliveries/{delivery.id}/again")

    assert again.status_code == 302
    assert deliver_due(session, AGENT).delivered == 1
    [delivery] = queued(session)
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "sent again"))


def test_an_unreachable_receiver_is_recorded_and_retried(session: Session, plant: dict) -> None:
    closed = Receiver()
    url = closed.url
    closed.close()  # nobody listens on that port now
    hook, _ = hook_for(session, plant["admin"], url)
    webhooks.ping(session, plant["admin"], hook)
    done = deliver_due(session, AGENT)
    [delivery] = queued(session)
    assert done.delivered == 0 and delivery.status is DeliveryStatus.PENDING
    assert delivery.last_status_code is None and "refused" in (delivery.last_error or "").lower()


def test_a_redirect_is_not_followed(session: Session, plant: dict, receiver: Receiver) -> None:
    hook, _ = hook_for(session, plant["admin"], receiver.url)
    webhooks.ping(session, plant["admin"], hook)
    receiver.status = 302
    deliver_due(session, AGENT)
    [delivery] = queued(session)
    assert [r["path"] for r in receiver.received] == ["/kaizen-events"]
    assert delivery.status is DeliveryStatus.PENDING and delivery.last_status_code == 302


def test_two_workers_never_take_the_same_delivery(session: Session, plant: dict) -> None:
    hook, _ = hook_for(session, plant["admin"], "http://127.0.0.1:9/x")
    for _ in range(3):
        webhooks.ping(session, plant["admin"], hook)
    now = utcnow()
    first = claim(session, now, limit=2)
    second = claim(session, now, limit=10)
    assert len(first) == 2 and len(second) == 1
    assert not {d.id for d in first} & {d.id for d in second}
    assert claim(session, now, limit=10) == []


def test_a_delivery_whose_worker_died_is_taken_again_after_the_lease(
    session: Session, plant: dict
) -> None:
    hook, _ = hook_for(session, plant["admin"], "http://127.0.0.1:9/x")
    webhooks.ping(session, plant["admin"], hook)
    now = utcnow()
    [taken] = claim(session, now, limit=5)  # ...and never answered
    assert claim(session, now + LEASE / 2, limit=5) == []
    [again] = claim(session, now + LEASE, limit=5)
    assert again.id == taken.id and again.attempt == 2


def test_an_answer_for_a_delivery_sent_again_meanwhile_is_not_recorded(
    session: Session, plant: dict
) -> None:
    hook, _ = hook_for(session, plant["admin"], "http://127.0.0.1:9/x")
    webhooks.ping(session, plant["admin"], hook)
    [taken] = claim(session, utcnow(), limit=5)
    webhooks.send_again(session, plant["admin"], queued(session)[0])
    failed = webhook_delivery.Answer(500, "HTTP 500 Internal Server Error")
    webhook_delivery.record_answer(session, taken, failed, utcnow())
    [delivery] = queued(session)
    assert delivery.attempts == 0 and delivery.last_status_code is None


def test_delivered_rows_older_than_a_month_are_pruned(
    session: Session, plant: dict, receiver: Receiver
) -> None:
    hook, _ = hook_for(session, plant["admin"], receiver.url)
    webhooks.ping(session, plant["admin"], hook)
    webhooks.ping(session, plant["admin"], hook)
    deliver_due(session, AGENT)
    failed = queued(session)[1]
    failed.status = DeliveryStatus.FAILED
    session.commit()
    later: datetime = utcnow() + webhook_delivery.KEEP_DELIVERED * 2
    assert webhook_delivery.prune(session, later) == 1
    assert [d.status for d in queued(session)] == [DeliveryStatus.FAILED]


def test_the_worker_command_sends_what_is_due_and_stops_with_once(
    app: Flask, session: Session, plant: dict, receiver: Receiver
) -> None:
    hook, secret = hook_for(session, plant["admin"], receiver.url)
    webhooks.ping(session, plant["admin"], hook)
    result = app.test_cli_runner().invoke(args=["webhooks", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1: 1 delivered" in result.output
    [request] = receiver.received
    assert signed_by(secret, request)
    assert request["headers"]["User-Agent"].startswith("Kaizen-Webhooks/")
    assert json.loads(request["body"])["event"] == "ping"


# --------------------------------------------------------------------------------------
# The admin pages
# --------------------------------------------------------------------------------------


def test_an_admin_registers_a_webhook_and_sees_its_secret_once(
    session: Session, client: FlaskClient, sign_in: SignIn, plant: dict
) -> None:
    sign_in(plant["admin"])
    made = client.post(
        "/admin/webhooks",
        data={
            "name": "Quality chat",
            "url": "https://chat.example.net/hooks/kaizen",
            "events": ["observation.created", "card.finished"],
        },
    )
    assert made.status_code == 200
    hook = session.scalar(select(Webhook))
    assert hook is not None and hook.event_codes == ["observation.created", "card.finished"]
    assert hook.secret.startswith("whsec_") and hook.secret in made.get_data(as_text=True)
    listed = client.get("/admin/webhooks").get_data(as_text=True)
    assert "Quality chat" in listed and hook.secret not in listed
    assert session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.subject_type == "webhook")
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.net/in", "starts with https://"),
        ("chat.example.net/hooks", "starts with https://"),
        ("https://chat.example.net/a b", "no spaces or control characters"),
        ("https://chat.example.net/\x07", "control characters"),
        ("https://chat.example.net:99999/", "not a web address"),
        ("https://example.net/" + "a" * 2100, "at most"),
    ],
)
def test_a_bad_address_is_refused_with_a_message_and_the_typing_kept(
    session: Session, client: FlaskClient, sign_in: SignIn, plant: dict, url: str, message: str
) -> None:
    sign_in(plant["admin"])
    answer = client.post(
        "/admin/webhooks", data={"name": "Line 3 MES", "url": url, "events": ["card.moved"]}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code in (400, 422)
    if answer.status_code == 422:
        assert message in page and 'value="Line 3 MES"' in page
    assert session.scalar(select(func.count()).select_from(Webhook)) == 0


def test_a_webhook_needs_an_event_the_app_knows(
    session: Session, client: FlaskClient, sign_in: SignIn, plant: dict
) -> None:
    sign_in(plant["admin"])
    for events in ([], ["card.deleted"]):
        answer = client.post(
            "/admin/webhooks",
            data={"name": "MES", "url": "https://mes.example.net/in", "events": events},
        )
        assert answer.status_code == 422
    assert session.scalar(select(func.count()).select_from(Webhook)) == 0


def test_the_hook_page_tests_pauses_starts_and_deletes(
    session: Session, client: FlaskClient, sign_in: SignIn, plant: dict, receiver: Receiver
) -> None:
    hook, _ = hook_for(session, plant["admin"], receiver.url)
    sign_in(plant["admin"])
    assert client.post(f"/admin/webhooks/{hook.id}/test").status_code == 302
    deliver_due(session, AGENT)
    page = client.get(f"/admin/webhooks/{hook.id}").get_data(as_text=True)
    assert "Delivered" in page and "ping" in page and receiver.url in page

    client.post(f"/admin/webhooks/{hook.id}/pause")
    session.expire_all()
    assert not session.get(Webhook, hook.id).active  # type: ignore[union-attr]
    assert "Paused" in client.get("/admin/webhooks").get_data(as_text=True)
    client.post(f"/admin/webhooks/{hook.id}/start")
    session.expire_all()
    assert session.get(Webhook, hook.id).active  # type: ignore[union-attr]

    assert client.post(f"/admin/webhooks/{hook.id}/delete").status_code == 302
    assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert client.get(f"/admin/webhooks/{hook.id}").status_code == 404
