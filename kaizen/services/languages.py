"""The languages Kaizen speaks and the rule that picks one for each reader.

The order (docs/languages.md): the signed-in person's own choice, then the device's (a
kiosk's one-tap switch, kept in a cookie), then the plant's default, then the browser's
Accept-Language, then English. The JSON API answers in the browser's language or English
only: an integration is not a person at the line, and its codes never change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from babel import Locale
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from kaizen.models import PlantSetting, User
from kaizen.services import DbSession

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "en"
# How long a worker keeps the plant's default before reading it again (as the time zone).
SETTING_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class Language:
    """A shipped language: its code, its name in its own words, its writing direction."""

    code: str
    name: str

    @property
    def direction(self) -> str:
        """'ltr' or 'rtl', for the page's `dir` attribute."""
        order = Locale.parse(self.code).character_order
        return "rtl" if order == "right-to-left" else "ltr"


# Names in their own language, as a reader looks for them; capitalised as a menu entry.
LANGUAGES: tuple[Language, ...] = (
    Language("en", "English"),
    Language("de", "Deutsch"),
    Language("pl", "Polski"),
    Language("es", "Español"),
)
CODES: tuple[str, ...] = tuple(language.code for language in LANGUAGES)
_BY_CODE = {language.code: language for language in LANGUAGES}


def shipped(code: str | None) -> str | None:
    """The code if Kaizen ships that language ('de'), else None (blank, unknown, 'xx')."""
    cleaned = (code or "").strip().lower()
    return cleaned if cleaned in _BY_CODE else None


def language(code: str) -> Language:
    """The shipped language with this code (English for anything else)."""
    return _BY_CODE.get(code, _BY_CODE[DEFAULT_LANGUAGE])


def from_accept_language(header: str | None) -> str | None:
    """The best shipped language a browser asks for ('de-AT,de;q=0.9' → 'de'), or None."""
    if not header:
        return None
    accepted = parse_accept_header(header, LanguageAccept)
    return accepted.best_match(CODES)


def choose_language(
    *,
    person: str | None = None,
    device: str | None = None,
    plant: Callable[[], str | None] | None = None,
    accept_language: str | None = None,
) -> str:
    """The reader's language: the first shipped one of person, device, plant, browser.

    `plant` is asked only when neither the person nor the device has chosen.
    """
    found = shipped(person) or shipped(device) or (shipped(plant()) if plant else None)
    return found or from_accept_language(accept_language) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of the request being answered ('en' outside a request)."""
    locale = get_locale()
    return str(locale) if locale is not None else DEFAULT_LANGUAGE


class LanguageSetting:
    """One app's view of the plant's default language: read at most every
    SETTING_TTL_SECONDS on a connection of its own (never the request's session)."""

    def __init__(self) -> None:
        self._read: tuple[float, str] | None = None

    def language(self, engine: Engine) -> str | None:
        """The plant's default language now, or None when none is set (or unreadable)."""
        read = self._read
        if read is None or time.monotonic() - read[0] > SETTING_TTL_SECONDS:
            try:
                with engine.connect() as connection:
                    code = connection.execute(
                        select(PlantSetting.language).where(PlantSetting.id == 1)
                    ).scalar()
            except SQLAlchemyError:
                log.warning("The plant's default language could not be read.")
                return None
            read = self._read = (time.monotonic(), code or "")
        return shipped(read[1])

    def remember(self, code: str) -> None:
        """A default this worker just saved is in force here at once."""
        self._read = (time.monotonic(), code)


class LanguageError(ValueError):
    """A language code Kaizen does not ship."""


def checked_language(code: str) -> str:
    """A shipped code, or '' (no choice); LanguageError for anything else."""
    if not code.strip():
        return ""
    found = shipped(code)
    if found is None:
        raise LanguageError(_("%(code)s is not a language Kaizen speaks.", code=repr(code)))
    return found


def stored_plant_language(session: DbSession) -> str:
    """The plant's default language as stored ('' when none is set)."""
    row = session.get(PlantSetting, 1)
    return row.language if row else ""


def save_own_language(session: DbSession, person: User, code: str) -> str:
    """Store a person's own language ('' to follow the device and plant). Commits."""
    person.language = checked_language(code) or None
    session.commit()
    return person.language or ""
