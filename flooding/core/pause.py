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
  still settling (with nobody counted: no one, and everyone as absent, so its message says
  no heart can be read rather than that one is still up). Back within the margin but not
  yet for the whole hold is not "still elevated": ready follows once the hold is complete.
- Started by hand (`flooding pause`): a pause for everyone; ended by hand: `PauseEnded`.
- Without a calm baseline from before the pause, a person counts as back near calm well
  under their absolute threshold. Samples without contact, implausible readings and gaps
  never count as recovered.
"""

from __future__ import annotations

import bisect
import enum
import functools
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
    Unusable,
)
from flooding.core.settings import DetectionSettings, PauseSettings

MINUTE_S = 60.0
RECOVERY_SMOOTHING_S = 10.0  # time constant of the average the recovery check looks at:
#                              breathing swings a resting pulse by a few bpm every few seconds
WORKOUT = "workout"
NO_CONTACT = "no-contact"
NO_SIGNAL = "no-signal"
# how long after its next check a break still waits for the heart to be heard again (a walk out
# of the strap's range, a closed laptop, a restart): its ready-to-return or still-elevated check
# comes then; later, the talk it interrupted is over and a new wearing starts afresh
CHECK_WAITS_S = 2 * 3600.0
WEIGHTS_KEPT = 64  # recovery weights kept by step: a strap's steps are a few (1 s; a watch's
#                    5, 10, 15 s), and a replay asks for one at each of its reads of a pause


def whole_minutes(minutes: float) -> int:
    """A break's length, or its extension's, as it is taken and said: whole minutes, rounded
    up, so the words ("20 minutes", "back at 20:45") and the checks agree and it is never
    shorter than set (`pause.minutes = 20.5` is a 21-minute break)."""
    return math.ceil(minutes)


def time_over(left_s: float) -> bool:
    """Whether a break with `left_s` seconds of its planned time left is past that time:
    from then on its heart is checked (ready to return, or more time), and nothing counts
    down any more. The terminal's live line, `flooding status` and `flooding pause` all go
    by this one rule (the app's page by the same comparison)."""
    return left_s <= 0.0


@functools.lru_cache(maxsize=WEIGHTS_KEPT)
def recovery_weight(step_s: float) -> float:
    """How far the recovery average moves toward a reading `step_s` after the one before it
    (`Recovery.feed`; the batch path computes it with this very function, so both agree)."""
    return 1.0 - math.exp(-max(0.0, step_s) / RECOVERY_SMOOTHING_S)


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
        # the weight of the last step between readings: a strap's steps are mostly the same
        self._weight_step = math.nan
        self._weight = 0.0

    def feed(self, t_s: float, bpm: float | None) -> None:
        """One reading (None: not usable)."""
        step_s = t_s - self._t
        if step_s > self.gap_s:  # a stretch without readings proves nothing
            self.level_bpm = None
            self.recovered_since = None
        if bpm is None:
            self.level_bpm = None
        elif self.level_bpm is None:
            self.level_bpm = bpm
        else:
            if step_s != self._weight_step:
                self._weight_step = step_s
                self._weight = recovery_weight(step_s)
            self.level_bpm += self._weight * (bpm - self.level_bpm)
        self._t = t_s
        if self.level_bpm is None or self.level_bpm > self.ceiling_bpm:
            self.recovered_since = None
        elif self.recovered_since is None:
            self.recovered_since = t_s

    def held(self, t_s: float, hold_s: float) -> bool:
        """Whether the average has stayed at or under the ceiling for `hold_s` by `t_s`."""
        return self.recovered_since is not None and t_s - self.recovered_since >= hold_s


def usable_bpm(bpm: float, unusable: Unusable | None) -> float | None:
    """A reading's rate as the protocol takes it: None where the detector could not use it
    (`Reading.unusable`: no skin contact, outside the plausible range)."""
    return bpm if unusable is None else None


def nobody_counted(extended: PauseExtended, people: int = 1) -> bool:
    """Whether a "not yet" came with no heart counted (every one of the session's `people`
    absent at the check), so none can say it is still up."""
    return len(extended.absent) >= people


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
        return recovery_ceiling_bpm(self.baseline_bpm, pause, self.detection)


def recovery_ceiling_bpm(
    baseline_bpm: float | None, pause: PauseSettings, detection: DetectionSettings
) -> float:
    """Heart rate at or below which a person whose calm before the pause was `baseline_bpm`
    counts as back near calm (the review uses it too)."""
    if baseline_bpm is not None:
        return baseline_bpm + pause.recovery_margin_bpm
    # no baseline was known: fall back to well under the absolute threshold
    return detection.absolute_bpm - detection.margin_bpm


_State = tuple[float | None, float | None, float]  # a recovery's level, since when, last time


# what a pause's readings are checked against (`PauseProtocol._limits`): the recovery
# ceiling (bpm), the gap (s), the planned end, the next check and the hold (s)
_Limits = tuple[float, float, float, float, float]


@dataclass(eq=False)
class _Noted:
    """What `PauseProtocol.quiet_until` found reading ahead: the recovery state (level, since
    when, last reading's time) after the readings up to each noted index, for these very
    sequences, recovery and limits; no event comes before any of them."""

    times_s: Sequence[float]
    bpms: Sequence[float]
    recovery: Recovery
    limits: _Limits
    states: dict[int, _State]

    def matches(
        self, times_s: Sequence[float], bpms: Sequence[float], recovery: Recovery, limits: _Limits
    ) -> bool:
        """Whether the noted states hold for these sequences, recovery and limits."""
        return (
            times_s is self.times_s
            and bpms is self.bpms
            and recovery is self.recovery
            and limits == self.limits
        )


def _quiet_run(
    times_s: Sequence[float],
    bpms: Sequence[float],
    steady: bytes,
    start: int,
    stop: int,
    state: _State,
    limits: _Limits,
    noted: dict[int, _State] | None = None,
    marks: Sequence[int] = (),
) -> tuple[int, float | None, float | None, float]:
    """Usable readings `start` .. `stop` - 1 through the recovery average (`Recovery.feed`'s
    arithmetic) up to the first at which the pause protocol says something (ready: held
    near calm for the hold, from the planned end on; not yet: the next check came with the
    heart above its calm level): its index (`stop`: none), and the state after it (after
    them all, when none). `steady`: for each reading, whether its step from the one before
    is that one's step too (`flooding.core.batch.same_steps`). `noted`: where to note the
    state after the readings before each of `marks` (rising) that comes before that first
    one."""
    start_level, since, previous = state
    ceiling, gap_s, min_end_s, until_s, hold_s = limits
    fresh = start_level is None  # no level yet: the first reading is it
    level = math.nan if start_level is None else start_level
    # from `check_s` on, a reading may end the quiet: since None, the next check; else the
    # planned end and the hold (a second early: the exact test follows)
    after_s = max(min_end_s, until_s)
    check_s = after_s if since is None else max(min_end_s, since + hold_s - 1.0)
    weight_step = math.nan  # the step whose weight is `weight` (NaN: none yet)
    weight = 0.0
    mark = -1
    if noted is not None:
        pending = iter(marks)
        mark = next(pending, -1)
        while 0 <= mark <= start:  # marks at or before the start: noted already
            mark = next(pending, -1)
    index = start
    # readings `index` .. `fast_to` - 1 come at the step whose weight is `weight`, before
    # the next check: they move nothing but the level while it stays on its side of the
    # ceiling (those are taken in a tight loop, the first that crosses in the full step)
    fast_to = start
    while True:
        # the readings up to the next mark (or `stop`), then what they leave noted there
        last = mark if 0 <= mark < stop else stop
        while index < last:
            if index < fast_to:  # the tight loop: the same arithmetic
                end = fast_to if fast_to < last else last
                at = end  # the first not taken (one that crosses the ceiling), if any
                if since is None:
                    for offset, bpm in enumerate(bpms[index:end]):
                        moved = level + weight * (bpm - level)
                        if not moved > ceiling:
                            at = index + offset
                            break
                        level = moved
                else:
                    for offset, bpm in enumerate(bpms[index:end]):
                        moved = level + weight * (bpm - level)
                        if moved > ceiling:
                            at = index + offset
                            break
                        level = moved
                index = at
                previous = times_s[at - 1]
                if at < end:
                    fast_to = at  # it crosses the ceiling: the full step
                continue
            t_s = times_s[index]
            bpm = bpms[index]
            step_s = t_s - previous
            previous = t_s
            if step_s == weight_step:
                level += weight * (bpm - level)
            elif step_s > gap_s:  # a stretch without readings proves nothing
                level = bpm
                fresh = False
                if since is not None:
                    since = None
                    check_s = after_s
            elif fresh:
                level = bpm
                fresh = False
            else:
                weight_step = step_s
                weight = recovery_weight(step_s)
                level += weight * (bpm - level)
            if level > ceiling:
                if since is not None:
                    since = None
                    check_s = after_s
            elif since is None:
                since = t_s
                check_s = max(min_end_s, t_s + hold_s - 1.0)
            if t_s >= check_s and (since is None or t_s - since >= hold_s):
                return index, level, since, previous
            index += 1
            if step_s == weight_step and index < stop and times_s[index] - t_s == step_s:
                # the readings on at this step (the next one, then as far as `steady` says)
                # up to the next check; at one step time goes one way: ahead, the check is
                # after the run's last reading or `bisect` finds it, back (a clock set back),
                # no reading of the run can be it
                run = steady.find(0, index + 1, stop)
                fast_to = stop if run < 0 else run
                if not times_s[fast_to - 1] < check_s:
                    fast_to = bisect.bisect_left(times_s, check_s, index, fast_to)
        if last == stop:
            break
        assert noted is not None
        noted[last] = (None if fresh else level, since, previous)
        mark = next(pending, -1)
    after = (None if fresh else level, since, previous)
    if mark == stop:
        assert noted is not None
        noted[stop] = after
    return stop, *after


class PauseProtocol:
    """The pause protocol for the people it guards: see the module docstring for the rules."""

    def __init__(self, pause: PauseSettings, people: Mapping[str, DetectionSettings]) -> None:
        if not people:
            raise ValueError("a pause protocol guards at least one person")
        self.pause = pause
        self.people = {name: _Person(detection) for name, detection in people.items()}
        # a session of one: its person (`_alone`, asked at every read of a replay)
        self._one: tuple[str, _Person] | None = (
            next(iter(self.people.items())) if len(self.people) == 1 else None
        )
        self.phase = Phase.WATCHING
        self.started_s = 0.0
        self.until_s = 0.0  # the next check: the planned end, later the end of an extension
        self.min_end_s = 0.0  # the planned end: no ready-to-return before it
        self._noted: _Noted | None = None  # what `quiet_until` read last, for a replay

    @property
    def extend_s(self) -> float:
        """How much later the next check comes when the heart is still up at one."""
        return whole_minutes(self.pause.extend_minutes) * MINUTE_S

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
        since_s: float | None = None,
    ) -> list[Event]:
        """A pause for everyone, started by hand (`baselines`: each person's calm now).

        `since_s`: a break that goes on from before (an earlier session's) began then: its
        messages count its minutes from there; its end `minutes` from `t_s` may have passed
        (negative), and then the check comes at the first readings."""
        if self.pausing:
            return []
        for name, baseline in (baselines or {}).items():
            self.people[name].baseline_bpm = baseline
        return [self._start(t_s, manual=True, minutes=minutes, since_s=since_s)]

    def end_manual(self, t_s: float) -> list[Event]:
        """The pause ended early by hand."""
        if not self.pausing:
            return []
        self.phase = Phase.WATCHING
        return [PauseEnded(t_s=t_s, pause_start_s=self.started_s)]

    def on_usable_readings(
        self,
        times_s: Sequence[float],
        bpms: Sequence[float],
        steady: bytes,
        start: int,
        stop: int,
    ) -> tuple[list[tuple[int, Event]], int | None]:
        """`observe` of a session of one for each usable reading `start` .. `stop` - 1 of the
        two sequences during a pause, in one call (a replay): the same arithmetic as
        `Recovery.feed` and the same checks as `_check`, in the same order. `steady`: for
        each reading, whether its step from the one before is that one's step too
        (`flooding.core.batch.same_steps` of the times).

        Returns the events with the index of the reading that gave each, and the index of the
        reading that ended the pause (None: still pausing); readings after it are not read.
        When `quiet_until` noted what reading from `start` to `stop` leaves (and nothing has
        changed since), that is taken instead of reading them again.
        """
        if self.phase is not Phase.PAUSING:
            return [], start
        name, person, recovery = self._alone()
        if recovery is None:
            return [], None
        ceiling = person.ceiling_bpm(self.pause)
        gap_s = person.detection.gap_s
        recovery.ceiling_bpm = ceiling
        recovery.gap_s = gap_s
        level = recovery.level_bpm
        since = recovery.recovered_since
        previous = recovery._t
        events: list[tuple[int, Event]] = []
        ended: int | None = None
        noted = self._noted
        limits = self._limits(ceiling, gap_s)
        if (
            noted is not None
            and stop in noted.states
            and noted.states.get(start) == (level, since, previous)
            and noted.matches(times_s, bpms, recovery, limits)
        ):
            level, since, previous = noted.states[stop]
        else:
            index = start
            while index < stop:
                index, level, since, previous = _quiet_run(
                    times_s, bpms, steady, index, stop, (level, since, previous), limits
                )
                if index == stop:
                    break
                t_s = times_s[index]
                bpm = bpms[index]
                assert level is not None
                if since is not None:  # held near calm long enough (`_quiet_run` made sure)
                    self.phase = Phase.WATCHING
                    ready = ReadyToReturn(
                        t_s=t_s,
                        bpm=bpm,
                        baseline_bpm=person.baseline_bpm,
                        pause_start_s=self.started_s,
                        levels=((name, float(level)),),
                        absent=(),
                    )
                    events.append((index, ready))
                    ended = index
                    break
                # the next check came with the heart still above its calm level
                self.until_s = t_s + self.extend_s
                limits = self._limits(ceiling, gap_s)
                extended = PauseExtended(
                    t_s=t_s,
                    until_s=self.until_s,
                    bpm=bpm,
                    baseline_bpm=person.baseline_bpm,
                    waiting=(name,),
                    absent=(),
                )
                events.append((index, extended))
                index += 1
        recovery.level_bpm = level
        recovery.recovered_since = since
        recovery._t = previous
        if stop > start:
            person.contact = True
            person.last_usable_s = times_s[ended if ended is not None else stop - 1]
        return events, ended

    def quiet_until(
        self,
        times_s: Sequence[float],
        bpms: Sequence[float],
        steady: bytes,
        start: int,
        stop: int,
        marks: Sequence[int] = (),
    ) -> int:
        """The first of the usable readings `start` .. `stop` - 1 during a pause at which
        `on_usable_readings` would give an event (`stop`: none would), without reading
        them: a replay takes the readings before it in one stretch. `steady`: as for
        `on_usable_readings`.

        `marks`: indices (rising) where what reading from `start` up to there leaves is
        noted, for those before that first event: `on_usable_readings` from `start` or
        one of them to another, next, takes it instead of reading again.
        """
        self._noted = None
        if self.phase is not Phase.PAUSING:
            return start
        _, person, recovery = self._alone()
        if recovery is None:
            return stop
        limits = self._limits(person.ceiling_bpm(self.pause), person.detection.gap_s)
        state = (recovery.level_bpm, recovery.recovered_since, recovery._t)
        noted = _Noted(times_s, bpms, recovery, limits, {start: state})
        self._noted = noted
        return _quiet_run(times_s, bpms, steady, start, stop, state, limits, noted.states, marks)[0]

    def _alone(self) -> tuple[str, _Person, Recovery | None]:
        """The one person of a session of one, and their recovery."""
        if self._one is None:
            raise ValueError("readings in one call are for a session of one person")
        name, person = self._one
        return name, person, person.recovery

    def _limits(self, ceiling_bpm: float, gap_s: float) -> _Limits:
        """What reading during the pause checks the readings against, now."""
        return (ceiling_bpm, gap_s, self.min_end_s, self.until_s, self.pause.recovery_hold_s)

    def _start(
        self,
        t_s: float,
        *,
        manual: bool,
        minutes: float | None = None,
        since_s: float | None = None,
    ) -> PauseStarted:
        self.phase = Phase.PAUSING
        self.started_s = t_s if since_s is None else since_s
        length_min = self.pause.minutes if minutes is None else minutes
        if since_s is None:  # a break that goes on keeps the end it had
            length_min = whole_minutes(length_min)
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
        self.until_s = t_s + self.extend_s
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
