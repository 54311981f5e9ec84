"""How things go over weeks and months: talks, floods, breaks, coming back, and the small steps
worth naming (milestones). Counts only; the words never blame.

Built on `review.summarize_sessions` and `review.episodes`, the same figures `flooding
sessions` and `flooding review` show.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flooding.app.review import SessionSummary, episodes, summarize_sessions
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
        """The usual time from an alert to ready-to-return."""
        return statistics.median(self.recovery_s) if self.recovery_s else None


@dataclass(frozen=True)
class Progress:
    """Weeks, months and milestones, newest first."""

    weeks: list[Period]
    months: list[Period]
    milestones: list[str]
    talks: int


def _week_label(day: dt.date) -> str:
    monday = day - dt.timedelta(days=day.weekday())
    return f"Week of {monday:%d %b %Y}"


def _month_label(day: dt.date) -> str:
    return f"{day:%B %Y}"


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


def milestones(summaries: Sequence[SessionSummary]) -> list[str]:
    """The small steps named, in the tone of the source material (nothing blaming)."""
    found: list[str] = []
    if summaries:
        found.append("You recorded your first talk. Noticing is the first step.")
    streak = 0
    for summary in reversed(summaries):  # newest first: the current run
        if summary.episodes:
            break
        streak += 1
    reached = [n for n in STREAK_MILESTONES if streak >= n]
    if reached:
        found.append(f"{streak} talks in a row without flooding.")
    returns = sum(s.ready for s in summaries)
    reached = [n for n in RETURN_MILESTONES if returns >= n]
    if reached:
        times = "once" if returns == 1 else f"{returns} times"
        found.append(f"You came back to the talk after a break {times}.")
    breaks = sum(s.pauses for s in summaries)
    if breaks:
        found.append(
            "You took a break when your body needed one "
            + ("once." if breaks == 1 else f"{breaks} times.")
        )
    return found


def progress(store: Store) -> Progress:
    """The person's talks grouped by week and by month, and their milestones."""
    summaries = [s for s in summarize_sessions(store) if s.mode == "talk" and s.samples]
    rows = []
    for summary in summaries:
        recoveries = [e.recovery_s for e in episodes(store, summary.id) if e.recovery_s is not None]
        rows.append((summary, recoveries))
    return Progress(
        weeks=_group(rows, _week_label),
        months=_group(rows, _month_label),
        milestones=milestones(summaries),
        talks=len(summaries),
    )
