"""What every chart of the monthly report shares: the style, the `Chart` value, rendering,
and small drawing helpers.

Each chart function (in `charts`) takes plain metric values and returns a `Chart`: a
Figure plus the hover title of every mark. `render` turns it into deterministic SVG (fixed
hash salt, no date, text kept as text) or PNG. Charts with nothing to show draw a friendly
message instead of an empty axis. Rendering holds a lock: gunicorn's gthread workers draw
from several threads, and matplotlib does not promise thread safety even for separate
Figures.
"""

from __future__ import annotations

import io
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

import matplotlib
from babel.dates import format_date
from flask_babel import gettext as _
from flask_babel import ngettext
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from kaizen.formatting import fixed, locale, month_name, number
from kaizen.models import BoardColumn, Waste
from kaizen.services.flow import CardFlow, Percentiles
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


def _marks(group: ET.Element) -> list[tuple[ET.Element, ET.Element]]:
    """Each drawn mark of a group with its parent, in drawing order (definitions skipped).

    matplotlib writes a scatter as one group: a shared marker in `<defs>`, then either one
    clipped `<g>` of `<use>` elements (every dot styled alike) or one clipped `<g>` per dot
    (dots styled apart), or plain `<path>` elements. A mark is any `<use>` or `<path>`
    outside `<defs>`, however deep.
    """
    found: list[tuple[ET.Element, ET.Element]] = []

    def walk(parent: ET.Element) -> None:
        for child in parent:
            if child.tag == f"{{{SVG_NS}}}defs":
                continue
            if child.tag in (f"{{{SVG_NS}}}use", f"{{{SVG_NS}}}path"):
                found.append((parent, child))
            else:
                walk(child)

    walk(group)
    return found


def _add_titles(svg: bytes, description: str, titles: dict[str, list[str]]) -> bytes:
    """Give the SVG a <title>, and each mark of the named groups a <title> of its own.

    A group whose marks do not match its titles in number is a bug in the chart's code,
    so it raises rather than leave dots without a name.
    """
    root = ET.fromstring(svg)
    heading = ET.Element(f"{{{SVG_NS}}}title")
    heading.text = description
    root.insert(0, heading)
    root.set("role", "img")
    groups = {element.get("id"): element for element in root.iter(f"{{{SVG_NS}}}g")}
    for gid, texts in titles.items():
        group = groups.get(gid)
        if group is None:
            raise ValueError(f"chart has titles for {gid!r} but no such group")
        marks = _marks(group)
        if len(marks) != len(texts):
            raise ValueError(f"{gid!r} has {len(marks)} marks but {len(texts)} titles")
        for (parent, mark), text in zip(marks, texts, strict=True):
            title = ET.Element(f"{{{SVG_NS}}}title")
            title.text = text
            wrapper = ET.Element(f"{{{SVG_NS}}}g")
            wrapper.append(title)
            parent[list(parent).index(mark)] = wrapper
            wrapper.append(mark)
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


def new_figure(height: float = HEIGHT_INCHES) -> Figure:
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


# How durations are counted: the code `ReportParams.unit` and the chart functions take.
DAYS = "days"
WORKING_DAYS = "working days"


def per_unit(unit: str, days: str, working_days: str) -> str:
    """The text for calendar days or the one for working days (each a whole message)."""
    return working_days if unit == WORKING_DAYS else days


def _plural_count(value: float, one_is_singular: bool) -> int:
    """The count a duration's plural form is chosen by: its shown value when whole ('1.0
    day' when `one_is_singular`), else the many/other form of a fraction."""
    shown = round(float(value), 1)
    if shown == 1 and one_is_singular:
        return 1
    return int(shown) if shown.is_integer() and shown != 1 else 5


def days_text(value: float, unit: str = DAYS, *, one_is_singular: bool = True) -> str:
    """'4.5 days', '1.0 day', '2.0 working days' ('4,5 Tage'); always plural (as '1.0
    days' after a percentile) when not `one_is_singular`."""
    count = _plural_count(value, one_is_singular)
    if unit == WORKING_DAYS:
        return ngettext("%(days)s working day", "%(days)s working days", count, days=fixed(value))
    return ngettext("%(days)s day", "%(days)s days", count, days=fixed(value))


def unit_word(value: float, unit: str = DAYS) -> str:
    """The unit after a headline number: 'day', 'days', 'working days' ('Tage')."""
    count = _plural_count(value, True)
    if unit == WORKING_DAYS:
        return ngettext("working day", "working days", count)
    return ngettext("day", "days", count)


def short_title(title: str, limit: int = TITLE_CHARS) -> str:
    """A title cut to fit beside a chart."""
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def date_number(moment: date | datetime) -> float:
    """A date or time as matplotlib's date number."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, datetime.min.time())
    return float(mdates.date2num(moment))


def waste_colour(waste: Waste | None) -> str:
    return waste.info.colour if waste is not None else NO_WASTE


def waste_label(waste: Waste | None) -> str:
    return waste.label if waste is not None else _("No waste chosen")


def percentile_summary(pct: Percentiles, unit: str) -> str:
    """'50th percentile 3.0 days, 85th percentile 6.5 days, ...' for a chart's description."""
    return ", ".join(
        _(
            "%(percent)sth percentile %(value)s",
            percent=p,
            value=days_text(v, unit, one_is_singular=False),
        )
        for p, v in pct.items()
    )


def cycle_title(flow: CardFlow, unit: str) -> str:
    """A dot's hover title: 'Kanban square — 3.0 days, finished 4 Mar 2026 (Press)'."""
    finished = flow.finished_at.date() if flow.finished_at else None
    values = {
        "title": flow.title,
        "duration": days_text(flow.cycle_days or 0, unit),
        "day": format_date(finished, "d MMM yyyy", locale=locale()),
    }
    if flow.team_name:
        return _(
            "%(title)s — %(duration)s, finished %(day)s (%(team)s)", team=flow.team_name, **values
        )
    return _("%(title)s — %(duration)s, finished %(day)s", **values)


def aging_title(card: CardFlow, age: float, unit: str) -> str:
    """A dot's hover title: 'Tool wall — Do, 4.5 days in progress (blocked)'."""
    values = {"title": card.title, "column": card.column.label, "duration": days_text(age, unit)}
    if card.blocked:
        return _("%(title)s — %(column)s, %(duration)s in progress (blocked)", **values)
    return _("%(title)s — %(column)s, %(duration)s in progress", **values)


def percentile_label(percents: str, value: str) -> str:
    """'50/85%: 3.0 days' beside a percentile line."""
    return _("%(percent)s%%: %(value)s", percent=percents, value=value)


def percentile_lines(
    ax: Axes,
    pct: Percentiles,
    unit: str,
    label: Callable[[str, str], str] = percentile_label,
) -> None:
    """Dashed percentile lines, each labelled with its value in the right margin: `label`
    gets the percents ('50/85') and the duration ('3.0 days').

    Equal values share one label; labels that would touch are nudged apart.
    """
    grouped: dict[str, list[int]] = {}
    for percent, value in pct.items():
        ax.axhline(value, color=PERCENTILE_COLOURS[percent], linestyle="--", linewidth=2)
        grouped.setdefault(f"{value:.1f}", []).append(percent)
    low, high = ax.get_ylim()
    texts = {
        value_text: label(
            "/".join(str(p) for p in percents),
            days_text(float(value_text), unit, one_is_singular=False),
        )
        for value_text, percents in grouped.items()
    }
    lines = max(text.count("\n") for text in texts.values()) + 1 if texts else 1
    gap = (high - low) * 0.065 * lines
    placed: list[float] = []
    for value_text, percents in sorted(grouped.items(), key=lambda item: float(item[0])):
        value = float(value_text)
        y = max(value, placed[-1] + gap) if placed else value
        placed.append(y)
        ax.annotate(
            texts[value_text],
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


def month_axis(ax: Axes, months: Sequence[Month]) -> None:
    """Month names under bars, with the year where it starts or changes."""
    labels = []
    for index, month in enumerate(months):
        name = month_name(month.first_day, short=True, year=False)
        show_year = index == 0 or month.month == 1
        labels.append(f"{name}\n{month.year}" if show_year else name)
    ax.set_xticks(range(len(months)), labels)
    ax.grid(axis="x", visible=False)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    local_numbers(ax.yaxis)


def _tick_number(value: float, _position: int | None = None) -> str:
    # Tick values come out of float arithmetic (0.30000000000000004); -0 reads as 0.
    return number(0.0 if abs(value) < 1e-9 else value, 2)


def local_numbers(*axes: Axis) -> None:
    """Tick numbers in the reader's language: '2.5' ('2,5')."""
    for axis in axes:
        axis.set_major_formatter(FuncFormatter(_tick_number))


def month_ticks(axis: Axis) -> None:
    """A tick at each month's start, named by the month ('Mar', 'Mär')."""
    axis.set_major_locator(mdates.MonthLocator())
    axis.set_major_formatter(
        FuncFormatter(
            lambda value, _position: month_name(
                mdates.num2date(value).date(), short=True, year=False
            )
        )
    )


# strftime names months in English only: the concise date labels mark the month's number
# instead (between \x01s: strftime stops at a NUL), and the reader's month name replaces it.
_MONTH_MARK = re.compile(r"\x01(\d\d)\x01")


def _local_months(text: str) -> str:
    return _MONTH_MARK.sub(
        lambda found: month_name(date(2000, int(found[1]), 1), short=True, year=False), text
    )


class LocalDateFormatter(mdates.ConciseDateFormatter):
    """matplotlib's concise date labels ('Mar', '2026', '05'), months in the reader's
    language."""

    def __init__(self, locator: mdates.DateLocator) -> None:
        mark = "\x01%m\x01"
        super().__init__(
            locator,
            formats=["%Y", mark, "%d", "%H:%M", "%H:%M", "%S.%f"],
            zero_formats=["", "%Y", mark, f"{mark}-%d", "%H:%M", "%H:%M"],
            offset_formats=["", "%Y", f"%Y-{mark}", f"%Y-{mark}-%d", f"%Y-{mark}-%d",
                            f"%Y-{mark}-%d %H:%M"],
        )  # fmt: skip

    def format_ticks(self, values: Any) -> list[str]:
        """The tick labels, month names in the reader's language."""
        labels = [_local_months(label) for label in super().format_ticks(values)]
        self._offset_string = _local_months(self._offset_string)
        return labels


# How many characters of legend text fit across a figure, with a marker and gap per column.
LEGEND_CHARS = 82
LEGEND_COLUMN_CHARS = 5


def legend_columns(labels: Sequence[str], most: int) -> int:
    """How many columns a legend under the chart can have without running off its edges:
    `most`, or fewer where the labels are long (German waste names are longer than English)."""
    for columns in range(most, 1, -1):
        rows = -(-len(labels) // columns)
        widths = [max(map(len, labels[i : i + rows])) for i in range(0, len(labels), rows)]
        if sum(widths) + LEGEND_COLUMN_CHARS * len(widths) <= LEGEND_CHARS:
            return columns
    return 1


def first_busy(totals: Sequence[int]) -> int:
    """Index of the first month with data, so a new install's chart is not mostly empty."""
    return next((i for i, total in enumerate(totals) if total), len(totals) - 1)


def label_totals(ax: Axes, totals: Sequence[int]) -> None:
    """Each stacked bar's total, in bold on top of it."""
    for position, total in enumerate(totals):
        if total:
            ax.annotate(
                number(total),
                (position, total),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontweight="bold",
            )
