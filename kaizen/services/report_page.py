"""What the monthly report page shows, ready to render: headline numbers, each chart with its
heading, reading guide, empty-month message and table of numbers, and the same tables as
CSV. Addresses are left to the view and the template (`url_for`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kaizen.models import BoardColumn, Waste
from kaizen.services import DbSession, charts
from kaizen.services.exports import Cell, Table
from kaizen.services.flow import Lesson
from kaizen.services.months import Month
from kaizen.services.plant_time import to_local
from kaizen.services.reports import Choice, MonthlyReport, ReportParams, choices

# --------------------------------------------------------------------------------------
# Tables: shown under each chart and downloaded as CSV
# --------------------------------------------------------------------------------------


def _days(value: float | None) -> Cell:
    return "" if value is None else round(value, 1)


def _waste(waste: Waste | None) -> str:
    return waste.label if waste else ""


def _finished_table(report: MonthlyReport, unit: str) -> Table:
    reflected = {lesson.improvement_id for lesson in report.lessons}
    return Table(
        headers=[
            "Improvement",
            "Team",
            "Waste",
            "Outcome",
            "Finished",
            f"Cycle time ({unit})",
            f"Lead time ({unit})",
            f"Blocked ({unit})",
            "Reflection",
        ],
        rows=[
            [
                f.title,
                f.team_name,
                _waste(f.waste),
                f.outcome.label if f.outcome else "Reopened",
                f"{to_local(f.finished_at):%Y-%m-%d}" if f.finished_at else "",
                _days(f.cycle_days),
                _days(f.lead_days),
                _days(f.blocked_days),
                "Written" if f.id in reflected else "Not yet",
            ]
            for f in report.finished
        ],
    )


def _cycle_table(report: MonthlyReport, unit: str) -> Table:
    rows: list[list[Cell]] = [
        [
            f.title,
            f.team_name,
            _waste(f.waste),
            f"{to_local(f.finished_at):%Y-%m-%d}" if f.finished_at else "",
            _days(f.cycle_days),
        ]
        for f in report.cycle_points
    ]
    rows += [
        [f"{percent}th percentile", "", "", "", _days(value)]
        for percent, value in report.cycle_percentiles.items()
    ]
    return Table(["Improvement", "Team", "Waste", "Finished", f"Cycle time ({unit})"], rows)


def _throughput_table(report: MonthlyReport, _unit: str) -> Table:
    return Table(
        ["Month", "Adopted", "Not adopted", "Reopened since", "Finished"],
        [[m.month.code, m.adopted, m.not_adopted, m.reopened, m.total] for m in report.throughput],
    )


def _observations_table(report: MonthlyReport, _unit: str) -> Table:
    return Table(
        ["Month", *(w.label for w in Waste), "All"],
        [
            [m.month.code, *(m.counts.get(w, 0) for w in Waste), m.total]
            for m in report.observations
        ],
    )


def _pareto_table(report: MonthlyReport, _unit: str) -> Table:
    by_count = {bar.waste: bar for bar in report.pareto.by_count}
    by_minutes = {bar.waste: bar for bar in report.pareto.by_minutes}
    reports = sum(bar.value for bar in by_count.values()) or 1
    return Table(
        [
            "Waste",
            "Reports",
            "Reports share (%)",
            "Reports running share (%)",
            "Minutes lost",
            "Minutes running share (%)",
        ],
        [
            [
                bar.waste.label,
                bar.value,
                round(100 * bar.value / reports, 1),
                round(bar.cumulative_percent, 1),
                by_minutes[bar.waste].value if bar.waste in by_minutes else 0,
                round(by_minutes[bar.waste].cumulative_percent, 1)
                if bar.waste in by_minutes
                else "",
            ]
            for bar in by_count.values()
        ],
    )


def _flow_table(report: MonthlyReport, _unit: str) -> Table:
    return Table(
        ["Day", *(c.label for c in BoardColumn)],
        [[f"{d.day:%Y-%m-%d}", *(d.counts.get(c, 0) for c in BoardColumn)] for d in report.flow],
    )


def _aging_table(report: MonthlyReport, unit: str) -> Table:
    return Table(
        ["Improvement", "Team", "Column", "Waste", f"Age ({unit})", "Blocked"],
        [
            [
                c.title,
                c.team_name,
                c.column.label,
                _waste(c.waste),
                _days(c.age_days),
                "yes" if c.blocked else "no",
            ]
            for c in report.aging
        ],
    )


def _before_after_table(report: MonthlyReport, _unit: str) -> Table:
    return Table(
        [
            "Improvement",
            "Finished",
            "Reports in 8 weeks before",
            "Per week before",
            "Reports since",
            "Weeks since",
            "Per week after",
        ],
        [
            [
                b.title,
                f"{to_local(b.finished_at):%Y-%m-%d}",
                b.before_count,
                round(b.before_per_week, 2),
                b.after_count,
                round(b.after_weeks, 1),
                "" if b.after_per_week is None else round(b.after_per_week, 2),
            ]
            for b in report.before_after
        ],
    )


def _lessons_table(report: MonthlyReport, _unit: str) -> Table:
    return Table(
        [
            "Improvement",
            "What have we learnt?",
            "What would we take forward?",
            "What would we do differently?",
        ],
        [[x.title, x.learnt, x.take_forward, x.do_differently] for x in report.lessons],
    )


TABLES: dict[str, Callable[[MonthlyReport, str], Table]] = {
    "finished": _finished_table,
    "cycle-time": _cycle_table,
    "throughput": _throughput_table,
    "observations": _observations_table,
    "pareto": _pareto_table,
    "flow": _flow_table,
    "aging": _aging_table,
    "before-after": _before_after_table,
    "lessons": _lessons_table,
}


def table(name: str, report: MonthlyReport, params: ReportParams) -> Table:
    """One of the report's tables by name."""
    return TABLES[name](report, params.unit)


# --------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartSpec:
    """A chart's address name, heading and the sentence that says how to read it."""

    name: str
    heading: str
    explanation: str


CHARTS = (
    ChartSpec(
        "cycle-time",
        "Cycle time per improvement",
        "Each dot is one finished improvement: when it reached Done and how long it took "
        "from start to finish, coloured by waste. The lines show how long 50, 85 and 95 in "
        "every 100 took at most.",
    ),
    ChartSpec(
        "throughput",
        "Improvements finished per month",
        "Adopted and not adopted are both finished work: a tried idea that did not stick "
        "still teaches.",
    ),
    ChartSpec(
        "observations",
        "Observations reported per month",
        "More reports mean more problems seen early — a sign that people feel safe to speak up.",
    ),
    ChartSpec(
        "pareto",
        "Which wastes we saw most",
        "The month's reports by waste, most first, counted and by minutes lost. The share in "
        "brackets is that waste's own; the dashed line adds the shares up from the top.",
    ),
    ChartSpec(
        "flow",
        "Cumulative flow",
        "Cards in each column day by day. A band that widens means work piling up in that "
        "column; the rising Done band is finished work.",
    ),
    ChartSpec(
        "aging",
        "Work in progress by age",
        "Each dot is an open card, by column and days since it started. Dots in the shaded "
        "band are older than 85 in 100 finished cards were: worth a look at stand-up.",
    ),
    ChartSpec(
        "before-after",
        "Before and after each countermeasure",
        "Related reports per week (linked to the card, or the same waste in the same area) in "
        "the 8 weeks before it reached Done and since.",
    ),
)
CHART_NAMES = frozenset(spec.name for spec in CHARTS)


def empty_message(name: str, report: MonthlyReport, params: ReportParams) -> str | None:
    """What to say instead of a chart with nothing to show, or None when it has data."""
    label = params.month_label
    if name == "cycle-time" and not report.cycle_points:
        return f"No improvements finished in the twelve months up to {label} yet."
    if name == "throughput" and not any(m.total for m in report.throughput):
        return f"No improvements finished in the twelve months up to {label} yet."
    if name == "observations" and not any(m.total for m in report.observations):
        return (
            f"No observations reported in the twelve months up to {label} yet. "
            "The first one is the hardest."
        )
    if name == "pareto" and not report.pareto.by_count:
        return f"No observations reported in {label} yet."
    if name == "flow" and not report.flow:
        return f"No cards on the board up to {label} yet."
    if name == "aging" and not report.aging:
        return "No cards in progress right now."
    if name == "before-after" and not report.before_after:
        return f"No improvements finished in {label} yet, so there is nothing to compare."
    return None


def draw(name: str, report: MonthlyReport, params: ReportParams) -> charts.Chart:
    """Draw one of the report's charts (or its friendly empty message)."""
    message = empty_message(name, report, params)
    if message is not None:
        return charts.message_chart(message)
    unit = params.unit
    if name == "cycle-time":
        return charts.cycle_time_chart(
            report.cycle_points, report.cycle_percentiles, report.month, report.window_start, unit
        )
    if name == "throughput":
        return charts.throughput_chart(report.throughput)
    if name == "observations":
        return charts.observations_chart(report.observations)
    if name == "pareto":
        return charts.pareto_chart(report.pareto, params.month_label)
    if name == "flow":
        return charts.flow_chart(report.flow)
    if name == "aging":
        return charts.aging_chart(report.aging, report.cycle_percentiles, unit)
    if name == "before-after":
        return charts.before_after_chart(report.before_after, params.month_label)
    raise KeyError(name)


# --------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stat:
    """One headline number."""

    label: str
    value: str
    note: str
    unit: str = ""
    good: bool = False


@dataclass(frozen=True)
class ChartPanel:
    """One chart on the page with its alternative text and numbers (the view adds addresses)."""

    spec: ChartSpec
    alt: str
    message: str | None
    table: Table


@dataclass(frozen=True)
class FinishedRow:
    """One finished improvement in the month's table."""

    improvement_id: int
    cells: list[Cell]


@dataclass(frozen=True)
class ReportPage:
    """Everything the monthly report page shows."""

    params: ReportParams
    heading: str
    stats: list[Stat]
    panels: list[ChartPanel]
    finished_headers: list[str]
    finished_rows: list[FinishedRow]
    lessons: list[Lesson]
    lessons_intro: str
    previous_month: Month
    # None when the next month has not begun; this month None when it is the one shown.
    next_month: Month | None
    this_month: Month | None
    teams: list[Choice]
    areas: list[Choice]
    trailing_label: str


def _days_stat(label: str, value: float | None, unit: str, note: str) -> Stat:
    if value is None:
        return Stat(label, "—", note)
    return Stat(label, f"{value:.1f}", note, unit=unit[:-1] if round(value, 1) == 1 else unit)


def _lessons_intro(total: int, shown: int, finished: int) -> str:
    text = "1 reflection" if total == 1 else f"{total} reflections"
    text += " written on this month's finished improvements"
    if total > shown:
        text += f"; the latest {shown} are below"
    missing = finished - total
    if missing > 0:
        # A quiet reminder, not a score: the reflection can still be written.
        text += f". {missing} finished {'card is' if missing == 1 else 'cards are'} still"
        text += " waiting for the team's reflection"
    return text + "."


def report_page(
    session: DbSession, report: MonthlyReport, params: ReportParams, now: datetime
) -> ReportPage:
    """The report page's content, every value and address ready to show."""
    numbers = report.numbers
    unit = params.unit
    label = params.month_label
    stats = [
        Stat(
            "Improvements finished",
            str(numbers.finished),
            f"{numbers.adopted} adopted · {numbers.not_adopted} not adopted — both are learning.",
        ),
        _days_stat(
            "Median cycle time", numbers.median_cycle_days, unit, "Half finished within this."
        ),
        _days_stat(
            "85th percentile cycle time",
            numbers.p85_cycle_days,
            unit,
            "85 in 100 finished within this.",
        ),
        Stat(
            "Observations reported",
            str(numbers.observations),
            "More reports mean more problems seen early.",
            good=True,
        ),
        Stat("Lessons learned", str(numbers.lessons), "Reflections on this month's finished work."),
    ]
    panels = [
        ChartPanel(
            spec=spec,
            alt=f"{spec.heading}, {label}. The numbers are in the table below the chart.",
            message=empty_message(spec.name, report, params),
            table=table(spec.name, report, params),
        )
        for spec in CHARTS
    ]
    finished = table("finished", report, params)
    current = Month.of(now)
    following = params.month.next
    teams, areas = choices(session)
    return ReportPage(
        params=params,
        heading=params.heading,
        stats=stats,
        panels=panels,
        finished_headers=finished.headers,
        finished_rows=[
            FinishedRow(flow.id, cells)
            for flow, cells in zip(report.finished, finished.rows, strict=True)
        ],
        lessons=report.lessons_shown,
        lessons_intro=_lessons_intro(
            len(report.lessons), len(report.lessons_shown), len(report.finished)
        ),
        previous_month=params.month.previous,
        next_month=following if following <= current else None,
        this_month=current if params.month != current else None,
        teams=teams,
        areas=areas,
        trailing_label=f"{report.window_start.label} to {label}",
    )
