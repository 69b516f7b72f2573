"""On a tablet, a member edits a card in place and blocks it, without leaving the page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from kaizen.models import (
    BoardColumn,
    CardMove,
    Role,
    RootCause,
    RootCauseCategory,
    Waste,
    WhyStep,
    utcnow,
)
from kaizen.services.improvements import create_improvement
from tests.browser.conftest import PageSignIn
from tests.factories import make_area, make_observation, make_team, make_user


def test_a_member_edits_the_title_in_place_and_blocks_the_card(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, screenshot
) -> None:
    now = utcnow().replace(second=0, microsecond=0)
    team = make_team(session, name="Press shop", slug="press-shop")
    area = make_area(session, name="Press line 2", team=team)
    member = make_user(session, role=Role.MEMBER, display_name="Amara Okafor", team=team)
    lena = make_user(session, role=Role.MEMBER, display_name="Lena Fischer", team=team)
    observation = make_observation(
        session,
        area=area,
        waste=Waste.WAITING,
        description="Stopped at Press line 2 waiting for maintenance; the call goes through "
        "the shift office first.",
        observed_at=now - timedelta(days=12),
    )
    card = create_improvement(
        session,
        title="Andon call to maintenance",
        team=team,
        created_by=lena,
        observations=[observation],
        now=now - timedelta(days=10),
        area=area,
        waste=Waste.WAITING,
        owner=lena,
        problem="When the 250 t press stops, the breakdown call reaches a technician "
        "15 to 25 minutes later.",
        countermeasure="Route the andon button straight to the maintenance pager.",
        expected_minutes_per_week=180,
        expected_cost=Decimal("650.00"),
    )
    for days_ago, (a, b) in ((7, ("ideas", "plan")), (3, ("plan", "do"))):
        card.board_column = BoardColumn(b)
        session.add(
            CardMove(
                improvement=card,
                from_column=BoardColumn(a),
                to_column=BoardColumn(b),
                moved_at=now - timedelta(days=days_ago),
                moved_by=lena,
                reason="The press is down every day; this one cannot wait" if b == "do" else None,
            )
        )
    record = RootCause(
        problem="The line waits a long time for a technician",
        root_cause="Breakdown calls pass through a manual logging step.",
        category=RootCauseCategory.METHOD,
        steps=[
            WhyStep(position=0, why="Why does the line wait?", because="The call arrives late."),
            WhyStep(position=1, why="Why is the call late?", because="It goes via the office."),
        ],
    )
    record.improvements.append(card)
    session.add(record)
    session.commit()

    sign_in(member.username)
    page.goto(f"{live_server}/improvements/{card.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Andon call to maintenance")
    page.evaluate("window.stillTheSamePage = true")

    # Edit the title in place: the section swaps to a form and back, no page load.
    page.get_by_role("link", name="Edit title").click()
    title = page.get_by_label("Title", exact=True)
    expect(title).to_be_focused()
    title.fill("Andon call straight to maintenance")
    page.get_by_role("button", name="Save title").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Andon call straight to maintenance")
    assert page.evaluate("window.stillTheSamePage") is True
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Andon call straight to maintenance")

    # Block it with a reason: the marker shows, and the history hears about it.
    page.get_by_role("link", name="Mark as blocked").click()
    page.get_by_label("What is it waiting for?").fill("Waiting for the pager licence")
    page.locator("#card-blocked").get_by_role("button", name="Save").click()
    marker = page.locator(".blocked-marker")
    expect(marker).to_contain_text("Blocked")
    expect(marker).to_contain_text("Waiting for the pager licence")
    expect(page.locator("#card-history")).to_contain_text("Waiting for the pager licence")
    page.reload()
    expect(page.locator(".blocked-marker")).to_contain_text("Waiting for the pager licence")

    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    path = screenshot("card-detail-tablet")
    assert path.stat().st_size > 10_000
