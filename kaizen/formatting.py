"""Dates, numbers, percentages and durations in the reader's language (Babel).

Every function formats for the language of the current request (English outside one: the
commands, the warm-up of the report cache), so a German reader sees "07 Dez. 2026" and
"3,5 Tage", a Polish one "07 gru 2026" and "3,5 dnia". The patterns are fixed, not Babel's
"medium" forms, so English pages keep the shape they always had ("07 Dec 2026, 14:05").

Stored moments are naive UTC: `day`, `day_time` and `short_day` show them on the plant's
wall clock (as the `local` filter does); a `date` is shown as it is. Templates get each
function as a filter of the same name (`{{ card.finished_at|day }}`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from flask import Flask
from flask_babel import get_locale, ngettext

from kaizen.services.plant_time import to_local

Number = int | float | Decimal

DAY = "dd MMM yyyy"
DAY_TIME = "dd MMM yyyy, HH:mm"
SHORT_DAY = "dd MMM"
MONTH = "LLLL yyyy"
SHORT_MONTH = "LLL yyyy"
SHORT_MONTH_NAME = "LLL"


def locale() -> Locale:
    """The reader's locale (English outside a request)."""
    return get_locale() or Locale.parse("en")


def _wall_clock(moment: date | datetime) -> date | datetime:
    return to_local(moment) if isinstance(moment, datetime) else moment


def day(moment: date | datetime | None) -> str:
    """'07 Dec 2026' ('07 Dez. 2026'); '' for no moment."""
    if moment is None:
        return ""
    return format_date(_wall_clock(moment), DAY, locale=locale())


def day_time(moment: datetime | None) -> str:
    """'07 Dec 2026, 14:05' on the plant's clock; '' for no moment."""
    if moment is None:
        return ""
    return format_datetime(to_local(moment), DAY_TIME, locale=locale())


def short_day(moment: date | datetime | None) -> str:
    """'07 Dec' ('07 gru'); '' for no moment."""
    if moment is None:
        return ""
    return format_date(_wall_clock(moment), SHORT_DAY, locale=locale())


def month_name(first_day: date, *, short: bool = False, year: bool = True) -> str:
    """'March 2026' ('März 2026'); short: 'Mar 2026'; without the year: 'March' / 'Mar'."""
    patterns = {(False, True): MONTH, (False, False): "LLLL"}
    patterns |= {(True, True): SHORT_MONTH, (True, False): SHORT_MONTH_NAME}
    pattern = patterns[(short, year)]
    return format_date(first_day, pattern, locale=locale())


def number(value: Number | None, digits: int = 1) -> str:
    """1234.5 as '1,234.5' ('1.234,5', '1 234,5'); at most `digits` decimals; '' for None."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "#" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=locale())


def fixed(value: Number, digits: int = 1, *, grouped: bool = False) -> str:
    """A number with exactly `digits` decimals: '3.0', '3,5' (tables, stats, money).

    Rounded as Python rounds (`f"{value:.1f}"`), so English reads as it always did; grouped
    ('1,250.50', '1.250,50') only when asked."""
    rounded = Decimal(f"{value:.{digits}f}")
    pattern = ("#,##0" if grouped else "0") + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(rounded, format=pattern, locale=locale())


def percent(share: Number | None, digits: int = 0) -> str:
    """A share (0.25) as '25%' ('25 %' in German); '' for None."""
    if share is None:
        return ""
    # The locale's own pattern ('#,##0 %' in German), with the decimals asked for.
    pattern = locale().percent_formats[None].pattern
    if digits > 0:
        pattern = pattern.replace("0", "0." + "#" * digits, 1)
    return format_percent(share, format=pattern, locale=locale())


def days(value: Number | None, digits: int = 1) -> str:
    """A duration in days: '1 day', '3.5 days' ('3,5 Tage'); '' for None."""
    if value is None:
        return ""
    # Plural forms follow the written number; a fraction takes the "many/other" form.
    count = int(value) if float(value).is_integer() else 5
    return ngettext("%(days)s day", "%(days)s days", count, days=number(value, digits))


def install(app: Flask) -> None:
    """Each function as a template filter of the same name."""
    for function in (day, day_time, short_day, number, percent, days):
        app.add_template_filter(function, function.__name__)
    app.add_template_filter(month_name, "month_name")
