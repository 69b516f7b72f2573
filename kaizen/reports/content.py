"""What the monthly report shows, ready to render: its filters, headline numbers, the
charts with their tables, the CSV files, and the cache key that lets a browser reuse a
chart it already has."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen.models import Area, BoardColumn, Team, Waste
from kaizen.services import charts
from kaizen.services.metrics import (
    Lesson,
    MonthlyReport,
    Scope,
    add_months,
    data_version,
    month_start,
    parse_month,
)

# Bump when a chart's drawing changes, so browsers fetch the new look.
CHART_REVISION = "1"


# --------------------------------------------------------------------------------------
# What a report is asked for
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A team or area people can filter by."""

    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class ReportParams:
    """A report's month and filters, as read from the address."""

    month: date
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
        return self.month.strftime("%Y-%m")

    @property
    def month_label(self) -> str:
        """'March 2026'."""
        return self.month.strftime("%B %Y")

    @property
    def unit(self) -> str:
        """How durations are counted, for axis labels and table headings."""
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


def _choice(session: Session, model: type[Team] | type[Area], slug: str) -> Choice | None:
    row = session.execute(
        select(model.id, model.slug, model.name).where(model.slug == slug)
    ).one_or_none()
    return Choice(*row) if row else None


def read_params(
    session: Session, month_text: str | None, args: Any, now: datetime
) -> ReportParams | None:
    """The report asked for by the address, or None when the month, team or area is unknown."""
    month = month_start(now) if month_text is None else parse_month(month_text)
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


def choices(session: Session) -> tuple[list[Choice], list[Choice]]:
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


def chart_etag(session: Session, name: str, fmt: str, params: ReportParams, now: datetime) -> str:
    """The cache key of one drawn chart: the data it shows, the question, and the hour.

    Work-item ages grow with time, so the key also turns over every hour.
    """
    text = "|".join(
        [
            CHART_REVISION,
            data_version(session),
            name,
            fmt,
            repr(sorted(params.query().items())),
            now.strftime("%Y-%m-%dT%H"),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# --------------------------------------------------------------------------------------
# Tables: shown under each chart and downloaded as CSV
# --------------------------------------------------------------------------------------

Cell = str | int | float


@dataclass(frozen=True)
class Table:
    """Column headings and rows of plain values, the same on the page and in the CSV."""

    headers: list[str]
    rows: list[list[Cell]]


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
                f"{f.finished_at:%Y-%m-%d}" if f.finished_at else "",
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
            f"{f.finished_at:%Y-%m-%d}" if f.finished_at else "",
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
        [
            [f"{m.month:%Y-%m}", m.adopted, m.not_adopted, m.reopened, m.total]
            for m in report.throughput
        ],
    )


def _observations_table(report: MonthlyReport, _unit: str) -> Table:
    return Table(
        ["Month", *(w.label for w in Waste), "All"],
        [
            [f"{m.month:%Y-%m}", *(m.counts.get(w, 0) for w in Waste), m.total]
            for m in report.observations
        ],
    )


def _pareto_table(report: MonthlyReport, _unit: str) -> Table:
    by_count = {bar.waste: bar for bar in report.pareto.by_count}
    by_minutes = {bar.waste: bar for bar in report.pareto.by_minutes}
    return Table(
        [
            "Waste",
            "Reports",
            "Reports running share (%)",
            "Minutes lost",
            "Minutes running share (%)",
        ],
        [
            [
                bar.waste.label,
                bar.value,
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
                f"{b.finished_at:%Y-%m-%d}",
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


def _safe(cell: Cell) -> Cell:
    """Keep a spreadsheet from running typed text as a formula."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def csv_bytes(data: Table) -> bytes:
    """The table as UTF-8 CSV with a heading row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(data.headers)
    writer.writerows([_safe(cell) for cell in row] for row in data.rows)
    return buffer.getvalue().encode("utf-8")


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
        "The month's reports by waste, most first, counted and by minutes lost; the share in "
        "brackets adds up from the top.",
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
    """One chart on the page with its addresses, alternative text and numbers."""

    spec: ChartSpec
    svg_url: str
    png_url: str
    csv_url: str
    alt: str
    message: str | None
    table: Table


@dataclass(frozen=True)
class FinishedRow:
    """One finished improvement in the month's table."""

    url: str
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
    finished_csv_url: str
    lessons: list[Lesson]
    lessons_intro: str
    lessons_csv_url: str
    previous_url: str
    previous_label: str
    next_url: str | None
    next_label: str
    teams: list[Choice]
    areas: list[Choice]
    this_month_url: str | None
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


def _month_url(month: date, params: ReportParams) -> str:
    return url_for("reports.monthly", month=month.strftime("%Y-%m"), **params.filters())


def report_page(
    session: Session, report: MonthlyReport, params: ReportParams, now: datetime
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
    query = params.query()
    panels = []
    for spec in CHARTS:
        message = empty_message(spec.name, report, params)
        panels.append(
            ChartPanel(
                spec=spec,
                svg_url=url_for("reports.chart", name=spec.name, fmt="svg", **query),
                png_url=url_for("reports.chart", name=spec.name, fmt="png", **query),
                csv_url=url_for("reports.data", name=spec.name, **query),
                alt=f"{spec.heading}, {label}. The numbers are in the table below the chart.",
                message=message,
                table=table(spec.name, report, params),
            )
        )
    finished = table("finished", report, params)
    current = month_start(now)
    previous = add_months(params.month, -1)
    following = add_months(params.month, 1)
    teams, areas = choices(session)
    return ReportPage(
        params=params,
        heading=f"Improvement report — {label}",
        stats=stats,
        panels=panels,
        finished_headers=finished.headers,
        finished_rows=[
            FinishedRow(url_for("improvements.detail", improvement_id=flow.id), cells)
            for flow, cells in zip(report.finished, finished.rows, strict=True)
        ],
        finished_csv_url=url_for("reports.data", name="finished", **query),
        lessons=report.lessons_shown,
        lessons_intro=_lessons_intro(
            len(report.lessons), len(report.lessons_shown), len(report.finished)
        ),
        lessons_csv_url=url_for("reports.data", name="lessons", **query),
        previous_url=_month_url(previous, params),
        previous_label=previous.strftime("%B %Y"),
        next_url=_month_url(following, params) if following <= current else None,
        next_label=following.strftime("%B %Y"),
        teams=teams,
        areas=areas,
        this_month_url=_month_url(current, params) if params.month != current else None,
        trailing_label=f"{report.window_start:%B %Y} to {label}",
    )
