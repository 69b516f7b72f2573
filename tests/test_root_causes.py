"""Five-whys records: the ladder, the conclusion, blame prompts, links and recurrence."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kaizen.models import (
    BoardColumn,
    CardMove,
    Observation,
    Role,
    RootCause,
    RootCauseCategory,
    RootCauseStatus,
    WhyStep,
)
from kaizen.services import root_causes as service
from tests.conftest import SignIn
from tests.factories import make_improvement, make_observation, make_user

NOW = datetime(2026, 6, 30, 12, 0)


def make_record(session: Session, steps: int = 3, **overrides: object) -> RootCause:
    """A record about press stops with `steps` numbered why/because steps."""
    record = service.create_root_cause(
        session,
        problem=str(overrides.pop("problem", "Press 4 stops for die changes")),
        why="Why 1?",
        because="Because 1.",
        **overrides,  # type: ignore[arg-type]
    )
    for n in range(2, steps + 1):
        service.add_step(session, record, f"Why {n}?", f"Because {n}.")
    return record


def whys(record: RootCause) -> list[str]:
    return [s.why for s in record.steps]


@pytest.fixture
def member_client(sign_in: SignIn, client: FlaskClient, session: Session) -> FlaskClient:
    """A client signed in as a member."""
    member = make_user(session, role=Role.MEMBER, display_name="Mia Jones")
    session.commit()
    sign_in(member)
    return client


# The ladder


def test_steps_are_added_in_order(session: Session) -> None:
    record = make_record(session, steps=5)
    assert whys(record) == ["Why 1?", "Why 2?", "Why 3?", "Why 4?", "Why 5?"]
    assert [s.position for s in record.steps] == [0, 1, 2, 3, 4]


def test_more_than_five_whys_are_allowed(session: Session) -> None:
    assert len(make_record(session, steps=7).steps) == 7


def test_moving_a_step_up_and_down_survives_a_reload(session: Session) -> None:
    record = make_record(session, steps=4)
    third, first = record.steps[2], record.steps[0]
    service.move_step(session, record, third.id, -1)
    service.move_step(session, record, first.id, +1)
    session.commit()
    session.expire_all()
    reloaded = service.load_root_cause(session, record.id)
    assert whys(reloaded) == ["Why 3?", "Why 1?", "Why 2?", "Why 4?"]
    assert [s.position for s in reloaded.steps] == [0, 1, 2, 3]


def test_moving_the_top_step_up_changes_nothing(session: Session) -> None:
    record = make_record(session, steps=3)
    service.move_step(session, record, record.steps[0].id, -1)
    assert whys(record) == ["Why 1?", "Why 2?", "Why 3?"]


def test_removing_the_last_step_keeps_the_order_of_the_rest(session: Session) -> None:
    record = make_record(session, steps=4)
    service.move_step(session, record, record.steps[3].id, -1)
    service.remove_last_step(session, record)
    session.commit()
    session.expire_all()
    assert whys(service.load_root_cause(session, record.id)) == ["Why 1?", "Why 2?", "Why 4?"]
    assert session.scalar(select(text("count(*)")).select_from(WhyStep)) == 3


def test_the_first_step_cannot_be_removed(session: Session) -> None:
    record = make_record(session, steps=1)
    with pytest.raises(service.RootCauseError, match="at least one step"):
        service.remove_last_step(session, record)


def test_a_step_needs_both_a_question_and_an_answer(session: Session) -> None:
    record = make_record(session, steps=1)
    with pytest.raises(service.RootCauseError, match="because"):
        service.add_step(session, record, "Why?", "  ")
    with pytest.raises(service.RootCauseError, match="why did it happen"):
        service.add_step(session, record, "", "Because.")


def test_the_category_list_is_enforced_by_the_database(session: Session) -> None:
    record = make_record(session)
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(
            text("UPDATE root_cause SET category = 'operator' WHERE id = :id"), {"id": record.id}
        )
        session.flush()


def test_every_category_can_be_stored(session: Session) -> None:
    for category in RootCauseCategory:
        record = make_record(session, steps=1)
        service.update_conclusion(
            session,
            record,
            root_cause="r",
            category=category,
            countermeasure="",
            status=RootCauseStatus.OPEN,
        )
    session.commit()


def test_a_countermeasure_is_needed_before_it_is_marked_chosen(session: Session) -> None:
    record = make_record(session)
    with pytest.raises(service.RootCauseError, match="Choose a countermeasure"):
        service.update_conclusion(
            session,
            record,
            root_cause="No staging area for dies",
            category=RootCauseCategory.METHOD,
            countermeasure="",
            status=RootCauseStatus.COUNTERMEASURE,
        )


# Blame-free prompt (documented in docs/five-whys.md)


@pytest.mark.parametrize(
    "answer",
    [
        "Human error",
        "The operator forgot to check the gauge",
        "Careless handling at the press",
        "Because he was not paying attention",
        "It was her fault",
        "Operator error during changeover",
    ],
)
def test_blaming_answers_are_spotted(answer: str) -> None:
    assert service.blame_matches(answer)


def test_a_persons_name_is_spotted(session: Session) -> None:
    make_user(session, username="kfischer", display_name="Karl Fischer")
    names = service.person_names(session)
    assert service.blame_matches("Because Karl skipped the check", names) == ["Karl"]


@pytest.mark.parametrize(
    "answer",
    [
        "The die trolley has no fixed parking place",
        "The standard work sheet does not mention the check",
        "Nobody is told when the forklift is needed",
        "Forklifts are shared by three lines",
    ],
)
def test_process_answers_raise_no_prompt(answer: str, session: Session) -> None:
    make_user(session, username="kfischer", display_name="Karl Fischer")
    assert service.blame_matches(answer, service.person_names(session)) == []


def test_a_blaming_root_cause_is_saved_with_a_prompt_not_refused(
    member_client: FlaskClient, session: Session
) -> None:
    record = make_record(session)
    session.commit()
    response = member_client.post(
        f"/root-causes/{record.id}/conclusion",
        data={
            "root_cause": "Human error",
            "category": "training",
            "countermeasure": "",
            "status": "open",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Ask why the process allowed it" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(RootCause, record.id).root_cause == "Human error"


def test_a_blaming_step_is_saved_with_a_prompt(
    member_client: FlaskClient, session: Session
) -> None:
    record = make_record(session)
    session.commit()
    response = member_client.post(
        f"/root-causes/{record.id}/steps",
        data={"why": "Why was the gauge not checked?", "because": "Mia Jones forgot."},
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ask why the process allowed it" in body
    assert len(service.load_root_cause(session, record.id).steps) == 4


# Links, both ways


def test_a_record_links_to_many_observations_and_cards_and_they_see_it(session: Session) -> None:
    record = make_record(session)
    observations = [make_observation(session) for _ in range(3)]
    cards = [make_improvement(session) for _ in range(2)]
    for item in [*observations, *cards]:
        service.link(session, record, item)
    service.link(session, record, cards[0])  # linking twice keeps one link
    session.commit()
    session.expire_all()
    assert len(service.load_root_cause(session, record.id).observations) == 3
    assert len(service.load_root_cause(session, record.id).improvements) == 2
    assert all(o.root_causes[0].id == record.id for o in observations)
    assert all(c.root_causes[0].id == record.id for c in cards)


def test_an_observation_can_have_several_records(session: Session) -> None:
    observation = make_observation(session)
    first, second = make_record(session), make_record(session)
    service.link(session, first, observation)
    service.link(session, second, observation)
    session.commit()
    assert {r.id for r in observation.root_causes} == {first.id, second.id}


def test_unlinking_keeps_the_observation(session: Session) -> None:
    observation = make_observation(session)
    record = make_record(session, observation=observation)
    service.unlink(session, record, observation)
    session.commit()
    assert record.observations == []
    assert session.get(Observation, observation.id) is not None


# Recurrence


def test_recurrence_counts_linked_observations_before_and_after_done(session: Session) -> None:
    card = make_improvement(session, created_at=NOW - timedelta(days=40))
    done_at = NOW - timedelta(days=14)
    session.add(
        CardMove(
            improvement=card,
            from_column=BoardColumn.IDEAS,
            to_column=BoardColumn.DONE,
            moved_at=done_at,
        )
    )
    record = make_record(session, improvement=card)
    area = make_observation(session).area
    for days_ago in (35, 28, 21, 15):  # before Done
        service.link(
            session,
            record,
            make_observation(session, area=area, observed_at=NOW - timedelta(days=days_ago)),
        )
    service.link(
        session, record, make_observation(session, area=area, observed_at=NOW - timedelta(days=3))
    )
    session.commit()

    result = service.recurrence(session, record, now=NOW)

    assert (result.before, result.after) == (4, 1)
    assert result.done_at == done_at
    assert (result.days_before, result.days_after) == (21, 14)
    assert result.before_per_week == round(7 * 4 / 21, 1)
    assert result.after_per_week == 0.5


def test_recurrence_uses_the_first_time_the_card_reached_done(session: Session) -> None:
    card = make_improvement(session, created_at=NOW - timedelta(days=40))
    for days_ago, (src, dst) in [
        (20, (BoardColumn.IDEAS, BoardColumn.DONE)),
        (18, (BoardColumn.DONE, BoardColumn.CHECK)),
        (10, (BoardColumn.CHECK, BoardColumn.DONE)),
    ]:
        session.add(
            CardMove(
                improvement=card,
                from_column=src,
                to_column=dst,
                moved_at=NOW - timedelta(days=days_ago),
            )
        )
    record = make_record(session, improvement=card)
    session.commit()
    assert service.recurrence(session, record, now=NOW).done_at == NOW - timedelta(days=20)


def test_no_recurrence_until_a_linked_card_is_done(session: Session) -> None:
    record = make_record(session, improvement=make_improvement(session))
    assert service.recurrence(session, record, now=NOW) is None


# The list


def test_the_list_filters_by_category_status_and_words_in_the_steps(session: Session) -> None:
    machine = make_record(session, problem="Weld spatter on fixtures")
    service.add_step(session, machine, "Why so much spatter?", "The tips are worn out")
    service.update_conclusion(
        session,
        machine,
        root_cause="No tip-dressing schedule",
        category=RootCauseCategory.MACHINE,
        countermeasure="Dress tips every 200 welds",
        status=RootCauseStatus.VERIFIED,
    )
    make_record(session, problem="Forklift waits at goods in")
    session.commit()

    def problems(**filters: object) -> list[str]:
        return [r.problem for r in service.list_root_causes(session, **filters)]  # type: ignore[arg-type]

    assert problems(category=RootCauseCategory.MACHINE) == ["Weld spatter on fixtures"]
    assert problems(status=RootCauseStatus.OPEN) == ["Forklift waits at goods in"]
    assert problems(text="worn TIPS") == ["Weld spatter on fixtures"]
    assert problems(text="forklift") == ["Forklift waits at goods in"]
    assert problems(text="nothing-like-this") == []


# Pages


def test_starting_from_a_card_prefills_its_problem_and_links_it(
    member_client: FlaskClient, session: Session
) -> None:
    card = make_improvement(session, title="Die trolley parking", problem="Press 4 waits for dies")
    session.commit()
    form = member_client.get(f"/root-causes/new?improvement={card.id}").get_data(as_text=True)
    assert "Press 4 waits for dies" in form
    response = member_client.post(
        "/root-causes/new",
        data={
            "problem": "Press 4 waits for dies",
            "why": "Why?",
            "because": "Because.",
            "improvement_id": str(card.id),
        },
    )
    assert response.status_code == 302
    record = session.scalars(select(RootCause)).one()
    assert [c.id for c in record.improvements] == [card.id]


def test_a_new_record_without_a_problem_keeps_what_was_typed(
    member_client: FlaskClient, session: Session
) -> None:
    response = member_client.post(
        "/root-causes/new", data={"problem": "", "why": "Why does it jam?", "because": ""}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Describe the problem in a sentence." in body
    assert "Write the answer: because ..." in body
    assert "Why does it jam?" in body


def test_a_short_chain_gets_a_gentle_note(member_client: FlaskClient, session: Session) -> None:
    record = make_record(session, steps=2)
    session.commit()
    body = member_client.get(f"/root-causes/{record.id}").get_data(as_text=True)
    assert "Most chains need at least 3" in body
    service.add_step(session, record, "Why 3?", "Because 3.")
    session.commit()
    assert "Most chains need" not in member_client.get(f"/root-causes/{record.id}").get_data(
        as_text=True
    )


def test_htmx_edits_return_just_the_ladder(member_client: FlaskClient, session: Session) -> None:
    record = make_record(session, steps=2)
    session.commit()
    response = member_client.post(
        f"/root-causes/{record.id}/steps/{record.steps[1].id}/move",
        data={"direction": "up"},
        headers={"HX-Request": "true", "HX-Target": "why-ladder"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="why-ladder"')
    assert body.index("Why 2?") < body.index("Why 1?")


def test_an_empty_step_is_refused_with_the_typed_question_kept(
    member_client: FlaskClient, session: Session
) -> None:
    record = make_record(session, steps=1)
    session.commit()
    response = member_client.post(
        f"/root-causes/{record.id}/steps",
        data={"why": "Why is the scanner slow?", "because": ""},
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Write the answer: because ..." in body
    assert "Why is the scanner slow?" in body


def test_people_who_are_not_signed_in_read_but_cannot_edit(
    client: FlaskClient, session: Session
) -> None:
    record = make_record(session)
    session.commit()
    page = client.get(f"/root-causes/{record.id}")
    assert page.status_code == 200
    assert "Add this step" not in page.get_data(as_text=True)
    refused = client.post(f"/root-causes/{record.id}/steps", data={"why": "w", "because": "b"})
    assert refused.status_code == 302
    assert "/login" in refused.headers["Location"]


def test_an_unknown_record_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/root-causes/999")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_kiosk_tablets_and_ordinary_words_are_not_taken_for_names(session: Session) -> None:
    from tests.factories import make_area

    make_user(
        session,
        username="tablet-line1",
        display_name="Press line 1 tablet",
        role=Role.KIOSK,
        area=make_area(session),
    )
    make_user(session, username="wmark", display_name="Will Mark")
    names = service.person_names(session)
    assert service.blame_matches("The line waits because the press tablet is slow", names) == []
    assert service.blame_matches("We will mark the racks", names) == []
    assert service.blame_matches("Because Will skipped the check", names) == ["Will"]


def test_a_lower_case_username_fires_only_where_it_is_written_as_a_name(session: Session) -> None:
    make_user(session, username="will", display_name="Wilhelm Brandt")
    make_user(session, username="jdijk", display_name="Jan van Dijk")
    names = service.person_names(session)
    assert service.blame_matches("We will mark the racks", names) == []
    assert service.blame_matches("The van was late with the coils", names) == []
    assert service.blame_matches("Because Will skipped the check", names) == ["Will"]
    assert service.blame_matches("Because Dijk skipped the check", names) == ["Dijk"]


def test_the_ladder_does_not_print_because_twice() -> None:
    assert service.without_because("Because the light is hidden.") == "The light is hidden."
    assert service.without_because("because… the rack moved") == "The rack moved"
    assert service.without_because("The rack moved") == "The rack moved"


def test_an_observation_can_start_a_five_whys_with_its_words(
    member_client: FlaskClient, session: Session
) -> None:
    observation = make_observation(session, description="Coils wait at press 3 for the crane.")
    session.commit()
    listing = member_client.get("/observations").get_data(as_text=True)
    assert f'href="/root-causes/new?observation={observation.id}"' in listing
    form = member_client.get(f"/root-causes/new?observation={observation.id}").get_data(
        as_text=True
    )
    assert "Coils wait at press 3 for the crane." in form


def test_the_link_forms_link_a_card_or_an_observation(
    member_client: FlaskClient, session: Session
) -> None:
    record = make_record(session)
    observation = make_observation(session)
    card = make_improvement(session)
    session.commit()
    page = member_client.get(f"/root-causes/{record.id}").get_data(as_text=True)
    assert "Link this card" in page and "Link this observation" in page

    url = f"/root-causes/{record.id}/links"
    assert member_client.post(url, data={"observation_id": str(observation.id)}).status_code == 302
    assert member_client.post(url, data={"improvement_id": str(card.id)}).status_code == 302
    refused = member_client.post(url, data={}, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    assert "Choose a card or an observation to link." in refused.get_data(as_text=True)
    session.expire_all()
    linked = service.load_root_cause(session, record.id)
    assert [o.id for o in linked.observations] == [observation.id]
    assert [c.id for c in linked.improvements] == [card.id]


def test_the_unlink_buttons_remove_a_link_and_keep_the_item(
    member_client: FlaskClient, session: Session
) -> None:
    observation = make_observation(session)
    record = make_record(session, observation=observation)
    session.commit()
    page = member_client.get(f"/root-causes/{record.id}").get_data(as_text=True)
    assert f'aria-label="Unlink observation {observation.id}"' in page

    response = member_client.post(
        f"/root-causes/{record.id}/links/remove",
        data={"observation_id": str(observation.id)},
        headers={"HX-Request": "true"},
    )

    assert "No observation linked yet." in response.get_data(as_text=True)
    session.expire_all()
    assert service.load_root_cause(session, record.id).observations == []
    assert session.get(Observation, observation.id) is not None


def test_observation_texts_on_a_five_whys_and_a_card_section_need_a_viewer(
    session: Session, client: FlaskClient, sign_in: SignIn
) -> None:
    # The texts /observations keeps to viewers must not show on these pages signed out.
    observation = make_observation(session, description="Pallets moved twice.")
    card = make_improvement(session)
    card.observations.append(observation)
    record = make_record(session)
    service.link(session, record, observation)
    viewer = make_user(session, role=Role.VIEWER)
    session.commit()
    addresses = (f"/root-causes/{record.id}", f"/improvements/{card.id}/section/observations")

    for address in addresses:
        page = client.get(address).get_data(as_text=True)
        assert "Pallets moved twice." not in page, address
        assert "Sign in" in page, address
    sign_in(viewer)
    for address in addresses:
        assert "Pallets moved twice." in client.get(address).get_data(as_text=True), address
