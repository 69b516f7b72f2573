"""Admin pages (accounts, API tokens, audit trail) and everyone's own password page.

Rows are made in an app context of their own, left before any request: requests made
inside a test's app context would share its `g` (and the account Flask-Login keeps there)
across clients.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kaizen.extensions import db
from kaizen.models import ApiToken, AuditEvent, Role, TokenScope, User
from kaizen.models.account import hash_token
from tests.conftest import SignIn
from tests.factories import DEFAULT_PASSWORD, make_area, make_team, make_user

PEOPLE = {
    "viewer": Role.VIEWER,
    "member": Role.MEMBER,
    "lead": Role.LEAD,
    "admin": Role.ADMIN,
}


@pytest.fixture
def in_db(app: Flask) -> Iterator[Callable[..., Any]]:
    """Run `fn(session)` in a short app context of its own and commit."""

    def run(fn: Callable[..., Any]) -> Any:
        with app.app_context():
            result = fn(db.session)
            db.session.commit()
            return result

    yield run


@pytest.fixture
def people(in_db: Callable[..., Any]) -> dict[str, int]:
    """An account of every role (and a kiosk), by role name, as ids."""

    def make(session: Any) -> dict[str, int]:
        team = make_team(session, name="Press shop", slug="press")
        ids = {
            name: make_user(session, username=name, role=role, team=team).id
            for name, role in PEOPLE.items()
        }
        area = make_area(session, team=team)
        ids["kiosk"] = make_user(session, username="kiosk", role=Role.KIOSK, area=area).id
        return ids

    return in_db(make)  # type: ignore[no-any-return]


def signed_in(app: Flask, username: str, password: str = DEFAULT_PASSWORD) -> FlaskClient:
    client = app.test_client()
    answer = SignIn(client).attempt(username, password)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def audit_rows(in_db: Callable[..., Any]) -> list[tuple[str, str, str]]:
    return in_db(  # type: ignore[no-any-return]
        lambda s: [
            (e.action, e.subject_type, e.summary)
            for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
    )


# --------------------------------------------------------------------------------------
# Who may open what
# --------------------------------------------------------------------------------------


def _new_rules(app: Flask) -> list[tuple[str, str]]:
    """Every (method, address) this part adds: the admin pages and one's own password."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") or rule.endpoint == "accounts.password":
            method = "GET" if "GET" in (rule.methods or ()) else "POST"
            address = re.sub(r"<int:\w+>", "1", rule.rule)
            found.append((method, address))
    return sorted(found)


def test_the_admin_part_has_the_routes_the_access_test_checks(app: Flask) -> None:
    assert len(_new_rules(app)) == 13


@pytest.mark.parametrize("who", ["signed out", "kiosk", "viewer", "member", "lead"])
def test_admin_pages_are_refused_to_everyone_but_admins(
    app: Flask, people: dict[str, int], who: str
) -> None:
    client = app.test_client()
    if who == "kiosk":
        client = signed_in(app, "kiosk")
    elif who != "signed out":
        client = signed_in(app, who)
    for method, address in _new_rules(app):
        if not address.startswith("/admin"):
            continue
        answer = client.open(address, method=method)
        # A kiosk only ever sees its entry form: it is sent back there, and posts are refused.
        sent_back = who == "signed out" or (who == "kiosk" and method == "GET")
        assert answer.status_code == (302 if sent_back else 403), (method, address)
        if who == "signed out":
            assert "/login" in answer.headers["Location"]
        elif sent_back:
            assert answer.headers["Location"].endswith("/observe")


def test_admins_open_every_admin_page(app: Flask, people: dict[str, int]) -> None:
    client = signed_in(app, "admin")
    for method, address in _new_rules(app):
        if method == "GET":
            assert client.get(address).status_code == 200, address


@pytest.mark.parametrize("who", ["viewer", "member", "lead", "admin"])
def test_every_signed_in_person_opens_their_own_password_page(
    app: Flask, people: dict[str, int], who: str
) -> None:
    assert signed_in(app, who).get("/account/password").status_code == 200


def test_the_password_page_sends_strangers_to_sign_in_and_refuses_a_kiosk(
    app: Flask, people: dict[str, int]
) -> None:
    assert app.test_client().get("/account/password").status_code == 302
    kiosk = signed_in(app, "kiosk")
    assert kiosk.get("/account/password").headers["Location"].endswith("/observe")
    assert kiosk.post("/account/password").status_code == 403


def test_admins_find_the_admin_pages_in_the_menu_and_others_do_not(
    app: Flask, people: dict[str, int]
) -> None:
    assert 'href="/admin"' in signed_in(app, "admin").get("/").get_data(as_text=True)
    assert 'href="/admin"' not in signed_in(app, "lead").get("/").get_data(as_text=True)


# --------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------


def test_an_admin_creates_a_member_who_signs_in_and_is_asked_for_their_own_password(
    app: Flask, people: dict[str, int], in_db: Callable[..., Any]
) -> None:
    admin = signed_in(app, "admin")
    team_id = in_db(lambda s: s.scalar(select(User.team_id).where(User.username == "lead")))
    answer = admin.post(
        "/admin/accounts/new",
        data={
            "username": "Mia.K",
            "display_name": "Mia Kovač",
            "role": "member",
            "team": str(team_id),
            "password": "first-password",
        },
    )
    assert answer.status_code == 302
    mia = signed_in(app, "mia.k", "first-password")
    page = mia.get("/account/password").get_data(as_text=True)
    assert "choose a password of your own" in page
    assert audit_rows(in_db)[-1][:2] == ("created", "account")


def test_a_new_account_needs_a_free_username_and_a_long_enough_password(
    app: Flask, people: dict[str, int]
) -> None:
    admin = signed_in(app, "admin")
    answer = admin.post(
        "/admin/accounts/new",
        data={"username": "member", "role": "member", "team": "", "password": "long-enough"},
    )
    assert answer.status_code == 422
    assert "is taken" in answer.get_data(as_text=True)
    short = admin.post(
        "/admin/accounts/new",
        data={"username": "newbie", "role": "member", "team": "", "password": "short"},
    )
    assert short.status_code == 422
    assert "At least 8 characters." in short.get_data(as_text=True)
    assert 'value="newbie"' in short.get_data(as_text=True)


def test_a_role_change_takes_effect_and_signs_the_person_out(
    app: Flask, people: dict[str, int], in_db: Callable[..., Any]
) -> None:
    member = signed_in(app, "member")
    admin = signed_in(app, "admin")
    answer = admin.post(
        f"/admin/accounts/{people['member']}/role", data={"role": "lead", "team": ""}
    )
    assert answer.status_code == 302
    assert member.get("/account/password").status_code == 302  # signed out
    role, team = in_db(lambda s: (lambda u: (u.role, u.team_id))(s.get(User, people["member"])))
    assert (role, team) == (Role.LEAD, None)
    assert "role member → lead" in audit_rows(in_db)[-1][2]


def test_an_admin_cannot_demote_or_deactivate_themselves(
    app: Flask, people: dict[str, int]
) -> None:
    admin = signed_in(app, "admin")
    demote = admin.post(f"/admin/accounts/{people['admin']}/role", data={"role": "member"})
    assert demote.status_code == 422
    assert "cannot change the role of your own account" in demote.get_data(as_text=True)
    off = admin.post(f"/admin/accounts/{people['admin']}/active", data={"active": "0"})
    assert off.status_code == 422
    assert admin.get("/admin").status_code == 200


def test_a_deactivated_account_cannot_sign_in_until_reactivated(
    app: Flask, people: dict[str, int]
) -> None:
    admin = signed_in(app, "admin")
    admin.post(f"/admin/accounts/{people['member']}/active", data={"active": "0"})
    assert SignIn(app.test_client()).attempt("member", DEFAULT_PASSWORD).status_code == 422
    assert "Deactivated" in admin.get("/admin/accounts").get_data(as_text=True)
    admin.post(f"/admin/accounts/{people['member']}/active", data={"active": "1"})
    assert SignIn(app.test_client()).attempt("member", DEFAULT_PASSWORD).status_code == 302


def test_a_generated_password_is_shown_once_and_works_once_changed(
    app: Flask, people: dict[str, int], in_db: Callable[..., Any]
) -> None:
    admin = signed_in(app, "admin")
    page = admin.post(f"/admin/accounts/{people['member']}/password", data={"new_password": ""})
    assert page.status_code == 200
    found = re.search(r'id="generated-password">([^<]+)<', page.get_data(as_text=True))
    assert found is not None
    generated = found.group(1)
    assert generated not in admin.get(f"/admin/accounts/{people['member']}").get_data(as_text=True)
    assert SignIn(app.test_client()).attempt("member", DEFAULT_PASSWORD).status_code == 422
    person = app.test_client()
    first = SignIn(person).attempt("member", generated)
    assert first.headers["Location"].startswith("/account/password")
    changed = person.post(
        "/account/password",
        data={
            "current_password": generated,
            "new_password": "my own secret",
            "confirm": "my own secret",
        },
    )
    assert changed.status_code == 302
    assert "password-notice" not in person.get("/").get_data(as_text=True)
    assert ("password-reset", "account") in [row[:2] for row in audit_rows(in_db)]


def test_sign_out_everywhere_ends_the_person_s_sessions(app: Flask, people: dict[str, int]) -> None:
    member = signed_in(app, "member")
    admin = signed_in(app, "admin")
    assert admin.post(f"/admin/accounts/{people['member']}/sign-out").status_code == 302
    assert member.get("/account/password").status_code == 302


# --------------------------------------------------------------------------------------
# One's own password
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong one", "a good new one", "a good new one", "not your current password"),
        (DEFAULT_PASSWORD, "short", "short", "Use at least 8 characters"),
        (DEFAULT_PASSWORD, "a good new one", "a good new two", "are not the same"),
        (DEFAULT_PASSWORD, DEFAULT_PASSWORD, DEFAULT_PASSWORD, "different from the current"),
    ],
)
def test_a_password_change_explains_what_is_wrong(
    app: Flask, people: dict[str, int], current: str, new: str, confirm: str, message: str
) -> None:
    client = signed_in(app, "member")
    answer = client.post(
        "/account/password",
        data={"current_password": current, "new_password": new, "confirm": confirm},
    )
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert SignIn(app.test_client()).attempt("member", DEFAULT_PASSWORD).status_code == 302


def test_the_demo_admin_is_kindly_asked_to_change_the_demo_password(
    app: Flask, in_db: Callable[..., Any]
) -> None:
    from kaizen.demo import DEMO_PASSWORD

    in_db(
        lambda s: make_user(
            s, username="admin", role=Role.ADMIN, password=DEMO_PASSWORD, password_change_due=True
        )
    )
    client = signed_in(app, "admin", DEMO_PASSWORD)
    assert "demo password" in client.get("/board").get_data(as_text=True)
    client.post(
        "/account/password",
        data={
            "current_password": DEMO_PASSWORD,
            "new_password": "plant secret 1",
            "confirm": "plant secret 1",
        },
    )
    assert "demo password" not in client.get("/board").get_data(as_text=True)


# --------------------------------------------------------------------------------------
# API tokens
# --------------------------------------------------------------------------------------


def test_a_token_secret_is_shown_once_stored_hashed_and_revocable(
    app: Flask, people: dict[str, int], in_db: Callable[..., Any]
) -> None:
    admin = signed_in(app, "admin")
    page = admin.post(
        "/admin/tokens",
        data={"name": "MES line 3", "owner": str(people["member"]), "scope": "read-write"},
    )
    assert page.status_code == 200
    found = re.search(r'id="token-secret">([^<]+)<', page.get_data(as_text=True))
    assert found is not None
    secret = found.group(1)
    token_id, token_hash, name, owner, scope = in_db(
        lambda s: s.execute(
            select(
                ApiToken.id, ApiToken.token_hash, ApiToken.name, ApiToken.user_id, ApiToken.scope
            )
        ).one()
    )
    assert token_hash == hash_token(secret) and secret not in token_hash
    assert (name, owner, scope) == ("MES line 3", people["member"], TokenScope.READ_WRITE)
    listing = admin.get("/admin/tokens").get_data(as_text=True)
    assert secret not in listing and f"{secret[:10]}…" in listing and "Never" in listing
    assert admin.post(f"/admin/tokens/{token_id}/revoke").status_code == 302
    assert "Revoked" in admin.get("/admin/tokens").get_data(as_text=True)
    assert [row[0] for row in audit_rows(in_db)] == ["created", "revoked"]


def test_a_token_needs_a_name(app: Flask, people: dict[str, int]) -> None:
    answer = signed_in(app, "admin").post(
        "/admin/tokens", data={"name": " ", "owner": str(people["admin"]), "scope": "read"}
    )
    assert answer.status_code == 422
    assert "This field is required." in answer.get_data(as_text=True)


# --------------------------------------------------------------------------------------
# Audit trail
# --------------------------------------------------------------------------------------


def test_card_five_whys_reflection_and_team_changes_are_in_the_trail(
    app: Flask, people: dict[str, int], in_db: Callable[..., Any]
) -> None:
    team_id = in_db(lambda s: s.scalar(select(User.team_id).where(User.username == "lead")))
    lead = signed_in(app, "lead")
    lead.post("/improvements/new", data={"title": "Label the racks", "team_id": team_id})
    card_id = in_db(lambda s: s.scalar(select(AuditEvent.subject_id)))
    lead.post(
        f"/improvements/{card_id}/edit/title", data={"version": 1, "title": "Label every rack"}
    )
    five_whys = lead.post(
        "/root-causes/new",
        data={"problem": "Racks unlabelled", "why": "Why?", "because": "No labels came."},
    )
    assert five_whys.status_code == 302
    lead.post(
        "/teams/press/settings",
        data={
            "ideas_limit": "",
            "plan_limit": "4",
            "do_limit": "",
            "check_limit": "",
            "ideas_mode": "soft",
            "plan_mode": "soft",
            "do_mode": "soft",
            "check_mode": "soft",
            "cycle_start_column": "plan",
        },
    )
    rows = audit_rows(in_db)
    assert rows[0] == ("created", "card", "Created card “Label the racks”")
    assert rows[1] == ("edited", "card", "Edited card “Label every rack”: title")
    assert rows[2] == ("created", "five-whys", "Created five whys “Racks unlabelled”")
    assert rows[3] == ("edited", "team", "Edited team Press shop: WIP limits")
    assert len(rows) == 4


def test_a_reflection_is_in_the_trail(
    app: Flask, people: dict[str, int], in_db: Callable[..., Any]
) -> None:
    from kaizen.models import BoardColumn, Outcome
    from tests.factories import make_improvement

    card_id = in_db(
        lambda s: (
            make_improvement(
                s,
                team_id=s.scalar(select(User.team_id).where(User.username == "member")),
                board_column=BoardColumn.DONE,
                outcome=Outcome.ADOPTED,
            ).id
        )
    )
    signed_in(app, "member").post(
        f"/improvements/{card_id}/edit/reflection",
        data={"version": 1, "learnt": "Small trials work."},
    )
    assert [row[:2] for row in audit_rows(in_db)] == [("created", "reflection")]


def test_card_moves_stay_out_of_the_trail(
    app: Flask, people: dict[str, int], in_db: Callable[..., Any]
) -> None:
    from tests.factories import make_improvement

    card_id = in_db(
        lambda s: (
            make_improvement(
                s, team_id=s.scalar(select(User.team_id).where(User.username == "member"))
            ).id
        )
    )
    answer = signed_in(app, "member").post(
        f"/improvements/{card_id}/move", data={"to_column": "plan", "version": 1}
    )
    assert answer.status_code in (200, 302, 303)
    assert audit_rows(in_db) == []


def _event(session: Any, actor: str, subject_type: str, summary: str, day: str) -> None:
    from datetime import datetime

    session.add(
        AuditEvent(
            at=datetime.fromisoformat(f"{day} 10:00"),
            actor_id=session.scalar(select(User.id).where(User.username == actor)),
            action="edited",
            subject_type=subject_type,
            subject_id=1,
            summary=summary,
        )
    )


def test_the_trail_filters_by_who_what_and_when(
    app: Flask, people: dict[str, int], in_db: Callable[..., Any]
) -> None:
    def events(s: Any) -> None:
        _event(s, "lead", "card", "Lead edited a card", "2026-03-02")
        _event(s, "member", "card", "Member edited a card", "2026-03-05")
        _event(s, "member", "five-whys", "Member edited five whys", "2026-04-01")

    in_db(events)
    admin = signed_in(app, "admin")

    def shown(**query: str) -> set[str]:
        html = admin.get("/admin/audit", query_string=query).get_data(as_text=True)
        return {s for s in ("Lead edited", "Member edited a", "Member edited five") if s in html}

    assert shown() == {"Lead edited", "Member edited a", "Member edited five"}
    assert shown(who=str(people["member"])) == {"Member edited a", "Member edited five"}
    assert shown(subject="card") == {"Lead edited", "Member edited a"}
    assert shown(since="2026-03-03", until="2026-03-31") == {"Member edited a"}
    assert admin.get("/admin/audit", query_string={"since": "soon"}).status_code == 422
    assert admin.get("/admin/audit.csv", query_string={"since": "soon"}).status_code == 400


def test_the_trail_downloads_as_csv_with_formulas_defused(
    app: Flask, people: dict[str, int], in_db: Callable[..., Any]
) -> None:
    in_db(lambda s: _event(s, "member", "card", '=HYPERLINK("http://x")', "2026-03-05"))
    answer = signed_in(app, "admin").get("/admin/audit.csv", query_string={"subject": "card"})
    assert answer.mimetype == "text/csv"
    # UTF-8 with a byte-order mark, like every CSV download (spreadsheets read accents right).
    assert answer.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert rows[0] == ["When (UTC)", "Who", "Action", "Subject", "Subject id", "Summary"]
    assert rows[1] == [
        "2026-03-05 10:00:00",
        "member",
        "edited",
        "Cards",
        "1",
        '\'=HYPERLINK("http://x")',
    ]


def test_a_new_why_step_is_an_edit_of_its_five_whys(
    app: Flask, people: dict[str, int], in_db: Callable[..., Any]
) -> None:
    member = signed_in(app, "member")
    member.post(
        "/root-causes/new",
        data={"problem": "Racks unlabelled", "why": "Why?", "because": "No labels came."},
    )
    record_id = in_db(lambda s: s.scalar(select(AuditEvent.subject_id)))
    member.post(
        f"/root-causes/{record_id}/steps",
        data={"why": "Why no labels?", "because": "Nobody ordered them."},
    )
    assert audit_rows(in_db)[-1] == (
        "edited",
        "five-whys",
        "Edited five whys “Racks unlabelled”: why steps",
    )


def test_a_refused_edit_leaves_nothing_in_the_trail(
    app: Flask, people: dict[str, int], in_db: Callable[..., Any]
) -> None:
    from tests.factories import make_improvement

    card_id = in_db(
        lambda s: (
            make_improvement(
                s, team_id=s.scalar(select(User.team_id).where(User.username == "member"))
            ).id
        )
    )
    stale = signed_in(app, "member").post(
        f"/improvements/{card_id}/edit/title", data={"version": 7, "title": "Too late"}
    )
    assert stale.status_code == 409
    assert audit_rows(in_db) == []


def test_an_admin_lets_a_member_work_across_every_team(app: Flask, people: dict[str, int]) -> None:
    admin = signed_in(app, "admin")
    page = admin.get(f"/admin/accounts/{people['member']}")
    assert "Works across every team" in page.get_data(as_text=True)
    answer = admin.post(
        f"/admin/accounts/{people['member']}/role",
        data={"role": "member", "team": "", "plant_wide": "y"},
    )
    assert answer.status_code == 302
    with app.app_context():
        member = db.session.get(User, people["member"])
        assert member is not None and member.plant_wide is True
        db.session.remove()


def test_the_audit_trail_names_kiosks_tv_links_areas_and_the_plant_zone(
    app: Flask, people: dict[str, int]
) -> None:
    admin = signed_in(app, "admin")
    with app.app_context():
        team = make_team(db.session, name="Audit crew", slug="audit-crew")
        make_area(db.session, name="Audit press", slug="audit-press", team=team)
        db.session.commit()
        team_id = team.id
        db.session.remove()
    assert admin.post("/settings/plant", data={"time_zone": "Europe/Berlin"}).status_code == 302
    assert (
        admin.post("/display-links", data={"team_id": team_id, "name": "Hall TV"}).status_code
        == 200
    )
    assert admin.post("/areas/audit-press/archive").status_code == 303
    trail = admin.get("/admin/audit").get_data(as_text=True)
    assert "plant time zone Europe/Berlin" in trail
    assert "TV link “Hall TV”" in trail
    assert "area Audit press" in trail
