"""The board at a stand-up: drag by mouse and by touch, move by button, stay in step."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from kaizen.models import (
    BoardColumn,
    Improvement,
    Outcome,
    Role,
    RootCause,
    Team,
    User,
    Waste,
    WipMode,
    utcnow,
)
from tests.browser.conftest import PageSignIn
from tests.factories import (
    make_area,
    make_column_limit,
    make_improvement,
    make_moved_improvement,
    make_observation,
    make_team,
    make_user,
)

IDEAS, PLAN, DO, CHECK, DONE = list(BoardColumn)


@dataclass
class StandUp:
    """A team board with a card in Plan waiting to be pulled into Do."""

    team: Team
    member: User
    card: Improvement


def days_ago(days: float) -> datetime:
    """A moment `days` days before now."""
    return utcnow() - timedelta(days=days)


def stand_up(session: Session, do_limit: int = 4, do_mode: WipMode = WipMode.SOFT) -> StandUp:
    """A small team board: one card in Plan, one already in Do, a member to move them."""
    team = make_team(session, name="Press shop", slug="press-shop")
    make_column_limit(session, team, board_column=DO, wip_limit=do_limit, mode=do_mode)
    area = make_area(session, team=team, name="Press line 1")
    member = make_user(session, role=Role.MEMBER, display_name="Amara Okafor", team=team)
    card = make_moved_improvement(
        session,
        team=team,
        area=area,
        owner=member,
        waste=Waste.WAITING,
        title="Kanban square for the forklift",
        path=[(PLAN, days_ago(3))],
    )
    make_moved_improvement(
        session,
        team=team,
        area=area,
        waste=Waste.DEFECTS,
        title="Poka-yoke for the hinge bracket",
        path=[(PLAN, days_ago(6)), (DO, days_ago(2))],
    )
    session.commit()
    return StandUp(team, member, card)


def open_board(page: Page, live_server: str, board: StandUp, sign_in: PageSignIn) -> None:
    """Sign in as the board's member and open the team board."""
    sign_in(board.member, page=page)
    page.goto(live_server + "/board/press-shop")


@contextmanager
def second_tablet(browser: Browser) -> Iterator[Page]:
    """Another tablet at the same stand-up, with a browser context of its own."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def column(page: Page, name: str) -> Any:
    """The card list of one column of the (single) swimlane."""
    return page.locator(f"section.column-{name} ol.cards")


def card_in(page: Page, name: str, card_id: int) -> Any:
    """The card, if it stands in this column."""
    return column(page, name).locator(f"#card-{card_id}")


def finger(
    page: Page, points: list[tuple[float, float]], hold_ms: int = 0, step_ms: int = 15
) -> None:
    """A finger put down at the first point, moved along the rest and lifted: real touch
    events through the DevTools protocol, what a tablet sends."""
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, point: tuple[float, float] | None = None) -> None:
        touch_points = [{"x": point[0], "y": point[1]}] if point else []
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

    touch("touchStart", points[0])
    page.wait_for_timeout(hold_ms)
    for point in points[1:]:
        touch("touchMove", point)
        page.wait_for_timeout(step_ms)
    touch("touchEnd")


def centre(box: dict[str, float]) -> tuple[float, float]:
    """The middle of a bounding box."""
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag_points(page: Page, card_id: int, to: str) -> list[tuple[float, float]]:
    """A path from the card's drag handle to the bottom of another column, in small steps."""
    handle = page.locator(f"#card-{card_id} .card-handle").bounding_box()
    target = column(page, to).bounding_box()
    assert handle and target
    start = centre(handle)
    end = (target["x"] + target["width"] / 2, target["y"] + target["height"] - 10)
    steps = 15
    return [
        (start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)
        for i in range(steps + 1)
    ]


def test_a_card_dragged_with_the_mouse_from_plan_to_do_stays_there_after_reload(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session
) -> None:
    board = stand_up(session)
    open_board(page, live_server, board, sign_in)
    points = drag_points(page, board.card.id, "do")

    with page.expect_response(lambda r: r.url.endswith(f"/cards/{board.card.id}/move")) as moved:
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
            page.wait_for_timeout(15)
        page.mouse.up()

    assert moved.value.status == 200
    page.reload()
    expect(card_in(page, "do", board.card.id)).to_be_visible()
    expect(page.locator("section.column-do .column-count")).to_have_text("2 / 4")


def test_a_card_dragged_by_touch_on_a_tablet_from_plan_to_do_stays_there_after_reload(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session
) -> None:
    board = stand_up(session)
    open_board(page, live_server, board, sign_in)
    points = drag_points(page, board.card.id, "do")

    with page.expect_response(lambda r: r.url.endswith(f"/cards/{board.card.id}/move")) as moved:
        finger(page, points, hold_ms=50, step_ms=20)

    assert moved.value.status == 200
    page.reload()
    expect(card_in(page, "do", board.card.id)).to_be_visible()


def test_a_finger_swiping_over_a_card_to_scroll_moves_nothing(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session
) -> None:
    board = stand_up(session)
    open_board(page, live_server, board, sign_in)
    moves: list[str] = []
    page.on("request", lambda r: moves.append(r.url) if r.method == "POST" else None)
    owner = page.locator(f"#card-{board.card.id} .card-owner").bounding_box()
    assert owner
    x, y = centre(owner)

    finger(page, [(x + 12 * i, y - 25 * i) for i in range(11)])
    page.wait_for_timeout(500)

    assert moves == []
    expect(card_in(page, "plan", board.card.id)).to_be_visible()


def test_a_card_moves_with_its_buttons(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session
) -> None:
    board = stand_up(session)
    open_board(page, live_server, board, sign_in)
    card = page.locator(f"#card-{board.card.id}")

    with page.expect_request(lambda r: r.method == "POST") as sent:
        card.get_by_role("button", name="Move to Do").click()

    # Each move carries a key of its own, so a move sent twice is stored once.
    assert re.search(r"(^|&)key=[0-9a-f]{32}(&|$)", sent.value.post_data or "")
    expect(page.get_by_text("“Kanban square for the forklift” moved to Do.")).to_be_visible()
    expect(card_in(page, "do", board.card.id)).to_be_visible()
    page.locator(f"#card-{board.card.id}").get_by_role("button", name="Move to Check").click()
    expect(card_in(page, "check", board.card.id)).to_be_visible()
    page.reload()
    expect(card_in(page, "check", board.card.id)).to_be_visible()


def test_finishing_a_card_asks_for_its_outcome_and_invites_the_reflection(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session
) -> None:
    board = stand_up(session)
    open_board(page, live_server, board, sign_in)
    card = page.locator(f"#card-{board.card.id}")

    card.get_by_role("button", name="More columns").click()
    card.get_by_role("button", name="Move to Done").click()
    dialog = page.get_by_role("dialog", name="Finish this card")
    dialog.get_by_label("Not adopted").check()
    dialog.get_by_role("button", name="Move to Done").click()

    expect(page.get_by_text("is finished: not adopted")).to_be_visible()
    expect(card_in(page, "done", board.card.id)).to_contain_text("Not adopted")


def test_a_hard_wip_limit_refusal_shows_its_message(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session
) -> None:
    board = stand_up(session, do_limit=1, do_mode=WipMode.HARD)
    open_board(page, live_server, board, sign_in)

    page.locator(f"#card-{board.card.id}").get_by_role("button", name="Move to Do").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Do is full (1 / 1). Finish something first, or ask your lead to change the limit."
    )
    expect(card_in(page, "plan", board.card.id)).to_be_visible()


def test_a_move_on_one_tablet_shows_on_another_within_five_seconds(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, browser: Browser
) -> None:
    board = stand_up(session)
    with second_tablet(browser) as other:
        other.goto(live_server + "/board/press-shop")
        expect(card_in(other, "plan", board.card.id)).to_be_visible()
        open_board(page, live_server, board, sign_in)

        page.locator(f"#card-{board.card.id}").get_by_role("button", name="Move to Do").click()
        expect(card_in(page, "do", board.card.id)).to_be_visible()

        expect(card_in(other, "do", board.card.id)).to_be_visible(timeout=5000)


def test_a_move_reaches_another_tablet_as_that_card_alone_not_the_whole_board(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, browser: Browser
) -> None:
    board = stand_up(session)
    with second_tablet(browser) as other:
        other.goto(live_server + "/board/press-shop")
        expect(card_in(other, "plan", board.card.id)).to_be_visible()
        full_board = len(other.content())
        polls: list[tuple[int, str, int]] = []
        other.on(
            "response",
            lambda r: (
                polls.append((r.status, r.headers.get("x-board-update", ""), len(r.body())))
                if "since=" in r.url
                else None
            ),
        )
        open_board(page, live_server, board, sign_in)

        page.locator(f"#card-{board.card.id}").get_by_role("button", name="Move to Do").click()

        expect(card_in(other, "do", board.card.id)).to_be_visible(timeout=5000)
        expect(other.locator("section.column-do .column-count")).to_have_text("2 / 4")
        expect(other.locator("section.column-plan .column-empty")).to_be_visible()
        changes = [size for status, kind, size in polls if status == 200 and kind == "changes"]
        assert changes and all(size < full_board / 2 for size in changes)
        assert not [p for p in polls if p[0] == 200 and not p[1]], "no whole board was sent"


def test_the_menu_of_other_columns_opens_on_the_card_and_closes_with_escape(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session
) -> None:
    board = stand_up(session)
    open_board(page, live_server, board, sign_in)
    card = page.locator(f"#card-{board.card.id}")

    card.get_by_role("button", name="More columns").click()

    menu = card.get_by_role("group", name="Move this card to")
    expect(menu).to_be_visible()
    # Plan is where it is and Do is its own button: the menu offers the other three.
    expect(menu.get_by_role("button")).to_have_count(3)
    expect(menu.get_by_role("button", name="Move to Ideas")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(card.get_by_role("button", name="More columns")).to_be_focused()


def test_a_plant_board_lane_below_the_first_is_fetched_when_scrolled_to_and_moves_work_there(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, monkeypatch: Any
) -> None:
    monkeypatch.setattr("kaizen.services.board.EAGER_CARDS", 2)
    board = stand_up(session)
    weld = make_team(session, name="Weld shop", slug="weld-shop")
    card = make_improvement(session, team=weld, board_column=PLAN, title="Spatter shields")
    board.member.plant_wide = True  # moves cards of the other team's lane (team scope)
    session.commit()
    sign_in(board.member, page=page)

    # The page comes without the lane's cards; the lane is fetched once it is in view.
    with page.expect_response(lambda r: r.url.endswith("/board/weld-shop/lane")) as fetched:
        response = page.goto(live_server + "/board")
        assert response and "Spatter shields" not in response.text()
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert fetched.value.status == 200

    lane = page.locator(f"#lane-{weld.id}")
    expect(lane.locator(f"#card-{card.id}")).to_be_visible()
    lane.locator(f"#card-{card.id}").get_by_role("button", name="Move to Do").click()
    expect(lane.locator(f"section.column-do #card-{card.id}")).to_be_visible()
    expect(page.get_by_text("“Spatter shields” moved to Do.")).to_be_visible()


def test_a_stale_move_from_a_second_tablet_is_explained(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, browser: Browser
) -> None:
    board = stand_up(session)
    with second_tablet(browser) as other:
        open_board(other, live_server, board, sign_in)
        # The second tablet stops polling, as if its Wi-Fi dropped for a moment.
        other.evaluate("window.kaizenBoardIdle = function () { return false; }")
        open_board(page, live_server, board, sign_in)
        page.locator(f"#card-{board.card.id}").get_by_role("button", name="Move to Do").click()
        expect(card_in(page, "do", board.card.id)).to_be_visible()

        other.locator(f"#card-{board.card.id}").get_by_role("button", name="Move to Do").click()

        expect(other.get_by_text("Someone else moved this card a moment ago")).to_be_visible()
        expect(card_in(other, "do", board.card.id)).to_be_visible()


# -- screenshots -----------------------------------------------------------------------------


def busy_board(session: Session) -> User:
    """A realistic team board for the screenshots: every marker a stand-up may meet."""
    team = make_team(session, name="Press shop", slug="press-shop")
    for col, limit, mode in [
        (PLAN, 2, WipMode.SOFT),
        (DO, 3, WipMode.HARD),
        (CHECK, 3, WipMode.SOFT),
    ]:
        make_column_limit(session, team, board_column=col, wip_limit=limit, mode=mode)
    line1 = make_area(session, team=team, name="Press line 1")
    line2 = make_area(session, team=team, name="Weld cell A")
    lead = make_user(session, role=Role.LEAD, display_name="Dev Patel", team=team)
    amara = make_user(session, display_name="Amara Okafor", team=team)
    lena = make_user(session, display_name="Lena Fischer", team=team)
    for i, days in enumerate([4, 6, 7, 9, 11, 12]):
        make_moved_improvement(
            session,
            team=team,
            owner=lena,
            area=line1,
            waste=Waste.OVERPROCESSING,
            title=f"Earlier experiment {i + 1}",
            path=[(PLAN, days_ago(days + 60)), (DONE, days_ago(60))],
            outcome=Outcome.ADOPTED,
        )
    cards: list[tuple[str, Waste, Any, Any, list[tuple[BoardColumn, datetime]], dict[str, Any]]] = [
        ("Cross-train a second person on the clamp fixture", Waste.SKILLS, line2, amara, [], {}),
        ("Shadow board for press tooling", Waste.MOTION, line1, None, [], {}),
        ("Kanban square for the forklift", Waste.WAITING, line1, amara, [(PLAN, days_ago(3))], {}),
        (
            "First-off check sheet with photos",
            Waste.DEFECTS,
            line1,
            lead,
            [(PLAN, days_ago(2))],
            {},
        ),
        ("Label the coil racks by size", Waste.MOTION, line2, lena, [(PLAN, days_ago(1))], {}),
        (
            "Quick die change on the 400 t press",
            Waste.WAITING,
            line1,
            lead,
            [(PLAN, days_ago(20)), (DO, days_ago(14))],
            {},
        ),
        (
            "Spatter shields on the weld fixture",
            Waste.DEFECTS,
            line2,
            lena,
            [(PLAN, days_ago(6)), (DO, days_ago(2))],
            {"blocked": True, "blocked_reason": "Waiting for the maintenance crew"},
        ),
        (
            "Mark maximum stock levels at the coil store",
            Waste.INVENTORY,
            line2,
            amara,
            [(PLAN, days_ago(8)), (DO, days_ago(5)), (CHECK, days_ago(1))],
            {},
        ),
        (
            "Andon call straight to maintenance",
            Waste.WAITING,
            line1,
            lena,
            [(PLAN, days_ago(15)), (DO, days_ago(9)), (CHECK, days_ago(4)), (DONE, days_ago(1))],
            {"outcome": Outcome.ADOPTED},
        ),
        (
            "Drop the double check of brackets",
            Waste.OVERPROCESSING,
            line2,
            amara,
            [(PLAN, days_ago(12)), (DO, days_ago(7)), (DONE, days_ago(2))],
            {"outcome": Outcome.NOT_ADOPTED},
        ),
    ]
    for position, (title, waste, area, owner, path, extra) in enumerate(cards):
        fields = {"team": team, "title": title, "waste": waste, "area": area, "owner": owner}
        if path:
            card = make_moved_improvement(session, path=path, position=position, **fields, **extra)
        else:
            card = make_improvement(session, created_at=days_ago(position * 3), **fields)
        for _ in range(position % 3):
            card.observations.append(make_observation(session, area=area, waste=waste))
        if position in (4, 6):
            session.add(
                RootCause(problem=title, root_cause="No standard for it yet.", improvements=[card])
            )
    for _ in range(5):
        make_observation(session, area=line1)
    session.commit()
    return lead


def test_screenshot_of_the_board_on_a_tablet(
    sign_in: PageSignIn, page: Page, live_server: str, session: Session, screenshot
) -> None:
    lead = busy_board(session)
    sign_in(lead)

    page.goto(live_server + "/board/press-shop")

    expect(page.get_by_role("heading", name="Press shop board")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    screenshot("board-tablet")


def test_screenshot_of_the_board_in_tv_mode_fits_a_1080p_screen(
    live_server: str, session: Session, browser: Browser, screenshot
) -> None:
    busy_board(session)
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        tv = context.new_page()
        tv.goto(live_server + "/board/press-shop?display=tv")

        expect(tv.get_by_role("heading", name="Press shop board")).to_be_visible()
        expect(tv.locator("#board button")).to_have_count(0)
        assert tv.evaluate("document.documentElement.scrollHeight") <= 1080
        assert tv.evaluate("document.documentElement.scrollWidth") <= 1920
        path = screenshot("board-tv")
        tv.screenshot(path=str(path))
    finally:
        context.close()
