"""One value type for a calendar month, used wherever a month is parsed, shown or counted.

Months are calendar months of the plant's time zone (kaizen/services/plant_time.py); `start`
and `end` are the stored (naive UTC) moments that bound the month, so queries read
`start <= moment < end`, and `Month.of(moment)` is the plant's month of a stored moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kaizen.formatting import month_name
from kaizen.services.plant_time import day_start, to_local

_CODE = re.compile(r"(\d{4})-(\d{2})")
# Years a person may ask for: wide enough for any plant's history, narrow enough that the
# month after the last one still exists for `datetime`.
FIRST_YEAR, LAST_YEAR = 1900, 9998


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month: `Month(2026, 3)` is March 2026."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1-12, not {self.month}")

    @classmethod
    def of(cls, moment: date | datetime) -> Month:
        """The month a day, or a stored (UTC) moment in the plant's zone, falls in."""
        if isinstance(moment, datetime):
            moment = to_local(moment)
        return cls(moment.year, moment.month)

    @classmethod
    def parse(cls, text: str | None) -> Month | None:
        """'2026-03' as March 2026; None for anything else (blank, 2026-13, March)."""
        match = _CODE.fullmatch((text or "").strip())
        if not match:
            return None
        year, month = int(match[1]), int(match[2])
        if not (1 <= month <= 12 and FIRST_YEAR <= year <= LAST_YEAR):
            return None
        return cls(year, month)

    @property
    def code(self) -> str:
        """'2026-03': the form used in addresses, CSV and the API."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """'March 2026' ('März 2026'): the form people read, in the reader's language."""
        return month_name(self.first_day)

    @property
    def first_day(self) -> date:
        """The month's first day."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The month's last day."""
        return self.next.first_day - timedelta(days=1)

    @property
    def start(self) -> datetime:
        """The stored (UTC) moment of the plant's midnight at the start of the month."""
        return day_start(self.first_day)

    @property
    def end(self) -> datetime:
        """Midnight at the start of the next month (the month holds moments before it)."""
        return self.next.start

    def shift(self, count: int) -> Month:
        """The month `count` months later (earlier when negative)."""
        index = self.year * 12 + self.month - 1 + count
        return Month(index // 12, index % 12 + 1)

    @property
    def next(self) -> Month:
        """The following month."""
        return self.shift(1)

    @property
    def previous(self) -> Month:
        """The month before."""
        return self.shift(-1)

    def ending(self, count: int) -> list[Month]:
        """The `count` months up to and including this one, oldest first."""
        return [self.shift(offset) for offset in range(1 - count, 1)]

    def __contains__(self, moment: date | datetime) -> bool:
        if isinstance(moment, datetime):
            moment = to_local(moment)
        return (moment.year, moment.month) == (self.year, self.month)

    def __str__(self) -> str:
        return self.code

    def __format__(self, spec: str) -> str:
        """strftime codes of the month's first day (`f"{month:%Y-%m}"`); the code without.

        strftime names months in English only: text people read uses `label` or
        `kaizen.formatting.month_name`, never this."""
        return self.first_day.strftime(spec) if spec else self.code


# How far back the month pickers of the lists reach.
PICKER_MONTHS = 24


def month_choices(now: date | datetime, selected: Month | None = None) -> list[Month]:
    """The months a filter offers, newest first: the last two years, and the chosen month
    when it is older (a bookmarked filter keeps showing what it filters by)."""
    months = Month.of(now).ending(PICKER_MONTHS)[::-1]
    if selected is not None and selected not in months:
        months.append(selected)
    return months
