"""The access matrix: every route of the app against every kind of visitor.

Each (method, rule) of `app.url_map` has one row in DECISIONS, saying what each visitor gets:
a status code, LOGIN (sent to sign in), OBSERVE (a kiosk sent back to its entry form) or
HOME (sent to the home page). A route without a row fails `test_every_route_has_a_decision`,
so a new page cannot ship without someone deciding who may open it.

The visitors act on the work of team Alpha: "member" and "lead" are in Alpha, "member_other"
and "lead_other" in Beta; nobody but the admin is plant-wide. The kiosk is a tablet bound to
an Alpha area, tested both as a kiosk device (cookie) and as a kiosk account. Requests carry
valid form data where the route takes some, so an allowed visitor gets the answer of a
change that really happened (302/303), and a refused one a 403 before anything changed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, url_for
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from kaizen import create_app
from kaizen.devices.mode import KIOSK_COOKIE
from kaizen.extensions import db
from kaizen.models import BoardColumn, Role, RootCause, TokenScope, User, WhyStep
from kaizen.services import api_tokens, devices, webhooks
from tests.conftest import app_config, empty_all_tables
from tests.factories import make_area, make_improvement, make_observation, make_team

LOGIN, OBSERVE, HOME = "login", "observe", "home"
Answer = int | str
VISITORS = ("anon", "kiosk", "viewer", "member", "member_other", "lead", "lead_other", "admin")

# fmt: off
# Columns: anon, kiosk, viewer, member, member_other, lead, lead_other, admin.
DECISIONS: dict[tuple[str, str], tuple[Answer, ...]] = {
    # The JSON API answers tokens only (tests/test_api.py): a browser's session gets 401,
    # whoever it belongs to. Its document and reference page are open to read.
    ("GET", "/api/v1/openapi.json"):             (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/docs"):                     (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/observations"):                                      (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("POST", "/api/v1/observations"):                                     (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("GET", "/api/v1/observations/<int:observation_id>"):                 (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("GET", "/api/v1/improvements"):                                      (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("POST", "/api/v1/improvements"):                                     (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("GET", "/api/v1/improvements/<int:improvement_id>"):                 (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("PATCH", "/api/v1/improvements/<int:improvement_id>"):               (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("POST", "/api/v1/improvements/<int:improvement_id>/move"):           (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("GET", "/api/v1/improvements/<int:improvement_id>/moves"):           (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("GET", "/api/v1/improvements/<int:improvement_id>/reflection"):      (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("POST", "/api/v1/improvements/<int:improvement_id>/reflection"):     (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("GET", "/api/v1/reflections"):                                       (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("POST", "/api/v1/root-causes"):                                      (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("GET", "/api/v1/root-causes/<int:root_cause_id>"):                   (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("PUT", "/api/v1/root-causes/<int:root_cause_id>"):                   (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("GET", "/api/v1/metrics/cycle-times"):                               (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("GET", "/api/v1/metrics/throughput"):                                (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    ("GET", "/api/v1/metrics/observations"):                              (401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    # Always open: files, health checks (a kiosk too).
    ("GET", "/static/<path:filename>"):          (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/healthz"):                         (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/livez"):                           (200, 200, 200, 200, 200, 200, 200, 200),
    # The tablet as an app (a kiosk tablet above all): service worker, manifest, icon.
    ("GET", "/sw.js"):                           (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/manifest.webmanifest"):            (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "/favicon.ico"):                     (200, 200, 200, 200, 200, 200, 200, 200),
    # Public pages: everyone but a kiosk, which only ever sees its entry form.
    ("GET", "/"):                                (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/board"):                           (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/board/<team_slug>"):               (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/board/<team_slug>/lane"):          (302, OBSERVE, 302, 302, 302, 302, 302, 302),
    ("GET", "/tv/<token>"):                      (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/areas/<slug>/qr"):                 (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/areas/qr"):                        (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/improvements/<int:improvement_id>"):                    (200, OBSERVE, 200, 200, 200, 200, 200, 200),  # noqa: E501
    ("GET", "/improvements/<int:improvement_id>/section/<section>"):  (200, OBSERVE, 200, 200, 200, 200, 200, 200),  # noqa: E501
    ("GET", "/teams"):                           (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/reports/monthly"):                 (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/reports/monthly/<month>"):         (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/reports/charts/<name>.<any(svg, png):fmt>"): (200, OBSERVE, 200, 200, 200, 200, 200, 200),  # noqa: E501
    ("GET", "/reports/csv/<name>.csv"):          (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/root-causes"):                     (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/root-causes/<int:root_cause_id>"): (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/learning"):                        (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/learning/lessons/<month>"):        (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/learning/similar"):                (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    # Signing in and out: a kiosk can do neither (a lead unlocks it).
    ("GET", "/login"):                           (200, OBSERVE, HOME, HOME, HOME, HOME, HOME, HOME),
    ("POST", "/login"):                          (422, 403, HOME, HOME, HOME, HOME, HOME, HOME),
    ("POST", "/logout"):                         (HOME, 403, HOME, HOME, HOME, HOME, HOME, HOME),
    ("GET", "/kiosk/unlock"):                    (HOME, 200, HOME, HOME, HOME, HOME, HOME, HOME),
    ("POST", "/kiosk/unlock"):                   (HOME, 422, HOME, HOME, HOME, HOME, HOME, HOME),
    # Reporting needs no account; a kiosk's report goes to its own area.
    ("GET", "/observe"):                         (200, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "/observe"):                        (303, 303, 303, 303, 303, 303, 303, 303),
    # The entry form's one-tap language switch: everyone, a kiosk above all (back to the form).
    ("POST", "/language"):                       (303, 303, 303, 303, 303, 303, 303, 303),
    # Observation texts and photos: viewers and up (there is no photo here: 404).
    ("GET", "/observations"):                                      (LOGIN, OBSERVE, 200, 200, 200, 200, 200, 200),  # noqa: E501
    ("GET", "/observations/<int:observation_id>/photo"):           (LOGIN, OBSERVE, 404, 404, 404, 404, 404, 404),  # noqa: E501
    ("GET", "/observations/<int:observation_id>/thumbnail"):       (LOGIN, OBSERVE, 404, 404, 404, 404, 404, 404),  # noqa: E501
    ("GET", "/observations/<int:observation_id>/links"):           (LOGIN, OBSERVE, 403, 200, 200, 200, 200, 200),  # noqa: E501
    # Acting on a report of an Alpha area, or linking it to Alpha's work: Alpha only.
    ("POST", "/observations/<int:observation_id>/improvement"):     (LOGIN, 403, 403, 303, 403, 303, 403, 303),  # noqa: E501
    ("POST", "/observations/<int:observation_id>/link-improvement"): (LOGIN, 403, 403, 303, 403, 303, 403, 303),  # noqa: E501
    ("POST", "/observations/<int:observation_id>/link-root-cause"):  (LOGIN, 403, 403, 303, 403, 303, 403, 303),  # noqa: E501
    # Cards: members and leads of the card's team (and the admin) edit and move them.
    ("POST", "/board/cards/<int:card_id>/move"):  (LOGIN, 403, 403, 302, 403, 302, 403, 302),
    ("POST", "/board/moves"):                     (LOGIN, 403, 403, 302, 403, 302, 403, 302),
    ("GET", "/improvements/<int:improvement_id>/edit/<section>"):   (LOGIN, OBSERVE, 403, 200, 403, 200, 403, 200),  # noqa: E501
    ("POST", "/improvements/<int:improvement_id>/edit/<section>"):  (LOGIN, 403, 403, 302, 403, 302, 403, 302),  # noqa: E501
    ("POST", "/improvements/<int:improvement_id>/observations/<int:observation_id>/unlink"): (LOGIN, 403, 403, 302, 403, 302, 403, 302),  # noqa: E501
    ("POST", "/improvements/<int:improvement_id>/move"):            (LOGIN, 403, 403, 302, 403, 302, 403, 302),  # noqa: E501
    # A new card for Alpha: Beta's people are not offered Alpha in the team list (422).
    ("GET", "/improvements/new"):                (LOGIN, OBSERVE, 403, 200, 200, 200, 200, 200),
    ("POST", "/improvements/new"):               (LOGIN, 403, 403, 302, 422, 302, 422, 302),
    # Five whys linked to an Alpha card: Alpha works on it, everyone reads it.
    ("GET", "/root-causes/new"):                 (LOGIN, OBSERVE, 403, 200, 403, 200, 403, 200),
    ("POST", "/root-causes/new"):                (LOGIN, 403, 403, 302, 403, 302, 403, 302),
    ("POST", "/root-causes/<int:root_cause_id>/steps"):                       (LOGIN, 403, 403, 302, 403, 302, 403, 302),  # noqa: E501
    ("POST", "/root-causes/<int:root_cause_id>/steps/<int:step_id>"):         (LOGIN, 403, 403, 302, 403, 302, 403, 302),  # noqa: E501
    ("POST", "/root-causes/<int:root_cause_id>/steps/<int:step_id>/move"):    (LOGIN, 403, 403, 302, 403, 302, 403, 302),  # noqa: E501
    ("POST", "/root-causes/<int:root_cause_id>/steps/remove-last"):           (LOGIN, 403, 403, 302, 403, 302, 403, 302),  # noqa: E501
    ("POST", "/root-causes/<int:root_cause_id>/problem"):                     (LOGIN, 403, 403, 302, 403, 302, 403, 302),  # noqa: E501
    ("POST", "/root-causes/<int:root_cause_id>/conclusion"):                  (LOGIN, 403, 403, 302, 403, 302, 403, 302),  # noqa: E501
    ("POST", "/root-causes/<int:root_cause_id>/links"):                       (LOGIN, 403, 403, 302, 403, 302, 403, 302),  # noqa: E501
    ("POST", "/root-causes/<int:root_cause_id>/links/remove"):                (LOGIN, 403, 403, 302, 403, 302, 403, 302),  # noqa: E501
    # Team settings and names: the team's lead and the admin.
    ("GET", "/teams/<slug>/settings"):           (LOGIN, OBSERVE, 403, 403, 403, 200, 403, 200),
    ("POST", "/teams/<slug>/settings"):          (LOGIN, 403, 403, 403, 403, 302, 403, 302),
    ("GET", "/teams/<slug>/edit"):               (LOGIN, OBSERVE, 403, 403, 403, 200, 403, 200),
    ("POST", "/teams/<slug>/edit"):              (LOGIN, 403, 403, 403, 403, 303, 403, 303),
    # New teams and archiving them: admins.
    ("GET", "/teams/new"):                       (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    ("POST", "/teams/new"):                      (LOGIN, 403, 403, 403, 403, 403, 403, 303),
    ("POST", "/teams/<slug>/archive"):           (LOGIN, 403, 403, 403, 403, 403, 403, 303),
    ("POST", "/teams/<slug>/restore"):           (LOGIN, 403, 403, 403, 403, 403, 403, 303),
    # Areas: leads see them all and change their own team's; Alpha's area is not Beta's lead's.
    ("GET", "/areas"):                           (LOGIN, OBSERVE, 403, 403, 403, 200, 200, 200),
    ("GET", "/areas/new"):                       (LOGIN, OBSERVE, 403, 403, 403, 200, 200, 200),
    ("POST", "/areas/new"):                      (LOGIN, 403, 403, 403, 403, 303, 422, 303),
    ("GET", "/areas/<slug>/edit"):               (LOGIN, OBSERVE, 403, 403, 403, 200, 403, 200),
    ("POST", "/areas/<slug>/edit"):              (LOGIN, 403, 403, 403, 403, 303, 403, 303),
    ("POST", "/areas/<slug>/archive"):           (LOGIN, 403, 403, 403, 403, 303, 403, 303),
    ("POST", "/areas/<slug>/restore"):           (LOGIN, 403, 403, 403, 403, 303, 403, 303),
    # Kiosks: a lead binds the tablet in front of them to an area of their team (Beta's lead
    # is not offered Alpha's area: 422); admins list and revoke kiosks.
    ("GET", "/kiosks/new"):                      (LOGIN, OBSERVE, 403, 403, 403, 200, 200, 200),
    ("POST", "/kiosks/new"):                     (LOGIN, 403, 403, 403, 403, OBSERVE, 422, OBSERVE),
    ("GET", "/kiosks"):                          (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    ("POST", "/kiosks/<int:device_id>/revoke"):  (LOGIN, 403, 403, 403, 403, 403, 403, 303),
    # TV links: leads for their own team's board (Beta's lead: 422, and 403 on Alpha's link).
    ("GET", "/display-links"):                   (LOGIN, OBSERVE, 403, 403, 403, 200, 200, 200),
    ("POST", "/display-links"):                  (LOGIN, 403, 403, 403, 403, 200, 422, 200),
    ("POST", "/display-links/<int:link_id>/revoke"): (LOGIN, 403, 403, 403, 403, 303, 403, 303),
    # One's own password: everyone signed in (a kiosk has no password of its own to change).
    ("GET", "/account/password"):                (LOGIN, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("POST", "/account/password"):               (LOGIN, 403, HOME, HOME, HOME, HOME, HOME, HOME),
    ("POST", "/account/language"):               (LOGIN, 403, 303, 303, 303, 303, 303, 303),
    # Accounts, API tokens and the audit trail: admins only.
    ("GET", "/admin"):                           (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    ("GET", "/admin/accounts"):                  (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    ("GET", "/admin/accounts/new"):              (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    ("POST", "/admin/accounts/new"):             (LOGIN, 403, 403, 403, 403, 403, 403, 302),
    ("GET", "/admin/accounts/<int:account_id>"): (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    ("POST", "/admin/accounts/<int:account_id>/role"):      (LOGIN, 403, 403, 403, 403, 403, 403, 302),  # noqa: E501
    ("POST", "/admin/accounts/<int:account_id>/active"):    (LOGIN, 403, 403, 403, 403, 403, 403, 302),  # noqa: E501
    ("POST", "/admin/accounts/<int:account_id>/password"):  (LOGIN, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    ("POST", "/admin/accounts/<int:account_id>/sign-out"):  (LOGIN, 403, 403, 403, 403, 403, 403, 302),  # noqa: E501
    ("GET", "/admin/tokens"):                    (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    ("POST", "/admin/tokens"):                   (LOGIN, 403, 403, 403, 403, 403, 403, 200),
    ("POST", "/admin/tokens/<int:token_id>/revoke"): (LOGIN, 403, 403, 403, 403, 403, 403, 302),
    ("GET", "/admin/webhooks"):                  (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    ("POST", "/admin/webhooks"):                 (LOGIN, 403, 403, 403, 403, 403, 403, 200),
    ("GET", "/admin/webhooks/<int:hook_id>"):    (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    ("POST", "/admin/webhooks/<int:hook_id>/test"):   (LOGIN, 403, 403, 403, 403, 403, 403, 302),
    ("POST", "/admin/webhooks/<int:hook_id>/pause"):  (LOGIN, 403, 403, 403, 403, 403, 403, 302),
    ("POST", "/admin/webhooks/<int:hook_id>/start"):  (LOGIN, 403, 403, 403, 403, 403, 403, 302),
    ("POST", "/admin/webhooks/<int:hook_id>/delete"): (LOGIN, 403, 403, 403, 403, 403, 403, 302),
    ("POST", "/admin/webhooks/deliveries/<int:delivery_id>/again"): (LOGIN, 403, 403, 403, 403, 403, 403, 302),  # noqa: E501
    ("GET", "/admin/audit"):                     (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    ("GET", "/admin/audit.csv"):                 (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    # CSV downloads follow their page: observation texts for viewers and up, the rest open.
    ("GET", "/observations/export.csv"):         (LOGIN, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/board/export.csv"):                (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/board/moves.csv"):                 (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/root-causes/export.csv"):          (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/learning/export.csv"):             (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/teams/export.csv"):                (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    ("GET", "/areas/export.csv"):                (200, OBSERVE, 200, 200, 200, 200, 200, 200),
    # Importing a spreadsheet: admins (a post without a file is answered in the form: 422).
    ("GET", "/import"):                          (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    ("POST", "/import"):                         (LOGIN, 403, 403, 403, 403, 403, 403, 422),
    # The plant's own settings (its time zone): admins only.
    ("GET", "/settings/plant"):                  (LOGIN, OBSERVE, 403, 403, 403, 403, 403, 200),
    ("POST", "/settings/plant"):                 (LOGIN, 403, 403, 403, 403, 403, 403, 302),
}
# fmt: on

PASSWORD = "matrix password"
NEW_PASSWORD = "a longer matrix password"
# One cheap hash for every account here: the matrix signs in hundreds of times.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")


@dataclass
class World:
    """Team Alpha's work (and team Beta), the people, a kiosk and a TV link."""

    ids: dict[str, Any]
    people: dict[str, User]
    kiosk_secret: str
    display_token: str


def build_world(session: Session) -> World:
    """Two teams with an area each, an Alpha card with a report and a five whys, and people."""
    alpha = make_team(session, name="Alpha", slug="alpha")
    beta = make_team(session, name="Beta", slug="beta")
    area = make_area(session, name="Press 1", slug="press-1", team=alpha)
    make_area(session, name="Paint 1", slug="paint-1", team=beta)
    card = make_improvement(session, team=alpha, area=area, board_column=BoardColumn.PLAN)
    observation = make_observation(session, area=area)
    card.observations.append(observation)
    record = RootCause(problem="Parts wait for the forklift.")
    record.steps.append(WhyStep(position=1, why="Why?", because="Nobody is called."))
    record.steps.append(WhyStep(position=2, why="Why?", because="No signal."))
    record.improvements.append(card)
    session.add(record)
    people = {
        "viewer": User(role=Role.VIEWER, team=alpha),
        "member": User(role=Role.MEMBER, team=alpha),
        "member_other": User(role=Role.MEMBER, team=beta),
        "lead": User(role=Role.LEAD, team=alpha),
        "lead_other": User(role=Role.LEAD, team=beta),
        "admin": User(role=Role.ADMIN, plant_wide=True),
        "kiosk_account": User(role=Role.KIOSK, area=area),
    }
    for name, person in people.items():
        person.username = person.display_name = name
        person.password_hash = PASSWORD_HASH
    session.add_all(people.values())
    session.commit()
    kiosk = devices.bind_kiosk(session, area.id, "Press tablet", people["admin"])
    link = devices.create_display_link(session, alpha.id, "Alpha TV", people["admin"])
    token, _secret = api_tokens.create_token(
        session, people["admin"], name="Line sensor", owner=people["member"], scope=TokenScope.READ
    )
    hook, _hook_secret = webhooks.register(
        session,
        people["admin"],
        name="MES",
        url="http://127.0.0.1:9/hook",
        events=["card.moved"],
    )
    webhooks.ping(session, people["admin"], hook)
    session.commit()
    ids = {
        "hook": hook.id,
        "delivery": webhooks.latest_deliveries(session, hook)[0].id,
        "team": alpha.id,
        "area": area.id,
        "area_slug": area.slug,
        "card": card.id,
        "version": card.version,
        "observation": observation.id,
        "root_cause": record.id,
        "step": record.steps[-1].id,
        "device": kiosk.id,
        "link": link.id,
        "member": people["member"].id,
        "api_token": token.id,
    }
    return World(ids, people, kiosk.secret, link.secret)


def url_values(rule: str, world: World) -> dict[str, Any]:
    """The address arguments of a rule, pointing at team Alpha's things."""
    ids = world.ids
    slug = ids["area_slug"] if rule.startswith("/areas/") else "alpha"
    values = {
        "filename": "css/kaizen.css",
        "team_slug": "alpha",
        "token": world.display_token,
        "slug": slug,
        "card_id": ids["card"],
        "improvement_id": ids["card"],
        "observation_id": ids["observation"],
        "root_cause_id": ids["root_cause"],
        "step_id": ids["step"],
        "device_id": ids["device"],
        "link_id": ids["link"],
        "account_id": ids["member"],
        "token_id": ids["api_token"],
        "hook_id": ids["hook"],
        "delivery_id": ids["delivery"],
        "section": "title",
        "month": "2026-11",
        "name": "cycle-time",
        "fmt": "svg",
    }
    return values


# Form data (and query strings) for the routes that take some; everything refers to Alpha.
FormData = Callable[[dict[str, Any]], dict[str, Any]]
MOVE: FormData = lambda i: {"to_column": "do", "version": i["version"]}  # noqa: E731
FORMS: dict[tuple[str, str], FormData] = {
    ("POST", "/login"): lambda i: {},
    ("POST", "/observe"): lambda i: {
        "waste": "waiting",
        "area": i["area_slug"],
        "description": "Parts waited for the forklift.",
    },
    ("POST", "/observations/<int:observation_id>/link-improvement"): lambda i: {
        "improvement_id": i["card"]
    },
    ("POST", "/observations/<int:observation_id>/link-root-cause"): lambda i: {
        "root_cause_id": i["root_cause"]
    },
    ("POST", "/board/cards/<int:card_id>/move"): MOVE,
    ("POST", "/board/moves"): lambda i: {"move": f"{i['card']}:do:{i['version']}"},
    ("POST", "/improvements/<int:improvement_id>/edit/<section>"): lambda i: {
        "title": "A shorter walk to the press",
        "version": i["version"],
    },
    ("POST", "/improvements/<int:improvement_id>/move"): MOVE,
    ("POST", "/improvements/new"): lambda i: {"title": "Kanban square", "team_id": i["team"]},
    ("POST", "/root-causes/new"): lambda i: {
        "problem": "Parts wait.",
        "why": "Why do parts wait?",
        "because": "Nobody is called.",
        "improvement_id": i["card"],
    },
    ("POST", "/root-causes/<int:root_cause_id>/steps"): lambda i: {
        "why": "Why is nobody called?",
        "because": "There is no signal.",
    },
    ("POST", "/root-causes/<int:root_cause_id>/steps/<int:step_id>"): lambda i: {
        "why": "Why is there no signal?",
        "because": "It was never set up.",
    },
    ("POST", "/root-causes/<int:root_cause_id>/steps/<int:step_id>/move"): lambda i: {
        "direction": "up"
    },
    ("POST", "/root-causes/<int:root_cause_id>/problem"): lambda i: {"problem": "Parts wait."},
    ("POST", "/root-causes/<int:root_cause_id>/conclusion"): lambda i: {
        "root_cause": "No signal for the forklift.",
        "category": "method",
        "countermeasure": "A call button.",
        "status": "open",
    },
    ("POST", "/root-causes/<int:root_cause_id>/links"): lambda i: {"improvement_id": i["card"]},
    ("POST", "/root-causes/<int:root_cause_id>/links/remove"): lambda i: {
        "improvement_id": i["card"]
    },
    ("POST", "/teams/<slug>/settings"): lambda i: {"cycle_start_column": "plan"},
    ("POST", "/teams/<slug>/edit"): lambda i: {"name": "Alpha crew"},
    ("POST", "/teams/new"): lambda i: {"name": "Gamma"},
    ("POST", "/areas/new"): lambda i: {"name": "Press 9", "kind": "line", "team_id": i["team"]},
    ("POST", "/areas/<slug>/edit"): lambda i: {
        "name": "Press one",
        "kind": "line",
        "team_id": i["team"],
    },
    ("POST", "/kiosks/new"): lambda i: {"area_id": i["area"], "name": "Tablet"},
    ("POST", "/display-links"): lambda i: {"team_id": i["team"], "name": "Hall TV"},
    ("POST", "/account/password"): lambda i: {
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    },
    ("POST", "/admin/accounts/new"): lambda i: {
        "username": "newcomer",
        "password": NEW_PASSWORD,
        "role": "member",
        "team": str(i["team"]),
    },
    ("POST", "/admin/accounts/<int:account_id>/role"): lambda i: {
        "role": "lead",
        "team": str(i["team"]),
    },
    ("POST", "/admin/accounts/<int:account_id>/active"): lambda i: {"active": "0"},
    ("POST", "/settings/plant"): lambda i: {"time_zone": "Europe/Berlin", "language": "de"},
    ("POST", "/language"): lambda i: {"language": "pl", "next": "/observe"},
    ("POST", "/account/language"): lambda i: {"language": "de"},
    ("POST", "/admin/webhooks"): lambda i: {
        "name": "Quality chat",
        "url": "https://chat.example.net/hooks/kaizen",
        "events": ["observation.created", "card.finished"],
    },
    ("POST", "/admin/tokens"): lambda i: {
        "name": "Press counter",
        "owner": str(i["member"]),
        "scope": "read",
    },
}
QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/root-causes/new"): {"improvement": "card"},
}


def routes(app: Flask) -> set[tuple[str, str]]:
    """Every (method, rule) the app answers, HEAD and OPTIONS aside."""
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def test_every_route_has_a_decision(app: Flask) -> None:
    undecided = sorted(routes(app) - DECISIONS.keys())
    gone = sorted(DECISIONS.keys() - routes(app))

    assert undecided == [], "Routes nobody decided the access of (add them to DECISIONS)"
    assert gone == [], "DECISIONS for routes the app no longer has"


def _answer_of(response: Any) -> Answer:
    """What a visitor got: a status code, or where a redirect sent them."""
    if response.status_code in (301, 302, 303, 307, 308):
        path = urlsplit(response.headers["Location"]).path
        if path == "/login":
            return LOGIN
        if path == "/observe" and response.status_code == 302:
            return OBSERVE
        if path == "/" and response.status_code == 302:
            return HOME
    return int(response.status_code)


CASES = [
    pytest.param(method, rule, visitor, id=f"{method} {rule} as {visitor}")
    for (method, rule) in DECISIONS
    for visitor in (*VISITORS, "kiosk_account")
]


@pytest.fixture(scope="module")
def matrix_app(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_schema: str | None,
    request: pytest.FixtureRequest,
) -> Iterator[Flask]:
    """One app for the whole matrix; each case gets a fresh database (see `fresh_app`)."""
    folder = tmp_path_factory.mktemp("matrix")
    app = create_app(app_config(postgres_schema or f"sqlite:///{folder / 'kaizen.db'}", folder))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fresh_app(
    matrix_app: Flask, postgres_schema: str | None, request: pytest.FixtureRequest
) -> Flask:
    """The matrix app with an empty database of its own (a new app per case costs too much)."""
    with matrix_app.app_context():
        db.session.remove()
        db.engine.dispose()
        if postgres_schema:
            empty_all_tables()
        else:
            template = request.getfixturevalue("sqlite_template")
            shutil.copyfile(template, Path(matrix_app.instance_path) / "kaizen.db")
    return matrix_app


@pytest.mark.parametrize(("method", "rule", "visitor"), CASES)
def test_access(fresh_app: Flask, method: str, rule: str, visitor: str) -> None:
    app, client = fresh_app, fresh_app.test_client()
    with app.app_context():
        world = build_world(db.session)
        url = _build_url(app, method, rule, world)
        data = FORMS.get((method, rule), lambda i: {})(world.ids) if method == "POST" else None
        if visitor == "kiosk":
            client.set_cookie(KIOSK_COOKIE, world.kiosk_secret)
        elif visitor != "anon":
            signed = client.post(
                "/login", data={"username": world.people[visitor].username, "password": PASSWORD}
            )
            assert signed.status_code == 302
    response = client.open(url, method=method, data=data)
    column = VISITORS.index("kiosk" if visitor == "kiosk_account" else visitor)

    assert _answer_of(response) == DECISIONS[(method, rule)][column]


def _build_url(app: Flask, method: str, rule: str, world: World) -> str:
    """The address of a rule with Alpha's things in it (and its query string, if any)."""
    found = next(r for r in app.url_map.iter_rules() if r.rule == rule and method in r.methods)
    values = {name: url_values(rule, world)[name] for name in found.arguments}
    query = {key: world.ids[value] for key, value in QUERIES.get((method, rule), {}).items()}
    with app.test_request_context():
        return url_for(found.endpoint, **values, **query)
