"""A report made while the tablet's network is down waits on the tablet and is stored once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy.orm import Session

from tests.browser.test_observe import SENTENCE, THANKS, jpeg, press, reports  # noqa: F401 (press: a fixture)

MOTION = "Walked to the far rack for gloves twice an hour."
WAITING_ONE = "1 report waiting — it will be sent when the network is back."
WAITING_TWO = "2 reports waiting — they will be sent when the network is back."


def open_entry_form_ready_for_offline(page: Page, live_server: str) -> None:
    """Open press-3's form online and wait until the tablet keeps a copy of it."""
    page.goto(live_server + "/observe?area=press-3")
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "true", timeout=15000)


def report(page: Page, waste: str, sentence: str, photo: bytes | None = None) -> None:
    """Tap a waste, say what was seen, maybe add a photo, tap Report."""
    page.get_by_role("radio", name=re.compile(f"^{waste}")).tap()
    page.get_by_label("What did you see?").fill(sentence)
    if photo is not None:
        page.locator("[data-photo-input]").set_input_files(
            {"name": "forklift.jpg", "mimeType": "image/jpeg", "buffer": photo}
        )
    page.get_by_role("button", name="Report").tap()


@pytest.mark.usefixtures("press")
def test_reports_made_offline_wait_survive_a_reload_and_are_stored_once_back_online(
    page: Page, context: BrowserContext, live_server: str, session: Session
) -> None:
    open_entry_form_ready_for_offline(page, live_server)
    context.set_offline(True)

    report(page, "Waiting", SENTENCE)
    expect(page.locator("#offline-queue")).to_have_text(WAITING_ONE)
    # The form is ready for the next report, the area still chosen.
    expect(page.get_by_label("What did you see?")).to_have_value("")
    expect(page.locator("input[name='area'][value='press-3']")).to_be_checked()

    report(page, "Motion", MOTION, photo=jpeg())
    expect(page.locator("#offline-queue")).to_have_text(WAITING_TWO)
    assert reports(session) == []

    page.reload()  # still offline: the tablet's copy of the form opens
    expect(page.get_by_role("heading", name="Report a waste")).to_be_visible()
    expect(page.locator("#offline-queue")).to_have_text(WAITING_TWO)

    context.set_offline(False)
    expect(page.locator("#offline-queue")).to_have_text(
        re.compile("2 waiting reports were sent"), timeout=15000
    )
    stored = sorted(reports(session), key=lambda o: o.description)
    assert [o.description for o in stored] == sorted([SENTENCE, MOTION])
    assert sorted(o.has_photo for o in stored) == [False, True]
    assert {o.area.slug for o in stored} == {"press-3"}

    page.reload()  # nothing is sent again
    expect(page.locator("#offline-queue")).to_be_hidden()
    assert len(reports(session)) == 2


@pytest.mark.usefixtures("press")
# A service worker that takes the page over passes its requests by the test's route, so the
# dropped answer would sometimes arrive after all: this test is about the page alone.
@pytest.mark.browser_context_args(service_workers="block")
def test_a_submit_without_an_answer_waits_and_is_sent_when_the_server_answers(
    page: Page, live_server: str, session: Session
) -> None:
    page.goto(live_server + "/observe?area=press-3")

    def drop(route) -> None:  # the request leaves, no answer ever comes back
        if route.request.method == "POST":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/observe*", drop)
    report(page, "Waiting", SENTENCE)
    expect(page.locator("#offline-queue")).to_have_text(WAITING_ONE)
    expect(page.get_by_text("We could not reach the server.")).to_be_hidden()

    page.unroute("**/observe*")
    expect(page.locator("#offline-queue")).to_have_text(
        re.compile("Your waiting report was sent"), timeout=15000
    )
    assert [o.description for o in reports(session)] == [SENTENCE]


@pytest.mark.usefixtures("press")
def test_an_offline_report_without_a_sentence_asks_for_it_before_waiting(
    page: Page, context: BrowserContext, live_server: str, session: Session
) -> None:
    page.goto(live_server + "/observe?area=press-3")
    context.set_offline(True)

    page.get_by_role("radio", name=re.compile("^Waiting")).tap()
    page.get_by_role("button", name="Report").tap()

    expect(page.get_by_text("please give what you saw")).to_be_visible()
    expect(page.locator("#offline-queue")).to_be_hidden()
    context.set_offline(False)


@pytest.mark.usefixtures("press")
def test_the_same_submit_sent_20_times_stores_one_report(
    page: Page, live_server: str, session: Session
) -> None:
    page.goto(live_server + "/observe?area=press-3")
    page.get_by_role("radio", name=re.compile("^Waiting")).tap()
    page.get_by_label("What did you see?").fill(SENTENCE)

    statuses = page.evaluate(
        """async () => {
            const form = document.getElementById("observe-form");
            const body = new FormData(form);
            const send = () => fetch(form.action, {
                method: "POST", body, headers: {"HX-Request": "true"}, credentials: "same-origin",
            }).then(r => r.status);
            return Promise.all(Array.from({length: 20}, send));
        }"""
    )

    assert statuses == [200] * 20
    assert [o.description for o in reports(session)] == [SENTENCE]
    page.reload()
    expect(page.get_by_text(THANKS)).to_be_hidden()
