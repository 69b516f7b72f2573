"""Live sync that sends only what changed: per-card change versions kept by the write path,
whole lanes only when a change touches a whole lane, and the board's one move form."""

from __future__ import annotations

import random
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen.models import BoardColumn, CardMove, Improvement, Outcome, Role, Team, utcnow
from kaizen.services.board import build_board
from kaizen.services.board_state import BoardState, board_token, read_state
from kaizen.services.board_updates import build_update, plan_update
from kaizen.services.moves import move_card
from kaizen.services.observations import link_to_improvement
from tests.conftest import SignIn
from tests.factories import (
    make_area,
    make_improvement,
    make_observation,
    make_team,
    make_user,
)

IDEAS, PLAN, DO, CHECK, DONE = list(BoardColumn)
HTMX = {"HX-Request": "true"}


def token_of(html: str) -> str:
    """The change token a rendered board or update carries."""
    match = re.search(r'data-token="([0-9a-z.-]+)"', html)
    assert match, "the answer carries the board's change token"
    return match.group(1)


def move_form(page: str) -> str:
    """The board's one move form, as the page carries it."""
    start = page.index('<form id="move"')
    return page[start : page.index("</form>", start)]


def poll(client: FlaskClient, path: str, token: str):
    """What an open board's poll gets."""
    return client.get(f"{path}?since={token}", headers=HTMX)


def versions(session: Session, *cards: Improvement) -> list[int]:
    """The change versions these cards carry now."""
    session.expire_all()
    return [session.get(Improvement, card.id).board_version for card in cards]


def team_version(session: Session, team: Team) -> int:
    """The team's change counter now."""
    return session.scalar(select(Team.board_version).where(Team.id == team.id))


# -- what the write path keeps ---------------------------------------------------------------


def test_a_moved_card_carries_its_teams_new_version_and_its_neighbours_keep_theirs(
    session: Session,
) -> None:
    team = make_team(session)
    cards = [make_improvement(session, team=team, board_column=PLAN) for _ in range(4)]
    session.commit()
    before = versions(session, *cards)

    # To the top of Plan: the other three are renumbered, which they do not show.
    move_card(session, cards[3].id, PLAN, 0, 1, None)

    after = versions(session, *cards)
    assert after[3] == team_version(session, team) > before[3]
    assert after[:3] == before[:3]


def test_linking_a_report_marks_the_card_it_was_linked_to(session: Session) -> None:
    team = make_team(session)
    card, other = make_improvement(session, team=team), make_improvement(session, team=team)
    observation = make_observation(session, area=make_area(session, team=team))
    session.commit()
    before = versions(session, card, other)

    link_to_improvement(session, observation, card.id)

    after = versions(session, card, other)
    assert after[0] > before[0] and after[1] == before[1]


def test_whole_lane_changes_move_the_lanes_reset_version(session: Session) -> None:
    team = make_team(session)
    card = make_improvement(session, team=team, board_column=CHECK)
    session.commit()

    def reset() -> int:
        session.expire_all()
        return session.scalar(select(Team.board_reset_version).where(Team.id == team.id))

    first = reset()
    move_card(session, card.id, DO, None, 1, None)  # within the open columns
    assert reset() == first
    move_card(session, card.id, DONE, None, 2, None, outcome=Outcome.ADOPTED)  # into Done
    assert reset() == team_version(session, team) > first
    second = reset()
    session.get(Team, team.id).name = "Press shop, renamed"
    session.commit()
    assert reset() > second


# -- tokens ----------------------------------------------------------------------------------


def test_a_token_reads_back_as_the_state_it_was_written_from() -> None:
    state = BoardState("20261201", 912, ((1, 45), (2, 33)))

    assert state.token == "20261201.o912.1-45.2-33"
    assert BoardState.parse(state.token) == state
    assert BoardState.parse("20261201.1-45") == BoardState("20261201", None, ((1, 45),))


def test_a_token_the_board_did_not_write_reads_as_nothing() -> None:
    for token in ["", "yesterday", "20261201.x-1", "20261201.1-", "2026120.1-1", "9" * 5000]:
        assert BoardState.parse(token) is None


# -- polls over HTTP -------------------------------------------------------------------------


def test_a_poll_with_a_made_up_token_gets_the_whole_board(
    session: Session, client: FlaskClient
) -> None:
    make_team(session, slug="press-shop")
    session.commit()

    for token in ["garbage", "20261201.999-1", "1" * 10_000]:
        response = poll(client, "/board/press-shop", token)
        assert response.status_code == 200
        assert 'id="board"' in response.get_data(as_text=True)
    # Control characters are refused before any view (kaizen/input.py).
    assert poll(client, "/board/press-shop", "\x00" * 10).status_code == 400


def test_a_poll_from_yesterday_gets_the_whole_board(session: Session, client: FlaskClient) -> None:
    team = make_team(session, slug="press-shop")
    make_improvement(session, team=team)
    session.commit()
    today = board_token(session, utcnow(), "press-shop")
    yesterday = "19990101" + today[8:]

    response = poll(client, "/board/press-shop", yesterday)

    assert response.status_code == 200 and 'id="board"' in response.get_data(as_text=True)


def test_a_card_finished_redraws_the_team_board_whole(
    session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=CHECK)
    session.commit()
    token = board_token(session, utcnow(), "press-shop")
    move_card(session, card.id, DONE, None, 1, None, outcome=Outcome.ADOPTED)

    response = poll(client, "/board/press-shop", token)

    # The 85th percentile and the finished count of the lane changed: the whole board.
    assert "X-Board-Update" not in response.headers
    assert 'id="board"' in response.get_data(as_text=True)


def test_the_plant_board_gets_the_changed_lane_whole_and_nothing_of_the_others(
    session: Session, client: FlaskClient
) -> None:
    press, weld = make_team(session, name="Press shop"), make_team(session, name="Weld shop")
    card = make_improvement(session, team=press, board_column=CHECK)
    quiet = make_improvement(session, team=weld, board_column=DO, title="Weld card")
    session.commit()
    token = board_token(session, utcnow())
    move_card(session, card.id, DONE, None, 1, None, outcome=Outcome.ADOPTED)

    html = poll(client, "/board", token).get_data(as_text=True)

    assert f'<section class="lane" id="lane-{press.id}"' in html
    assert f'id="lane-{weld.id}"' not in html and f'id="card-{quiet.id}"' not in html
    assert f'data-lanes="{press.id} {weld.id}"' in html


def test_the_plant_board_gets_a_moved_cards_lane_as_that_card_alone(
    session: Session, client: FlaskClient
) -> None:
    press, weld = make_team(session, name="Press shop"), make_team(session, name="Weld shop")
    cards = [make_improvement(session, team=press, board_column=PLAN) for _ in range(5)]
    make_improvement(session, team=weld, board_column=DO)
    session.commit()
    token = board_token(session, utcnow())
    move_card(session, cards[2].id, DO, None, 1, None)

    html = poll(client, "/board", token).get_data(as_text=True)

    assert html.count('<li class="card') == 1 and f'id="card-{cards[2].id}"' in html
    assert f'data-column-of="column-{press.id}-do" data-order="{cards[2].id}"' in html
    assert f"column-{weld.id}-" not in html


def test_a_new_report_updates_the_counts_without_sending_a_card(
    session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    area = make_area(session, team=team)
    make_improvement(session, team=team)
    session.commit()
    token = board_token(session, utcnow(), "press-shop")
    make_observation(session, area=area)
    session.commit()

    html = poll(client, "/board/press-shop", token).get_data(as_text=True)

    assert '<li class="card' not in html
    assert 'id="board-reports"' in html and "Observations reported this month: <strong>1" in html


def test_an_update_redraws_a_card_with_the_viewers_controls(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN)
    sign_in(make_user(session, role=Role.MEMBER))
    session.commit()
    token = board_token(session, utcnow(), "press-shop")
    move_card(session, card.id, DO, None, 1, None)

    html = poll(client, "/board/press-shop", token).get_data(as_text=True)

    assert f'value="{card.id}:check:2"' in html and "card-handle" in html


# -- the board's one move form (no JavaScript) -----------------------------------------------


def test_a_cards_move_button_without_javascript_moves_it_and_comes_back_to_the_board(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN, title="Kanban square")
    sign_in(make_user(session, role=Role.MEMBER))
    session.commit()

    response = client.post("/board/moves", data={"move": f"{card.id}:do:1", "board": "press-shop"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/press-shop")
    assert "“Kanban square” moved to Do." in client.get("/board/press-shop").get_data(as_text=True)
    session.expire_all()
    assert session.get(Improvement, card.id).board_column is DO


def test_a_move_button_value_that_is_not_one_is_refused_without_writing(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN)
    sign_in(make_user(session, role=Role.MEMBER))
    session.commit()

    for value in ["", f"{card.id}:nowhere:1", f"{card.id}:do", "1:do:1:2:3", "9" * 500]:
        response = client.post("/board/moves", data={"move": value, "board": "press-shop"})
        assert response.status_code == 422, value
    # A NUL is refused before any view (kaizen/input.py).
    response = client.post("/board/moves", data={"move": "\x00", "board": "press-shop"})
    assert response.status_code == 400
    session.expire_all()
    assert session.get(Improvement, card.id).board_column is PLAN


def test_the_boards_move_form_carries_the_token_that_lets_its_buttons_through(
    app: Flask, sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN)
    sign_in(make_user(session, role=Role.MEMBER))
    session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/board/press-shop").get_data(as_text=True)
    form = move_form(page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "the board's one move form carries the CSRF token"
    move = {"move": f"{card.id}:do:1", "board": "press-shop"}

    assert client.post("/board/moves", data=move).status_code == 400
    assert client.post("/board/moves", data={**move, "csrf_token": token[1]}).status_code == 302
    session.expire_all()
    assert session.get(Improvement, card.id).board_column is DO


# -- a screen that only ever gets updates sees what a fresh board shows ----------------------


def screen_of(board) -> dict[tuple[int, BoardColumn], list]:
    """What a screen shows: per lane and column, the cards in order."""
    return {
        (lane.team_id, col.column): list(col.cards) for lane in board.lanes for col in lane.columns
    }


def merged(screen, update) -> dict[tuple[int, BoardColumn], list]:
    """The screen after board.js merges an update into it."""
    result = dict(screen)
    cards = {card.id: card for column in screen.values() for card in column}
    for lane in update.whole_lanes:
        for col in lane.columns:
            result[(lane.team_id, col.column)] = list(col.cards)
    for lane in update.changed_lanes:
        cards.update({card.id: card for card in lane.cards})
        for col in lane.columns:
            result[(lane.team_id, col.column)] = [cards[card_id] for card_id in col.ids]
    return result


def test_a_screen_kept_up_to_date_by_updates_alone_matches_a_fresh_board(
    session: Session,
) -> None:
    rng = random.Random(5)
    teams = [make_team(session, name=f"Team {n}") for n in range(2)]
    areas = [make_area(session, team=team) for team in teams for _ in range(2)]
    cards = [
        make_improvement(
            session, team=rng.choice(teams), board_column=rng.choice([IDEAS, PLAN, DO])
        )
        for _ in range(14)
    ]
    session.commit()
    now = utcnow()
    screen = screen_of(build_board(session, now))
    token = board_token(session, now)
    partial = 0
    for step in range(40):
        card = session.get(Improvement, rng.choice(cards).id)
        action = rng.choice(["move", "move", "move", "block", "link", "report", "rename"])
        if action == "move":
            to = rng.choice(list(BoardColumn))
            outcome = rng.choice(list(Outcome)) if to is DONE else None
            move_card(
                session, card.id, to, rng.choice([None, 0, 1]), card.version, None, outcome=outcome
            )
        elif action == "block":
            card.blocked = not card.blocked
            card.blocked_reason = "Waiting for parts" if card.blocked else None
            session.commit()
        elif action == "link":
            observation = make_observation(session, area=rng.choice(areas))
            session.commit()
            link_to_improvement(session, observation, card.id)
        elif action == "report":
            make_observation(session, area=rng.choice(areas))
            session.commit()
        else:
            rng.choice(areas).name = f"Line {step}"
            session.commit()
        session.expire_all()
        current = read_state(session, now)
        plan = plan_update(current, BoardState.parse(token))
        fresh = build_board(session, now)
        if plan is None:  # the whole board
            screen = screen_of(fresh)
        else:
            screen = merged(screen, build_update(session, now, current, plan))
            partial += 1
        assert screen == screen_of(fresh), f"after step {step} ({action})"
        token = current.state.token
    assert partial >= 15, "most changes travel as updates, not whole boards"


# -- the mover's own answer, and the plant board's lanes fetched when scrolled to -------------


def test_a_move_sent_with_the_screens_token_gets_only_what_changed_and_its_message(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN, title="Kanban square")
    for _ in range(4):
        make_improvement(session, team=team, board_column=IDEAS)
    sign_in(make_user(session, role=Role.MEMBER))
    session.commit()
    token = board_token(session, utcnow(), "press-shop")

    response = client.post(
        f"/board/cards/{card.id}/move",
        data={"to_column": "do", "version": 1, "board": "press-shop", "since": token},
        headers=HTMX,
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["X-Board-Update"] == "changes"
    assert "card-moved" in response.headers["HX-Trigger"]
    assert html.count('<li class="card') == 1 and 'id="board"' not in html
    assert 'id="board-messages"' in html and "“Kanban square” moved to Do." in html


def test_the_plant_board_draws_its_first_lanes_and_fetches_the_rest_when_scrolled_to(
    session: Session, client: FlaskClient, monkeypatch
) -> None:
    monkeypatch.setattr("kaizen.services.board.EAGER_CARDS", 3)
    first, second = make_team(session, name="Assembly"), make_team(session, name="Welding")
    for team in (first, second):
        for _ in range(3):
            make_improvement(session, team=team, board_column=PLAN, title=f"{team.name} card")
    session.commit()

    page = client.get("/board").get_data(as_text=True)

    assert page.count("Assembly card") == 3 and "Welding card" not in page
    assert re.search(rf'hx-get="/board/{second.slug}/lane"\s+hx-trigger="revealed"', page)
    lane = client.get(f"/board/{second.slug}/lane", headers=HTMX).get_data(as_text=True)
    assert lane.count("Welding card") == 3 and f'id="lane-{second.id}"' in lane
    # Drawn as a lane of the plant board: the name leads to the team's own board.
    assert f'<a href="/board/{second.slug}">Welding</a>' in lane
    assert client.get(f"/board/{second.slug}/lane").status_code == 302


def test_a_small_plant_board_draws_every_lane_at_once(
    session: Session, client: FlaskClient
) -> None:
    teams = [make_team(session) for _ in range(3)]
    for team in teams:
        make_improvement(session, team=team, board_column=DO)
    session.commit()

    page = client.get("/board").get_data(as_text=True)

    assert "lane-pending" not in page and page.count('<li class="card') == 3


def test_an_open_board_polls_its_own_address(session: Session, client: FlaskClient) -> None:
    make_team(session, slug="press-shop")
    session.commit()

    page = client.get("/board/press-shop?display=tv").get_data(as_text=True)

    # board.js adds since=<token>; the address keeps the board's own view (TV mode here).
    assert re.search(r'id="board"[^>]*hx-get="/board/press-shop\?display=tv"', page, re.S)


def test_a_move_button_sent_twice_with_the_boards_key_moves_the_card_once(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN, title="Kanban square")
    sign_in(make_user(session, role=Role.MEMBER))
    session.commit()
    page = client.get("/board/press-shop").get_data(as_text=True)
    form = move_form(page)
    key = re.search(r'name="key" value="([0-9a-f]{32})"', form)
    assert key, "the board's one move form carries a fresh key"
    move = {"move": f"{card.id}:do:1", "board": "press-shop", "key": key[1]}

    first = client.post("/board/moves", data=move)
    again = client.post("/board/moves", data=move)  # the answer was lost; sent again

    assert first.status_code == again.status_code == 302
    session.expire_all()
    assert session.get(Improvement, card.id).version == 2
    moves = session.scalars(select(CardMove).where(CardMove.improvement_id == card.id)).all()
    assert [m.to_column for m in moves] == [PLAN, DO]
