"""The pause protocol for the N people of a session (N = 1 or 2), pure: alert -> one pause
for everyone -> ready to return (or: not yet, more time).

- **Counted.** A person's heart is *counted* at a moment unless
  (1) their mode gives no alerts (workout, unless `[workout] alerts = true` for them) and
      someone else is watched too: reason "workout" (one person's own heart always counts
      for their own pause);
  (2) their latest reading says the strap has no skin contact: reason "no-contact";
  (3) no usable reading (skin contact, plausible, no gap) has come from them for longer
      than their `detection.gap_s` (a dropped strap, or none yet): reason "no-signal".
  A heart that is not counted neither starts an alert nor holds up the return; every
  message of a pause of two names who is not counted and why.
- **Alert.** While watching, the first confirmed flooded episode of a counted person whose
  mode gives alerts gives one `Alert` (naming that person) and starts the pause for
  everyone (`PauseStarted`, `pause.minutes`). No further alerts while pausing; every
  baseline is frozen.
- **Ready.** `ReadyToReturn` comes at the first moment when the pause has lasted its planned
  length AND every counted heart has stayed within `pause.recovery_margin_bpm` of its own
  calm baseline from before the pause (a 10-s average, `Recovery`) for
  `pause.recovery_hold_s`, AND at least one heart is counted (with nobody measured,
  nothing says you have calmed down).
- **Not yet.** At each planned end while a counted heart is still above its calm level
  (or nobody is counted): `PauseExtended` by `pause.extend_minutes`, naming the people
  still settling. Back within the margin but not yet for the whole hold is not "still
  elevated": ready follows once the hold is complete.
- Started by hand (`flooding pause`): a pause for everyone; ended by hand: `PauseEnded`.
- Without a calm baseline from before the pause, a person counts as back near calm well
  under their absolute threshold. Samples without contact, implausible readings and gaps
  never count as recovered.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flooding.core.models import (
    Absent,
    Alert,
    EpisodeStarted,
    Event,
    PauseEnded,
    PauseExtended,
    PauseStarted,
    ReadyToReturn,
    State,
)
from flooding.core.settings import DetectionSettings, PauseSettings

MINUTE_S = 60.0
RECOVERY_SMOOTHING_S = 10.0  # time constant of the average the recovery check looks at:
#                              breathing swings a resting pulse by a few bpm every few seconds
WORKOUT = "workout"
NO_CONTACT = "no-contact"
NO_SIGNAL = "no-signal"


class Recovery:
    """The way back to calm during a pause: a 10-s average of the usable readings, and since
    when it has stayed at or under `ceiling_bpm`.

    An unusable reading (None: no contact, implausible) or a stretch of more than `gap_s`
    without readings proves nothing: the average and the time since start over. One person
    in a pause, each partner in a couple's pause, and a review measuring it afterwards all
    use this rule.
    """

    def __init__(self, ceiling_bpm: float, gap_s: float, t_s: float) -> None:
        self.ceiling_bpm = ceiling_bpm
        self.gap_s = gap_s
        self.level_bpm: float | None = None
        self.recovered_since: float | None = None
        self._t = t_s  # the pause start, then the latest reading

    def feed(self, t_s: float, bpm: float | None) -> None:
        """One reading (None: not usable)."""
        if t_s - self._t > self.gap_s:  # a stretch without readings proves nothing
            self.level_bpm = None
            self.recovered_since = None
        if bpm is None:
            self.level_bpm = None
        elif self.level_bpm is None:
            self.level_bpm = bpm
        else:
            weight = 1.0 - math.exp(-max(0.0, t_s - self._t) / RECOVERY_SMOOTHING_S)
            self.level_bpm += weight * (bpm - self.level_bpm)
        self._t = t_s
        if self.level_bpm is None or self.level_bpm > self.ceiling_bpm:
            self.recovered_since = None
        elif self.recovered_since is None:
            self.recovered_since = t_s

    def held(self, t_s: float, hold_s: float) -> bool:
        """Whether the average has stayed at or under the ceiling for `hold_s` by `t_s`."""
        return self.recovered_since is not None and t_s - self.recovered_since >= hold_s


def usable_bpm(bpm: float, state: State, detection: DetectionSettings) -> float | None:
    """A reading's rate as the protocol takes it: None (not usable) without skin contact,
    after a gap, or outside the plausible range."""
    if state is State.NO_CONTACT or state is State.GAP:
        return None
    if not detection.min_plausible_bpm <= bpm <= detection.max_plausible_bpm:
        return None
    return bpm


class Phase(enum.StrEnum):
    """Where the session is in the protocol."""

    WATCHING = "watching"
    PAUSING = "pausing"


@dataclass
class _Person:
    """What the protocol knows about one person's heart."""

    detection: DetectionSettings  # their settings now (a mode switch changes them)
    alerts: bool = True
    contact: bool = True
    last_usable_s: float | None = None
    baseline_bpm: float | None = None  # calm from before the pause (frozen while pausing)
    recovery: Recovery | None = None

    def ceiling_bpm(self, pause: PauseSettings) -> float:
        """Heart rate at or below which this person counts as back near calm."""
        if self.baseline_bpm is not None:
            return self.baseline_bpm + pause.recovery_margin_bpm
        # no baseline was known: fall back to well under the absolute threshold
        return self.detection.absolute_bpm - self.detection.margin_bpm


class PauseProtocol:
    """The pause protocol for the people it guards: see the module docstring for the rules."""

    def __init__(self, pause: PauseSettings, people: Mapping[str, DetectionSettings]) -> None:
        if not people:
            raise ValueError("a pause protocol guards at least one person")
        self.pause = pause
        self.people = {name: _Person(detection) for name, detection in people.items()}
        self.phase = Phase.WATCHING
        self.started_s = 0.0
        self.until_s = 0.0  # the next check: the planned end, later the end of an extension
        self.min_end_s = 0.0  # the planned end: no ready-to-return before it

    @property
    def pausing(self) -> bool:
        """Whether a pause is running."""
        return self.phase is Phase.PAUSING

    def set_detection(self, name: str, detection: DetectionSettings) -> None:
        """A person's detection settings changed (a mode switch, even during a pause)."""
        self.people[name].detection = detection

    def recovery_ceiling_bpm(self, name: str) -> float:
        """Heart rate at or below which a person counts as back near their calm baseline."""
        return self.people[name].ceiling_bpm(self.pause)

    def why_not_counted(self, name: str, t_s: float) -> str | None:
        """Why a person's heart is not counted at `t_s` (None: it is counted)."""
        person = self.people[name]
        if not person.alerts and len(self.people) > 1:
            return WORKOUT
        if not person.contact:
            return NO_CONTACT
        if person.last_usable_s is None or t_s - person.last_usable_s > person.detection.gap_s:
            return NO_SIGNAL
        return None

    def absent(self, t_s: float) -> Absent:
        """Everyone not counted at `t_s`, with the reason."""
        out = []
        for name in self.people:
            reason = self.why_not_counted(name, t_s)
            if reason is not None:
                out.append((name, reason))
        return tuple(out)

    def observe(
        self,
        name: str,
        t_s: float,
        *,
        bpm: float | None,
        state: State,
        baseline_bpm: float | None,
        alerts: bool,
        episodes: Sequence[EpisodeStarted] = (),
    ) -> list[Event]:
        """One person's reading: `bpm` None when it is not usable (no contact, gap,
        implausible); `alerts` whether their mode gives alerts; their new episodes."""
        person = self.people[name]
        person.alerts = alerts
        person.contact = state is not State.NO_CONTACT
        if bpm is not None:
            person.last_usable_s = t_s
        events: list[Event] = []
        if self.phase is Phase.WATCHING:
            person.baseline_bpm = baseline_bpm
            for episode in episodes:
                if alerts and self.why_not_counted(name, t_s) is None:
                    person.baseline_bpm = episode.baseline_bpm
                    alert = Alert(
                        t_s=episode.t_s,
                        bpm=episode.bpm,
                        baseline_bpm=episode.baseline_bpm,
                        threshold_bpm=episode.threshold_bpm,
                        rule=episode.rule,
                        person=name,
                        absent=self.absent(t_s),
                    )
                    events = [alert, self._start(episode.t_s, manual=False)]
                    break
            if self.phase is Phase.WATCHING:
                return events
        recovery = person.recovery
        if recovery is not None:
            # a mode switch during the pause changes the settings these come from
            recovery.ceiling_bpm = person.ceiling_bpm(self.pause)
            recovery.gap_s = person.detection.gap_s
            recovery.feed(t_s, bpm)
        if t_s < self.min_end_s:
            return events
        return events + self._check(name, t_s, bpm) if events else self._check(name, t_s, bpm)

    def start_manual(
        self,
        t_s: float,
        minutes: float | None = None,
        baselines: Mapping[str, float | None] | None = None,
    ) -> list[Event]:
        """A pause for everyone, started by hand (`baselines`: each person's calm now)."""
        if self.pausing:
            return []
        for name, baseline in (baselines or {}).items():
            self.people[name].baseline_bpm = baseline
        return [self._start(t_s, manual=True, minutes=minutes)]

    def end_manual(self, t_s: float) -> list[Event]:
        """The pause ended early by hand."""
        if not self.pausing:
            return []
        self.phase = Phase.WATCHING
        return [PauseEnded(t_s=t_s, pause_start_s=self.started_s)]

    def on_usable_readings(
        self, times_s: Sequence[float], bpms: Sequence[float], start: int, stop: int
    ) -> tuple[list[tuple[int, Event]], int | None]:
        """`observe` of a session of one for each usable reading `start` .. `stop` - 1 of the
        two sequences during a pause, in one call (a replay): the same arithmetic as
        `Recovery.feed` and the same checks as `_check`, in the same order.

        Returns the events with the index of the reading that gave each, and the index of the
        reading that ended the pause (None: still pausing); readings after it are not read.
        """
        return self._read_usable(times_s, bpms, start, stop, peek=False)

    def quiet_until(
        self, times_s: Sequence[float], bpms: Sequence[float], start: int, stop: int
    ) -> int:
        """The first of the usable readings `start` .. `stop` - 1 during a pause at which
        `on_usable_readings` would give an event (`stop`: none would), without reading
        them: a replay takes the readings before it in one stretch."""
        first = self._read_usable(times_s, bpms, start, stop, peek=True)[1]
        return stop if first is None else first

    def _read_usable(
        self, times_s: Sequence[float], bpms: Sequence[float], start: int, stop: int, *, peek: bool
    ) -> tuple[list[tuple[int, Event]], int | None]:
        """`on_usable_readings`; with `peek`, nothing is changed, and the second item is
        the index of the first reading that gives an event (None: none does)."""
        if not self.pausing:
            return [], start
        if len(self.people) != 1:
            raise ValueError("readings in one call are for a session of one person")
        ((name, person),) = self.people.items()
        recovery = person.recovery
        if recovery is None:
            return [], None
        ceiling = person.ceiling_bpm(self.pause)
        gap_s = person.detection.gap_s
        if not peek:
            recovery.ceiling_bpm = ceiling
            recovery.gap_s = gap_s
        level = recovery.level_bpm
        since = recovery.recovered_since
        previous = recovery._t
        hold_s = self.pause.recovery_hold_s
        min_end_s = self.min_end_s
        baseline = person.baseline_bpm
        exp = math.exp
        events: list[tuple[int, Event]] = []
        ended: int | None = None
        for index in range(start, stop):
            t_s = times_s[index]
            bpm = bpms[index]
            step_s = t_s - previous
            if step_s > gap_s:  # a stretch without readings proves nothing
                level = None
                since = None
            if level is None:
                level = bpm
            else:
                level += (1.0 - exp(-(step_s if step_s > 0.0 else 0.0) / RECOVERY_SMOOTHING_S)) * (
                    bpm - level
                )
            previous = t_s
            if level > ceiling:
                since = None
            elif since is None:
                since = t_s
            if t_s < min_end_s:
                continue
            if since is not None and t_s - since >= hold_s:
                if peek:
                    return [], index
                self.phase = Phase.WATCHING
                ready = ReadyToReturn(
                    t_s=t_s,
                    bpm=bpm,
                    baseline_bpm=baseline,
                    pause_start_s=self.started_s,
                    levels=((name, float(level)),),
                    absent=(),
                )
                events.append((index, ready))
                ended = index
                break
            if t_s >= self.until_s and since is None:
                if peek:
                    return [], index
                self.until_s = t_s + self.pause.extend_minutes * MINUTE_S
                extended = PauseExtended(
                    t_s=t_s,
                    until_s=self.until_s,
                    bpm=bpm,
                    baseline_bpm=baseline,
                    waiting=(name,),
                    absent=(),
                )
                events.append((index, extended))
        if peek:
            return [], None
        recovery.level_bpm = level
        recovery.recovered_since = since
        recovery._t = previous
        if stop > start:
            person.contact = True
            person.last_usable_s = times_s[ended if ended is not None else stop - 1]
        return events, ended

    def _start(self, t_s: float, *, manual: bool, minutes: float | None = None) -> PauseStarted:
        self.phase = Phase.PAUSING
        self.started_s = t_s
        length_min = self.pause.minutes if minutes is None else minutes
        self.until_s = self.min_end_s = t_s + length_min * MINUTE_S
        for person in self.people.values():
            person.recovery = Recovery(person.ceiling_bpm(self.pause), person.detection.gap_s, t_s)
        baselines = tuple((name, p.baseline_bpm) for name, p in self.people.items())
        return PauseStarted(
            t_s=t_s,
            until_s=self.until_s,
            baseline_bpm=baselines[0][1] if len(baselines) == 1 else None,
            manual=manual,
            baselines=baselines,
        )

    def _check(self, name: str, t_s: float, bpm: float | None) -> list[Event]:
        """Ready, not yet, or nothing, after `name`'s reading."""
        if t_s < self.min_end_s:
            return []
        people = self.people
        hold_s = self.pause.recovery_hold_s
        if t_s < self.until_s:  # before the next check only ready can come: the quick way out
            for n, p in people.items():
                r = p.recovery
                since = None if r is None else r.recovered_since
                if (since is None or t_s - since < hold_s) and self.why_not_counted(n, t_s) is None:
                    return []  # a counted heart is not back yet
        counted = {n: p.recovery for n, p in people.items() if self.why_not_counted(n, t_s) is None}
        ready = bool(counted) and all(
            r is not None and r.held(t_s, hold_s) for r in counted.values()
        )
        if not ready and t_s < self.until_s:
            return []
        absent = self.absent(t_s)
        shown_bpm = bpm if bpm is not None else math.nan
        baseline = people[name].baseline_bpm
        if ready:
            self.phase = Phase.WATCHING
            levels = tuple(
                (n, float(r.level_bpm))
                for n, r in counted.items()
                if r is not None and r.level_bpm is not None
            )
            return [
                ReadyToReturn(
                    t_s=t_s,
                    bpm=shown_bpm,
                    baseline_bpm=baseline,
                    pause_start_s=self.started_s,
                    levels=levels,
                    absent=absent,
                )
            ]
        # still elevated (or not measured); when already back within the margin, the hold is
        # under way and ready-to-return follows without a "not yet" first
        waiting = tuple(n for n, r in counted.items() if r is None or r.recovered_since is None)
        if not waiting and counted:
            return []
        self.until_s = t_s + self.pause.extend_minutes * MINUTE_S
        return [
            PauseExtended(
                t_s=t_s,
                until_s=self.until_s,
                bpm=shown_bpm,
                baseline_bpm=baseline,
                waiting=waiting,
                absent=absent,
            )
        ]
