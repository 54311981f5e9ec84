"""The flooding detector: pure and streaming. Feed samples, get the state and its changes.

It never reads a clock (time comes in with each sample), keeps bounded memory (a fixed ring
of baseline buckets) and does O(1) work per sample (a median of at most
`baseline_window_s / BUCKET_S` numbers once per bucket).

Rules (see `config/default.toml` for the defaults and their reasons):
- baseline: the median of 10-second bucket means of *calm* readings, over the most recent
  `baseline_window_s` seconds of calm. Calm means: not above a threshold, not rising, not
  flooded, skin contact, no gap, and the baseline not frozen (during a pause or a workout).
- the baseline follows the person, not the fight: once learned, it may rise by at most
  `BASELINE_RISE_BPM_PER_MIN` (it falls freely). A calm heart drifts a few bpm over tens of
  minutes; a climb of several bpm a minute is arousal, and a 5-minute median follows it: at
  3 bpm/min it trails by only ~7 bpm, so a climb from 68 to 98 over 10 minutes never crossed
  baseline + 10. With the limit the gap grows by 2 bpm a minute and crosses after ~5 minutes.
- a calibrated seed (`baseline_bpm`, or one passed in) stands in until the session's own
  baseline is warm, but its relative rule applies only once the session has shown a calm
  10-s bucket below the seeded threshold. A seed from another day can be too low; without this
  check the person's ordinary calm would sit above the seeded threshold, be flooded from the
  first minute and never be learned (readings above a threshold are not calm). Unconfirmed,
  only the absolute rule applies, so calm readings are learned and the own baseline replaces
  the seed after `baseline_min_calm_s`. The seed-to-own step is not rate-limited: own evidence
  beats a guess.
- threshold: the absolute rule (`absolute_bpm`) and the relative rule (baseline plus the
  larger of `margin_bpm` and `margin_pct` % of it), combined by `rules`; before the baseline
  is warm only the absolute rule applies.
- flooded: above the threshold for `confirm_s`, dips shorter than `dip_tolerance_s` allowed;
  released after `release_s` below the threshold minus `release_hysteresis_bpm`.
- a sample without skin contact, or a gap longer than `gap_s` (no samples, or only
  implausible ones), never counts as flooding and restarts a run above threshold.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import NamedTuple

from flooding.core.models import (
    ContactChanged,
    EpisodeEnded,
    EpisodeStarted,
    Event,
    GapDetected,
    Rule,
    Sample,
    State,
)
from flooding.core.settings import DetectionSettings

BUCKET_S = 10.0  # baseline granularity: long enough to average breathing swings, short
#                  enough that a baseline forms within the first couple of minutes
MIN_BUCKET_FILL = 0.5  # a bucket counts only if at least half its seconds had calm readings
BASELINE_RISE_BPM_PER_MIN = 1.0  # fastest rise of a learned baseline, bpm per minute: calm
#                                  drifts slower; arousal climbs faster (see the docstring)
SECONDS_PER_MINUTE = 60.0


class DetectorStep(NamedTuple):
    """The detector's answer to one sample (a named tuple: made once per sample, cheaply)."""

    state: State
    baseline_bpm: float | None
    threshold_bpm: float
    rule: Rule
    flooded: bool
    events: tuple[Event, ...]


class _BaselineRing:
    """The most recent calm bucket means, and their median.

    `value` is the baseline: the own median once warm, else the calibrated seed, else None.
    It changes only when a bucket closes (then `version` counts up), so callers may cache
    anything derived from it by version.
    """

    def __init__(self, settings: DetectionSettings, seed_bpm: float | None) -> None:
        self._capacity = max(1, math.ceil(settings.baseline_window_s / BUCKET_S))
        self._min_buckets = max(1, math.ceil(settings.baseline_min_calm_s / BUCKET_S))
        self._ring: list[float] = []
        self._sorted: list[float] = []  # the ring in order: its median without sorting
        self._next = 0
        self.value: float | None = seed_bpm
        self.version = 0
        self.warm = False  # whether `value` is the session's own (not the seed)
        self._value_t = 0.0  # when the own value last changed (bucket time), seconds
        self.lowest_bucket: float | None = None  # lowest calm bucket mean of the session, bpm
        self._bucket_index: int | None = None
        self._sum = 0.0
        self._n = 0

    def add_current(self, bpm: float) -> None:
        """Add one calm reading to the bucket `tick` last moved to."""
        self._sum += bpm
        self._n += 1

    def tick(self, t_s: float) -> None:
        """Close the current bucket when time has moved past it."""
        index = math.floor(t_s / BUCKET_S)
        if index == self._bucket_index:
            return
        if self._bucket_index is None:
            self._bucket_index = index
            return
        # one reading a second is the strap's pace; demand half a bucket of them
        if self._n >= BUCKET_S * MIN_BUCKET_FILL:
            mean = self._sum / self._n
            ordered = self._sorted
            if len(self._ring) < self._capacity:
                self._ring.append(mean)
            else:
                del ordered[bisect.bisect_left(ordered, self._ring[self._next])]
                self._ring[self._next] = mean
            bisect.insort(ordered, mean)
            self._next = (self._next + 1) % self._capacity
            if self.lowest_bucket is None or mean < self.lowest_bucket:
                self.lowest_bucket = mean
            size = len(ordered)
            if size >= self._min_buckets:
                middle = size // 2  # as statistics.median: the middle one, or the middle two's mean
                median = (
                    ordered[middle] if size % 2 else (ordered[middle - 1] + ordered[middle]) / 2
                )
                t_s = self._bucket_index * BUCKET_S
                if self.warm and self.value is not None:
                    minutes = (t_s - self._value_t) / SECONDS_PER_MINUTE
                    median = min(median, self.value + BASELINE_RISE_BPM_PER_MIN * minutes)
                self.value = median
                self._value_t = t_s
                self.warm = True
            self.version += 1
        self._bucket_index = index
        self._sum = 0.0
        self._n = 0

    @property
    def has_readings(self) -> bool:
        """Whether the bucket in progress holds calm readings already."""
        return self._n > 0

    def set_current(self, bpm_sum: float, count: int) -> None:
        """Fill the empty bucket in progress with `count` calm readings summing to `bpm_sum`
        (added in order: the very sum `add_current` one by one would give)."""
        self._sum = bpm_sum
        self._n = count

    def discard_open_bucket(self) -> None:
        """Forget the bucket in progress (it led into a rise, so it may not be calm)."""
        self._sum = 0.0
        self._n = 0


class Detector:
    """Streaming flooding detector for one person and one session.

    The per-sample path is kept lean (settings read once, the threshold cached until the
    baseline changes): replays of a year of sessions go through it, sample by sample, exactly
    as the live monitor does.
    """

    def __init__(self, settings: DetectionSettings, *, baseline_seed_bpm: float | None = None):
        seed = baseline_seed_bpm if baseline_seed_bpm is not None else settings.baseline_bpm
        self._baseline = _BaselineRing(settings, seed)
        self.frozen = False  # set while pausing or in a workout: the baseline does not learn
        self._last_t: float | None = None
        self._last_plausible_t: float | None = None
        self._contact = True
        self._run_start: float | None = None  # start of the current run above threshold
        self._dip_start: float | None = None
        self._flooded = False
        self._episode_start = 0.0
        self._peak = 0.0
        self._release_start: float | None = None
        self._state = State.WARMING
        self.retune(settings)

    def retune(self, settings: DetectionSettings) -> None:
        """Use other thresholds from now on (a change of mode); the baseline so far is kept."""
        self.settings = settings
        self._gap_s = settings.gap_s
        self._min_bpm = settings.min_plausible_bpm
        self._max_bpm = settings.max_plausible_bpm
        self._hysteresis = settings.release_hysteresis_bpm
        self._release_s = settings.release_s
        self._confirm_s = settings.confirm_s
        self._dip_s = settings.dip_tolerance_s
        self._cached_version = -1
        self._cached: tuple[float, Rule] = (settings.absolute_bpm, Rule.ABSOLUTE)

    @property
    def baseline_bpm(self) -> float | None:
        """The current calm baseline, or None while it is still forming."""
        return self._baseline.value

    @property
    def flooded(self) -> bool:
        """Whether a flooded episode is open."""
        return self._flooded

    def threshold(self) -> tuple[float, Rule]:
        """The heart rate that counts as flooded now, and the rule that sets it."""
        if self._cached_version != self._baseline.version:
            self._cached = self._compute_threshold()
            self._cached_version = self._baseline.version
        return self._cached

    def _compute_threshold(self) -> tuple[float, Rule]:
        s = self.settings
        absolute = s.absolute_bpm
        ring = self._baseline
        base = ring.value
        if base is None:
            return absolute, Rule.ABSOLUTE
        relative = base + max(s.margin_bpm, base * s.margin_pct / 100.0)
        if not ring.warm and (ring.lowest_bucket is None or ring.lowest_bucket >= relative):
            return absolute, Rule.ABSOLUTE  # a seed not yet confirmed by the session's calm
        if s.rules == "absolute":
            return absolute, Rule.ABSOLUTE
        if s.rules == "relative":
            return relative, Rule.RELATIVE
        if s.rules == "both":
            return (relative, Rule.RELATIVE) if relative > absolute else (absolute, Rule.ABSOLUTE)
        return (relative, Rule.RELATIVE) if relative < absolute else (absolute, Rule.ABSOLUTE)

    def feed(self, sample: Sample) -> DetectorStep:
        """Take one sample; return the state and any events it caused."""
        events: list[Event] = []
        t = sample.t_s
        ring = self._baseline
        last = self._last_t
        if last is None:
            self._last_t = t
        else:
            if t - last > self._gap_s:
                events.append(GapDetected(start_s=last, end_s=t))
                self._run_start = self._dip_start = self._release_start = None
                ring.discard_open_bucket()
            if t > last:
                self._last_t = t
        ring.tick(t)

        contact = sample.contact is not False
        if contact != self._contact:
            self._contact = contact
            events.append(ContactChanged(t_s=t, contact=contact))
        threshold, rule = self.threshold()

        if not contact:
            self._run_start = self._dip_start = self._release_start = None
            ring.discard_open_bucket()
            return self._step(State.NO_CONTACT, threshold, rule, events)
        bpm = sample.bpm
        if not self._min_bpm <= bpm <= self._max_bpm:
            # a stretch of sensor errors longer than a gap is a gap: no run lasts across it
            if self._last_plausible_t is not None and t - self._last_plausible_t > self._gap_s:
                self._run_start = self._dip_start = self._release_start = None
                ring.discard_open_bucket()
            return self._step(self._state, threshold, rule, events)
        self._last_plausible_t = t

        if self._flooded:
            if bpm > self._peak:
                self._peak = bpm
            if bpm < threshold - self._hysteresis:
                if self._release_start is None:
                    self._release_start = t
                if t - self._release_start >= self._release_s:
                    events.append(
                        EpisodeEnded(t_s=t, start_s=self._episode_start, peak_bpm=self._peak)
                    )
                    self._flooded = False
                    self._release_start = None
                    self._run_start = None
            else:
                self._release_start = None
            if self._flooded:
                return self._step(State.FLOODED, threshold, rule, events)

        if bpm >= threshold:
            self._dip_start = None
            if self._run_start is None:
                self._run_start = t
                ring.discard_open_bucket()
            if t - self._run_start >= self._confirm_s:
                self._flooded = True
                self._episode_start = self._run_start
                self._peak = bpm
                self._release_start = None
                events.append(
                    EpisodeStarted(
                        t_s=t,
                        onset_s=self._run_start,
                        bpm=bpm,
                        baseline_bpm=ring.value,
                        threshold_bpm=threshold,
                        rule=rule,
                    )
                )
                return self._step(State.FLOODED, threshold, rule, events)
            return self._step(State.RISING, threshold, rule, events)

        if self._run_start is not None:
            if self._dip_start is None:
                self._dip_start = t
            if t - self._dip_start <= self._dip_s:
                return self._step(State.RISING, threshold, rule, events)
            self._run_start = None
            self._dip_start = None

        if not self.frozen:
            ring.add_current(bpm)
        state = State.CALM if ring.value is not None else State.WARMING
        return self._step(state, threshold, rule, events)

    def quiet_bucket(
        self,
        times_s: Sequence[float],
        bpms: Sequence[float],
        start: int,
        stop: int,
        bpm_min: float,
        bpm_max: float,
        gaps: Sequence[int] = (),
    ) -> DetectorStep | None:
        """Begin one baseline bucket whose samples change nothing but the baseline (or the
        peak), all at once: calm ones, or ones that hold a flooded episode.

        The caller has made sure that every sample of the bucket has skin contact and a
        plausible rate and that none follows a gap, and gives their times and rates (items
        `start` .. `stop` - 1 of the two sequences), the lowest and the highest. If the
        detector's own state allows it too (not flooded, no run above threshold, every rate
        under the threshold; or flooded, and not released), the step each of those samples
        gets from `feed` comes back (there are no events), and `take_bucket` must follow.
        Else None: nothing changed but what `feed` does first too (a gap before the first
        sample, the bucket tick); feed the samples one by one.
        `gaps`: the samples (indices, in order) that follow a gap; calm buckets only. Each
        gives its `GapDetected` in the step's events, in order, and the baseline learns from
        the last of them on (`feed` forgets the bucket's readings before a gap).
        """
        if self._last_t is None or not self._contact:
            return None
        if self._flooded:
            if gaps:
                return None
        elif self._run_start is not None:
            return None
        ring = self._baseline
        if gaps and gaps[0] == start:
            ring.discard_open_bucket()
        ring.tick(times_s[start])
        threshold, rule = self.threshold()
        if self._flooded:
            release = None
            below = threshold - self._hysteresis
            if bpm_min < below:  # the release timer, as `feed` runs it
                release = self._release_start
                for index in range(start, stop):
                    t, bpm = times_s[index], bpms[index]
                    if bpm < below:
                        if release is None:
                            release = t
                        if t - release >= self._release_s:
                            return None  # the episode ends in this bucket
                    else:
                        release = None
            self._release_start = release
            if bpm_max > self._peak:
                self._peak = bpm_max
            return self._step(State.FLOODED, threshold, rule, [])
        if bpm_max >= threshold or ring.has_readings:
            return None
        state = State.CALM if ring.value is not None else State.WARMING
        events: list[Event] = [GapDetected(times_s[j - 1], times_s[j]) for j in gaps]
        return self._step(state, threshold, rule, events)

    def take_bucket(self, t_last_s: float, count: int, bpm_sum: float) -> None:
        """End the bucket `quiet_bucket` began: its last sample's time, and the calm readings
        the baseline learns from it (none while flooded or frozen; else how many, and their
        rates' sum added in order as `feed` adds them)."""
        if self._last_t is None or t_last_s > self._last_t:
            self._last_t = t_last_s
        self._last_plausible_t = t_last_s
        if count:
            self._baseline.set_current(bpm_sum, count)

    def _step(
        self, state: State, threshold: float, rule: Rule, events: list[Event]
    ) -> DetectorStep:
        self._state = state
        return DetectorStep(
            state,
            self._baseline.value,
            threshold,
            rule,
            self._flooded,
            tuple(events) if events else (),
        )
