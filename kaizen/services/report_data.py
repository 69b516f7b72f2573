"""The monthly report's figures from database aggregates over the windows it shows.

A report looks at one month and the twelve months up to it, so its cost must follow those
windows, never the years of history behind them. Cards are chosen by their stored first
start and first finish (`Improvement.started_at` / `finished_at`, which `models/derived`
keeps equal to what the move log says); only the month's own finished cards are read with
their whole move log; observations are counted per month and waste in SQL, and the ones a
before/after compares are found by area and waste through an index. Every function here
gives exactly what the plain computation from the whole move log gives (`services/flow`
over `flow_data.load_card_logs`): tests/test_report_properties.py checks that on random
plants.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, DateTime, Integer, and_, case, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from kaizen.models import Area, BoardColumn, CardMove, Improvement, Observation, Team, Waste
from kaizen.services import DbSession
from kaizen.services.flow import (
    BEFORE_AFTER_WEEKS,
    BeforeAfter,
    CardFlow,
    Countermeasure,
    FlowDay,
    MonthWasteCounts,
    Pareto,
    before_after_rates,
    card_flows,
    pareto_from_totals,
    span_days,
)
from kaizen.services.flow_data import Scope, linked_observations, load_card_logs
from kaizen.services.months import Month
from kaizen.services.plant_time import day_end, day_start, local_today, offset_spans


def _card_scope(scope: Scope) -> list[Any]:
    """WHERE conditions on `improvement` for a team or area filter."""
    return [
        *([Improvement.team_id == scope.team_id] if scope.team_id is not None else []),
        *([Improvement.area_id == scope.area_id] if scope.area_id is not None else []),
    ]


def _observation_scope(query: Any, scope: Scope) -> Any:
    """The same filter on observations: a team's are those made in its areas."""
    if scope.team_id is not None:
        query = query.join(Area, Area.id == Observation.area_id).where(
            Area.team_id == scope.team_id
        )
    if scope.area_id is not None:
        query = query.where(Observation.area_id == scope.area_id)
    return query


_CARD_COLUMNS = (
    Improvement.id,
    Improvement.title,
    Team.name,
    Improvement.area_id,
    Improvement.waste,
    Improvement.outcome,
    Improvement.board_column,
    Improvement.blocked,
    Improvement.created_at,
    Improvement.started_at,
    Improvement.finished_at,
)


def _stamped_flow(row: Any, now: datetime, working_days: bool) -> CardFlow:
    """A card's flow figures from its stored start and finish.

    Only what the cycle-time, throughput and aging charts show is filled in: cycle time,
    age, column, outcome. Lead, blocked and per-column time need the card's whole log and
    are read only for the month's own finished cards (`month_finished`).
    """
    started, finished = row.started_at, row.finished_at
    is_open = row.board_column is not BoardColumn.DONE
    return CardFlow(
        id=row.id,
        title=row.title,
        team_name=row.name,
        area_id=row.area_id,
        waste=row.waste,
        outcome=row.outcome,
        column=row.board_column,
        blocked=row.blocked,
        created_at=row.created_at,
        started_at=started,
        finished_at=finished,
        lead_days=None,
        cycle_days=span_days(started, finished, working_days) if finished and started else None,
        blocked_days=0.0,
        days_in_column={},
        age_days=span_days(started, now, working_days) if is_open and started else None,
    )


def finished_flows(
    session: DbSession,
    start: datetime,
    end: datetime,
    now: datetime,
    scope: Scope = Scope(),
    working_days: bool = False,
) -> list[CardFlow]:
    """Cards that first reached Done in [start, end), by finish, from their stored stamps."""
    rows = session.execute(
        select(*_CARD_COLUMNS)
        .join(Team, Team.id == Improvement.team_id)
        .where(Improvement.finished_at >= start, Improvement.finished_at < end, *_card_scope(scope))
        .order_by(Improvement.finished_at, Improvement.id)
    )
    return [_stamped_flow(row, now, working_days) for row in rows]


def open_started_flows(
    session: DbSession, now: datetime, scope: Scope = Scope(), working_days: bool = False
) -> list[CardFlow]:
    """Started cards not in Done (they have an age), oldest first."""
    rows = session.execute(
        select(*_CARD_COLUMNS)
        .join(Team, Team.id == Improvement.team_id)
        .where(
            Improvement.board_column != BoardColumn.DONE,
            Improvement.started_at.is_not(None),
            *_card_scope(scope),
        )
    )
    flows = [_stamped_flow(row, now, working_days) for row in rows]
    return sorted(flows, key=lambda f: (-(f.age_days or 0.0), f.id))


def month_finished(
    session: DbSession,
    card_ids: Sequence[int],
    now: datetime,
    working_days: bool = False,
) -> list[CardFlow]:
    """Full flow figures (lead, blocked, per-column time) of a few cards, from their logs."""
    if not card_ids:
        return []
    return card_flows(load_card_logs(session, only_ids=card_ids), now, working_days)


def observations_by_month(
    session: DbSession, months: Sequence[Month], scope: Scope = Scope()
) -> list[MonthWasteCounts]:
    """Observations per month and waste over the months (zeros included), one GROUP BY."""
    bucket = case(
        *((Observation.observed_at < m.end, index) for index, m in enumerate(months)),
        else_=len(months),
    )
    query = (
        select(bucket.label("bucket"), Observation.waste, func.count())
        .where(Observation.observed_at >= months[0].start, Observation.observed_at < months[-1].end)
        .group_by(bucket, Observation.waste)
    )
    counts: list[dict[Waste, int]] = [dict.fromkeys(Waste, 0) for _ in months]
    for index, waste, count in session.execute(_observation_scope(query, scope)):
        counts[index][waste] += count
    return [MonthWasteCounts(month=m, counts=c) for m, c in zip(months, counts, strict=True)]


def month_pareto(session: DbSession, month: Month, scope: Scope = Scope()) -> Pareto:
    """The month's wastes by number of reports and by minutes lost, one GROUP BY."""
    query = (
        select(
            Observation.waste, func.count(), func.coalesce(func.sum(Observation.minutes_lost), 0)
        )
        .where(Observation.observed_at >= month.start, Observation.observed_at < month.end)
        .group_by(Observation.waste)
    )
    by_count: dict[Waste, int] = {}
    by_minutes: dict[Waste, int] = {}
    for waste, count, minutes in session.execute(_observation_scope(query, scope)):
        by_count[waste] = int(count)
        by_minutes[waste] = int(minutes)
    return pareto_from_totals(by_count, by_minutes)


def before_after_of(
    session: DbSession,
    finished: Sequence[CardFlow],
    now: datetime,
    scope: Scope = Scope(),
) -> list[BeforeAfter]:
    """Before/after of the month's finished cards, counted in the database.

    Related means linked to the card, or the card's waste reported in the card's area. The
    second kind is counted by one query that joins the cards (as literal rows) to the
    observations through the (area, waste, observed_at) index; the few linked reports that
    are not of that kind are read and counted here.
    """
    cards = [f for f in finished if f.finished_at is not None]
    if not cards:
        return []
    window = timedelta(weeks=BEFORE_AFTER_WEEKS)
    counts: dict[int, list[int]] = {f.id: [0, 0] for f in cards}
    ends = {
        f.id: (f.finished_at - window, f.finished_at, min(f.finished_at + window, now))
        for f in cards
        if f.finished_at is not None
    }
    matched = [f for f in cards if f.area_id is not None and f.waste is not None]
    if matched:
        rows = union_all(
            *(
                select(
                    literal(f.id, Integer).label("card_id"),
                    literal(f.area_id, Integer).label("area_id"),
                    literal(f.waste, Observation.waste.type).label("waste"),
                    literal(ends[f.id][0], DateTime).label("since"),
                    literal(ends[f.id][1], DateTime).label("done"),
                    literal(ends[f.id][2], DateTime).label("until"),
                )
                for f in matched
            )
        ).cte("countermeasure")
        query = (
            select(
                rows.c.card_id,
                func.sum(case((Observation.observed_at < rows.c.done, 1), else_=0)),
                func.sum(case((Observation.observed_at >= rows.c.done, 1), else_=0)),
            )
            .select_from(rows)
            .join(
                Observation,
                and_(
                    Observation.area_id == rows.c.area_id,
                    Observation.waste == rows.c.waste,
                    Observation.observed_at >= rows.c.since,
                    Observation.observed_at < rows.c.until,
                ),
            )
            .group_by(rows.c.card_id)
        )
        for card_id, before, after in session.execute(_observation_scope(query, scope)):
            counts[card_id] = [int(before or 0), int(after or 0)]
    links = linked_observations(session, [f.id for f in cards])
    if linked_ids := sorted({i for ids in links.values() for i in ids}):
        reports = select(
            Observation.id, Observation.observed_at, Observation.area_id, Observation.waste
        ).where(Observation.id.in_(linked_ids))
        linked = {row.id: row for row in session.execute(_observation_scope(reports, scope))}
        for card in cards:
            since, done, until = ends[card.id]
            for observation_id in links.get(card.id, ()):
                row = linked.get(observation_id)
                if row is None or (row.area_id == card.area_id and row.waste is card.waste):
                    continue  # outside the filter, or already counted by area and waste
                if since <= row.observed_at < done:
                    counts[card.id][0] += 1
                elif done <= row.observed_at < until:
                    counts[card.id][1] += 1
    results = [
        before_after_rates(
            Countermeasure(card.id, card.title, ends[card.id][1], card.area_id, card.waste),
            counts[card.id][0],
            counts[card.id][1],
            now,
        )
        for card in cards
    ]
    return sorted(results, key=lambda r: (r.finished_at, r.id))


def _net(rows: Any) -> dict[BoardColumn, int]:
    """Cards per column from (from_column, to_column, count) rows of moves."""
    counts = dict.fromkeys(BoardColumn, 0)
    for source, target, count in rows:
        if source is not None:
            counts[source] -= count
        counts[target] += count
    return counts


class LocalDate(FunctionElement[date]):
    """The calendar day of a stored (UTC) moment shifted by a whole number of minutes."""

    type = Date()
    inherit_cache = True

    def __init__(self, moment: Any, minutes: int) -> None:
        super().__init__(moment, literal(minutes, Integer))


@compiles(LocalDate)
def _local_date_sqlite(element: LocalDate, compiler: Any, **kw: Any) -> str:
    moment, minutes = list(element.clauses)
    return (
        f"date({compiler.process(moment, **kw)}, "
        f"printf('%+d minutes', {compiler.process(minutes, **kw)}))"
    )


@compiles(LocalDate, "postgresql")
def _local_date_postgresql(element: LocalDate, compiler: Any, **kw: Any) -> str:
    moment, minutes = list(element.clauses)
    return (
        f"CAST({compiler.process(moment, **kw)} "
        f"+ make_interval(mins => {compiler.process(minutes, **kw)}) AS DATE)"
    )


def cumulative_flow(
    session: DbSession,
    first_day: date,
    last_day: date,
    now: datetime,
    scope: Scope = Scope(),
) -> list[FlowDay]:
    """Cards per column at the end of each day, first_day to last_day (not past today).

    Where the cards stood at the window's start comes from one GROUP BY over the earlier
    moves (an index range, counted in the database); the window's own moves are grouped
    per day, so nothing the size of the history reaches Python.
    """
    last_day = min(last_day, local_today(now))
    if last_day < first_day:
        return []
    window_start = day_start(first_day)
    # Moves up to and including `now`: the last day ends at now, not at midnight.
    window_end = min(day_end(last_day), now + timedelta(microseconds=1))
    in_scope = _card_scope(scope)

    def moves(*where: Any) -> Any:
        query = select(CardMove.from_column, CardMove.to_column, func.count()).where(*where)
        if in_scope:
            query = query.join(Improvement, Improvement.id == CardMove.improvement_id).where(
                *in_scope
            )
        return query

    counts = _net(
        session.execute(
            moves(CardMove.moved_at < window_start).group_by(
                CardMove.from_column, CardMove.to_column
            )
        )
    )
    # The window's moves per day of the plant's calendar: one GROUP BY for each stretch in
    # which the plant's clock is UTC plus a fixed offset (a daylight-saving change starts
    # another).
    per_day: dict[date, list[Any]] = defaultdict(list)
    for span_start, span_end, offset in offset_spans(window_start, window_end):
        day = LocalDate(CardMove.moved_at, int(offset.total_seconds() // 60))
        daily = (
            moves(CardMove.moved_at >= span_start, CardMove.moved_at < span_end)
            .add_columns(day.label("day"))
            .group_by(day, CardMove.from_column, CardMove.to_column)
        )
        for source, target, count, moved_day in session.execute(daily):
            per_day[date.fromisoformat(str(moved_day))].append((source, target, count))
    days: list[FlowDay] = []
    current = first_day
    while current <= last_day:
        for source, target, count in per_day.get(current, ()):
            if source is not None:
                counts[source] -= count
            counts[target] += count
        days.append(FlowDay(day=current, counts=dict(counts)))
        current += timedelta(days=1)
    return days


def first_move_at(session: DbSession, scope: Scope = Scope()) -> datetime | None:
    """When the first move of a card in scope was logged (None for an empty board)."""
    query = select(func.min(CardMove.moved_at))
    if in_scope := _card_scope(scope):
        query = query.join(Improvement, Improvement.id == CardMove.improvement_id).where(
            and_(*in_scope)
        )
    return session.execute(query).scalar()
