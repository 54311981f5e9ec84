"""Dates with month and weekday names come in the person's language, from the catalogue, and
in English read exactly as before (as the C locale's strftime wrote them)."""

from __future__ import annotations

import datetime as dt

from flooding.core.timefmt import (
    clock_time,
    day_and_month,
    day_month_year,
    long_date,
    month_and_year,
    session_stamp,
)
from flooding.io.locale_files import load_catalogue


def test_in_english_every_day_of_a_year_reads_as_strftime_wrote_it() -> None:
    """For every day of 2026 the English helpers give what `%d %b`, `%d %b %Y`, `%B %Y` and
    `%A %d %B %Y` gave in the C locale."""
    say = load_catalogue("en")
    day = dt.date(2026, 1, 1)
    while day.year == 2026:
        assert day_and_month(day, say) == f"{day:%d %b}"
        assert day_month_year(day, say) == f"{day:%d %b %Y}"
        assert month_and_year(day, say) == f"{day:%B %Y}"
        assert long_date(day, say) == f"{day:%A %d %B %Y}"
        day += dt.timedelta(days=1)


def test_in_german_the_names_and_the_order_are_german() -> None:
    """In German a date names its month and weekday in German, the day first with a dot."""
    say = load_catalogue("de")
    assert day_and_month(dt.date(2026, 10, 5), say) == "5. Okt."
    assert day_month_year(dt.date(2026, 9, 21), say) == "21. Sep. 2026"
    assert month_and_year(dt.date(2027, 3, 1), say) == "März 2027"
    assert long_date(dt.date(2026, 12, 27), say) == "Sonntag, 27. Dezember 2026"


def test_a_session_without_clock_times_says_so_in_the_language() -> None:
    """A session whose times are seconds from its start (a file without clock times) is
    stamped as having no clock time, in English or German; one with them by its date."""
    assert session_stamp(12.0, load_catalogue("en")) == "(no clock time)"
    assert session_stamp(12.0, load_catalogue("de")) == "(ohne Uhrzeit)"
    assert session_stamp(1.7e9, load_catalogue("de")).endswith(f"Nov. 2023, {clock_time(1.7e9)}")


def test_a_session_start_reads_as_a_date_people_write() -> None:
    """When a session started reads as people write a date (2 Dec 2026, 10:59 / 2. Dez. 2026,
    10:59); a table's column keeps the even ISO form."""
    from flooding.core.timefmt import table_stamp

    started = dt.datetime(2026, 12, 2, 10, 59).astimezone().timestamp()
    assert session_stamp(started, load_catalogue("en")) == f"2 Dec 2026, {clock_time(started)}"
    assert session_stamp(started, load_catalogue("de")) == "2. Dez. 2026, 10:59"
    assert table_stamp(started, load_catalogue("de")) == "2026-12-02 10:59"
