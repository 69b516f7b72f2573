"""What a screen needs besides its page: the TV board's cut, its rotation, the kind reporting
line, and what lets a tablet pin Kaizen as an app and open the entry form offline."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kaizen.models import BoardColumn, Role, RootCause, utcnow
from kaizen.services.board import TV_CARDS
from kaizen.services.months import Month
from kaizen.services.overview import reporting_note
from tests.conftest import SignIn
from tests.factories import (
    make_area,
    make_improvement,
    make_observation,
    make_team,
    make_user,
)


def test_more_reports_than_last_month_are_called_a_healthy_sign() -> None:
    assert "a healthy sign" in reporting_note(5, 3)


def test_fewer_reports_than_last_month_are_never_called_a_healthy_sign_nor_blamed() -> None:
    note = reporting_note(2, 9)
    assert "healthy" not in note
    assert note.startswith("Fewer than last month so far")
    assert "fault" not in note and "blame" not in note


def test_a_month_like_the_last_and_an_empty_start_are_said_plainly() -> None:
    assert reporting_note(4, 4).startswith("As many as last month")
    assert reporting_note(0, 0).startswith("No reports yet.")


def test_the_board_says_fewer_reports_kindly(session: Session, client: FlaskClient) -> None:
    team = make_team(session, slug="press")
    area = make_area(session, team=team)
    make_observation(session, area=area, observed_at=utcnow().replace(day=1) - timedelta(days=2))
    session.commit()

    html = client.get(f"/board/{team.slug}").get_data(as_text=True)

    assert "(1 last month). Fewer than last month so far" in html
    assert "healthy sign" not in html


def test_a_tv_column_sends_the_most_urgent_cards_and_counts_the_rest(
    session: Session, client: FlaskClient
) -> None:
    team = make_team(session, slug="press")
    now = utcnow()
    for n in range(TV_CARDS + 4):
        make_improvement(
            session,
            team=team,
            title=f"Card {n:02d}",
            board_column=BoardColumn.DO,
            position=n,
            created_at=now - timedelta(days=n + 1),
            blocked=n == 1,
            blocked_reason="Die at the tool room" if n == 1 else None,
        )
    session.commit()

    tv = client.get("/board/press?display=tv").get_data(as_text=True)
    tablet = client.get("/board/press").get_data(as_text=True)

    assert tv.count('<li class="card') == TV_CARDS
    assert 'data-more="4"' in tv and "+4 more" in tv
    # Blocked first, then the oldest; the tablet keeps the team's own order, every card.
    assert tv.index("Card 01") < tv.index("Card 11") < tv.index("Card 10")
    assert "Card 00" not in tv
    assert tablet.count('<li class="card') == TV_CARDS + 4
    assert tablet.index("Card 00") < tablet.index("Card 01")


def test_a_rotating_tv_links_to_the_next_team_and_back_to_the_first(
    session: Session, client: FlaskClient
) -> None:
    make_team(session, name="Assembly", slug="assembly")
    make_team(session, name="Press shop", slug="press-shop")
    session.commit()

    first = client.get("/board/assembly?display=tv&rotate=20").get_data(as_text=True)
    last = client.get("/board/press-shop?display=tv&rotate=20").get_data(as_text=True)

    assert 'data-rotate-url="/board/press-shop?display=tv&amp;rotate=20"' in first
    assert 'data-rotate-url="/board/assembly?display=tv&amp;rotate=20"' in last
    assert 'data-rotate-seconds="20"' in first


def test_a_rotation_out_of_range_is_ignored(session: Session, client: FlaskClient) -> None:
    make_team(session, name="Assembly", slug="assembly")
    session.commit()

    for value in ("0", "2", "99999", "-5", "abc", "1e3"):
        html = client.get(f"/board/assembly?display=tv&rotate={value}").get_data(as_text=True)
        assert "data-rotate-url" not in html, value


def test_the_plant_tv_turns_through_the_team_boards(session: Session, client: FlaskClient) -> None:
    make_team(session, name="Press shop", slug="press-shop")
    make_team(session, name="Assembly", slug="assembly")
    session.commit()

    response = client.get("/board?display=tv")

    assert response.status_code == 302
    assert response.location == "/board/assembly?display=tv&rotate=30"


def test_the_favicon_is_served_at_the_root(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\0\0\1\0"


def test_every_page_links_its_icon_and_a_manifest_that_opens_it(client: FlaskClient) -> None:
    page = client.get("/observe?area=press-3").get_data(as_text=True)

    assert 'rel="icon" href="/static/icons/favicon.svg"' in page
    assert 'rel="manifest" href="/manifest.webmanifest?start=/observe?area%3Dpress-3"' in page


def test_the_manifest_opens_the_pinned_page_full_screen(client: FlaskClient) -> None:
    manifest = client.get("/manifest.webmanifest?start=/observe?area%3Dpress-3")

    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json(force=True)
    assert body["start_url"] == "/observe?area=press-3"
    assert body["display"] == "fullscreen"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_manifest_never_starts_on_another_site(client: FlaskClient) -> None:
    for start in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        body = client.get("/manifest.webmanifest", query_string={"start": start}).get_json(
            force=True
        )
        assert body["start_url"] == "/", start


def test_the_service_worker_is_served_at_the_root_and_never_cached(client: FlaskClient) -> None:
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert b"kaizen-entry-" in response.data


def test_the_add_step_labels_name_their_fields(
    session: Session, client: FlaskClient, sign_in: SignIn
) -> None:
    record = RootCause(problem="Coils wait for the forklift.")
    session.add(record)
    sign_in(make_user(session, role=Role.MEMBER))
    session.commit()

    html = client.get(f"/root-causes/{record.id}").get_data(as_text=True)

    assert '<label for="new-why">' in html and 'id="new-why"' in html
    assert '<label for="new-because">' in html and 'id="new-because"' in html


def test_the_month_filters_offer_months_by_name(session: Session, client: FlaskClient) -> None:
    page = client.get("/learning").get_data(as_text=True)
    this_month = Month.of(utcnow())

    assert 'type="month"' not in page
    assert f'<option value="{this_month.code}" >{this_month.label}</option>' in page
