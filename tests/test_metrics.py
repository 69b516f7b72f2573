"""Flow metrics on hand-built move logs whose answers are known (rules: docs/metrics.md)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from kaizen.extensions import db
from kaizen.models import BlockPeriod, BoardColumn, CardMove, Outcome, Reflection, Waste
from kaizen.services.flow import (
    Block,
    CardLog,
    Countermeasure,
    Move,
    ObservationFact,
    aging_wip,
    before_after,
    card_flow,
    card_flows,
    cumulative_flow,
    cycle_time_percentiles,
    observations_by_month,
    percentile,
    percentiles,
    span_days,
    throughput_by_month,
    waste_pareto,
)
from kaizen.services.flow_data import Scope, data_version, load_card_logs
from kaizen.services.months import Month
from kaizen.services.reports import monthly_report
from tests.factories import (
    make_area,
    make_moved_improvement,
    make_observation,
    make_team,
)

IDEAS, PLAN, DO, CHECK, DONE = (
    BoardColumn.IDEAS,
    BoardColumn.PLAN,
    BoardColumn.DO,
    BoardColumn.CHECK,
    BoardColumn.DONE,
)
# Monday 2 March 2026, 08:00.
MONDAY = datetime(2026, 3, 2, 8, 0)


def day(n: float, hour: int = 8) -> datetime:
    """`n` days after Monday 2 March 2026, at `hour` o'clock."""
    return MONDAY.replace(hour=hour) + timedelta(days=n)


def log(*steps: tuple[BoardColumn, datetime], **fields: object) -> CardLog:
    """A card created in Ideas at the first step's time, then moved along the rest."""
    moves = [Move(steps[0][1], None, steps[0][0])]
    for (previous, _), (column, at) in pairwise(steps):
        moves.append(Move(at, previous, column))
    values: dict[str, object] = {"id": 1, "title": "Kanban square", "column": steps[-1][0]}
    values.update(fields)
    return CardLog(moves=tuple(moves), **values)  # type: ignore[arg-type]


# -- one card ---------------------------------------------------------------------------


def test_a_card_that_flows_straight_through_has_lead_and_cycle_time_in_days() -> None:
    card = log((IDEAS, day(0)), (PLAN, day(2)), (DO, day(3)), (CHECK, day(6)), (DONE, day(9)))
    flow = card_flow(card, now=day(20))
    assert flow.lead_days == 9.0
    assert flow.cycle_days == 7.0
    assert flow.finished_at == day(9)


def test_a_card_moved_back_and_forth_starts_when_it_first_left_ideas() -> None:
    card = log(
        (IDEAS, day(0)),
        (PLAN, day(2)),
        (IDEAS, day(3)),
        (PLAN, day(5)),
        (DO, day(6)),
        (DONE, day(10)),
    )
    flow = card_flow(card, now=day(10))
    assert flow.cycle_days == 8.0
    assert flow.lead_days == 10.0


def test_time_in_each_column_adds_up_every_visit() -> None:
    card = log((IDEAS, day(0)), (PLAN, day(2)), (IDEAS, day(3)), (PLAN, day(5)), (DONE, day(6)))
    flow = card_flow(card, now=day(8))
    assert flow.days_in_column == {IDEAS: 4.0, PLAN: 2.0, DONE: 2.0}


def test_a_card_moved_out_of_done_and_finished_again_keeps_its_first_finish() -> None:
    card = log((IDEAS, day(0)), (PLAN, day(1)), (DONE, day(4)), (CHECK, day(6)), (DONE, day(9)))
    flow = card_flow(card, now=day(12))
    assert flow.finished_at == day(4)
    assert flow.cycle_days == 3.0


def test_a_reopened_card_is_work_in_progress_again_aged_from_its_first_start() -> None:
    card = log((IDEAS, day(0)), (PLAN, day(1)), (DONE, day(4)), (CHECK, day(6)))
    flow = card_flow(card, now=day(11))
    assert flow.finished
    assert flow.age_days == 10.0


def test_a_card_finished_the_same_day_has_a_fraction_of_a_day() -> None:
    card = log((IDEAS, day(0, hour=7)), (PLAN, day(0, hour=9)), (DONE, day(0, hour=15)))
    flow = card_flow(card, now=day(1))
    assert flow.cycle_days == 0.25
    assert flow.lead_days == pytest.approx(8 / 24)


def test_a_card_still_open_has_no_cycle_time_but_an_age() -> None:
    card = log((IDEAS, day(0)), (PLAN, day(1)), (DO, day(2)))
    flow = card_flow(card, now=day(6))
    assert flow.cycle_days is None
    assert flow.lead_days is None
    assert flow.age_days == 5.0


def test_a_card_still_in_ideas_has_not_started_so_it_has_no_age() -> None:
    flow = card_flow(log((IDEAS, day(0))), now=day(6))
    assert flow.started_at is None
    assert flow.age_days is None


def test_a_team_can_start_the_clock_at_a_later_column() -> None:
    card = log((IDEAS, day(0)), (PLAN, day(1)), (DO, day(3)), (DONE, day(7)), start_column=DO)
    assert card_flow(card, now=day(8)).cycle_days == 4.0


def test_a_card_that_skips_the_start_column_starts_when_it_passes_it() -> None:
    card = log((IDEAS, day(0)), (PLAN, day(1)), (DONE, day(3)), start_column=DO)
    assert card_flow(card, now=day(8)).cycle_days == 0.0


def test_blocked_time_adds_the_periods_and_counts_an_open_one_until_now() -> None:
    card = log(
        (IDEAS, day(0)),
        (PLAN, day(1)),
        blocks=(
            Block(day(1), day(2)),
            Block(day(1, hour=20), day(3)),  # overlaps the first: counted once
            Block(day(5), None),
        ),
    )
    assert card_flow(card, now=day(7)).blocked_days == 4.0


# -- working days -----------------------------------------------------------------------


def test_a_weekend_does_not_count_as_working_days() -> None:
    friday_noon, monday_noon = day(4, hour=12), day(7, hour=12)
    assert span_days(friday_noon, monday_noon) == 3.0
    assert span_days(friday_noon, monday_noon, working_days=True) == 1.0


def test_two_whole_weeks_hold_ten_working_days() -> None:
    assert span_days(day(2), day(16), working_days=True) == 10.0


def test_a_span_within_a_weekend_has_no_working_time() -> None:
    assert span_days(day(5, hour=9), day(6, hour=17), working_days=True) == 0.0


def test_cycle_time_can_be_counted_in_working_days() -> None:
    # Plan on Friday 08:00, Done on the next Tuesday 08:00: Fri + Mon = 2 working days.
    card = log((IDEAS, day(0)), (PLAN, day(4)), (DONE, day(8)))
    assert card_flow(card, now=day(9), working_days=True).cycle_days == 2.0


# -- percentiles ------------------------------------------------------------------------


def test_percentiles_use_the_nearest_rank() -> None:
    values = [float(v) for v in range(20, 0, -1)]
    result = percentiles(values)
    assert (result.p50, result.p85, result.p95) == (10.0, 17.0, 19.0)
    assert result.count == 20


def test_the_percentiles_of_one_value_are_that_value() -> None:
    assert percentiles([3.5]).items() == [(50, 3.5), (85, 3.5), (95, 3.5)]


def test_there_are_no_percentiles_without_values() -> None:
    assert percentile([], 85) is None
    assert percentiles([]).items() == []


def test_cycle_time_percentiles_cover_a_period_and_a_waste() -> None:
    flows = card_flows(
        [
            log((IDEAS, day(0)), (PLAN, day(0)), (DONE, day(2)), id=1, waste=Waste.WAITING),
            log((IDEAS, day(0)), (PLAN, day(0)), (DONE, day(4)), id=2, waste=Waste.MOTION),
            log((IDEAS, day(0)), (PLAN, day(0)), (DONE, day(40)), id=3, waste=Waste.WAITING),
        ],
        now=day(50),
    )
    march = cycle_time_percentiles(flows, datetime(2026, 3, 1), datetime(2026, 4, 1))
    assert (march.count, march.p50, march.p95) == (2, 2.0, 4.0)
    waiting = cycle_time_percentiles(flows, day(0), day(60), waste=Waste.WAITING)
    assert (waiting.count, waiting.p50, waiting.p95) == (2, 2.0, 40.0)


# -- many cards -------------------------------------------------------------------------


def test_throughput_counts_both_outcomes_in_the_month_of_the_first_finish() -> None:
    flows = card_flows(
        [
            log((IDEAS, day(0)), (DONE, day(3)), id=1, outcome=Outcome.ADOPTED),
            log((IDEAS, day(0)), (DONE, day(4)), id=2, outcome=Outcome.NOT_ADOPTED),
            log((IDEAS, day(0)), (DONE, day(5)), (CHECK, day(40)), id=3),
            log((IDEAS, day(0)), (DONE, day(31)), id=4, outcome=Outcome.ADOPTED),
            log((IDEAS, day(0)), (PLAN, day(1)), id=5),
        ],
        now=day(60),
    )
    march, april, may = throughput_by_month(flows, [Month(2026, 3), Month(2026, 4), Month(2026, 5)])
    assert (march.adopted, march.not_adopted, march.reopened) == (1, 1, 1)
    assert april.total == 1
    assert may.total == 0


def test_observations_are_counted_per_month_and_waste_with_empty_months_as_zero() -> None:
    facts = [
        ObservationFact(1, day(1), Waste.WAITING),
        ObservationFact(2, day(2), Waste.WAITING),
        ObservationFact(3, day(3), Waste.MOTION),
    ]
    march, april = observations_by_month(facts, [Month(2026, 3), Month(2026, 4)])
    assert march.counts[Waste.WAITING] == 2
    assert march.total == 3
    assert april.total == 0
    assert set(april.counts) == set(Waste)


def test_the_pareto_orders_wastes_by_count_and_by_minutes_with_a_running_share() -> None:
    facts = [
        ObservationFact(1, day(1), Waste.WAITING, minutes_lost=10),
        ObservationFact(2, day(1), Waste.WAITING, minutes_lost=None),
        ObservationFact(3, day(1), Waste.WAITING, minutes_lost=5),
        ObservationFact(4, day(1), Waste.DEFECTS, minutes_lost=45),
    ]
    pareto = waste_pareto(facts)
    assert [(b.waste, b.value, b.cumulative_percent) for b in pareto.by_count] == [
        (Waste.WAITING, 3, 75.0),
        (Waste.DEFECTS, 1, 100.0),
    ]
    assert [(b.waste, b.value) for b in pareto.by_minutes] == [
        (Waste.DEFECTS, 45),
        (Waste.WAITING, 15),
    ]


def test_the_cumulative_flow_counts_cards_per_column_at_the_end_of_each_day() -> None:
    logs = [
        log((IDEAS, day(0)), (PLAN, day(1)), (DO, day(1, hour=12)), (PLAN, day(1, hour=16))),
        log((IDEAS, day(1)), (DONE, day(2)), id=2),
    ]
    days = cumulative_flow(logs, date(2026, 3, 2), date(2026, 3, 4))
    assert [d.day for d in days] == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
    assert days[0].counts == {IDEAS: 1, PLAN: 0, DO: 0, CHECK: 0, DONE: 0}
    assert days[1].counts == {IDEAS: 1, PLAN: 1, DO: 0, CHECK: 0, DONE: 0}
    assert days[2].counts == {IDEAS: 0, PLAN: 1, DO: 0, CHECK: 0, DONE: 1}


def test_the_cumulative_flow_stops_today() -> None:
    days = cumulative_flow([log((IDEAS, day(0)))], date(2026, 3, 1), date(2026, 3, 31), now=day(2))
    assert days[-1].day == date(2026, 3, 4)


def test_aging_lists_started_open_cards_oldest_first() -> None:
    flows = card_flows(
        [
            log((IDEAS, day(0)), (PLAN, day(1)), id=1),
            log((IDEAS, day(0)), (PLAN, day(1)), (DO, day(3)), id=2, blocked=True),
            log((IDEAS, day(0)), id=3),
            log((IDEAS, day(0)), (PLAN, day(0)), (DONE, day(2)), id=4),
        ],
        now=day(6),
    )
    aging = aging_wip(flows)
    assert [(c.id, c.column, c.age_days, c.blocked) for c in aging] == [
        (1, PLAN, 5.0, False),
        (2, DO, 5.0, True),
    ]


def test_before_and_after_counts_related_reports_per_week() -> None:
    done = day(56)
    card = Countermeasure(
        id=1,
        title="Kanban square",
        finished_at=done,
        area_id=7,
        waste=Waste.WAITING,
        linked_observation_ids=frozenset({1}),
    )
    facts = [
        ObservationFact(1, done - timedelta(days=20), Waste.MOTION, area_id=3),  # linked
        ObservationFact(2, done - timedelta(days=5), Waste.WAITING, area_id=7),  # alike
        ObservationFact(3, done - timedelta(days=5), Waste.WAITING, area_id=8),  # elsewhere
        ObservationFact(4, done - timedelta(days=80), Waste.WAITING, area_id=7),  # too early
        ObservationFact(5, done + timedelta(days=3), Waste.WAITING, area_id=7),
    ]
    (result,) = before_after([card], facts, now=done + timedelta(weeks=2))
    assert (result.before_count, result.before_per_week) == (2, 0.25)
    assert (result.after_count, result.after_weeks, result.after_per_week) == (1, 2.0, 0.5)


def test_it_is_too_early_for_an_after_within_a_week_of_done() -> None:
    card = Countermeasure(1, "Kanban square", day(10), area_id=7, waste=Waste.WAITING)
    (result,) = before_after([card], [], now=day(13))
    assert result.after_per_week is None


# -- from the database ------------------------------------------------------------------


def _finished_card(session: Session, **fields: object):
    """A card that started on 2 March and finished on 5 March 2026."""
    return make_moved_improvement(
        session,
        [(PLAN, day(0)), (DO, day(1)), (DONE, day(3))],
        created_at=day(-1),
        **fields,
    )


def test_card_logs_load_in_three_queries_however_many_cards(session: Session) -> None:
    team = make_team(session)
    for _ in range(5):
        _finished_card(session, team=team, outcome=Outcome.ADOPTED)
    session.commit()
    statements: list[str] = []

    def count(*_args: object) -> None:
        statements.append("query")

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        logs = load_card_logs(session)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(logs) == 5
    assert all(len(card.moves) == 4 for card in logs)
    assert len(statements) == 3


def test_the_monthly_report_gives_the_months_numbers(session: Session) -> None:
    team = make_team(session)
    first = _finished_card(session, team=team, outcome=Outcome.ADOPTED, waste=Waste.WAITING)
    _finished_card(session, team=team, outcome=Outcome.NOT_ADOPTED)
    make_moved_improvement(session, [(PLAN, day(0))], team=team)
    session.add(Reflection(improvement_id=first.id, learnt="Ask the people at the station."))
    make_observation(session, observed_at=day(1))
    session.flush()

    report = monthly_report(session, Month(2026, 3), now=day(20))

    numbers = report.numbers
    assert (numbers.finished, numbers.adopted, numbers.not_adopted) == (2, 1, 1)
    assert (numbers.median_cycle_days, numbers.p85_cycle_days) == (3.0, 3.0)
    assert (numbers.observations, numbers.lessons) == (1, 1)
    assert report.lessons[0].learnt == "Ask the people at the station."
    assert [c.column for c in report.aging] == [PLAN]


def test_a_month_with_no_data_gives_zeros_and_empty_charts(session: Session) -> None:
    _finished_card(session, outcome=Outcome.ADOPTED)
    report = monthly_report(session, Month(2026, 1), now=day(20))
    assert report.numbers.finished == 0
    assert report.numbers.median_cycle_days is None
    assert report.numbers.observations == 0
    assert report.finished == []
    assert report.cycle_points == []
    assert report.flow == []
    assert report.before_after == []
    assert report.pareto.by_count == []


def test_a_new_install_has_an_empty_report(session: Session) -> None:
    report = monthly_report(session, Month(2026, 3), now=day(20))
    assert report.numbers.finished == 0
    assert report.aging == []
    assert all(m.total == 0 for m in report.throughput)


def test_the_report_can_be_narrowed_to_a_team_and_an_area(session: Session) -> None:
    press, assembly = make_team(session), make_team(session)
    line = make_area(session, team=press)
    _finished_card(session, team=press, area=line, outcome=Outcome.ADOPTED)
    _finished_card(session, team=assembly, outcome=Outcome.ADOPTED)
    make_observation(session, observed_at=day(1), area=line)
    make_observation(session, observed_at=day(1))

    march = Month(2026, 3)
    by_team = monthly_report(session, march, now=day(20), scope=Scope(team_id=press.id))
    by_area = monthly_report(session, march, now=day(20), scope=Scope(area_id=line.id))
    assert (by_team.numbers.finished, by_team.numbers.observations) == (1, 1)
    assert (by_area.numbers.finished, by_area.numbers.observations) == (1, 1)


def test_the_data_version_changes_with_a_new_move_and_only_then(session: Session) -> None:
    card = make_moved_improvement(session, [(PLAN, day(0))])
    session.commit()
    before = data_version(session)
    assert data_version(session) == before
    session.add(CardMove(improvement=card, from_column=PLAN, to_column=DO, moved_at=day(1)))
    session.commit()
    assert data_version(session) != before


def test_the_data_version_changes_when_a_block_ends(session: Session) -> None:
    card = make_moved_improvement(session, [(PLAN, day(0))])
    period = BlockPeriod(improvement=card, started_at=day(1), reason="Waiting for parts")
    session.add(period)
    session.commit()
    before = data_version(session)
    period.ended_at = day(2)
    session.commit()
    assert data_version(session) != before
