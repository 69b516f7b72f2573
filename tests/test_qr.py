"""Printable QR codes that open the entry form for one area."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kaizen.services.qr import observe_url, qr_svg
from tests.factories import make_area, make_team


def test_the_observe_address_names_the_area() -> None:
    url = observe_url("https://kaizen.plant.example/", "/observe", "press-line-3")

    assert url == "https://kaizen.plant.example/observe?area=press-line-3"


def test_a_qr_code_is_an_inline_svg_sized_by_css() -> None:
    svg = qr_svg("https://kaizen.plant.example/observe?area=press-3", title="Press 3")

    assert svg.startswith("<svg")
    assert "viewBox" in svg
    assert 'width="' not in svg.split(">", 1)[0]
    assert "<title>Press 3</title>" in svg
    assert "<?xml" not in svg


def test_an_area_page_shows_its_code_and_address(client: FlaskClient, session: Session) -> None:
    make_area(
        session, name="Press line 3", slug="press-3", team=make_team(session, name="Stamping")
    )
    session.commit()

    page = client.get("/areas/press-3/qr").get_data(as_text=True)

    address = "http://localhost/observe?area=press-3"
    assert "Press line 3" in page
    assert "Stamping" in page
    assert address in page
    assert qr_svg(address, title="QR code to report waste at Press line 3") in page


def test_the_code_uses_the_public_base_url_when_one_is_set(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    app.config["PUBLIC_BASE_URL"] = "https://kaizen.plant.example"
    make_area(session, slug="press-3")
    session.commit()

    page = client.get("/areas/press-3/qr").get_data(as_text=True)

    assert "https://kaizen.plant.example/observe?area=press-3" in page
    assert "localhost" not in page


def test_an_unknown_area_has_no_qr_page(client: FlaskClient) -> None:
    response = client.get("/areas/nowhere/qr")

    assert response.status_code == 404


def test_one_sheet_prints_every_area(client: FlaskClient, session: Session) -> None:
    make_area(session, name="Press line 3", slug="press-3")
    make_area(session, name="Paint shop", slug="paint")
    session.commit()

    page = client.get("/areas/qr").get_data(as_text=True)

    assert page.count('class="qr-card"') == 2
    assert "/observe?area=press-3" in page
    assert "/observe?area=paint" in page


def test_the_sheet_explains_when_there_are_no_areas(client: FlaskClient) -> None:
    page = client.get("/areas/qr").get_data(as_text=True)

    assert "There are no areas yet" in page
