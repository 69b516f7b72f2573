"""The monthly report's charts, drawn with matplotlib's object API (never pyplot).

Each chart function takes plain metric values and returns a `Chart`: a Figure plus the
hover title of every mark. `render` turns it into deterministic SVG (fixed hash salt, no
date, text kept as text) or PNG. Charts with nothing to show draw a friendly message
instead of an empty axis. Rendering holds a lock: gunicorn's gthread workers draw from
several threads, and matplotlib does not promise thread safety even for separate Figures.
"""

from __future__ import annotations

import io
import threading
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

import matplotlib
from matplotlib import dates as mdates
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch
from matplotlib.ticker import MaxNLocator

from kaizen.models import BoardColumn, Waste
from kaizen.services.flow import (
    BeforeAfter,
    CardFlow,
    FlowDay,
    MonthThroughput,
    MonthWasteCounts,
    Pareto,
    ParetoBar,
    Percentiles,
)
from kaizen.services.months import Month

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

INK = "#1b2430"
INK_SOFT = "#4a5563"
LINE = "#d8dde4"
ADOPTED = "#0b7a53"
NOT_ADOPTED = "#0072B2"
REOPENED = "#9aa3ad"
NO_WASTE = "#7f8893"
HIGHLIGHT = "#fff4c2"
RISK = "#fdecea"
PERCENTILE_COLOURS = {50: "#0b7a53", 85: "#9a5b00", 95: "#b3261e"}
COLUMN_COLOURS = {
    BoardColumn.DONE: "#74c476",
    BoardColumn.CHECK: "#E69F00",
    BoardColumn.DO: "#0072B2",
    BoardColumn.PLAN: "#56B4E9",
    BoardColumn.IDEAS: "#d8dde4",
}

WIDTH_INCHES = 10.0
HEIGHT_INCHES = 5.0
PNG_DPI = 150
TITLE_CHARS = 42

# Large text for a tablet at arm's length; text stays text in the SVG (searchable, small).
STYLE: dict[str, Any] = {
    "svg.hashsalt": "kaizen-monthly-report",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
    "font.size": 14,
    "axes.labelsize": 14,
    "axes.titlesize": 15,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 13,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": INK_SOFT,
    "axes.labelcolor": INK,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": LINE,
    "grid.linewidth": 0.8,
    "xtick.color": INK_SOFT,
    "ytick.color": INK_SOFT,
    "text.color": INK,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}
# rcParams' stubs list every key as a Literal; these are all valid keys.
cast(Any, matplotlib.rcParams).update(STYLE)

# Rendering (text layout, fonts, the Agg/SVG writers) is where matplotlib touches shared
# caches; building a Figure only creates its own artists, so only `savefig` is serialised.
# Under the GIL, parallel rendering would gain little anyway.
_RENDERING = threading.Lock()


@dataclass
class Chart:
    """A drawn figure, what it shows in one sentence, and a hover title for each mark."""

    figure: Figure
    description: str
    # Group id of a set of marks -> one title per mark, in drawing order.
    titles: dict[str, list[str]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def _add_titles(svg: bytes, description: str, titles: dict[str, list[str]]) -> bytes:
    """Give the SVG a <title>, and each mark of the named groups a <title> of its own."""
    root = ET.fromstring(svg)
    heading = ET.Element(f"{{{SVG_NS}}}title")
    heading.text = description
    root.insert(0, heading)
    root.set("role", "img")
    groups = {element.get("id"): element for element in root.iter(f"{{{SVG_NS}}}g")}
    for gid, texts in titles.items():
        group = groups.get(gid)
        if group is None:
            continue
        marks = [child for child in group if child.tag != f"{{{SVG_NS}}}defs"]
        if len(marks) != len(texts):
            continue
        for mark, text in zip(marks, texts, strict=True):
            title = ET.Element(f"{{{SVG_NS}}}title")
            title.text = text
            if mark.tag == f"{{{SVG_NS}}}g":
                mark.insert(0, title)
            else:
                wrapper = ET.Element(f"{{{SVG_NS}}}g")
                wrapper.append(title)
                wrapper.append(mark)
                group[list(group).index(mark)] = wrapper
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8" standalone="no"?>\n' + body).encode()


def render(chart: Chart, fmt: str = "svg") -> bytes:
    """The chart as deterministic SVG bytes (or PNG for `fmt="png"`)."""
    buffer = io.BytesIO()
    if fmt == "png":
        with _RENDERING:
            chart.figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
        return buffer.getvalue()
    with _RENDERING:
        chart.figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _add_titles(buffer.getvalue(), chart.description, chart.titles)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _figure(height: float = HEIGHT_INCHES) -> Figure:
    return Figure(figsize=(WIDTH_INCHES, height), layout="constrained")


def message_chart(message: str, height: float = 2.4) -> Chart:
    """A calm message drawn where a chart would be: never a blank axis."""
    figure = Figure(figsize=(WIDTH_INCHES, height))
    figure.patches.append(
        FancyBboxPatch(
            (0.01, 0.04),
            0.98,
            0.92,
            boxstyle="round,pad=0,rounding_size=0.03",
            transform=figure.transFigure,
            facecolor="#f5f6f8",
            edgecolor=LINE,
            linewidth=1.2,
        )
    )
    figure.text(0.5, 0.5, message, ha="center", va="center", fontsize=16, color=INK_SOFT, wrap=True)
    return Chart(figure=figure, description=message)


def days_text(value: float, unit: str = "days") -> str:
    """'4.5 days', '1.0 day', '2.0 working days'."""
    return f"{value:.1f} {unit[:-1] if round(value, 1) == 1 else unit}"


def short_title(title: str, limit: int = TITLE_CHARS) -> str:
    """A title cut to fit beside a chart."""
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _num(moment: date | datetime) -> float:
    """A date or time as matplotlib's date number."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, datetime.min.time())
    return float(mdates.date2num(moment))


def _waste_colour(waste: Waste | None) -> str:
    return waste.info.colour if waste is not None else NO_WASTE


def _waste_label(waste: Waste | None) -> str:
    return waste.label if waste is not None else "No waste chosen"


def _percentile_lines(
    ax: Axes, pct: Percentiles, unit: str, template: str = "{percent}%: {value}"
) -> None:
    """Dashed percentile lines, each labelled with its value in the right margin.

    Equal values share one label; labels that would touch are nudged apart.
    """
    grouped: dict[str, list[int]] = {}
    for percent, value in pct.items():
        ax.axhline(value, color=PERCENTILE_COLOURS[percent], linestyle="--", linewidth=2)
        grouped.setdefault(f"{value:.1f}", []).append(percent)
    low, high = ax.get_ylim()
    lines = template.count("\n") + 1
    gap = (high - low) * 0.065 * lines
    placed: list[float] = []
    for value_text, percents in sorted(grouped.items(), key=lambda item: float(item[0])):
        value = float(value_text)
        y = max(value, placed[-1] + gap) if placed else value
        placed.append(y)
        names = "/".join(str(p) for p in percents)
        ax.annotate(
            template.format(percent=names, value=f"{value_text} {unit}"),
            xy=(1.0, value),
            xycoords=("axes fraction", "data"),
            xytext=(1.015, y),
            textcoords=("axes fraction", "data"),
            ha="left",
            va="center",
            fontsize=13,
            fontweight="bold",
            color=PERCENTILE_COLOURS[percents[-1]],
            annotation_clip=False,
        )


def _month_axis(ax: Axes, months: Sequence[Month]) -> None:
    """Month names under bars, with the year where it starts or changes."""
    labels = []
    for index, month in enumerate(months):
        show_year = index == 0 or month.month == 1
        labels.append(format(month, "%b\n%Y" if show_year else "%b"))
    ax.set_xticks(range(len(months)), labels)
    ax.grid(axis="x", visible=False)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _first_busy(totals: Sequence[int]) -> int:
    """Index of the first month with data, so a new install's chart is not mostly empty."""
    return next((i for i, total in enumerate(totals) if total), len(totals) - 1)


def _label_totals(ax: Axes, totals: Sequence[int]) -> None:
    """Each stacked bar's total, in bold on top of it."""
    for position, total in enumerate(totals):
        if total:
            ax.annotate(
                str(total),
                (position, total),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontweight="bold",
            )


# --------------------------------------------------------------------------------------
# 1. Cycle time per improvement
# --------------------------------------------------------------------------------------


def cycle_time_chart(
    points: Sequence[CardFlow],
    pct: Percentiles,
    month: Month,
    window_start: Month,
    unit: str = "days",
) -> Chart:
    """One dot per finished improvement (finish date by cycle time), coloured by waste."""
    finished = [p for p in points if p.finished_at is not None and p.cycle_days is not None]
    if not finished:
        return message_chart("No improvements finished in these twelve months yet.")
    figure = _figure()
    ax = figure.add_subplot()
    first = min(p.finished_at for p in finished if p.finished_at is not None)
    left = max(window_start, Month.of(first)).first_day
    ax.axvspan(
        _num(month.first_day),
        _num(month.next.first_day),
        color=HIGHLIGHT,
        zorder=0,
        label=month.label,
    )
    titles: dict[str, list[str]] = {}
    order: list[Waste | None] = [*Waste, None]
    for waste in order:
        marks = [p for p in finished if p.waste is waste]
        if not marks:
            continue
        gid = f"cycle-{waste.value if waste else 'none'}"
        collection = ax.scatter(
            [_num(p.finished_at) for p in marks if p.finished_at is not None],
            [p.cycle_days or 0.0 for p in marks],
            s=90,
            color=_waste_colour(waste),
            edgecolors="white",
            linewidths=1.2,
            label=_waste_label(waste),
            zorder=3,
        )
        collection.set_gid(gid)
        titles[gid] = [
            f"{p.title} — {days_text(p.cycle_days or 0, unit)}, finished "
            f"{p.finished_at.day} {p.finished_at:%b %Y}"
            + (f" ({p.team_name})" if p.team_name else "")
            for p in marks
            if p.finished_at is not None
        ]
    ax.set_xlim(_num(left), _num(month.next.first_day))
    ax.xaxis_date()
    top = max(p.cycle_days or 0 for p in finished)
    ax.set_ylim(0, max(1.0, top * 1.18))
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
    ax.set_xlabel("Date finished")
    ax.set_ylabel(f"Cycle time ({unit})")
    _percentile_lines(ax, pct, unit)
    figure.legend(loc="outside lower center", ncols=5)
    description = (
        f"Cycle time of {len(finished)} finished improvements; "
        + ", ".join(f"{p}th percentile {v:.1f} {unit}" for p, v in pct.items())
        + "."
    )
    return Chart(figure=figure, description=description, titles=titles)


# --------------------------------------------------------------------------------------
# 2. Throughput per month
# --------------------------------------------------------------------------------------


def throughput_chart(months: Sequence[MonthThroughput]) -> Chart:
    """Improvements finished per month, stacked adopted / not adopted: both are learning."""
    totals = [m.total for m in months]
    if not any(totals):
        return message_chart("No improvements finished in these twelve months yet.")
    shown = list(months[_first_busy(totals) :])
    figure = _figure()
    ax = figure.add_subplot()
    x = list(range(len(shown)))
    adopted = [m.adopted for m in shown]
    not_adopted = [m.not_adopted for m in shown]
    reopened = [m.reopened for m in shown]
    ax.bar(x, adopted, color=ADOPTED, label="Adopted", width=0.65)
    ax.bar(x, not_adopted, bottom=adopted, color=NOT_ADOPTED, label="Not adopted", width=0.65)
    if any(reopened):
        base = [a + n for a, n in zip(adopted, not_adopted, strict=True)]
        ax.bar(x, reopened, bottom=base, color=REOPENED, label="Reopened since", width=0.65)
    _label_totals(ax, [m.total for m in shown])
    _month_axis(ax, [m.month for m in shown])
    ax.set_ylim(0, max(m.total for m in shown) * 1.2 + 0.5)
    ax.set_ylabel("Improvements finished")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    description = "Improvements finished per month: " + ", ".join(
        f"{m.month:%b %Y} {m.adopted} adopted and {m.not_adopted} not adopted" for m in shown
    )
    return Chart(figure=figure, description=description)


# --------------------------------------------------------------------------------------
# 3. Observations per month and the Pareto of wastes
# --------------------------------------------------------------------------------------


def observations_chart(months: Sequence[MonthWasteCounts]) -> Chart:
    """Observations reported per month, stacked by waste: more reports, more seen early."""
    totals = [m.total for m in months]
    if not any(totals):
        return message_chart(
            "No observations reported in these twelve months yet. The first one is the hardest."
        )
    shown = list(months[_first_busy(totals) :])
    figure = _figure()
    ax = figure.add_subplot()
    x = list(range(len(shown)))
    bottom = [0] * len(shown)
    for waste in Waste:
        values = [m.counts.get(waste, 0) for m in shown]
        if not any(values):
            continue
        ax.bar(x, values, bottom=bottom, color=waste.info.colour, label=waste.label, width=0.65)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    _label_totals(ax, bottom)
    _month_axis(ax, [m.month for m in shown])
    ax.set_ylim(0, max(bottom) * 1.15 + 0.5)
    ax.set_ylabel("Observations reported")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), reverse=True)
    description = "Observations reported per month: " + ", ".join(
        f"{m.month:%b %Y} {m.total}" for m in shown
    )
    return Chart(figure=figure, description=description)


def _pareto_panel(ax: Axes, bars: Sequence[ParetoBar], xlabel: str, empty: str) -> None:
    if not bars:
        ax.set_axis_off()
        ax.text(0.5, 0.5, empty, ha="center", va="center", color=INK_SOFT, wrap=True)
        return
    y = list(range(len(bars)))[::-1]  # biggest at the top
    ax.barh(y, [b.value for b in bars], color=[b.waste.info.colour for b in bars], height=0.65)
    ax.set_yticks(y, [b.waste.label for b in bars])
    biggest = max(b.value for b in bars)
    for position, bar in zip(y, bars, strict=True):
        ax.annotate(
            f"{bar.value}  ({bar.cumulative_percent:.0f}%)",
            (bar.value, position),
            xytext=(5, 0),
            textcoords="offset points",
            va="center",
            fontsize=12,
        )
    ax.set_xlim(0, biggest * 1.45)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))


def pareto_chart(pareto: Pareto, month_label: str) -> Chart:
    """The month's wastes biggest first, by reports and by minutes lost (running share)."""
    if not pareto.by_count:
        return message_chart(f"No observations reported in {month_label} yet.")
    figure = _figure(height=4.8)
    by_count, by_minutes = figure.subplots(1, 2)
    _pareto_panel(by_count, pareto.by_count, "Reports (running share)", "")
    _pareto_panel(
        by_minutes,
        pareto.by_minutes,
        "Minutes lost (running share)",
        "No minutes lost were recorded with these reports.",
    )
    description = f"Wastes reported in {month_label}, most first: " + ", ".join(
        f"{b.waste.label} {b.value}" for b in pareto.by_count
    )
    return Chart(figure=figure, description=description)


# --------------------------------------------------------------------------------------
# 4. Cumulative flow
# --------------------------------------------------------------------------------------

FLOW_ORDER = (
    BoardColumn.DONE,
    BoardColumn.CHECK,
    BoardColumn.DO,
    BoardColumn.PLAN,
    BoardColumn.IDEAS,
)


def flow_chart(days: Sequence[FlowDay]) -> Chart:
    """Cards in each column day by day, Done at the bottom: the bands' widths are WIP."""
    if not days or not any(any(d.counts.values()) for d in days):
        return message_chart("No cards on the board in this period yet.")
    figure = _figure()
    ax = figure.add_subplot()
    # One more point a day later, so a single day still has a width.
    x = [_num(d.day) for d in days]
    x.append(_num(days[-1].day + timedelta(days=1)))
    series = [[d.counts.get(c, 0) for d in days] for c in FLOW_ORDER]
    series = [values + values[-1:] for values in series]
    ax.stackplot(
        x,
        series,
        labels=[c.label for c in FLOW_ORDER],
        colors=[COLUMN_COLOURS[c] for c in FLOW_ORDER],
        step="post",
        linewidth=0,
    )
    ax.set_xlim(x[0], x[-1])
    ax.xaxis_date()
    ax.set_ylim(0, max(sum(d.counts.values()) for d in days) * 1.08 + 0.5)
    if len(days) <= 14:
        # A short period gets a tick per day, never hours.
        ax.xaxis.set_major_locator(mdates.DayLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    else:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Cards")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), reverse=True)
    last = days[-1]
    description = (
        f"Cumulative flow from {days[0].day:%d %b %Y} to {last.day:%d %b %Y}; on the last day "
        + ", ".join(f"{c.label} {last.counts.get(c, 0)}" for c in BoardColumn)
    )
    return Chart(figure=figure, description=description)


# --------------------------------------------------------------------------------------
# 5. Aging work in progress
# --------------------------------------------------------------------------------------


def _spread(count: int) -> list[float]:
    """Horizontal offsets that spread `count` dots of one column side by side."""
    if count == 1:
        return [0.0]
    width = min(0.6, 0.06 * (count - 1))
    return [-width / 2 + width * i / (count - 1) for i in range(count)]


def aging_chart(cards: Sequence[CardFlow], pct: Percentiles, unit: str = "days") -> Chart:
    """Open started cards by column and age, against the 50th and 85th cycle-time percentiles."""
    if not cards:
        return message_chart("No cards in progress right now.")
    # Every card here has started, so it has an age.
    ages = {card.id: card.age_days or 0.0 for card in cards}
    figure = _figure()
    ax = figure.add_subplot()
    shown_columns = [
        c
        for c in BoardColumn
        if c is not BoardColumn.DONE
        and (c is not BoardColumn.IDEAS or any(card.column is c for card in cards))
    ]
    oldest = max(ages.values())
    top = oldest if pct.p85 is None else max(oldest, pct.p85)
    ax.set_ylim(0, top * 1.15 + 0.5)
    if pct.p85 is not None:
        ax.axhspan(pct.p85, ax.get_ylim()[1], color=RISK, zorder=0)
    titles: dict[str, list[str]] = {}
    for index, column in enumerate(shown_columns):
        in_column = sorted(
            (c for c in cards if c.column is column), key=lambda c: (ages[c.id], c.id)
        )
        if not in_column:
            continue
        gid = f"aging-{column.value}"
        offsets = _spread(len(in_column))
        collection = ax.scatter(
            [index + offset for offset in offsets],
            [ages[c.id] for c in in_column],
            s=110,
            color=[_waste_colour(c.waste) for c in in_column],
            edgecolors=[INK if c.blocked else "white" for c in in_column],
            linewidths=[2.5 if c.blocked else 1.2 for c in in_column],
            zorder=3,
        )
        collection.set_gid(gid)
        titles[gid] = [
            f"{c.title} — {column.label}, {days_text(ages[c.id], unit)} in progress"
            + (" (blocked)" if c.blocked else "")
            for c in in_column
        ]
    ax.set_xticks(range(len(shown_columns)), [c.label for c in shown_columns])
    ax.set_xlim(-0.6, len(shown_columns) - 0.4)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel(f"Age ({unit} since started)")
    limited = Percentiles(count=pct.count, p50=pct.p50, p85=pct.p85, p95=None)
    _percentile_lines(ax, limited, unit, template="{percent}% finished\nwithin {value}")
    handles: list[Artist] = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=10,
            color=NO_WASTE,
            markeredgecolor=INK,
            markeredgewidth=2.5,
            label="Blocked",
        ),
    ]
    if pct.p85 is not None:
        handles.append(Patch(color=RISK, label="Older than 85% of finished cards took"))
    figure.legend(handles=handles, loc="outside lower center", ncols=2)
    description = (
        f"{len(cards)} cards in progress; the oldest has been going for {days_text(oldest, unit)}"
    )
    return Chart(figure=figure, description=description, titles=titles)


# --------------------------------------------------------------------------------------
# 6. Before / after each countermeasure
# --------------------------------------------------------------------------------------


def before_after_chart(items: Sequence[BeforeAfter], month_label: str) -> Chart:
    """Related reports per week before and after each countermeasure reached Done."""
    if not items:
        return message_chart(
            f"No improvements finished in {month_label}, so there is nothing to compare yet."
        )
    figure = _figure(height=max(3.2, 1.6 + 0.55 * len(items)))
    ax = figure.add_subplot()
    y = list(range(len(items)))[::-1]
    befores = [i.before_per_week for i in items]
    afters = [i.after_per_week for i in items]
    for position, item in zip(y, items, strict=True):
        if item.after_per_week is not None:
            ax.plot(
                [item.before_per_week, item.after_per_week],
                [position, position],
                color=LINE,
                linewidth=4,
                zorder=1,
            )
    before_marks = ax.scatter(
        befores,
        y,
        s=130,
        facecolors="white",
        edgecolors=INK_SOFT,
        linewidths=2.2,
        label="Before (8 weeks)",
        zorder=3,
    )
    before_marks.set_gid("before")
    known = [(p, a) for p, a in zip(y, afters, strict=True) if a is not None]
    titles = {
        "before": [
            f"{i.title} — before: {i.before_count} reports in 8 weeks "
            f"({i.before_per_week:.2f} a week)"
            for i in items
        ]
    }
    if known:
        after_marks = ax.scatter(
            [a for _, a in known],
            [p for p, _ in known],
            s=130,
            color=ADOPTED,
            label="After (since Done)",
            zorder=4,
        )
        after_marks.set_gid("after")
        titles["after"] = [
            f"{i.title} — after: {i.after_count} reports in {i.after_weeks:.1f} weeks "
            f"({i.after_per_week:.2f} a week)"
            for i in items
            if i.after_per_week is not None
        ]
    for position, item in zip(y, items, strict=True):
        if item.after_per_week is None:
            ax.annotate(
                "too early for an after",
                (item.before_per_week, position),
                xytext=(12, 0),
                textcoords="offset points",
                va="center",
                fontsize=12,
                color=INK_SOFT,
            )
    ax.set_yticks(y, [short_title(i.title) for i in items])
    ax.set_ylim(-0.7, len(items) - 0.3)
    most = max([*befores, *(a for a in afters if a is not None)])
    ax.set_xlim(-0.05, max(0.5, most * 1.25 + 0.3))
    ax.set_xlabel("Related reports per week")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
    description = f"Related reports per week before and after {len(items)} countermeasures."
    return Chart(figure=figure, description=description, titles=titles)
