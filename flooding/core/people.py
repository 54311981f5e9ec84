"""A session of N people (N = 1 or 2), pure: each person's own engine, one pause for all.

Flooding happens between people: one pursues, the other withdraws, and both bodies are in
it. Each person has their own detector, calm baseline and settings (their profile); the
session has one pause protocol (`flooding.core.pause`, which holds the rules). One person's
session is the same with N = 1: it gives exactly what that person's `Engine` gives.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from flooding.core.detector import STRAP_STEP_S
from flooding.core.engine import Engine
from flooding.core.models import (
    PAUSE_EVENTS,
    SOLO,
    EpisodeStarted,
    Event,
    Mode,
    Reading,
    Sample,
)
from flooding.core.pause import PauseProtocol, usable_bpm
from flooding.core.settings import Settings, profile_settings


def person_settings_for(settings: Settings, people: Sequence[str]) -> dict[str, Settings]:
    """Each person's settings: their profile on top of the shared ones, where they have one."""
    return {
        name: profile_settings(settings, name) if name in settings.profiles else settings
        for name in people
    }


class PeopleEngine:
    """The people's engines (detector + beat rate each) and the session's pause protocol.

    `feed(person, sample)` gives that person's reading; its events are theirs (episodes,
    contact, gaps) plus any of the pause protocol's (`PAUSE_EVENTS`, the session's), and
    `pausing` / `pause_until_s` are the session's.
    """

    def __init__(
        self,
        settings: Settings,
        people: Sequence[str] = (SOLO,),
        *,
        modes: Mapping[str, Mode | None] | None = None,
        baseline_seed_bpm: float | None = None,
        steps_s: Mapping[str, float] | None = None,
    ) -> None:
        """`baseline_seed_bpm`: a calm baseline to start from (one person's session only).
        `steps_s`: each person's source's pace (`Engine`; by default a strap's)."""
        self.settings = settings
        self.people = tuple(people)
        self.person_settings = (
            {SOLO: settings} if self.people == (SOLO,) else person_settings_for(settings, people)
        )
        modes = modes or {}
        steps_s = steps_s or {}
        self.engines = {
            name: Engine(
                self.person_settings[name],
                mode=modes.get(name),
                baseline_seed_bpm=baseline_seed_bpm,
                solo=False,
                step_s=steps_s.get(name, STRAP_STEP_S),
            )
            for name in self.people
        }
        self.protocol = PauseProtocol(
            settings.pause, {name: engine.detection for name, engine in self.engines.items()}
        )

    def feed(self, person: str, sample: Sample) -> Reading:
        """One sample from one person's strap."""
        return self._with_pause(person, self.engines[person].feed(sample))

    def feed_derived(self, person: str, sample: Sample, bpm: float) -> Reading:
        """One sample whose detection heart rate is already known (`run_people_batch`)."""
        return self._with_pause(person, self.engines[person].feed_derived(sample, bpm))

    def _with_pause(self, person: str, reading: Reading) -> Reading:
        engine = self.engines[person]
        was = self.protocol.pausing
        extra = self.protocol.observe(
            person,
            reading.t_s,
            bpm=usable_bpm(reading.bpm, reading.unusable),
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

    def start_pause(
        self,
        t_s: float,
        minutes: float | None = None,
        baselines: Mapping[str, float | None] | None = None,
        since_s: float | None = None,
    ) -> list[Event]:
        """A pause for everyone, by hand; `baselines`: each person's calm to come back to
        (default: their calm now; a break that goes on from an earlier session: its own);
        `since_s`: such a break's real start (`PauseProtocol.start_manual`)."""
        if baselines is None:
            baselines = {name: e.detector.baseline_bpm for name, e in self.engines.items()}
        events = self.protocol.start_manual(t_s, minutes, baselines, since_s)
        self._sync()
        return events

    def end_pause(self, t_s: float) -> list[Event]:
        """End the pause for everyone early, by hand."""
        events = self.protocol.end_manual(t_s)
        self._sync()
        return events

    def set_mode(self, person: str, mode: Mode, t_s: float) -> list[Event]:
        """One person switches between talk and workout at `t_s`; that person's events
        (`Engine.set_mode`)."""
        engine = self.engines[person]
        events = engine.set_mode(mode, t_s)
        self.protocol.set_detection(person, engine.detection)
        return events

    def _sync(self) -> None:
        for engine in self.engines.values():
            engine.set_shared_pause(self.protocol.pausing)


@dataclass
class PeopleBatch:
    """What a replay of several tracks produced: (person, event), person "" (`SOLO`, the
    session's own track) for the pause protocol's events."""

    events: list[tuple[str, Event]] = field(default_factory=list)


_Keyed = tuple[float, int, int, str, Sample]
PROGRESS_SAMPLES = 10_000  # a batch's progress is told this often (in samples pushed)


def merged(tracks: Mapping[str, Sequence[Sample]]) -> Iterable[tuple[str, Sample]]:
    """Every track's samples in time order (ties: in the order of the people)."""

    def keyed(order: int, name: str, samples: Sequence[Sample]) -> Iterable[_Keyed]:
        return ((s.t_s, order, n, name, s) for n, s in enumerate(samples))

    streams = [keyed(i, name, samples) for i, (name, samples) in enumerate(tracks.items())]
    for _t, _o, _n, name, sample in heapq.merge(*streams):
        yield name, sample


def run_people_batch(
    tracks: Mapping[str, Sequence[Sample]],
    settings: Settings,
    *,
    modes: Mapping[str, Mode | None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> PeopleBatch:
    """Push recorded tracks through a fresh engine for their people, as live would (in time
    order), each at its recording's own pace (`flooding.core.batch.usual_step_s`).
    `progress` is told the samples pushed so far, every PROGRESS_SAMPLES and at the end."""
    from flooding.core.batch import samples_step_s
    from flooding.core.beats.fast import fast_rates

    steps_s = {name: samples_step_s(samples) for name, samples in tracks.items()}
    engine = PeopleEngine(settings, list(tracks), modes=modes, steps_s=steps_s)
    rates = {name: iter(fast_rates(list(samples))) for name, samples in tracks.items()}
    result = PeopleBatch()
    for pushed, (name, sample) in enumerate(merged(tracks), 1):
        reading = engine.feed_derived(name, sample, next(rates[name]))
        for event in reading.events:
            result.events.append((SOLO if isinstance(event, PAUSE_EVENTS) else name, event))
        if progress is not None and not pushed % PROGRESS_SAMPLES:
            progress(pushed)
    if progress is not None:
        progress(sum(len(samples) for samples in tracks.values()))
    return result
