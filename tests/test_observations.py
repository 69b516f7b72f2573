"""Reporting a waste at the line, the list of reports, photos, and linking reports onward."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen.models import (
    BoardColumn,
    Frequency,
    Improvement,
    Observation,
    Role,
    RootCause,
    User,
    Waste,
)
from kaizen.services.months import Month
from kaizen.services.observations import (
    ObservationError,
    ObservationFilters,
    anonymous_by_default,
    create_observation,
    default_area,
    improvement_from_observation,
    link_to_improvement,
    link_to_root_cause,
    list_observations,
    title_from_description,
)
from kaizen.services.photos import process_photo
from tests.conftest import SignIn
from tests.factories import (
    make_area,
    make_improvement,
    make_observation,
    make_team,
    make_user,
)

THANKS = "Thank you — every report helps us improve."
HTMX = {"HX-Request": "true"}


def jpeg(width: int = 800, height: int = 600) -> bytes:
    """A small real JPEG made in memory."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(out, "JPEG")
    return out.getvalue()


def report(**overrides: object) -> dict[str, object]:
    """Form data for a complete report at press-3."""
    data: dict[str, object] = {
        "waste": "waiting",
        "area": "press-3",
        "description": "Parts waited twenty minutes for the forklift.",
    }
    data.update(overrides)
    return data


def errors(response_text: str) -> list[str]:
    """The validation messages shown next to fields."""
    return re.findall(r'<p class="error" id="[^"]+">([^<]+)</p>', response_text)


def signed_in(sign_in: SignIn, session: Session, **overrides: object) -> User:
    """A new account (a member unless told otherwise), with the client signed in as it."""
    person = make_user(session, **overrides)
    session.commit()
    sign_in(person)
    return person


def make_root_cause(session: Session, problem: str) -> RootCause:
    """A five-whys record with only its problem filled in."""
    record = RootCause(problem=problem)
    session.add(record)
    session.flush()
    return record


def only_observation(session: Session) -> Observation:
    """The one observation in the database."""
    session.expire_all()
    return session.scalars(select(Observation)).one()


@pytest.fixture
def press(session: Session):
    """An area 'Press line 3' (slug press-3) of the Stamping team."""
    area = make_area(
        session, name="Press line 3", slug="press-3", team=make_team(session, name="Stamping")
    )
    session.commit()
    return area


@pytest.fixture
def reported(session: Session, press) -> Observation:
    """A saved report at press-3."""
    observation = make_observation(session, area=press)
    session.commit()
    return observation


# ----- the service -----


def test_a_report_stores_what_was_seen(session: Session, press) -> None:
    observation = create_observation(
        session,
        area=press,
        waste=Waste.WAITING,
        description="  Parts waited for the forklift.  ",
        minutes_lost=20,
        frequency=Frequency.SHIFT,
    )

    assert observation.description == "Parts waited for the forklift."
    assert observation.minutes_lost == 20
    assert observation.frequency is Frequency.SHIFT
    assert observation.area is press


def test_an_anonymous_report_stores_no_reporter_even_when_someone_is_signed_in(
    session: Session, press
) -> None:
    person = make_user(session)

    observation = create_observation(
        session,
        area=press,
        waste=Waste.MOTION,
        description="Walking.",
        reporter=person,
        anonymous=True,
    )
    session.commit()

    assert observation.reporter_id is None
    assert observation.is_anonymous


def test_a_named_report_stores_its_reporter(session: Session, press) -> None:
    person = make_user(session)

    observation = create_observation(
        session,
        area=press,
        waste=Waste.MOTION,
        description="Walking.",
        reporter=person,
        anonymous=False,
    )

    assert observation.reporter_id == person.id


def test_the_service_refuses_a_blank_description(session: Session, press) -> None:
    with pytest.raises(ObservationError, match="what you saw"):
        create_observation(session, area=press, waste=Waste.MOTION, description="   ")


@pytest.mark.parametrize("minutes", [-1, 10081])
def test_the_service_refuses_minutes_outside_a_week(session: Session, press, minutes) -> None:
    with pytest.raises(ObservationError, match="between 0 and 10080"):
        create_observation(
            session, area=press, waste=Waste.MOTION, description="Walk.", minutes_lost=minutes
        )


def test_kiosk_tablets_report_anonymously_in_their_own_area(session: Session, press) -> None:
    kiosk = make_user(session, role=Role.KIOSK, area=press)
    member = make_user(session)

    assert anonymous_by_default(kiosk) is True
    assert anonymous_by_default(None) is True
    assert anonymous_by_default(member) is False
    assert default_area(kiosk) is press
    assert default_area(member) is None


def test_the_list_shows_newest_first(session: Session, press) -> None:
    older = make_observation(session, area=press, observed_at=datetime(2025, 3, 1, 8))
    newer = make_observation(session, area=press, observed_at=datetime(2025, 3, 2, 8))

    page = list_observations(session, ObservationFilters())

    assert [row.id for row in page.rows] == [newer.id, older.id]


def test_the_list_filters_by_area(session: Session, press) -> None:
    mine = make_observation(session, area=press)
    make_observation(session)

    page = list_observations(session, ObservationFilters(area_slug="press-3"))

    assert [row.id for row in page.rows] == [mine.id]


def test_the_list_filters_by_waste(session: Session, press) -> None:
    make_observation(session, area=press, waste=Waste.WAITING)
    defect = make_observation(session, area=press, waste=Waste.DEFECTS)

    page = list_observations(session, ObservationFilters(waste=Waste.DEFECTS))

    assert [row.id for row in page.rows] == [defect.id]


def test_the_list_filters_by_month(session: Session, press) -> None:
    make_observation(session, area=press, observed_at=datetime(2025, 2, 28, 23, 59))
    march = make_observation(session, area=press, observed_at=datetime(2025, 3, 1, 0, 0))
    make_observation(session, area=press, observed_at=datetime(2025, 4, 1, 0, 0))

    page = list_observations(session, ObservationFilters(month=Month(2025, 3)))

    assert [row.id for row in page.rows] == [march.id]


def test_the_december_filter_ends_at_new_year(session: Session, press) -> None:
    december = make_observation(session, area=press, observed_at=datetime(2024, 12, 31, 23, 59))
    make_observation(session, area=press, observed_at=datetime(2025, 1, 1, 0, 0))

    page = list_observations(session, ObservationFilters(month=Month(2024, 12)))

    assert [row.id for row in page.rows] == [december.id]


def test_the_list_can_show_only_reports_not_yet_linked(session: Session, press) -> None:
    linked = make_observation(session, area=press)
    unlinked = make_observation(session, area=press)
    card = make_improvement(session, team=press.team)
    link_to_improvement(session, linked, card.id)

    page = list_observations(session, ObservationFilters(unlinked=True))

    assert [row.id for row in page.rows] == [unlinked.id]


def test_the_list_is_paginated(session: Session, press) -> None:
    for day in range(1, 6):
        make_observation(session, area=press, observed_at=datetime(2025, 3, day))

    page = list_observations(session, ObservationFilters(page=2), per_page=2)

    assert page.total == 5
    assert page.pages == 3
    assert [row.observed_at.day for row in page.rows] == [3, 2]
    assert page.has_previous and page.has_next


def test_a_card_title_is_the_first_sentence_of_the_report() -> None:
    assert title_from_description("Forklift late. Parts waited.") == "Forklift late."
    assert title_from_description("No full stop here") == "No full stop here"
    long = "word " * 100
    title = title_from_description(long)
    assert len(title) <= 200
    assert title.endswith("…")


def test_a_report_becomes_a_card_pre_filled_from_it(session: Session, press) -> None:
    person = make_user(session)
    observation = make_observation(
        session,
        area=press,
        waste=Waste.DEFECTS,
        description="Burrs on every tenth part. The die looks worn.",
    )

    card = improvement_from_observation(session, observation, created_by=person)

    assert card.title == "Burrs on every tenth part."
    assert card.problem == "Burrs on every tenth part. The die looks worn."
    assert card.waste is Waste.DEFECTS
    assert card.area is press
    assert card.team is press.team
    assert card.board_column is BoardColumn.IDEAS
    assert card.observations == [observation]
    assert [move.to_column for move in card.moves] == [BoardColumn.IDEAS]


def test_a_report_from_an_area_without_a_team_goes_to_the_first_team(session: Session) -> None:
    make_team(session, name="Zeta")
    alpha = make_team(session, name="Alpha")
    observation = make_observation(session, area=make_area(session, team=None))

    card = improvement_from_observation(session, observation, created_by=None)

    assert card.team is alpha


def test_a_report_cannot_become_a_card_when_there_is_no_team(session: Session) -> None:
    observation = make_observation(session, area=make_area(session, team=None))

    with pytest.raises(ObservationError, match="no team"):
        improvement_from_observation(session, observation, created_by=None)


def test_linking_a_report_twice_to_a_card_links_it_once(session: Session, press) -> None:
    observation = make_observation(session, area=press)
    card = make_improvement(session, team=press.team)

    link_to_improvement(session, observation, card.id)
    link_to_improvement(session, observation, card.id)

    assert observation.improvements == [card]


def test_a_report_can_be_linked_to_a_five_whys_record(session: Session, press) -> None:
    observation = make_observation(session, area=press)
    record = make_root_cause(session, "Forklift arrives late")

    link_to_root_cause(session, observation, record.id)

    assert observation.root_causes == [record]


def test_linking_to_a_missing_card_is_refused(session: Session, press) -> None:
    observation = make_observation(session, area=press)

    with pytest.raises(ObservationError, match="no longer exists"):
        link_to_improvement(session, observation, 999)


# ----- the entry form -----


def test_the_form_offers_the_eight_wastes_with_hints(client: FlaskClient, press) -> None:
    page = client.get("/observe").get_data(as_text=True)

    for waste in Waste:
        assert f'value="{waste.value}"' in page
        assert waste.info.hint in page
    assert 'capture="environment"' in page
    assert 'accept="image/*"' in page


def test_signed_out_the_form_needs_no_login_and_says_reports_carry_no_name(
    client: FlaskClient, press
) -> None:
    response = client.get("/observe")

    assert response.status_code == 200
    assert "this report carries no name" in response.get_data(as_text=True)


def test_the_area_from_a_qr_code_is_pre_filled(client: FlaskClient, press) -> None:
    page = client.get("/observe?area=press-3").get_data(as_text=True)

    assert 'class="area-chip"' in page
    assert re.search(r'value="press-3"\s+checked', page)


def test_an_unknown_area_code_shows_the_picker_with_a_gentle_note(
    client: FlaskClient, press
) -> None:
    response = client.get("/observe?area=no-such-place")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "did not recognise the area" in page
    assert 'value="press-3"' in page
    assert 'class="area-chip"' not in page


def test_a_kiosk_tablet_has_its_area_and_anonymity_pre_set(
    sign_in: SignIn, client: FlaskClient, session: Session, press
) -> None:
    signed_in(sign_in, session, role=Role.KIOSK, area=press)

    page = client.get("/observe").get_data(as_text=True)

    # The area is fixed (nothing to pick) and there is no "without my name" box to untick.
    assert 'type="hidden" name="area" value="press-3"' in page
    assert 'type="radio" name="area"' not in page
    assert 'id="anonymous"' not in page
    assert "Reports from this kiosk carry no name." in page


def test_a_signed_in_person_reports_with_their_name_by_default(
    sign_in: SignIn, client: FlaskClient, session: Session, press
) -> None:
    signed_in(sign_in, session)

    page = client.get("/observe").get_data(as_text=True)

    assert 'id="anonymous"' in page
    assert not re.search(r'<input checked id="anonymous"', page)


def test_a_report_is_saved_and_thanked(client: FlaskClient, session: Session, press) -> None:
    response = client.post(
        "/observe?area=press-3",
        data=report(minutes_lost="20", frequency="day"),
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert THANKS in response.get_data(as_text=True)
    observation = only_observation(session)
    assert observation.waste is Waste.WAITING
    assert observation.area.slug == "press-3"
    assert observation.minutes_lost == 20
    assert observation.frequency is Frequency.DAY


def test_a_plain_submit_redirects_so_a_reload_cannot_report_twice(
    client: FlaskClient, press
) -> None:
    response = client.post("/observe?area=press-3", data=report())

    assert response.status_code == 303
    assert response.headers["Location"] == "/observe?area=press-3"


def test_an_htmx_submit_answers_with_a_fresh_form_and_the_thank_you(
    client: FlaskClient, press
) -> None:
    response = client.post("/observe?area=press-3", data=report(), headers=HTMX)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith("<form")  # the form's fragment, not the page
    assert THANKS in page
    assert "Parts waited twenty minutes" not in page
    assert re.search(r'value="press-3"\s+checked', page)  # ready for the next person here
    assert 'value="waiting" checked' not in page


def test_a_signed_out_report_stores_no_reporter(
    client: FlaskClient, session: Session, press
) -> None:
    client.post("/observe", data=report())

    assert only_observation(session).reporter_id is None


def test_report_without_my_name_stores_no_reporter(
    sign_in: SignIn, client: FlaskClient, session: Session, press
) -> None:
    signed_in(sign_in, session)

    client.post("/observe", data=report(anonymous="y"))

    assert only_observation(session).reporter_id is None


def test_a_named_report_keeps_the_reporter(
    sign_in: SignIn, client: FlaskClient, session: Session, press
) -> None:
    person = signed_in(sign_in, session)

    client.post("/observe", data=report())

    assert only_observation(session).reporter_id == person.id


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"waste": None}, "Tap the kind of waste you saw."),
        ({"waste": "laziness"}, "Tap one of the eight kinds of waste."),
        ({"area": None}, "Choose the area where you saw it."),
        ({"area": "atlantis"}, "We do not know that area. Please choose one from the list."),
        ({"description": None}, "Tell us in a sentence or two what you saw."),
        ({"description": "    "}, "Tell us in a sentence or two what you saw."),
        ({"description": "x" * 2001}, "Please keep it under 2000 characters."),
        ({"minutes_lost": "-5"}, "Minutes lost is between 0 and 10080 (a week)."),
        ({"minutes_lost": "20000"}, "Minutes lost is between 0 and 10080 (a week)."),
        ({"minutes_lost": "ten"}, "Minutes lost is a whole number, like 15."),
        ({"frequency": "hourly"}, "Choose one of the options."),
    ],
)
def test_each_field_explains_what_is_wrong_and_nothing_is_saved(
    client: FlaskClient, session: Session, press, overrides, message
) -> None:
    data = {k: v for k, v in report(**overrides).items() if v is not None}

    response = client.post("/observe", data=data, headers=HTMX)

    assert response.status_code == 422
    assert errors(response.get_data(as_text=True)) == [message]
    assert session.scalars(select(Observation)).all() == []


def test_a_rejected_report_keeps_what_was_typed(client: FlaskClient, press) -> None:
    response = client.post(
        "/observe",
        data=report(waste=None, minutes_lost="15", frequency="week"),
        headers=HTMX,
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Parts waited twenty minutes for the forklift." in page
    assert 'value="15"' in page
    assert 'value="week" checked' in page
    assert re.search(r'value="press-3"\s+checked', page)


def test_empty_optional_fields_are_fine(client: FlaskClient, session: Session, press) -> None:
    client.post("/observe", data=report(minutes_lost="", frequency=""))

    observation = only_observation(session)
    assert observation.minutes_lost is None
    assert observation.frequency is None


def test_a_report_with_a_photo_stores_a_cleaned_photo_and_thumbnail(
    client: FlaskClient, session: Session, press
) -> None:
    data = report(photo=(io.BytesIO(jpeg(3200, 2400)), "line.jpg", "image/jpeg"))

    client.post("/observe", data=data, content_type="multipart/form-data")

    observation = only_observation(session)
    assert observation.photo_type == "image/jpeg"
    assert observation.photo is not None and observation.photo_thumb is not None
    assert Image.open(io.BytesIO(observation.photo)).size == (1600, 1200)
    assert max(Image.open(io.BytesIO(observation.photo_thumb)).size) == 320


def test_a_text_file_named_like_a_photo_is_refused_and_the_text_kept(
    client: FlaskClient, session: Session, press
) -> None:
    fake = io.BytesIO(b"this is not a picture at all\n" * 10)
    data = report(photo=(fake, "photo.jpg", "image/jpeg"))

    response = client.post("/observe", data=data, content_type="multipart/form-data", headers=HTMX)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors(page) == [
        "This file is not a photo we can use. Please choose a JPEG, PNG or WebP picture."
    ]
    assert "Parts waited twenty minutes for the forklift." in page
    assert session.scalars(select(Observation)).all() == []


def test_a_12_mb_photo_is_refused_beside_the_field_not_with_an_error_page(
    client: FlaskClient, session: Session, press
) -> None:
    big = jpeg() + b"\0" * (12 * 1024 * 1024)
    data = report(photo=(io.BytesIO(big), "big.jpg", "image/jpeg"))

    response = client.post("/observe", data=data, content_type="multipart/form-data", headers=HTMX)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors(page) == ["Photos can be at most 10 MB."]
    assert "Parts waited twenty minutes for the forklift." in page


def test_a_rejected_photo_is_not_kept_for_the_next_try(client: FlaskClient, press) -> None:
    data = report(
        form_key="0123456789ab",
        photo=(io.BytesIO(b"not a photo"), "photo.jpg", "image/jpeg"),
    )

    page = client.post(
        "/observe", data=data, content_type="multipart/form-data", headers=HTMX
    ).get_data(as_text=True)

    assert 'id="photo-0123456789ab"' not in page


def test_a_good_photo_is_kept_when_another_field_needs_fixing(client: FlaskClient, press) -> None:
    data = report(
        description="",
        form_key="0123456789ab",
        photo=(io.BytesIO(jpeg()), "photo.jpg", "image/jpeg"),
    )

    page = client.post(
        "/observe", data=data, content_type="multipart/form-data", headers=HTMX
    ).get_data(as_text=True)

    # htmx keeps an input with the same id and hx-preserve, chosen file and all.
    assert re.search(r'id="photo-0123456789ab"[^>]*hx-preserve="true"', page)


def test_the_form_checks_csrf_when_it_is_switched_on(
    app: Flask, client: FlaskClient, press
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True

    response = client.post("/observe", data=report())

    assert response.status_code == 400


# ----- photos -----


@pytest.fixture
def photographed(session: Session, press) -> Observation:
    """A report with a processed photo."""
    photo = process_photo(jpeg(2000, 1000))
    observation = create_observation(
        session, area=press, waste=Waste.DEFECTS, description="Scratched panel.", photo=photo
    )
    session.commit()
    return observation


@pytest.fixture
def viewer(sign_in: SignIn, client: FlaskClient, session: Session) -> User:
    """The client signed in as a viewer."""
    return signed_in(sign_in, session, role=Role.VIEWER)


def test_a_photo_is_served_with_its_type_and_caching_headers(
    client: FlaskClient, photographed, viewer
) -> None:
    response = client.get(f"/observations/{photographed.id}/photo")

    assert response.status_code == 200
    assert response.content_type == "image/jpeg"
    assert response.headers["ETag"]
    assert "private" in response.headers["Cache-Control"]
    assert Image.open(io.BytesIO(response.data)).size == (1600, 800)


def test_an_unchanged_photo_answers_not_modified(client: FlaskClient, photographed, viewer) -> None:
    etag = client.get(f"/observations/{photographed.id}/thumbnail").headers["ETag"]

    response = client.get(
        f"/observations/{photographed.id}/thumbnail", headers={"If-None-Match": etag}
    )

    assert response.status_code == 304


def test_a_report_without_a_photo_has_none_to_serve(
    client: FlaskClient, reported: Observation, viewer
) -> None:
    assert client.get(f"/observations/{reported.id}/photo").status_code == 404


# ----- the list -----


def test_the_list_needs_a_sign_in(client: FlaskClient) -> None:
    response = client.get("/observations")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_kiosk_tablet_cannot_read_the_list(
    sign_in: SignIn, client: FlaskClient, session: Session, press
) -> None:
    signed_in(sign_in, session, role=Role.KIOSK, area=press)

    response = client.get("/observations")

    assert response.status_code == 302 and response.headers["Location"] == "/observe"


def test_the_list_shows_anonymous_and_named_reports(
    client: FlaskClient, session: Session, press, viewer
) -> None:
    make_observation(session, area=press, description="Nobody's name here.")
    make_observation(
        session,
        area=press,
        description="Signed report.",
        reporter=make_user(session, display_name="Aiko Tanaka"),
    )
    session.commit()

    page = client.get("/observations").get_data(as_text=True)

    assert "Nobody&#39;s name here." in page
    assert "Anonymous" in page
    assert "Aiko Tanaka" in page


def test_the_list_shows_a_lazy_thumbnail(client: FlaskClient, photographed, viewer) -> None:
    page = client.get("/observations").get_data(as_text=True)

    assert f'src="/observations/{photographed.id}/thumbnail"' in page
    assert 'loading="lazy"' in page


def test_the_list_filters_come_from_the_address(
    client: FlaskClient, session: Session, press, viewer
) -> None:
    make_observation(session, area=press, waste=Waste.DEFECTS, description="A defect.")
    make_observation(session, area=press, waste=Waste.WAITING, description="A wait.")
    session.commit()

    page = client.get("/observations?waste=defects&month=&unlinked=1").get_data(as_text=True)

    assert "A defect." in page
    assert "A wait." not in page


def test_an_htmx_filter_gets_only_the_list(client: FlaskClient, press, viewer) -> None:
    response = client.get("/observations?waste=defects", headers=HTMX)

    assert response.get_data(as_text=True).lstrip().startswith('<section id="observation-list"')
    assert "HX-Request" in response.headers["Vary"]


def test_viewers_see_no_actions_on_reports(client: FlaskClient, reported, viewer) -> None:
    page = client.get("/observations").get_data(as_text=True)

    assert "Turn into an improvement" not in page


# ----- acting on a report -----


@pytest.fixture
def member(sign_in: SignIn, client: FlaskClient, session: Session) -> User:
    """The client signed in as a member."""
    return signed_in(sign_in, session, role=Role.MEMBER)


def test_members_can_turn_a_report_into_a_card(
    client: FlaskClient, session: Session, press, member
) -> None:
    observation = make_observation(session, area=press, description="Die worn. Burrs.")
    session.commit()

    response = client.post(
        f"/observations/{observation.id}/improvement", data={"next": "/observations?waste=defects"}
    )

    card = session.scalars(select(Improvement)).one()
    assert card.title == "Die worn."
    assert card.team_id == press.team_id
    assert card.created_by_id == member.id
    assert [o.id for o in card.observations] == [observation.id]
    assert response.status_code == 303
    assert response.headers["Location"] == f"/improvements/{card.id}"


def test_viewers_cannot_turn_a_report_into_a_card(
    client: FlaskClient, reported: Observation, viewer
) -> None:
    response = client.post(f"/observations/{reported.id}/improvement")

    assert response.status_code == 403


def test_members_can_link_a_report_to_an_open_card(
    client: FlaskClient, session: Session, press, reported: Observation, member
) -> None:
    card = make_improvement(session, team=press.team, title="Forklift milk run")
    session.commit()

    # The pickers come with the row when it is opened (see the lazy-loading test below).
    page = client.get(f"/observations/{reported.id}/links").get_data(as_text=True)
    assert "Forklift milk run (Stamping)" in page

    response = client.post(
        f"/observations/{reported.id}/link-improvement",
        data={"improvement_id": str(card.id), "next": "/observations"},
        follow_redirects=True,
    )

    assert "Report linked to the improvement card." in response.get_data(as_text=True)
    session.expire_all()
    assert [c.id for c in session.get(Observation, reported.id).improvements] == [card.id]


def test_linking_to_a_card_that_is_gone_says_so(
    client: FlaskClient, reported: Observation, member
) -> None:
    response = client.post(
        f"/observations/{reported.id}/link-improvement",
        data={"improvement_id": "4242"},
        follow_redirects=True,
    )

    assert "That improvement card no longer exists." in response.get_data(as_text=True)


def test_members_can_link_a_report_to_a_five_whys_record(
    client: FlaskClient, session: Session, reported: Observation, member
) -> None:
    record = make_root_cause(session, "Forklift arrives late at press 3")
    session.commit()

    response = client.post(
        f"/observations/{reported.id}/link-root-cause",
        data={"root_cause_id": str(record.id)},
        follow_redirects=True,
    )

    assert "Report linked to the five-whys record." in response.get_data(as_text=True)
    assert "Five whys: Forklift arrives late at press 3" in response.get_data(as_text=True)


def test_acting_on_a_missing_report_is_not_found(client: FlaskClient, member) -> None:
    assert client.post("/observations/999/improvement").status_code == 404


def test_the_next_address_never_leaves_the_site(
    client: FlaskClient, reported: Observation, member
) -> None:
    response = client.post(
        f"/observations/{reported.id}/link-improvement",
        data={"improvement_id": "4242", "next": "//evil.example/"},
    )

    assert response.headers["Location"] == "/observations"


def test_the_link_pickers_come_with_the_row_not_with_every_row_of_the_list(
    sign_in: SignIn, client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    area = make_area(session, team=team)
    observation = make_observation(session, area=area)
    make_improvement(session, team=team, title="Kanban square for coils")
    make_root_cause(session, "Coils wait for the crane")
    signed_in(sign_in, session, role=Role.MEMBER)

    listing = client.get("/observations").get_data(as_text=True)
    assert "Kanban square for coils" not in listing
    assert f"/observations/{observation.id}/links" in listing

    pickers = client.get(
        f"/observations/{observation.id}/links?next=/observations", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert pickers.lstrip().startswith('<div class="obs-link-forms">')
    assert "Kanban square for coils" in pickers
    assert "Coils wait for the crane" in pickers
    assert 'name="next" value="/observations"' in pickers
