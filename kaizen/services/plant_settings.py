"""The plant settings page's one write: the time zone and the default language together."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from kaizen.models import PlantSetting
from kaizen.services import DbSession
from kaizen.services.languages import checked_language
from kaizen.services.plant_time import parse_zone


def save_plant_settings(session: DbSession, *, time_zone: str, language: str) -> ZoneInfo:
    """Store the plant's zone (an IANA name) and default language ('' for the browser's).

    TimeZoneError or LanguageError, and nothing stored, for a name that is neither. Commits.
    """
    zone = parse_zone(time_zone)
    code = checked_language(language)
    row = session.get(PlantSetting, 1)
    if row is None:
        row = PlantSetting(id=1)
        session.add(row)
    row.time_zone = zone.key
    row.language = code
    session.commit()
    return zone
