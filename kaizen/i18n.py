"""Languages in the app: Flask-Babel, the per-request choice, the language switch's cookie,
and compiled catalogues that are never older than their sources.

The catalogues' sources are `kaizen/translations/<lang>/LC_MESSAGES/messages.po` (`make
messages` extracts and updates them). Compiled `.mo` files are not kept in git: when the app
is built, every `.mo` that is missing or older than its `.po` is compiled, beside its source
in a checkout, or in the instance folder for an installed package (whose own folder may not
be writable), so an edited translation shows at the next start.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations, refresh
from flask_login import current_user
from werkzeug.wrappers import Response

from kaizen.api.core import is_api_request
from kaizen.devices.mode import current_kiosk, set_device_cookie
from kaizen.extensions import babel, db
from kaizen.services.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LanguageSetting,
    choose_language,
    current_language,
    from_accept_language,
    language,
)

SOURCES = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
LANGUAGE_COOKIE = "kaizen_language"
# Where a request keeps the catalogue its templates read (`_translations`).
TRANSLATIONS = "kaizen_translations"
# Browsers keep a cookie at most 400 days; a kiosk's choice is renewed with every switch.
LANGUAGE_COOKIE_DAYS = 400


def _in_checkout() -> bool:
    """True when the package runs from a source tree (templates beside the package)."""
    return (SOURCES.parent.parent / "templates").is_dir()


def compile_catalogues(sources: Path, target: Path) -> list[Path]:
    """Compile each `<lang>/LC_MESSAGES/messages.po` under `sources` whose `.mo` under
    `target` is missing or older; the compiled files' paths. Fuzzy entries are left out."""
    compiled = []
    for po in sorted(sources.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = target / po.relative_to(sources).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime_ns >= po.stat().st_mtime_ns:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        mo.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: workers starting together never read half a file.
        handle, scratch = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as out:
            write_mo(out, catalog)
        os.replace(scratch, mo)
        compiled.append(mo)
    return compiled


def catalogue_dir(instance_path: Path) -> Path:
    """Where this app reads its compiled catalogues, brought up to date first."""
    target = SOURCES if _in_checkout() else instance_path / "translations"
    compile_catalogues(SOURCES, target)
    return target


def select_language() -> str:
    """Flask-Babel's locale selector: the rule of kaizen/services/languages.py (English
    outside a request: commands, and services run in an app context)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    header = request.headers.get("Accept-Language")
    if is_api_request():
        return from_accept_language(header) or DEFAULT_LANGUAGE
    kiosk = current_kiosk()
    person = None
    # A kiosk speaks for the tablet, not for whoever signed in on it.
    if kiosk is None and current_user.is_authenticated:
        person = current_user.language
    return choose_language(
        person=person,
        device=request.cookies.get(LANGUAGE_COOKIE),
        plant=lambda: current_app.extensions["plant_language"].language(db.engine),
        accept_language=header,
    )


def set_language_cookie(app: Flask, response: Response, code: str) -> None:
    """Remember a device's language (the kiosk's one-tap choice)."""
    set_device_cookie(app, response, LANGUAGE_COOKIE, code, LANGUAGE_COOKIE_DAYS)


def install(app: Flask) -> None:
    """Wire Flask-Babel in with the reader's language; templates get `page_language`."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(catalogue_dir(Path(app.instance_path)))
    babel.init_app(app, locale_selector=select_language)
    app.extensions["plant_language"] = LanguageSetting()
    # Flask-Babel's template `_` looks the catalogue up again for every message (context,
    # locale, cache: 5,000 times on a 500-card board, a third of its time); these look it up
    # once per request.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )

    @app.before_request
    def _choose_afresh() -> None:
        # Flask-Babel keeps its choice in `g`, which lives as long as the app context: one
        # held open across requests (a test's, a command's) must not pass a choice along.
        refresh()
        g.pop(TRANSLATIONS, None)

    @app.context_processor
    def _languages() -> dict[str, object]:
        return {"page_language": language(current_language()), "languages": LANGUAGES}

    app.add_template_global(plural_examples, "plural_examples")


def _translations() -> Any:
    """The reader's catalogue, found once per request (kept in `g`)."""
    found = g.get(TRANSLATIONS)
    if found is None:
        found = get_translations()
        setattr(g, TRANSLATIONS, found)
    return found


def plural_examples() -> dict[str, int]:
    """A count for each plural form of the reader's language, by its CLDR name ('one': 1,
    'few': 2, 'many': 5 in Polish), so a page can hand a script every form of a message
    (`ngettext(..., n)`) and the script picks one with `Intl.PluralRules`."""
    return dict(_plural_examples(str(get_locale() or DEFAULT_LANGUAGE)))


@functools.cache
def _plural_examples(code: str) -> tuple[tuple[str, int], ...]:
    """Worked out once per language: the entry form (every kiosk's page) asks each time."""
    rule = Locale.parse(code).plural_form
    examples: dict[str, int] = {}
    for n in range(1, 200):
        examples.setdefault(rule(n), n)
    return tuple(examples.items())
