"""The monthly report for a German reader: German headings and words, German numbers (a
decimal comma, "%" after a space), and charts drawn in German (docs/languages.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from babel.dates import format_date
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from kaizen.demo import load_demo_plant
from kaizen.models import utcnow
from kaizen.services.months import Month
from tests.browser.conftest import SCREENSHOT_DIR

CHART_COUNT = 7
DESKTOP = {"width": 1280, "height": 800}
# A duration on the page: a decimal comma, then the unit ("26,2 Tage", "1,0 Tag").
GERMAN_DAYS = re.compile(r"^\d+,\d Tage?$")
# Babel writes German percentages with a no-break space: "27 %".
GERMAN_PERCENT = re.compile(r"\d\u00a0%")


@pytest.fixture
def demo_month(session: Session) -> Month:
    """Load the demo plant and give its last full month."""
    now = utcnow()
    load_demo_plant(session, now=now)
    session.commit()
    return Month.of(now).previous


@pytest.fixture
def german_page(browser: Browser) -> Iterator[Page]:
    """A desktop browser whose language is German (its Accept-Language: no account, no
    device choice), so the report is chosen by the browser alone."""
    context = browser.new_context(viewport=DESKTOP, locale="de-DE")
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


def _chart_text(page: Page, name: str, month: Month) -> str:
    """The words of one chart's SVG, fetched by the browser as the page's image is."""
    return page.evaluate(
        """async (url) => {
            const svg = new DOMParser().parseFromString(
                await (await fetch(url)).text(), "image/svg+xml");
            return [...svg.querySelectorAll("text, title")].map(t => t.textContent).join(" | ");
        }""",
        f"/reports/charts/{name}.svg?month={month.code}",
    )


def test_a_german_reader_reads_the_monthly_report_in_german(
    german_page: Page, live_server: str, demo_month: Month
) -> None:
    page = german_page
    month_name = format_date(demo_month.first_day, "LLLL yyyy", locale="de")
    page.goto(f"{live_server}/reports/monthly/{demo_month.code}")
    expect(page.locator('html[lang="de"]')).to_be_attached()

    # Headings in German, the month named in German.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Verbesserungsbericht — {month_name}"
    )
    expect(page.locator("#finished-heading")).to_have_text(f"Abgeschlossen im {month_name}")
    expect(page.locator("#heading-cycle-time")).to_have_text("Zykluszeit je Verbesserung")
    pareto_heading = "Welche Verschwendung wir am häufigsten sahen"
    expect(page.locator("#heading-pareto")).to_have_text(pareto_heading)
    expect(page.get_by_role("button", name="Anzeigen")).to_be_visible()

    # Durations with a decimal comma and a German unit.
    for label in ("Zykluszeit, Median", "Zykluszeit, 85. Perzentil"):
        stat = page.locator(".stat").filter(has=page.get_by_role("heading", name=label))
        expect(stat.locator(".stat-number")).to_have_text(GERMAN_DAYS)
    cells = page.locator("#finished td").all_inner_texts()
    assert any(re.fullmatch(r"\d+,\d", cell) for cell in cells), cells
    assert not any(re.fullmatch(r"\d+\.\d", cell) for cell in cells), cells

    # Every chart arrives and is drawn; its alternative text and caption are German.
    charts = page.locator("img.chart")
    expect(charts).to_have_count(CHART_COUNT)
    page.wait_for_function(
        "[...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=60_000,
    )
    for alt in charts.evaluate_all("imgs => imgs.map(i => i.alt)"):
        assert alt.endswith(
            f", {month_name}. Die Zahlen stehen in der Tabelle unter dem Diagramm."
        ), alt
    expect(page.locator("#chart-cycle-time .chart-explanation")).to_contain_text(
        "Jeder Punkt ist eine abgeschlossene Verbesserung"
    )

    # The charts' own words and numbers: German labels, decimal commas, "27 %".
    cycle = _chart_text(page, "cycle-time", demo_month)
    assert "Zykluszeit (Tage)" in cycle
    assert re.search(r"\d+\u00a0%: \d+,\d Tage", cycle), cycle
    pareto = _chart_text(page, "pareto", demo_month)
    assert GERMAN_PERCENT.search(pareto), pareto
    assert "Meldungen (eigener Anteil)" in pareto

    # Nothing of the page's own words is left in English (card titles are the plant's).
    body = page.locator("main").inner_text()
    for english in ("Every figure comes from", "Show the numbers", "Download CSV", "Finished in"):
        assert english not in body
    assert "days" not in page.locator(".report-stats").inner_text()

    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / "report-de-desktop.png"), full_page=True)
