"""Hostile input: control characters, overlong text and absurd numbers get a 4xx and a clear
message, never a 500, on SQLite and PostgreSQL.

The forms are not listed by hand: the tests crawl the pages an admin of the demo plant
reaches (links and htmx addresses), read every form they hold, and send each field in turn
with a NUL byte (and each text box with an escape character). A new form or field is covered
as soon as a page shows it; a new route must say how to fill its address, or the query-string
test fails.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from kaizen.demo import DEMO_PASSWORD, load_demo_plant
from kaizen.input import CONTROL_MESSAGE, KaizenForm
from kaizen.models import (
    Improvement,
    Observation,
    Reflection,
    Role,
    RootCause,
    Team,
    WhyStep,
    utcnow,
)
from kaizen.models.types import LINE_MAX, TEXT_MAX
from tests.factories import make_area, make_improvement, make_observation, make_user

NUL = "a\x00b"
ESCAPE = "a\x1bb"


# -- reading the pages' forms -------------------------------------------------------------


@dataclass
class Form:
    """One <form> as a browser would send it: its address, method and named fields."""

    page: str
    action: str
    method: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (tag/type, name, value)

    def data(self, changed: str | None = None, value: str = "") -> dict[str, str]:
        """The form's own values, with one field set to `value`."""
        sent: dict[str, str] = {}
        for kind, name, own in self.fields:
            if kind in ("radio", "checkbox") and name in sent:
                continue
            sent[name] = own
        if changed is not None:
            sent[changed] = value
        return sent

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(name for _kind, name, _value in self.fields))

    @property
    def text_boxes(self) -> list[str]:
        """Fields a person types into."""
        typed = ("textarea", "text", "search", "number", "")
        return list(dict.fromkeys(n for kind, n, _v in self.fields if kind in typed))


class PageReader(HTMLParser):
    """Collects the forms of a page and the addresses it links to (href, hx-get)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: set[str] = set()
        self._form: Form | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("href", "hx-get"):
            if a.get(key):
                self.links.add(urljoin(self.page, a[key]))
        if tag == "form":
            action = a.get("hx-post") or a.get("action") or self.page
            method = "post" if a.get("hx-post") else (a.get("method") or "get").lower()
            self._form = Form(self.page, urljoin(self.page, action), method)
            self.forms.append(self._form)
        elif self._form is not None and a.get("name"):
            if tag == "input":
                kind = a.get("type", "text").lower()
                if kind not in ("file", "submit", "image", "reset"):
                    self._form.fields.append((kind, a["name"], a.get("value", "")))
            elif tag == "select":
                self._form.fields.append(("select", a["name"], ""))
            elif tag == "textarea":
                self._textarea, self._text = a["name"], ""
            elif tag == "button" and a.get("value"):
                self._form.fields.append(("button", a["name"], a["value"]))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._form is not None and self._textarea is not None:
            self._form.fields.append(("textarea", self._textarea, self._text.strip()))
            self._textarea = None
        elif tag == "form":
            self._form = None


def crawl(client: FlaskClient, start: list[str], limit: int = 120) -> tuple[list[Form], set[str]]:
    """Every form on the pages reachable from `start` (this site only, as far as `limit`)."""
    seen: set[str] = set()
    queue = list(start)
    forms: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.netloc not in ("", "localhost") or path in seen:
            continue
        if path.startswith(("/static/", "/reports/charts/", "/reports/csv/")) or "/photo" in path:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        reader = PageReader("http://localhost" + path)
        reader.feed(response.get_data(as_text=True))
        for form in reader.forms:
            form.page = path
            key = (form.action, form.method, tuple(form.names))
            forms.setdefault(key, form)
        queue.extend(sorted(reader.links - {f"http://localhost{p}" for p in seen}))
    return list(forms.values()), seen


@pytest.fixture
def plant(session: Session) -> Session:
    """The demo plant: every kind of card, record and page there is."""
    load_demo_plant(session, now=utcnow())
    session.commit()
    return session


@pytest.fixture
def admin_client(client: FlaskClient, plant: Session) -> FlaskClient:
    response = client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def signed_in_admin(client: FlaskClient, session: Session, sign_in: Any) -> FlaskClient:
    """An admin of an empty plant, signed in."""
    sign_in(make_user(session, role=Role.ADMIN))
    session.commit()
    return client


def start_pages(session: Session) -> list[str]:
    card = session.scalar(select(Improvement).order_by(Improvement.id))
    record = session.scalar(select(RootCause).order_by(RootCause.id))
    team = session.scalar(select(Team).order_by(Team.id))
    observation = session.scalar(select(Observation).order_by(Observation.id))
    assert card and record and team and observation
    return [
        "/",
        "/observe",
        f"/board/{team.slug}",
        f"/improvements/{card.id}",
        f"/root-causes/{record.id}",
        "/root-causes/new",
        "/improvements/new",
        f"/teams/{team.slug}/settings",
        f"/observations/{observation.id}/links",
        "/learning",
    ]


def counts(session: Session) -> tuple[int, ...]:
    """How many rows the tables people write to hold."""
    session.expire_all()
    models = (Observation, Improvement, RootCause, WhyStep, Reflection)
    return tuple(session.scalar(select(func.count()).select_from(m)) or 0 for m in models)


def test_a_nul_byte_in_any_field_of_any_form_is_refused_with_a_4xx(
    admin_client: FlaskClient, plant: Session
) -> None:
    forms, _pages = crawl(admin_client, start_pages(plant))
    before = counts(plant)
    tried = _send_each_field(admin_client, forms, NUL)
    # Still signed in: the sign-out form sent with a NUL signed nobody out.
    assert b"Sign out" in admin_client.get("/").data
    admin_client.post("/logout")
    public_forms, _ = crawl(admin_client, ["/login", "/observe"], limit=5)
    tried += _send_each_field(admin_client, public_forms, NUL)
    # The crawl really reached the app's forms (a broken crawl must not pass quietly).
    actions = {urlsplit(f.action).path for f in forms + public_forms}
    assert {"/observe", "/root-causes/new", "/improvements/new", "/login", "/logout"} <= actions
    assert any("/edit/" in a for a in actions) and any("/steps" in a for a in actions)
    assert tried > 60
    assert counts(plant) == before


def _send_each_field(client: FlaskClient, forms: list[Form], value: str) -> int:
    """Send every form once per field, that field set to `value`; each answer must be 4xx."""
    tried = 0
    for form in forms:
        parts = urlsplit(form.action)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        for name in form.names:
            if form.method == "post":
                response = client.post(path, data=form.data(name, value))
            else:
                response = client.get(path, query_string=form.data(name, value))
            assert 400 <= response.status_code < 500, (form.page, form.action, name)
            tried += 1
    return tried


def test_an_escape_character_in_any_text_box_is_refused_beside_the_field(
    admin_client: FlaskClient, plant: Session
) -> None:
    forms, _pages = crawl(admin_client, start_pages(plant))
    before = counts(plant)
    boxes = 0
    for form in forms:
        if form.method != "post":
            continue
        for name in form.text_boxes:
            response = admin_client.post(form.action, data=form.data(name, ESCAPE))
            assert 400 <= response.status_code < 500, (form.page, form.action, name)
            if response.status_code == 422:
                assert "invisible control characters" in response.get_data(as_text=True)
            boxes += 1
    assert boxes > 15
    assert counts(plant) == before


def test_every_form_of_the_app_refuses_control_characters_in_every_field(app: Flask) -> None:
    forms = sorted(_subclasses(KaizenForm), key=lambda c: c.__qualname__)
    assert len(forms) >= 15
    with app.test_request_context(method="POST"):
        for form_class in forms:
            names = [
                name for name, _ in inspect.getmembers(form_class) if _is_field(form_class, name)
            ]
            for name in names:
                form = _with_formdata(form_class, {name: ESCAPE})
                for bound in form:  # choices come from the database in the views
                    if getattr(bound, "choices", ()) is None:
                        bound.choices = []
                form.validate()
                assert CONTROL_MESSAGE in form[name].errors, (form_class.__name__, name)


def test_every_form_is_built_on_the_guarded_base_form(app: Flask) -> None:
    from flask_wtf import FlaskForm

    unguarded = [
        c.__qualname__
        for c in _subclasses(FlaskForm)
        if c.__module__.startswith("kaizen.") and not issubclass(c, KaizenForm)
    ]
    assert unguarded == []


def test_text_fields_are_limited_to_no_more_than_their_columns_hold(app: Flask) -> None:
    from wtforms import PasswordField, StringField
    from wtforms.validators import Length

    with app.test_request_context(method="POST"):
        for form_class in _subclasses(KaizenForm):
            form = _with_formdata(form_class, {})
            for bound in form:
                if isinstance(bound, StringField) and not isinstance(bound, PasswordField):
                    limits = [v.max for v in bound.validators if isinstance(v, Length)]
                    # No column holds more than TEXT_MAX; a title (LINE_MAX) says so itself.
                    assert limits and 0 < min(limits) <= TEXT_MAX, (form_class, bound.name)
                    if bound.name == "title":
                        assert min(limits) <= LINE_MAX


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _is_field(form_class: type, name: str) -> bool:
    from wtforms import FileField
    from wtforms.fields.core import UnboundField

    unbound = getattr(form_class, name, None)
    # A file field's data is a file, never text typed by someone.
    return (
        isinstance(unbound, UnboundField)
        and not issubclass(unbound.field_class, FileField)
        and name != "csrf_token"
    )


def _with_formdata(form_class: type, values: dict[str, str]) -> Any:
    from werkzeug.datastructures import MultiDict

    return form_class(formdata=MultiDict(values), meta={"csrf": False})


# -- query strings ------------------------------------------------------------------------

ADDRESS_VALUES = {
    "improvement_id": lambda s: s.scalar(select(func.min(Improvement.id))),
    "observation_id": lambda s: s.scalar(select(func.min(Observation.id))),
    "root_cause_id": lambda s: s.scalar(select(func.min(RootCause.id))),
    "step_id": lambda s: s.scalar(select(func.min(WhyStep.id))),
    "team_slug": lambda s: s.scalar(select(func.min(Team.slug))),
    "slug": lambda s: s.scalar(select(func.min(Team.slug))),
    "card_id": lambda s: s.scalar(select(func.min(Improvement.id))),
    "section": lambda _s: "details",
    "month": lambda _s: "2026-11",
    "name": lambda _s: "throughput",
    "fmt": lambda _s: "svg",
    "filename": lambda _s: "css/kaizen.css",
    # The query string is refused before any view: these need not name a row that exists.
    "token": lambda _s: "no-such-link",
    "device_id": lambda _s: 1,
    "link_id": lambda _s: 1,
    "account_id": lambda _s: 1,
    "token_id": lambda _s: 1,
    "hook_id": lambda _s: 1,
    "delivery_id": lambda _s: 1,
}


def test_a_control_character_in_the_query_string_of_any_address_is_refused(
    admin_client: FlaskClient, plant: Session, app: Flask
) -> None:
    for rule in app.url_map.iter_rules():
        missing = set(rule.arguments) - ADDRESS_VALUES.keys()
        assert not missing, f"say how to fill {missing} of {rule.rule} in ADDRESS_VALUES"
        values = {arg: ADDRESS_VALUES[arg](plant) for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for query in ({"q": NUL}, {"q": ESCAPE}, {NUL: "1"}):
                response = admin_client.open(path, method=method, query_string=query)
                assert response.status_code == 400, (method, path, query)
    response = admin_client.get("/learning", query_string={"q": NUL})
    assert "This address holds control characters" in response.get_data(as_text=True)


def test_a_search_may_hold_line_breaks_and_tabs(admin_client: FlaskClient) -> None:
    # The "tried elsewhere?" lookup sends what is typed in a multi-line box.
    response = admin_client.get("/learning/similar", query_string={"problem": "a\nb\tc\r\n"})
    assert response.status_code == 200


# -- what a person sees -------------------------------------------------------------------


def test_a_nul_in_a_plain_report_is_refused_with_a_message_and_the_text_offered_back(
    client: FlaskClient, session: Session
) -> None:
    make_area(session, slug="press-3")
    session.commit()
    data = {"waste": "waiting", "area": "press-3", "description": "Forklift late\x00 again"}

    response = client.post("/observe", data=data)

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "holds a NUL character" in html
    assert "Forklift late again" in html  # shown without the NUL, ready to send again
    assert session.scalar(select(func.count(Observation.id))) == 0


def test_a_pasted_control_character_in_a_report_is_explained_and_the_text_kept(
    client: FlaskClient, session: Session
) -> None:
    make_area(session, slug="press-3")
    session.commit()
    typed = "Forklift late \x0b again"

    response = client.post(
        "/observe", data={"waste": "waiting", "area": "press-3", "description": typed}
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert str(CONTROL_MESSAGE) in html
    assert "Forklift late" in html and "again</textarea>" in html
    assert session.scalar(select(func.count(Observation.id))) == 0


def test_a_tab_or_line_break_in_a_one_line_box_becomes_a_space(
    client: FlaskClient, session: Session, sign_in: Any
) -> None:
    member = make_user(session)
    team = Team(name="Press", slug="press")
    session.add(team)
    session.commit()
    sign_in(member)

    response = client.post(
        "/improvements/new",
        data={"title": "Kanban\tsquare\r\nfor the forklift", "team_id": team.id},
    )

    assert response.status_code in (302, 303)
    titles = session.scalars(select(Improvement.title)).all()
    assert titles == ["Kanban square  for the forklift"]


@pytest.mark.parametrize(
    "address",
    [
        "/improvements/new?observation=99999999999999999999999",
        "/improvements/new?observation=-99999999999999999999999",
        "/root-causes/new?improvement=99999999999999999999&observation=99999999999999999999",
        "/learning?area=99999999999999999999&team=-99999999999999999999",
        "/observations?page=99999999999999999999999",
        "/root-causes/1?edit=99999999999999999999",
    ],
)
def test_a_huge_number_in_a_query_string_is_no_error(
    signed_in_admin: FlaskClient, address: str
) -> None:
    assert signed_in_admin.get(address).status_code < 500


@pytest.mark.parametrize(
    "address",
    [
        "/improvements/99999999999999999999",
        "/root-causes/2147483648",
        "/observations/99999999999999999999/photo",
        "/improvements/99999999999999999999/section/details",
    ],
)
def test_an_id_larger_than_any_row_is_not_found(signed_in_admin: FlaskClient, address: str) -> None:
    assert signed_in_admin.get(address).status_code == 404


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ("NaN", "Enter an amount, like 250 or 99.50."),
        ("Infinity", "Enter an amount, like 250 or 99.50."),
        ("-inf", "Enter an amount, like 250 or 99.50."),
        ("1e20", "That number is too large"),
        ("99999999999", "That number is too large"),
    ],
)
def test_an_absurd_cost_is_refused_with_a_message(
    client: FlaskClient, session: Session, sign_in: Any, cost: str, message: str
) -> None:
    member = make_user(session)
    card = make_improvement(session)
    session.commit()
    sign_in(member)

    response = client.post(
        f"/improvements/{card.id}/edit/benefit",
        data={"version": card.version, "expected_cost": cost},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Improvement, card.id).expected_cost is None  # type: ignore[union-attr]


def test_an_absurd_whole_number_is_refused_with_a_message(
    client: FlaskClient, session: Session, sign_in: Any
) -> None:
    member = make_user(session)
    card = make_improvement(session)
    session.commit()
    sign_in(member)

    response = client.post(
        f"/improvements/{card.id}/edit/benefit",
        data={"version": card.version, "expected_minutes_per_week": "99999999999999999999"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 422
    assert "That number is too large" in response.get_data(as_text=True)


def test_a_card_version_too_large_for_its_column_is_refused_not_an_error(
    client: FlaskClient, session: Session, sign_in: Any
) -> None:
    member = make_user(session)
    card = make_improvement(session)
    session.commit()
    sign_in(member)

    response = client.post(
        f"/improvements/{card.id}/edit/title",
        data={"version": "99999999999999999999", "title": "New title"},
    )

    assert 400 <= response.status_code < 500


# -- the database holds the limits too -----------------------------------------------------


@pytest.mark.parametrize(
    ("model", "column", "limit"),
    [
        (Observation, "description", TEXT_MAX),
        (Improvement, "title", LINE_MAX),
        (Improvement, "problem", TEXT_MAX),
        (RootCause, "problem", TEXT_MAX),
    ],
)
def test_the_database_refuses_text_over_its_limit(
    session: Session, model: type, column: str, limit: int
) -> None:
    row: Any = {
        Observation: lambda: make_observation(session),
        Improvement: lambda: make_improvement(session),
        RootCause: lambda: RootCause(problem="p"),
    }[model]()
    setattr(row, column, "x" * limit)
    session.add(row)
    session.flush()  # exactly at the limit: stored

    setattr(row, column, "x" * (limit + 1))
    # A CHECK constraint (IntegrityError), or PostgreSQL's VARCHAR length (DataError).
    with pytest.raises((IntegrityError, DataError)):
        session.flush()
    session.rollback()


def test_the_demo_plant_fits_the_limits(plant: Session) -> None:
    longest = plant.scalar(select(func.max(func.length(Observation.description))))
    assert longest is not None and longest <= TEXT_MAX
