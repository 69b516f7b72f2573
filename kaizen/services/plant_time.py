"""The plant's time zone: stored moments are naive UTC, people see and count in local time.

The zone is an IANA name: the admin's setting (`plant_setting`) or else `KAIZEN_TIME_ZONE`
(default UTC). Each request (and each command that counts months) sets the zone in force
with `use_zone`; `Month` and the display helpers read it with `current_zone`, so month and
day boundaries everywhere follow the plant's calendar while storage stays in UTC.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from kaizen.models import PlantSetting
from kaizen.services import DbSession

log = logging.getLogger(__name__)

DEFAULT_ZONE = "UTC"
# How long a worker keeps the stored zone before reading it again (another worker may have
# changed it); the worker that saves a new zone uses it at once.
SETTING_TTL_SECONDS = 30.0

_zone: ContextVar[ZoneInfo | None] = ContextVar("plant_zone", default=None)
# Finds the zone the first time a request needs it (a page that shows no time asks nothing).
_finder: ContextVar[Callable[[], ZoneInfo] | None] = ContextVar("plant_zone_finder", default=None)


class TimeZoneError(ValueError):
    """A time zone name that is not an IANA zone."""


def parse_zone(name: str | None) -> ZoneInfo:
    """The IANA zone called `name` ('Europe/Berlin'); TimeZoneError for anything else."""
    text = (name or "").strip()
    if not text or text.startswith(("/", ".")) or ".." in text or text not in zone_names():
        raise TimeZoneError(_not_a_zone(text))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise TimeZoneError(_not_a_zone(text)) from error


def _not_a_zone(text: str) -> str:
    name = repr(text) if text else repr(_("A blank name"))
    return _("%(name)s is not a time zone (e.g. Europe/Berlin).", name=name)


_NAMES: set[str] = set()


def zone_names() -> set[str]:
    """Every IANA zone name this machine knows."""
    if not _NAMES:
        _NAMES.update(available_timezones())
        _NAMES.add("UTC")
    return _NAMES


def current_zone() -> ZoneInfo:
    """The zone in force (UTC when none was set)."""
    zone = _zone.get()
    if zone is None:
        finder = _finder.get()
        if finder is None:
            return ZoneInfo(DEFAULT_ZONE)
        zone = finder()
        _zone.set(zone)
    return zone


@contextmanager
def use_zone(zone: ZoneInfo | str) -> Iterator[ZoneInfo]:
    """Count and show moments in `zone` inside the block."""
    chosen = zone if isinstance(zone, ZoneInfo) else parse_zone(zone)
    token = _zone.set(chosen)
    try:
        yield chosen
    finally:
        _zone.reset(token)


@contextmanager
def zone_found_by(finder: Callable[[], ZoneInfo]) -> Iterator[None]:
    """Inside the block (a request), the zone is found by `finder` when first needed."""
    zone_token, finder_token = _zone.set(None), _finder.set(finder)
    try:
        yield
    finally:
        _finder.reset(finder_token)
        _zone.reset(zone_token)


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


def _offset(moment: datetime) -> timedelta:
    """The plant's UTC offset at a stored (naive UTC) moment."""
    return moment.replace(tzinfo=UTC).astimezone(current_zone()).utcoffset() or timedelta()


def offset_spans(start: datetime, end: datetime) -> list[tuple[datetime, datetime, timedelta]]:
    """The stored (UTC) range start-end cut where the plant's clock changes (daylight saving):
    (from, to, offset) spans in which local time is UTC plus one fixed offset, so a database
    can count local days with plain date arithmetic."""
    spans: list[tuple[datetime, datetime, timedelta]] = []
    cursor = start
    while cursor < end:
        offset = _offset(cursor)
        probe = cursor
        # Clocks change at most a few times a year: step a day at a time to the change...
        while probe < end and _offset(min(probe + timedelta(days=1), end)) == offset:
            probe = min(probe + timedelta(days=1), end)
        if probe >= end:
            spans.append((cursor, end, offset))
            break
        # ...then find the second it happens (zones change on whole seconds).
        low, high = 0, int((min(probe + timedelta(days=1), end) - probe).total_seconds())
        while high - low > 1:
            middle = (low + high) // 2
            if _offset(probe + timedelta(seconds=middle)) == offset:
                low = middle
            else:
                high = middle
        change = probe + timedelta(seconds=high)
        spans.append((cursor, change, offset))
        cursor = change
    return spans


def zone_label(moment: datetime | None = None) -> str:
    """The zone's abbreviation at a stored moment ('CET', 'CEST', 'UTC')."""
    local = (moment or datetime.now(UTC).replace(tzinfo=None)).replace(tzinfo=UTC)
    return local.astimezone(current_zone()).tzname() or current_zone().key


def stored_zone_name(session: DbSession) -> str:
    """The admin's setting ('' when none is stored)."""
    row = session.get(PlantSetting, 1)
    return row.time_zone if row else ""


class ZoneSetting:
    """One app's view of the plant's zone: the stored name, read at most every
    SETTING_TTL_SECONDS on a connection of its own (never the request's session), else
    `default` (KAIZEN_TIME_ZONE)."""

    def __init__(self, default: str) -> None:
        self.default = default
        self._read: tuple[float, str] | None = None

    def zone(self, engine: Engine, *, fresh: bool = False) -> ZoneInfo:
        """The plant's zone now."""
        read = self._read
        if fresh or read is None or time.monotonic() - read[0] > SETTING_TTL_SECONDS:
            try:
                with engine.connect() as connection:
                    name = connection.execute(
                        select(PlantSetting.time_zone).where(PlantSetting.id == 1)
                    ).scalar()
            except SQLAlchemyError:
                log.warning("The plant's time zone could not be read; using %s.", self.default)
                return self._parse(self.default)
            read = self._read = (time.monotonic(), name or "")
        return self._parse(read[1] or self.default)

    def remember(self, name: str) -> None:
        """A zone this worker just saved is in force here at once."""
        self._read = (time.monotonic(), name)

    @staticmethod
    def _parse(name: str) -> ZoneInfo:
        try:
            return parse_zone(name)
        except TimeZoneError:
            return ZoneInfo(DEFAULT_ZONE)
