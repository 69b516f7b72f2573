"""Chromium reports no Content-Security-Policy violation, and no console error, while a
person uses the main pages of the demo plant: sign in, home, report a waste, the board and a
move, a card, five whys, the monthly report with its charts and the learning hub."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, Response, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kaizen.demo import DEMO_PASSWORD, load_demo_plant
from kaizen.models import Area, BoardColumn, ColumnLimit, Improvement, RootCause, Team, utcnow
from kaizen.services.months import Month

# Runs in every page before its own scripts: a violation is recorded even on a page that
# navigates away at once.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const text = `${event.violatedDirective} blocked ${event.blockedURI || "inline"}`;
  window.__violations.push(text);
  console.error("CSP violation: " + text);
});
"""


@pytest.fixture
def problems(page: Page) -> Iterator[list[str]]:
    """Console errors and CSP violations seen on this page, whatever page it shows."""
    seen: list[str] = []

    def note(message: ConsoleMessage) -> None:
        # A failed load is judged by its address below (the browser's own favicon.ico
        # request finds no icon, which is no fault of the page).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            seen.append(f"{page.url}: {message.text}")

    def failed(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            seen.append(f"{page.url}: {response.status} for {response.url}")

    page.add_init_script(LISTEN)
    page.on("console", note)
    page.on("response", failed)
    page.on("pageerror", lambda error: seen.append(f"{page.url}: {error}"))
    yield seen


@pytest.fixture
def plant(session: Session) -> Session:
    load_demo_plant(session, now=utcnow())
    session.commit()
    return session


def _movable_to_do(session: Session) -> Improvement | None:
    """The first Plan card whose team's Do column has room (the demo plant's cards depend on
    the day it is loaded, and some days a team's Do is at its limit: the move is refused)."""
    for card in session.scalars(
        select(Improvement)
        .where(Improvement.board_column == BoardColumn.PLAN)
        .order_by(Improvement.id)
    ):
        limit = session.scalar(
            select(ColumnLimit.wip_limit).where(
                ColumnLimit.team_id == card.team_id, ColumnLimit.board_column == BoardColumn.DO
            )
        )
        in_do = session.scalar(
            select(func.count())
            .select_from(Improvement)
            .where(Improvement.team_id == card.team_id, Improvement.board_column == BoardColumn.DO)
        )
        if limit is None or (in_do or 0) < limit:
            return card
    return None


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")


def test_the_main_pages_raise_no_csp_violation(
    page: Page, live_server: str, plant: Session, problems: list[str], screenshot
) -> None:
    card = _movable_to_do(plant)
    record = plant.scalar(select(RootCause).order_by(RootCause.id))
    area = plant.scalar(select(Area).order_by(Area.id))
    assert card is not None and record is not None and area is not None
    team = plant.get(Team, card.team_id)
    assert team is not None

    response = page.goto(live_server + "/login")
    assert (
        response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    )
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # The demo administrator still holds the demo password: asked to change it, not yet.
    expect(page.get_by_role("button", name="Change password")).to_be_visible()
    settle(page)
    page.get_by_role("link", name="Not now").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    settle(page)
    # The home page's bars are drawn (SVG rectangles coloured by class, not style).
    bar = page.locator('.waste-bar:not([width="0.0%"])').first
    expect(bar).to_be_visible()
    assert bar.evaluate("el => getComputedStyle(el).fill") != "rgb(0, 0, 0)"
    screenshot("csp-home-tablet")

    page.goto(f"{live_server}/observe?area={area.slug}")
    tile = page.get_by_role("radio", name=re.compile("^Waiting"))
    tile.tap()
    # The tile takes its waste's colour from the stylesheet.
    colour = page.locator(".waste-tile.w-waiting").evaluate(
        "el => getComputedStyle(el).getPropertyValue('--waste').trim()"
    )
    assert colour.lower() == "#d55e00"
    page.get_by_label("What did you see?").fill("Coils waited at the press for the forklift.")
    page.get_by_role("button", name="Report").tap()
    expect(page.get_by_text("Thank you — every report helps us improve.").first).to_be_visible()

    page.goto(f"{live_server}/board/{team.slug}")
    moved = page.locator(f"#card-{card.id}")
    # A card's top row takes its waste's colour (a class and wastes.css, not a <style>).
    if card.waste is not None:
        top = moved.evaluate("el => getComputedStyle(el).getPropertyValue('--waste-colour').trim()")
        assert top.lower() == card.waste.info.colour.lower()
    moved.get_by_role("button", name="Move to Do").click()
    expect(page.locator(f"#card-{card.id}")).to_be_visible()
    settle(page)
    screenshot("csp-board-tablet")

    page.goto(f"{live_server}/improvements/{card.id}")
    settle(page)
    page.goto(f"{live_server}/root-causes/{record.id}")
    settle(page)
    page.goto(f"{live_server}/root-causes")
    settle(page)

    page.goto(f"{live_server}/reports/monthly/{Month.of(utcnow()).previous.code}")
    page.wait_for_function(
        "[...document.querySelectorAll('img.chart')].length > 0 && "
        "[...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth > 0)"
    )
    screenshot("csp-report-tablet")

    page.goto(f"{live_server}/learning")
    page.get_by_label("Search").fill("forklift")
    settle(page)

    assert problems == []
