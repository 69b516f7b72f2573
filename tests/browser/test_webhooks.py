"""Webhooks in a real browser: an admin registers one, sends a test, and sees it delivered."""

from __future__ import annotations

import hashlib
import hmac

from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from kaizen.models import Role
from kaizen.services.webhook_delivery import deliver_due
from tests.browser.conftest import PageSignIn
from tests.browser.test_admin import PHONE, _fits, _shoot
from tests.factories import make_user
from tests.test_webhooks import Receiver


def test_an_admin_registers_a_webhook_and_its_test_is_delivered_signed(
    page: Page, browser: Browser, live_server: str, session: Session, sign_in, screenshot
) -> None:
    admin = make_user(session, username="ada", display_name="Ada", role=Role.ADMIN)
    session.commit()
    receiver = Receiver()
    try:
        sign_in(admin)
        page.goto(live_server + "/admin")
        page.get_by_role("link", name="Webhooks").click()
        page.get_by_label("Name").fill("Quality chat")
        page.get_by_label("Address").fill(receiver.url)
        page.get_by_label("A card reaches Done").check()
        page.get_by_label("An observation is reported").check()
        page.get_by_role("button", name="Register webhook").click()
        secret = page.locator("#webhook-secret").inner_text().strip()
        assert secret.startswith("whsec_")
        _fits(page)
        screenshot("admin-webhooks-tablet")

        page.get_by_role("link", name="Quality chat").click()
        page.get_by_role("button", name="Send a test").click()
        expect(page.get_by_text("A test delivery is queued")).to_be_visible()
        assert deliver_due(session, "Kaizen-Webhooks/test").delivered == 1
        page.reload()
        expect(page.get_by_role("cell", name="Delivered")).to_be_visible()
        [request] = receiver.received
        expected = hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["X-Kaizen-Signature"] == f"sha256={expected}"
        page.get_by_text(str(1), exact=True).first.click()  # opens the delivery's body
        _fits(page)
        screenshot("admin-webhook-tablet")

        phone = browser.new_context(**PHONE).new_page()
        try:
            PageSignIn(phone, live_server)("ada")
            for address, name in [
                ("/admin/webhooks", "admin-webhooks-phone"),
                (page.url.removeprefix(live_server), "admin-webhook-phone"),
            ]:
                phone.goto(live_server + address)
                _fits(phone)
                _shoot(phone, name)
        finally:
            phone.context.close()
    finally:
        receiver.close()
