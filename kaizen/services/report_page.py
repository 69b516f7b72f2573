"""What the monthly report page shows, ready to render: headline numbers, each chart with its
heading, reading guide, empty-month message and table of numbers, and the same tables as
CSV. Addresses are left to the view and the template (`url_for`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext, pgettext

from kaizen.formatting import fixed, locale
from kaizen.models import BoardColumn, Waste
from kaizen.services import DbSession, charts
from kaizen.services.chart_style import per_unit, unit_word
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


def _cycle_heading(unit: str) -> str:
    return per_unit(unit, _("Cycle time (days)"), _("Cycle time (working days)"))


def _finished_table(report: MonthlyReport, unit: str) -> Table:
    reflected = {lesson.improvement_id for lesson in report.lessons}
    written, not_yet = pgettext("reflection", "Written"), pgettext("reflection", "Not yet")
    return Table(
        headers=[
            _("Improvement"),
            _("Team"),
            _("Waste"),
            _("Outcome"),
            _("Finished"),
            _cycle_heading(unit),
            per_unit(unit, _("Lead time (days)"), _("Lead time (working days)")),
            per_unit(unit, _("Blocked (days)"), _("Blocked (working days)")),
            _("Reflection"),
        ],
        rows=[
            [
                f.title,
                f.team_name,
                _waste(f.waste),
                f.outcome.label if f.outcome else _("Reopened"),
                f"{to_local(f.finished_at):%Y-%m-%d}" if f.finished_at else "",
                _days(f.cycle_days),
                _days(f.lead_days),
                _days(f.blocked_days),
                written if f.id in reflected else not_yet,
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
        [_("%(percent)sth percentile", percent=percent), "", "", "", _days(value)]
        for percent, value in report.cycle_percentiles.items()
    ]
    headers = [_("Improvement"), _("Team"), _("Waste"), _("Finished"), _cycle_heading(unit)]
    return Table(headers, rows)


def _throughput_table(report: MonthlyReport, _unit: str) -> Table:
    return Table(
        [_("Month"), _("Adopted"), _("Not adopted"), _("Reopened since"), _("Finished")],
        [[m.month.code, m.adopted, m.not_adopted, m.reopened, m.total] for m in report.throughput],
    )


def _observations_table(report: MonthlyReport, _unit: str) -> Table:
    return Table(
        [_("Month"), *(w.label for w in Waste), pgettext("total of a row", "All")],
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
            _("Waste"),
            pgettext("observation reports", "Reports"),
            _("Reports share (%)"),
            _("Reports running share (%)"),
            _("Minutes lost"),
            _("Minutes running share (%)"),
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
        [_("Day"), *(c.label for c in BoardColumn)],
        [[f"{d.day:%Y-%m-%d}", *(d.counts.get(c, 0) for c in BoardColumn)] for d in report.flow],
    )


def _aging_table(report: MonthlyReport, unit: str) -> Table:
    age = per_unit(unit, _("Age (days)"), _("Age (working days)"))
    yes, no = _("yes"), _("no")
    return Table(
        [_("Improvement"), _("Team"), _("Column"), _("Waste"), age, _("Blocked")],
        [
            [
                c.title,
                c.team_name,
                c.column.label,
                _waste(c.waste),
                _days(c.age_days),
                yes if c.blocked else no,
            ]
            for c in report.aging
        ],
    )


def _before_after_table(report: MonthlyReport, _unit: str) -> Table:
    return Table(
        [
            _("Improvement"),
            _("Finished"),
            _("Reports in 8 weeks before"),
            _("Per week before"),
            _("Reports since"),
            _("Weeks since"),
            _("Per week after"),
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
            _("Improvement"),
            _("What have we learnt?"),
            _("What would we take forward?"),
            _("What would we do differently?"),
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
    # Marked with lazy_gettext; `heading` and `explanation` read them in the reader's language.
    heading_text: Any
    explanation_text: Any

    @property
    def heading(self) -> str:
        """The chart's heading."""
        return str(self.heading_text)

    @property
    def explanation(self) -> str:
        """How to read the chart, in a sentence or two."""
        return str(self.explanation_text)


CHARTS = (
    ChartSpec(
        "cycle-time",
        _l("Cycle time per improvement"),
        _l(
            "Each dot is one finished improvement: when it reached Done and how long it took "
            "from start to finish, coloured by waste. The lines show how long 50, 85 and 95 in "
            "every 100 took at most."
        ),
    ),
    ChartSpec(
        "throughput",
        _l("Improvements finished per month"),
        _l(
            "Adopted and not adopted are both finished work: a tried idea that did not stick "
            "still teaches."
        ),
    ),
    ChartSpec(
        "observations",
        _l("Observations reported per month"),
        _l(
            "More reports mean more problems seen early — a sign that people feel safe to speak up."
        ),
    ),
    ChartSpec(
        "pareto",
        _l("Which wastes we saw most"),
        _l(
            "The month's reports by waste, most first, counted and by minutes lost. The share "
            "in brackets is that waste's own; the dashed line adds the shares up from the top."
        ),
    ),
    ChartSpec(
        "flow",
        _l("Cumulative flow"),
        _l(
            "Cards in each column day by day. A band that widens means work piling up in that "
            "column; the rising Done band is finished work."
        ),
    ),
    ChartSpec(
        "aging",
        _l("Work in progress by age"),
        _l(
            "Each dot is an open card, by column and days since it started. Dots in the shaded "
            "band are older than 85 in 100 finished cards were: worth a look at stand-up."
        ),
    ),
    ChartSpec(
        "before-after",
        _l("Before and after each countermeasure"),
        _l(
            "Related reports per week (linked to the card, or the same waste in the same area) "
            "in the 8 weeks before it reached Done and since."
        ),
    ),
)
CHART_NAMES = frozenset(spec.name for spec in CHARTS)


def empty_message(name: str, report: MonthlyReport, params: ReportParams) -> str | None:
    """What to say instead of a chart with nothing to show, or None when it has data."""
    month = params.month_label
    nothing_finished = _(
        "No improvements finished in the twelve months up to %(month)s yet.", month=month
    )
    if name == "cycle-time" and not report.cycle_points:
        return nothing_finished
    if name == "throughput" and not any(m.total for m in report.throughput):
        return nothing_finished
    if name == "observations" and not any(m.total for m in report.observations):
        return _(
            "No observations reported in the twelve months up to %(month)s yet. "
            "The first one is the hardest.",
            month=month,
        )
    if name == "pareto" and not report.pareto.by_count:
        return _("No observations reported in %(month)s yet.", month=month)
    if name == "flow" and not report.flow:
        return _("No cards on the board up to %(month)s yet.", month=month)
    if name == "aging" and not report.aging:
        return _("No cards in progress right now.")
    if name == "before-after" and not report.before_after:
        return _(
            "No improvements finished in %(month)s yet, so there is nothing to compare.",
            month=month,
        )
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
    # What the figures come from, the months the charts cover, the filters and the unit.
    lead: str
    previous_month: Month
    # None when the next month has not begun; this month None when it is the one shown.
    next_month: Month | None
    this_month: Month | None
    teams: list[Choice]
    areas: list[Choice]


def _days_stat(label: str, value: float | None, unit: str, note: str) -> Stat:
    if value is None:
        return Stat(label, "—", note)
    return Stat(label, fixed(value), note, unit=unit_word(value, unit))


def _lessons_intro(total: int, shown: int, finished: int) -> str:
    if total > shown:
        text = ngettext(
            "%(num)d reflection written on this month's finished improvements; the latest "
            "%(shown)d are below.",
            "%(num)d reflections written on this month's finished improvements; the latest "
            "%(shown)d are below.",
            total,
            shown=shown,
        )
    else:
        text = ngettext(
            "%(num)d reflection written on this month's finished improvements.",
            "%(num)d reflections written on this month's finished improvements.",
            total,
        )
    missing = finished - total
    if missing > 0:
        # A quiet reminder, not a score: the reflection can still be written.
        text += " " + ngettext(
            "%(num)d finished card is still waiting for the team's reflection.",
            "%(num)d finished cards are still waiting for the team's reflection.",
            missing,
        )
    return text


def _lead(params: ReportParams, first: Month) -> str:
    """'Every figure comes from the log of card moves. Charts cover March 2025 to March
    2026, team Press; durations are in days.' Each mix of filters and unit is a sentence of
    its own in the catalogue, so every language can word it whole."""
    team, area = params.team, params.area
    sentences = {
        (False, False, False): _("Charts cover %(start)s to %(end)s; durations are in days."),
        (False, False, True): _(
            "Charts cover %(start)s to %(end)s; durations are in working days."
        ),
        (True, False, False): _(
            "Charts cover %(start)s to %(end)s, team %(team)s; durations are in days."
        ),
        (True, False, True): _(
            "Charts cover %(start)s to %(end)s, team %(team)s; durations are in working days."
        ),
        (False, True, False): _(
            "Charts cover %(start)s to %(end)s, area %(area)s; durations are in days."
        ),
        (False, True, True): _(
            "Charts cover %(start)s to %(end)s, area %(area)s; durations are in working days."
        ),
        (True, True, False): _(
            "Charts cover %(start)s to %(end)s, team %(team)s, area %(area)s; durations are "
            "in days."
        ),
        (True, True, True): _(
            "Charts cover %(start)s to %(end)s, team %(team)s, area %(area)s; durations are "
            "in working days."
        ),
    }
    charts = sentences[(team is not None, area is not None, params.working_days)] % {
        "start": first.label,
        "end": params.month_label,
        "team": team.name if team else "",
        "area": area.name if area else "",
    }
    return _("Every figure comes from the log of card moves.") + " " + charts


def _shown(cell: Cell) -> Cell:
    """A table cell as the page shows it: decimals in the reader's language ('3.5', '3,5'),
    as many as the figure has (at most two, as the tables round them)."""
    if not isinstance(cell, float):
        return cell
    return format_decimal(Decimal(repr(cell)), format="0.0#", locale=locale())


def _page_table(data: Table) -> Table:
    """A table as the page shows it (the CSV keeps plain numbers)."""
    return Table(data.headers, [[_shown(cell) for cell in row] for row in data.rows])


def report_page(
    session: DbSession, report: MonthlyReport, params: ReportParams, now: datetime
) -> ReportPage:
    """The report page's content, every value and address ready to show."""
    numbers = report.numbers
    unit = params.unit
    label = params.month_label
    stats = [
        Stat(
            _("Improvements finished"),
            str(numbers.finished),
            _(
                "%(adopted)s adopted · %(not_adopted)s not adopted — both are learning.",
                adopted=numbers.adopted,
                not_adopted=numbers.not_adopted,
            ),
        ),
        _days_stat(
            _("Median cycle time"),
            numbers.median_cycle_days,
            unit,
            _("Half finished within this."),
        ),
        _days_stat(
            _("85th percentile cycle time"),
            numbers.p85_cycle_days,
            unit,
            _("85 in 100 finished within this."),
        ),
        Stat(
            _("Observations reported"),
            str(numbers.observations),
            _("More reports mean more problems seen early."),
            good=True,
        ),
        Stat(
            _("Lessons learned"),
            str(numbers.lessons),
            _("Reflections on this month's finished work."),
        ),
    ]
    panels = [
        ChartPanel(
            spec=spec,
            alt=_(
                "%(chart)s, %(month)s. The numbers are in the table below the chart.",
                chart=spec.heading,
                month=label,
            ),
            message=empty_message(spec.name, report, params),
            table=_page_table(table(spec.name, report, params)),
        )
        for spec in CHARTS
    ]
    finished = _page_table(table("finished", report, params))
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
        lead=_lead(params, report.window_start),
    )
