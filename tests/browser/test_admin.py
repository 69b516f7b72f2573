"""Admin flows in a real browser: creating an account, resetting a password."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from kaizen.models import Role
from tests.browser.conftest import SCREENSHOT_DIR, TABLET, PageSignIn
from tests.factories import make_team, make_user

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def _shoot(page: Page, name: str) -> None:
    """A full-page screenshot of another tab (the `screenshot` fixture shoots `page`)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)


def _fits(page: Page) -> None:
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _choose_own_password(page: Page, current: str, new: str) -> None:
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    expect(page.get_by_text("choose a password of your own").first).to_be_visible()
    page.get_by_label("Current password").fill(current)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("New password again").fill(new)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    expect(page.locator(".password-notice")).to_have_count(0)


def test_an_admin_creates_a_member_who_then_signs_in(
    page: Page,
    browser: Browser,
    live_server: str,
    session: Session,
    sign_in: PageSignIn,
    screenshot,
) -> None:
    make_team(session, name="Press shop", slug="press")
    admin = make_user(session, username="ada", display_name="Ada", role=Role.ADMIN)
    session.commit()
    sign_in(admin)
    page.get_by_role("link", name="Admin").click()
    _fits(page)
    screenshot("admin-index-tablet")
    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="New account").click()
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Name people see").fill("Mia Kovač")
    page.get_by_label("Role").select_option("member")
    page.get_by_label("Team").select_option(label="Press shop")
    page.get_by_label("First password").fill("first-pass-1")
    screenshot("admin-account-new-tablet")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Account mia created.")).to_be_visible()
    expect(page.get_by_role("heading", name="Mia Kovač")).to_be_visible()
    _fits(page)
    screenshot("admin-account-tablet")
    page.get_by_role("link", name="← Accounts").click()
    expect(page.get_by_role("link", name="mia")).to_be_visible()
    screenshot("admin-accounts-tablet")

    mias_tablet = browser.new_context(**TABLET).new_page()
    try:
        PageSignIn(mias_tablet, live_server)("mia", "first-pass-1")
        _choose_own_password(mias_tablet, "first-pass-1", "mias own password")
        expect(mias_tablet.get_by_role("button", name="Sign out")).to_be_visible()
    finally:
        mias_tablet.context.close()


def test_an_admin_resets_a_password_and_the_person_is_asked_to_change_it(
    page: Page,
    browser: Browser,
    live_server: str,
    session: Session,
    sign_in: PageSignIn,
    screenshot,
) -> None:
    admin = make_user(session, username="ada", role=Role.ADMIN)
    make_user(session, username="omar", display_name="Omar", role=Role.MEMBER)
    session.commit()
    sign_in(admin)
    page.goto(live_server + "/admin/accounts")
    page.get_by_role("link", name="omar").click()
    page.get_by_label("New password").fill("temporary-42")
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_text("Password of omar reset.")).to_be_visible()

    omars_phone = browser.new_context(**PHONE).new_page()
    try:
        PageSignIn(omars_phone, live_server)("omar", "temporary-42")
        _fits(omars_phone)
        _shoot(omars_phone, "password-due-phone")
        _choose_own_password(omars_phone, "temporary-42", "omars own password")
    finally:
        omars_phone.context.close()


def test_admin_pages_fit_a_phone(browser: Browser, live_server: str, session: Session) -> None:
    from kaizen.models import TokenScope
    from kaizen.services.api_tokens import create_token
    from kaizen.services.audit import record

    admin = make_user(session, username="ada", role=Role.ADMIN)
    for n in range(3):
        make_user(session, username=f"person{n}", display_name=f"Person Number {n}")
    session.commit()
    create_token(session, admin, name="MES line 3", owner=admin, scope=TokenScope.READ)
    record(
        session,
        actor=admin,
        action="edited",
        subject_type="card",
        subject_id=1,
        summary="Edited card “Kanban square for the forklift”: title, problem",
    )
    session.commit()
    phone = browser.new_context(**PHONE).new_page()
    try:
        PageSignIn(phone, live_server)("ada")
        for address, name in [
            ("/admin", "admin-index-phone"),
            ("/admin/accounts", "admin-accounts-phone"),
            ("/admin/tokens", "admin-tokens-phone"),
            ("/admin/audit", "admin-audit-phone"),
        ]:
            phone.goto(live_server + address)
            _fits(phone)
            _shoot(phone, name)
    finally:
        phone.context.close()
