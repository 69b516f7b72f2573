"""Kiosk tablets and TV links, as a lead and an admin set them up in the browser."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen.models import DisplayLink, Observation, Role
from tests.browser.conftest import SCREENSHOT_DIR, PageSignIn
from tests.factories import make_area, make_improvement, make_team, make_user

TV = {"viewport": {"width": 1920, "height": 1080}}


def test_a_lead_binds_a_kiosk_and_the_tablet_reports_into_its_area(
    page: Page, live_server: str, session: Session, sign_in: PageSignIn, screenshot
) -> None:
    team = make_team(session, name="Stamping", slug="stamping")
    make_area(session, name="Press line 3", slug="press-3", team=team)
    make_area(session, name="Coil store", slug="coil-store", team=team)
    lead = make_user(session, role=Role.LEAD, team=team, display_name="Lena Lead")
    session.commit()
    sign_in(lead)

    page.goto(live_server + "/teams")
    page.get_by_role("link", name="Make this tablet a kiosk").click()
    page.get_by_label("Area this tablet stands in").select_option(label="Press line 3 (Stamping)")
    page.get_by_label("Name of this tablet (optional)").fill("Press 3 tablet")
    screenshot("kiosk-bind-tablet")
    page.get_by_role("button", name="Bind this tablet").click()

    # The tablet shows only the entry form of its area: no menu, no sign-out, no name box.
    expect(page.get_by_text("This tablet is now a kiosk.")).to_be_visible()
    expect(page.locator(".area-fixed")).to_have_text(re.compile("Press line 3"))
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.get_by_label("Report without my name")).to_have_count(0)
    expect(page.get_by_text("Reports from this kiosk carry no name.")).to_be_visible()
    screenshot("kiosk-observe-tablet")
    page.get_by_role("radio", name=re.compile("^Waiting")).tap()
    page.get_by_label("What did you see?").fill("Coils waited at the press.")
    page.get_by_role("button", name="Report").tap()
    expect(page.get_by_text("Thank you")).to_be_visible()

    # Any other address leads back to the form.
    page.goto(live_server + "/board")
    assert page.url.endswith("/observe")
    session.expire_all()
    (report,) = session.scalars(select(Observation)).all()
    assert report.area.slug == "press-3" and report.reporter_id is None


def test_the_kiosk_form_fits_a_phone(browser: Browser, live_server: str, session: Session) -> None:
    team = make_team(session, name="Stamping", slug="stamping")
    make_area(session, name="Press line 3", slug="press-3", team=team)
    lead = make_user(session, role=Role.LEAD, team=team)
    session.commit()
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    phone = context.new_page()
    PageSignIn(phone, live_server)(lead)
    phone.goto(live_server + "/kiosks/new")
    phone.get_by_role("button", name="Bind this tablet").click()

    expect(phone.locator(".area-fixed")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOT_DIR / "kiosk-observe-phone.png"), full_page=True)
    context.close()


def test_an_admin_revokes_a_tv_link_and_the_tv_stops_showing_the_board(
    page: Page,
    browser: Browser,
    live_server: str,
    session: Session,
    sign_in: PageSignIn,
    screenshot,
) -> None:
    team = make_team(session, name="Stamping", slug="stamping")
    make_improvement(session, team=team, title="Kanban square at press 3")
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    sign_in(admin)

    page.goto(live_server + "/display-links")
    page.get_by_label("Team board to show").select_option(label="Stamping")
    page.get_by_label("Name of the screen (optional)").fill("Press hall TV")
    page.get_by_role("button", name="Make the link").click()
    address = page.locator(".secret-url").inner_text()
    screenshot("display-links-tablet")

    # The TV has no account: a fresh browser context at TV size.
    tv_context = browser.new_context(**TV)
    tv = tv_context.new_page()
    tv.goto(address)
    expect(tv.get_by_text("Kanban square at press 3")).to_be_visible()
    expect(tv.locator("body.tv-mode")).to_have_count(1)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    tv.screenshot(path=str(SCREENSHOT_DIR / "display-link-tv.png"), full_page=True)

    page.get_by_role("button", name="Revoke Press hall TV").click()
    expect(page.get_by_text("TV link revoked.")).to_be_visible()
    session.expire_all()
    assert session.scalars(select(DisplayLink)).one().revoked_at is not None

    # The TV's next poll finds the link gone and the page reloads into "no longer works".
    expect(tv.get_by_text("This TV link no longer works")).to_be_visible(timeout=15_000)
    expect(tv.get_by_text("Kanban square at press 3")).to_have_count(0)
    assert tv.goto(address).status == 404  # type: ignore[union-attr]
    tv_context.close()
