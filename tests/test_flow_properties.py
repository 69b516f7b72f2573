"""Flow maths against a plain reference, over random move logs (hypothesis).

Every log lives on a grid of whole hours, so the reference can simply walk the hours one by
one and ask "where was the card, was it blocked, is it a weekday?" — a different method from
the interval arithmetic in kaizen/services/flow.py, so the two cannot share a mistake.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kaizen.models import BoardColumn, Outcome
from kaizen.services.flow import (
    Block,
    CardLog,
    Move,
    card_flow,
    card_flows,
    cumulative_flow,
    percentile,
    percentiles,
    throughput_by_month,
)
from kaizen.services.months import Month

COLUMNS = list(BoardColumn)
IDEAS, PLAN, DO, CHECK, DONE = COLUMNS
# Monday 2 March 2026, midnight: hour 0 of every generated log.
ORIGIN = datetime(2026, 3, 2)
HOUR = timedelta(hours=1)


def at(hour: int) -> datetime:
    """The moment `hour` hours after the origin."""
    return ORIGIN + hour * HOUR


@dataclass(frozen=True)
class Story:
    """A generated card: its log for the code under test and its hours for the reference."""

    log: CardLog
    # (hour, column) for every move, creation first.
    path: list[tuple[int, BoardColumn]]
    blocks: list[tuple[int, int | None]]
    now: int


@st.composite
def stories(draw: st.DrawFn, card_id: int = 1) -> Story:
    """A card created in Ideas, moved between any columns, perhaps blocked now and then."""
    hour = draw(st.integers(0, 24 * 40))
    path = [(hour, IDEAS)]
    for gap, column in draw(
        st.lists(st.tuples(st.integers(1, 24 * 9), st.sampled_from(COLUMNS)), max_size=7)
    ):
        if column is not path[-1][1]:
            hour += gap
            path.append((hour, column))
    now = hour + draw(st.integers(0, 24 * 15))
    blocks = [
        (start, None if length is None else start + length)
        for start, length in draw(
            st.lists(
                st.tuples(
                    st.integers(path[0][0], now + 24),
                    st.one_of(st.none(), st.integers(0, 24 * 6)),
                ),
                max_size=4,
            )
        )
    ]
    column = path[-1][1]
    moves = [Move(at(path[0][0]), None, IDEAS)] + [
        Move(at(h), previous, col) for (_, previous), (h, col) in itertools.pairwise(path)
    ]
    log = CardLog(
        id=card_id,
        title=f"Card {card_id}",
        moves=tuple(moves),
        column=column,
        start_column=draw(st.sampled_from([IDEAS, PLAN, DO, CHECK])),
        blocks=tuple(Block(at(s), None if e is None else at(e)) for s, e in blocks),
        outcome=draw(st.sampled_from(list(Outcome))) if column is DONE else None,
    )
    return Story(log=log, path=path, blocks=blocks, now=now)


def counted(hour: int, working_days: bool) -> bool:
    """Whether this hour counts: every hour, or only Monday-Friday hours."""
    return not working_days or at(hour).weekday() < 5


def hours_between(start: int, end: int, working_days: bool) -> int:
    """The counted hours in [start, end)."""
    return sum(1 for h in range(start, end) if counted(h, working_days))


def reference_start(story: Story) -> int | None:
    """The first hour the card reached the start column or a later one."""
    start_index = COLUMNS.index(story.log.start_column)
    return next((h for h, c in story.path if COLUMNS.index(c) >= start_index), None)


def reference_finish(story: Story) -> int | None:
    """The first hour the card reached Done."""
    return next((h for h, c in story.path if c is DONE), None)


def column_at(story: Story, hour: int) -> BoardColumn | None:
    """Where the card stood during this hour (None before it existed)."""
    where = None
    for h, column in story.path:
        if h <= hour:
            where = column
    return where


def days(hours: int) -> float:
    """Hours as days."""
    return hours / 24


@given(stories(), st.booleans())
def test_lead_time_runs_from_creation_to_the_first_arrival_in_done(
    story: Story, working_days: bool
) -> None:
    flow = card_flow(story.log, at(story.now), working_days)
    finish = reference_finish(story)

    if finish is None:
        assert flow.lead_days is None and flow.finished_at is None
    else:
        assert flow.finished_at == at(finish)
        expected = days(hours_between(story.path[0][0], finish, working_days))
        assert math.isclose(flow.lead_days or 0.0, expected, abs_tol=1e-9)
    assert flow.created_at == at(story.path[0][0])


@given(stories(), st.booleans())
def test_cycle_time_runs_from_the_first_start_to_the_first_arrival_in_done(
    story: Story, working_days: bool
) -> None:
    flow = card_flow(story.log, at(story.now), working_days)
    start, finish = reference_start(story), reference_finish(story)

    assert flow.started_at == (None if start is None else at(start))
    if start is None or finish is None:
        assert flow.cycle_days is None
    else:
        expected = days(hours_between(start, finish, working_days))
        assert math.isclose(flow.cycle_days or 0.0, expected, abs_tol=1e-9)


@given(stories(), st.booleans())
def test_blocked_time_counts_every_blocked_hour_once(story: Story, working_days: bool) -> None:
    flow = card_flow(story.log, at(story.now), working_days)

    blocked_hours = {
        h
        for start, end in story.blocks
        for h in range(start, story.now if end is None else end)
        if counted(h, working_days)
    }
    assert math.isclose(flow.blocked_days, days(len(blocked_hours)), abs_tol=1e-9)


@given(stories(), st.booleans())
def test_time_in_each_column_is_every_hour_the_card_spent_there(
    story: Story, working_days: bool
) -> None:
    flow = card_flow(story.log, at(story.now), working_days)

    hours = Counter(
        column_at(story, h) for h in range(story.path[0][0], story.now) if counted(h, working_days)
    )
    for column in COLUMNS:
        assert math.isclose(flow.days_in_column.get(column, 0.0), days(hours[column]), abs_tol=1e-9)
    visited = {column for _, column in story.path}
    assert set(flow.days_in_column) == visited


@given(stories(), st.booleans())
def test_an_open_started_card_ages_from_its_first_start(story: Story, working_days: bool) -> None:
    flow = card_flow(story.log, at(story.now), working_days)
    start = reference_start(story)

    if story.log.column is DONE or start is None:
        assert flow.age_days is None
    else:
        expected = days(hours_between(start, story.now, working_days))
        assert math.isclose(flow.age_days or 0.0, expected, abs_tol=1e-9)


def reference_percentile(values: list[float], percent: int) -> float | None:
    """The smallest value that at least `percent` % of the values do not exceed."""
    if not values:
        return None
    return min(v for v in values if 100 * sum(1 for w in values if w <= v) >= percent * len(values))


@given(st.lists(st.integers(0, 400).map(lambda n: n / 4), max_size=40), st.integers(1, 100))
def test_a_percentile_is_the_smallest_value_that_enough_values_do_not_exceed(
    values: list[float], percent: int
) -> None:
    assert percentile(values, percent) == reference_percentile(values, percent)


@given(st.lists(st.integers(0, 400).map(lambda n: n / 4), max_size=40))
def test_the_50th_85th_and_95th_percentiles_follow_the_same_rule(values: list[float]) -> None:
    result = percentiles(values)

    assert result.count == len(values)
    assert (result.p50, result.p85, result.p95) == tuple(
        reference_percentile(values, p) for p in (50, 85, 95)
    )


def months_of(first: tuple[int, int], count: int) -> list[tuple[int, int]]:
    """`count` consecutive (year, month) pairs from `first`, counted without `Month`."""
    months = [first]
    for _ in range(count - 1):
        year, month = months[-1]
        months.append((year + month // 12, month % 12 + 1))
    return months


@given(st.lists(stories(), max_size=8))
def test_throughput_counts_each_card_in_the_month_it_first_reached_done(
    stories_: list[Story],
) -> None:
    logs = [replace(s.log, id=i) for i, s in enumerate(stories_, start=1)]
    now = at(max((s.now for s in stories_), default=0))
    months = months_of((2026, 2), 5)

    result = throughput_by_month(card_flows(logs, now), [Month(*m) for m in months])

    expected: Counter[tuple[tuple[int, int], Outcome | None]] = Counter()
    for story in stories_:
        finish = reference_finish(story)
        if finish is not None and (at(finish).year, at(finish).month) in months:
            outcome = story.log.outcome if story.log.column is DONE else None
            expected[((at(finish).year, at(finish).month), outcome)] += 1
    assert [(r.month.year, r.month.month) for r in result] == months
    for row in result:
        key = (row.month.year, row.month.month)
        assert row.adopted == expected[(key, Outcome.ADOPTED)]
        assert row.not_adopted == expected[(key, Outcome.NOT_ADOPTED)]
        assert row.reopened == expected[(key, None)]
        assert row.total == row.adopted + row.not_adopted + row.reopened


@given(
    st.lists(stories(), min_size=1, max_size=6),
    st.integers(0, 40),
    st.integers(0, 30),
    st.one_of(st.none(), st.integers(0, 24 * 90)),
)
def test_the_cumulative_flow_counts_where_each_card_stood_at_the_end_of_each_day(
    stories_: list[Story], first: int, length: int, now_hour: int | None
) -> None:
    first_day = (ORIGIN + timedelta(days=first)).date()
    last_day = first_day + timedelta(days=length)
    now = None if now_hour is None else at(now_hour)

    result = cumulative_flow([s.log for s in stories_], first_day, last_day, now)

    shown_until = last_day if now is None else min(last_day, now.date())
    expected_days = [
        first_day + timedelta(days=n) for n in range((shown_until - first_day).days + 1)
    ]
    assert [d.day for d in result] == expected_days
    for flow_day in result:
        # Moves up to the end of the day, and never past now.
        end = datetime.combine(flow_day.day + timedelta(days=1), datetime.min.time())
        counts: Counter[BoardColumn] = Counter()
        for story in stories_:
            moves_so_far = [
                column
                for hour, column in story.path
                if at(hour) < end and (now is None or at(hour) <= now)
            ]
            if moves_so_far:
                counts[moves_so_far[-1]] += 1
        assert flow_day.counts == {column: counts[column] for column in COLUMNS}
