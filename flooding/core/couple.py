"""Couple mode, pure: two hearts in one conversation, one alert, one pause for both.

Flooding happens between two people: one pursues, the other withdraws, and both bodies are
in it. Each partner has their own detector, calm baseline and settings (their profile); the
conversation has one pause protocol:

- **Counted.** A person's heart is *counted* at a moment unless
  (1) their mode gives no alerts (workout, unless `[workout] alerts = true` for them):
      reason "workout";
  (2) their latest reading says the strap has no skin contact: reason "no-contact";
  (3) no usable reading (skin contact, plausible, no gap) has come from them for longer
      than their `detection.gap_s` (a dropped strap, or none yet): reason "no-signal".
  A heart that is not counted neither starts an alert nor holds up the return; every
  message of the pause names who is not counted and why.
- **Alert.** While watching, the first confirmed flooded episode of a counted person gives
  one `CoupleAlert` (naming that person in the data; the words name them only with
  `couple.name_who`) and starts the pause for both (`CouplePauseStarted`, `pause.minutes`).
  No further alerts while pausing; both baselines are frozen.
- **Ready.** `CoupleReady` comes at the first moment when the pause has lasted its planned
  length AND every counted heart has stayed within `pause.recovery_margin_bpm` of its own
  calm baseline from before the pause (a 10-s average, as for one person) for
  `pause.recovery_hold_s`, AND at least one heart is counted (with nobody measured,
  nothing says you have calmed down).
- **Not yet.** At each planned end while a counted heart is still above its calm level
  (or nobody is counted): `CouplePauseExtended` by `pause.extend_minutes`, naming the
  people still settling. Back within the margin but not yet for the whole hold is not
  "still elevated": ready follows once the hold is complete.
- Started by hand (`flooding pause`): a pause for both; ended by hand: `CouplePauseEnded`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from flooding.core.engine import Engine
from flooding.core.models import (
    Absent,
    CoupleAlert,
    CoupleEvent,
    CouplePauseEnded,
    CouplePauseExtended,
    CouplePauseStarted,
    CoupleReady,
    EpisodeStarted,
    Event,
    Mode,
    Reading,
    Sample,
    State,
)
from flooding.core.pause import MINUTE_S, Phase, Recovery
from flooding.core.settings import PauseSettings, Settings, profile_settings

WORKOUT = "workout"
NO_CONTACT = "no-contact"
NO_SIGNAL = "no-signal"
COUPLE_EVENTS = (
    CoupleAlert,
    CouplePauseStarted,
    CouplePauseExtended,
    CoupleReady,
    CouplePauseEnded,
)


def is_couple_event(event: Event) -> bool:
    """Whether an event belongs to the conversation (both), not to one person's heart."""
    return isinstance(event, COUPLE_EVENTS)


@dataclass
class _Person:
    gap_s: float
    fallback_ceiling_bpm: float  # when no calm baseline was known at the pause
    alerts: bool = True
    contact: bool = True
    last_usable_s: float | None = None
    baseline_bpm: float | None = None
    recovery: Recovery | None = None


@dataclass(frozen=True)
class PersonTrack:
    """What the protocol needs to know about one person (from their settings)."""

    gap_s: float
    absolute_bpm: float
    margin_bpm: float


class CoupleProtocol:
    """The pause protocol for two: see the module docstring for the rules."""

    def __init__(self, pause: PauseSettings, people: Mapping[str, PersonTrack]) -> None:
        if len(people) < 2:
            raise ValueError("couple mode needs two people")
        self.pause = pause
        self.people = {
            name: _Person(gap_s=p.gap_s, fallback_ceiling_bpm=p.absolute_bpm - p.margin_bpm)
            for name, p in people.items()
        }
        self.phase = Phase.WATCHING
        self.started_s = 0.0
        self.until_s = 0.0
        self.min_end_s = 0.0

    @property
    def pausing(self) -> bool:
        """Whether the pause for both is running."""
        return self.phase is Phase.PAUSING

    def why_not_counted(self, name: str, t_s: float) -> str | None:
        """Why a person's heart is not counted at `t_s` (None: it is counted)."""
        person = self.people[name]
        if not person.alerts:
            return WORKOUT
        if not person.contact:
            return NO_CONTACT
        if person.last_usable_s is None or t_s - person.last_usable_s > person.gap_s:
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
        if not self.pausing:
            person.baseline_bpm = baseline_bpm
            for episode in episodes:
                if self.why_not_counted(name, t_s) is None:
                    alert = CoupleAlert(
                        t_s=episode.t_s,
                        person=name,
                        bpm=episode.bpm,
                        baseline_bpm=episode.baseline_bpm,
                        threshold_bpm=episode.threshold_bpm,
                        rule=episode.rule,
                        absent=self.absent(t_s),
                    )
                    return [alert, self._start(t_s, manual=False)]
            return []
        recovery = person.recovery
        if recovery is not None:
            recovery.feed(t_s, bpm)
        return self._check(t_s)

    def start_manual(self, t_s: float, minutes: float | None = None) -> list[Event]:
        """A pause for both, started by hand."""
        if self.pausing:
            return []
        return [self._start(t_s, manual=True, minutes=minutes)]

    def end_manual(self, t_s: float) -> list[Event]:
        """The pause ended early by hand."""
        if not self.pausing:
            return []
        self.phase = Phase.WATCHING
        return [CouplePauseEnded(t_s=t_s, pause_start_s=self.started_s)]

    def _start(self, t_s: float, *, manual: bool, minutes: float | None = None) -> Event:
        self.phase = Phase.PAUSING
        self.started_s = t_s
        length = self.pause.minutes if minutes is None else minutes
        self.until_s = self.min_end_s = t_s + length * MINUTE_S
        for person in self.people.values():
            ceiling = (
                person.baseline_bpm + self.pause.recovery_margin_bpm
                if person.baseline_bpm is not None
                else person.fallback_ceiling_bpm
            )
            person.recovery = Recovery(ceiling, person.gap_s, t_s)
        baselines = tuple((name, p.baseline_bpm) for name, p in self.people.items())
        return CouplePauseStarted(t_s=t_s, until_s=self.until_s, baselines=baselines, manual=manual)

    def _check(self, t_s: float) -> list[Event]:
        if t_s < self.min_end_s:
            return []
        absent = self.absent(t_s)
        away = {name for name, _ in absent}
        counted = [name for name in self.people if name not in away]
        recoveries = {name: self.people[name].recovery for name in counted}
        if counted and all(
            r is not None and r.held(t_s, self.pause.recovery_hold_s) for r in recoveries.values()
        ):
            self.phase = Phase.WATCHING
            levels = tuple(
                (name, float(r.level_bpm))
                for name, r in recoveries.items()
                if r is not None and r.level_bpm is not None
            )
            return [
                CoupleReady(t_s=t_s, pause_start_s=self.started_s, levels=levels, absent=absent)
            ]
        if t_s >= self.until_s:
            waiting = tuple(
                name for name, r in recoveries.items() if r is None or r.recovered_since is None
            )
            if waiting or not counted:
                self.until_s = t_s + self.pause.extend_minutes * MINUTE_S
                return [
                    CouplePauseExtended(
                        t_s=t_s, until_s=self.until_s, waiting=waiting, absent=absent
                    )
                ]
        return []


def person_settings_for(settings: Settings, people: Sequence[str]) -> dict[str, Settings]:
    """Each person's settings: their profile on top of the shared ones, where they have one."""
    return {
        name: profile_settings(settings, name) if name in settings.profiles else settings
        for name in people
    }


class CoupleEngine:
    """Two partners' engines (detector + beat rate each) and the couple pause protocol.

    `feed(person, sample)` gives that person's reading; its events are theirs (episodes,
    contact, gaps) plus any couple event (see `is_couple_event`), and `pausing` /
    `pause_until_s` are the couple's.
    """

    def __init__(
        self,
        settings: Settings,
        people: Sequence[str],
        *,
        modes: Mapping[str, Mode | None] | None = None,
    ) -> None:
        self.settings = settings
        self.people = tuple(people)
        self.person_settings = person_settings_for(settings, self.people)
        modes = modes or {}
        self.engines = {
            name: Engine(self.person_settings[name], mode=modes.get(name), solo=False)
            for name in self.people
        }
        self.protocol = CoupleProtocol(
            settings.pause,
            {
                name: PersonTrack(
                    gap_s=engine.detection.gap_s,
                    absolute_bpm=engine.detection.absolute_bpm,
                    margin_bpm=engine.detection.margin_bpm,
                )
                for name, engine in self.engines.items()
            },
        )

    def feed(self, person: str, sample: Sample) -> Reading:
        """One sample from one person's strap."""
        return self._couple(person, self.engines[person].feed(sample))

    def feed_derived(self, person: str, sample: Sample, bpm: float) -> Reading:
        """One sample whose detection heart rate is already known (`run_couple_batch`)."""
        return self._couple(person, self.engines[person].feed_derived(sample, bpm))

    def _couple(self, person: str, reading: Reading) -> Reading:
        engine = self.engines[person]
        detection = engine.detection
        usable = (
            reading.state is not State.NO_CONTACT
            and reading.state is not State.GAP
            and detection.min_plausible_bpm <= reading.bpm <= detection.max_plausible_bpm
        )
        was = self.protocol.pausing
        extra = self.protocol.observe(
            person,
            reading.t_s,
            bpm=reading.bpm if usable else None,
            state=reading.state,
            baseline_bpm=reading.baseline_bpm,
            alerts=engine.alerts,
            episodes=[e for e in reading.events if isinstance(e, EpisodeStarted)],
        )
        if self.protocol.pausing != was:
            self._sync()
        return replace(
            reading,
            pausing=self.protocol.pausing,
            pause_until_s=self.protocol.until_s if self.protocol.pausing else None,
            events=reading.events + tuple(extra) if extra else reading.events,
        )

    def start_pause(self, t_s: float, minutes: float | None = None) -> list[Event]:
        """A pause for both, by hand."""
        events = self.protocol.start_manual(t_s, minutes)
        self._sync()
        return events

    def end_pause(self, t_s: float) -> list[Event]:
        """End the pause for both early, by hand."""
        events = self.protocol.end_manual(t_s)
        self._sync()
        return events

    def set_mode(self, person: str, mode: Mode) -> None:
        """One person switches between talk and workout."""
        self.engines[person].set_mode(mode)

    def _sync(self) -> None:
        for engine in self.engines.values():
            engine.set_shared_pause(self.protocol.pausing)


@dataclass
class CoupleBatch:
    """What a couple replay produced: (person, event), person "" for the couple's events."""

    events: list[tuple[str, Event]] = field(default_factory=list)


_Keyed = tuple[float, int, int, str, Sample]


def merged(tracks: Mapping[str, Sequence[Sample]]) -> Iterable[tuple[str, Sample]]:
    """Both tracks' samples in time order (ties: in the order of the people)."""

    def keyed(order: int, name: str, samples: Sequence[Sample]) -> Iterable[_Keyed]:
        return ((s.t_s, order, n, name, s) for n, s in enumerate(samples))

    streams = [keyed(i, name, samples) for i, (name, samples) in enumerate(tracks.items())]
    for _t, _o, _n, name, sample in heapq.merge(*streams):
        yield name, sample


def run_couple_batch(
    tracks: Mapping[str, Sequence[Sample]],
    settings: Settings,
    *,
    modes: Mapping[str, Mode | None] | None = None,
) -> CoupleBatch:
    """Push two recorded tracks through a fresh couple engine, as live would (in time order)."""
    from flooding.core.beats.fast import fast_rates

    engine = CoupleEngine(settings, list(tracks), modes=modes)
    rates = {name: iter(fast_rates(list(samples))) for name, samples in tracks.items()}
    result = CoupleBatch()
    for name, sample in merged(tracks):
        reading = engine.feed_derived(name, sample, next(rates[name]))
        for event in reading.events:
            result.events.append(("" if is_couple_event(event) else name, event))
    return result


__all__ = [
    "COUPLE_EVENTS",
    "CoupleBatch",
    "CoupleEngine",
    "CoupleEvent",
    "CoupleProtocol",
    "PersonTrack",
    "is_couple_event",
    "merged",
    "run_couple_batch",
]
