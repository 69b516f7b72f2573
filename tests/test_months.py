"""The one month type: parsing what people type, labels, boundaries and arithmetic."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kaizen.services.months import Month


def test_a_month_filter_must_look_like_a_month() -> None:
    assert Month.parse("2025-03") == Month(2025, 3)
    assert Month.parse("2025-13") is None
    assert Month.parse("March") is None
    assert Month.parse("") is None


def test_years_no_plant_can_have_are_refused() -> None:
    assert Month.parse("1899-12") is None
    assert Month.parse("9999-12") is None
    assert Month.parse("1900-01") == Month(1900, 1)
    assert Month.parse(" 2026-03 ") == Month(2026, 3)


def test_a_month_reads_as_its_name_and_writes_as_its_code() -> None:
    march = Month(2026, 3)
    assert march.label == "March 2026"
    assert march.code == "2026-03" == str(march)
    assert f"{march:%b %Y}" == "Mar 2026"


def test_a_month_holds_the_moments_from_its_first_midnight_up_to_the_next() -> None:
    december = Month(2025, 12)
    assert december.start == datetime(2025, 12, 1)
    assert december.end == datetime(2026, 1, 1)
    assert december.last_day == date(2025, 12, 31)
    assert datetime(2025, 12, 31, 23, 59) in december
    assert datetime(2026, 1, 1) not in december
    assert Month(2024, 2).last_day == date(2024, 2, 29)


def test_months_count_across_years_both_ways() -> None:
    assert Month(2025, 12).next == Month(2026, 1)
    assert Month(2026, 1).previous == Month(2025, 12)
    assert Month(2026, 3).shift(-15) == Month(2024, 12)
    assert Month(2026, 2).ending(3) == [Month(2025, 12), Month(2026, 1), Month(2026, 2)]
    assert Month.of(datetime(2026, 3, 31, 23, 0)) == Month(2026, 3)
    assert Month(2025, 12) < Month(2026, 1)


def test_a_thirteenth_month_cannot_be_made() -> None:
    with pytest.raises(ValueError):
        Month(2026, 13)
