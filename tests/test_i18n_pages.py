"""Every page in the pseudo-locale: no English word left that did not go through a catalogue.

The app reads a pseudo catalogue in which every marked message is itself between ⟦ and ⟧
(tests/catalogues.py), and formats dates and numbers as German, so an English month name
from `strftime` stands out too. Signed in as the demo plant's admin (who sees every page),
the test follows every link, htmx address and GET form of every page it reaches, one or
two addresses per route, and reads each page's text and the attributes people read
(title, aria-label, placeholder, alt, button values, the texts handed to scripts). What is
left outside the brackets must be the plant's own data (names, texts: anything stored in a
text column), numbers, dates in German, or one of the few words that are the same in every
language (ALWAYS).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from babel import Locale
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import get_babel
from sqlalchemy import Enum, String, Text, TypeDecorator, select

from kaizen.demo import DEMO_PASSWORD, load_demo_plant
from kaizen.devices.mode import KIOSK_COOKIE
from kaizen.extensions import db
from kaizen.i18n import SOURCES
from kaizen.models import Area, Team, User
from kaizen.models.types import utcnow
from kaizen.services import devices, webhooks
from kaizen.services.languages import LANGUAGES
from tests.catalogues import CLOSE, OPEN, write_pseudo_catalogue

# The pseudo-locale reads like German where Babel formats (dates, numbers).
CODE = "de"
# Words that stay as they are in every language: the product, the method, formats, units.
ALWAYS = {
    "Kaizen", "kaizen", "TIMWOODS", "kanban", "Kanban", "CSV", "PNG", "SVG", "QR", "API",
    "JSON", "OpenAPI", "HMAC", "SHA", "URL", "UTC", "CET", "CEST", "PDCA", "MB", "KB", "ID",
    "HTTP", "HTTPS", "https", "http", "htmx", "TV",
}  # fmt: skip
# Addresses not worth reading as pages: files, images, the JSON API, signing out.
SKIP = re.compile(
    r"^/(static|api/v1/(?!docs)|sw\.js|manifest|favicon|reports/charts/|healthz|livez)"
    r"|/photo$|/thumbnail$"
)
PER_ROUTE = 2
# Data cut short is recognised by its first CUT characters.
CUT = 12
# ... and, when the page gives no "…", by this many.
LONG_CUT = 40
MOST_PAGES = 400
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-label", "aria-description"}
ADDRESS = re.compile(r"https?://\S+")
BRACKETED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
WORD = re.compile(r"[^\W\d_]{2,}")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# Tags that sit inside a sentence: a message's text runs on across them.
INLINE = {"a", "strong", "em", "b", "i", "span", "code", "time", "abbr", "small", "kbd", "mark"}


class PageText(HTMLParser):
    """The texts a reader sees on a page, and the addresses it leads to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.addresses: list[str] = []
        self.fragments: set[str] = set()  # addresses htmx asks for (hx-get)
        self._hidden = 0
        self._sentence: list[str] = []
        self.language = CODE
        # Open elements, and whether each is written in another language on purpose
        # (`lang="en"` around the API reference, `lang="pl"` on "Polski").
        self._open: list[tuple[str, bool]] = []

    def close(self) -> None:
        super().close()
        self._end_sentence()

    def _end_sentence(self) -> None:
        if self._sentence:
            self.texts.append("".join(self._sentence))
            self._sentence = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag not in INLINE:
            self._end_sentence()
        if tag in {"script", "style"}:
            self._hidden += 1
        if tag == "html":  # the page's own language
            self.language = values.get("lang", self.language)
        language = values.get("lang", self.language)
        foreign = bool(self._open and self._open[-1][1]) or language != self.language
        if tag not in VOID:
            self._open.append((tag, foreign))
        if foreign:
            return
        for name, value in values.items():
            if name in READ_ATTRIBUTES or name.startswith("data-text"):
                self.texts.extend(_texts_in(value))
        if tag == "input" and values.get("type") in {"submit", "button"}:
            self.texts.append(values.get("value", ""))
        for name in ("href", "hx-get"):
            if name in values and tag != "link":
                self.addresses.append(values[name])
        if "hx-get" in values:
            self.fragments.add(values["hx-get"])
        if tag == "form" and values.get("method", "get").lower() == "get" and values.get("action"):
            self.addresses.append(values["action"])

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE:
            self._end_sentence()
        while self._open and self._open.pop()[0] != tag:
            pass
        if tag in {"script", "style"} and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and not (self._open and self._open[-1][1]):
            self._sentence.append(data)


def _texts_in(value: str) -> list[str]:
    """An attribute's text; the texts of a JSON object handed to a script."""
    if value.startswith("{"):
        try:
            texts = json.loads(value)
        except ValueError:
            return [value]
        return [str(text) for text in texts.values()] if isinstance(texts, dict) else [value]
    return [value]


def stored_texts() -> set[str]:
    """Every value of every text column (not the codes of enumerations): the plant's data."""
    values: set[str] = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
            if isinstance(kind, String | Text) and not isinstance(kind, Enum):
                found = db.session.execute(select(column).distinct()).scalars()
                values.update(v for v in found if isinstance(v, str) and v.strip())
    # The five whys show "Because the fast movers ..." after their own "Because": the answer
    # without its first word.
    values |= {_capital(v.split(" ", 1)[1]) for v in values if v.startswith("Because ")}
    return values


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def always_the_same() -> set[str]:
    """ALWAYS, the language names, and the German month and day names Babel writes."""
    german = Locale.parse(CODE)
    words = set(ALWAYS) | {language.name for language in LANGUAGES}
    for names in (german.months, german.days):
        for width in ("abbreviated", "wide"):
            for context in ("format", "stand-alone"):
                words.update(name.rstrip(".") for name in names[context][width].values())
    return words


def untranslated(texts: list[str], data: list[str], words: set[str]) -> list[str]:
    """The texts that still hold a word that neither a catalogue nor the data explains."""
    found = []
    for text in texts:
        left = text
        while True:  # a translated message may hold another one as its value
            shorter = BRACKETED.sub(" ", left)
            if shorter == left:
                break
            left = shorter
        if not any(word not in words for word in WORD.findall(left)):
            continue
        for value in data:  # the longest first
            left = _without_cut(left.replace(value, " "), value)
        left = ADDRESS.sub(" ", left)
        if any(word not in words for word in WORD.findall(left)):
            found.append(" ".join(text.split()))
    return found


def _without_cut(text: str, value: str) -> str:
    """`text` without `value` where it is shown cut short: "Press line 2 ja…", or a
    choice's label that ends with the first 60 characters of a report."""
    start = text.find(value[:CUT]) if len(value) > CUT else -1
    while start >= 0:
        end = start + CUT
        while end < len(text) and end - start < len(value) and text[end] == value[end - start]:
            end += 1
        ellipsis = next((e for e in ("…", "...") if text.startswith(e, end)), None)
        if ellipsis or (not text[end:].strip() and end - start >= LONG_CUT):
            text = text[:start] + " " + text[end + len(ellipsis or "") :]
            start = text.find(value[:CUT])
        else:
            start = text.find(value[:CUT], start + 1)
    return text


@pytest.fixture
def pseudo_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """The demo plant (with a TV link, a webhook and a kiosk tablet), with every reader's
    language the pseudo-locale; `app.config["PSEUDO"]` holds the TV link and kiosk secret."""
    with app.app_context():
        load_demo_plant(db.session, now=utcnow())
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        team = db.session.scalars(select(Team).order_by(Team.id)).first()
        area = db.session.scalars(select(Area).order_by(Area.id)).first()
        assert team is not None and area is not None
        tv = devices.create_display_link(db.session, team.id, "Canteen TV", admin)
        kiosk = devices.bind_kiosk(db.session, area.id, "Line tablet", admin)
        webhooks.register(
            db.session,
            admin,
            name="Shift log",
            url="http://127.0.0.1:9/hook",
            events=["card.moved"],
        )
        db.session.commit()
        app.config["PSEUDO"] = {"tv": f"/tv/{tv.secret}", "kiosk": kiosk.secret}
        config = get_babel(app)
        config.translation_directories = [str(write_pseudo_catalogue(tmp_path / "pseudo", CODE))]
        config.locale_selector = lambda: CODE
    # Loaded catalogues are kept by the (one, shared) Babel extension, whatever the app.
    cache = config.instance.domain_instance.cache
    cache.clear()
    yield app
    cache.clear()  # no later test reads the pseudo-locale


# Where the crawl starts: the menu's pages, and pages only a button leads to.
START = [
    "/", "/board", "/observe", "/observations", "/reports/monthly", "/root-causes", "/learning",
    "/teams", "/areas", "/admin", "/improvements/new", "/root-causes/new", "/teams/new",
    "/areas/new", "/kiosks", "/kiosks/new", "/display-links", "/settings/plant", "/import",
    "/account/password", "/admin/accounts/new", "/admin/tokens", "/admin/audit",
    "/admin/webhooks", "/areas/qr", "/api/v1/docs", "/board/assembly?display=tv",
    "/learning?page=2", "/no-such-page",
]  # fmt: skip


# Pages an admin is sent away from: the visitor and the kiosk read them.
SIGNED_OUT_ONLY = {"/login", "/kiosk/unlock"}


def _route(app: Flask, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        rule, _args = adapter.match(path, method="GET", return_rule=True)
    except Exception:  # a redirect or an unknown address: not a page to read
        return None
    return str(rule)


def crawl(
    app: Flask,
    client: FlaskClient,
    start: list[str],
    fragments: Iterable[str] = (),
    *,
    read: bool = True,
) -> tuple[dict[str, str], set[str]]:
    """The untranslated texts (when `read`) and server errors of every page reached from
    `start` (and of the htmx `fragments`), each with the first address it was found at;
    the routes read."""
    with app.app_context():
        data = sorted(stored_texts(), key=len, reverse=True)
    words = always_the_same()
    queue, seen, per_route = [*start, *fragments], {*start, *fragments}, Counter[str]()
    fragments = set(fragments)
    found: dict[str, str] = {}
    while queue and sum(per_route.values()) < MOST_PAGES:
        path = queue.pop(0)
        route = _route(app, urlsplit(path).path)
        if route is None and path not in start:  # a redirect or an address of no route
            continue
        route = route or path
        if per_route[route] >= PER_ROUTE:
            continue
        per_route[route] += 1
        response = client.get(path, headers={"HX-Request": "true"} if path in fragments else {})
        body = response.get_data(as_text=True)
        if response.status_code >= 500:
            found[f"answered {response.status_code}"] = path
        if 300 <= response.status_code < 400:  # the browser goes on at once: nobody reads it
            continue
        if response.mimetype == "text/csv":
            header = next(csv.reader(io.StringIO(body)), [])
            texts = header
        elif response.mimetype == "text/html":
            parser = PageText()
            parser.feed(body)
            parser.close()
            texts = parser.texts
            for address in parser.addresses:
                target = urlsplit(urljoin(path, address))
                if address in parser.fragments:
                    fragments.add(target.path + (f"?{target.query}" if target.query else ""))
                if target.netloc and target.netloc != "localhost":
                    continue
                link = target.path + (f"?{target.query}" if target.query else "")
                fresh = link not in seen and target.path.startswith("/")
                if fresh and not SKIP.search(target.path):
                    seen.add(link)
                    queue.append(link)
        else:
            continue
        for text in untranslated(texts, data, words) if read else []:
            found.setdefault(text, path)
    return found, set(per_route)


def listing(found: dict[str, str]) -> str:
    """What is left English, page by page, for the failure message."""
    lines = [f"{len(found)} texts left untranslated:"]
    lines += [f"  {path}: {text[:160]}" for text, path in sorted(found.items(), key=lambda f: f[1])]
    return "\n".join(lines)


def test_the_pseudo_locale_check_catches_an_unmarked_word() -> None:
    words = always_the_same()
    assert untranslated([f"{OPEN}Move to{CLOSE} Press line"], ["Press line"], words) == []
    assert untranslated([f"{OPEN}Moved{CLOSE} 07 Dez. 2026, 14:05"], [], words) == []
    assert untranslated([f"{OPEN}Plan{CLOSE} cards"], [], words) == [f"{OPEN}Plan{CLOSE} cards"]
    assert untranslated(["07 Dec 2026"], [], words) == ["07 Dec 2026"]
    assert untranslated([f"{OPEN}Moved to {OPEN}Do{CLOSE}{CLOSE}"], [], words) == []
    assert untranslated(["Press line 2 ja…"], ["Press line 2 jams daily"], words) == []
    title, area = "Scrap bin next to Assembly line 2", "Assembly line 2"
    assert untranslated([title], [f"{area} runs fixed batches", title, area], words) == []
    assert untranslated(["Press line 2 ja… again"], ["Press line 2 jams daily"], words) == [
        "Press line 2 ja… again"
    ]


def test_text_written_in_another_language_on_purpose_is_not_read() -> None:
    parser = PageText()
    parser.feed(
        f'<p>{OPEN}See the{CLOSE} <a href="/x">list</a></p><section lang="en"><h2>Reference'
        '</h2><input type="submit" value="Try"></section><button lang="pl">Polski</button>'
        '<p title="Help">after</p>'
    )
    parser.close()
    assert parser.texts == [f"{OPEN}See the{CLOSE} list", "Help", "after"]
    assert parser.addresses == ["/x"]


def test_every_page_an_admin_reaches_is_translated(pseudo_app: Flask, client: FlaskClient) -> None:
    client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    tv = pseudo_app.config["PSEUDO"]["tv"]
    # A lane is fetched by htmx only when the plant has more teams than a board shows at once.
    found, routes = crawl(pseudo_app, client, [*START, tv], ["/board/assembly/lane"])
    assert not found, listing(found)
    assert unread(pseudo_app, routes) == []


def unread(app: Flask, routes: set[str]) -> list[str]:
    """The pages a signed-in admin opens that the crawl did not read (files, the JSON API,
    charts and health checks are not pages)."""
    pages = {
        str(rule)
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not SKIP.search(str(rule))
    }
    return sorted(pages - routes - SIGNED_OUT_ONLY)


@pytest.mark.parametrize("code", ["de", "pl", "es"])
def test_every_page_renders_in_each_shipped_language(
    pseudo_app: Flask, client: FlaskClient, code: str
) -> None:
    # The real catalogues: a translation that breaks a page (a stray %) would show here.
    config = get_babel(pseudo_app)
    config.translation_directories = [str(SOURCES)]
    config.locale_selector = lambda: code
    config.instance.domain_instance.cache.clear()
    client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    tv = pseudo_app.config["PSEUDO"]["tv"]
    found, routes = crawl(pseudo_app, client, [*START, tv], ["/board/assembly/lane"], read=False)
    assert found == {}
    assert unread(pseudo_app, routes) == []


def test_every_page_a_visitor_reaches_is_translated(pseudo_app: Flask, client: FlaskClient) -> None:
    found, routes = crawl(pseudo_app, client, ["/", "/login", "/observe", "/no-such-page"])
    assert not found, listing(found)
    assert "/login" in routes


def test_every_page_a_kiosk_reaches_is_translated(pseudo_app: Flask, client: FlaskClient) -> None:
    client.set_cookie(KIOSK_COOKIE, pseudo_app.config["PSEUDO"]["kiosk"])
    found, routes = crawl(pseudo_app, client, ["/observe", "/kiosk/unlock", "/board"])
    assert not found, listing(found)
    assert {"/observe", "/kiosk/unlock"} <= routes
