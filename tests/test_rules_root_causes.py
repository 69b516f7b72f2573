"""Five-whys rules a person would notice when broken: the blame prompt (whole words only, names
as written, ordinary words and very short names never taken for people), the ladder, the
conclusion and recurrence. Written to kill mutants of kaizen/services/root_causes.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from kaizen.models import BoardColumn, Role, RootCause, RootCauseCategory, RootCauseStatus
from kaizen.services.root_causes import (
    RootCauseError,
    add_step,
    blame_matches,
    create_root_cause,
    link,
    move_step,
    person_names,
    recurrence,
    remove_last_step,
    unlink,
    update_conclusion,
    update_problem,
    update_step,
    without_because,
)
from tests.factories import make_improvement, make_moved_improvement, make_observation, make_user

NOW = datetime(2026, 6, 30, 12, 0)


def test_blameless_does_not_fire_the_blame_prompt() -> None:
    assert blame_matches("We held a blameless review of the stop") == []


def test_a_blaming_phrase_inside_another_word_does_not_fire() -> None:
    assert blame_matches("The default of the sensor was changed") == []


def test_a_blaming_phrase_fires_in_capitals_too() -> None:
    assert blame_matches("HUMAN ERROR at the press") == ["human error"]


def test_a_name_fires_only_as_a_whole_word(session: Session) -> None:
    make_user(session, username="pnovak", display_name="Pete Novak")
    names = person_names(session)

    assert blame_matches("The Peterson clamp slips", names) == []
    assert blame_matches("Because Pete skipped the check", names) == ["Pete"]


def test_a_username_counts_as_a_name(session: Session) -> None:
    make_user(session, username="kfischer", display_name="K. Fischer")

    # Written as a name, with a capital: a lower-case word is the ordinary word it spells.
    assert blame_matches("Ask Kfischer why", person_names(session)) == ["Kfischer"]


def test_a_three_letter_name_is_spotted(session: Session) -> None:
    make_user(session, username="asilva", display_name="Ana Silva")

    assert blame_matches("Because Ana skipped the check", person_names(session)) == ["Ana"]


def test_names_shorter_than_three_letters_are_never_taken_for_people(session: Session) -> None:
    make_user(session, username="jli", display_name="Jo Li")

    assert "Li" not in person_names(session) and "Jo" not in person_names(session)
    assert blame_matches("Jo Li skipped the check", person_names(session)) == []


def test_words_of_shared_accounts_are_not_taken_for_names(session: Session) -> None:
    make_user(session, username="admin", display_name="Plant Administrator", role=Role.ADMIN)
    make_user(session, username="paintlead", display_name="Paint Shop Lead", role=Role.LEAD)
    make_user(session, username="weldteam", display_name="Weld Team Member")

    names = person_names(session)

    assert names == ["Paintlead", "Weldteam"]
    assert blame_matches("Paint runs because the Plant Administrator changed the plan", names) == []


def test_blame_itself_fires_the_prompt() -> None:
    assert blame_matches("They blame the night shift for the scrap") == ["blame"]


# -- the ladder and the conclusion ---------------------------------------------------------


def record_with_steps(session: Session, count: int) -> RootCause:
    """A record about press stops with `count` numbered steps."""
    record = create_root_cause(
        session, problem="  Press 4 stops for die changes  ", why=" Why 1? ", because=" B 1. "
    )
    for n in range(2, count + 1):
        add_step(session, record, f"Why {n}?", f"B {n}.")
    return record


def ladder(record: RootCause) -> list[tuple[int, str, str]]:
    """(position, why, because) of each step, top first."""
    return [(s.position, s.why, s.because) for s in record.steps]


def test_a_new_record_keeps_its_words_without_surrounding_spaces(session: Session) -> None:
    record = record_with_steps(session, 1)

    assert record.problem == "Press 4 stops for die changes"
    assert ladder(record) == [(0, "Why 1?", "B 1.")]


def test_a_record_needs_a_problem(session: Session) -> None:
    with pytest.raises(RootCauseError) as refused:
        create_root_cause(session, problem="  ", why="Why?", because="Because.")

    assert str(refused.value) == "Describe the problem in a sentence."


def test_a_step_without_a_question_or_an_answer_is_refused_in_plain_words(
    session: Session,
) -> None:
    record = record_with_steps(session, 1)

    with pytest.raises(RootCauseError) as no_why:
        add_step(session, record, " ", "Because.")
    with pytest.raises(RootCauseError) as no_because:
        update_step(session, record, record.steps[0].id, "Why?", "")

    assert str(no_why.value) == "Write the question: why did it happen?"
    assert str(no_because.value) == "Write the answer: because ..."


def test_editing_a_step_keeps_its_place(session: Session) -> None:
    record = record_with_steps(session, 3)

    update_step(session, record, record.steps[1].id, " Why not sooner? ", " No signal. ")

    assert ladder(record) == [
        (0, "Why 1?", "B 1."),
        (1, "Why not sooner?", "No signal."),
        (2, "Why 3?", "B 3."),
    ]


def test_a_step_of_another_record_cannot_be_edited_here(session: Session) -> None:
    record, other = record_with_steps(session, 1), record_with_steps(session, 1)

    with pytest.raises(RootCauseError) as refused:
        update_step(session, record, other.steps[0].id, "Why?", "Because.")

    assert str(refused.value) == "That step is not part of this record any more."


def test_the_bottom_step_moving_down_and_big_jumps_change_nothing(session: Session) -> None:
    record = record_with_steps(session, 3)
    before = ladder(record)

    move_step(session, record, record.steps[2].id, +1)
    move_step(session, record, record.steps[0].id, +2)

    assert ladder(record) == before


def test_moving_a_step_down_swaps_it_with_the_one_below(session: Session) -> None:
    record = record_with_steps(session, 3)

    move_step(session, record, record.steps[0].id, +1)

    assert ladder(record) == [(0, "Why 2?", "B 2."), (1, "Why 1?", "B 1."), (2, "Why 3?", "B 3.")]


def test_removing_the_last_step_of_two_leaves_the_first(session: Session) -> None:
    record = record_with_steps(session, 2)

    remove_last_step(session, record)

    assert ladder(record) == [(0, "Why 1?", "B 1.")]
    with pytest.raises(RootCauseError) as refused:
        remove_last_step(session, record)
    assert str(refused.value) == "A five whys needs at least one step."


def test_the_problem_can_be_reworded_but_not_emptied(session: Session) -> None:
    record = record_with_steps(session, 1)

    update_problem(session, record, "  Press 4 stops twice a shift  ")
    with pytest.raises(RootCauseError):
        update_problem(session, record, " ")

    assert record.problem == "Press 4 stops twice a shift"


def test_an_open_record_may_have_a_root_cause_but_no_countermeasure_yet(
    session: Session,
) -> None:
    record = record_with_steps(session, 1)

    update_conclusion(
        session,
        record,
        root_cause="  No staging area for dies ",
        category=RootCauseCategory.METHOD,
        countermeasure="  ",
        status=RootCauseStatus.OPEN,
    )

    assert (record.root_cause, record.category, record.countermeasure, record.status) == (
        "No staging area for dies",
        RootCauseCategory.METHOD,
        "",
        RootCauseStatus.OPEN,
    )


def test_a_chosen_countermeasure_is_kept_without_surrounding_spaces(session: Session) -> None:
    record = record_with_steps(session, 1)

    update_conclusion(
        session,
        record,
        root_cause="No staging area",
        category=None,
        countermeasure=" Mark a die parking place ",
        status=RootCauseStatus.COUNTERMEASURE,
    )

    assert (record.countermeasure, record.status) == (
        "Mark a die parking place",
        RootCauseStatus.COUNTERMEASURE,
    )


def test_linking_twice_links_once_and_unlinking_twice_is_harmless(session: Session) -> None:
    record = record_with_steps(session, 1)
    observation = make_observation(session)
    card = make_improvement(session)

    for _ in range(2):
        link(session, record, observation)
        link(session, record, card)
    assert (record.observations, record.improvements) == ([observation], [card])

    for _ in range(2):
        unlink(session, record, observation)
    assert (record.observations, record.improvements) == ([], [card])


def test_an_answer_that_is_only_because_is_kept_as_written() -> None:
    assert without_because("Because") == "Because"
    assert without_because("  because, the die cart is shared") == "The die cart is shared"
    assert without_because("Becausethe typo stays") == "Becausethe typo stays"


def test_recurrence_counts_from_the_earliest_linked_report_and_at_least_a_day(
    session: Session,
) -> None:
    done_at = NOW - timedelta(days=10)
    card = make_moved_improvement(session, [(BoardColumn.DONE, done_at)], title="Die cart")
    record = record_with_steps(session, 1)
    link(session, record, card)
    for at in (done_at - timedelta(days=30), done_at - timedelta(days=2), done_at):
        link(session, record, make_observation(session, observed_at=at))
    session.commit()

    result = recurrence(session, record, now=done_at + timedelta(hours=5))

    assert (result.improvement_id, result.improvement_title) == (card.id, "Die cart")
    assert (result.before, result.after) == (2, 1)
    assert (result.days_before, result.days_after) == (30, 1)


def test_recurrence_follows_the_linked_card_that_finished_first(session: Session) -> None:
    later = make_moved_improvement(session, [(BoardColumn.DONE, NOW - timedelta(days=3))])
    first = make_moved_improvement(session, [(BoardColumn.DONE, NOW - timedelta(days=9))])
    record = record_with_steps(session, 1)
    link(session, record, later)
    link(session, record, first)
    session.commit()

    result = recurrence(session, record, now=NOW)

    assert (result.improvement_id, result.done_at) == (first.id, NOW - timedelta(days=9))
    assert (result.days_before, result.days_after) == (1, 9)


def test_cards_that_finished_at_the_same_moment_are_told_apart_by_number(
    session: Session,
) -> None:
    at = NOW - timedelta(days=4)
    first = make_moved_improvement(session, [(BoardColumn.DONE, at)])
    second = make_moved_improvement(session, [(BoardColumn.DONE, at)])
    record = record_with_steps(session, 1)
    link(session, record, second)
    link(session, record, first)
    session.commit()

    assert recurrence(session, record, now=NOW).improvement_id == first.id


def test_a_record_without_linked_cards_has_no_recurrence(session: Session) -> None:
    assert recurrence(session, record_with_steps(session, 1), now=NOW) is None


def test_a_record_remembers_who_started_it(session: Session) -> None:
    person = make_user(session)

    record = create_root_cause(
        session, problem="Press stops", why="Why?", because="Because.", created_by=person
    )

    assert record.created_by is person


def test_rewording_the_problem_to_nothing_is_refused_in_plain_words(session: Session) -> None:
    record = record_with_steps(session, 1)

    with pytest.raises(RootCauseError) as refused:
        update_problem(session, record, "  ")

    assert str(refused.value) == "Describe the problem in a sentence."


def test_choosing_without_a_countermeasure_is_refused_in_plain_words(session: Session) -> None:
    record = record_with_steps(session, 1)

    with pytest.raises(RootCauseError) as refused:
        update_conclusion(
            session,
            record,
            root_cause="No staging area",
            category=None,
            countermeasure="",
            status=RootCauseStatus.VERIFIED,
        )

    assert str(refused.value) == "Choose a countermeasure before marking it chosen or verified."


def test_unlinking_a_card_removes_the_card_and_keeps_the_reports(session: Session) -> None:
    record = record_with_steps(session, 1)
    observation, card = make_observation(session), make_improvement(session)
    link(session, record, observation)
    link(session, record, card)

    unlink(session, record, card)

    assert (record.observations, record.improvements) == ([observation], [])
