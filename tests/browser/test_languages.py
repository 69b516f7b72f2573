"""A multilingual shop floor: a kiosk switches to Polish with one tap and reports, and the
entry form fits a tablet in every shipped language (docs/languages.md)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen.demo import load_demo_plant
from kaizen.devices.mode import KIOSK_COOKIE
from kaizen.models import Observation, Role, utcnow
from kaizen.services.devices import bind_kiosk
from kaizen.services.languages import CODES
from tests.browser.conftest import SCREENSHOT_DIR
from tests.factories import make_area, make_team, make_user


@pytest.fixture
def kiosk_page(page: Page, live_server: str, session: Session) -> Page:
    """The tablet at press-3, bound as that area's kiosk."""
    team = make_team(session, name="Stamping", slug="stamping")
    area = make_area(session, name="Press line 3", slug="press-3", team=team)
    make_area(session, name="Coil store", slug="coil-store", team=team)
    lead = make_user(session, role=Role.LEAD, team=team)
    session.commit()
    kiosk = bind_kiosk(session, area.id, "Press tablet", lead)
    session.commit()
    host = urlsplit(live_server).hostname or "127.0.0.1"
    page.context.add_cookies(
        [{"name": KIOSK_COOKIE, "value": kiosk.secret, "domain": host, "path": "/"}]
    )
    return page


def test_a_kiosk_switches_to_polish_with_one_tap_and_reports(
    kiosk_page: Page, live_server: str, session: Session
) -> None:
    page = kiosk_page
    page.goto(live_server + "/observe")
    expect(page.get_by_role("heading", name="Report a waste")).to_be_visible()

    page.get_by_role("button", name="Polski").tap()

    expect(page.get_by_role("heading", name="Zgłoś marnotrawstwo")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "pl"
    expect(page.get_by_role("button", name="Polski")).to_have_attribute("aria-current", "true")
    page.get_by_role("radio", name=re.compile("^Oczekiwanie")).tap()
    page.get_by_label("Co widać?").fill("Kręgi czekały 20 minut na wózek widłowy.")
    page.get_by_role("button", name="Zgłoś", exact=True).tap()

    expect(page.get_by_text("Dziękujemy")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Zgłoś marnotrawstwo")).to_be_visible()
    session.expire_all()
    stored = session.scalars(select(Observation)).one()
    assert stored.waste.value == "waiting" and stored.reporter_id is None
    assert stored.area.slug == "press-3"


@pytest.mark.parametrize("code", CODES)
def test_the_entry_form_fits_a_tablet_in_every_language(
    kiosk_page: Page, live_server: str, screenshot, code: str
) -> None:
    page = kiosk_page
    page.goto(live_server + "/observe")
    if code != "en":
        page.locator(f'.language-choice[value="{code}"]').tap()
    expect(page.locator(f'html[lang="{code}"]')).to_be_attached()

    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    # No label is cut short: every name, hint and button shows its whole text.
    cut = page.evaluate(
        """[...document.querySelectorAll(
              '.waste-name, .waste-hint, .chip span, .language-choice, .observe-submit, legend')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())"""
    )
    assert cut == []
    screenshot(f"observe-kiosk-{code}-tablet")


@pytest.mark.parametrize("code", CODES)
def test_the_board_fits_a_tablet_in_every_language(
    browser: Browser, live_server: str, session: Session, code: str
) -> None:
    load_demo_plant(session, now=utcnow())
    session.commit()
    # The browser's language is the reader's here: no account, no device choice.
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale=code)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(live_server + "/board/assembly")
    expect(page.locator(f'html[lang="{code}"]')).to_be_attached()
    expect(page.locator(".column-header").first).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    # Column names, counts, card buttons and flags show their whole text (a flag cut short
    # on purpose, with "…", keeps its whole text in its title).
    cut = page.evaluate(
        """[...document.querySelectorAll(
              '.column-header span, .card-moves button, .card .flag, .waste-tag, .lane-actions a')]
            .filter(e => e.scrollWidth > e.clientWidth + 1)
            .filter(e => getComputedStyle(e).textOverflow !== 'ellipsis')
            .map(e => e.textContent.trim())"""
    )
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"board-{code}-tablet.png"), full_page=True)
    assert cut == []
    context.close()
