"""The pure core wired together: beats -> detector + pause protocol, one sample at a time.

The live monitor, the demo, replays and tuning all push samples through an `Engine`, so
offline results equal live ones.

Heart rate: when the strap sends RR intervals, the detector sees `FastRate`'s low-latency,
artifact-robust estimate from the beats (see `flooding.core.beats.fast` for the choice and its
measurements); without RR (or when beats stop) it sees the strap's own value. Heart-rate
variability is not the engine's: reviews compute it from the stored beats
(`flooding.core.beats.hrv`). `run_batch` gives exactly what feeding the samples one by one gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flooding.core.detector import STRAP_STEP_S, Detector, DetectorStep, at_pace
from flooding.core.models import SOLO, EpisodeStarted, Event, Mode, Reading, Sample
from flooding.core.pause import PauseProtocol, Phase, usable_bpm
from flooding.core.settings import DetectionSettings, Settings, alerts_in, detection_for

if TYPE_CHECKING:
    from flooding.core.batch import PreparedSamples, ReadingTrace
    from flooding.core.beats.columns import SampleColumns


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
        solo: bool = True,
        classic: bool = False,
        step_s: float = STRAP_STEP_S,
    ) -> None:
        """`solo=False`: one of the people of a `flooding.core.people.PeopleEngine`. Episodes
        then give no alert or pause of their own (the session's protocol decides), and
        `shared_pause` freezes the baseline. `classic=True`: the detection rules from before
        the settling, floor, movement and step rules (`Detector`), for comparisons, at a
        strap's pace. `step_s`: the source's usual seconds between readings (a strap's
        second; a recording's own, `flooding.core.batch.usual_step_s`): the gap and a
        baseline bucket's fill follow it (`at_pace`, `bucket_fill`)."""
        self.settings = settings
        self.solo = solo
        self.shared_pause = False
        self.step_s = STRAP_STEP_S if classic else step_s
        self.mode = settings.mode if mode is None else mode
        self.detection = self.detection_in(self.mode)
        self.detector = Detector(
            self.detection,
            baseline_seed_bpm=baseline_seed_bpm,
            classic=classic,
            step_s=self.step_s,
        )
        self.protocol = PauseProtocol(settings.pause, {SOLO: self.detection})
        self._alerts = alerts_in(settings, self.mode)
        # imported here, not at the top: the beat path needs numpy, and commands that import
        # the engine must keep `flooding --help` light
        from flooding.core.beats.fast import FastRate

        self._rate = FastRate()
        self._sync_freeze()

    def detection_in(self, mode: Mode) -> DetectionSettings:
        """The detection settings this engine uses in `mode`: [detection] with the mode's
        overrides (`detection_for`), at the source's pace (`at_pace`)."""
        return at_pace(detection_for(self.settings, mode), self.step_s)

    def feed(self, sample: Sample) -> Reading:
        """Take one strap sample; return the reading for the live line, with any events."""
        return self.feed_derived(sample, self._rate.bpm(sample))

    def feed_derived(self, sample: Sample, bpm: float) -> Reading:
        """Take one sample whose detection heart rate is already known (`run_batch`)."""
        t_s = sample.t_s
        if bpm == sample.bpm:
            bpm = sample.bpm  # the strap's own value stands (as it was, not an equal one)
        step, events = self._advance(t_s, bpm, sample.contact, sample.activity_g)
        protocol = self.protocol
        pausing = protocol.phase is Phase.PAUSING
        return Reading(
            t_s=t_s,
            bpm=bpm,
            state=step.state,
            baseline_bpm=step.baseline_bpm,
            threshold_bpm=step.threshold_bpm,
            pausing=pausing,
            pause_until_s=protocol.until_s if pausing else None,
            events=tuple(events),
            waiting=step.waiting,
            unusable=step.unusable,
        )

    def _advance(
        self, t_s: float, bpm: float, contact: bool | None, activity_g: float | None
    ) -> tuple[DetectorStep, list[Event]]:
        """One sample, given by its fields, through the detector and (alone) the protocol."""
        step = self.detector.feed_values(t_s, bpm, contact, activity_g)
        said = step.events
        protocol = self.protocol
        # only an episode or a running pause concerns the protocol (alone, what it knows of
        # the heart is the reading it is given: nothing is lost between)
        if not said:
            if not self.solo or protocol.phase is not Phase.PAUSING:
                return step, []
            episodes: list[EpisodeStarted] = []
        elif not self.solo:
            return step, list(said)
        else:
            episodes = [e for e in said if isinstance(e, EpisodeStarted)]
            if not episodes and protocol.phase is not Phase.PAUSING:
                return step, list(said)
        events: list[Event] = list(said)
        pausing = protocol.phase is Phase.PAUSING
        events += protocol.observe(
            SOLO,
            t_s,
            bpm=usable_bpm(bpm, step.unusable),
            state=step.state,
            baseline_bpm=step.baseline_bpm,
            alerts=self._alerts,
            episodes=episodes,
        )
        if (protocol.phase is Phase.PAUSING) != pausing:
            self._sync_freeze()  # only the protocol's phase can have changed what it says
        return step, events

    def start_pause(self, t_s: float, minutes: float | None = None) -> list[Event]:
        """Start a pause by hand."""
        events = self.protocol.start_manual(t_s, minutes, {SOLO: self.detector.baseline_bpm})
        self._sync_freeze()
        return events

    def end_pause(self, t_s: float) -> list[Event]:
        """End the pause early by hand."""
        events = self.protocol.end_manual(t_s)
        self._sync_freeze()
        return events

    def set_mode(self, mode: Mode, t_s: float) -> list[Event]:
        """Switch between talk and workout mode at `t_s` (the baseline learned so far is
        kept); the events that gave. Leaving a workout ends the movement it was
        (`Detector.workout_ended`): an episode open since then ends, and the heart still up
        counts only as a new rise."""
        events = self.detector.workout_ended(t_s) if self.mode is Mode.WORKOUT else []
        self.mode = mode
        self.detection = self.detection_in(mode)
        self.detector.retune(self.detection)
        self.protocol.set_detection(SOLO, self.detection)
        self._alerts = alerts_in(self.settings, mode)
        self._sync_freeze()
        return events

    def _sync_freeze(self) -> None:
        # the baseline learns only from calm talk time: never during a pause or a workout
        self.detector.frozen = (
            self.protocol.pausing or self.shared_pause or self.mode is Mode.WORKOUT
        )

    def set_shared_pause(self, pausing: bool) -> None:
        """The session's pause for everyone started or ended (the baseline does not learn)."""
        self.shared_pause = pausing
        self._sync_freeze()

    @property
    def alerts(self) -> bool:
        """Whether an episode in the current mode may alert (talk; workout only if asked)."""
        return self._alerts


@dataclass(frozen=True)
class Control:
    """Something done by hand during a recorded session, for a replay: applied just before
    the sample with index `before`, at session time `t_s`. One of: switch to `mode`; start a
    pause (`pause=True`, optionally for `pause_minutes`); end the pause (`pause=False`)."""

    before: int
    t_s: float
    mode: Mode | None = None
    pause: bool | None = None
    pause_minutes: float | None = None

    def apply(self, engine: Engine) -> list[Event]:
        """Do it to `engine`, as the session runner would; the events it gave."""
        if self.mode is not None:
            return engine.set_mode(self.mode, self.t_s)
        if self.pause is True:
            return engine.start_pause(self.t_s, self.pause_minutes)
        if self.pause is False:
            return engine.end_pause(self.t_s)
        return []


class BatchResult:
    """Everything a replay produced: its events and, when kept, a reading per sample.

    The readings are held as columns (`trace`) and become `Reading` values only when asked
    for (`readings`), so a replay that needs a column or two (a plot) never builds them.
    """

    def __init__(self, events: list[Event] | None = None, trace: ReadingTrace | None = None):
        self.events: list[Event] = [] if events is None else events
        self.trace = trace

    @property
    def readings(self) -> Sequence[Reading]:
        """Every sample's reading, as `Engine.feed` gives it (empty unless kept); each made
        when asked for (`flooding.core.batch.TraceReadings`)."""
        from flooding.core.batch import TraceReadings

        return TraceReadings(self.trace)


def run_batch(
    samples: Iterable[Sample] | SampleColumns | PreparedSamples,
    settings: Settings,
    *,
    mode: Mode | None = None,
    baseline_seed_bpm: float | None = None,
    keep_readings: bool = False,
    controls: Sequence[Control] = (),
    classic: bool = False,
    step_s: float | None = None,
) -> BatchResult:
    """Push recorded samples through a fresh engine, exactly as the live monitor would.

    The same events and readings as feeding them one by one to an engine at the same pace
    (`flooding.core.batch` says how); `samples` may be their columns (as a reader or the
    store holds them), or a `PreparedSamples` kept from an earlier replay of the same session.
    `controls`: mode switches and pauses by hand, each applied just before its sample.
    `classic`: the detection rules from before issue 15 (see `Detector`), for comparisons.
    `step_s`: the source's pace (`Engine`); by default the recording's own
    (`PreparedSamples.usual_step_s`: a strap's second, or a watch's export's 5 s).
    """
    from flooding.core.batch import PreparedSamples, prepare, replay

    prepared = samples if isinstance(samples, PreparedSamples) else prepare(samples)
    engine = Engine(
        settings,
        mode=mode,
        baseline_seed_bpm=baseline_seed_bpm,
        classic=classic,
        step_s=prepared.usual_step_s if step_s is None else step_s,
    )
    return replay(engine, prepared, keep_readings=keep_readings, controls=controls)
