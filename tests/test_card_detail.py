"""The card page: everything about one improvement, edited in place safely."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from kaizen.extensions import db
from kaizen.models import (
    BlockPeriod,
    BoardColumn,
    CardMove,
    ColumnLimit,
    Improvement,
    Outcome,
    Reflection,
    Role,
    RootCause,
    RootCauseCategory,
    Waste,
    WhyStep,
)
from kaizen.services import improvements as cards
from tests.conftest import SignIn
from tests.factories import (
    make_area,
    make_improvement,
    make_observation,
    make_team,
    make_user,
)

HTMX = {"HX-Request": "true"}
STALE = "Someone changed this card while you were editing."


def url(card: Improvement, suffix: str = "") -> str:
    return f"/improvements/{card.id}{suffix}"


def saved_card(session: Session, **overrides) -> Improvement:
    """A card from the factory, committed so the app's requests see it."""
    card = make_improvement(session, **overrides)
    session.commit()
    return card


def html_of(client: FlaskClient, address: str, **kwargs) -> str:
    """The text of the page (or fragment) at this address."""
    return client.get(address, **kwargs).get_data(as_text=True)


def edit(client: FlaskClient, card: Improvement, section: str, data: dict, htmx: bool = True):
    """Post an in-place edit of one section, as htmx does unless `htmx` is False."""
    return client.post(url(card, f"/edit/{section}"), data=data, headers=HTMX if htmx else {})


def move(client: FlaskClient, card: Improvement, to_column: str, **data):
    """Press a move button on the card page (version 1 unless given)."""
    return client.post(url(card, "/move"), data={"to_column": to_column, "version": 1, **data})


def file_card(client: FlaskClient, data: dict, htmx: bool = False):
    """Post the new-card form."""
    return client.post("/improvements/new", data=data, headers=HTMX if htmx else {})


def reflect(session: Session, card: Improvement, **overrides) -> Reflection:
    """Save a reflection through the service: anonymous, on version 1, unless overridden."""
    values = {
        "learnt": "",
        "take_forward": "",
        "do_differently": "",
        "anonymous": True,
        "author": None,
        "expected_version": 1,
    }
    values.update(overrides)
    return cards.save_reflection(session, card, **values)


def fresh(session: Session, card: Improvement) -> Improvement:
    """The card as the database has it now."""
    session.expire_all()
    return session.get(Improvement, card.id)  # type: ignore[return-value]


@pytest.fixture
def member(sign_in: SignIn, session: Session, client: FlaskClient):
    user = make_user(session, role=Role.MEMBER, display_name="Amara Okafor")
    session.commit()
    sign_in(user)
    return user


def done_card(session: Session, outcome: Outcome = Outcome.ADOPTED, **overrides) -> Improvement:
    return saved_card(
        session, board_column=BoardColumn.DONE, outcome=outcome, title="Shadow board", **overrides
    )


# --- Reading the page -----------------------------------------------------------------


def test_the_card_page_shows_its_fields(session: Session, client: FlaskClient) -> None:
    area = make_area(session, name="Press line 2")
    card = make_improvement(
        session,
        title="Andon straight to maintenance",
        problem="The line waits for a technician.",
        countermeasure="Route the andon to the pager.",
        team=area.team,
        area=area,
        waste=Waste.WAITING,
        expected_minutes_per_week=120,
        expected_cost=Decimal("450.00"),
    )
    session.commit()
    html = html_of(client, url(card))
    for text in (
        "Andon straight to maintenance",
        "The line waits for a technician.",
        "Route the andon to the pager.",
        "Press line 2",
        "Waiting",
        "120 min",
        "450.00",
        "In Ideas",
    ):
        assert text in html


def test_an_unknown_card_is_not_found(client: FlaskClient) -> None:
    assert client.get("/improvements/9999").status_code == 404


def test_signed_out_people_see_the_card_without_edit_controls(
    session: Session, client: FlaskClient
) -> None:
    card = saved_card(session, title="Kanban square")
    html = html_of(client, url(card))
    assert "Kanban square" in html
    assert "Edit title" not in html
    assert "Mark as blocked" not in html


def test_viewers_see_the_card_read_only_and_cannot_post_edits(
    sign_in: SignIn, session: Session, client: FlaskClient
) -> None:
    viewer = make_user(session, role=Role.VIEWER)
    card = saved_card(session, title="Kanban square")
    sign_in(viewer)
    assert "Edit title" not in html_of(client, url(card))
    response = edit(client, card, "title", {"version": 1, "title": "Changed"}, htmx=False)
    assert response.status_code == 403
    assert fresh(session, card).title == "Kanban square"


def test_signed_out_edits_are_sent_to_sign_in(session: Session, client: FlaskClient) -> None:
    card = saved_card(session)
    response = edit(client, card, "title", {"version": 1, "title": "Changed"}, htmx=False)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_members_see_edit_controls(session: Session, client: FlaskClient, member) -> None:
    card = saved_card(session)
    html = html_of(client, url(card))
    assert "Edit title" in html
    assert "Mark as blocked" in html


def test_the_page_needs_the_same_number_of_queries_however_much_a_card_holds(
    session: Session, client: FlaskClient
) -> None:
    def queries_for(card_id: int) -> int:
        count = 0

        def counter(*_args: object) -> None:
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            assert client.get(f"/improvements/{card_id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count

    def fill(card: Improvement, how_many: int) -> None:
        when = datetime(2025, 3, 1, 8, 0)
        columns = list(BoardColumn)
        for n in range(how_many):
            person = make_user(session)
            session.add(
                CardMove(
                    improvement=card,
                    from_column=columns[n],
                    to_column=columns[n + 1],
                    moved_at=when + timedelta(days=n + 1),
                    moved_by=person,
                )
            )
            session.add(
                BlockPeriod(
                    improvement=card,
                    started_at=when + timedelta(days=n),
                    ended_at=when + timedelta(days=n, hours=5),
                    reason=f"Waiting {n}",
                    blocked_by_id=person.id,
                )
            )
            card.observations.append(make_observation(session, reporter=person))
            record = RootCause(problem=f"Problem {n}", steps=[WhyStep(position=0, why="Why?")])
            record.improvements.append(card)
            session.add(record)

    small = make_improvement(session, owner=make_user(session))
    fill(small, 1)
    big = make_improvement(session, owner=make_user(session))
    fill(big, 4)
    session.commit()
    # A first request reads what every worker keeps a while (the plant's time zone).
    assert client.get(f"/improvements/{small.id}").status_code == 200
    assert queries_for(big.id) == queries_for(small.id)


# --- Editing in place -----------------------------------------------------------------


def test_a_member_edits_the_title_in_place(session: Session, client: FlaskClient, member) -> None:
    card = saved_card(session, title="Kanban square")
    response = edit(client, card, "title", {"version": 1, "title": "Kanban square at dock 3"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="card-title"')
    assert "Kanban square at dock 3" in html
    assert response.headers["HX-Trigger"] == "card-changed"
    saved = fresh(session, card)
    assert (saved.title, saved.version) == ("Kanban square at dock 3", 2)


def test_a_plain_post_saves_and_returns_to_the_card(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session, title="Kanban square")
    response = edit(client, card, "title", {"version": 1, "title": "New title"}, htmx=False)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/improvements/{card.id}#card-title")
    assert "New title" in html_of(client, url(card))


def test_opening_an_edit_with_htmx_returns_the_section_form(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session, title="Kanban square")
    response = client.get(url(card, "/edit/title"), headers=HTMX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="card-title"')
    assert 'name="version" type="hidden" value="1"' in html
    assert 'value="Kanban square"' in html


def test_the_edit_address_is_a_full_page_without_htmx(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session)
    html = html_of(client, url(card, "/edit/details"))
    assert "<html" in html
    assert 'name="problem"' in html


def test_a_blank_title_is_refused_with_a_message(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session, title="Kanban square")
    response = edit(client, card, "title", {"version": 1, "title": "  "})
    assert response.status_code == 422
    assert "Give the card a title." in response.get_data(as_text=True)
    assert fresh(session, card).title == "Kanban square"


def test_a_title_over_200_characters_is_refused_and_kept_for_shortening(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session)
    long_title = "Shadow board " + "x" * 200
    response = edit(client, card, "title", {"version": 1, "title": long_title}, htmx=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "200 characters or fewer" in html
    assert long_title in html


def test_details_edit_saves_problem_countermeasure_team_area_waste_and_owner(
    session: Session, client: FlaskClient, member
) -> None:
    team, other = make_team(session), make_team(session, name="Assembly")
    area = make_area(session, team=other)
    owner = make_user(session, team=team, display_name="Lena Fischer")
    card = saved_card(session, team=team)
    response = edit(
        client,
        card,
        "details",
        {
            "version": 1,
            "problem": "Tools drift between stations.",
            "countermeasure": "Shadow board.",
            "team_id": other.id,
            "area_id": area.id,
            "waste": "motion",
            "owner_id": owner.id,
        },
    )
    assert response.status_code == 200
    saved = fresh(session, card)
    assert (saved.problem, saved.countermeasure) == (
        "Tools drift between stations.",
        "Shadow board.",
    )
    assert (saved.team_id, saved.area_id, saved.waste, saved.owner_id) == (
        other.id,
        area.id,
        Waste.MOTION,
        owner.id,
    )
    assert "Lena Fischer" in response.get_data(as_text=True)


def test_the_owner_is_chosen_from_the_teams_people(
    session: Session, client: FlaskClient, member
) -> None:
    team = make_team(session)
    make_user(session, team=team, display_name="Lena Fischer")
    make_user(session, team=make_team(session), display_name="Someone Elsewhere")
    card = saved_card(session, team=team)
    html = html_of(client, url(card, "/edit/details"), headers=HTMX)
    assert "Lena Fischer" in html
    assert "Someone Elsewhere" not in html


def test_benefit_edit_saves_expected_and_actual_numbers(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session)
    edit(
        client,
        card,
        "benefit",
        {
            "version": 1,
            "expected_minutes_per_week": "90",
            "expected_cost": "250.50",
            "actual_minutes_per_week": "75",
            "actual_cost": "",
        },
    )
    saved = fresh(session, card)
    assert saved.expected_minutes_per_week == 90
    assert saved.expected_cost == Decimal("250.50")
    assert saved.actual_minutes_per_week == 75
    assert saved.actual_cost is None


def test_negative_numbers_are_refused_next_to_their_field(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session)
    response = edit(
        client,
        card,
        "benefit",
        {"version": 1, "expected_minutes_per_week": "-5", "actual_cost": "-1"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.count("Use 0 or more.") == 2
    assert 'value="-5"' in html
    assert fresh(session, card).expected_minutes_per_week is None


def test_text_in_a_number_box_is_refused_and_kept(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session)
    response = edit(
        client, card, "benefit", {"version": 1, "expected_minutes_per_week": "about an hour"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a whole number, like 30." in html
    assert 'value="about an hour"' in html


def test_the_service_refuses_negative_numbers_too(session: Session) -> None:
    card = make_improvement(session)
    with pytest.raises(cards.CardInputError) as refused:
        cards.update_improvement(
            session, card, expected_version=1, changes={"actual_minutes_per_week": -1}
        )
    assert refused.value.errors == {"actual_minutes_per_week": "Use 0 or more."}


# --- Someone else changed the card ------------------------------------------------------


def test_a_stale_edit_answers_409_keeps_the_typed_text_and_writes_nothing(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session, title="Kanban square", problem="Waiting.")
    # Someone else saves first: the card is now at version 2.
    cards.update_improvement(session, card, expected_version=1, changes={"title": "Their title"})
    session.commit()

    response = edit(
        client,
        card,
        "details",
        {"version": 1, "problem": "My careful rewrite", "team_id": card.team_id},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert STALE in html
    assert "My careful rewrite" in html  # what they typed
    assert "Waiting." in html  # the latest values
    assert 'name="version" type="hidden" value="2"' in html  # ready to re-apply
    saved = fresh(session, card)
    assert (saved.title, saved.problem, saved.version) == ("Their title", "Waiting.", 2)


def test_the_service_refuses_a_stale_version(session: Session) -> None:
    card = make_improvement(session, title="Kanban square")
    cards.update_improvement(session, card, expected_version=1, changes={"title": "Second"})
    with pytest.raises(cards.StaleCard):
        cards.update_improvement(session, card, expected_version=1, changes={"title": "Third"})
    assert card.title == "Second"


def test_a_concurrent_write_between_check_and_save_counts_as_stale(session: Session) -> None:
    card = saved_card(session, title="Kanban square")
    assert card.version == 1  # we have read the card
    # Another worker saves after our read and before our write.
    other = Session(bind=db.engine)
    theirs = other.get(Improvement, card.id)
    assert theirs is not None
    theirs.title = "Theirs"
    other.commit()
    other.close()
    with pytest.raises(cards.StaleCard):
        cards.update_improvement(session, card, expected_version=1, changes={"title": "Mine"})


# --- Blocking ---------------------------------------------------------------------------


def test_blocking_opens_a_block_period_with_the_reason_and_the_person(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session)
    response = edit(
        client,
        card,
        "blocked",
        {"version": 1, "blocked": "y", "blocked_reason": "Waiting for the supplier's quote"},
    )
    assert response.status_code == 200
    assert "Blocked" in response.get_data(as_text=True)
    saved = fresh(session, card)
    assert saved.blocked and saved.blocked_reason == "Waiting for the supplier's quote"
    (period,) = saved.block_periods
    assert (period.reason, period.blocked_by_id, period.ended_at) == (
        "Waiting for the supplier's quote",
        member.id,
        None,
    )


def test_unblocking_closes_the_open_block_period(
    session: Session, client: FlaskClient, member
) -> None:
    card = make_improvement(session)
    started = datetime(2025, 3, 3, 9, 0)
    cards.set_blocked(
        session,
        card,
        blocked=True,
        reason="No forklift",
        by_user=None,
        expected_version=1,
        now=started,
    )
    session.commit()
    response = edit(client, card, "blocked", {"version": 2})
    assert response.status_code == 200
    saved = fresh(session, card)
    assert not saved.blocked and saved.blocked_reason is None
    (period,) = saved.block_periods
    assert period.ended_at is not None and period.ended_at >= started


def test_blocking_needs_a_reason(session: Session, client: FlaskClient, member) -> None:
    card = saved_card(session)
    response = edit(
        client, card, "blocked", {"version": 1, "blocked": "y", "blocked_reason": " "}, htmx=False
    )
    assert response.status_code == 422
    assert "Say what the card is waiting for." in response.get_data(as_text=True)
    assert session.scalar(select(BlockPeriod.id)) is None


def test_changing_the_reason_keeps_the_same_block_period(session: Session) -> None:
    card = make_improvement(session)
    cards.set_blocked(session, card, blocked=True, reason="Parts", by_user=None, expected_version=1)
    cards.set_blocked(
        session,
        card,
        blocked=True,
        reason="Parts from the supplier",
        by_user=None,
        expected_version=2,
    )
    assert [p.reason for p in card.block_periods] == ["Parts from the supplier"]


# --- History ----------------------------------------------------------------------------


def test_the_history_lists_each_move_with_who_when_and_the_wip_reason(
    session: Session, client: FlaskClient
) -> None:
    mover = make_user(session, display_name="Dev Patel")
    card = make_improvement(session, created_at=datetime(2025, 3, 1, 8, 0))
    session.add_all(
        [
            CardMove(
                improvement=card,
                from_column=BoardColumn.IDEAS,
                to_column=BoardColumn.PLAN,
                moved_at=datetime(2025, 3, 2, 9, 15),
                moved_by=mover,
            ),
            CardMove(
                improvement=card,
                from_column=BoardColumn.PLAN,
                to_column=BoardColumn.DO,
                moved_at=datetime(2025, 3, 4, 14, 30),
                moved_by=mover,
                reason="The press is down; this one unblocks it",
            ),
        ]
    )
    session.commit()
    html = html_of(client, url(card))
    assert "Filed in Ideas" in html
    assert "— · <time" in html  # nobody recorded for the creation
    assert "Ideas → Plan" in html
    assert "Dev Patel · <time" in html
    assert "02 Mar 2025, 09:15" in html
    assert "Plan → Do" in html
    assert "The press is down; this one unblocks it" in html


def test_blocked_periods_show_their_reasons_and_durations(session: Session) -> None:
    card = make_improvement(session)
    session.add(
        BlockPeriod(
            improvement=card,
            started_at=datetime(2025, 3, 3, 9, 0),
            ended_at=datetime(2025, 3, 5, 12, 0),
            reason="Waiting for the safety sign-off",
        )
    )
    session.flush()
    page = cards.card_page(session, card.id)
    assert page is not None
    (block,) = page.blocks
    assert (block.reason, block.duration, block.by) == (
        "Waiting for the safety sign-off",
        "2 days 3 h",
        "—",
    )


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=5, minutes=10), "5 h 10 min"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=3, hours=4), "3 days 4 h"),
    ],
)
def test_durations_read_like_people_say_them(span: timedelta, text: str) -> None:
    assert cards.describe_duration(span) == text


# --- Observations and five whys ---------------------------------------------------------


def test_linked_observations_show_date_area_waste_and_anonymous(
    session: Session, client: FlaskClient, sign_in: SignIn
) -> None:
    area = make_area(session, name="Goods in")
    observation = make_observation(
        session,
        area=area,
        waste=Waste.TRANSPORT,
        description="Pallets moved twice.",
        observed_at=datetime(2025, 2, 14, 10, 0),
    )
    card = make_improvement(session)
    card.observations.append(observation)
    viewer = make_user(session, role=Role.VIEWER)
    session.commit()
    sign_in(viewer)
    html = html_of(client, url(card))
    for text in ("14 Feb 2025", "Goods in", "Transport", "Pallets moved twice.", "Anonymous"):
        assert text in html


def test_signed_out_the_card_says_observations_are_linked_without_their_text(
    session: Session, client: FlaskClient
) -> None:
    observation = make_observation(session, description="Pallets moved twice.")
    card = make_improvement(session)
    card.observations.append(observation)
    session.commit()

    html = html_of(client, url(card))

    assert "Pallets moved twice." not in html
    assert "1 observation is linked to this card" in html and "Sign in" in html


def test_a_member_unlinks_an_observation(session: Session, client: FlaskClient, member) -> None:
    observation = make_observation(session, description="Pallets moved twice.")
    card = make_improvement(session)
    card.observations.append(observation)
    session.commit()
    response = client.post(url(card, f"/observations/{observation.id}/unlink"), headers=HTMX)
    assert response.status_code == 200
    assert "Pallets moved twice." not in response.get_data(as_text=True)
    assert fresh(session, card).observations == []


def five_whys_card(session: Session) -> Improvement:
    card = make_improvement(session)
    record = RootCause(
        problem="Tools go missing",
        root_cause="Tools have no fixed home.",
        category=RootCauseCategory.METHOD,
        steps=[
            WhyStep(
                position=0, why="Why do people leave the station?", because="Tools are elsewhere."
            ),
            WhyStep(position=1, why="Why are tools elsewhere?", because="No fixed home."),
        ],
    )
    record.improvements.append(card)
    session.add(record)
    session.commit()
    return card


def test_five_whys_show_their_problem_root_cause_category_and_status(
    session: Session, client: FlaskClient
) -> None:
    html = html_of(client, url(five_whys_card(session)))
    for text in ("Tools go missing", "Tools have no fixed home.", "Method", "Open — still digging"):
        assert text in html


def test_five_whys_link_to_their_own_page_instead_of_repeating_the_whys(
    session: Session, client: FlaskClient
) -> None:
    card = five_whys_card(session)
    record_id = card.root_causes[0].id
    html = html_of(client, url(card))
    assert f'href="/root-causes/{record_id}"' in html
    assert "Why do people leave the station?" not in html


# --- Done, outcome and reflection ------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "text"),
    [
        (Outcome.ADOPTED, "Adopted"),
        (Outcome.NOT_ADOPTED, "Not adopted — a finished experiment that teaches"),
    ],
)
def test_a_done_card_shows_its_outcome(
    session: Session, client: FlaskClient, outcome: Outcome, text: str
) -> None:
    card = done_card(session, outcome)
    assert text in html_of(client, url(card))


def test_a_done_card_without_a_reflection_invites_one(
    session: Session, client: FlaskClient, member
) -> None:
    card = done_card(session, Outcome.NOT_ADOPTED)
    html = html_of(client, url(card))
    assert 'id="reflection"' in html
    assert "that is a result too. What did it teach us?" in html
    assert "Write the reflection" in html


def test_a_card_not_yet_done_does_not_ask_the_three_questions(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session, board_column=BoardColumn.DO)
    html = html_of(client, url(card))
    assert "Write the reflection" not in html
    assert "When this card is finished" in html


@pytest.mark.parametrize("outcome", [Outcome.ADOPTED, Outcome.NOT_ADOPTED])
def test_a_member_reflects_on_a_finished_card(
    session: Session, client: FlaskClient, member, outcome: Outcome
) -> None:
    card = done_card(session, outcome)
    response = edit(
        client,
        card,
        "reflection",
        {
            "version": 1,
            "learnt": "Operators know where the time goes.",
            "take_forward": "Trial for two weeks first.",
            "do_differently": "",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Operators know where the time goes." in html
    assert "Reflected by Amara Okafor" in html
    reflection = session.scalar(select(Reflection).where(Reflection.improvement_id == card.id))
    assert reflection is not None
    assert (reflection.learnt, reflection.take_forward, reflection.author_id) == (
        "Operators know where the time goes.",
        "Trial for two weeks first.",
        member.id,
    )


def test_an_anonymous_reflection_stores_no_author(
    session: Session, client: FlaskClient, member
) -> None:
    card = done_card(session)
    response = edit(
        client,
        card,
        "reflection",
        {"version": 1, "learnt": "Small trials are fine.", "anonymous": "y"},
    )
    assert "Reflected anonymously" in response.get_data(as_text=True)
    reflection = session.scalar(select(Reflection))
    assert reflection is not None and reflection.author_id is None


def test_a_reflection_needs_at_least_one_answer(
    session: Session, client: FlaskClient, member
) -> None:
    card = done_card(session)
    response = edit(
        client,
        card,
        "reflection",
        {"version": 1, "learnt": " ", "take_forward": "", "do_differently": ""},
    )
    assert response.status_code == 422
    assert "Answer at least one of the three questions." in response.get_data(as_text=True)
    assert session.scalar(select(Reflection.id)) is None


def test_the_service_refuses_an_empty_reflection(session: Session) -> None:
    card = done_card(session)
    with pytest.raises(cards.CardInputError):
        reflect(session, card, take_forward=" ")


def test_a_reflection_can_be_edited_later(session: Session, client: FlaskClient, member) -> None:
    card = done_card(session)
    reflect(session, card, learnt="First thoughts")
    session.commit()
    form = html_of(client, url(card, "/edit/reflection"), headers=HTMX)
    assert "First thoughts" in form
    assert 'name="version" type="hidden" value="2"' in form
    edit(client, card, "reflection", {"version": 2, "learnt": "Second thoughts", "anonymous": "y"})
    session.expire_all()
    assert [r.learnt for r in session.scalars(select(Reflection))] == ["Second thoughts"]


def test_a_reflection_on_an_unfinished_card_is_refused(session: Session) -> None:
    card = make_improvement(session, board_column=BoardColumn.CHECK)
    with pytest.raises(cards.CardInputError):
        reflect(session, card, learnt="Too early", anonymous=False)


# --- Filing a new card ------------------------------------------------------------------


def test_the_new_card_form_preselects_the_team_from_the_address(
    session: Session, client: FlaskClient, member
) -> None:
    make_team(session, name="Assembly", slug="assembly")
    logistics = make_team(session, name="Logistics", slug="logistics")
    session.commit()
    html = html_of(client, "/improvements/new?team=logistics")
    assert f'<option selected value="{logistics.id}">Logistics</option>' in html


def test_a_new_card_is_filed_in_ideas_with_its_creation_as_the_first_move(
    session: Session, client: FlaskClient, member
) -> None:
    team = make_team(session)
    session.commit()
    response = file_card(client, {"title": "Label the racks", "team_id": team.id})
    card = session.scalar(select(Improvement).where(Improvement.title == "Label the racks"))
    assert card is not None
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/improvements/{card.id}")
    assert card.board_column is BoardColumn.IDEAS
    assert [(m.from_column, m.to_column, m.moved_by_id) for m in card.moves] == [
        (None, BoardColumn.IDEAS, member.id)
    ]


def test_an_htmx_new_card_answers_with_a_redirect_header(
    session: Session, client: FlaskClient, member
) -> None:
    team = make_team(session)
    session.commit()
    response = file_card(client, {"title": "Label the racks", "team_id": team.id}, htmx=True)
    card = session.scalar(select(Improvement))
    assert card is not None
    assert response.headers["HX-Redirect"] == f"/improvements/{card.id}"


def test_a_new_card_needs_a_title_and_a_team(session: Session, client: FlaskClient, member) -> None:
    make_team(session)
    session.commit()
    response = file_card(client, {"title": "", "team_id": "", "problem": "Racks unlabelled"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give the card a title." in html
    assert "Choose the team whose board the card goes on." in html
    assert "Racks unlabelled" in html
    assert session.scalar(select(Improvement.id)) is None


def test_a_new_card_from_an_observation_is_prefilled_and_linked(
    session: Session, client: FlaskClient, member
) -> None:
    area = make_area(session, name="Goods in")
    observation = make_observation(
        session, area=area, waste=Waste.TRANSPORT, description="Pallets moved twice."
    )
    session.commit()
    html = html_of(client, f"/improvements/new?observation={observation.id}")
    assert "Pallets moved twice." in html
    assert f'<option selected value="{area.team_id}">' in html
    assert '<option selected value="transport">' in html
    file_card(
        client,
        {
            "title": "One move only",
            "team_id": area.team_id,
            "observation_id": observation.id,
            "waste": "transport",
        },
    )
    card = session.scalar(select(Improvement))
    assert card is not None and [o.id for o in card.observations] == [observation.id]


def test_viewers_cannot_file_cards(sign_in: SignIn, session: Session, client: FlaskClient) -> None:
    viewer = make_user(session, role=Role.VIEWER)
    session.commit()
    sign_in(viewer)
    assert client.get("/improvements/new").status_code == 403


# --- Moving from the card page (through the board's move service) ----------------------


def test_a_member_moves_the_card_from_its_page_and_the_move_is_logged(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session)
    response = move(client, card, "plan")
    assert response.status_code == 302
    html = html_of(client, url(card))
    assert "In Plan" in html
    assert "Ideas → Plan" in html
    assert "Amara Okafor · <time" in html


def test_finishing_a_card_from_its_page_records_the_outcome(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session, board_column=BoardColumn.CHECK)
    move(client, card, "done:not_adopted")
    saved = fresh(session, card)
    assert (saved.board_column, saved.outcome) == (BoardColumn.DONE, Outcome.NOT_ADOPTED)
    assert "Write the reflection" in html_of(client, url(card))


def test_a_soft_limit_asks_for_a_reason_before_moving(
    session: Session, client: FlaskClient, member
) -> None:
    team = make_team(session)
    team.column_limits.append(ColumnLimit(board_column=BoardColumn.DO, wip_limit=1))
    make_improvement(session, team=team, board_column=BoardColumn.DO)
    card = saved_card(session, team=team, board_column=BoardColumn.PLAN)
    response = move(client, card, "do")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Why move it anyway?" in html
    move(client, card, "do", reason="The press is down")
    assert "Over the WIP limit because: The press is down" in client.get(url(card)).get_data(
        as_text=True
    )


def test_a_stale_move_from_the_card_page_answers_409(
    session: Session, client: FlaskClient, member
) -> None:
    card = make_improvement(session)
    cards.update_improvement(session, card, expected_version=1, changes={"title": "Changed"})
    session.commit()
    response = move(client, card, "plan")
    assert response.status_code == 409
    assert fresh(session, card).board_column is BoardColumn.IDEAS


def test_members_can_start_a_five_whys_from_the_card(
    session: Session, client: FlaskClient, member
) -> None:
    card = saved_card(session)
    html = html_of(client, url(card))
    assert f'href="/root-causes/new?improvement={card.id}"' in html
