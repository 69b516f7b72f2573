"""The monthly report in a real browser: every chart loads, and it fits a tablet and a TV."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from kaizen.demo import load_demo_plant
from kaizen.models import utcnow
from kaizen.services.months import Month
from tests.browser.conftest import SCREENSHOT_DIR

CHART_COUNT = 7


@pytest.fixture
def demo_month(session: Session) -> str:
    """Load the demo plant and give its last full month, as YYYY-MM."""
    now = utcnow()
    load_demo_plant(session, now=now)
    session.commit()
    return Month.of(now).previous.code


def _open_report(page: Page, live_server: str, month: str) -> None:
    page.goto(f"{live_server}/reports/monthly/{month}")
    charts = page.locator("img.chart")
    expect(charts).to_have_count(CHART_COUNT)
    # Wait until every chart image has arrived and decoded.
    page.wait_for_function(
        "[...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=30_000,
    )


def test_the_monthly_report_of_a_demo_month_shows_every_chart(
    page: Page, live_server: str, demo_month: str, screenshot
) -> None:
    _open_report(page, live_server, demo_month)

    expect(page.get_by_role("heading", name="Improvement report")).to_be_visible()
    expect(page.get_by_text("Observations reported").first).to_be_visible()
    widths = page.eval_on_selector_all("img.chart", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == CHART_COUNT
    assert all(width > 0 for width in widths)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    screenshot("report-monthly-tablet")


def test_the_numbers_behind_a_chart_open_with_a_tap(
    page: Page, live_server: str, demo_month: str
) -> None:
    _open_report(page, live_server, demo_month)
    panel = page.locator("#chart-throughput")
    panel.get_by_text("Show the numbers").tap()

    expect(panel.get_by_role("columnheader", name="Not adopted")).to_be_visible()


def test_the_team_filter_carries_into_the_previous_month_link(
    page: Page, live_server: str, demo_month: str
) -> None:
    _open_report(page, live_server, demo_month)
    page.get_by_label("Team").select_option(index=1)
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()

    assert "team=" in (page.locator("a[rel=prev]").get_attribute("href") or "")
    team_charts = page.locator("img.chart")
    expect(team_charts).not_to_have_count(0)
    assert all("team=" in (src or "") for src in team_charts.evaluate_all("a => a.map(i => i.src)"))


def test_the_report_fits_a_plant_tv(browser: Browser, live_server: str, demo_month: str) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    tv = context.new_page()
    try:
        _open_report(tv, live_server, demo_month)
        assert tv.evaluate("document.documentElement.scrollWidth") <= 1920
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        tv.screenshot(path=str(SCREENSHOT_DIR / "report-monthly-tv.png"), full_page=False)
    finally:
        context.close()


def test_the_report_fits_a_phone_without_sideways_scrolling(
    browser: Browser, live_server: str, demo_month: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    phone = context.new_page()
    try:
        _open_report(phone, live_server, demo_month)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_a_new_install_shows_a_friendly_report_without_charts(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/reports/monthly")

    expect(page.get_by_text("No improvements finished in").first).to_be_visible()
    expect(page.locator("img.chart")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
