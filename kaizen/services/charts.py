"""The monthly report's seven charts, drawn with matplotlib's object API (never pyplot).

Shared style, the `Chart` value and rendering live in `chart_style`; `render` and
`message_chart` are re-exported here, so callers need only this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from matplotlib import dates as mdates
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from kaizen.formatting import day, fixed, month_name, number, percent, short_day
from kaizen.models import BoardColumn, Outcome, Waste
from kaizen.services.chart_style import (
    ADOPTED,
    COLUMN_COLOURS,
    DAYS,
    HIGHLIGHT,
    INK,
    INK_SOFT,
    LINE,
    NO_WASTE,
    NOT_ADOPTED,
    REOPENED,
    RISK,
    Chart,
    LocalDateFormatter,
    aging_title,
    cycle_title,
    date_number,
    days_text,
    first_busy,
    label_totals,
    legend_columns,
    local_numbers,
    message_chart,
    month_axis,
    month_ticks,
    new_figure,
    per_unit,
    percentile_lines,
    percentile_summary,
    render,
    short_title,
    waste_colour,
    waste_label,
)
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

__all__ = [
    "Chart",
    "aging_chart",
    "before_after_chart",
    "cycle_time_chart",
    "flow_chart",
    "message_chart",
    "observations_chart",
    "pareto_chart",
    "render",
    "throughput_chart",
]

# --------------------------------------------------------------------------------------
# 1. Cycle time per improvement
# --------------------------------------------------------------------------------------


def cycle_time_chart(
    points: Sequence[CardFlow],
    pct: Percentiles,
    month: Month,
    window_start: Month,
    unit: str = DAYS,
) -> Chart:
    """One dot per finished improvement (finish date by cycle time), coloured by waste."""
    finished = [p for p in points if p.finished_at is not None and p.cycle_days is not None]
    if not finished:
        return message_chart(_("No improvements finished in these twelve months yet."))
    figure = new_figure()
    ax = figure.add_subplot()
    first = min(p.finished_at for p in finished if p.finished_at is not None)
    left = max(window_start, Month.of(first)).first_day
    ax.axvspan(
        date_number(month.first_day),
        date_number(month.next.first_day),
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
            [date_number(p.finished_at) for p in marks if p.finished_at is not None],
            [p.cycle_days or 0.0 for p in marks],
            s=90,
            color=waste_colour(waste),
            edgecolors="white",
            linewidths=1.2,
            label=waste_label(waste),
            zorder=3,
        )
        collection.set_gid(gid)
        titles[gid] = [cycle_title(p, unit) for p in marks if p.finished_at is not None]
    ax.set_xlim(date_number(left), date_number(month.next.first_day))
    ax.xaxis_date()
    top = max(p.cycle_days or 0 for p in finished)
    ax.set_ylim(0, max(1.0, top * 1.18))
    month_ticks(ax.xaxis)
    local_numbers(ax.yaxis)
    ax.set_xlabel(_("Date finished"))
    ax.set_ylabel(per_unit(unit, _("Cycle time (days)"), _("Cycle time (working days)")))
    percentile_lines(ax, pct, unit)
    _handles, labels = ax.get_legend_handles_labels()
    figure.legend(loc="outside lower center", ncols=legend_columns(labels, 5))
    description = ngettext(
        "Cycle time of %(num)d finished improvement; %(percentiles)s.",
        "Cycle time of %(num)d finished improvements; %(percentiles)s.",
        len(finished),
        percentiles=percentile_summary(pct, unit),
    )
    return Chart(figure=figure, description=description, titles=titles)


# --------------------------------------------------------------------------------------
# 2. Throughput per month
# --------------------------------------------------------------------------------------


def throughput_chart(months: Sequence[MonthThroughput]) -> Chart:
    """Improvements finished per month, stacked adopted / not adopted: both are learning."""
    totals = [m.total for m in months]
    if not any(totals):
        return message_chart(_("No improvements finished in these twelve months yet."))
    shown = list(months[first_busy(totals) :])
    figure = new_figure()
    ax = figure.add_subplot()
    x = list(range(len(shown)))
    adopted = [m.adopted for m in shown]
    not_adopted = [m.not_adopted for m in shown]
    reopened = [m.reopened for m in shown]
    ax.bar(x, adopted, color=ADOPTED, label=Outcome.ADOPTED.label, width=0.65)
    ax.bar(
        x, not_adopted, bottom=adopted, color=NOT_ADOPTED, label=Outcome.NOT_ADOPTED.label,
        width=0.65,
    )  # fmt: skip
    if any(reopened):
        base = [a + n for a, n in zip(adopted, not_adopted, strict=True)]
        ax.bar(x, reopened, bottom=base, color=REOPENED, label=_("Reopened since"), width=0.65)
    label_totals(ax, [m.total for m in shown])
    month_axis(ax, [m.month for m in shown])
    ax.set_ylim(0, max(m.total for m in shown) * 1.2 + 0.5)
    ax.set_ylabel(_("Improvements finished"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    per_month = ", ".join(
        _(
            "%(month)s %(adopted)s adopted and %(not_adopted)s not adopted",
            month=month_name(m.month.first_day, short=True),
            adopted=m.adopted,
            not_adopted=m.not_adopted,
        )
        for m in shown
    )
    description = _("Improvements finished per month: %(months)s", months=per_month)
    return Chart(figure=figure, description=description)


# --------------------------------------------------------------------------------------
# 3. Observations per month and the Pareto of wastes
# --------------------------------------------------------------------------------------


def observations_chart(months: Sequence[MonthWasteCounts]) -> Chart:
    """Observations reported per month, stacked by waste: more reports, more seen early."""
    totals = [m.total for m in months]
    if not any(totals):
        return message_chart(
            _("No observations reported in these twelve months yet. The first one is the hardest.")
        )
    shown = list(months[first_busy(totals) :])
    figure = new_figure()
    ax = figure.add_subplot()
    x = list(range(len(shown)))
    bottom = [0] * len(shown)
    for waste in Waste:
        values = [m.counts.get(waste, 0) for m in shown]
        if not any(values):
            continue
        ax.bar(x, values, bottom=bottom, color=waste.info.colour, label=waste.label, width=0.65)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    label_totals(ax, bottom)
    month_axis(ax, [m.month for m in shown])
    ax.set_ylim(0, max(bottom) * 1.15 + 0.5)
    ax.set_ylabel(_("Observations reported"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), reverse=True)
    per_month = ", ".join(
        f"{month_name(m.month.first_day, short=True)} {number(m.total)}" for m in shown
    )
    description = _("Observations reported per month: %(months)s", months=per_month)
    return Chart(figure=figure, description=description)


def _pareto_panel(ax: Axes, bars: Sequence[ParetoBar], xlabel: str, empty: str) -> None:
    """Bars biggest first, each labelled with its own share; the running share is a line of
    its own, read on the percentage axis along the top."""
    if not bars:
        ax.set_axis_off()
        ax.text(0.5, 0.5, empty, ha="center", va="center", color=INK_SOFT, wrap=True)
        return
    y = list(range(len(bars)))[::-1]  # biggest at the top
    total = sum(b.value for b in bars)
    ax.barh(y, [b.value for b in bars], color=[b.waste.info.colour for b in bars], height=0.65)
    ax.set_yticks(y, [b.waste.label for b in bars])
    biggest = max(b.value for b in bars)
    for position, bar in zip(y, bars, strict=True):
        ax.annotate(
            f"{number(bar.value)}  ({percent(bar.value / total)})",
            (bar.value, position),
            xytext=(5, 0),
            textcoords="offset points",
            va="center",
            fontsize=12,
            bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )
    ax.set_xlim(0, biggest * 1.45)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    local_numbers(ax.xaxis)
    running = ax.twiny()
    running.plot(
        [b.cumulative_percent for b in bars],
        y,
        color=INK_SOFT,
        linewidth=1.4,
        linestyle=(0, (4, 2)),
        marker="o",
        markersize=4,
        clip_on=False,
    )
    # The line runs behind the bars and their labels, which stay readable where it crosses.
    running.set_zorder(ax.get_zorder() - 1)
    ax.patch.set_visible(False)
    running.set_xlim(0, 100)
    running.set_xticks([0, 50, 80, 100], [percent(share) for share in (0, 0.5, 0.8, 1)])
    running.set_xlabel(_("Running share of all (line)"), color=INK_SOFT)
    running.grid(False)
    running.spines["top"].set_visible(True)


def pareto_chart(pareto: Pareto, month_label: str) -> Chart:
    """The month's wastes biggest first, by reports and by minutes lost: each bar with its
    own share, the running share as a line."""
    if not pareto.by_count:
        return message_chart(_("No observations reported in %(month)s yet.", month=month_label))
    figure = new_figure(height=5.2)
    by_count, by_minutes = figure.subplots(1, 2)
    _pareto_panel(by_count, pareto.by_count, _("Reports (own share)"), "")
    _pareto_panel(
        by_minutes,
        pareto.by_minutes,
        _("Minutes lost (own share)"),
        _("No minutes lost were recorded with these reports."),
    )
    wastes = ", ".join(f"{b.waste.label} {number(b.value)}" for b in pareto.by_count)
    description = _(
        "Wastes reported in %(month)s, most first: %(wastes)s", month=month_label, wastes=wastes
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
        return message_chart(_("No cards on the board in this period yet."))
    figure = new_figure()
    ax = figure.add_subplot()
    # One more point a day later, so a single day still has a width.
    x = [date_number(d.day) for d in days]
    x.append(date_number(days[-1].day + timedelta(days=1)))
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
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda value, _position: short_day(mdates.num2date(value).date()))
        )
    else:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(LocalDateFormatter(locator))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    local_numbers(ax.yaxis)
    ax.set_ylabel(_("Cards"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), reverse=True)
    last = days[-1]
    counts = ", ".join(f"{c.label} {number(last.counts.get(c, 0))}" for c in BoardColumn)
    description = _(
        "Cumulative flow from %(first)s to %(last)s; on the last day %(counts)s",
        first=day(days[0].day),
        last=day(last.day),
        counts=counts,
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


def aging_chart(cards: Sequence[CardFlow], pct: Percentiles, unit: str = DAYS) -> Chart:
    """Open started cards by column and age, against the 50th and 85th cycle-time percentiles."""
    if not cards:
        return message_chart(_("No cards in progress right now."))
    # Every card here has started, so it has an age.
    ages = {card.id: card.age_days or 0.0 for card in cards}
    figure = new_figure()
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
            color=[waste_colour(c.waste) for c in in_column],
            edgecolors=[INK if c.blocked else "white" for c in in_column],
            linewidths=[2.5 if c.blocked else 1.2 for c in in_column],
            zorder=3,
        )
        collection.set_gid(gid)
        titles[gid] = [aging_title(c, ages[c.id], unit) for c in in_column]
    ax.set_xticks(range(len(shown_columns)), [c.label for c in shown_columns])
    ax.set_xlim(-0.6, len(shown_columns) - 0.4)
    ax.grid(axis="x", visible=False)
    local_numbers(ax.yaxis)
    ax.set_ylabel(
        per_unit(unit, _("Age (days since started)"), _("Age (working days since started)"))
    )
    limited = Percentiles(count=pct.count, p50=pct.p50, p85=pct.p85, p95=None)
    percentile_lines(
        ax,
        limited,
        unit,
        label=lambda percents, value: _(
            "%(percent)s%% finished\nwithin %(value)s", percent=percents, value=value
        ),
    )
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
            label=_("Blocked"),
        ),
    ]
    if pct.p85 is not None:
        older = _("Older than %(share)s of finished cards took", share=percent(0.85))
        handles.append(Patch(color=RISK, label=older))
    figure.legend(handles=handles, loc="outside lower center", ncols=2)
    description = ngettext(
        "%(num)d card in progress; the oldest has been going for %(duration)s",
        "%(num)d cards in progress; the oldest has been going for %(duration)s",
        len(cards),
        duration=days_text(oldest, unit),
    )
    return Chart(figure=figure, description=description, titles=titles)


# --------------------------------------------------------------------------------------
# 6. Before / after each countermeasure
# --------------------------------------------------------------------------------------


# A chart of every countermeasure of a busy month would be metres tall and slow to draw;
# it shows the ones with the most reports before, and the table under it lists them all.
BEFORE_AFTER_ROWS = 20


def _most_reported(items: Sequence[BeforeAfter]) -> list[BeforeAfter]:
    """The `BEFORE_AFTER_ROWS` countermeasures with the most reports before, in their order."""
    if len(items) <= BEFORE_AFTER_ROWS:
        return list(items)
    ranked = sorted(items, key=lambda i: (-i.before_count, i.finished_at, i.id))
    kept = {i.id for i in ranked[:BEFORE_AFTER_ROWS]}
    return [i for i in items if i.id in kept]


def before_after_chart(items: Sequence[BeforeAfter], month_label: str) -> Chart:
    """Related reports per week before and after each countermeasure reached Done (at most
    `BEFORE_AFTER_ROWS`: those with the most reports before)."""
    if not items:
        return message_chart(
            _(
                "No improvements finished in %(month)s, so there is nothing to compare yet.",
                month=month_label,
            )
        )
    everyone = len(items)
    items = _most_reported(items)
    figure = new_figure(height=max(3.2, 1.6 + 0.55 * len(items)))
    ax = figure.add_subplot()
    y = list(range(len(items)))[::-1]
    befores = [i.before_per_week for i in items]
    afters = [i.after_per_week for i in items]
    # One collection for every before-to-after line: one SVG path each, drawn in one go.
    ax.add_collection(
        LineCollection(
            [
                [(item.before_per_week, position), (item.after_per_week, position)]
                for position, item in zip(y, items, strict=True)
                if item.after_per_week is not None
            ],
            colors=LINE,
            linewidths=4,
            zorder=1,
        )
    )
    before_marks = ax.scatter(
        befores,
        y,
        s=130,
        facecolors="white",
        edgecolors=INK_SOFT,
        linewidths=2.2,
        label=_("Before (8 weeks)"),
        zorder=3,
    )
    before_marks.set_gid("before")
    known = [(p, a) for p, a in zip(y, afters, strict=True) if a is not None]
    titles = {
        "before": [
            ngettext(
                "%(title)s — before: %(num)d report in 8 weeks (%(rate)s a week)",
                "%(title)s — before: %(num)d reports in 8 weeks (%(rate)s a week)",
                i.before_count,
                title=i.title,
                rate=fixed(i.before_per_week, 2),
            )
            for i in items
        ]
    }
    if known:
        after_marks = ax.scatter(
            [a for _, a in known],
            [p for p, _ in known],
            s=130,
            color=ADOPTED,
            label=_("After (since Done)"),
            zorder=4,
        )
        after_marks.set_gid("after")
        titles["after"] = [
            ngettext(
                "%(title)s — after: %(num)d report in %(weeks)s weeks (%(rate)s a week)",
                "%(title)s — after: %(num)d reports in %(weeks)s weeks (%(rate)s a week)",
                i.after_count,
                title=i.title,
                weeks=fixed(i.after_weeks),
                rate=fixed(i.after_per_week, 2),
            )
            for i in items
            if i.after_per_week is not None
        ]
    for position, item in zip(y, items, strict=True):
        if item.after_per_week is None:
            ax.annotate(
                _("too early for an after"),
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
    local_numbers(ax.xaxis)
    xlabel = _("Related reports per week")
    description = ngettext(
        "Related reports per week before and after %(num)d countermeasure.",
        "Related reports per week before and after %(num)d countermeasures.",
        len(items),
    )
    if everyone > len(items):
        counts = {"shown": len(items), "all": everyone}
        xlabel = _(
            "Related reports per week\n"
            "The %(shown)s with the most reports before; the table lists all %(all)s.",
            **counts,
        )
        description = _(
            "Related reports per week before and after the %(shown)s of %(all)s "
            "countermeasures with the most reports before (the table lists them all).",
            **counts,
        )
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
    return Chart(figure=figure, description=description, titles=titles)
