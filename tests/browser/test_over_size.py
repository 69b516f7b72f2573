"""A report whose body is over even the entry form's ceiling: the htmx form stays, with
everything typed, and says why in the server's own words (kaizen.js reads the error)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import kaizen.observations.views
from kaizen.models import Observation
from tests.browser.test_observe import jpeg
from tests.factories import make_area, make_team

SENTENCE = "Coils waited 20 minutes at press 3 for the forklift."


def test_a_body_over_the_ceiling_is_explained_in_the_form_and_the_text_kept(
    page: Page,
    live_server: str,
    app: Flask,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    screenshot,
) -> None:
    make_area(session, name="Press line 3", slug="press-3", team=make_team(session))
    session.commit()
    # The real limits (12 MB for any body, 32 MB for the entry form) scaled down, so a small
    # photo is over both; the 10 MB photo check of the browser and of the form never see it.
    app.config["MAX_CONTENT_LENGTH"] = 200_000
    monkeypatch.setattr(kaizen.observations.views, "UPLOAD_CEILING", 400_000)
    photo = jpeg(1200, 900)
    assert len(photo) > 400_000

    page.goto(live_server + "/observe?area=press-3")
    page.get_by_role("radio", name=re.compile("^Waiting")).tap()
    page.get_by_label("What did you see?").fill(SENTENCE)
    page.locator("[data-photo-input]").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    page.get_by_role("button", name="Report").tap()

    note = page.locator("[data-send-error]")
    expect(note).to_contain_text("That upload is too large: photos can be at most 10 MB.")
    expect(note).to_contain_text("Your text is still here.")
    expect(page.get_by_label("What did you see?")).to_have_value(SENTENCE)
    assert session.scalar(select(func.count(Observation.id))) == 0
    screenshot("observe-too-large-tablet")
