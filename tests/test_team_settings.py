"""Team settings: leads choose WIP limits per column and where cycle time starts."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen.models import BoardColumn, ColumnLimit, Role, Team, WipMode
from kaizen.services.teams import TeamSettingsError, save_team_settings
from tests.conftest import SignIn
from tests.factories import make_area, make_team, make_user

SETTINGS = "/teams/press-shop/settings"


def limits_of(session: Session, team: Team) -> dict[BoardColumn, tuple[int, WipMode]]:
    session.expire_all()
    rows = session.scalars(select(ColumnLimit).where(ColumnLimit.team_id == team.id))
    return {row.board_column: (row.wip_limit, row.mode) for row in rows}


def settings_form(**overrides: str) -> dict[str, str]:
    values = {
        "ideas_limit": "",
        "ideas_mode": "soft",
        "plan_limit": "",
        "plan_mode": "soft",
        "do_limit": "",
        "do_mode": "soft",
        "check_limit": "",
        "check_mode": "soft",
        "cycle_start_column": "plan",
    }
    values.update(overrides)
    return values


def save_settings(client: FlaskClient, **overrides: str):
    """Post the press shop's settings: no limits, all soft, starting at Plan, unless told."""
    return client.post(SETTINGS, data=settings_form(**overrides))


def press_shop(session: Session, *limits: ColumnLimit) -> Team:
    """The saved team whose settings live at SETTINGS, with these limits."""
    team = make_team(session, slug="press-shop", name="Press shop")
    team.column_limits.extend(limits)
    session.commit()
    return team


@pytest.fixture
def lead(sign_in: SignIn, session: Session, client: FlaskClient):
    user = make_user(session, role=Role.LEAD)
    session.commit()
    sign_in(user)
    return user


def test_a_lead_saves_wip_limits_soft_and_hard(session: Session, client: FlaskClient, lead) -> None:
    team = press_shop(session)
    response = save_settings(client, plan_limit="5", do_limit="3", do_mode="hard", check_limit="4")
    assert response.status_code == 302
    assert limits_of(session, team) == {
        BoardColumn.PLAN: (5, WipMode.SOFT),
        BoardColumn.DO: (3, WipMode.HARD),
        BoardColumn.CHECK: (4, WipMode.SOFT),
    }


def test_the_settings_page_shows_the_saved_limits(
    session: Session, client: FlaskClient, lead
) -> None:
    press_shop(session, ColumnLimit(board_column=BoardColumn.DO, wip_limit=3, mode=WipMode.HARD))
    html = client.get(SETTINGS).get_data(as_text=True)
    assert "Board settings for Press shop" in html
    assert 'name="do_limit" type="number" value="3"' in html
    assert 'checked id="do_mode-1" name="do_mode" type="radio" value="hard"' in html


def test_a_blank_limit_removes_it(session: Session, client: FlaskClient, lead) -> None:
    team = press_shop(
        session,
        ColumnLimit(board_column=BoardColumn.DO, wip_limit=3),
        ColumnLimit(board_column=BoardColumn.PLAN, wip_limit=5),
    )
    save_settings(client, plan_limit="6")
    assert limits_of(session, team) == {BoardColumn.PLAN: (6, WipMode.SOFT)}


def test_changing_a_limit_from_soft_to_hard_updates_it(
    session: Session, client: FlaskClient, lead
) -> None:
    team = press_shop(session, ColumnLimit(board_column=BoardColumn.DO, wip_limit=3))
    save_settings(client, do_limit="2", do_mode="hard")
    assert limits_of(session, team) == {BoardColumn.DO: (2, WipMode.HARD)}


def test_a_limit_below_one_is_refused_and_kept(session: Session, client: FlaskClient, lead) -> None:
    team = press_shop(session)
    response = save_settings(client, do_limit="0")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Use 1 or more, or leave it blank for no limit." in html
    assert 'name="do_limit" type="number" value="0"' in html
    assert limits_of(session, team) == {}


def test_ideas_may_have_a_limit_too(session: Session, client: FlaskClient, lead) -> None:
    team = press_shop(session)
    save_settings(client, ideas_limit="12")
    assert limits_of(session, team) == {BoardColumn.IDEAS: (12, WipMode.SOFT)}


def test_done_never_has_a_limit(session: Session) -> None:
    team = make_team(session)
    with pytest.raises(TeamSettingsError):
        save_team_settings(
            session,
            team,
            limits={BoardColumn.DONE: (10, WipMode.HARD)},
            cycle_start_column=BoardColumn.PLAN,
        )


def test_the_settings_form_offers_no_limit_for_done(
    session: Session, client: FlaskClient, lead
) -> None:
    press_shop(session)
    html = client.get(SETTINGS).get_data(as_text=True)
    assert 'name="done_limit"' not in html


def test_a_lead_chooses_where_cycle_time_starts(
    session: Session, client: FlaskClient, lead
) -> None:
    team = press_shop(session)
    save_settings(client, cycle_start_column="do")
    session.expire_all()
    assert session.get(Team, team.id).cycle_start_column is BoardColumn.DO  # type: ignore[union-attr]


def test_members_may_not_change_team_settings(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = press_shop(session)
    member = make_user(session, role=Role.MEMBER)
    session.commit()
    sign_in(member)
    assert client.get(SETTINGS).status_code == 403
    response = save_settings(client, do_limit="1")
    assert response.status_code == 403
    assert limits_of(session, team) == {}


def test_signed_out_people_are_sent_to_sign_in(session: Session, client: FlaskClient) -> None:
    press_shop(session)
    response = client.get(SETTINGS)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_unknown_team_is_not_found(client: FlaskClient, lead) -> None:
    assert client.get("/teams/nowhere/settings").status_code == 404


def test_the_teams_page_lists_teams_with_their_areas(session: Session, client: FlaskClient) -> None:
    team = make_team(session, name="Logistics", slug="logistics")
    make_area(session, name="Goods in", team=team)
    make_area(session, name="Dispatch", team=team)
    session.commit()
    html = client.get("/teams").get_data(as_text=True)
    assert "Logistics" in html
    assert "Goods in" in html and "Dispatch" in html
    assert "/teams/logistics/settings" not in html


def test_leads_find_the_settings_from_the_teams_page(
    session: Session, client: FlaskClient, lead
) -> None:
    make_team(session, name="Logistics", slug="logistics")
    session.commit()
    html = client.get("/teams").get_data(as_text=True)
    assert 'href="/teams/logistics/settings"' in html


def test_members_can_file_an_idea_for_a_team_from_the_teams_page(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    make_team(session, name="Logistics", slug="logistics")
    member = make_user(session, role=Role.MEMBER)
    session.commit()
    sign_in(member)
    html = client.get("/teams").get_data(as_text=True)
    assert 'href="/improvements/new?team=logistics"' in html
    assert "/teams/logistics/settings" not in html
