"""An admin sets the plant's time zone in the browser; the observation list follows it."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from kaizen.models import Role
from tests.browser.conftest import PageSignIn
from tests.factories import make_observation, make_user


def test_an_admin_sets_the_plant_time_zone_and_times_follow_it(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, screenshot
) -> None:
    make_user(session, username="ines", display_name="Ines", role=Role.ADMIN)
    make_observation(
        session, observed_at=datetime(2026, 2, 28, 15, 30), description="Pallet blocks aisle 3."
    )
    session.commit()
    sign_in("ines")

    page.goto(live_server + "/settings/plant")
    field = page.get_by_label("Time zone")
    expect(field).to_have_value("UTC")
    field.fill("Mars/Olympus")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("'Mars/Olympus' is not a time zone")).to_be_visible()
    page.get_by_label("Time zone").fill("Asia/Tokyo")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("The plant's time zone is now Asia/Tokyo.")).to_be_visible()
    expect(page.get_by_text("JST")).to_be_visible()
    screenshot("plant-settings-tablet")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("plant-settings-phone")

    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(live_server + "/observations?month=2026-03")
    expect(page.get_by_text("Pallet blocks aisle 3.")).to_be_visible()
    expect(page.get_by_text("01 Mar 2026, 00:30")).to_be_visible()
    screenshot("observations-plant-time-tablet")
