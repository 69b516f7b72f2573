"""The monthly report: what it is asked for (month, team, area, working days), the month's
numbers and the trailing twelve months of charts, from aggregates over those windows
(`report_data`). Building it once for every worker is `report_cache`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from kaizen.models import Area, Outcome, Team
from kaizen.services import DbSession, report_data
from kaizen.services.flow import (
    BeforeAfter,
    CardFlow,
    FlowDay,
    Lesson,
    MonthThroughput,
    MonthWasteCounts,
    Pareto,
    Percentiles,
    cycle_days,
    percentiles,
    throughput_by_month,
)
from kaizen.services.flow_data import Scope, load_lessons
from kaizen.services.months import Month
from kaizen.services.plant_time import local_today

TRAILING_MONTHS = 12
LESSONS_SHOWN = 5


@dataclass(frozen=True)
class Choice:
    """A team or area people can filter by."""

    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class ReportParams:
    """A report's month and filters, as read from the address."""

    month: Month
    team: Choice | None = None
    area: Choice | None = None
    working_days: bool = False

    @property
    def scope(self) -> Scope:
        """The cards and observations these filters cover."""
        return Scope(
            team_id=self.team.id if self.team else None,
            area_id=self.area.id if self.area else None,
        )

    @property
    def month_code(self) -> str:
        """'2026-03'."""
        return self.month.code

    @property
    def month_label(self) -> str:
        """'March 2026'."""
        return self.month.label

    @property
    def heading(self) -> str:
        """'Improvement report — March 2026', in the reader's language."""
        return _("Improvement report — %(month)s", month=self.month.label)

    @property
    def unit(self) -> str:
        """How durations are counted, as a code ('days', 'working days') that charts and
        tables turn into their own words (`chart_style.per_unit`)."""
        return "working days" if self.working_days else "days"

    def filters(self) -> dict[str, Any]:
        """The filter query parameters to carry into every link."""
        values: dict[str, Any] = {}
        if self.team:
            values["team"] = self.team.slug
        if self.area:
            values["area"] = self.area.slug
        if self.working_days:
            values["days"] = "working"
        return values

    def query(self) -> dict[str, Any]:
        """Month and filters, for chart and CSV addresses."""
        return {"month": self.month_code, **self.filters()}

    def file_stem(self, name: str) -> str:
        """A download's file name without extension: kaizen-cycle-time-2026-03-press."""
        parts = ["kaizen", name, self.month_code]
        parts += [choice.slug for choice in (self.team, self.area) if choice]
        if self.working_days:
            parts.append("working-days")
        return "-".join(parts)


def _choice(session: DbSession, model: type[Team] | type[Area], slug: str) -> Choice | None:
    row = session.execute(
        select(model.id, model.slug, model.name).where(model.slug == slug)
    ).one_or_none()
    return Choice(*row) if row else None


def read_params(
    session: DbSession, month_text: str | None, args: Any, now: datetime
) -> ReportParams | None:
    """The report asked for by the address, or None when the month, team or area is unknown."""
    month = Month.of(now) if month_text is None else Month.parse(month_text)
    if month is None:
        return None
    team = area = None
    if team_slug := (args.get("team") or "").strip():
        team = _choice(session, Team, team_slug)
        if team is None:
            return None
    if area_slug := (args.get("area") or "").strip():
        area = _choice(session, Area, area_slug)
        if area is None:
            return None
    return ReportParams(
        month=month, team=team, area=area, working_days=args.get("days") == "working"
    )


def choices(session: DbSession) -> tuple[list[Choice], list[Choice]]:
    """Every team and every area, by name, for the filter boxes."""
    teams = [
        Choice(*row)
        for row in session.execute(select(Team.id, Team.slug, Team.name).order_by(Team.name))
    ]
    areas = [
        Choice(*row)
        for row in session.execute(select(Area.id, Area.slug, Area.name).order_by(Area.name))
    ]
    return teams, areas


@dataclass(frozen=True)
class MonthNumbers:
    """The month's headline figures."""

    finished: int
    adopted: int
    not_adopted: int
    median_cycle_days: float | None
    p85_cycle_days: float | None
    observations: int
    lessons: int


@dataclass(frozen=True)
class MonthlyReport:
    """Everything the monthly report shows: the month's figures and the trailing charts."""

    month: Month
    months: list[Month]
    numbers: MonthNumbers
    finished: list[CardFlow]
    cycle_points: list[CardFlow]
    cycle_percentiles: Percentiles
    throughput: list[MonthThroughput]
    observations: list[MonthWasteCounts]
    pareto: Pareto
    flow: list[FlowDay]
    aging: list[CardFlow]
    before_after: list[BeforeAfter]
    lessons: list[Lesson]

    @property
    def lessons_shown(self) -> list[Lesson]:
        """The latest reflections, for the page (the CSV has them all)."""
        return self.lessons[:LESSONS_SHOWN]

    @property
    def window_start(self) -> Month:
        """The first month of the trailing window."""
        return self.months[0]


def monthly_report(
    session: DbSession,
    month: Month,
    now: datetime,
    scope: Scope = Scope(),
    working_days: bool = False,
) -> MonthlyReport:
    """The monthly report for `month` and the twelve months up to it, from aggregates over
    those windows (`report_data`): its cost follows the windows, not the history."""
    months = month.ending(TRAILING_MONTHS)
    trailing, finished = _finished(session, month, now, scope, working_days)
    cycle_points = [f for f in trailing if f.cycle_days is not None]
    month_cycles = percentiles(cycle_days(finished))
    pareto = report_data.month_pareto(session, month, scope)
    lessons = load_lessons(session, [f.id for f in finished])

    # From the window's start, or the first logged move if later, to the month's last day.
    first_move = report_data.first_move_at(session, scope)
    flow = (
        report_data.cumulative_flow(
            session, max(months[0].first_day, local_today(first_move)), month.last_day, now, scope
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
            observations=sum(bar.value for bar in pareto.by_count),
            lessons=len(lessons),
        ),
        finished=finished,
        cycle_points=cycle_points,
        cycle_percentiles=percentiles(cycle_days(cycle_points)),
        throughput=throughput_by_month(trailing, months),
        observations=report_data.observations_by_month(session, months, scope),
        pareto=pareto,
        flow=flow,
        aging=report_data.open_started_flows(session, now, scope, working_days),
        before_after=report_data.before_after_of(session, finished, now, scope),
        lessons=lessons,
    )


def _finished(
    session: DbSession, month: Month, now: datetime, scope: Scope, working_days: bool
) -> tuple[list[CardFlow], list[CardFlow]]:
    """The flows finished in the trailing twelve months, and those of the month (in order)."""
    window_start = month.ending(TRAILING_MONTHS)[0].start
    trailing = report_data.finished_flows(
        session, window_start, month.end, now, scope, working_days
    )
    month_ids = [
        f.id for f in trailing if f.finished_at is not None and f.finished_at >= month.start
    ]
    finished = sorted(
        report_data.month_finished(session, month_ids, now, working_days),
        key=lambda f: (f.finished_at or now, f.id),
    )
    return trailing, finished


@dataclass(frozen=True)
class MonthMetrics:
    """The report's flow numbers without its charts: what the JSON API serves."""

    month: Month
    finished: list[CardFlow]
    cycle_percentiles: Percentiles
    throughput: list[MonthThroughput]
    observations: list[MonthWasteCounts]


def month_metrics(
    session: DbSession,
    month: Month,
    now: datetime,
    scope: Scope = Scope(),
    working_days: bool = False,
) -> MonthMetrics:
    """The monthly report's cycle times, throughput and observation counts, computed the
    same way (the same windows and functions), without the rest of the report."""
    months = month.ending(TRAILING_MONTHS)
    trailing, finished = _finished(session, month, now, scope, working_days)
    return MonthMetrics(
        month=month,
        finished=finished,
        cycle_percentiles=percentiles(cycle_days(finished)),
        throughput=throughput_by_month(trailing, months),
        observations=report_data.observations_by_month(session, months, scope),
    )
