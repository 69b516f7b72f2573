"""Readable test factories: `make_improvement(session, title="...")` with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kaizen.models import (
    Area,
    BoardColumn,
    CardMove,
    Improvement,
    Observation,
    Outcome,
    Reflection,
    Role,
    Team,
    User,
    Waste,
    utcnow,
)

_counter = itertools.count(1)


def _next() -> int:
    return next(_counter)


def make_team(session: Session, **overrides: Any) -> Team:
    """A team with a unique name and slug."""
    n = _next()
    values: dict[str, Any] = {"name": f"Team {n}", "slug": f"team-{n}"}
    values.update(overrides)
    team = Team(**values)
    session.add(team)
    session.flush()
    return team


def make_area(session: Session, **overrides: Any) -> Area:
    """An area with a unique name and slug, in a new team unless one is given."""
    n = _next()
    values: dict[str, Any] = {"name": f"Press line {n}", "slug": f"press-line-{n}"}
    values.update(overrides)
    if "team" not in values and "team_id" not in values:
        values["team"] = make_team(session)
    area = Area(**values)
    session.add(area)
    session.flush()
    return area


DEFAULT_PASSWORD = "correct horse"


def make_user(session: Session, password: str = DEFAULT_PASSWORD, **overrides: Any) -> User:
    """A member account with a known password.

    Without a team it is plant-wide (acts on every team's cards), so tests about other
    things need not place it in a team; with a team it keeps to that team (team scope).
    """
    n = _next()
    values: dict[str, Any] = {
        "username": f"user{n}",
        "display_name": f"User {n}",
        "role": Role.MEMBER,
    }
    values.update(overrides)
    if "plant_wide" not in values:
        values["plant_wide"] = values.get("team") is None and values.get("team_id") is None
    user = User(**values)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def make_observation(session: Session, **overrides: Any) -> Observation:
    """A waiting-waste observation in a new area, reported anonymously."""
    values: dict[str, Any] = {
        "waste": Waste.WAITING,
        "description": "Parts waited twenty minutes for the forklift.",
    }
    values.update(overrides)
    if "area" not in values and "area_id" not in values:
        values["area"] = make_area(session)
    observation = Observation(**values)
    session.add(observation)
    session.flush()
    return observation


def make_improvement(
    session: Session, created_at: datetime | None = None, **overrides: Any
) -> Improvement:
    """A card in Ideas with its creation logged as the first card move."""
    values: dict[str, Any] = {"title": "Kanban square for the forklift", "problem": "Waiting."}
    values.update(overrides)
    if "team" not in values and "team_id" not in values:
        values["team"] = make_team(session)
    created_at = created_at or utcnow()
    improvement = Improvement(created_at=created_at, **values)
    session.add(improvement)
    session.flush()
    session.add(
        CardMove(
            improvement=improvement,
            from_column=None,
            to_column=improvement.board_column or BoardColumn.IDEAS,
            moved_at=created_at,
        )
    )
    session.flush()
    return improvement


def make_column_limit(session: Session, team: Team, **overrides: Any) -> Any:
    """A soft WIP limit of 3 on the team's Do column."""
    from kaizen.models import ColumnLimit, WipMode

    values: dict[str, Any] = {"board_column": BoardColumn.DO, "wip_limit": 3, "mode": WipMode.SOFT}
    values.update(overrides)
    limit = ColumnLimit(team=team, **values)
    session.add(limit)
    session.flush()
    return limit


def make_moved_improvement(
    session: Session,
    path: list[tuple[BoardColumn, datetime]],
    created_at: datetime | None = None,
    **overrides: Any,
) -> Improvement:
    """A card created in Ideas that then moved along `path` [(column, when), ...]."""
    outcome = overrides.pop("outcome", None)
    card = make_improvement(session, created_at=created_at or path[0][1], **overrides)
    previous = card.board_column
    for column, moved_at in path:
        session.add(
            CardMove(improvement=card, from_column=previous, to_column=column, moved_at=moved_at)
        )
        previous = column
    card.board_column = previous
    card.outcome = outcome
    session.flush()
    return card


def make_reflection(
    session: Session, improvement: Improvement | None = None, **overrides: Any
) -> Reflection:
    """A reflection on a card that reached Done adopted (a new one, with the `title`,
    `problem` and `countermeasure` given, unless a card is given)."""
    card_fields = {
        k: overrides.pop(k) for k in ("title", "problem", "countermeasure") if k in overrides
    }
    card = improvement or make_moved_improvement(
        session, [(BoardColumn.DONE, utcnow())], outcome=Outcome.ADOPTED, **card_fields
    )
    values: dict[str, Any] = {"learnt": "A kanban square keeps the forklift route clear."}
    values.update(overrides)
    reflection = Reflection(improvement=card, **values)
    session.add(reflection)
    session.flush()
    return reflection
