"""How things go over weeks and months: talks, floods, breaks, coming back, and the small steps
worth naming (milestones). Counts only; the words never blame.

Built on `review.summarize_sessions` and `review.episodes`, the same figures `flooding
sessions` and `flooding review` show; the words come from the screen-text catalogue.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flooding.app.review import SessionSummary, episodes, shared_pauses, summarize_sessions
from flooding.core.catalogue import Catalogue
from flooding.core.timefmt import day_month_year, month_and_year
from flooding.io.locale_files import load_catalogue
from flooding.io.store import Store

STREAK_MILESTONES = (3, 5, 10, 20)  # talks in a row without flooding worth naming
RETURN_MILESTONES = (1, 5, 10, 25)  # breaks that ended with coming back, worth naming


@dataclass
class Period:
    """One week or month of talks."""

    label: str
    talks: int = 0
    floods: int = 0
    breaks: int = 0
    returns: int = 0  # breaks that ended with ready-to-return
    recovery_s: list[float] = field(default_factory=list)  # alert to ready, each time

    @property
    def median_recovery_s(self) -> float | None:
        """The usual time from an alert to ready-to-return (never under the break's length:
        ready comes when the break is over and the heart is back near calm)."""
        return statistics.median(self.recovery_s) if self.recovery_s else None


@dataclass(frozen=True)
class Progress:
    """Weeks, months and milestones, newest first."""

    weeks: list[Period]
    months: list[Period]
    milestones: list[str]
    talks: int


def _week_label(say: Catalogue) -> Callable[[dt.date], str]:
    def label(day: dt.date) -> str:
        monday = day - dt.timedelta(days=day.weekday())
        return say("web.progress.week_of", day=day_month_year(monday, say))

    return label


def _month_label(say: Catalogue) -> Callable[[dt.date], str]:
    def label(day: dt.date) -> str:
        return month_and_year(day, say)

    return label


def _group(
    rows: Sequence[tuple[SessionSummary, list[float]]], label: Callable[[dt.date], str]
) -> list[Period]:
    periods: dict[str, Period] = {}
    for summary, recoveries in rows:
        day = dt.datetime.fromtimestamp(summary.started_s).date()
        name = label(day)
        period = periods.setdefault(name, Period(name))
        period.talks += 1
        period.floods += summary.episodes
        period.breaks += summary.pauses
        period.returns += summary.ready
        period.recovery_s += recoveries
    return list(reversed(periods.values()))


def milestones(summaries: Sequence[SessionSummary], say: Catalogue | None = None) -> list[str]:
    """The small steps named, in the tone of the source material (nothing blaming), in the
    language of `say` (English without)."""
    say = say or load_catalogue()
    found: list[str] = []
    if summaries:
        found.append(say("web.progress.first_talk"))
    streak = 0
    for summary in reversed(summaries):  # newest first: the current run
        if summary.episodes:
            break
        streak += 1
    reached = [n for n in STREAK_MILESTONES if streak >= n]
    if reached:
        found.append(say("web.progress.streak", n=streak))
    returns = sum(s.ready for s in summaries)
    reached = [n for n in RETURN_MILESTONES if returns >= n]
    if reached:
        found.append(say.count("web.progress.came_back", returns))
    breaks = sum(s.pauses for s in summaries)
    if breaks:
        found.append(say.count("web.progress.breaks", breaks))
    return found


def progress(store: Store, say: Catalogue | None = None) -> Progress:
    """The person's talks grouped by week and by month, and their milestones (in the language
    of `say`, English without)."""
    say = say or load_catalogue()
    summaries = [s for s in summarize_sessions(store) if s.mode == "talk" and s.samples]
    rows = []
    for summary in summaries:
        # one person's alerts, or a couple's alerts for both
        found = [e.recovery_s for e in episodes(store, summary.id)]
        found += [p.recovery_s for p in shared_pauses(store, summary.id)]
        recoveries = [s for s in found if s is not None]
        rows.append((summary, recoveries))
    return Progress(
        weeks=_group(rows, _week_label(say)),
        months=_group(rows, _month_label(say)),
        milestones=milestones(summaries, say),
        talks=len(summaries),
    )
