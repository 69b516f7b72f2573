"""Reporting rules a person would notice when broken: 0 minutes lost is a valid answer, and a
card made from a long report gets a title that fits its column. Written to kill mutants of
kaizen/services/observations.py."""

from __future__ import annotations

from datetime import datetime

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen.models import Improvement, Observation, Role, RootCause, Waste
from kaizen.services.observations import (
    CardChoice,
    ObservationError,
    ObservationInput,
    Submitted,
    anonymous_by_default,
    area_by_slug,
    cards_for_team,
    create_observation,
    default_area,
    improvement_from_observation,
    link_to_improvement,
    link_to_root_cause,
    submit_observation,
    title_from_description,
)
from kaizen.services.photos import ProcessedPhoto
from tests.factories import make_area, make_observation, make_team, make_user
from tests.test_photos import jpeg_with_exif

# The title column holds 200 characters (PostgreSQL refuses more).
TITLE_COLUMN = 200


def test_the_service_accepts_0_minutes_lost(session: Session) -> None:
    # Zero is a real answer ("it cost no time, but it is waste"), not a missing one.
    observation = create_observation(
        session, area=make_area(session), waste=Waste.SKILLS, description="Idea.", minutes_lost=0
    )

    assert observation.minutes_lost == 0


def test_the_service_accepts_a_whole_week_of_minutes_lost(session: Session) -> None:
    observation = create_observation(
        session,
        area=make_area(session),
        waste=Waste.WAITING,
        description="The line stood still all week.",
        minutes_lost=7 * 24 * 60,
    )

    assert observation.minutes_lost == 10080


def test_the_form_and_the_service_agree_that_0_minutes_lost_is_fine(
    client: FlaskClient, session: Session
) -> None:
    make_area(session, slug="press-3")
    session.commit()

    response = client.post(
        "/observe?area=press-3",
        data={
            "waste": "skills",
            "area": "press-3",
            "description": "Ana knows how to fix the feeder.",
            "minutes_lost": "0",
        },
    )

    assert response.status_code == 303
    session.expire_all()
    assert session.scalars(select(Observation.minutes_lost)).one() == 0


def test_a_report_of_blank_space_is_refused_with_a_plain_message(session: Session) -> None:
    try:
        create_observation(session, area=make_area(session), waste=Waste.MOTION, description=" \n")
    except ObservationError as error:
        assert str(error) == "Tell us in a sentence or two what you saw."
    else:
        raise AssertionError("a blank report was saved")


def test_a_report_of_2000_characters_is_accepted_and_2001_refused(session: Session) -> None:
    area = make_area(session)
    create_observation(session, area=area, waste=Waste.MOTION, description="x" * 2000)

    try:
        create_observation(session, area=area, waste=Waste.MOTION, description="x" * 2001)
    except ObservationError as error:
        assert str(error) == "Please keep it under 2000 characters."
    else:
        raise AssertionError("a 2001-character report was saved")


def test_a_card_from_a_long_report_without_spaces_gets_a_title_that_fits(
    session: Session,
) -> None:
    team = make_team(session)
    area = make_area(session, team=team)
    # A pasted part list or machine message: one "word" longer than the column.
    observation = make_observation(session, area=area, description="PN-" + "4711-" * 80)

    card = improvement_from_observation(session, observation, created_by=None)
    session.commit()

    session.expire_all()
    title = session.scalars(select(Improvement.title).where(Improvement.id == card.id)).one()
    assert len(title) == TITLE_COLUMN and title.endswith("…")
    assert title.startswith("PN-4711-4711-")


def test_a_long_title_is_cut_at_a_word_and_marked_as_cut() -> None:
    sentence = "The forklift " + "waits for the press again and " * 10 + "then leaves."

    title = title_from_description(sentence)

    assert len(title) <= TITLE_COLUMN and title.endswith("…")
    assert sentence.startswith(title[:-1])
    assert title[-2] != " " and sentence[len(title) - 1] == " "


def test_a_title_of_exactly_the_column_length_is_kept_whole() -> None:
    sentence = "x" * (TITLE_COLUMN - 1) + "."

    assert title_from_description(sentence + " More words.") == sentence


def test_a_cut_title_drops_a_dangling_comma() -> None:
    words = "word " * 38 + "wordy, tail tail tail"  # the cut falls right after "wordy,"

    title = title_from_description(words)

    assert title.endswith("wordy…")


def test_minutes_lost_outside_a_week_are_refused_in_plain_words(session: Session) -> None:
    try:
        create_observation(
            session,
            area=make_area(session),
            waste=Waste.MOTION,
            description="Walk.",
            minutes_lost=10081,
        )
    except ObservationError as error:
        assert str(error) == "Minutes lost is between 0 and 10080 (a week)."
    else:
        raise AssertionError("more than a week of minutes was saved")


def test_a_report_is_stamped_with_when_it_was_made_and_keeps_its_photo(session: Session) -> None:
    at = datetime(2026, 3, 2, 7, 45)
    photo = ProcessedPhoto(b"photo", b"thumb", "image/png", 4, 3)

    observation = create_observation(
        session,
        area=make_area(session),
        waste=Waste.DEFECTS,
        description="Burr.",
        photo=photo,
        now=at,
    )

    assert (observation.observed_at, observation.created_at) == (at, at)
    assert (observation.photo, observation.photo_thumb, observation.photo_type) == (
        b"photo",
        b"thumb",
        "image/png",
    )


def test_an_area_is_found_by_its_slug_whatever_the_case_and_spaces(session: Session) -> None:
    area = make_area(session, slug="press-3")

    assert area_by_slug(session, "  Press-3 ") is area
    assert area_by_slug(session, "   ") is None and area_by_slug(session, None) is None


def test_linking_to_a_missing_five_whys_is_refused_in_plain_words(session: Session) -> None:
    observation = make_observation(session)

    try:
        link_to_root_cause(session, observation, 999)
    except ObservationError as error:
        assert str(error) == "That five-whys record no longer exists."
    else:
        raise AssertionError("a link to a missing record was made")


def test_linking_a_report_twice_to_a_five_whys_links_it_once(session: Session) -> None:
    observation = make_observation(session)
    record = RootCause(problem="Forklift arrives late")
    session.add(record)
    session.flush()

    link_to_root_cause(session, observation, record.id)
    link_to_root_cause(session, observation, record.id)

    assert observation.root_causes == [record]


def test_a_report_without_a_team_cannot_become_a_card_and_says_why(session: Session) -> None:
    observation = make_observation(session, area=make_area(session, team=None))

    try:
        improvement_from_observation(session, observation, created_by=None)
    except ObservationError as error:
        assert str(error) == "There is no team yet to own the card. Ask a lead to add one."
    else:
        raise AssertionError("a card without a team was made")


def test_the_link_picker_offers_the_areas_team_cards_or_all_of_them() -> None:
    cards = [CardChoice(1, "A", 10, "Press"), CardChoice(2, "B", 20, "Paint")]

    assert cards_for_team(cards, 20) == [cards[1]]
    assert cards_for_team(cards, None) == cards


def test_kiosks_report_in_their_area_and_without_a_name(session: Session) -> None:
    area = make_area(session)
    kiosk = make_user(session, role=Role.KIOSK, area=area)
    member = make_user(session, role=Role.MEMBER)

    assert (default_area(kiosk), default_area(member), default_area(None)) == (area, None, None)
    assert anonymous_by_default(kiosk) and anonymous_by_default(None)
    assert not anonymous_by_default(member)


def test_a_report_is_anonymous_unless_the_reporter_asks_to_be_named(session: Session) -> None:
    person = make_user(session)

    observation = create_observation(
        session, area=make_area(session), waste=Waste.MOTION, description="Walk.", reporter=person
    )

    assert observation.reporter is None


def test_linking_to_a_missing_card_is_refused_in_plain_words(session: Session) -> None:
    observation = make_observation(session)

    try:
        link_to_improvement(session, observation, 999)
    except ObservationError as error:
        assert str(error) == "That improvement card no longer exists."
    else:
        raise AssertionError("a link to a missing card was made")


def test_a_cut_title_keeps_the_last_words_letters() -> None:
    title = title_from_description("Check rack AX " * 30)

    assert title.endswith("AX…")


# -- the submit path shared by the entry form and the API ----------------------------------


def submitted(session: Session, **fields: object) -> Submitted:
    """Submit a report for a new area, as the entry form would, signed out."""
    area = make_area(session)
    session.commit()
    values: dict[str, object] = {"area": area.slug, "waste": "waiting", "description": "Idle."}
    values.update(fields)
    return submit_observation(session, ObservationInput(**values), None)  # type: ignore[arg-type]


def test_a_submitted_report_of_exactly_2000_characters_is_saved(session: Session) -> None:
    result = submitted(session, description="x" * 2000)
    assert result.errors == {} and result.observation is not None
    assert submitted(session, description="x" * 2001).errors == {
        "description": "Please keep it under 2000 characters."
    }


def test_a_submitted_week_of_minutes_lost_is_saved_and_a_minute_more_is_not(
    session: Session,
) -> None:
    saved = submitted(session, minutes_lost=" 10080 ")
    assert saved.observation is not None and saved.observation.minutes_lost == 10080
    assert submitted(session, minutes_lost="10081").errors == {
        "minutes_lost": "Minutes lost is between 0 and 10080 (a week)."
    }


def test_a_good_photo_sent_with_a_mistake_elsewhere_is_asked_for_again(session: Session) -> None:
    photo = jpeg_with_exif()
    refused = submitted(session, description="", photo=photo)
    assert refused.observation is None and refused.photo_accepted is True
    assert submitted(session, description="").photo_accepted is False


def test_a_submitted_report_is_stamped_with_the_moment_given(session: Session) -> None:
    area = make_area(session)
    session.commit()
    moment = datetime(2026, 3, 2, 6, 15)
    result = submit_observation(
        session,
        ObservationInput(area=area.slug, waste="waiting", description="Idle."),
        None,
        now=moment,
    )
    assert result.observation is not None and result.observation.observed_at == moment
    assert result.errors == {}
