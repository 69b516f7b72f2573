"""Flow metrics from the card-move log, as pure functions over plain values: lead, cycle and
blocked time, percentiles, throughput, work-item age, cumulative flow and before/after.

The rules (what starts and ends cycle time, how back-and-forth moves count, which
percentile method) are written down in docs/metrics.md. Nothing here reads the database:
`flow_data` loads the logs, `reports` builds the monthly report from these functions.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from kaizen.models import BoardColumn, Outcome, Waste
from kaizen.services.months import Month
from kaizen.services.plant_time import day_end, local_today, to_local

SECONDS_PER_DAY = 86_400.0
WORKING_WEEKDAYS = 5  # Monday to Friday
BEFORE_AFTER_WEEKS = 8
PERCENTILES = (50, 85, 95)


# --------------------------------------------------------------------------------------
# Plain data in
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One logged move of a card; `from_column` is None for the card's creation."""

    at: datetime
    from_column: BoardColumn | None
    to_column: BoardColumn


@dataclass(frozen=True)
class Block:
    """A blocked span of a card; still blocked while `ended_at` is None."""

    started_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True)
class CardLog:
    """A card with its move log (oldest first) and blocked periods: all a metric needs."""

    id: int
    title: str
    moves: tuple[Move, ...]
    column: BoardColumn
    start_column: BoardColumn = BoardColumn.PLAN
    blocks: tuple[Block, ...] = ()
    team_name: str = ""
    area_id: int | None = None
    waste: Waste | None = None
    outcome: Outcome | None = None
    blocked: bool = False


@dataclass(frozen=True)
class ObservationFact:
    """What the metrics need of one observation."""

    id: int
    observed_at: datetime
    waste: Waste
    area_id: int | None = None
    minutes_lost: int | None = None


# --------------------------------------------------------------------------------------
# Plain data out
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardFlow:
    """The flow figures of one card, in days (calendar or working, as asked)."""

    id: int
    title: str
    team_name: str
    area_id: int | None
    waste: Waste | None
    outcome: Outcome | None
    column: BoardColumn
    blocked: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    lead_days: float | None
    cycle_days: float | None
    blocked_days: float
    days_in_column: dict[BoardColumn, float]
    # Work-item age: from start to now, for started cards not (any more) in Done.
    age_days: float | None

    @property
    def finished(self) -> bool:
        """True once the card has reached Done (even if it was moved back later)."""
        return self.finished_at is not None


@dataclass(frozen=True)
class Percentiles:
    """The 50th, 85th and 95th percentiles of some durations (None when there are none)."""

    count: int
    p50: float | None
    p85: float | None
    p95: float | None

    def items(self) -> list[tuple[int, float]]:
        """(percent, value) for the percentiles that exist, lowest first."""
        pairs = ((50, self.p50), (85, self.p85), (95, self.p95))
        return [(percent, value) for percent, value in pairs if value is not None]


@dataclass(frozen=True)
class MonthThroughput:
    """Improvements finished in one month, by outcome (both outcomes are finished work)."""

    month: Month
    adopted: int
    not_adopted: int
    # Finished, then moved back out of Done: no outcome is recorded on the card now.
    reopened: int

    @property
    def total(self) -> int:
        """Every improvement finished that month."""
        return self.adopted + self.not_adopted + self.reopened


@dataclass(frozen=True)
class MonthWasteCounts:
    """Observations reported in one month, by waste."""

    month: Month
    counts: dict[Waste, int]

    @property
    def total(self) -> int:
        """Every observation reported that month."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class ParetoBar:
    """One waste in a Pareto: its value and the running share of the total up to it."""

    waste: Waste
    value: int
    cumulative_percent: float


@dataclass(frozen=True)
class Pareto:
    """Wastes ordered by how often they were reported and by the minutes they cost."""

    by_count: list[ParetoBar]
    by_minutes: list[ParetoBar]


@dataclass(frozen=True)
class FlowDay:
    """How many cards stood in each column at the end of one day."""

    day: date
    counts: dict[BoardColumn, int]


@dataclass(frozen=True)
class Countermeasure:
    """A finished improvement whose effect on the problem's reports we look at."""

    id: int
    title: str
    finished_at: datetime
    area_id: int | None
    waste: Waste | None
    linked_observation_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class BeforeAfter:
    """Related observations per week before and after a countermeasure reached Done."""

    id: int
    title: str
    finished_at: datetime
    before_count: int
    before_per_week: float
    after_count: int
    after_weeks: float
    # None until a whole week has passed since Done: too early to say.
    after_per_week: float | None


@dataclass(frozen=True)
class Lesson:
    """A reflection written on a finished improvement."""

    improvement_id: int
    title: str
    learnt: str
    take_forward: str
    do_differently: str


# --------------------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------------------


def _weekday_seconds(start: datetime, end: datetime) -> float:
    """Seconds between start and end that fall on Monday to Friday."""
    if end <= start:
        return 0.0
    # Any seven consecutive days hold exactly five weekdays, so whole weeks are skipped.
    whole_weeks = (end - start).days // 7
    total = whole_weeks * WORKING_WEEKDAYS * SECONDS_PER_DAY
    cursor = start + timedelta(weeks=whole_weeks)
    while cursor < end:
        midnight = datetime.combine(cursor.date() + timedelta(days=1), time())
        segment_end = min(end, midnight)
        if cursor.weekday() < WORKING_WEEKDAYS:
            total += (segment_end - cursor).total_seconds()
        cursor = segment_end
    return total


def span_days(start: datetime, end: datetime, working_days: bool = False) -> float:
    """Fractional days from start to end: calendar days, or only Monday-Friday time."""
    if end <= start:
        return 0.0
    if working_days:
        # Monday to Friday on the plant's clock, not in UTC.
        return _weekday_seconds(to_local(start), to_local(end)) / SECONDS_PER_DAY
    return (end - start).total_seconds() / SECONDS_PER_DAY


def _merged(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping spans joined, so no moment is counted twice."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


# --------------------------------------------------------------------------------------
# One card
# --------------------------------------------------------------------------------------


def card_flow(log: CardLog, now: datetime, working_days: bool = False) -> CardFlow:
    """Lead, cycle, blocked and per-column time of one card from its move log."""
    moves = sorted(log.moves, key=lambda m: m.at)
    created = next((m.at for m in moves if m.from_column is None), moves[0].at if moves else now)
    start_index = log.start_column.ordinal
    # First arrival in the start column or any later one (a card may skip columns).
    started = next((m.at for m in moves if m.to_column.ordinal >= start_index), None)
    finished = next((m.at for m in moves if m.to_column is BoardColumn.DONE), None)

    in_column: dict[BoardColumn, float] = defaultdict(float)
    for move, following in zip(moves, [*moves[1:], None], strict=True):
        until = following.at if following is not None else now
        in_column[move.to_column] += span_days(move.at, until, working_days)

    blocked = math.fsum(
        span_days(start, end, working_days)
        for start, end in _merged((b.started_at, b.ended_at or now) for b in log.blocks)
    )
    is_open = log.column is not BoardColumn.DONE
    return CardFlow(
        id=log.id,
        title=log.title,
        team_name=log.team_name,
        area_id=log.area_id,
        waste=log.waste,
        outcome=log.outcome,
        column=log.column,
        blocked=log.blocked,
        created_at=created,
        started_at=started,
        finished_at=finished,
        lead_days=span_days(created, finished, working_days) if finished else None,
        cycle_days=(span_days(started, finished, working_days) if finished and started else None),
        blocked_days=blocked,
        days_in_column={c: in_column[c] for c in BoardColumn if c in in_column},
        age_days=span_days(started, now, working_days) if is_open and started else None,
    )


def card_flows(
    logs: Iterable[CardLog], now: datetime, working_days: bool = False
) -> list[CardFlow]:
    """card_flow for every card."""
    return [card_flow(log, now, working_days) for log in logs]


# --------------------------------------------------------------------------------------
# Many cards
# --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile: the smallest value that `percent`% of the values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def percentiles(values: Sequence[float]) -> Percentiles:
    """The 50th, 85th and 95th nearest-rank percentiles of the values."""
    return Percentiles(
        count=len(values),
        p50=percentile(values, 50),
        p85=percentile(values, 85),
        p95=percentile(values, 95),
    )


def finished_between(
    flows: Iterable[CardFlow], start: datetime, end: datetime, waste: Waste | None = None
) -> list[CardFlow]:
    """Cards that first reached Done in [start, end), optionally of one waste, by finish."""
    chosen = [
        f
        for f in flows
        if f.finished_at is not None
        and start <= f.finished_at < end
        and (waste is None or f.waste is waste)
    ]
    return sorted(chosen, key=lambda f: (f.finished_at, f.id))


def cycle_days(flows: Iterable[CardFlow]) -> list[float]:
    """The cycle times of the finished cards among these."""
    return [f.cycle_days for f in flows if f.cycle_days is not None]


def cycle_time_percentiles(
    flows: Iterable[CardFlow], start: datetime, end: datetime, waste: Waste | None = None
) -> Percentiles:
    """Cycle-time percentiles of the cards finished in [start, end) (team/area: filter the logs)."""
    return percentiles(cycle_days(finished_between(flows, start, end, waste)))


def throughput_by_month(
    flows: Iterable[CardFlow], months: Sequence[Month]
) -> list[MonthThroughput]:
    """Improvements finished per month (by first arrival in Done), split by outcome."""
    counts: dict[Month, dict[Outcome | None, int]] = {m: defaultdict(int) for m in months}
    for flow in flows:
        if flow.finished_at is None:
            continue
        bucket = counts.get(Month.of(flow.finished_at))
        if bucket is not None:
            outcome = flow.outcome if flow.column is BoardColumn.DONE else None
            bucket[outcome] += 1
    return [
        MonthThroughput(
            month=m,
            adopted=counts[m][Outcome.ADOPTED],
            not_adopted=counts[m][Outcome.NOT_ADOPTED],
            reopened=counts[m][None],
        )
        for m in months
    ]


def observations_by_month(
    facts: Iterable[ObservationFact], months: Sequence[Month]
) -> list[MonthWasteCounts]:
    """Observations reported per month and waste (every waste present, zeros included)."""
    counts: dict[Month, dict[Waste, int]] = {m: dict.fromkeys(Waste, 0) for m in months}
    for fact in facts:
        bucket = counts.get(Month.of(fact.observed_at))
        if bucket is not None:
            bucket[fact.waste] += 1
    return [MonthWasteCounts(month=m, counts=counts[m]) for m in months]


def _pareto(totals: dict[Waste, int]) -> list[ParetoBar]:
    """Bars biggest first (ties in TIMWOODS order) with the running share of the whole."""
    whole = sum(totals.values())
    bars: list[ParetoBar] = []
    running = 0
    order = list(Waste)
    for waste, value in sorted(totals.items(), key=lambda item: (-item[1], order.index(item[0]))):
        if value <= 0:
            continue
        running += value
        bars.append(ParetoBar(waste, value, 100.0 * running / whole))
    return bars


def pareto_from_totals(by_count: dict[Waste, int], by_minutes: dict[Waste, int]) -> Pareto:
    """The Pareto of per-waste totals (reports and minutes lost), biggest first."""
    return Pareto(by_count=_pareto(by_count), by_minutes=_pareto(by_minutes))


def waste_pareto(facts: Iterable[ObservationFact]) -> Pareto:
    """Wastes by number of reports and by minutes lost, biggest first."""
    by_count: dict[Waste, int] = defaultdict(int)
    by_minutes: dict[Waste, int] = defaultdict(int)
    for fact in facts:
        by_count[fact.waste] += 1
        by_minutes[fact.waste] += fact.minutes_lost or 0
    return pareto_from_totals(by_count, by_minutes)


def cumulative_flow(
    logs: Iterable[CardLog], first_day: date, last_day: date, now: datetime | None = None
) -> list[FlowDay]:
    """Cards per column at the end of each day from first_day to last_day (not past now)."""
    if now is not None:
        last_day = min(last_day, local_today(now))
    if last_day < first_day:
        return []
    events: list[tuple[datetime, BoardColumn | None, BoardColumn]] = sorted(
        ((m.at, m.from_column, m.to_column) for log in logs for m in log.moves),
        key=lambda e: e[0],
    )
    counts = dict.fromkeys(BoardColumn, 0)
    days: list[FlowDay] = []
    index = 0
    day = first_day
    while day <= last_day:
        end_of_day = day_end(day)
        if now is not None:
            end_of_day = min(end_of_day, now + timedelta(microseconds=1))
        while index < len(events) and events[index][0] < end_of_day:
            _at, source, target = events[index]
            if source is not None:
                counts[source] -= 1
            counts[target] += 1
            index += 1
        days.append(FlowDay(day=day, counts=dict(counts)))
        day += timedelta(days=1)
    return days


def aging_wip(flows: Iterable[CardFlow]) -> list[CardFlow]:
    """Open cards that have started (they have an age), oldest first."""
    started = [f for f in flows if f.age_days is not None]
    return sorted(started, key=lambda f: (-(f.age_days or 0.0), f.id))


def _related(card: Countermeasure, fact: ObservationFact) -> bool:
    """Linked to the card, or the same waste seen in the card's area."""
    if fact.id in card.linked_observation_ids:
        return True
    return (
        card.area_id is not None
        and card.waste is not None
        and fact.area_id == card.area_id
        and fact.waste is card.waste
    )


def before_after(
    cards: Iterable[Countermeasure],
    facts: Sequence[ObservationFact],
    now: datetime,
    weeks: int = BEFORE_AFTER_WEEKS,
) -> list[BeforeAfter]:
    """Related reports per week in the `weeks` before Done and since Done (up to `weeks`)."""
    window = timedelta(weeks=weeks)
    results: list[BeforeAfter] = []
    for card in sorted(cards, key=lambda c: (c.finished_at, c.id)):
        done = card.finished_at
        after_end = min(done + window, now)
        related = [f.observed_at for f in facts if _related(card, f)]
        before = sum(1 for at in related if done - window <= at < done)
        after = sum(1 for at in related if done <= at < after_end)
        results.append(before_after_rates(card, before, after, now, weeks))
    return results


def before_after_rates(
    card: Countermeasure, before: int, after: int, now: datetime, weeks: int = BEFORE_AFTER_WEEKS
) -> BeforeAfter:
    """Per-week rates from the related reports counted in the `weeks` before Done and since
    Done (up to `weeks`, not past now); too early for an after within a week of Done."""
    done = card.finished_at
    after_end = min(done + timedelta(weeks=weeks), now)
    after_weeks = max(0.0, (after_end - done).total_seconds() / (7 * SECONDS_PER_DAY))
    return BeforeAfter(
        id=card.id,
        title=card.title,
        finished_at=done,
        before_count=before,
        before_per_week=before / weeks,
        after_count=after,
        after_weeks=after_weeks,
        after_per_week=after / after_weeks if after_weeks >= 1 else None,
    )
