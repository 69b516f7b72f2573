"""The monthly report computed the plain way, from every card's whole move log through the
pure functions of `services/flow`: the reference the aggregate path of `services/reports`
must equal (it was the app's own implementation before the report learned to aggregate).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kaizen.models import Outcome
from kaizen.services import DbSession
from kaizen.services.flow import (
    BEFORE_AFTER_WEEKS,
    Countermeasure,
    aging_wip,
    before_after,
    card_flows,
    cumulative_flow,
    cycle_days,
    finished_between,
    observations_by_month,
    percentiles,
    throughput_by_month,
    waste_pareto,
)
from kaizen.services.flow_data import (
    Scope,
    linked_observations,
    load_card_logs,
    load_lessons,
    load_observations,
)
from kaizen.services.months import Month
from kaizen.services.plant_time import local_today
from kaizen.services.reports import TRAILING_MONTHS, MonthlyReport, MonthNumbers


def reference_report(
    session: DbSession,
    month: Month,
    now: datetime,
    scope: Scope = Scope(),
    working_days: bool = False,
) -> MonthlyReport:
    """The monthly report computed the plain way: every card's whole move log through the
    pure functions of `services/flow`."""
    months = month.ending(TRAILING_MONTHS)
    start, end = month.start, month.end
    window_start = months[0].start

    logs = load_card_logs(session, scope)
    flows = card_flows(logs, now, working_days)
    finished = finished_between(flows, start, end)
    cycle_points = [
        f for f in finished_between(flows, window_start, end) if f.cycle_days is not None
    ]
    month_cycles = percentiles(cycle_days(finished))

    before_window = timedelta(weeks=BEFORE_AFTER_WEEKS)
    facts = load_observations(
        session, min(window_start, start - before_window), end + before_window, scope
    )
    month_facts = [f for f in facts if start <= f.observed_at < end]

    finished_ids = [f.id for f in finished]
    links = linked_observations(session, finished_ids)
    countermeasures = [
        Countermeasure(
            id=f.id,
            title=f.title,
            finished_at=f.finished_at,
            area_id=f.area_id,
            waste=f.waste,
            linked_observation_ids=links.get(f.id, frozenset()),
        )
        for f in finished
        if f.finished_at is not None
    ]
    lessons = load_lessons(session, finished_ids)

    # From the window's start, or the first logged move if later, to the month's last day.
    first_move = min((m.at for log in logs for m in log.moves), default=None)
    flow = (
        cumulative_flow(
            logs, max(months[0].first_day, local_today(first_move)), month.last_day, now
        )
        if first_move is not None
        else []
    )
    return MonthlyReport(
        month=month,
        months=months,
        numbers=MonthNumbers(
            finished=len(finished),
            adopted=sum(1 for f in finished if f.outcome is Outcome.ADOPTED),
            not_adopted=sum(1 for f in finished if f.outcome is Outcome.NOT_ADOPTED),
            median_cycle_days=month_cycles.p50,
            p85_cycle_days=month_cycles.p85,
            observations=len(month_facts),
            lessons=len(lessons),
        ),
        finished=finished,
        cycle_points=cycle_points,
        cycle_percentiles=percentiles(cycle_days(cycle_points)),
        throughput=throughput_by_month(flows, months),
        observations=observations_by_month(facts, months),
        pareto=waste_pareto(month_facts),
        flow=flow,
        aging=aging_wip(flows),
        before_after=before_after(countermeasures, facts, now),
        lessons=lessons,
    )
