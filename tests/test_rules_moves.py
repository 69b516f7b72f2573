"""Move rules a person would notice when broken: outcomes in Done, what counts as finishing,
and a move of a card that is gone. Written to kill mutants of kaizen/services/moves.py."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kaizen.models import BoardColumn, Improvement, Outcome, Role, WipMode
from kaizen.services.moves import (
    CardNotFound,
    InvalidMove,
    OutcomeRequired,
    SoftLimitNeedsReason,
    StaleVersion,
    WipLimitExceeded,
    move_card,
)
from tests.conftest import SignIn
from tests.factories import make_column_limit, make_improvement, make_team, make_user

IDEAS, PLAN, DO, CHECK, DONE = list(BoardColumn)
NOW = datetime(2025, 3, 10, 8, 30)


def finished_card(session: Session, outcome: Outcome) -> Improvement:
    """A card in Check moved to Done with this outcome, next to an older finished card."""
    team = make_team(session)
    make_improvement(session, team=team, board_column=DONE, outcome=Outcome.ADOPTED, title="Old")
    card = make_improvement(session, team=team, board_column=CHECK, title="Kanban square")
    session.commit()
    move_card(session, card.id, DONE, None, 1, None, outcome=outcome)
    return card


def test_reordering_an_adopted_card_within_done_keeps_it_adopted(session: Session) -> None:
    card = finished_card(session, Outcome.ADOPTED)

    move_card(session, card.id, DONE, 1, 2, None)

    session.refresh(card)
    assert (card.board_column, card.position, card.outcome) == (DONE, 1, Outcome.ADOPTED)


def test_reordering_within_done_keeps_the_outcome_even_if_another_is_sent(
    session: Session,
) -> None:
    card = finished_card(session, Outcome.NOT_ADOPTED)

    result = move_card(session, card.id, DONE, 1, 2, None, outcome=Outcome.ADOPTED)

    session.refresh(card)
    assert card.outcome is Outcome.NOT_ADOPTED and result.outcome is Outcome.NOT_ADOPTED


def test_reordering_within_done_is_not_finishing_the_card_again(session: Session) -> None:
    card = finished_card(session, Outcome.ADOPTED)

    result = move_card(session, card.id, DONE, 1, 2, None)

    assert not result.finished and not result.column_changed


def test_moving_a_card_to_check_is_not_finishing_it(session: Session) -> None:
    team = make_team(session)
    card = make_improvement(session, team=team, board_column=DO)
    session.commit()

    result = move_card(session, card.id, CHECK, None, 1, None)

    assert result.column_changed and not result.finished


def test_a_move_result_says_where_the_card_went_and_its_new_version(session: Session) -> None:
    team = make_team(session)
    make_improvement(session, team=team, board_column=DO, title="Already there")
    card = make_improvement(session, team=team, board_column=PLAN, title="Kanban square")
    session.commit()

    result = move_card(session, card.id, DO, None, 1, None)

    assert (result.card_id, result.title, result.from_column, result.to_column) == (
        card.id,
        "Kanban square",
        PLAN,
        DO,
    )
    assert (result.position, result.version, result.reason) == (1, 2, None)
    assert result.move_id is not None


def test_moving_a_card_that_was_just_deleted_tells_the_person_it_is_gone(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press-shop")
    card = make_improvement(session, team=team, board_column=PLAN, title="Still here")
    person = make_user(session, role=Role.MEMBER)
    session.commit()
    sign_in(person)
    # The database refuses to delete a card with a move log, so a card that is gone is one
    # the board's address names but the database does not hold (a stale page, a typed id).
    gone_id = card.id + 1000

    response = client.post(
        f"/board/cards/{gone_id}/move",
        data={"to_column": "do", "version": 1, "board": "press-shop"},
        headers={"HX-Request": "true"},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "That card is no longer on the board." in html
    assert "Still here" in html and "Removed" not in html
    assert '"why": "gone"' in response.headers["HX-Trigger"]


def test_another_teams_limit_does_not_hold_back_a_team_without_one(session: Session) -> None:
    team, other = make_team(session), make_team(session)
    make_column_limit(session, other, board_column=DO, wip_limit=2, mode=WipMode.HARD)
    for n in range(2):
        make_improvement(session, team=team, board_column=DO, position=n)
    card = make_improvement(session, team=team, board_column=PLAN)
    session.commit()

    assert move_card(session, card.id, DO, None, 1, None).to_column is DO


def test_a_limit_on_another_column_does_not_hold_back_this_one(session: Session) -> None:
    team = make_team(session)
    make_column_limit(session, team, board_column=CHECK, wip_limit=1, mode=WipMode.HARD)
    make_improvement(session, team=team, board_column=CHECK)
    make_improvement(session, team=team, board_column=DO)
    card = make_improvement(session, team=team, board_column=PLAN)
    session.commit()

    assert move_card(session, card.id, DO, None, 1, None).to_column is DO


def test_a_soft_limit_without_any_reason_asks_for_one(session: Session) -> None:
    team = make_team(session)
    make_column_limit(session, team, board_column=DO, wip_limit=1, mode=WipMode.SOFT)
    make_improvement(session, team=team, board_column=DO)
    card = make_improvement(session, team=team, board_column=PLAN)
    session.commit()

    with pytest.raises(SoftLimitNeedsReason) as refused:
        move_card(session, card.id, DO, None, 1, None, reason=None)

    assert refused.value.message == (
        "Do is at its limit (1 / 1). You can still move the card: say briefly why."
    )


def test_a_reason_of_500_characters_is_accepted_and_501_refused(session: Session) -> None:
    team = make_team(session)
    make_column_limit(session, team, board_column=DO, wip_limit=1, mode=WipMode.SOFT)
    make_improvement(session, team=team, board_column=DO)
    card = make_improvement(session, team=team, board_column=PLAN)
    session.commit()

    with pytest.raises(InvalidMove) as refused:
        move_card(session, card.id, DO, None, 1, None, reason="x" * 501)
    result = move_card(session, card.id, DO, None, 1, None, reason="x" * 500)

    assert refused.value.message == "Please keep the reason under 500 characters."
    assert result.reason == "x" * 500


def test_a_negative_position_is_refused_in_plain_words(session: Session) -> None:
    card = make_improvement(session, board_column=PLAN)
    session.commit()

    with pytest.raises(InvalidMove) as refused:
        move_card(session, card.id, DO, -1, 1, None)

    assert refused.value.message == "That position is not on the board."


def test_moving_to_done_without_an_outcome_says_how_to_finish(session: Session) -> None:
    card = make_improvement(session, board_column=CHECK)
    session.commit()

    with pytest.raises(OutcomeRequired) as refused:
        move_card(session, card.id, DONE, None, 1, None)

    assert refused.value.message == (
        "How did it end? Choose adopted or not adopted to finish the card."
    )
    assert str(refused.value) == refused.value.message


def test_a_refused_move_names_the_card_for_whoever_handles_it(session: Session) -> None:
    card = make_improvement(session, board_column=PLAN)
    session.commit()
    move_card(session, card.id, DO, None, 1, None)

    with pytest.raises(StaleVersion) as stale:
        move_card(session, card.id, CHECK, None, 1, None)
    with pytest.raises(CardNotFound) as gone:
        move_card(session, 4242, CHECK, None, 1, None)

    assert stale.value.card_id == card.id
    assert (gone.value.card_id, gone.value.message) == (
        4242,
        "That card is no longer on the board.",
    )


def test_a_hard_limit_refusal_carries_the_column_count_and_limit(session: Session) -> None:
    team = make_team(session)
    make_column_limit(session, team, board_column=DO, wip_limit=1, mode=WipMode.HARD)
    make_improvement(session, team=team, board_column=DO)
    card = make_improvement(session, team=team, board_column=PLAN)
    session.commit()

    with pytest.raises(WipLimitExceeded) as refused:
        move_card(session, card.id, DO, None, 1, None)

    info = refused.value.info
    assert (info.column, info.count, info.limit, info.mode) == (DO, 1, 1, WipMode.HARD)


def test_a_move_stamps_the_card_as_changed_and_leaves_neighbours_stamps_alone(
    session: Session,
) -> None:
    team = make_team(session)
    earlier = datetime(2025, 1, 6, 9, 0)
    neighbour = make_improvement(session, team=team, board_column=DO, position=0)
    card = make_improvement(session, team=team, board_column=PLAN)
    session.flush()
    session.execute(update(Improvement).values(updated_at=earlier))
    session.commit()

    move_card(session, card.id, DO, 0, 1, None, now=NOW)

    session.expire_all()
    assert session.get(Improvement, card.id).updated_at == NOW
    assert session.get(Improvement, neighbour.id).position == 1
    assert session.get(Improvement, neighbour.id).updated_at == earlier


def test_cards_keep_their_board_order_not_the_order_they_were_made(session: Session) -> None:
    team = make_team(session)
    make_improvement(session, team=team, board_column=DO, position=1, title="Made first")
    make_improvement(session, team=team, board_column=DO, position=0, title="Made second")
    card = make_improvement(session, team=team, board_column=PLAN, title="Moving")
    session.commit()

    move_card(session, card.id, DO, 1, 1, None)

    session.expire_all()
    titles = session.scalars(
        select(Improvement.title)
        .where(Improvement.board_column == DO)
        .order_by(Improvement.position)
    ).all()
    assert titles == ["Made second", "Moving", "Made first"]
