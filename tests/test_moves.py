"""The move service: version checks, WIP limits, positions, the move log, and races."""

from __future__ import annotations

import itertools
import random
import threading
from datetime import datetime

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaizen.extensions import db
from kaizen.models import BoardColumn, CardMove, Improvement, Outcome, Team, WipMode
from kaizen.services.moves import (
    CardNotFound,
    MoveRefused,
    OutcomeRequired,
    SoftLimitNeedsReason,
    StaleVersion,
    WipLimitExceeded,
    move_card,
)
from tests.factories import make_column_limit, make_improvement, make_team, make_user

IDEAS, PLAN, DO, CHECK, DONE = list(BoardColumn)
NOW = datetime(2025, 3, 10, 8, 30)


def cards_in(session: Session, team: Team, column: BoardColumn, count: int) -> list[Improvement]:
    """`count` cards in one column of a team, at positions 0..count-1."""
    cards = [
        make_improvement(
            session, team=team, board_column=column, position=i, title=f"{column.label} {i}"
        )
        for i in range(count)
    ]
    session.commit()
    return cards


def moves_of(session: Session, card_id: int) -> list[CardMove]:
    """The logged moves of a card after its creation, oldest first."""
    return list(
        session.scalars(
            select(CardMove)
            .where(CardMove.improvement_id == card_id, CardMove.from_column.is_not(None))
            .order_by(CardMove.id)
        )
    )


def column_titles(session: Session, team: Team, column: BoardColumn) -> list[tuple[int, str]]:
    """(position, title) of a team's cards in a column, in order."""
    session.expire_all()
    return [
        (row.position, row.title)
        for row in session.execute(
            select(Improvement.position, Improvement.title)
            .where(Improvement.team_id == team.id, Improvement.board_column == column)
            .order_by(Improvement.position)
        )
    ]


def test_a_move_changes_the_column_logs_who_and_when_and_bumps_the_version(
    session: Session,
) -> None:
    team = make_team(session)
    mover = make_user(session)
    (card,) = cards_in(session, team, PLAN, 1)

    result = move_card(session, card.id, DO, None, card.version, mover, now=NOW)

    session.refresh(card)
    assert (card.board_column, card.version) == (DO, 2)
    assert result.column_changed and result.to_column is DO and result.version == 2
    [move] = moves_of(session, card.id)
    assert (move.from_column, move.to_column, move.moved_by_id, move.moved_at) == (
        PLAN,
        DO,
        mover.id,
        NOW,
    )
    assert result.move_id == move.id


def test_a_stale_version_is_refused_and_writes_nothing(session: Session) -> None:
    team = make_team(session)
    (card,) = cards_in(session, team, PLAN, 1)
    move_card(session, card.id, DO, None, 1, None)

    with pytest.raises(StaleVersion) as refused:
        move_card(session, card.id, CHECK, None, 1, None)

    assert "Someone else moved this card" in refused.value.message
    session.refresh(card)
    assert (card.board_column, card.version) == (DO, 2)
    assert [m.to_column for m in moves_of(session, card.id)] == [DO]


def test_a_hard_wip_limit_refuses_a_move_into_a_full_column(session: Session) -> None:
    team = make_team(session)
    make_column_limit(session, team, board_column=DO, wip_limit=2, mode=WipMode.HARD)
    cards_in(session, team, DO, 2)
    (card,) = cards_in(session, team, PLAN, 1)

    with pytest.raises(WipLimitExceeded) as refused:
        move_card(session, card.id, DO, None, card.version, None)

    assert refused.value.message == (
        "Do is full (2 / 2). Finish something first, or ask your lead to change the limit."
    )
    session.refresh(card)
    assert (card.board_column, card.version) == (PLAN, 1)
    assert moves_of(session, card.id) == []


def test_a_hard_wip_limit_lets_a_card_in_while_there_is_room(session: Session) -> None:
    team = make_team(session)
    make_column_limit(session, team, board_column=DO, wip_limit=2, mode=WipMode.HARD)
    cards_in(session, team, DO, 1)
    (card,) = cards_in(session, team, PLAN, 1)

    assert move_card(session, card.id, DO, None, 1, None).to_column is DO


def test_a_soft_wip_limit_asks_for_a_reason_before_letting_a_card_in(session: Session) -> None:
    team = make_team(session)
    make_column_limit(session, team, board_column=DO, wip_limit=1, mode=WipMode.SOFT)
    cards_in(session, team, DO, 1)
    (card,) = cards_in(session, team, PLAN, 1)

    with pytest.raises(SoftLimitNeedsReason) as refused:
        move_card(session, card.id, DO, None, 1, None, reason="   ")

    assert refused.value.info.count == 1 and refused.value.info.limit == 1
    session.refresh(card)
    assert card.board_column is PLAN and moves_of(session, card.id) == []


def test_a_soft_wip_limit_records_the_reason_given_for_passing_it(session: Session) -> None:
    team = make_team(session)
    make_column_limit(session, team, board_column=DO, wip_limit=1, mode=WipMode.SOFT)
    cards_in(session, team, DO, 1)
    (card,) = cards_in(session, team, PLAN, 1)

    result = move_card(session, card.id, DO, None, 1, None, reason=" Line stop needs it today ")

    assert result.reason == "Line stop needs it today"
    assert [m.reason for m in moves_of(session, card.id)] == ["Line stop needs it today"]


def test_a_reason_is_not_logged_when_no_limit_was_passed(session: Session) -> None:
    team = make_team(session)
    make_column_limit(session, team, board_column=DO, wip_limit=3, mode=WipMode.SOFT)
    (card,) = cards_in(session, team, PLAN, 1)

    move_card(session, card.id, DO, None, 1, None, reason="Just because")

    assert [m.reason for m in moves_of(session, card.id)] == [None]


def test_the_wip_count_leaves_out_the_card_being_reordered(session: Session) -> None:
    team = make_team(session)
    make_column_limit(session, team, board_column=DO, wip_limit=2, mode=WipMode.HARD)
    _first, second = cards_in(session, team, DO, 2)

    result = move_card(session, second.id, DO, 0, second.version, None)

    assert result.position == 0 and not result.column_changed


def test_limits_of_other_teams_do_not_count(session: Session) -> None:
    team, other = make_team(session), make_team(session)
    make_column_limit(session, team, board_column=DO, wip_limit=1, mode=WipMode.HARD)
    cards_in(session, other, DO, 3)
    (card,) = cards_in(session, team, PLAN, 1)

    assert move_card(session, card.id, DO, None, 1, None).to_column is DO


def test_done_has_no_wip_limit(session: Session) -> None:
    team = make_team(session)
    make_column_limit(session, team, board_column=DONE, wip_limit=1, mode=WipMode.HARD)
    for card in cards_in(session, team, CHECK, 3):
        move_card(session, card.id, DONE, None, card.version, None, outcome=Outcome.ADOPTED)

    assert len(column_titles(session, team, DONE)) == 3


def test_moving_to_done_needs_an_outcome(session: Session) -> None:
    team = make_team(session)
    (card,) = cards_in(session, team, CHECK, 1)

    with pytest.raises(OutcomeRequired):
        move_card(session, card.id, DONE, None, 1, None)

    session.refresh(card)
    assert card.board_column is CHECK and moves_of(session, card.id) == []


def test_a_card_moved_to_done_keeps_its_outcome_and_reports_it_finished(session: Session) -> None:
    team = make_team(session)
    (card,) = cards_in(session, team, CHECK, 1)

    result = move_card(session, card.id, DONE, None, 1, None, outcome=Outcome.NOT_ADOPTED)

    session.refresh(card)
    assert card.outcome is Outcome.NOT_ADOPTED and result.finished


def test_moving_a_card_out_of_done_clears_its_outcome(session: Session) -> None:
    team = make_team(session)
    (card,) = cards_in(session, team, CHECK, 1)
    move_card(session, card.id, DONE, None, 1, None, outcome=Outcome.ADOPTED)

    move_card(session, card.id, CHECK, None, 2, None, outcome=Outcome.ADOPTED)

    session.refresh(card)
    assert (card.board_column, card.outcome) == (CHECK, None)


def test_a_card_moved_by_a_button_goes_to_the_bottom_and_done_takes_it_on_top(
    session: Session,
) -> None:
    team = make_team(session)
    cards_in(session, team, DO, 2)
    make_improvement(session, team=team, board_column=DONE, outcome=Outcome.ADOPTED, title="Old")
    first, second = cards_in(session, team, CHECK, 2)

    move_card(session, first.id, DO, None, 1, None)
    move_card(session, second.id, DONE, None, 1, None, outcome=Outcome.ADOPTED)

    assert column_titles(session, team, DO) == [(0, "Do 0"), (1, "Do 1"), (2, "Check 0")]
    assert column_titles(session, team, DONE) == [(0, "Check 1"), (1, "Old")]


def test_moving_into_the_middle_shifts_the_cards_below_and_closes_the_gap_left_behind(
    session: Session,
) -> None:
    team = make_team(session)
    cards_in(session, team, DO, 3)
    plan = cards_in(session, team, PLAN, 3)

    move_card(session, plan[1].id, DO, 1, 1, None)

    assert column_titles(session, team, DO) == [
        (0, "Do 0"),
        (1, "Plan 1"),
        (2, "Do 1"),
        (3, "Do 2"),
    ]
    assert column_titles(session, team, PLAN) == [(0, "Plan 0"), (1, "Plan 2")]


def test_a_position_past_the_end_puts_the_card_last(session: Session) -> None:
    team = make_team(session)
    cards_in(session, team, DO, 2)
    (card,) = cards_in(session, team, PLAN, 1)

    assert move_card(session, card.id, DO, 99, 1, None).position == 2


def test_reordering_within_a_column_persists_bumps_the_version_and_logs_no_move(
    session: Session,
) -> None:
    team = make_team(session)
    cards = cards_in(session, team, DO, 3)

    result = move_card(session, cards[2].id, DO, 0, 1, None)

    assert column_titles(session, team, DO) == [(0, "Do 2"), (1, "Do 0"), (2, "Do 1")]
    assert result.version == 2 and not result.column_changed and result.move_id is None
    assert moves_of(session, cards[2].id) == []


def test_shifting_neighbours_leaves_their_versions_alone(session: Session) -> None:
    team = make_team(session)
    cards = cards_in(session, team, DO, 3)

    move_card(session, cards[2].id, DO, 0, 1, None)

    session.expire_all()
    assert [session.get(Improvement, c.id).version for c in cards] == [1, 1, 2]


def test_positions_with_gaps_and_ties_are_tidied_to_a_plain_sequence(session: Session) -> None:
    team = make_team(session)
    for title, position in [("A", 0), ("B", 4), ("C", 4), ("D", 9)]:
        make_improvement(session, team=team, board_column=DO, position=position, title=title)
    (card,) = cards_in(session, team, PLAN, 1)

    move_card(session, card.id, DO, 2, 1, None)

    assert column_titles(session, team, DO) == [
        (0, "A"),
        (1, "B"),
        (2, "Plan 0"),
        (3, "C"),
        (4, "D"),
    ]


def test_every_move_writes_exactly_one_event(session: Session) -> None:
    team = make_team(session)
    (card,) = cards_in(session, team, IDEAS, 1)
    version = 1
    for column in [PLAN, DO, CHECK, DO, CHECK]:
        version = move_card(session, card.id, column, None, version, None).version

    assert [m.to_column for m in moves_of(session, card.id)] == [PLAN, DO, CHECK, DO, CHECK]


def test_a_card_that_does_not_exist_cannot_be_moved(session: Session) -> None:
    with pytest.raises(CardNotFound):
        move_card(session, 4242, DO, None, 1, None)


# -- races ---------------------------------------------------------------------------------


def run_in_threads(app: Flask, count: int, work) -> list[object]:
    """Run `work(session)` in `count` threads at once, each in its own app context."""
    results: list[object] = [None] * count
    barrier = threading.Barrier(count)

    def target(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = work(db.session)
            except Exception as error:  # the test inspects what each thread met
                results[index] = error

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_fifty_simultaneous_moves_of_one_card_have_exactly_one_winner(
    app: Flask, session: Session
) -> None:
    team = make_team(session)
    (card,) = cards_in(session, team, PLAN, 1)
    card_id = card.id
    session.close()

    results = run_in_threads(
        app, 50, lambda s: move_card(s, card_id, DO, None, 1, None, reason="race")
    )

    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(isinstance(r, StaleVersion) for r in losers), losers[:3]
    assert len(losers) == 49
    card = session.get(Improvement, card_id)
    assert (card.board_column, card.version) == (DO, 2)
    assert [m.to_column for m in moves_of(session, card_id)] == [DO]


def test_racing_movers_that_retry_leave_a_log_that_matches_the_card(
    app: Flask, session: Session
) -> None:
    team = make_team(session)
    (card,) = cards_in(session, team, IDEAS, 1)
    card_id = card.id
    session.close()
    cycle = [IDEAS, PLAN, DO, CHECK]

    def mover(s: Session) -> int:
        won = 0
        rng = random.Random()
        for _ in range(4):
            for _attempt in range(20):
                row = s.execute(
                    select(Improvement.board_column, Improvement.version).where(
                        Improvement.id == card_id
                    )
                ).one()
                s.rollback()
                target = rng.choice([c for c in cycle if c is not row.board_column])
                try:
                    move_card(s, card_id, target, None, row.version, None)
                except StaleVersion:
                    continue
                won += 1
                break
        return won

    results = run_in_threads(app, 50, mover)

    assert all(isinstance(r, int) for r in results), [r for r in results if not isinstance(r, int)]
    successes = sum(results)  # type: ignore[arg-type]
    moves = moves_of(session, card_id)
    card = session.get(Improvement, card_id)
    assert successes > 0
    assert len(moves) == successes
    assert card.version == 1 + successes
    assert card.board_column is moves[-1].to_column
    # Each move starts where the one before it ended: no move was lost or doubled.
    assert all(a.to_column is b.from_column for a, b in itertools.pairwise(moves))


def test_racing_moves_of_different_cards_never_overfill_a_hard_limit(
    app: Flask, session: Session
) -> None:
    team = make_team(session)
    make_column_limit(session, team, board_column=DO, wip_limit=3, mode=WipMode.HARD)
    ids = [card.id for card in cards_in(session, team, PLAN, 12)]
    team_id = team.id
    session.close()
    work = iter(ids)
    lock = threading.Lock()

    def mover(s: Session) -> object:
        with lock:
            card_id = next(work)
        return move_card(s, card_id, DO, None, 1, None)

    results = run_in_threads(app, 12, mover)

    refused = [r for r in results if isinstance(r, MoveRefused)]
    assert all(isinstance(r, WipLimitExceeded) for r in refused)
    assert len(refused) == 9
    team = session.get(Team, team_id)
    assert (
        session.scalar(
            select(func.count()).where(
                Improvement.team_id == team_id, Improvement.board_column == DO
            )
        )
        == 3
    )
    assert [p for p, _ in column_titles(session, team, DO)] == [0, 1, 2]
