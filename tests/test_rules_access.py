"""Access rules a person would notice when broken: who gets in, who is sent to sign in and
how. Written to kill mutants of kaizen/accounts/access.py."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kaizen.accounts.access import require_role
from kaizen.models import Role
from tests.conftest import SignIn
from tests.factories import make_area, make_user


@pytest.fixture
def leads_only(app: Flask) -> FlaskClient:
    """A client of an app with a page for leads and above."""

    @app.route("/leads-only", methods=["GET", "POST"])
    @require_role(Role.LEAD)
    def leads_only_page() -> str:
        return "welcome, lead"

    return app.test_client()


def test_a_stranger_is_sent_to_sign_in_and_comes_back_afterwards(leads_only: FlaskClient) -> None:
    response = leads_only.get("/leads-only?tab=limits")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "leads-only" in response.headers["Location"]


def test_a_boosted_link_while_signed_out_gets_the_ordinary_sign_in_redirect(
    leads_only: FlaskClient,
) -> None:
    response = leads_only.get("/leads-only", headers={"HX-Request": "true", "HX-Boosted": "true"})

    assert response.status_code == 302 and "HX-Redirect" not in response.headers


def test_a_partial_swap_while_signed_out_loads_sign_in_as_a_whole_page(
    leads_only: FlaskClient,
) -> None:
    response = leads_only.post("/leads-only?tab=limits", headers={"HX-Request": "true"})

    assert response.headers["HX-Redirect"] == "/login?next=/leads-only?tab%3Dlimits"


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
def test_leads_and_admins_get_in(leads_only: FlaskClient, session: Session, role: Role) -> None:
    person = make_user(session, role=role)
    session.commit()
    SignIn(leads_only)(person)

    assert leads_only.get("/leads-only").get_data(as_text=True) == "welcome, lead"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER])
def test_lower_roles_are_refused_with_403(
    leads_only: FlaskClient, session: Session, role: Role
) -> None:
    person = make_user(session, role=role)
    session.commit()
    SignIn(leads_only)(person)

    response = leads_only.get("/leads-only")

    assert response.status_code == 403 and "welcome" not in response.get_data(as_text=True)


def test_a_kiosk_is_sent_to_its_entry_form_and_refused_any_other_post(
    leads_only: FlaskClient, session: Session
) -> None:
    person = make_user(session, role=Role.KIOSK, area=make_area(session))
    session.commit()
    SignIn(leads_only)(person)

    assert leads_only.get("/leads-only").headers["Location"] == "/observe"
    assert leads_only.post("/leads-only").status_code == 403
