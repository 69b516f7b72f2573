"""The browser harness works: Chromium opens the home page of a demo plant on a tablet."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from kaizen.demo import load_demo_plant
from kaizen.models import utcnow


def test_home_page_opens_on_a_tablet_with_the_demo_plant(
    page: Page, live_server: str, session: Session, screenshot
) -> None:
    load_demo_plant(session, now=utcnow())
    session.commit()

    page.goto(live_server + "/")

    expect(page.get_by_role("heading", name="Good to see you.")).to_be_visible()
    expect(page.get_by_text("Recently finished")).to_be_visible()
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("htmx.version") == "2.0.11"
    # Nothing on the page may be wider than the tablet: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    path = screenshot("home-tablet")
    assert path.stat().st_size > 10_000
