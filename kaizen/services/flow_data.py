"""Reading the move log, blocked periods, observations and reflections from the database into
the plain values `flow` computes with, in a few queries each; and the version of it all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from kaizen.models import (
    Area,
    BlockPeriod,
    BoardColumn,
    CardMove,
    Improvement,
    Observation,
    Reflection,
    ReportVersion,
    Team,
    observation_improvement,
)
from kaizen.models.report_cache import VERSION_ROW
from kaizen.services import DbSession
from kaizen.services.flow import Block, CardLog, Lesson, Move, ObservationFact


@dataclass(frozen=True)
class Scope:
    """Which cards and observations a report covers: a team, an area, or the whole plant."""

    team_id: int | None = None
    area_id: int | None = None


def load_card_logs(
    session: DbSession, scope: Scope = Scope(), only_ids: Sequence[int] | None = None
) -> list[CardLog]:
    """Every card in scope (or only these cards) with its move log and blocked periods, in
    three queries."""
    in_scope = [
        *([Improvement.team_id == scope.team_id] if scope.team_id is not None else []),
        *([Improvement.area_id == scope.area_id] if scope.area_id is not None else []),
        *([Improvement.id.in_(only_ids)] if only_ids is not None else []),
    ]
    cards = session.execute(
        select(
            Improvement.id,
            Improvement.title,
            Improvement.board_column,
            Improvement.area_id,
            Improvement.waste,
            Improvement.outcome,
            Improvement.blocked,
            Team.name,
            Team.cycle_start_column,
        )
        .join(Team, Team.id == Improvement.team_id)
        .where(*in_scope)
        .order_by(Improvement.id)
    ).all()
    if not cards:
        return []
    card_ids = select(Improvement.id).where(*in_scope)
    moves: dict[int, list[Move]] = defaultdict(list)
    for card_id, moved_at, source, target in session.execute(
        select(CardMove.improvement_id, CardMove.moved_at, CardMove.from_column, CardMove.to_column)
        .where(CardMove.improvement_id.in_(card_ids))
        .order_by(CardMove.improvement_id, CardMove.moved_at, CardMove.id)
    ):
        moves[card_id].append(Move(moved_at, source, target))
    blocks: dict[int, list[Block]] = defaultdict(list)
    for card_id, started_at, ended_at in session.execute(
        select(BlockPeriod.improvement_id, BlockPeriod.started_at, BlockPeriod.ended_at)
        .where(BlockPeriod.improvement_id.in_(card_ids))
        .order_by(BlockPeriod.improvement_id, BlockPeriod.started_at)
    ):
        blocks[card_id].append(Block(started_at, ended_at))
    return [
        CardLog(
            id=row.id,
            title=row.title,
            moves=tuple(moves[row.id]),
            column=row.board_column,
            start_column=row.cycle_start_column,
            blocks=tuple(blocks[row.id]),
            team_name=row.name,
            area_id=row.area_id,
            waste=row.waste,
            outcome=row.outcome,
            blocked=row.blocked,
        )
        for row in cards
    ]


def load_observations(
    session: DbSession, start: datetime, end: datetime, scope: Scope = Scope()
) -> list[ObservationFact]:
    """Observations made in [start, end) in scope (a team's scope: its areas), one query."""
    query = (
        select(
            Observation.id,
            Observation.observed_at,
            Observation.waste,
            Observation.area_id,
            Observation.minutes_lost,
        )
        .where(Observation.observed_at >= start, Observation.observed_at < end)
        .order_by(Observation.observed_at, Observation.id)
    )
    if scope.team_id is not None:
        query = query.join(Area, Area.id == Observation.area_id).where(
            Area.team_id == scope.team_id
        )
    if scope.area_id is not None:
        query = query.where(Observation.area_id == scope.area_id)
    return [ObservationFact(*row) for row in session.execute(query)]


def linked_observations(session: DbSession, card_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    """The ids of the observations linked to each of these cards."""
    if not card_ids:
        return {}
    links: dict[int, set[int]] = defaultdict(set)
    for card_id, observation_id in session.execute(
        select(
            observation_improvement.c.improvement_id, observation_improvement.c.observation_id
        ).where(observation_improvement.c.improvement_id.in_(card_ids))
    ):
        links[card_id].add(observation_id)
    return {card_id: frozenset(ids) for card_id, ids in links.items()}


def load_lessons(session: DbSession, card_ids: Sequence[int]) -> list[Lesson]:
    """The reflections written on these cards, newest first."""
    if not card_ids:
        return []
    rows = session.execute(
        select(
            Reflection.improvement_id,
            Improvement.title,
            Reflection.learnt,
            Reflection.take_forward,
            Reflection.do_differently,
        )
        .join(Improvement, Improvement.id == Reflection.improvement_id)
        .where(Reflection.improvement_id.in_(card_ids))
        .order_by(Reflection.created_at.desc(), Reflection.id.desc())
    )
    return [Lesson(*row) for row in rows]


def data_version(session: DbSession) -> str:
    """A short fingerprint of everything the reports show; it changes with any change to it.

    The plant-wide report counter (`models/report_cache.ReportVersion`), which every such
    change bumps in its own transaction: one row read by key, however long the history.
    """
    value = session.execute(
        select(ReportVersion.value).where(ReportVersion.id == VERSION_ROW)
    ).scalar()
    return str(value or 0)


def first_done_at(session: DbSession, card_ids: Sequence[int]) -> dict[int, datetime]:
    """When each of these cards first reached Done (cards never done are left out)."""
    if not card_ids:
        return {}
    rows = session.execute(
        select(CardMove.improvement_id, func.min(CardMove.moved_at))
        .where(CardMove.improvement_id.in_(card_ids), CardMove.to_column == BoardColumn.DONE)
        .group_by(CardMove.improvement_id)
    )
    return {card_id: moved_at for card_id, moved_at in rows}
