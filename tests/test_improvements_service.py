"""Creating cards: every card's creation is its first logged move."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kaizen.models import BoardColumn, Waste
from kaizen.services.improvements import create_improvement
from tests.factories import make_observation, make_team, make_user


def test_a_new_card_starts_in_ideas_with_its_creation_logged(session: Session) -> None:
    team = make_team(session)
    author = make_user(session)
    card = create_improvement(session, title=" Kanban square ", team=team, created_by=author)
    assert card.title == "Kanban square"
    assert card.board_column is BoardColumn.IDEAS
    assert [(m.from_column, m.to_column, m.moved_by_id) for m in card.moves] == [
        (None, BoardColumn.IDEAS, author.id)
    ]


def test_new_cards_go_to_the_bottom_of_their_teams_ideas_column(session: Session) -> None:
    team, other = make_team(session), make_team(session)
    first = create_improvement(session, title="First", team=team)
    create_improvement(session, title="Elsewhere", team=other)
    second = create_improvement(session, title="Second", team=team)
    assert (first.position, second.position) == (0, 1)


def test_a_card_made_from_observations_links_them(session: Session) -> None:
    observation = make_observation(session)
    card = create_improvement(
        session,
        title="Stop waiting",
        team=make_team(session),
        observations=[observation],
        waste=Waste.WAITING,
    )
    session.commit()
    assert observation.improvements == [card]
