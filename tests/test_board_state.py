"""What the board keeps beside the move log: start and finish stamps that always equal what the
log says, and a per-team change counter that every change the board shows bumps."""

from __future__ import annotations

import random
from contextlib import suppress
from datetime import timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from kaizen.demo import load_demo_plant
from kaizen.models import BoardColumn, Improvement, Outcome, RootCause, utcnow
from kaizen.services.board import board_token
from kaizen.services.flow import card_flows
from kaizen.services.flow_data import load_card_logs
from kaizen.services.moves import MoveRefused, move_card
from kaizen.services.observations import link_to_improvement
from kaizen.services.teams import save_team_settings
from tests.factories import (
    make_area,
    make_improvement,
    make_moved_improvement,
    make_observation,
    make_team,
    make_user,
)

DO, CHECK, DONE, PLAN = BoardColumn.DO, BoardColumn.CHECK, BoardColumn.DONE, BoardColumn.PLAN


def assert_stamps_match_the_log(session: Session) -> None:
    """Every card's stored start and first finish equal card_flow's reading of its log."""
    session.expire_all()
    flows = {flow.id: flow for flow in card_flows(load_card_logs(session), utcnow())}
    stamps = {
        card_id: (started, finished)
        for card_id, started, finished in session.execute(
            select(Improvement.id, Improvement.started_at, Improvement.finished_at)
        )
    }
    assert stamps == {i: (f.started_at, f.finished_at) for i, f in flows.items()}


def test_the_demo_plants_cards_carry_the_start_and_finish_their_logs_say(
    session: Session,
) -> None:
    load_demo_plant(session, now=utcnow(), seed=7)

    assert_stamps_match_the_log(session)


def test_start_and_finish_follow_any_sequence_of_moves_through_the_move_service(
    session: Session,
) -> None:
    rng = random.Random(5)
    team = make_team(session)
    cards = [make_improvement(session, team=team) for _ in range(6)]
    session.commit()
    when = utcnow() - timedelta(days=60)
    for step in range(60):
        card = rng.choice(cards)
        session.refresh(card)
        target = rng.choice([c for c in BoardColumn if c is not card.board_column])
        with suppress(MoveRefused):  # a refused move logs nothing: fine here
            move_card(
                session, card.id, target, None, card.version, None,
                outcome=Outcome.ADOPTED, now=when + timedelta(hours=step),
            )  # fmt: skip

    assert_stamps_match_the_log(session)


def test_a_new_cycle_start_column_restamps_the_teams_cards(session: Session) -> None:
    team = make_team(session)
    start = utcnow() - timedelta(days=20)
    make_moved_improvement(session, [(PLAN, start), (DO, start + timedelta(days=3))], team=team)
    session.commit()

    save_team_settings(session, team, limits={}, cycle_start_column=DO)

    assert_stamps_match_the_log(session)
    card = session.scalars(select(Improvement).where(Improvement.team_id == team.id)).one()
    assert card.started_at == start + timedelta(days=3)


def test_a_card_moved_to_another_team_takes_that_teams_start_column(session: Session) -> None:
    late = make_team(session, cycle_start_column=CHECK)
    start = utcnow() - timedelta(days=9)
    card = make_moved_improvement(session, [(PLAN, start), (DO, start + timedelta(days=1))])
    session.commit()

    card.team = late
    session.commit()

    assert_stamps_match_the_log(session)
    assert card.started_at is None


def token(session: Session, slug: str | None) -> str:
    """The board's change token now."""
    return board_token(session, utcnow(), slug)


def test_renaming_an_area_or_an_owner_changes_the_boards_that_show_them(
    session: Session,
) -> None:
    team = make_team(session)
    area, owner = make_area(session), make_user(session)
    make_improvement(session, team=team, area=area, owner=owner)
    session.commit()
    tokens = [token(session, team.slug), token(session, None)]

    area.name = "Paint line"
    session.commit()
    tokens += [token(session, team.slug), token(session, None)]
    owner.display_name = "Aiko Tanaka"
    session.commit()
    tokens += [token(session, team.slug), token(session, None)]

    assert len(set(tokens)) == len(tokens)


def test_a_new_cycle_start_column_changes_the_teams_token(session: Session) -> None:
    team = make_team(session)
    session.commit()
    before = token(session, team.slug)

    save_team_settings(session, team, limits={}, cycle_start_column=DO)

    assert token(session, team.slug) != before


def test_linking_a_report_or_editing_a_five_whys_changes_the_cards_board(
    session: Session,
) -> None:
    team = make_team(session)
    card = make_improvement(session, team=team)
    record = RootCause(problem="Parts wait for the forklift.", improvements=[card])
    session.add(record)
    observation = make_observation(session)
    session.commit()
    tokens = [token(session, team.slug)]

    link_to_improvement(session, observation, card.id)
    tokens.append(token(session, team.slug))
    record.root_cause = "No pull signal between press and store."
    session.commit()
    tokens.append(token(session, team.slug))

    assert len(set(tokens)) == len(tokens)


def test_an_unchanged_board_is_polled_with_one_query_by_key(session: Session) -> None:
    team = make_team(session)
    for _ in range(3):
        make_improvement(session, team=team)
    session.commit()
    slug = team.slug
    statements: list[str] = []
    engine = session.get_bind()

    def remember(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        token(session, slug)
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    assert len(statements) == 1 and "improvement" not in statements[0]
