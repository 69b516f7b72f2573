"""The plant's time zone: stored moments are naive UTC, people see and count in local time.

The zone is an IANA name: the admin's setting (`plant_setting`) or else `KAIZEN_TIME_ZONE`
(default UTC). Each request (and each command that counts months) sets the zone in force
with `use_zone`; `Month` and the display helpers read it with `current_zone`, so month and
day boundaries everywhere follow the plant's calendar while storage stays in UTC.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from kaizen.models import PlantSetting
from kaizen.services import DbSession

DEFAULT_ZONE = "UTC"
# How long a worker keeps the stored zone before reading it again (another worker may have
# changed it); the worker that saves a new zone uses it at once.
SETTING_TTL_SECONDS = 30.0

_zone: ContextVar[ZoneInfo | None] = ContextVar("plant_zone", default=None)
_cache: dict[str, tuple[float, str]] = {}


class TimeZoneError(ValueError):
    """A time zone name that is not an IANA zone."""


def parse_zone(name: str | None) -> ZoneInfo:
    """The IANA zone called `name` ('Europe/Berlin'); TimeZoneError for anything else."""
    text = (name or "").strip()
    if not text or text.startswith(("/", ".")) or ".." in text or text not in zone_names():
        raise TimeZoneError(f"{text or 'A blank name'!r} is not a time zone (e.g. Europe/Berlin).")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise TimeZoneError(f"{text!r} is not a time zone (e.g. Europe/Berlin).") from error


_NAMES: set[str] = set()


def zone_names() -> set[str]:
    """Every IANA zone name this machine knows."""
    if not _NAMES:
        _NAMES.update(available_timezones())
        _NAMES.add("UTC")
    return _NAMES


def current_zone() -> ZoneInfo:
    """The zone in force (UTC when none was set)."""
    return _zone.get() or ZoneInfo(DEFAULT_ZONE)


@contextmanager
def use_zone(zone: ZoneInfo | str) -> Iterator[ZoneInfo]:
    """Count and show moments in `zone` inside the block."""
    chosen = zone if isinstance(zone, ZoneInfo) else parse_zone(zone)
    token = _zone.set(chosen)
    try:
        yield chosen
    finally:
        _zone.reset(token)


def set_zone(zone: ZoneInfo | None) -> object:
    """Put `zone` in force until `reset_zone(token)` (for request hooks)."""
    return _zone.set(zone)


def reset_zone(token: object) -> None:
    """Undo `set_zone`."""
    _zone.reset(token)  # type: ignore[arg-type]


def to_local(moment: datetime) -> datetime:
    """A stored (naive UTC) moment as naive wall-clock time in the plant's zone."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(tzinfo=UTC).astimezone(current_zone()).replace(tzinfo=None)


def to_utc(local: datetime) -> datetime:
    """Naive wall-clock time in the plant's zone as a stored (naive UTC) moment."""
    return local.replace(tzinfo=current_zone()).astimezone(UTC).replace(tzinfo=None)


def local_today(now: datetime) -> date:
    """The plant's calendar day at the stored moment `now`."""
    return to_local(now).date()


def day_start(day: date) -> datetime:
    """The stored (UTC) moment the plant's day `day` begins."""
    return to_utc(datetime(day.year, day.month, day.day))


def day_end(day: date) -> datetime:
    """The stored (UTC) moment the plant's day `day` ends (the next day begins)."""
    return day_start(day + timedelta(days=1))


def zone_label(moment: datetime | None = None) -> str:
    """The zone's abbreviation at a stored moment ('CET', 'CEST', 'UTC')."""
    local = (moment or datetime.now(UTC).replace(tzinfo=None)).replace(tzinfo=UTC)
    return local.astimezone(current_zone()).tzname() or current_zone().key


def stored_zone_name(session: DbSession) -> str:
    """The admin's setting ('' when none is stored)."""
    row = session.get(PlantSetting, 1)
    return row.time_zone if row else ""


def plant_zone(session: DbSession, default: str, *, fresh: bool = False) -> ZoneInfo:
    """The plant's zone: the stored setting, else `default` (KAIZEN_TIME_ZONE).

    The stored name is read at most every SETTING_TTL_SECONDS per worker, unless `fresh`.
    """
    key = str(session.get_bind().engine.url)
    cached = _cache.get(key)
    if fresh or cached is None or time.monotonic() - cached[0] > SETTING_TTL_SECONDS:
        name = stored_zone_name(session)
        _cache[key] = (time.monotonic(), name)
    else:
        name = cached[1]
    try:
        return parse_zone(name or default)
    except TimeZoneError:
        return ZoneInfo(DEFAULT_ZONE)


def save_zone(session: DbSession, name: str) -> ZoneInfo:
    """Store the plant's zone (an IANA name); TimeZoneError for anything else. Commits."""
    zone = parse_zone(name)
    row = session.get(PlantSetting, 1)
    if row is None:
        row = PlantSetting(id=1, time_zone=zone.key)
        session.add(row)
    else:
        row.time_zone = zone.key
    session.commit()
    _cache[str(session.get_bind().engine.url)] = (time.monotonic(), zone.key)
    return zone


def forget_cached_zone() -> None:
    """Drop every worker-local copy of the stored zone (tests, restore)."""
    _cache.clear()
