"""The board: what its pages show, who may move cards, moves over HTTP, and cheap polling."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from kaizen.extensions import db
from kaizen.models import (
    BoardColumn,
    CardMove,
    Improvement,
    Outcome,
    Role,
    RootCause,
    Team,
    Waste,
    WipMode,
    utcnow,
)
from kaizen.services.board import board_token, build_board
from kaizen.services.flow import percentile
from kaizen.services.months import Month
from kaizen.services.moves import move_card
from kaizen.services.teams import save_team_settings
from tests.conftest import SignIn
from tests.factories import (
    make_area,
    make_column_limit,
    make_improvement,
    make_moved_improvement,
    make_observation,
    make_team,
    make_user,
)

IDEAS, PLAN, DO, CHECK, DONE = list(BoardColumn)
HTMX = {"HX-Request": "true"}


def days_ago(days: float) -> datetime:
    """A moment `days` days before now."""
    return utcnow() - timedelta(days=days)


def finished_cards(session: Session, team: Team, cycle_days: list[int]) -> None:
    """Cards that started and finished with these cycle times, all within the last month."""
    for days in cycle_days:
        make_moved_improvement(
            session,
            team=team,
            path=[(PLAN, days_ago(days + 2)), (DO, days_ago(days + 1)), (DONE, days_ago(2))],
            created_at=days_ago(days + 3),
            outcome=Outcome.ADOPTED,
            title=f"Finished in {days}",
        )


def card_view(session: Session, team: Team, card_id: int):
    """The card as the team's board shows it."""
    board = build_board(session, utcnow(), team.slug)
    return next(c for col in board.lanes[0].columns for c in col.cards if c.id == card_id)


def member(
    sign_in: SignIn, session: Session, client: FlaskClient, role: Role = Role.MEMBER
) -> None:
    """Sign the client in with an account of this role."""
    user = make_user(session, role=role)
    session.commit()
    sign_in(user)


def post_move(client: FlaskClient, card: Improvement, htmx: bool = True, **data: object):
    """Send a move of this card as the board does: with htmx, unless told otherwise."""
    return client.post(f"/board/cards/{card.id}/move", data=data, headers=HTMX if htmx else {})


def card_facing_a_full_do_column(session: Session, mode: WipMode) -> Improvement:
    """A press-shop card in Plan, and a Do column already at its limit of one."""
    team = make_team(session, slug="press-shop")
    make_column_limit(session, team, board_column=DO, wip_limit=1, mode=mode)
    make_improvement(session, team=team, board_column=DO)
    return make_improvement(session, team=team, board_column=PLAN)


def token_of(html: str) -> str:
    """The change token a rendered board carries."""
    match = re.search(r'data-token="([0-9a-z.-]+)"', html)
    assert match, "the board carries its change token"
    return match.group(1)


def card_html(html: str, card_id: int) -> str:
    """The markup of one card on a rendered board."""
    start = html.rindex("<li", 0, html.index(f'id="card-{card_id}"'))
    ends = [html.find(end, start + 1) for end in ('<li class="card', "</ol>")]
    return html[start : min(end for end in ends if end >= 0)]


# -- the board's numbers ---------------------------------------------------------------------


def test_the_85th_percentile_is_a_value_that_85_percent_do_not_exceed() -> None:
    assert percentile([], 85) is None
    assert percentile([7], 85) == 7
    assert percentile(list(range(1, 21)), 85) == 17
    assert percentile([10, 1, 5, 3, 8, 2, 9, 4, 7, 6], 85) == 9


def test_a_cards_age_counts_from_when_it_first_left_ideas(session: Session) -> None:
    team = make_team(session)
    card = make_moved_improvement(
        session, team=team, path=[(PLAN, days_ago(6)), (DO, days_ago(2))], created_at=days_ago(9)
    )
    idea = make_improvement(session, team=team, created_at=days_ago(4))

    assert card_view(session, team, card.id).age_days == 6
    assert card_view(session, team, idea.id).age_days is None
    assert card_view(session, team, idea.id).days_since_created == 4


def test_a_team_can_start_the_clock_at_another_column(session: Session) -> None:
    team = make_team(session, cycle_start_column=DO)
    card = make_moved_improvement(
        session, team=team, path=[(PLAN, days_ago(6)), (DO, days_ago(2))], created_at=days_ago(9)
    )
    planned = make_moved_improvement(session, team=team, path=[(PLAN, days_ago(5))])

    assert card_view(session, team, card.id).age_days == 2
    assert card_view(session, team, planned.id).age_days is None


def test_a_card_older_than_the_teams_85th_percentile_cycle_time_is_flagged(
    session: Session,
) -> None:
    team = make_team(session)
    finished_cards(session, team, [2, 3, 4, 5, 6, 8])
    old = make_moved_improvement(session, team=team, path=[(DO, days_ago(9))])
    young = make_moved_improvement(session, team=team, path=[(DO, days_ago(8))])

    board = build_board(session, utcnow(), team.slug)

    assert board.lanes[0].p85_days == 8
    assert card_view(session, team, old.id).over_p85
    assert not card_view(session, team, young.id).over_p85


def test_no_age_warning_until_the_team_has_finished_a_few_cards(session: Session) -> None:
    team = make_team(session)
    finished_cards(session, team, [1, 1, 1, 1])
    old = make_moved_improvement(session, team=team, path=[(DO, days_ago(30))])

    assert build_board(session, utcnow(), team.slug).lanes[0].p85_days is None
    assert not card_view(session, team, old.id).over_p85


def test_a_card_knows_its_root_cause_and_linked_observations(session: Session) -> None:
    team = make_team(session)
    card = make_improvement(session, team=team, board_column=DO)
    card.observations.extend([make_observation(session), make_observation(session)])
    open_question = RootCause(problem="Forklift late", improvements=[card])
    session.add(open_question)
    session.flush()

    view = card_view(session, team, card.id)
    assert (view.has_root_cause, view.linked_observation_count) == (False, 2)

    open_question.root_cause = "No signal tells the driver the line is waiting."
    session.flush()
    assert card_view(session, team, card.id).has_root_cause


def test_the_board_makes_the_same_few_queries_for_few_or_many_cards(
    session: Session,
) -> None:
    def queries_for_board() -> int:
        count = 0

        def counter(*_args: object) -> None:
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            build_board(session, utcnow())
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count

    team = make_team(session)
    owner = make_user(session)
    area = make_area(session, team=team)
    for _ in range(3):
        make_moved_improvement(session, team=team, path=[(DO, days_ago(2))], owner=owner)
    session.commit()
    few = queries_for_board()
    for _ in range(40):
        card = make_moved_improvement(
            session, team=team, path=[(DO, days_ago(2))], owner=make_user(session), area=area
        )
        card.observations.append(make_observation(session))
    session.commit()

    assert queries_for_board() == few


def test_a_reopened_card_finished_again_keeps_its_first_finish_but_shows_as_recent(
    session: Session,
) -> None:
    team = make_team(session)
    card = make_moved_improvement(
        session,
        team=team,
        path=[
            (PLAN, days_ago(70)),
            (DONE, days_ago(60)),
            (CHECK, days_ago(5)),
            (DONE, days_ago(1)),
        ],
        outcome=Outcome.ADOPTED,
    )

    view = card_view(session, team, card.id)

    assert view.cycle_days == 10  # to the first finish, as in the reports
    assert view.finished_at is not None and view.finished_at > days_ago(2)


def test_the_change_token_only_changes_when_the_board_does(session: Session) -> None:
    team = make_team(session)
    card = make_improvement(session, team=team, board_column=PLAN)
    session.commit()
    before = board_token(session, utcnow(), team.slug)

    assert board_token(session, utcnow(), team.slug) == before
    move_card(session, card.id, DO, None, card.version, None)
    assert board_token(session, utcnow(), team.slug) != before


def test_a_reorder_a_new_card_an_observation_and_a_limit_change_the_token(
    session: Session,
) -> None:
    team = make_team(session)
    area = make_area(session, team=team)
    first = make_improvement(session, team=team, board_column=DO, position=0)
    make_improvement(session, team=team, board_column=DO, position=1)
    session.commit()
    tokens = [board_token(session, utcnow(), team.slug)]

    move_card(session, first.id, DO, 1, first.version, None)
    tokens.append(board_token(session, utcnow(), team.slug))
    make_improvement(session, team=team)
    session.commit()
    tokens.append(board_token(session, utcnow(), team.slug))
    make_observation(session, area=area)
    session.commit()
    tokens.append(board_token(session, utcnow(), team.slug))
    limit = make_column_limit(session, team)
    session.commit()
    tokens.append(board_token(session, utcnow(), team.slug))
    limit.mode = WipMode.HARD
    session.commit()
    tokens.append(board_token(session, utcnow(), team.slug))

    assert len(set(tokens)) == len(tokens)


def test_changing_the_cycle_start_column_changes_the_token(session: Session) -> None:
    # Ages count from the start column, so every open board must redraw.
    team = make_team(session)
    make_improvement(session, team=team, board_column=DO)
    session.commit()
    before = board_token(session, utcnow(), team.slug)
    plant_before = board_token(session, utcnow())

    save_team_settings(session, team, limits={}, cycle_start_column=DO)

    assert board_token(session, utcnow(), team.slug) != before
    assert board_token(session, utcnow()) != plant_before


def test_renaming_a_team_an_area_or_a_card_owner_changes_the_token(session: Session) -> None:
    team = make_team(session)
    area = make_area(session, team=None)  # another team's area, named on this team's card
    owner = make_user(session)
    make_improvement(session, team=team, area=area, owner=owner, board_column=DO)
    session.commit()
    tokens = [board_token(session, utcnow(), team.slug)]

    for row, field in ((team, "name"), (area, "name"), (owner, "display_name")):
        setattr(row, field, f"Renamed {field}")
        session.commit()
        tokens.append(board_token(session, utcnow(), team.slug))

    assert len(set(tokens)) == len(tokens)


def test_renaming_someone_who_owns_no_card_on_the_board_leaves_the_token_alone(
    session: Session,
) -> None:
    team = make_team(session)
    make_improvement(session, team=team, board_column=DO)
    bystander = make_user(session)
    session.commit()
    before = board_token(session, utcnow(), team.slug)

    bystander.display_name = "Someone else"
    session.commit()

    assert board_token(session, utcnow(), team.slug) == before


def test_another_teams_move_leaves_a_team_boards_token_alone(session: Session) -> None:
    team, other = make_team(session), make_team(session)
    card = make_improvement(session, team=other, board_column=PLAN)
    session.commit()
    before = board_token(session, utcnow(), team.slug)

    move_card(session, card.id, DO, None, card.version, None)

    assert board_token(session, utcnow(), team.slug) == before


# -- the pages -------------------------------------------------------------------------------


def test_the_board_shows_every_team_as_a_swimlane_with_the_five_columns(
    session: Session, client: FlaskClient
) -> None:
    make_team(session, name="Press shop", slug="press-shop")
    make_team(session, name="Assembly", slug="assembly")
    session.commit()

    html = client.get("/board").get_data(as_text=True)

    assert 'id="lane-press-shop"' in html and 'id="lane-assembly"' in html
    for column in ["Ideas", "Plan", "Do", "Check", "Done"]:
        assert f'<span class="column-name">{column}</span>' in html


def test_a_team_board_shows_only_that_team(session: Session, client: FlaskClient) -> None:
    team = make_team(session, name="Press shop", slug="press-shop")
    other = make_team(session, name="Assembly", slug="assembly")
    make_improvement(session, team=team, title="Kanban square")
    make_improvement(session, team=other, title="Paint rack")
    session.commit()

    html = client.get("/board/press-shop").get_data(as_text=True)

    assert "Kanban square" in html and "Paint rack" not in html
    assert "<title>Press shop board · Kaizen</title>" in html


def test_an_unknown_team_board_is_not_found(client: FlaskClient) -> None:
    assert client.get("/board/no-such-team").status_code == 404


def test_a_column_header_shows_its_count_against_its_limit(
    session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    make_column_limit(session, team, board_column=DO, wip_limit=4)
    for _ in range(3):
        make_improvement(session, team=team, board_column=DO)
    session.commit()

    html = client.get("/board/press-shop").get_data(as_text=True)

    assert '<span class="column-count">3 / 4</span>' in html
    assert "Over limit" not in html


def test_an_over_limit_column_is_clearly_marked(session: Session, client: FlaskClient) -> None:
    team = make_team(session, slug="press-shop")
    make_column_limit(session, team, board_column=DO, wip_limit=2)
    for _ in range(3):
        make_improvement(session, team=team, board_column=DO)
    session.commit()

    html = client.get("/board/press-shop").get_data(as_text=True)

    assert '<span class="column-count">3 / 2</span>' in html
    assert "column-do is-over" in html and "Over limit" in html


def test_a_card_shows_what_a_stand_up_needs(session: Session, client: FlaskClient) -> None:
    team = make_team(session, slug="press-shop")
    owner = make_user(session, display_name="Dev Patel")
    area = make_area(session, team=team, name="Press line 1")
    card = make_moved_improvement(
        session,
        team=team,
        path=[(PLAN, days_ago(5)), (DO, days_ago(1))],
        title="Kanban square for the forklift",
        waste=Waste.WAITING,
        owner=owner,
        area=area,
        blocked=True,
        blocked_reason="Waiting for the paint crew",
    )
    card.observations.append(make_observation(session))
    session.commit()

    page = client.get("/board/press-shop").get_data(as_text=True)
    html = card_html(page, card.id)

    for text in [
        "Kanban square for the forklift",
        "Waiting",
        "Press line 1",
        "Dev Patel",
        "Age 5 d",
        "Blocked: Waiting for the paint crew",
        "No root cause yet",
        "1 observation",
    ]:
        assert text in html
    # The waste colour: a class on the card, its colour in the waste stylesheet (no inline
    # style: the Content-Security-Policy refuses it).
    assert "w-waiting" in html
    assert "/static/css/wastes.css" in page


def test_an_aging_card_warns_on_the_board(session: Session, client: FlaskClient) -> None:
    team = make_team(session, slug="press-shop")
    finished_cards(session, team, [2, 3, 3, 4, 5])
    card = make_moved_improvement(session, team=team, path=[(DO, days_ago(12))])
    session.commit()

    html = card_html(client.get("/board/press-shop").get_data(as_text=True), card.id)

    assert "Past the usual 5&nbsp;d" in html


def test_done_shows_recent_cards_with_a_link_to_all_of_them(
    session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    make_moved_improvement(
        session, team=team, path=[(DONE, days_ago(3))], outcome=Outcome.ADOPTED, title="Recent win"
    )
    make_moved_improvement(
        session,
        team=team,
        path=[(DONE, days_ago(90))],
        outcome=Outcome.NOT_ADOPTED,
        title="Old lesson",
    )
    session.commit()

    recent = client.get("/board/press-shop").get_data(as_text=True)
    everything = client.get("/board/press-shop?done=all").get_data(as_text=True)

    assert "Recent win" in recent and "Old lesson" not in recent
    assert "All 2 finished" in recent and "done=all" in recent
    assert "Recent win" in everything and "Old lesson" in everything


def test_the_header_counts_this_months_observations_as_good_news(
    session: Session, client: FlaskClient
) -> None:
    make_team(session)
    for _ in range(3):
        make_observation(session)
    session.commit()

    html = client.get("/board").get_data(as_text=True)

    assert "Observations reported this month: <strong>3</strong> (0 last month)" in html
    assert "a healthy sign." in html


def test_signed_out_screens_see_the_board_without_move_controls(
    session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    make_improvement(session, team=team, board_column=PLAN)
    session.commit()

    html = client.get("/board/press-shop").get_data(as_text=True)

    assert "card-moves" not in html and "card-handle" not in html
    assert "Sortable.min.js" not in html


@pytest.mark.parametrize("role", [Role.VIEWER, Role.KIOSK])
def test_viewers_and_kiosks_see_the_board_read_only(
    sign_in: SignIn, session: Session, client: FlaskClient, role: Role
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN)
    extra = {"area": make_area(session)} if role is Role.KIOSK else {}
    user = make_user(session, role=role, **extra)
    session.commit()
    sign_in(user)

    html = client.get("/board/press-shop").get_data(as_text=True)
    moved = post_move(client, card, htmx=False, to_column="do", version=1)

    assert "card-moves" not in html
    assert moved.status_code == 403


def test_members_get_move_buttons_and_drag_handles(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN)
    member(sign_in, session, client)

    html = client.get("/board/press-shop").get_data(as_text=True)
    card_markup = card_html(html, card.id)

    assert 'aria-label="Move to Do"' in card_markup
    # The other columns are in the board's one menu, not repeated on every card.
    menu = html[html.index('id="move-menu"') : html.index("</div>", html.index('id="move-menu"'))]
    for other in ["Ideas", "Check", "Done"]:
        assert f'aria-label="Move to {other}"' in menu
        assert f'aria-label="Move to {other}"' not in card_markup
    assert "card-handle" in card_markup and "Sortable.min.js" in html


@pytest.mark.parametrize("role", [Role.MEMBER, Role.LEAD])
def test_members_can_file_an_idea_and_only_leads_can_change_limits_from_a_lane(
    sign_in: SignIn, session: Session, client: FlaskClient, role: Role
) -> None:
    make_team(session, slug="press-shop")
    member(sign_in, session, client, role)

    html = client.get("/board/press-shop").get_data(as_text=True)

    assert "/improvements/new?team=press-shop" in html
    assert ("/teams/press-shop/settings" in html) is (role is Role.LEAD)


def test_tv_mode_shows_the_board_with_nothing_to_press(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    make_improvement(session, team=team, board_column=PLAN, title="Kanban square")
    member(sign_in, session, client)

    page = client.get("/board/press-shop?display=tv").get_data(as_text=True)
    html = page[page.index('id="board"') :]

    assert "Kanban square" in html and "tv-mode" in page
    assert "card-moves" not in html and "card-handle" not in html and "<button" not in html
    assert "display=tv" in html  # it keeps polling in TV mode


def test_signed_out_people_are_sent_to_sign_in_to_move(
    session: Session, client: FlaskClient
) -> None:
    card = make_improvement(session, board_column=PLAN)
    session.commit()

    response = post_move(client, card, htmx=False, to_column="do", version=1)

    assert response.status_code == 302 and "/login" in response.headers["Location"]


# -- moving over HTTP ------------------------------------------------------------------------


def test_a_move_with_htmx_answers_with_the_redrawn_board(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN, title="Kanban square")
    member(sign_in, session, client)

    response = post_move(client, card, to_column="do", version=1, board="press-shop")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="board"' in html and "<html" not in html
    assert "“Kanban square” moved to Do." in html
    assert "card-moved" in response.headers["HX-Trigger"]
    assert session.get(Improvement, card.id).board_column is DO


def test_a_move_without_javascript_redirects_back_to_the_board_with_a_message(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN, title="Kanban square")
    member(sign_in, session, client)

    response = post_move(client, card, htmx=False, to_column="do", version=1, board="press-shop")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/board/press-shop")
    page = client.get("/board/press-shop").get_data(as_text=True)
    assert "“Kanban square” moved to Do." in page


def test_a_stale_move_gets_409_and_the_latest_board(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN)
    session.commit()
    move_card(session, card.id, CHECK, None, 1, None)
    member(sign_in, session, client)

    response = post_move(client, card, to_column="do", version=1, board="press-shop")

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else moved this card a moment ago — the board now shows the latest." in html
    # The card as it is now: in Check, its button carrying the new version.
    assert f'value="{card.id}:done:2"' in card_html(html, card.id)
    assert session.get(Improvement, card.id).board_column is CHECK


def test_a_hard_limit_refusal_gets_422_with_its_message(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    card = card_facing_a_full_do_column(session, WipMode.HARD)
    member(sign_in, session, client)

    response = post_move(client, card, to_column="do", version=1)

    assert response.status_code == 422
    assert "Do is full (1 / 1). Finish something first" in response.get_data(as_text=True)
    assert session.get(Improvement, card.id).board_column is PLAN


def test_a_soft_limit_asks_for_a_reason_and_then_lets_the_card_in(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    card = card_facing_a_full_do_column(session, WipMode.SOFT)
    member(sign_in, session, client)

    asked = post_move(client, card, to_column="do", version=1)
    moved = post_move(client, card, to_column="do", version=1, reason="Safety first")

    assert asked.status_code == 422
    assert 'name="reason"' in asked.get_data(as_text=True)
    assert "Do is at its limit" in asked.get_data(as_text=True)
    assert moved.status_code == 200
    reasons = session.scalars(select(CardMove.reason).where(CardMove.improvement_id == card.id))
    assert "Safety first" in list(reasons)


def test_moving_to_done_asks_for_the_outcome_and_then_invites_the_reflection(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=CHECK, title="Kanban square")
    member(sign_in, session, client)

    asked = post_move(client, card, to_column="done", version=1)
    finished = post_move(client, card, to_column="done", version=1, outcome="not_adopted")

    assert asked.status_code == 422
    assert 'value="adopted"' in asked.get_data(as_text=True)
    assert 'value="not_adopted"' in asked.get_data(as_text=True)
    assert finished.status_code == 200
    assert "write the reflection" in finished.get_data(as_text=True)
    assert f'href="/improvements/{card.id}#reflection"' in finished.get_data(as_text=True)
    assert session.get(Improvement, card.id).outcome is Outcome.NOT_ADOPTED


def test_a_move_that_cannot_be_read_is_refused_without_writing(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    card = make_improvement(session, board_column=PLAN)
    member(sign_in, session, client)

    response = post_move(client, card, to_column="sideways")

    assert response.status_code == 422
    assert session.scalar(select(func.count(CardMove.id))) == 1


def test_a_reorder_by_drag_persists(sign_in: SignIn, session: Session, client: FlaskClient) -> None:
    team = make_team(session, slug="press-shop")
    first = make_improvement(session, team=team, board_column=DO, position=0, title="First")
    second = make_improvement(session, team=team, board_column=DO, position=1, title="Second")
    member(sign_in, session, client)

    post_move(client, second, to_column="do", position=0, version=1)

    html = client.get("/board/press-shop").get_data(as_text=True)
    assert html.index(f'id="card-{second.id}"') < html.index(f'id="card-{first.id}"')


# -- polling ---------------------------------------------------------------------------------


def test_a_poll_of_an_unchanged_board_gets_an_empty_204(
    session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    make_improvement(session, team=team)
    session.commit()
    token = token_of(client.get("/board/press-shop").get_data(as_text=True))

    response = client.get(f"/board/press-shop?since={token}", headers=HTMX)

    assert response.status_code == 204 and response.data == b""


def test_a_poll_after_someone_moved_a_card_gets_only_that_card_and_the_column_orders(
    session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN, title="Kanban square")
    others = [make_improvement(session, team=team, board_column=PLAN) for _ in range(3)]
    session.commit()
    token = token_of(client.get("/board/press-shop").get_data(as_text=True))
    move_card(session, card.id, DO, None, 1, None)

    response = client.get(f"/board/press-shop?since={token}", headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["X-Board-Update"] == "changes"
    assert token_of(html) != token and 'id="board"' not in html
    # The moved card, and no other card's markup; every column's order by id.
    assert html.count('<li class="card') == 1 and "Kanban square" in html
    assert f'data-column-of="column-{team.id}-do" data-order="{card.id}"' in html
    plan_order = " ".join(str(other.id) for other in others)
    assert f'data-column-of="column-{team.id}-plan" data-order="{plan_order}"' in html
    assert 'id="col-press-shop-do"' in html  # the header, with its new count


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "member"])
def test_polling_costs_one_query_when_nothing_changed(
    sign_in: SignIn, app: Flask, session: Session, client: FlaskClient, signed_in: bool
) -> None:
    team = make_team(session, slug="press-shop")
    make_improvement(session, team=team)
    session.commit()
    if signed_in:  # the account is not even loaded to answer an unchanged poll
        member(sign_in, session, client)
    token = token_of(client.get("/board/press-shop").get_data(as_text=True))
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    # A fresh app context, as a real request has: no account cached in `g`, and an empty
    # database session (the test's own would answer lookups from its identity map).
    try:
        with app.app_context():
            response = client.get(f"/board/press-shop?since={token}", headers=HTMX)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)

    assert response.status_code == 204
    assert len(statements) == 1


def test_the_plain_page_ignores_the_poll_token(session: Session, client: FlaskClient) -> None:
    make_team(session, slug="press-shop")
    session.commit()
    token = token_of(client.get("/board/press-shop").get_data(as_text=True))

    response = client.get(f"/board/press-shop?since={token}")

    assert response.status_code == 200 and "<html" in response.get_data(as_text=True)


def test_a_finished_card_without_a_reflection_shows_a_quiet_reminder(
    client: FlaskClient, session: Session
) -> None:
    from kaizen.models import Reflection

    team = make_team(session, slug="press")
    finished_cards(session, team, [3, 4])
    reflected, waiting = session.scalars(
        select(Improvement).where(Improvement.team_id == team.id).order_by(Improvement.id)
    ).all()
    session.add(Reflection(improvement=reflected, learnt="Signals beat rules."))
    session.commit()

    assert not card_view(session, team, reflected.id).needs_reflection
    assert card_view(session, team, waiting.id).needs_reflection
    assert client.get("/board/press").get_data(as_text=True).count("No reflection yet") == 1


def test_the_board_header_shows_this_months_reports_with_last_months_for_the_trend(
    client: FlaskClient, session: Session
) -> None:

    team = make_team(session, slug="press")
    area = make_area(session, team=team)
    this_month = Month.of(utcnow()).start
    for _ in range(2):
        make_observation(session, area=area, observed_at=this_month + timedelta(minutes=5))
    make_observation(session, area=area, observed_at=this_month - timedelta(days=3))
    session.commit()
    text = re.sub(r"\s+", " ", client.get("/board/press").get_data(as_text=True))
    assert (
        "Observations reported this month: <strong>2</strong> (1 last month). "
        "More than last month: more problems seen early — a healthy sign." in text
    )
