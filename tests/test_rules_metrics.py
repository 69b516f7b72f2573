"""Flow rules a person would notice when broken: the flow chart never shows tomorrow's moves,
and a countermeasure's "after" rate appears once a whole week has passed. Written to kill
mutants of kaizen/services/flow.py and reports.py."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from kaizen.models import BoardColumn, Outcome, Reflection, Waste
from kaizen.services.flow import (
    Block,
    CardLog,
    Countermeasure,
    Move,
    ObservationFact,
    Percentiles,
    aging_wip,
    before_after,
    card_flow,
    card_flows,
    cumulative_flow,
)
from kaizen.services.months import Month
from kaizen.services.reports import monthly_report
from tests.factories import make_area, make_moved_improvement, make_observation, make_team

IDEAS, PLAN, DO, CHECK, DONE = list(BoardColumn)
# Monday 2 March 2026, 08:00.
MONDAY = datetime(2026, 3, 2, 8, 0)


def card(*moves: tuple[BoardColumn, datetime], card_id: int = 1) -> CardLog:
    """A card created in Ideas at the first time given, then moved along the rest."""
    logged = [Move(moves[0][1], None, IDEAS)]
    for (previous, _), (column, at) in itertools.pairwise(moves):
        logged.append(Move(at, previous, column))
    return CardLog(id=card_id, title="Kanban square", moves=tuple(logged), column=moves[-1][0])


def test_the_flow_chart_today_counts_the_moves_so_far_and_not_the_ones_to_come() -> None:
    today = MONDAY + timedelta(days=2)  # Wednesday 08:00
    logs = [
        card((IDEAS, MONDAY), (PLAN, MONDAY + timedelta(days=1)), (DO, today - timedelta(hours=1))),
        # Logged later today (a clock ahead, an import): not yet part of the picture.
        card((IDEAS, MONDAY), (PLAN, today + timedelta(hours=3)), card_id=2),
    ]

    days = cumulative_flow(logs, date(2026, 3, 2), date(2026, 3, 31), now=today)

    assert [d.day for d in days] == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
    assert days[-1].counts == {IDEAS: 1, PLAN: 0, DO: 1, CHECK: 0, DONE: 0}


def test_the_flow_chart_of_an_earlier_month_ends_with_that_month() -> None:
    logs = [card((IDEAS, MONDAY), (PLAN, MONDAY + timedelta(days=40)))]

    days = cumulative_flow(logs, date(2026, 3, 1), date(2026, 3, 31), now=MONDAY + timedelta(90))

    assert days[-1].day == date(2026, 3, 31)
    assert days[-1].counts[IDEAS] == 1 and days[-1].counts[PLAN] == 0


def countermeasure(done: datetime) -> Countermeasure:
    """A kanban square for the waiting at area 7, finished at `done`."""
    return Countermeasure(1, "Kanban square", done, area_id=7, waste=Waste.WAITING)


def test_the_after_rate_appears_once_a_whole_week_has_passed() -> None:
    done = MONDAY
    facts = [ObservationFact(1, done + timedelta(days=2), Waste.WAITING, area_id=7)]

    (result,) = before_after([countermeasure(done)], facts, now=done + timedelta(weeks=1))

    assert (result.after_count, result.after_weeks, result.after_per_week) == (1, 1.0, 1.0)


def test_the_after_rate_waits_until_the_week_is_complete() -> None:
    done = MONDAY

    (result,) = before_after(
        [countermeasure(done)], [], now=done + timedelta(weeks=1) - timedelta(minutes=1)
    )

    assert result.after_per_week is None


def test_the_after_window_stops_after_eight_weeks() -> None:
    done = MONDAY
    facts = [
        ObservationFact(1, done + timedelta(weeks=8) - timedelta(minutes=1), Waste.WAITING, 7),
        ObservationFact(2, done + timedelta(weeks=8), Waste.WAITING, area_id=7),
    ]

    (result,) = before_after([countermeasure(done)], facts, now=done + timedelta(weeks=20))

    assert (result.after_count, result.after_weeks, result.after_per_week) == (1, 8.0, 0.125)


def test_the_before_window_is_the_eight_weeks_up_to_done() -> None:
    done = MONDAY
    facts = [
        ObservationFact(1, done - timedelta(weeks=8), Waste.WAITING, area_id=7),
        ObservationFact(2, done - timedelta(weeks=8, minutes=1), Waste.WAITING, area_id=7),
        ObservationFact(3, done - timedelta(minutes=1), Waste.WAITING, area_id=7),
        ObservationFact(4, done, Waste.WAITING, area_id=7),
    ]

    (result,) = before_after([countermeasure(done)], facts, now=done + timedelta(weeks=1))

    assert (result.before_count, result.before_per_week, result.after_count) == (2, 0.25, 1)


# -- the monthly report, on a small plant with a year of history -------------------------


def d(year: int, month: int, day_: int) -> datetime:
    """8 o'clock on that day."""
    return datetime(year, month, day_, 8, 0)


# When the two lessons were written.
FIRST_LESSON_AT = datetime(2026, 3, 6, 9, 0)
SECOND_LESSON_AT = datetime(2026, 3, 20, 9, 0)


@pytest.fixture
def march(session: Session) -> dict[str, Any]:
    """A plant whose March 2026 report is worked out by hand below, seen on 25 March."""
    team = make_team(session)
    area = make_area(session, team=team)
    linked = make_observation(session, observed_at=d(2026, 2, 10), waste=Waste.MOTION)
    cards = {
        # Finished in March: cycle 3 days, adopted, with a linked report and its area's waste.
        "kanban": make_moved_improvement(
            session,
            [(PLAN, d(2026, 3, 2)), (DO, d(2026, 3, 3)), (DONE, d(2026, 3, 5))],
            created_at=d(2026, 3, 1),
            team=team,
            area=area,
            waste=Waste.WAITING,
            outcome=Outcome.ADOPTED,
            title="Kanban square",
        ),
        # Finished in March: cycle 5 days, adopted, no area.
        "gauge": make_moved_improvement(
            session,
            [(PLAN, d(2026, 3, 11)), (DONE, d(2026, 3, 16))],
            team=team,
            outcome=Outcome.ADOPTED,
        ),
        # Finished in March: cycle 10 days, not adopted.
        "andon": make_moved_improvement(
            session,
            [(PLAN, d(2026, 3, 9)), (DONE, d(2026, 3, 19))],
            created_at=d(2026, 3, 8),
            team=team,
            outcome=Outcome.NOT_ADOPTED,
        ),
        # Finished in January (cycle 4) and in April 2025, the window's first month (cycle 2).
        "shadow": make_moved_improvement(
            session,
            [(PLAN, d(2026, 1, 5)), (DONE, d(2026, 1, 9))],
            team=team,
            outcome=Outcome.ADOPTED,
        ),
        "rack": make_moved_improvement(
            session,
            [(PLAN, d(2025, 4, 1)), (DONE, d(2025, 4, 3))],
            team=team,
            outcome=Outcome.ADOPTED,
        ),
        # Finished before the twelve months: in no chart but the flow's starting point.
        "old": make_moved_improvement(
            session,
            [(PLAN, d(2025, 3, 3)), (DONE, d(2025, 3, 4))],
            team=team,
            outcome=Outcome.ADOPTED,
        ),
        # Still being worked on.
        "smed": make_moved_improvement(session, [(DO, d(2026, 3, 10))], team=team),
    }
    cards["kanban"].observations.append(linked)
    for at, waste, minutes in [
        (d(2026, 1, 15), Waste.WAITING, None),  # before Done, same waste and area
        (d(2026, 3, 3), Waste.WAITING, 10),  # before Done, in March
        (d(2026, 3, 10), Waste.WAITING, None),  # after Done, in March
        (d(2026, 4, 10), Waste.WAITING, None),  # after "now"
    ]:
        make_observation(session, observed_at=at, waste=waste, area=area, minutes_lost=minutes)
    make_observation(session, observed_at=d(2026, 3, 20), waste=Waste.DEFECTS, minutes_lost=30)
    session.add(
        Reflection(improvement=cards["kanban"], learnt="Ask first.", created_at=FIRST_LESSON_AT)
    )
    session.add(
        Reflection(improvement=cards["andon"], learnt="Try smaller.", created_at=SECOND_LESSON_AT)
    )
    session.flush()
    report = monthly_report(session, Month(2026, 3), now=d(2026, 3, 25))
    return {"report": report, "ids": {name: card.id for name, card in cards.items()}}


def test_the_report_counts_the_months_finished_cards_by_outcome(march: dict) -> None:
    numbers = march["report"].numbers

    assert (numbers.finished, numbers.adopted, numbers.not_adopted) == (3, 2, 1)
    assert [f.id for f in march["report"].finished] == [
        march["ids"]["kanban"],
        march["ids"]["gauge"],
        march["ids"]["andon"],
    ]


def test_the_reports_median_and_85th_percentile_are_of_the_months_cycle_times(
    march: dict,
) -> None:
    numbers = march["report"].numbers

    assert (numbers.median_cycle_days, numbers.p85_cycle_days) == (5.0, 10.0)


def test_the_cycle_time_chart_shows_the_twelve_months_up_to_the_report(march: dict) -> None:
    report = march["report"]
    ids = march["ids"]

    assert [f.id for f in report.cycle_points] == [
        ids["rack"],
        ids["shadow"],
        ids["kanban"],
        ids["gauge"],
        ids["andon"],
    ]
    assert report.cycle_percentiles == Percentiles(count=5, p50=4.0, p85=10.0, p95=10.0)
    assert (report.month, report.window_start) == (Month(2026, 3), Month(2025, 4))
    assert len(report.months) == 12 and report.months[-1] == Month(2026, 3)


def test_the_throughput_chart_counts_each_month_by_outcome(march: dict) -> None:
    by_month = {t.month: (t.adopted, t.not_adopted) for t in march["report"].throughput}

    assert by_month[Month(2025, 4)] == (1, 0)
    assert by_month[Month(2026, 1)] == (1, 0)
    assert by_month[Month(2026, 3)] == (2, 1)
    assert sum(a + n for a, n in by_month.values()) == 5


def test_the_report_counts_the_months_reports_and_their_pareto(march: dict) -> None:
    report = march["report"]

    assert report.numbers.observations == 3
    assert [(b.waste, b.value) for b in report.pareto.by_count] == [
        (Waste.WAITING, 2),
        (Waste.DEFECTS, 1),
    ]
    assert [(b.waste, b.value) for b in report.pareto.by_minutes] == [
        (Waste.DEFECTS, 30),
        (Waste.WAITING, 10),
    ]
    by_month = {m.month: m.counts for m in report.observations}
    assert by_month[Month(2026, 3)][Waste.WAITING] == 2
    assert by_month[Month(2026, 2)][Waste.MOTION] == 1
    assert by_month[Month(2026, 1)][Waste.WAITING] == 1


def test_the_flow_chart_runs_from_the_windows_start_to_today(march: dict) -> None:
    flow = march["report"].flow

    assert (flow[0].day, flow[-1].day) == (date(2025, 4, 1), date(2026, 3, 25))
    assert flow[0].counts[DONE] == 1
    assert flow[-1].counts == {IDEAS: 0, PLAN: 0, DO: 1, CHECK: 0, DONE: 6}


def test_the_report_lists_the_open_work_by_age(march: dict) -> None:
    assert [f.id for f in march["report"].aging] == [march["ids"]["smed"]]


def test_before_and_after_counts_the_related_reports_of_each_finished_card(
    march: dict,
) -> None:
    kanban, gauge, andon = march["report"].before_after

    assert (kanban.id, kanban.before_count, kanban.after_count) == (march["ids"]["kanban"], 3, 1)
    assert (kanban.title, kanban.finished_at) == ("Kanban square", d(2026, 3, 5))
    assert kanban.after_weeks == 20 / 7
    assert (gauge.id, andon.id) == (march["ids"]["gauge"], march["ids"]["andon"])
    assert (andon.before_count, andon.after_count) == (0, 0)


def test_the_report_shows_the_lessons_of_the_months_cards_newest_first(march: dict) -> None:
    report = march["report"]

    assert [lesson.learnt for lesson in report.lessons] == ["Try smaller.", "Ask first."]
    assert report.numbers.lessons == 2


def test_a_report_of_an_earlier_month_shows_the_flow_to_that_months_last_day(
    session: Session,
) -> None:
    make_moved_improvement(session, [(PLAN, d(2026, 1, 5)), (DO, d(2026, 3, 2))])

    report = monthly_report(session, Month(2026, 2), now=d(2026, 3, 25))

    assert (report.flow[0].day, report.flow[-1].day) == (date(2026, 1, 5), date(2026, 2, 28))
    assert report.flow[-1].counts[PLAN] == 1


def test_a_report_counts_a_report_made_at_midnight_in_the_month_it_opens(
    session: Session,
) -> None:
    make_observation(session, observed_at=datetime(2026, 3, 1))
    make_observation(session, observed_at=datetime(2026, 4, 1))

    report = monthly_report(session, Month(2026, 3), now=d(2026, 4, 25))

    assert report.numbers.observations == 1


def test_a_card_finished_at_midnight_counts_in_the_month_it_opens(session: Session) -> None:
    make_moved_improvement(session, [(PLAN, d(2026, 2, 20)), (DONE, datetime(2026, 3, 1))])
    make_moved_improvement(session, [(PLAN, d(2026, 3, 20)), (DONE, datetime(2026, 4, 1))])

    report = monthly_report(session, Month(2026, 3), now=d(2026, 4, 25))

    assert report.numbers.finished == 1


def test_a_report_in_working_days_leaves_out_the_weekend(session: Session) -> None:
    # Friday to Monday: three calendar days, one working day.
    make_moved_improvement(
        session, [(PLAN, d(2026, 3, 6)), (DONE, d(2026, 3, 9))], outcome=Outcome.ADOPTED
    )

    calendar = monthly_report(session, Month(2026, 3), now=d(2026, 3, 25))
    working = monthly_report(session, Month(2026, 3), now=d(2026, 3, 25), working_days=True)

    assert (calendar.numbers.median_cycle_days, working.numbers.median_cycle_days) == (3.0, 1.0)


def test_card_flows_can_count_working_days() -> None:
    friday_to_monday = card((IDEAS, d(2026, 3, 6)), (PLAN, d(2026, 3, 6)), (DONE, d(2026, 3, 9)))

    (flow,) = card_flows([friday_to_monday], now=d(2026, 3, 25), working_days=True)

    assert flow.cycle_days == 1.0


def test_the_flow_chart_counts_a_move_made_exactly_now_but_not_one_a_moment_later() -> None:
    now = d(2026, 3, 4)
    logs = [
        card((IDEAS, MONDAY), (PLAN, now)),
        card((IDEAS, MONDAY), (PLAN, now + timedelta(microseconds=1)), card_id=2),
    ]

    days = cumulative_flow(logs, date(2026, 3, 2), date(2026, 3, 4), now=now)

    assert days[-1].counts[PLAN] == 1 and days[-1].counts[IDEAS] == 1


def test_a_move_at_midnight_counts_for_the_day_it_opens() -> None:
    logs = [card((IDEAS, MONDAY), (PLAN, datetime(2026, 3, 3)))]

    days = cumulative_flow(logs, date(2026, 3, 2), date(2026, 3, 3))

    assert (days[0].counts[PLAN], days[1].counts[PLAN]) == (0, 1)


def test_aging_lists_the_oldest_open_work_first_and_a_card_started_now_last() -> None:
    now = d(2026, 3, 20)
    flows = card_flows(
        [
            card((IDEAS, MONDAY), (DO, now), card_id=1),
            card((IDEAS, MONDAY), (DO, now - timedelta(hours=12)), card_id=2),
            card((IDEAS, MONDAY), (DO, now - timedelta(days=9)), card_id=3),
        ],
        now=now,
    )

    assert [f.id for f in aging_wip(flows)] == [3, 2, 1]


def test_a_block_lifted_the_moment_it_began_does_not_hide_later_blocks() -> None:
    flow = card_flow(
        CardLog(
            id=1,
            title="Kanban square",
            moves=(Move(MONDAY, None, IDEAS),),
            column=IDEAS,
            blocks=(
                Block(MONDAY, MONDAY),
                Block(MONDAY + timedelta(days=1), MONDAY + timedelta(days=3)),
            ),
        ),
        now=MONDAY + timedelta(days=5),
    )

    assert flow.blocked_days == 2.0


def test_a_card_logged_without_its_creation_counts_from_its_first_move() -> None:
    log = CardLog(
        id=1,
        title="Imported",
        moves=(Move(MONDAY, IDEAS, PLAN), Move(MONDAY + timedelta(days=4), PLAN, DONE)),
        column=DONE,
    )

    flow = card_flow(log, now=MONDAY + timedelta(days=9))

    assert (flow.created_at, flow.lead_days) == (MONDAY, 4.0)


def test_a_cards_flow_carries_its_title_and_team_for_the_report() -> None:
    log = CardLog(
        id=7,
        title="Kanban square",
        moves=(Move(MONDAY, None, IDEAS),),
        column=IDEAS,
        team_name="Stamping",
    )

    flow = card_flow(log, now=MONDAY)

    assert (flow.id, flow.title, flow.team_name) == (7, "Kanban square", "Stamping")
