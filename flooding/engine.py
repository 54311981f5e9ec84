"""The pure core wired together: detector + pause protocol, one sample at a time.

The live monitor, the demo, replays and tuning all push samples through an `Engine`, so
offline results equal live ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flooding.coach import PauseProtocol, Phase
from flooding.config import Settings, alerts_in, detection_for
from flooding.detector import Detector, DetectorStep
from flooding.models import EpisodeStarted, Event, Mode, Reading, Sample, State


class Engine:
    """One person's detector and pause protocol for one session.

    The mode picks the detection settings (`detection_for`: [detection] with the mode's
    overrides) and whether an episode alerts (`alerts_in`: in a workout, by default not).
    The baseline learns only from calm talk time: never during a pause or a workout.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        mode: Mode | None = None,
        baseline_seed_bpm: float | None = None,
    ) -> None:
        self.settings = settings
        self.mode = settings.mode if mode is None else mode
        self.detection = detection_for(settings, self.mode)
        self.detector = Detector(self.detection, baseline_seed_bpm=baseline_seed_bpm)
        self.protocol = PauseProtocol(settings.pause, self.detection)
        self._alerts = alerts_in(settings, self.mode)
        self._sync_freeze()

    def feed(self, sample: Sample) -> Reading:
        """Take one sample; return the reading for the live line, with any events."""
        step, events = self._advance(sample)
        return Reading(
            t_s=sample.t_s,
            bpm=sample.bpm,
            state=step.state,
            baseline_bpm=step.baseline_bpm,
            threshold_bpm=step.threshold_bpm,
            pausing=self.protocol.pausing,
            pause_until_s=self.protocol.until_s if self.protocol.pausing else None,
            events=tuple(events),
        )

    def feed_events(self, sample: Sample) -> list[Event]:
        """Take one sample; return only its events (replays that need no live line)."""
        return self._advance(sample)[1]

    def _advance(self, sample: Sample) -> tuple[DetectorStep, list[Event]]:
        step = self.detector.feed(sample)
        events: list[Event] = list(step.events) if step.events else []
        protocol = self.protocol
        for event in step.events:
            if isinstance(event, EpisodeStarted):
                events += protocol.on_episode(event, alerts_allowed=self._alerts)
                self._sync_freeze()
        if protocol.phase is Phase.PAUSING:
            detection = self.detection
            usable = (
                step.state is not State.NO_CONTACT
                and step.state is not State.GAP
                and (detection.min_plausible_bpm <= sample.bpm <= detection.max_plausible_bpm)
            )
            events += protocol.on_reading(sample.t_s, sample.bpm if usable else None)
            self._sync_freeze()
        return step, events

    def start_pause(self, t_s: float, minutes: float | None = None) -> list[Event]:
        """Start a pause by hand."""
        events = self.protocol.start_manual(t_s, self.detector.baseline_bpm, minutes)
        self._sync_freeze()
        return events

    def end_pause(self, t_s: float) -> list[Event]:
        """End the pause early by hand."""
        events = self.protocol.end_manual(t_s)
        self._sync_freeze()
        return events

    def set_mode(self, mode: Mode) -> None:
        """Switch between talk and workout mode (the baseline learned so far is kept)."""
        self.mode = mode
        self.detection = detection_for(self.settings, mode)
        self.detector.retune(self.detection)
        self.protocol.detection = self.detection
        self._alerts = alerts_in(self.settings, mode)
        self._sync_freeze()

    def _sync_freeze(self) -> None:
        # the baseline learns only from calm talk time: never during a pause or a workout
        self.detector.frozen = self.protocol.pausing or self.mode is Mode.WORKOUT


@dataclass
class BatchResult:
    """Everything a replay produced."""

    readings: list[Reading] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def run_batch(
    samples: Iterable[Sample],
    settings: Settings,
    *,
    mode: Mode | None = None,
    baseline_seed_bpm: float | None = None,
    keep_readings: bool = False,
) -> BatchResult:
    """Push recorded samples through a fresh engine, exactly as the live monitor would."""
    engine = Engine(settings, mode=mode, baseline_seed_bpm=baseline_seed_bpm)
    result = BatchResult()
    if keep_readings:
        for sample in samples:
            reading = engine.feed(sample)
            result.readings.append(reading)
            result.events.extend(reading.events)
        return result
    # the same steps as `feed`, without building a live-line reading per sample
    extend = result.events.extend
    advance = engine.feed_events
    for sample in samples:
        extend(advance(sample))
    return result
