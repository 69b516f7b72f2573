"""Scene 1: a worker reports a waste at a tablet on the line, in a few taps."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen.models import Observation, Role, Waste
from kaizen.services.observations import create_observation
from kaizen.services.photos import process_photo
from tests.browser.conftest import PageSignIn
from tests.factories import make_area, make_team, make_user

THANKS = "Thank you — every report helps us improve."
SENTENCE = "Coils waited 20 minutes at press 3 for the forklift."


def jpeg(width: int = 1200, height: int = 900) -> bytes:
    """A photo-like JPEG (noise, so it is not trivially small)."""
    out = io.BytesIO()
    Image.effect_noise((width, height), 40).convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def twelve_mb_jpeg() -> bytes:
    """A real JPEG padded to 12 MB: over the 10 MB photo limit."""
    small = jpeg(400, 300)
    return small + b"\0" * (12 * 1024 * 1024 - len(small))


def start_report(page: Page, live_server: str, waste: str = "Waiting") -> None:
    """Open press-3's form, tap a waste and say what was seen."""
    page.goto(live_server + "/observe?area=press-3")
    page.get_by_role("radio", name=re.compile(f"^{waste}")).tap()
    page.get_by_label("What did you see?").fill(SENTENCE)


@pytest.fixture
def press(session: Session):
    """Two areas of the Stamping team; the QR code points at 'Press line 3'."""
    team = make_team(session, name="Stamping", slug="stamping")
    area = make_area(session, name="Press line 3", slug="press-3", team=team)
    make_area(session, name="Coil store", slug="coil-store", team=team)
    make_area(session, name="Paint shop", slug="paint-shop", team=make_team(session, name="Paint"))
    session.commit()
    return area


def reports(session: Session) -> list[Observation]:
    """Every stored report, as the database has it now."""
    session.expire_all()
    return list(session.scalars(select(Observation)).all())


def test_a_worker_reports_from_a_qr_address_with_a_photo(
    page: Page, live_server: str, session: Session, press, screenshot
) -> None:
    page.goto(live_server + "/observe?area=press-3")

    expect(page.locator(".area-chip")).to_have_text(re.compile("Press line 3"))
    page.get_by_role("radio", name=re.compile("^Waiting")).tap()
    page.get_by_label("What did you see?").fill(SENTENCE)
    page.locator("[data-photo-input]").set_input_files(
        {"name": "press.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    expect(page.locator("[data-photo-preview]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    screenshot("observe-tablet")
    page.get_by_role("button", name="Report").tap()

    expect(page.get_by_text(THANKS)).to_be_visible()
    expect(page.get_by_label("What did you see?")).to_have_value("")
    expect(page.locator(".area-chip")).to_have_text(re.compile("Press line 3"))
    expect(page.locator("[data-photo-preview]")).to_be_hidden()
    screenshot("observe-thanks-tablet")
    (report,) = reports(session)
    assert report.waste is Waste.WAITING
    assert report.area.slug == "press-3"
    assert report.description == SENTENCE
    assert report.photo_type == "image/jpeg"
    assert report.reporter_id is None


def test_the_form_looks_right_on_a_tablet(page: Page, live_server: str, press, screenshot) -> None:
    page.goto(live_server + "/observe?area=press-3")

    # Eight wastes and five 'how often' chips; the area pickers wait behind "Change area".
    expect(page.get_by_role("radio")).to_have_count(8 + 5)
    page.get_by_text("Change area").tap()
    expect(page.get_by_role("radio")).to_have_count(8 + 5 + 3)
    page.get_by_text("Change area").tap()
    for box in page.locator(".waste-tile-body, .chip span, .observe-submit").all():
        assert box.bounding_box()["height"] >= 48
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    path = screenshot("observe-tablet-empty")
    assert path.stat().st_size > 10_000


def test_a_signed_in_worker_reports_without_their_name(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, press
) -> None:
    make_user(session, username="aiko", display_name="Aiko Tanaka")
    session.commit()
    sign_in("aiko")

    page.goto(live_server + "/observe?area=press-3")
    anonymous = page.get_by_label("Report without my name")
    expect(anonymous).not_to_be_checked()
    anonymous.tap()
    page.get_by_role("radio", name=re.compile("^Motion")).tap()
    page.get_by_label("What did you see?").fill("Walking to the far rack for every die change.")
    page.get_by_role("button", name="Report").tap()

    expect(page.get_by_text(THANKS)).to_be_visible()
    (report,) = reports(session)
    assert report.reporter_id is None


def test_a_renamed_text_file_is_refused_and_the_text_kept(
    page: Page, live_server: str, session: Session, press, screenshot
) -> None:
    start_report(page, live_server, "Defects")
    page.get_by_label("Minutes lost").fill("20")
    page.locator("[data-photo-input]").set_input_files(
        {
            "name": "photo.jpg",
            "mimeType": "image/jpeg",
            "buffer": b"shift notes, not a photo\n" * 40,
        }
    )
    page.get_by_role("button", name="Report").tap()

    expect(page.locator("#photo-error")).to_have_text(
        "This file is not a photo we can use. Please choose a JPEG, PNG or WebP picture."
    )
    expect(page.get_by_label("What did you see?")).to_have_value(SENTENCE)
    expect(page.get_by_label("Minutes lost")).to_have_value("20")
    expect(page.get_by_role("radio", name=re.compile("^Defects"))).to_be_checked()
    assert reports(session) == []
    screenshot("observe-photo-refused-tablet")

    # Choosing a real photo then goes through.
    page.locator("[data-photo-input]").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": jpeg(400, 300)}
    )
    page.get_by_role("button", name="Report").tap()
    expect(page.get_by_text(THANKS)).to_be_visible()
    assert len(reports(session)) == 1


def test_a_12_mb_image_is_refused_and_the_text_kept(
    page: Page, live_server: str, session: Session, press
) -> None:
    start_report(page, live_server)

    page.locator("[data-photo-input]").set_input_files(
        {"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": twelve_mb_jpeg()}
    )

    expect(page.get_by_text("Photos can be at most 10 MB.")).to_be_visible()
    expect(page.get_by_label("What did you see?")).to_have_value(SENTENCE)
    assert page.locator("[data-photo-input]").evaluate("input => input.files.length") == 0
    assert reports(session) == []


def test_a_12_mb_image_that_reaches_the_server_is_refused_beside_the_field(
    page: Page, live_server: str, session: Session, press
) -> None:
    start_report(page, live_server)
    # As if the browser's own check were missing: the server must refuse it kindly too.
    page.evaluate("document.querySelector('#observe-form').dataset.maxPhotoBytes = '99999999'")
    page.locator("[data-photo-input]").set_input_files(
        {"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": twelve_mb_jpeg()}
    )
    page.get_by_role("button", name="Report").tap()

    expect(page.locator("#photo-error")).to_have_text("Photos can be at most 10 MB.")
    expect(page.get_by_label("What did you see?")).to_have_value(SENTENCE)
    assert reports(session) == []


def test_a_server_error_keeps_the_report_in_the_form(page: Page, live_server: str, press) -> None:
    start_report(page, live_server)
    page.route("**/observe*", lambda route: route.fulfill(status=500, body="boom"))

    page.get_by_role("button", name="Report").tap()

    expect(page.get_by_text("Your text is still here — please try again.")).to_be_visible()
    expect(page.get_by_label("What did you see?")).to_have_value(SENTENCE)


def test_a_missing_waste_is_explained_next_to_the_tiles(
    page: Page, live_server: str, press
) -> None:
    page.goto(live_server + "/observe")
    page.get_by_label("What did you see?").fill(SENTENCE)

    page.get_by_role("button", name="Report").tap()

    expect(page.locator("#waste-error")).to_have_text("Tap the kind of waste you saw.")
    expect(page.locator("#area-error")).to_have_text("Choose the area where you saw it.")
    expect(page.get_by_label("What did you see?")).to_have_value(SENTENCE)


def test_the_report_appears_in_the_list_with_its_thumbnail(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, press, screenshot
) -> None:
    make_user(session, username="lead", display_name="Lena Lead", role=Role.MEMBER)
    create_observation(
        session,
        area=press,
        waste=Waste.WAITING,
        description=SENTENCE,
        minutes_lost=20,
        photo=process_photo(jpeg(1600, 1200)),
    )
    create_observation(
        session, area=press, waste=Waste.MOTION, description="Walking to the far rack."
    )
    session.commit()
    sign_in("lead")

    page.goto(live_server + "/observations")

    row = page.locator(".obs-row", has_text=SENTENCE)
    expect(row).to_be_visible()
    expect(row.get_by_text("Anonymous")).to_be_visible()
    thumb = row.locator("img")
    expect(thumb).to_have_attribute("loading", "lazy")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    screenshot("observations-tablet")

    page.get_by_label("Waste").select_option("motion")
    expect(page.locator(".obs-row")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"waste=motion"))


def test_searching_the_list_narrows_it_as_one_types_at_tablet_and_phone_sizes(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, press, screenshot
) -> None:
    make_user(session, username="vera", display_name="Vera Viewer", role=Role.VIEWER)
    create_observation(session, area=press, waste=Waste.WAITING, description=SENTENCE)
    create_observation(
        session, area=press, waste=Waste.WAITING, description="The press waits for coils again."
    )
    create_observation(
        session, area=press, waste=Waste.MOTION, description="Walking to the far rack."
    )
    session.commit()
    sign_in("vera")
    page.goto(live_server + "/observations")

    page.get_by_label("Search the reports").press_sequentially("waiting coil")

    expect(page.locator(".obs-row")).to_have_count(2)
    expect(page.get_by_text("2 reports · best match first")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=waiting(%20|\+)coil"))
    expect(page.get_by_role("link", name=re.compile("as CSV"))).to_have_attribute(
        "href", re.compile(r"export\.csv\?q=waiting")
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    screenshot("observations-search-tablet")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_label("Search the reports")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("observations-search-phone")


def test_a_member_turns_a_report_into_an_improvement(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, press
) -> None:
    make_user(session, username="mo", display_name="Mo Member", role=Role.MEMBER)
    create_observation(session, area=press, waste=Waste.WAITING, description=SENTENCE)
    session.commit()
    sign_in("mo")
    page.goto(live_server + "/observations")

    page.get_by_text("Act on this report").tap()
    page.get_by_role("button", name="Turn into an improvement").tap()

    expect(page.get_by_text("New improvement card on the board")).to_be_visible()
    (report,) = reports(session)
    assert [card.title for card in report.improvements] == [SENTENCE]


def test_opening_a_report_fetches_its_link_pickers(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, press
) -> None:
    from kaizen.models import RootCause

    make_user(session, username="mo", display_name="Mo Member", role=Role.MEMBER)
    create_observation(session, area=press, waste=Waste.WAITING, description=SENTENCE)
    session.add(RootCause(problem="Coils wait for the crane"))
    session.commit()
    sign_in("mo")
    page.goto(live_server + "/observations")
    expect(page.get_by_label("Link to a five-whys record")).to_have_count(0)

    page.get_by_text("Act on this report").tap()

    picker = page.get_by_label("Link to a five-whys record")
    expect(picker).to_be_visible()
    page.get_by_role("button", name="Link to this record").tap()
    expect(page.get_by_text("Report linked to the five-whys record.")).to_be_visible()


def test_the_qr_page_prints_a_code_for_the_area(
    page: Page, app: Flask, live_server: str, press, screenshot
) -> None:
    app.config["PUBLIC_BASE_URL"] = "https://kaizen.plant.example"

    page.goto(live_server + "/areas/press-3/qr")

    expect(page.get_by_role("heading", name="Press line 3", exact=True)).to_be_visible()
    expect(page.get_by_text("https://kaizen.plant.example/observe?area=press-3")).to_be_visible()
    box = page.locator("svg.qr-code").bounding_box()
    assert box is not None and 200 <= box["width"] <= 240  # 6 cm at 96 px per inch
    screenshot("qr-area-tablet")

    page.goto(live_server + "/areas/qr")
    expect(page.locator(".qr-card")).to_have_count(3)
    screenshot("qr-sheet-tablet")


@pytest.mark.parametrize("size", [(390, 844), (1920, 1080)])
def test_the_pages_fit_a_phone_and_a_tv_without_sideways_scrolling(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, press, size
) -> None:
    make_user(session, username="vera", role=Role.VIEWER)
    create_observation(
        session,
        area=press,
        waste=Waste.OVERPROCESSING,
        description=SENTENCE,
        photo=process_photo(jpeg(400, 300)),
    )
    session.commit()
    sign_in("vera")
    width, height = size
    page.set_viewport_size({"width": width, "height": height})

    for path in ("/observe?area=press-3", "/observe", "/observations", "/areas/qr"):
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
