"""Team scope, kiosks bound to their area, archived places and TV links, as people notice them.

The route-by-route answers are in test_access_matrix.py; these tests follow what happens.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen.devices.mode import KIOSK_COOKIE
from kaizen.models import BoardColumn, Improvement, Observation, Role, User
from kaizen.services import devices
from kaizen.services.moves import OtherTeamsCard, move_card
from kaizen.services.scope import manages_team, works_on_record, works_on_team
from tests.conftest import SignIn
from tests.factories import make_area, make_improvement, make_team, make_user

REPORT = {"waste": "waiting", "description": "Coils waited at the press."}


def test_the_rules_in_one_table(session: Session) -> None:
    alpha, beta = make_team(session), make_team(session)
    member = make_user(session, team=alpha)
    lead = make_user(session, role=Role.LEAD, team=alpha)
    roaming = make_user(session, team=alpha, plant_wide=True)
    viewer = make_user(session, role=Role.VIEWER, team=alpha, plant_wide=True)
    admin = make_user(session, role=Role.ADMIN)

    assert works_on_team(member, alpha.id) and not works_on_team(member, beta.id)
    assert works_on_team(roaming, beta.id) and works_on_team(admin, beta.id)
    assert not works_on_team(viewer, alpha.id) and not works_on_team(None, alpha.id)
    assert manages_team(lead, alpha.id) and not manages_team(lead, beta.id)
    assert not manages_team(member, alpha.id) and not manages_team(roaming, beta.id)
    assert works_on_record(member, []) and works_on_record(member, [beta.id, alpha.id])
    assert not works_on_record(member, [beta.id])


def test_a_member_cannot_move_another_teams_card_and_nothing_is_written(session: Session) -> None:
    card = make_improvement(session, board_column=BoardColumn.PLAN)
    outsider = make_user(session, team=make_team(session))
    session.commit()

    try:
        move_card(session, card.id, BoardColumn.DO, None, card.version, outsider)
    except OtherTeamsCard as refused:
        assert "another team" in refused.message
    else:
        raise AssertionError("the move went through")
    session.expire_all()
    assert session.get(Improvement, card.id).board_column is BoardColumn.PLAN


def test_the_board_offers_move_controls_only_on_the_members_own_lane(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    alpha = make_team(session, name="Alpha", slug="alpha")
    beta = make_team(session, name="Beta", slug="beta")
    own = make_improvement(session, team=alpha, board_column=BoardColumn.PLAN)
    other = make_improvement(session, team=beta, board_column=BoardColumn.PLAN)
    member = make_user(session, team=alpha)
    session.commit()
    sign_in(member)

    html = client.get("/board").get_data(as_text=True)
    own_card = html[html.index(f'id="card-{own.id}"') :][:1500]
    other_card = html[html.index(f'id="card-{other.id}"') :][:1500]

    assert "card-handle" in own_card.split("</li>")[0]
    assert "card-handle" not in other_card.split("</li>")[0]
    assert 'aria-label="Move to Do"' not in other_card.split("</li>")[0]


def test_a_kiosk_posting_another_area_stores_its_own_area_without_a_name(
    client: FlaskClient, session: Session
) -> None:
    press = make_area(session, slug="press-3")
    paint = make_area(session, slug="paint-1")
    lead = make_user(session, role=Role.ADMIN)
    session.commit()
    kiosk = devices.bind_kiosk(session, press.id, "Press tablet", lead)
    client.set_cookie(KIOSK_COOKIE, kiosk.secret)

    response = client.post("/observe", data={**REPORT, "area": paint.slug, "anonymous": ""})

    assert response.status_code == 303
    (report,) = session.scalars(select(Observation)).all()
    assert report.area_id == press.id and report.reporter_id is None


def test_a_kiosk_account_posting_another_area_stores_its_own_area_without_a_name(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    press = make_area(session, slug="press-3")
    paint = make_area(session, slug="paint-1")
    kiosk = make_user(session, role=Role.KIOSK, area=press)
    session.commit()
    sign_in(kiosk)

    client.post("/observe", data={**REPORT, "area": paint.slug})

    (report,) = session.scalars(select(Observation)).all()
    assert report.area_id == press.id and report.reporter_id is None


def test_a_kiosk_has_no_menu_no_sign_out_and_cannot_sign_out(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    kiosk = make_user(session, role=Role.KIOSK, area=make_area(session))
    session.commit()
    sign_in(kiosk)

    page = client.get("/observe").get_data(as_text=True)

    assert 'aria-label="Main"' not in page and "Sign out" not in page
    assert "Unlock (leads)" in page
    assert client.post("/logout").status_code == 403
    assert client.get("/observe").status_code == 200  # still the kiosk


def test_a_lead_unlocks_a_kiosk_and_the_kiosk_is_revoked(
    client: FlaskClient, session: Session
) -> None:
    area = make_area(session)
    lead = make_user(session, role=Role.LEAD, team=area.team)
    member = make_user(session, team=area.team)
    session.commit()
    kiosk = devices.bind_kiosk(session, area.id, "", lead)
    client.set_cookie(KIOSK_COOKIE, kiosk.secret)

    refused = client.post(
        "/kiosk/unlock", data={"username": member.username, "password": "correct horse"}
    )
    unlocked = client.post(
        "/kiosk/unlock", data={"username": lead.username, "password": "correct horse"}
    )

    assert refused.status_code == 422
    assert "Only a lead or an admin" in refused.get_data(as_text=True)
    assert unlocked.status_code == 302
    assert client.get("/board").status_code == 200  # an ordinary screen again
    assert devices.kiosk_by_secret(session, kiosk.secret) is None


def test_a_kiosk_unlock_after_too_many_failures_says_when_to_try_again(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    app.config.update(SIGNIN_ACCOUNT_FAILURES=3, SIGNIN_LOCK_SECONDS=60)
    area = make_area(session)
    lead = make_user(session, role=Role.LEAD, team=area.team)
    session.commit()
    kiosk = devices.bind_kiosk(session, area.id, "", lead)
    client.set_cookie(KIOSK_COOKIE, kiosk.secret)

    for _ in range(3):
        wrong = {"username": lead.username, "password": "wrong guess"}
        assert client.post("/kiosk/unlock", data=wrong).status_code == 422
    right = {"username": lead.username, "password": "correct horse"}
    paused = client.post("/kiosk/unlock", data=right)

    assert paused.status_code == 429
    assert "try again in 60 seconds" in paused.get_data(as_text=True)
    assert devices.kiosk_by_secret(session, kiosk.secret) is not None  # still a kiosk


def test_a_revoked_kiosk_cookie_opens_nothing(client: FlaskClient, session: Session) -> None:
    area = make_area(session)
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    kiosk = devices.bind_kiosk(session, area.id, "", admin)
    devices.revoke_kiosk(session, kiosk.id)
    client.set_cookie(KIOSK_COOKIE, kiosk.secret)

    assert client.get("/board").status_code == 200
    assert "Unlock (leads)" not in client.get("/observe").get_data(as_text=True)


def test_a_revoked_tv_link_is_a_404_and_its_poll_asks_the_screen_to_reload(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session, slug="stamping")
    make_improvement(session, team=team, title="Kanban square at press 3")
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    made = devices.create_display_link(session, team.id, "Hall TV", admin)

    shown = client.get(f"/tv/{made.secret}")
    assert shown.status_code == 200 and "Kanban square at press 3" in shown.get_data(as_text=True)
    link = devices.display_link(session, made.id)
    assert link is not None
    devices.revoke_display_link(session, link, admin)

    gone = client.get(f"/tv/{made.secret}")
    poll = client.get(f"/tv/{made.secret}?since=x", headers={"HX-Request": "true"})
    assert gone.status_code == 404 and "Kanban square" not in gone.get_data(as_text=True)
    assert poll.status_code == 404 and poll.headers["HX-Refresh"] == "true"


def test_an_archived_area_leaves_the_entry_form_and_its_reports_stay(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    area = make_area(session, name="Old press", slug="old-press")
    lead = make_user(session, role=Role.LEAD, team=area.team)
    session.commit()
    client.post("/observe", data={**REPORT, "area": "old-press"})
    sign_in(lead)

    assert client.post("/areas/old-press/archive").status_code == 303
    refused = client.post("/observe", data={**REPORT, "area": "old-press"})

    assert 'value="old-press"' not in client.get("/observe").get_data(as_text=True)
    assert refused.status_code == 422
    assert "no longer in use" in refused.get_data(as_text=True)
    assert len(session.scalars(select(Observation)).all()) == 1


def test_an_archived_team_leaves_the_plant_board_but_keeps_its_own(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    team = make_team(session, name="Night shift", slug="night")
    make_improvement(session, team=team, title="Brighter lamps at the press")
    make_team(session, name="Day shift", slug="day")
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    sign_in(admin)

    client.post("/teams/night/archive")

    assert "Brighter lamps" not in client.get("/board").get_data(as_text=True)
    assert "Brighter lamps" in client.get("/board/night").get_data(as_text=True)
    assert "Archived teams" in client.get("/teams").get_data(as_text=True)


def test_a_lead_adds_an_area_to_their_team_but_not_to_another(
    client: FlaskClient, session: Session, sign_in: SignIn
) -> None:
    own, other = make_team(session), make_team(session)
    lead = make_user(session, role=Role.LEAD, team=own)
    session.commit()
    sign_in(lead)

    added = client.post("/areas/new", data={"name": "Press 9", "kind": "line", "team_id": own.id})
    refused = client.post(
        "/areas/new", data={"name": "Paint 9", "kind": "line", "team_id": other.id}
    )

    assert added.status_code == 303
    assert refused.status_code == 422
    assert 'value="press-9"' in client.get("/observe").get_data(as_text=True)


def test_create_user_makes_a_plant_wide_account(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(
        args=["create-user", "rita", "--plant-wide", "--password", "s3cret-pass"]
    )

    assert result.exit_code == 0, result.output
    assert session.scalar(select(User.plant_wide).where(User.username == "rita")) is True
