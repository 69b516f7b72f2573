"""What the JSON API reads: pages of observations, cards and reflections in a stable order
(newest first, by id, so a `cursor` never skips or repeats a row while others write), and one
record each, as plain values shaped like the API's schemas (kaizen/api/schemas.py).

The writes go through the same services as the pages (observations.submit_observation,
moves.move_card, improvements.*, root_causes.save_record): one path per use case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from kaizen.models import (
    BoardColumn,
    CardMove,
    Improvement,
    Observation,
    Reflection,
    RootCause,
    Team,
    User,
    Waste,
)
from kaizen.models.improvement import observation_improvement
from kaizen.models.root_cause import root_cause_improvement, root_cause_observation
from kaizen.services import DbSession


def aware(moment: datetime | None) -> datetime | None:
    """A stored (naive UTC) moment with its zone said."""
    return moment.replace(tzinfo=UTC) if moment is not None else None


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows and the cursor of the next page (None at the end)."""

    items: list[dict[str, Any]]
    next_cursor: int | None


def _page(
    session: DbSession, query: Select[Any], model: Any, limit: int, cursor: int | None
) -> tuple[list[Any], int | None]:
    """Rows of `query` newest first, after `cursor`; one more is read to know if more exist."""
    if cursor is not None:
        query = query.where(model.id < cursor)
    rows = list(session.scalars(query.order_by(model.id.desc()).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1].id if more and rows else None


def _links(session: DbSession, table: Any, key: str, other: str, ids: list[int]) -> dict:
    """For each id, the ids linked to it through a link table (one query)."""
    found: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        rows = session.execute(
            select(table.c[key], table.c[other])
            .where(table.c[key].in_(ids))
            .order_by(table.c[key], table.c[other])
        )
        for one, linked in rows:
            found[one].append(linked)
    return found


def team_by_slug(session: DbSession, slug: str | None) -> Team | None:
    """The team with this slug (case ignored), or None."""
    cleaned = (slug or "").strip().lower()
    return session.scalar(select(Team).where(Team.slug == cleaned)) if cleaned else None


def user_by_username(session: DbSession, username: str | None) -> User | None:
    """The active account with this username, or None."""
    name = (username or "").strip()
    if not name:
        return None
    return session.scalar(select(User).where(User.username == name, User.active.is_(True)))


# --------------------------------------------------------------------------------------
# Observations
# --------------------------------------------------------------------------------------


def _observation_values(
    observation: Observation, cards: list[int], records: list[int]
) -> dict[str, Any]:
    return {
        "id": observation.id,
        "observed_at": aware(observation.observed_at),
        "area": observation.area.slug,
        "area_name": observation.area.name,
        "waste": observation.waste,
        "description": observation.description,
        "minutes_lost": observation.minutes_lost,
        "frequency": observation.frequency,
        "anonymous": observation.reporter_id is None,
        "reporter": observation.reporter.display_name if observation.reporter else None,
        "has_photo": observation.photo_type is not None,
        "improvements": cards,
        "root_causes": records,
    }


def _observations(session: DbSession, rows: list[Observation]) -> list[dict[str, Any]]:
    ids = [o.id for o in rows]
    cards = _links(session, observation_improvement, "observation_id", "improvement_id", ids)
    records = _links(session, root_cause_observation, "observation_id", "root_cause_id", ids)
    return [_observation_values(o, cards[o.id], records[o.id]) for o in rows]


_OBSERVATION = select(Observation).options(
    joinedload(Observation.area), joinedload(Observation.reporter)
)


@dataclass(frozen=True)
class ObservationFilter:
    """The observation list's filters; None means any."""

    area_id: int | None = None
    waste: Waste | None = None
    since: datetime | None = None
    until: datetime | None = None


def observation_page(
    session: DbSession, wanted: ObservationFilter, limit: int, cursor: int | None
) -> Page:
    """A page of observations, newest first."""
    query = _OBSERVATION
    if wanted.area_id is not None:
        query = query.where(Observation.area_id == wanted.area_id)
    if wanted.waste is not None:
        query = query.where(Observation.waste == wanted.waste)
    if wanted.since is not None:
        query = query.where(Observation.observed_at >= wanted.since)
    if wanted.until is not None:
        query = query.where(Observation.observed_at < wanted.until)
    rows, after = _page(session, query, Observation, limit, cursor)
    return Page(_observations(session, rows), after)


def observation(session: DbSession, observation_id: int) -> dict[str, Any] | None:
    """One observation, or None."""
    row = session.scalar(_OBSERVATION.where(Observation.id == observation_id))
    return _observations(session, [row])[0] if row is not None else None


# --------------------------------------------------------------------------------------
# Improvements, their moves and reflections
# --------------------------------------------------------------------------------------


def _card_values(card: Improvement, observations: list[int], records: list[int]) -> dict:
    return {
        "id": card.id,
        "title": card.title,
        "problem": card.problem,
        "countermeasure": card.countermeasure,
        "team": card.team.slug,
        "area": card.area.slug if card.area else None,
        "waste": card.waste,
        "owner": card.owner.username if card.owner else None,
        "column": card.board_column,
        "position": card.position,
        "blocked": card.blocked,
        "blocked_reason": card.blocked_reason,
        "outcome": card.outcome,
        "expected_minutes_per_week": card.expected_minutes_per_week,
        "expected_cost": card.expected_cost,
        "actual_minutes_per_week": card.actual_minutes_per_week,
        "actual_cost": card.actual_cost,
        "version": card.version,
        "created_at": aware(card.created_at),
        "started_at": aware(card.started_at),
        "finished_at": aware(card.finished_at),
        "observations": observations,
        "root_causes": records,
        "has_reflection": card.reflection is not None,
    }


_CARD = select(Improvement).options(
    joinedload(Improvement.team),
    joinedload(Improvement.area),
    joinedload(Improvement.owner),
    joinedload(Improvement.reflection).load_only(Reflection.id),
)


def _cards(session: DbSession, rows: list[Improvement]) -> list[dict[str, Any]]:
    ids = [c.id for c in rows]
    observations = _links(session, observation_improvement, "improvement_id", "observation_id", ids)
    records = _links(session, root_cause_improvement, "improvement_id", "root_cause_id", ids)
    return [_card_values(c, observations[c.id], records[c.id]) for c in rows]


@dataclass(frozen=True)
class CardFilter:
    """The card list's filters; None means any."""

    column: BoardColumn | None = None
    team_id: int | None = None
    area_id: int | None = None


def improvement_page(
    session: DbSession, wanted: CardFilter, limit: int, cursor: int | None
) -> Page:
    """A page of cards, newest first."""
    query = _CARD
    if wanted.column is not None:
        query = query.where(Improvement.board_column == wanted.column)
    if wanted.team_id is not None:
        query = query.where(Improvement.team_id == wanted.team_id)
    if wanted.area_id is not None:
        query = query.where(Improvement.area_id == wanted.area_id)
    rows, after = _page(session, query, Improvement, limit, cursor)
    return Page(_cards(session, rows), after)


def improvement(session: DbSession, improvement_id: int) -> dict[str, Any] | None:
    """One card as stored now, or None (read afresh: a move writes the row without the ORM)."""
    query = _CARD.where(Improvement.id == improvement_id)
    row = session.scalar(query.execution_options(populate_existing=True))
    return _cards(session, [row])[0] if row is not None else None


_MOVE = select(CardMove).options(joinedload(CardMove.moved_by))


def _move_values(move: CardMove) -> dict[str, Any]:
    return {
        "id": move.id,
        "from_column": move.from_column,
        "to_column": move.to_column,
        "moved_at": aware(move.moved_at),
        "moved_by": move.moved_by.username if move.moved_by else None,
        "reason": move.reason,
    }


def card_moves(session: DbSession, improvement_id: int) -> list[dict[str, Any]]:
    """A card's move log, oldest first."""
    rows = session.scalars(
        _MOVE.where(CardMove.improvement_id == improvement_id).order_by(
            CardMove.moved_at, CardMove.id
        )
    )
    return [_move_values(move) for move in rows]


def card_move(session: DbSession, move_id: int) -> dict[str, Any] | None:
    """One logged move, or None."""
    row = session.scalar(_MOVE.where(CardMove.id == move_id))
    return _move_values(row) if row is not None else None


_REFLECTION = select(Reflection).options(
    joinedload(Reflection.author), joinedload(Reflection.improvement).load_only(Improvement.outcome)
)


def _reflection_values(reflection: Reflection) -> dict[str, Any]:
    return {
        "id": reflection.id,
        "improvement": reflection.improvement_id,
        "outcome": reflection.improvement.outcome,
        "learnt": reflection.learnt,
        "take_forward": reflection.take_forward,
        "do_differently": reflection.do_differently,
        "author": reflection.author.display_name if reflection.author else None,
        "created_at": aware(reflection.created_at),
        "updated_at": aware(reflection.updated_at),
    }


def reflection_page(session: DbSession, limit: int, cursor: int | None) -> Page:
    """A page of reflections, newest first."""
    rows, after = _page(session, _REFLECTION, Reflection, limit, cursor)
    return Page([_reflection_values(r) for r in rows], after)


def reflection_of(session: DbSession, improvement_id: int) -> dict[str, Any] | None:
    """The reflection on this card, or None."""
    row = session.scalar(_REFLECTION.where(Reflection.improvement_id == improvement_id))
    return _reflection_values(row) if row is not None else None


# --------------------------------------------------------------------------------------
# Five whys
# --------------------------------------------------------------------------------------


def root_cause(session: DbSession, root_cause_id: int) -> dict[str, Any] | None:
    """One five-whys record with its steps in order and its links, or None."""
    record = session.scalar(
        select(RootCause)
        .where(RootCause.id == root_cause_id)
        .options(
            selectinload(RootCause.steps),
            selectinload(RootCause.observations).load_only(Observation.id),
            selectinload(RootCause.improvements).load_only(Improvement.id),
        )
    )
    if record is None:
        return None
    return {
        "id": record.id,
        "problem": record.problem,
        "steps": [{"why": s.why, "because": s.because} for s in record.steps],
        "root_cause": record.root_cause,
        "category": record.category,
        "countermeasure": record.countermeasure,
        "status": record.status,
        "observations": sorted(o.id for o in record.observations),
        "improvements": sorted(c.id for c in record.improvements),
        "created_at": aware(record.created_at),
        "updated_at": aware(record.updated_at),
    }


def by_ids(session: DbSession, model: Any, ids: list[int]) -> tuple[list[Any], list[int]]:
    """The rows of `model` with these ids, and the ids that exist nowhere."""
    found = list(session.scalars(select(model).where(model.id.in_(set(ids))))) if ids else []
    return found, sorted(set(ids) - {row.id for row in found})


def card(session: DbSession, improvement_id: int) -> Improvement | None:
    """The card with this id, to change it (None when there is none)."""
    return session.get(Improvement, improvement_id)


def record(session: DbSession, root_cause_id: int) -> RootCause | None:
    """The five-whys record with this id, with its links, to change it."""
    return session.scalar(
        select(RootCause)
        .where(RootCause.id == root_cause_id)
        .options(selectinload(RootCause.improvements), selectinload(RootCause.steps))
    )
