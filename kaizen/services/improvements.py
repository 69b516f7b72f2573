"""Creating improvement cards. Every card starts with its creation logged as a card move."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaizen.models import BoardColumn, CardMove, Improvement, Observation, Team, User, utcnow


def next_position(session: Session, team_id: int, column: BoardColumn) -> int:
    """The position just after the last card of this team's column."""
    last = session.scalar(
        select(func.max(Improvement.position)).where(
            Improvement.team_id == team_id, Improvement.board_column == column
        )
    )
    return 0 if last is None else last + 1


def create_improvement(
    session: Session,
    *,
    title: str,
    team: Team,
    created_by: User | None = None,
    observations: list[Observation] | None = None,
    now: datetime | None = None,
    **fields: Any,
) -> Improvement:
    """Add a card at the bottom of its team's Ideas column and log its creation as a move."""
    now = now or utcnow()
    card = Improvement(
        title=title.strip(),
        team=team,
        created_by=created_by,
        board_column=BoardColumn.IDEAS,
        position=next_position(session, team.id, BoardColumn.IDEAS),
        created_at=now,
        updated_at=now,
        **fields,
    )
    card.observations.extend(observations or [])
    session.add(card)
    session.add(
        CardMove(
            improvement=card,
            from_column=None,
            to_column=BoardColumn.IDEAS,
            moved_at=now,
            moved_by=created_by,
        )
    )
    session.flush()
    return card
