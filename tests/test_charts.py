"""The report's charts: valid, deterministic SVG for normal, single-point and empty data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest

from kaizen.models import BoardColumn, Outcome, Waste
from kaizen.services import charts
from kaizen.services.flow import (
    BeforeAfter,
    CardFlow,
    CardLog,
    Move,
    ObservationFact,
    aging_wip,
    card_flows,
    cumulative_flow,
    observations_by_month,
    percentiles,
    throughput_by_month,
    waste_pareto,
)
from kaizen.services.months import Month

SVG = "{http://www.w3.org/2000/svg}"
MARCH = Month(2026, 3)
NOW = datetime(2026, 4, 10, 12, 0)
WASTES = list(Waste)


def _flows(count: int) -> list[CardFlow]:
    """`count` cards finished in March: card n took n + 1 days from Plan to Done."""
    logs = []
    for n in range(count):
        start = datetime(2026, 3, 1, 8) + timedelta(days=n % 20)
        logs.append(
            CardLog(
                id=n + 1,
                title=f"Card {n + 1}",
                moves=(
                    Move(start - timedelta(days=1), None, BoardColumn.IDEAS),
                    Move(start, BoardColumn.IDEAS, BoardColumn.PLAN),
                    Move(start + timedelta(days=n + 1), BoardColumn.PLAN, BoardColumn.DONE),
                ),
                column=BoardColumn.DONE,
                waste=WASTES[n % len(WASTES)],
                outcome=Outcome.ADOPTED if n % 3 else Outcome.NOT_ADOPTED,
            )
        )
    return card_flows(logs, NOW)


def _open_flows(count: int, blocked: bool = True) -> list[CardFlow]:
    logs = [
        CardLog(
            id=n + 1,
            title=f"Open card {n + 1}",
            moves=(
                Move(datetime(2026, 3, 1), None, BoardColumn.IDEAS),
                Move(datetime(2026, 3, 2 + n), BoardColumn.IDEAS, BoardColumn.DO),
            ),
            column=BoardColumn.DO,
            blocked=blocked and n == 0,
        )
        for n in range(count)
    ]
    return card_flows(logs, NOW)


def _facts(count: int) -> list[ObservationFact]:
    return [
        ObservationFact(n + 1, datetime(2026, 3, 2) + timedelta(hours=7 * n), WASTES[n % 8], 1, n)
        for n in range(count)
    ]


def cycle(count: int) -> charts.Chart:
    flows = _flows(count)
    pct = percentiles([f.cycle_days for f in flows if f.cycle_days is not None])
    return charts.cycle_time_chart(flows, pct, MARCH, MARCH.ending(12)[0])


def throughput(count: int) -> charts.Chart:
    return charts.throughput_chart(throughput_by_month(_flows(count), MARCH.ending(12)))


def observations(count: int) -> charts.Chart:
    return charts.observations_chart(observations_by_month(_facts(count), MARCH.ending(12)))


def pareto(count: int) -> charts.Chart:
    return charts.pareto_chart(waste_pareto(_facts(count)), "March 2026")


def flow(count: int) -> charts.Chart:
    logs = [
        CardLog(
            id=n + 1,
            title=f"Card {n + 1}",
            moves=(Move(datetime(2026, 3, 1 + n), None, BoardColumn.IDEAS),),
            column=BoardColumn.IDEAS,
        )
        for n in range(count)
    ]
    # One card gives a single day; none gives no days at all.
    last_day = date(2026, 3, 1) if count == 1 else date(2026, 3, 31)
    return charts.flow_chart(cumulative_flow(logs, date(2026, 3, 1), last_day) if count else [])


def aging(count: int) -> charts.Chart:
    finished = _flows(5)
    pct = percentiles([f.cycle_days for f in finished if f.cycle_days is not None])
    return charts.aging_chart(aging_wip(_open_flows(count)), pct)


def before_after(count: int) -> charts.Chart:
    items = [
        BeforeAfter(
            id=n + 1,
            title=f"Countermeasure {n + 1}",
            finished_at=datetime(2026, 3, 2 + n),
            before_count=4,
            before_per_week=0.5,
            after_count=n,
            after_weeks=4.0 if n else 0.5,
            after_per_week=n / 4 if n else None,
        )
        for n in range(count)
    ]
    return charts.before_after_chart(items, "March 2026")


CHARTS: dict[str, Callable[[int], charts.Chart]] = {
    "cycle-time": cycle,
    "throughput": throughput,
    "observations": observations,
    "pareto": pareto,
    "flow": flow,
    "aging": aging,
    "before-after": before_after,
}


def parse(svg: bytes) -> ET.Element:
    """The SVG's root element, failing the test if it is not well-formed SVG."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def titles(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}title")]


@pytest.mark.parametrize("name", CHARTS)
@pytest.mark.parametrize("count", [12, 1, 0], ids=["normal", "single", "empty"])
def test_every_chart_renders_valid_svg(name: str, count: int) -> None:
    root = parse(charts.render(CHARTS[name](count)))
    assert root.get("role") == "img"
    assert titles(root)[0]  # the SVG says what it shows
    assert texts(root)  # never a blank picture: there is always something to read


@pytest.mark.parametrize("name", CHARTS)
def test_an_empty_chart_draws_a_friendly_message_instead_of_an_axis(name: str) -> None:
    root = parse(charts.render(CHARTS[name](0)))
    words = " ".join(texts(root))
    assert words.startswith("No ")
    assert not [g for g in root.iter(f"{SVG}g") if g.get("id", "").startswith("axes_")]


@pytest.mark.parametrize("name", CHARTS)
def test_the_same_chart_renders_to_the_same_bytes(name: str) -> None:
    assert charts.render(CHARTS[name](12)) == charts.render(CHARTS[name](12))


def test_the_svg_carries_no_date() -> None:
    svg = charts.render(cycle(5)).decode()
    assert "<dc:date>" not in svg
    assert str(date.today().year) not in svg.split("<title>")[0]


def test_the_percentile_lines_are_labelled_with_their_values() -> None:
    # Cycle times 1..20 days: nearest-rank 50th = 10, 85th = 17, 95th = 19.
    labels = texts(parse(charts.render(cycle(20))))
    assert "50%: 10.0 days" in labels
    assert "85%: 17.0 days" in labels
    assert "95%: 19.0 days" in labels


def test_equal_percentiles_share_one_label() -> None:
    labels = texts(parse(charts.render(cycle(1))))
    assert "50/85/95%: 1.0 days" in labels


def marked_titles(root: ET.Element, prefix: str) -> list[str]:
    """The titles that sit beside a drawn mark (a `<use>` or `<path>`) in groups `prefix*`."""
    found = []
    for group in root.iter(f"{SVG}g"):
        if not group.get("id", "").startswith(prefix):
            continue
        for wrapper in group.iter(f"{SVG}g"):
            children = list(wrapper)
            if (
                len(children) == 2
                and children[0].tag == f"{SVG}title"
                and children[1].tag in (f"{SVG}use", f"{SVG}path")
            ):
                found.append(children[0].text or "")
    return found


def test_each_dot_of_the_cycle_time_chart_names_its_card() -> None:
    root = parse(charts.render(cycle(3)))
    marks = marked_titles(root, "cycle-")
    assert sorted(m.split(" — ")[0] for m in marks) == ["Card 1", "Card 2", "Card 3"]
    assert "Card 2 — 2.0 days, finished 4 Mar 2026" in marks


@pytest.mark.parametrize("count", [2, 9, 27, 60])
def test_every_dot_of_the_cycle_time_chart_has_its_own_title_when_wastes_repeat(
    count: int,
) -> None:
    # Eight wastes: from nine cards on, several dots share one scatter (one SVG group).
    marks = marked_titles(parse(charts.render(cycle(count))), "cycle-")
    assert sorted(m.split(" — ")[0] for m in marks) == sorted(f"Card {n + 1}" for n in range(count))


def test_each_dot_of_the_aging_chart_names_its_card_and_says_if_it_is_blocked() -> None:
    marks = marked_titles(parse(charts.render(aging(2))), "aging-")
    assert len(marks) == 2
    assert any(m.endswith("(blocked)") for m in marks)


@pytest.mark.parametrize("blocked", [True, False], ids=["one-blocked", "none-blocked"])
@pytest.mark.parametrize("count", [5, 27])
def test_every_dot_of_the_aging_chart_has_its_own_title(count: int, blocked: bool) -> None:
    finished = _flows(5)
    pct = percentiles([f.cycle_days for f in finished if f.cycle_days is not None])
    cards = aging_wip(_open_flows(count, blocked=blocked))
    marks = marked_titles(parse(charts.render(charts.aging_chart(cards, pct))), "aging-")
    assert sorted(m.split(" — ")[0] for m in marks) == sorted(
        f"Open card {n + 1}" for n in range(count)
    )


@pytest.mark.parametrize("count", [1, 6, charts.BEFORE_AFTER_ROWS])
def test_every_dot_of_the_before_after_chart_has_its_own_title(count: int) -> None:
    root = parse(charts.render(before_after(count)))
    befores = marked_titles(root, "before")
    afters = marked_titles(root, "after")
    assert all(" — before: " in m for m in befores)
    assert all(" — after: " in m for m in afters)
    assert len(befores) == count
    assert len(afters) == count - 1  # the first countermeasure is too early for an after


def test_a_busy_month_shows_the_countermeasures_with_the_most_reports_before() -> None:
    items = [
        BeforeAfter(
            id=n + 1,
            title=f"Countermeasure {n + 1}",
            finished_at=datetime(2026, 3, 1) + timedelta(hours=n),
            before_count=n % 40,
            before_per_week=(n % 40) / 8,
            after_count=1,
            after_weeks=4.0,
            after_per_week=0.25,
        )
        for n in range(120)
    ]
    root = parse(charts.render(charts.before_after_chart(items, "March 2026")))
    befores = marked_titles(root, "before")
    assert len(befores) == charts.BEFORE_AFTER_ROWS
    # Reports before run 0-39 three times over: the 20 biggest are the three 34-39s and, of
    # the three 33s, the two that finished first.
    shown = {int(m.split(" — ")[0].removeprefix("Countermeasure ")) for m in befores}
    assert shown == {34, 74} | set(range(35, 41)) | set(range(75, 81)) | set(range(115, 121))
    assert "the table lists all 120" in " ".join(texts(root))


def test_pareto_bars_carry_their_own_share_and_the_running_share_is_a_line() -> None:
    chart = charts.pareto_chart(waste_pareto(_facts(12)), "March 2026")
    words = " ".join(texts(parse(charts.render(chart))))
    bars = chart.figure.axes[0].patches
    total = sum(bar.get_width() for bar in bars)
    for bar in bars:
        assert f"{bar.get_width():.0f}  ({100 * bar.get_width() / total:.0f}%)" in words
    assert "Running share of all (line)" in words


def test_working_days_are_named_on_the_axis() -> None:
    flows = _flows(3)
    pct = percentiles([f.cycle_days for f in flows if f.cycle_days is not None])
    chart = charts.cycle_time_chart(flows, pct, MARCH, MARCH, unit="working days")
    assert "Cycle time (working days)" in texts(parse(charts.render(chart)))


def test_a_chart_can_be_drawn_as_png() -> None:
    png = charts.render(throughput(4), "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_titles_that_do_not_match_the_marks_are_refused_rather_than_dropped() -> None:
    chart = cycle(3)
    gid = next(iter(chart.titles))
    chart.titles[gid] = [*chart.titles[gid], "A dot that was never drawn"]
    with pytest.raises(ValueError, match="marks"):
        charts.render(chart)
