"""Times and durations as people read them (local time, no clock reads); dates with month
and weekday names in the person's language, from the screen-text catalogue (never the process's
locale: `setlocale` is process-wide and not thread-safe)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from flooding.core.catalogue import Catalogue, counted
from flooding.core.pause import whole_minutes


def clock_time(t_s: float, *, seconds: bool = False) -> str:
    """Local wall-clock time of an epoch time, as people say it: 20:45."""
    return datetime.fromtimestamp(t_s).astimezone().strftime("%H:%M:%S" if seconds else "%H:%M")


def local_stamp(t_s: float) -> str:
    """Local date and time: 2026-11-22 20:45."""
    return datetime.fromtimestamp(t_s).astimezone().strftime("%Y-%m-%d %H:%M")


def iso_local(t_s: float) -> str:
    """ISO 8601 with the local offset, for JSON."""
    return datetime.fromtimestamp(t_s).astimezone().isoformat(timespec="seconds")


def iso_local_exact(t_s: float) -> str:
    """ISO 8601 local time to the millisecond with the offset, for exports people read."""
    return datetime.fromtimestamp(t_s).astimezone().isoformat(timespec="milliseconds")


def duration(seconds: float | None) -> str:
    """A short duration: 45 s, 12 min, 1 h 05 min, 3 d 04 h (never longer than 10 letters
    below 1000 days, so table columns stay in line)."""
    if seconds is None:
        return "-"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h {minutes % 60:02d} min"
    hours = round(seconds / 3600)
    return f"{hours // 24} d {hours % 24:02d} h"


def countdown(seconds: int) -> str:
    """Whole seconds of a count-down as a clock reads them: 19:58 below an hour, 23:59:59
    (hours first) from an hour on, so a day-long break never reads 1439:59. The app's page
    counts down by the same rule (static/time_words.js)."""
    minutes, secs = divmod(max(0, seconds), 60)
    if minutes < 60:
        return f"{minutes}:{secs:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


WALL_CLOCK_FROM_S = 1e8  # 1973: smaller times are seconds from the start of a file, not dates


def is_wall_clock(t_s: float) -> bool:
    """Whether a session time is a real date (live, simulated) rather than seconds from the
    start of a file without clock times."""
    return t_s >= WALL_CLOCK_FROM_S


def spans_days(times: Iterable[float | None]) -> bool:
    """Whether wall-clock times fall on more than one local date (then a clock time alone
    cannot say when: `session_clock(..., dated=True)`)."""
    days = {
        datetime.fromtimestamp(t).astimezone().date()
        for t in times
        if t is not None and is_wall_clock(t)
    }
    return len(days) > 1


def session_clock(t_s: float | None, *, seconds: bool = False, dated: bool = False) -> str:
    """A session time as people read it: the local clock (20:45; with `dated` the date too:
    2026-11-22 20:45), or for a file without clock times the time from its start (+12:30,
    +3:05:00 from an hour on, as `countdown`); '-' for none."""
    if t_s is None:
        return "-"
    if is_wall_clock(t_s):
        clock = clock_time(t_s, seconds=seconds)
        if dated:
            return datetime.fromtimestamp(t_s).astimezone().strftime("%Y-%m-%d ") + clock
        return clock
    return "+" + countdown(round(t_s))


def session_stamp(t_s: float, say: Catalogue) -> str:
    """When a session started, as a sentence or a page says it: a local date and time in
    the language of `say` (2 Dec 2026, 10:59; 2. Dez. 2026, 10:59), or, for a file without
    clock times, that it has none."""
    if not is_wall_clock(t_s):
        return say("stamp.no_clock")
    day = datetime.fromtimestamp(t_s).astimezone().date()
    month = month_name(day.month, say, short=True)
    return say("date.stamp", day=day.day, month=month, year=day.year, time=clock_time(t_s))


def table_stamp(t_s: float, say: Catalogue) -> str:
    """When a session started, for a table's column: 2026-12-02 10:59 (every row as wide),
    or that it has no clock time."""
    return local_stamp(t_s) if is_wall_clock(t_s) else say("stamp.no_clock")


def month_name(month: int, say: Catalogue, *, short: bool = False) -> str:
    """The name of a month (1-12) in the language of `say`: September, or with `short` Sep."""
    return say(f"date.month{'_short' if short else ''}.{month}")


def weekday_name(day: date, say: Catalogue) -> str:
    """The name of the day of the week of `day` in the language of `say`: Monday."""
    return say(f"date.weekday.{day.weekday()}")


def day_and_month(day: date, say: Catalogue) -> str:
    """A day of the year, short, in the language of `say`: 21 Sep (21. Sep. in German)."""
    return say("date.day_month", day=day.day, month=month_name(day.month, say, short=True))


def day_month_year(day: date, say: Catalogue) -> str:
    """A date, short, in the language of `say`: 21 Sep 2026."""
    month = month_name(day.month, say, short=True)
    return say("date.day_month_year", day=day.day, month=month, year=day.year)


def month_and_year(day: date, say: Catalogue) -> str:
    """The month of `day` with its year, in the language of `say`: September 2026."""
    return say("date.month_year", month=month_name(day.month, say), year=day.year)


def long_date(day: date, say: Catalogue) -> str:
    """A date in full, in the language of `say`: Monday 21 September 2026."""
    return say(
        "date.long",
        weekday=weekday_name(day, say),
        day=day.day,
        month=month_name(day.month, say),
        year=day.year,
    )


def spoken_minutes(minutes: int, say: Catalogue) -> str:
    """A length of whole minutes as people say it, in the language of `say`: 1 minute,
    20 minutes, 2 hours, 11 hours and 40 minutes. The app's page says a time left by the same
    rule, from the same catalogue texts (static/time_words.js)."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return say.count("count.minutes", rest)
    if not rest:
        return say.count("count.hours", hours)
    return say(
        "when.hours_and_minutes",
        hours=counted("count.hours", hours),
        minutes=counted("count.minutes", rest),
    )


def break_length(minutes: float, say: Catalogue) -> str:
    """A break's length, or its extension's, as every place says it (the notifications, the
    app, the terminal): in whole minutes as the break is taken (`whole_minutes`), in words
    (`spoken_minutes`): 20 minutes, 24 hours, 1 hour and 30 minutes."""
    return spoken_minutes(whole_minutes(minutes), say)


def _day_words(t_s: float, now_s: float, say: Catalogue, form: str) -> str:
    """The clock time of `t_s` with its day as seen from `now_s`, in the words of
    `when.<form>.*` of `say`."""
    day = datetime.fromtimestamp(t_s).astimezone().date()
    days = (day - datetime.fromtimestamp(now_s).astimezone().date()).days
    time = clock_time(t_s)
    if days == 0:
        return say(f"when.{form}.today", time=time)
    if days == 1:
        return say(f"when.{form}.tomorrow", time=time)
    if days == -1:
        return say(f"when.{form}.yesterday", time=time)
    name = weekday_name(day, say) if 1 < days < 7 else day_and_month(day, say)
    return say(f"when.{form}.on_day", time=time, day=name)


def day_clock(t_s: float, now_s: float, say: Catalogue) -> str:
    """The clock time of `t_s`, with its day when that is not the day of `now_s`, for use
    after "until" (or alone): 14:17, 01:57 tomorrow, 01:57 on Friday (German after "bis":
    14:17, morgen um 01:57, Freitag um 01:57). After "at" it is `at_day_clock`, which brings
    its own "at" (German "um" cannot stand before "morgen")."""
    return _day_words(t_s, now_s, say, "time")


def at_day_clock(t_s: float, now_s: float, say: Catalogue) -> str:
    """When `t_s` is, said from `now_s`, with its own "at": at 14:17, tomorrow at 01:57,
    on Friday at 01:57 (um 14:17, morgen um 01:57, am Freitag um 01:57)."""
    return _day_words(t_s, now_s, say, "at")
