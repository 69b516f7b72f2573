"""Languages: complete catalogues, the order a reader's language is chosen in, the entry
form's one-tap switch, and a JSON API whose codes stay English (docs/languages.md)."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kaizen.i18n import LANGUAGE_COOKIE, SOURCES, compile_catalogues
from kaizen.models import Area, Observation, PlantSetting, Role, TokenScope, User
from kaizen.services.api_tokens import create_token
from kaizen.services.languages import CODES, choose_language, from_accept_language
from tests.catalogues import marked_messages
from tests.conftest import SignIn
from tests.factories import make_area, make_team, make_user

TRANSLATED = [code for code in CODES if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}")
TAG = re.compile(r"</?\w+")


def catalogue(code: str) -> Catalog:
    """The source catalogue of one shipped language."""
    with (SOURCES / code / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=code)


def template() -> Catalog:
    """messages.pot, as `make messages` last wrote it."""
    with (SOURCES / "messages.pot").open("rb") as source:
        return read_po(source)


def _forms(string: object) -> list[str]:
    """A translation's forms: one, or one per plural form."""
    return list(string) if isinstance(string, list | tuple) else [str(string)]


def _key(context: str | None, msgid: object) -> tuple[str | None, str]:
    """A message's key: its context and its (singular) id."""
    return (context, msgid[0] if isinstance(msgid, list | tuple) else str(msgid))


# Catalogues
# --------------------------------------------------------------------------------------


def test_the_template_holds_every_string_marked_in_the_code() -> None:
    # A string marked but not extracted would stay English in every language.
    marked = {_key(context, msgid) for msgid, context in marked_messages()}
    extracted = {_key(m.context, m.id) for m in template() if m.id}

    assert sorted(marked - extracted, key=str) == [], "Run `make messages`"
    assert sorted(extracted - marked, key=str) == [], "Run `make messages`"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(code: str) -> None:
    wanted = {_key(m.context, m.id) for m in template() if m.id}
    found = {_key(m.context, m.id): m for m in catalogue(code) if m.id}

    assert sorted(wanted - found.keys(), key=str) == [], "Run `make messages`, then translate"
    # A plural message needs every form of the language (Polish and Spanish have three).
    assert [k for k, m in found.items() if not m.string or not all(_forms(m.string))] == []
    assert [k for k, m in found.items() if m.fuzzy] == []
    assert not catalogue(code).fuzzy


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_the_placeholders_and_markup_of_the_original(code: str) -> None:
    differ = []
    for message in catalogue(code):
        if not message.id:
            continue
        if isinstance(message.id, str):
            if _marks(message.id) != _marks(str(message.string)):
                differ.append((message.id, message.string))
            continue
        # Plural forms: the last (many/other) keeps the plural's placeholders and tags; the
        # others use no placeholder the original lacks ("Your report was sent" has no count).
        singular, plural = message.id
        *forms, last = _forms(message.string)
        allowed = _marks(singular) | _marks(plural)
        if _marks(plural) != _marks(last) or any(not _marks(f) <= allowed for f in forms):
            differ.append((plural, message.string))
    assert differ == []


def _marks(text: str) -> Counter[tuple[str, str] | str]:
    """The placeholders and tags of a message, each as often as it is written."""
    return Counter([*PLACEHOLDER.findall(text), *TAG.findall(text)])


def test_the_placeholder_check_catches_a_renamed_or_dropped_placeholder() -> None:
    def same(original: str, translated: str) -> bool:
        return _marks(original) == _marks(translated)

    assert same("Kiosk · %(area)s", "Quiosco · %(area)s")
    assert not same("Kiosk · %(area)s", "Quiosco · %(zona)s")
    assert not same("Under %(count)s characters", "Unter Zeichen")
    assert not same("{name} moved", "verschoben")
    assert not same('See <a href="%(url)s">the list</a>', "Siehe die Liste")


def test_a_catalogue_is_compiled_again_when_its_source_is_newer(tmp_path: Path) -> None:
    sources, target = tmp_path / "sources", tmp_path / "compiled"
    shutil.copytree(SOURCES / "de", sources / "de")
    po = sources / "de" / "LC_MESSAGES" / "messages.po"

    assert compile_catalogues(sources, target) == [target / "de/LC_MESSAGES/messages.mo"]
    assert compile_catalogues(sources, target) == []  # up to date: nothing to do

    po.write_text(po.read_text().replace('msgstr "Wo?"', 'msgstr "Wohin?"'))
    mo = target / "de/LC_MESSAGES/messages.mo"
    stamp = mo.stat().st_mtime_ns
    os.utime(po, ns=(stamp + 1_000_000, stamp + 1_000_000))

    assert compile_catalogues(sources, target) == [mo]
    assert b"Wohin?" in mo.read_bytes()


# The order a language is chosen in
# --------------------------------------------------------------------------------------


def test_the_person_s_choice_comes_first() -> None:
    chosen = choose_language(
        person="pl", device="de", plant=lambda: "es", accept_language="es;q=1.0"
    )
    assert chosen == "pl"


def test_then_the_device_then_the_plant_then_the_browser_then_english() -> None:
    assert choose_language(person=None, device="de", plant=lambda: "es") == "de"
    assert choose_language(plant=lambda: "es", accept_language="pl") == "es"
    assert choose_language(plant=lambda: None, accept_language="pl-PL,pl;q=0.9") == "pl"
    assert choose_language(accept_language="fr-FR,fr;q=0.9") == "en"
    assert choose_language() == "en"


def test_a_choice_kaizen_does_not_ship_is_passed_over() -> None:
    assert choose_language(person="tr", device="xx", plant=lambda: "", accept_language="es") == (
        "es"
    )


def test_the_plant_is_not_asked_when_the_person_or_device_has_chosen() -> None:
    def plant() -> str:
        raise AssertionError("the plant's default was read")

    assert choose_language(device="pl", plant=plant) == "pl"


def test_a_browser_s_regional_language_finds_the_shipped_one() -> None:
    assert from_accept_language("de-AT,de;q=0.9,en;q=0.5") == "de"
    assert from_accept_language("es-MX") == "es"
    assert from_accept_language("") is None


def html_language(client: FlaskClient, path: str = "/observe", **headers: str) -> str:
    """The `lang` of the page's <html> element."""
    page = client.get(path, headers=headers).get_data(as_text=True)
    found = re.search(r'<html lang="([^"]+)" dir="(ltr|rtl)">', page)
    assert found, page[:200]
    return found.group(1)


def test_pages_speak_the_browser_s_language_and_say_so(client: FlaskClient) -> None:
    assert html_language(client, **{"Accept-Language": "pl-PL,pl;q=0.9"}) == "pl"
    assert html_language(client, **{"Accept-Language": "fr"}) == "en"
    assert html_language(client) == "en"


def test_the_device_s_cookie_beats_the_browser(client: FlaskClient) -> None:
    client.set_cookie(LANGUAGE_COOKIE, "de")
    assert html_language(client, **{"Accept-Language": "es"}) == "de"


def test_the_plant_default_beats_the_browser_but_not_the_device(
    app: Flask, session: Session, client: FlaskClient
) -> None:
    session.add(PlantSetting(id=1, time_zone="", language="es"))
    session.commit()

    assert html_language(client, **{"Accept-Language": "pl"}) == "es"
    client.set_cookie(LANGUAGE_COOKIE, "de")
    assert html_language(client, **{"Accept-Language": "pl"}) == "de"


def test_an_admin_sets_the_plant_default_on_the_settings_page(
    session: Session, client: FlaskClient, sign_in: SignIn
) -> None:
    sign_in(make_user(session, role=Role.ADMIN))
    response = client.post("/settings/plant", data={"time_zone": "Europe/Warsaw", "language": "pl"})
    sign_in.out()

    assert response.status_code == 302
    assert session.get(PlantSetting, 1).language == "pl"  # type: ignore[union-attr]
    assert html_language(client) == "pl"


def test_a_person_s_own_choice_beats_the_device(
    session: Session, client: FlaskClient, sign_in: SignIn
) -> None:
    person = make_user(session)
    session.commit()
    sign_in(person)
    client.set_cookie(LANGUAGE_COOKIE, "de")

    response = client.post("/account/language", data={"language": "es"})

    assert response.status_code == 303
    session.expire_all()
    assert session.get(User, person.id).language == "es"  # type: ignore[union-attr]
    assert html_language(client) == "es"
    page = client.get("/account/password").get_data(as_text=True)
    assert re.search(r'<input checked [^>]*value="es">', page)


def test_a_person_may_go_back_to_following_the_device(
    session: Session, client: FlaskClient, sign_in: SignIn
) -> None:
    person = make_user(session, language="pl")
    session.commit()
    sign_in(person)
    client.set_cookie(LANGUAGE_COOKIE, "de")

    client.post("/account/language", data={"language": ""})

    session.expire_all()
    assert session.get(User, person.id).language is None  # type: ignore[union-attr]
    assert html_language(client) == "de"


def test_a_language_kaizen_does_not_ship_is_refused(
    session: Session, client: FlaskClient, sign_in: SignIn
) -> None:
    sign_in(make_user(session))
    assert client.post("/account/language", data={"language": "tr"}).status_code == 422
    assert client.post("/language", data={"language": "tr"}).status_code == 400


# The entry form in Polish
# --------------------------------------------------------------------------------------


@pytest.fixture
def press(session: Session) -> Area:
    """An area 'Press line 3' (slug press-3) of the Stamping team."""
    area = make_area(session, name="Press line 3", slug="press-3", team=make_team(session))
    session.commit()
    return area


def test_the_entry_form_offers_each_language_in_its_own_words(
    client: FlaskClient, press: Area
) -> None:
    page = client.get("/observe?area=press-3").get_data(as_text=True)

    for code, name in (("en", "English"), ("de", "Deutsch"), ("pl", "Polski"), ("es", "Español")):
        assert f'value="{code}" lang="{code}"' in page
        assert f">{name}</button>" in page
    assert 'form="language-form"' in page
    assert '<input type="hidden" name="next" value="/observe?area=press-3">' in page


def test_one_tap_turns_the_entry_form_polish_and_returns_to_it(
    client: FlaskClient, press: Area
) -> None:
    response = client.post("/language", data={"language": "pl", "next": "/observe?area=press-3"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/observe?area=press-3"
    assert f"{LANGUAGE_COOKIE}=pl" in response.headers["Set-Cookie"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="pl" dir="ltr">' in page
    assert "Zgłoś marnotrawstwo" in page and "Oczekiwanie" in page and "Jak często?" in page
    assert re.search(r'value="pl" lang="pl"\s+class="language-choice" aria-current="true"', page)


def test_the_switch_goes_back_only_to_this_site(client: FlaskClient) -> None:
    for elsewhere in ("https://example.com/", "//example.com/", "/\\example.com"):
        response = client.post("/language", data={"language": "de", "next": elsewhere})
        assert response.headers["Location"] == "/observe"


def test_the_switch_is_a_form_protected_against_forgery(app: Flask, client: FlaskClient) -> None:
    app.config["WTF_CSRF_ENABLED"] = True

    assert client.post("/language", data={"language": "pl"}).status_code == 400


def test_a_report_sent_in_polish_is_stored_with_its_codes(
    session: Session, client: FlaskClient, press: Area
) -> None:
    client.post("/language", data={"language": "pl"})

    response = client.post(
        "/observe?area=press-3",
        data={
            "waste": "waiting",
            "area": "press-3",
            "description": "Części czekały na wózek.",
            "frequency": "shift",
        },
    )

    assert response.status_code == 303
    observation = session.scalars(select(Observation)).one()
    assert (observation.waste.value, observation.frequency.value) == ("waiting", "shift")  # type: ignore[union-attr]
    assert observation.description == "Części czekały na wózek."
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dziękujemy" in thanks and "każde zgłoszenie pomaga nam się doskonalić." in thanks


def test_a_refused_report_is_explained_in_polish(client: FlaskClient, press: Area) -> None:
    client.post("/language", data={"language": "pl"})

    response = client.post("/observe", data={"area": "press-3", "minutes_lost": "dziesięć"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Dotknij rodzaju marnotrawstwa, które widać." in page
    assert "Napisz w jednym lub dwóch zdaniach, co widać." in page
    assert "Stracone minuty to liczba całkowita, np. 15." in page


def test_a_signed_in_person_s_tap_is_their_own_choice_too(
    session: Session, client: FlaskClient, sign_in: SignIn, press: Area
) -> None:
    person = make_user(session, language="de")
    session.commit()
    sign_in(person)

    client.post("/language", data={"language": "pl"})

    session.expire_all()
    assert session.get(User, person.id).language == "pl"  # type: ignore[union-attr]
    assert html_language(client) == "pl"


def test_english_pages_read_as_before(client: FlaskClient, press: Area) -> None:
    page = client.get("/observe").get_data(as_text=True)

    assert "<h1>Report a waste</h1>" in page
    assert '<span class="waste-name">Over-processing</span>' in page
    assert "<legend>What kind of waste?</legend>" in page


# The JSON API keeps its codes
# --------------------------------------------------------------------------------------


@pytest.fixture
def api_headers(session: Session, press: Area) -> dict[str, str]:
    """A read-write token's header, asking for Polish."""
    admin = make_user(session, role=Role.ADMIN)
    _, secret = create_token(
        session, admin, name="MES", owner=make_user(session), scope=TokenScope.READ_WRITE
    )
    session.commit()
    return {"Authorization": f"Bearer {secret}", "Accept-Language": "pl"}


def test_the_api_keeps_its_codes_whatever_language_is_asked_for(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    client.set_cookie(LANGUAGE_COOKIE, "de")
    report = {"area": "press-3", "waste": "waiting", "description": "Coils waited."}

    created = client.post("/api/v1/observations", json=report, headers=api_headers)
    listed = client.get("/api/v1/observations", headers=api_headers)

    assert created.status_code == 201
    assert created.get_json()["waste"] == "waiting"
    assert [row["waste"] for row in listed.get_json()["items"]] == ["waiting"]


def test_the_api_explains_a_refusal_in_the_asked_language_with_english_codes(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/observations",
        json={"area": "nowhere", "waste": "waiting", "description": "Coils waited."},
        headers=api_headers,
    )

    error = response.get_json()["error"]
    assert response.status_code == 422
    assert set(error["fields"]) == {"area"}
    assert error["fields"]["area"] == "Nie znamy tego obszaru. Wybierz obszar z listy."


# Right to left
# --------------------------------------------------------------------------------------

# Drawn shapes, not text flow: the menu icon's bars sit where they are in either direction.
PHYSICAL_ALLOWED = {".menu-icon::before, .menu-icon::after"}
PHYSICAL = re.compile(
    r"(?<![\w-])(margin|padding|border)-(left|right)\b|text-align:\s*(left|right)|"
    r"(?<![\w-])(left|right)\s*:|float:\s*(left|right)"
)


def test_style_sheets_follow_the_page_s_writing_direction() -> None:
    # Logical properties (margin-inline-start, text-align: start) turn with `dir="rtl"`, so a
    # right-to-left language needs no style sheet of its own.
    physical = []
    for sheet in sorted((Path(__file__).resolve().parent.parent / "static/css").glob("*.css")):
        for number, line in enumerate(sheet.read_text().splitlines(), 1):
            code = re.sub(r"/\*.*?\*/", "", line)
            if PHYSICAL.search(code) and not any(
                code.lstrip().startswith(a) for a in PHYSICAL_ALLOWED
            ):
                physical.append(f"{sheet.name}:{number}: {line.strip()}")
    assert physical == []
