"""Every screen Kaizen is used on: the TV at the stand-up, the phone in a pocket, the tablet.

The demo plant is the data: what a plant sees on its first day. Pages are checked at the
three sizes they are used at: a 390x844 phone, a 1024x768 tablet and a 1920x1080 TV.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen.demo import load_demo_plant
from kaizen.models import BoardColumn, Improvement, RootCause, User, utcnow
from kaizen.services.months import Month
from tests.browser.conftest import SCREENSHOT_DIR
from tests.factories import make_improvement, make_team

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
TV = {"width": 1920, "height": 1080}
SIZES = {"phone": PHONE, "tablet": TABLET, "tv": TV}
DEMO_PASSWORD = "kaizen-demo"


@pytest.fixture
def demo(session: Session) -> dict[str, Any]:
    """The demo plant, and the addresses of one of each kind of page in it."""
    now = utcnow()
    load_demo_plant(session, now=now)
    session.commit()
    card = session.scalars(select(Improvement).order_by(Improvement.id)).first()
    root_cause = session.scalars(select(RootCause).order_by(RootCause.id)).first()
    account = session.scalars(select(User).where(User.username == "kenji")).one()
    assert card is not None and root_cause is not None
    return {
        "month": Month.of(now).previous.code,
        "card": card.id,
        "root_cause": root_cause.id,
        "account": account.id,
    }


def pages(demo: dict[str, Any]) -> list[str]:
    """Every page a person reaches, as the demo plant's admin sees it."""
    return [
        "/",
        "/observe",
        "/observe?area=press-line-1",
        "/observations",
        "/board",
        "/board/assembly",
        "/board/assembly?display=tv",
        f"/improvements/{demo['card']}",
        "/improvements/new",
        "/root-causes",
        f"/root-causes/{demo['root_cause']}",
        "/root-causes/new",
        f"/reports/monthly/{demo['month']}",
        "/learning",
        "/learning?page=2",
        "/teams",
        "/teams/new",
        "/teams/assembly/settings",
        "/teams/assembly/edit",
        "/areas",
        "/areas/new",
        "/areas/press-line-1/edit",
        "/areas/qr",
        "/areas/press-line-1/qr",
        "/kiosks",
        "/kiosks/new",
        "/display-links",
        "/settings/plant",
        "/import",
        "/account/password",
        "/admin",
        "/admin/accounts",
        "/admin/accounts/new",
        f"/admin/accounts/{demo['account']}",
        "/admin/tokens",
        "/admin/audit",
    ]


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Any]:
    """Open browser contexts of a given size (touch unless a TV); all closed afterwards."""
    opened: list[BrowserContext] = []

    def open_context(size: dict[str, int], **extra: Any) -> BrowserContext:
        context = browser.new_context(
            viewport=size, has_touch=size is not TV, bypass_csp=True, **extra
        )
        # The demo plant's report builds seven charts on its first request: on a busy
        # machine that takes longer than Playwright's default 30 seconds.
        context.set_default_timeout(60_000)
        context.set_default_navigation_timeout(120_000)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


def sign_in(page: Page, live_server: str, username: str = "admin") -> None:
    """Sign in through the form as a demo account."""
    page.goto(live_server + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_attached()


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")));
        }"""
    )
    return list(found)


def shot(page: Page, name: str, full_page: bool = True) -> None:
    """A screenshot under the screenshot folder (docs/screenshots when asked)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=full_page)


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_passes_axe_and_never_scrolls_sideways(
    new_context: Any, live_server: str, demo: dict[str, Any], size: str
) -> None:
    viewport = SIZES[size]
    page = new_context(viewport).new_page()
    problems = []
    # The sign-in page first (signed in, it sends you home), then every page as the admin.
    for path in ["/login", *pages(demo)]:
        if path != "/login" and page.url.endswith("/login"):
            sign_in(page, live_server)
        answer = page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        if answer is None or answer.status != 200:
            problems.append(f"{path}: answered {answer and answer.status}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"]:
            problems.append(f"{path}: {width} px wide at {viewport['width']}")
        problems += [f"{path}: {v}" for v in serious_violations(page)]
    assert problems == []


def tv_fits(page: Page, height: int) -> dict[str, Any]:
    """How the TV board sits on its screen: page height, cards out of bounds, counts, sizes."""
    return page.evaluate(
        """(height) => {
            const out = [];
            const columns = [];
            for (const column of document.querySelectorAll("#board .column")) {
                const list = column.querySelector(".cards").getBoundingClientRect();
                const cards = [...column.querySelectorAll(".card")];
                const shown = cards.filter(c => !c.hidden);
                for (const card of shown) {
                    const box = card.getBoundingClientRect();
                    if (box.bottom > list.bottom + 1 || box.bottom > height) out.push(card.id);
                }
                const more = column.querySelector(".tv-more");
                const moreText = more && !more.hidden ? more.textContent.trim() : "";
                columns.push({
                    name: column.dataset.column,
                    total: cards.length + Number(more.dataset.more),
                    shown: shown.length,
                    more: moreText ? Number(moreText.match(/\\d+/)[0]) : 0,
                    moreBottom: more && !more.hidden ? more.getBoundingClientRect().bottom : 0,
                    first: shown.length ? shown[0].id : null,
                });
            }
            const size = sel => {
                const el = document.querySelector(sel);
                return el ? parseFloat(getComputedStyle(el).fontSize) : null;
            };
            return {
                scrollHeight: document.documentElement.scrollHeight,
                scrollWidth: document.documentElement.scrollWidth,
                outside: out,
                columns,
                title: size("#board .card h4"),
                blocked: size("#board .card-flags .flag-blocked"),
                noRoot: size("#board .card-flags .flag-no-root"),
                aging: size("#board .card-flags .flag-warn"),
            };
        }""",
        height,
    )


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_the_demo_plants_fullest_board_fits_a_tv_and_reads_from_three_metres(
    new_context: Any, live_server: str, demo: dict[str, Any], width: int, height: int
) -> None:
    page = new_context({"width": width, "height": height}).new_page()
    scale = height / 1080
    fullest = 0
    # Every team's board: assembly's was too tall, logistics holds the fullest column (6 ideas).
    teams = [("assembly", "Assembly"), ("logistics", "Logistics"), ("press-shop", "Press shop")]
    for team, name in teams:
        page.goto(live_server + f"/board/{team}?display=tv")
        expect(page.get_by_role("heading", name=f"{name} board")).to_be_visible()

        fit = tv_fits(page, height)

        assert fit["scrollHeight"] <= height and fit["scrollWidth"] <= width, team
        assert fit["outside"] == [], team
        for column in fit["columns"]:  # every card is shown or counted in "+N more"
            assert column["shown"] + column["more"] == column["total"], (team, column)
            assert column["moreBottom"] <= height, (team, column)
            fullest = max(fullest, column["total"])
        assert fit["title"] >= 28 * scale, team
        for tag in ("blocked", "noRoot", "aging"):
            assert fit[tag] is None or fit[tag] >= 28 * scale, (team, tag)
    assert fullest >= 6  # the demo plant's fullest column was among them


def test_a_column_of_30_cards_shows_the_most_urgent_and_how_many_more(
    new_context: Any, live_server: str, session: Session
) -> None:
    team = make_team(session, name="Press shop", slug="press-shop")
    now = utcnow()
    for n in range(30):
        make_improvement(
            session,
            team=team,
            title=f"Card {n:02d}: a long title that needs two lines on a television screen",
            board_column=BoardColumn.DO,
            position=n,
            created_at=now - (n + 1) * (now - now.replace(year=now.year - 1)) / 60,
            blocked=n == 3,
            blocked_reason="Waiting for the die from the tool room" if n == 3 else None,
        )
    session.commit()
    page = new_context(TV).new_page()
    page.goto(live_server + "/board/press-shop?display=tv")

    fit = tv_fits(page, 1080)

    do = next(c for c in fit["columns"] if c["name"] == "do")
    assert fit["scrollHeight"] <= 1080 and fit["outside"] == []
    assert do["shown"] >= 3 and do["shown"] + do["more"] == 30
    expect(page.locator(f"#column-{team.id}-do .tv-more")).to_have_text(f"+{do['more']} more")
    # Blocked first, then the oldest.
    first_cards = page.locator(f"#column-{team.id}-do .card:not([hidden]) h4").all_inner_texts()
    assert first_cards[0].startswith("Card 03")
    assert first_cards[1].startswith("Card 29") and first_cards[2].startswith("Card 28")


def test_a_tv_wall_turns_to_the_next_teams_board(
    new_context: Any, live_server: str, session: Session
) -> None:
    make_team(session, name="Assembly", slug="assembly")
    make_team(session, name="Press shop", slug="press-shop")
    session.commit()
    page = new_context(TV).new_page()

    page.goto(live_server + "/board?display=tv&rotate=5")
    expect(page.get_by_role("heading", name="Assembly board")).to_be_visible()
    expect(page.get_by_role("heading", name="Press shop board")).to_be_visible(timeout=10000)
    assert "rotate=5" in page.url
    expect(page.get_by_role("heading", name="Assembly board")).to_be_visible(timeout=10000)


def test_the_phone_menu_reaches_every_link(
    new_context: Any, live_server: str, demo: dict[str, Any]
) -> None:
    page = new_context(PHONE).new_page()
    sign_in(page, live_server)
    page.goto(live_server + "/observe")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()

    menu = page.get_by_role("button", name="Menu")
    menu.tap()

    expect(menu).to_have_attribute("aria-expanded", "true")
    names = ["Home", "Report waste", "Observations", "Board", "Five whys", "Reports", "Learning"]
    # Every link the admin has, the account's own (Password, Admin) too.
    links = nav.get_by_role("link").all()
    assert [link.inner_text() for link in links] == [*names, "Password", "Admin"]
    for link in links:
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        assert box is not None and box["height"] >= 48 and box["x"] + box["width"] <= 390
    shot(page, "demo-menu-phone", full_page=False)
    page.keyboard.press("Escape")  # Escape closes it
    expect(nav).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.tap()
    nav.get_by_role("link", name="Learning", exact=True).tap()
    expect(page.get_by_role("heading", name=re.compile("Learning", re.I)).first).to_be_visible()


def small_targets(page: Page, selector: str) -> list[str]:
    """The visible controls matching `selector` that are less than 48 px tall or wide."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter(el => el.getClientRects().length)
            .filter(el => getComputedStyle(el).visibility !== "hidden")
            .map(el => [el, el.getBoundingClientRect()])
            .filter(([el, box]) => box.height < 47.5 || box.width < 47.5)
            .map(([el, box]) => el.tagName + "." + el.className + " "
                + JSON.stringify(el.textContent.trim().slice(0, 30))
                + " " + Math.round(box.width) + "x" + Math.round(box.height))""",
        selector,
    )


ENTRY_TARGETS = (
    "#observe-form .waste-tile, #observe-form .area-tile, #observe-form .chip,"
    " #observe-form summary, #observe-form .photo-button, #observe-form textarea,"
    " #observe-form input[type=number], #observe-form button, #observe-form .field-check"
)
BOARD_TARGETS = (
    "#board .button, #board button, #board .card-handle, #board .column-more a,"
    " .site-header a, .site-header button"
)


@pytest.mark.parametrize("size", ["phone", "tablet"])
def test_touch_targets_on_the_entry_form_and_the_board_are_at_least_48_px(
    new_context: Any, live_server: str, demo: dict[str, Any], size: str
) -> None:
    page = new_context(SIZES[size]).new_page()
    page.goto(live_server + "/observe?area=press-line-1")
    page.locator("#observe-form summary").tap()  # the other areas too
    assert small_targets(page, ENTRY_TARGETS) == []

    sign_in(page, live_server, "kenji")  # a lead: move buttons, New idea, WIP limits
    page.goto(live_server + "/board/assembly")
    expect(page.locator("#board button[name=move]").first).to_be_visible()
    assert small_targets(page, BOARD_TARGETS) == []


def test_the_phone_reaches_report_without_scrolling_once_a_waste_and_a_sentence_are_given(
    new_context: Any, live_server: str, demo: dict[str, Any]
) -> None:
    page = new_context(PHONE).new_page()
    page.goto(live_server + "/observe?area=press-line-1")
    page.get_by_role("radio", name=re.compile("^Waiting")).tap()
    page.get_by_label("What did you see?").fill("Coils waited for the forklift.")

    report = page.get_by_role("button", name="Report")
    expect(report).to_be_in_viewport()
    report.tap()
    expect(page.get_by_text("Thank you — every report helps us improve.")).to_be_visible()


@pytest.mark.parametrize("size", list(SIZES))
def test_screenshots_of_the_pages_at_the_sizes_they_are_used_at(
    new_context: Any, live_server: str, demo: dict[str, Any], size: str
) -> None:
    page = new_context(SIZES[size]).new_page()
    sign_in(page, live_server, "kenji")
    page.goto(live_server + "/observe?area=assembly-line-1")
    page.get_by_role("radio", name=re.compile("^Waiting")).click()
    page.get_by_label("What did you see?").fill("Kits waited 15 minutes for the tugger.")
    # A phone shows what is on its screen: the Report button within reach.
    shot(page, f"demo-observe-{size}", full_page=size != "phone")
    page.goto(live_server + "/board/assembly" + ("?display=tv" if size == "tv" else ""))
    shot(page, f"demo-board-{size}", full_page=size != "tv")
    page.goto(f"{live_server}/reports/monthly/{demo['month']}")
    page.wait_for_function(
        "[...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=120_000,
    )
    shot(page, f"demo-report-monthly-{size}")
    page.goto(live_server + "/learning")
    shot(page, f"demo-learning-hub-{size}")
