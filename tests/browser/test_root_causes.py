"""A team starts a five whys from a card on the tablet and follows it to the root cause."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from kaizen.models import Role
from tests.browser.conftest import PageSignIn
from tests.factories import make_area, make_improvement, make_team, make_user


def test_five_whys_from_a_card_reaches_the_card_and_the_board(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, screenshot
) -> None:
    team = make_team(session, name="Press shop", slug="press-shop")
    area = make_area(session, team=team, name="Press line 2", slug="press-line-2")
    card = make_improvement(
        session,
        team=team,
        area=area,
        title="Die trolley parking spot",
        problem="Press 2 waits for the next die at every changeover",
    )
    make_user(session, username="mia", display_name="Mia", role=Role.MEMBER)
    session.commit()
    sign_in("mia")

    page.goto(f"{live_server}/improvements/{card.id}")
    page.get_by_role("link", name="Start a five whys").click()
    expect(page.get_by_label("Problem statement")).to_have_value(
        "Press 2 waits for the next die at every changeover"
    )
    page.get_by_label("Why?").fill("Why does the press wait for the die?")
    page.get_by_label("Because ...").fill("The die is fetched only after the press stops.")
    page.get_by_role("button", name="Start the five whys").click()

    answers = [
        ("Why is it fetched only then?", "Nobody knows the next die until the order changes."),
        ("Why is the next die unknown?", "The schedule is not shown at the press."),
        ("Why is it not shown?", "The planning board sits in the office."),
        ("Why in the office?", "The layout predates the current cells."),
    ]
    for number, (why, because) in enumerate(answers, start=2):
        ladder = page.locator("#why-ladder")
        ladder.locator("#new-why").fill(why)
        ladder.locator("#new-because").fill(because)
        ladder.get_by_role("button", name="Add this step").click()
        expect(page.locator("#why-ladder .rung")).to_have_count(number)
    expect(page.get_by_text("Most chains need")).to_have_count(0)

    page.get_by_label("Root cause (in the process)").fill(
        "The changeover schedule is not visible at the press."
    )
    page.get_by_label("Root-cause category").select_option(label="Method")
    page.get_by_label("Countermeasure", exact=True).fill(
        "Next-die board at each press, updated by planning."
    )
    page.get_by_label("Status").select_option(label="Countermeasure chosen")
    page.get_by_role("button", name="Save root cause").click()
    expect(page.locator("#rc-conclusion").get_by_text("Saved.")).to_be_visible()
    expect(page.locator("#rc-status-chip")).to_have_text("Countermeasure chosen")
    screenshot("five-whys-tablet")

    page.goto(f"{live_server}/improvements/{card.id}")
    expect(page.get_by_text("The changeover schedule is not visible at the press.")).to_be_visible()

    page.goto(f"{live_server}/board/press-shop")
    board_card = page.locator(f"li#card-{card.id}")
    expect(board_card).to_be_visible()
    expect(board_card.get_by_text("No root cause yet")).to_have_count(0)
