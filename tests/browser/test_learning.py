"""A failed experiment is finished work that teaches: it ends, reflects, and is found again."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from kaizen.models import BoardColumn, CardMove, Role
from tests.browser.conftest import PageSignIn
from tests.factories import make_improvement, make_team, make_user


def test_a_card_finished_as_not_adopted_is_reflected_on_and_found_in_the_hub(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, screenshot
) -> None:
    team = make_team(session, name="Logistics", slug="logistics")
    card = make_improvement(session, team=team, title="Second forklift for goods in")
    card.board_column = BoardColumn.CHECK
    session.add(
        CardMove(improvement=card, from_column=BoardColumn.IDEAS, to_column=BoardColumn.CHECK)
    )
    make_user(session, username="ola", display_name="Ola", role=Role.MEMBER)
    session.commit()

    sign_in("ola")

    page.goto(f"{live_server}/improvements/{card.id}")
    page.get_by_role("button", name="Finish — not adopted").click()
    expect(page.get_by_text("was not adopted — that is a result too")).to_be_visible()

    page.get_by_role("link", name="Write the reflection").click()
    page.get_by_label("What have we learnt?").fill(
        "A second truck only moved the queue: the bottleneck is the unloading dock."
    )
    page.get_by_label("What successes would we take forward?").fill("Timing the dock for a week.")
    page.get_by_label("What would we do differently next time?").fill(
        "Walk the flow with the drivers before buying anything."
    )
    page.get_by_label("Reflect without my name").check()
    page.get_by_role("button", name="Save reflection").click()
    expect(page.locator("#reflection").get_by_text("unloading dock")).to_be_visible()

    page.goto(live_server + "/learning")
    page.get_by_label("Search the answers").fill("bottleneck")
    lesson = page.locator("#lesson-list .lesson")
    expect(lesson).to_have_count(1)
    expect(lesson.get_by_text("Second forklift for goods in")).to_be_visible()
    expect(lesson.get_by_text("Not adopted")).to_be_visible()
    expect(lesson.get_by_text("Anonymous")).to_be_visible()
    screenshot("learning-hub-tablet")


def test_a_new_card_suggests_an_earlier_experiment_while_its_title_is_typed(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session
) -> None:
    from kaizen.models import Outcome, Reflection

    team = make_team(session, name="Press shop", slug="press-shop")
    earlier = make_improvement(session, team=team, title="Forklift waiting at press line 2")
    earlier.board_column = BoardColumn.DONE
    earlier.outcome = Outcome.NOT_ADOPTED
    session.add(
        CardMove(improvement=earlier, from_column=BoardColumn.IDEAS, to_column=BoardColumn.DONE)
    )
    session.add(Reflection(improvement=earlier, learnt="A second forklift moved the queue."))
    make_user(session, username="ola", display_name="Ola", role=Role.MEMBER)
    session.commit()

    sign_in("ola")
    page.goto(live_server + "/improvements/new?team=press-shop")
    expect(page.get_by_text("Tried elsewhere?")).to_have_count(0)

    page.get_by_label("Title").fill("Press line two waits for the forklifts")

    suggestions = page.locator("#tried-elsewhere")
    expect(suggestions.get_by_text("Tried elsewhere?")).to_be_visible()
    expect(suggestions.get_by_role("link", name="Forklift waiting at press line 2")).to_be_visible()
    expect(suggestions.get_by_text("Not adopted")).to_be_visible()
