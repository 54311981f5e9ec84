"""The flooding detector: pure and streaming. Feed samples, get the state and its changes.

It never reads a clock (time comes in with each sample), keeps bounded memory (fixed rings
of baseline buckets, the few readings of the last `STEP_S`) and does O(1) work per sample
(a sorted insert into at most `FLOOR_WINDOW_S / BUCKET_S` numbers once per bucket).

Rules (see `config/default.toml` for the defaults and their reasons):
- baseline: the median of 10-second bucket means of *calm* readings, over the most recent
  `baseline_window_s` seconds of calm. Calm means: not above a threshold, not rising, not
  flooded, skin contact, no gap, and the baseline not frozen (during a pause or a workout).
- the baseline follows the person, not the fight: once learned, it may rise by at most
  `BASELINE_RISE_BPM_PER_MIN` (it falls freely). A calm heart drifts a few bpm over tens of
  minutes (after a meal, one of its larger drifts, about 10 bpm over half an hour or more);
  a climb of a bpm a minute or more is arousal, and a 5-minute median follows it: at 3
  bpm/min it trails by only ~7 bpm, so a climb from 68 to 98 over 10 minutes never crossed
  baseline + 10. With the limit the gap grows by 2.7 bpm a minute and crosses after ~3.5
  minutes. The limit was 1 bpm a minute: a talk's climb of 1-2 bpm a minute was then
  largely learned as calm (the threshold rose with it, and the flood that came of it was
  caught late or not at all).
  The minutes are minutes of calm learned: a bucket learned after a stretch that was not
  (a pause, a workout, a rise, an episode, a gap) may raise it by one bucket's worth, as
  any other. Time not learned brings no calm to follow; counted, it let the baseline take
  up at a pause's end all of the climb the limit had held back before the pause, so the
  threshold rose by what the fight had added.
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
  implausible ones), never counts as flooding and restarts a run above threshold. A sample
  without contact or outside the plausible range is not used at all; its step says which
  (`DetectorStep.unusable`, the reading's `unusable`: decided here, nowhere else).
- the source's pace (`step_s`: a strap's reading a second, or a recording's usual step,
  `flooding.core.batch.usual_step_s`): every count above was made for a strap. At a slower
  pace (a watch's export, a reading every 5-15 s) a bucket counts with the calm readings
  that cover half its seconds (`bucket_fill`: one at 5 s), and a gap is more than
  `GAP_STEPS` usual steps without a reading (`at_pace`: 15 s at 5 s). Read at a strap's
  pace such a recording never learned its calm, and each of its 10-15-s steps was a gap
  that restarted a rise's confirmation.

Rules for real life (issue 15; `classic=True` turns all of them off, for comparisons):
- settling: buckets of the first `SETTLE_S` after the first usable reading are not learned
  into the baseline (the strap's contact and the heart of someone who just sat down are
  still settling). Every plausible reading of them that is not flooded (even one above the
  absolute threshold: for a person whose calm sits above 100 bpm, that is their calm) is the
  provisional calm, never taken above `PROVISIONAL_MAX_BPM` (a heart racing when the strap
  goes on is not a calm to learn); until the own baseline is warm only the absolute rule
  applies, raised to the provisional calm plus the margin (with `rules = "either"`), so a
  person whose calm sits near `absolute_bpm` is not flooded in the first minutes; during the
  settling minutes themselves it is raised to `PROVISIONAL_MAX_BPM` (a heart that has just
  sat down is still coming down; only a racing one alerts). A confirmed calibrated calm
  applies from its first calm bucket, settling or not.
- a threshold that comes down under the heart is no rise: when the threshold falls (the
  baseline is learned, the settling minutes end, the baseline falls) below a heart that was
  under the old threshold, the heart did not rise; it counts once it has been under the
  threshold again, or has climbed the margin above its lowest rate since.
- a baseline that does not sink: never below the median calm of the last `FLOOR_WINDOW_S`
  (the session's ordinary calm; rise-limited like the baseline), so a relaxation or
  breathing phase of minutes does not pull it down, and coming back from it to the
  ordinary level is no rise.
- the personal rule wins: with `rules = "either"`, once the person's calm is known the
  relative rule sets the threshold (Gottman's 100 bpm is a population cue for "well above
  calm"; 10 % above one's own resting rate is the personal form of the same cue, and for a
  calm of 91+ bpm the absolute cue would sit inside the person's ordinary calm).
- movement is not flooding (with an accelerometer, `Sample.activity_g`): a rise does not
  count while the body moves (`MOVING_G`) and for `RECOVERY_S` after it stops; after that,
  while the heart is still up, it counts only once it has climbed `margin` above the lowest
  rate since (a new rise while still), and the run must be confirmed while still. The end
  of a workout (workout mode turned off: `workout_ended`) is the end of movement: an episode
  open since the workout ends with it, and the heart still up after it counts only as a
  new rise, as after any movement.
- a strap put on again: after more than `UNSEEN_S` without a usable reading (the strap
  off, a watch not worn) an open episode ends at the last reading before, and the detector
  starts again as with a strap just put on (settling, then learning the calm), as the
  background service starts a new session then.
- a sudden step without an accelerometer (`STEP_BPM` within `STEP_S`): the run is followed;
  when the heart falls back half-way to where it stood before the step, the step was a
  change of posture (standing up), and the rest of the rise is treated as after movement.
  At a pace of a reading every `STEP_S` or more (a watch's export) no step can be seen
  between readings, and a rise is confirmed as any other (`Detector.sees_steps`).
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from flooding.core.models import (
    UNSEEN_S,
    ContactChanged,
    EpisodeEnded,
    EpisodeStarted,
    Event,
    GapDetected,
    Rule,
    Sample,
    State,
    Unusable,
    Waiting,
)
from flooding.core.settings import DetectionSettings

BUCKET_S = 10.0  # baseline granularity: long enough to average breathing swings, short
#                  enough that a baseline forms within the first couple of minutes
MIN_BUCKET_FILL = 0.5  # a bucket counts with calm readings for half its seconds: 5 at a
#                        strap's pace of one a second, 1 at a watch's export's usual 5 s
#                        (`bucket_fill`)
STRAP_STEP_S = 1.0  # a strap's pace, seconds between readings: the Heart Rate Service notifies
#                     about once a second, and every count of these rules was made for it
STRAP_PACE_UP_TO_S = 2.0  # a recording whose usual step is up to this keeps the strap's pace:
#                           a bucket still holds the 5 readings it asks for (beat-timed rates
#                           come every 0.4-1.5 s)
GAP_STEPS = 3.0  # at a slower pace, more than three usual steps without a reading is a gap: a
#                  watch varies its step up to threefold (a Fitbit export: 5, 10 or 15 s)
BASELINE_RISE_BPM_PER_MIN = 0.3  # fastest rise of a learned baseline, bpm per minute: a
#   seated calm heart drifts a few bpm over tens of minutes (after a meal, one of its larger
#   drifts, it rises about 10 bpm over half an hour or more); arousal in a talk climbs a bpm
#   a minute and more (see the docstring)
CLASSIC_BASELINE_RISE_BPM_PER_MIN = 1.0  # the limit of the classic rules (issue 15's "before")
SECONDS_PER_MINUTE = 60.0
FLOOR_WINDOW_S = 1800.0  # the session's ordinary calm: the median calm of the last 30 minutes;
#                          a relaxation, slow-breathing or meditation phase lasts 5-10 min in
#                          acute-stress protocols and often comes twice close together (WESAD:
#                          two 7-min meditations, Schmidt et al., ICMI 2018; Stress-Predict: a
#                          relaxation after each task, Iqbal et al. 2022), so in 30 minutes they
#                          stay a minority and the baseline does not sink with them
SETTLE_S = 120.0  # calm of the first two minutes is not learned: a chest strap's electrodes
#                   need skin moisture and a wrist sensor needs time to lock on (readings
#                   start low), and a heart settles over 1-2 min after sitting down (resting
#                   measurements begin after minutes of seated rest: Task Force of the ESC and
#                   NASPE, Circulation 1996; 93:1043)
MOVING_G = 0.06  # activity level (g) that counts as moving: standing or sitting still stays
#                  at ~0.01-0.03 g, walking at 0.2-0.4 g (movement-hexoskin: median of each
#                  person's still and walking seconds); 0.06 is about their geometric mean
RECOVERY_S = 60.0  # after movement stops the heart stays up and falls back over about a
#                    minute (heart-rate recovery: most of the fall comes in the first minute,
#                    Cole et al., NEJM 1999; 341:1351); a rise is not counted before this
STEP_BPM = 15.0  # a rise this big within STEP_S is a step: standing up raises the heart by
#                  ~15-30 bpm within 3-5 s (initial heart-rate response, Wieling et al.,
#                  Clin Sci 2007; 112:157); arousal in a talk climbs over tens of seconds
STEP_S = 5.0  # seconds over which a step is measured (the strap's rate is a 1-2 s average)
RECENT_MAX = 64  # readings kept for the step rule at most: a strap sends 1-4 a second, so
#                 STEP_S holds far fewer; only a stream whose time stands still reaches it
PROVISIONAL_MAX_BPM = 110.0  # the calm seen while settling is never taken above this: a seated
#                              adult heart over 100 bpm is tachycardia (normal resting range
#                              60-100 bpm, AHA); 110 leaves room for a nervous start, while a
#                              heart already racing when the strap goes on still alerts. It is
#                              also the threshold while settling (unless a confirmed calibrated
#                              calm says otherwise): a heart in its first two minutes after
#                              sitting down is still coming down from walking in and standing
#                              (SETTLE_S), so 100-110 bpm then is no sign of flooding
STEP_SETTLED_FRACTION = 0.5  # after standing up the heart falls back over 15-30 s to about
#                              half its first jump (Wieling et al. 2007); a flooded heart
#                              stays up: falling below this share of the step means posture

# states `quiet_readings` may go on from (`enter_bucket`, the batch path)
QUIET_STATES = (State.WARMING, State.CALM, State.RISING, State.FLOODED)


class DetectorStep(NamedTuple):
    """The detector's answer to one sample (a named tuple: made once per sample, cheaply)."""

    state: State
    baseline_bpm: float | None
    threshold_bpm: float
    rule: Rule
    flooded: bool
    events: tuple[Event, ...]
    waiting: Waiting | None = None  # what a rise waits for before it may alert
    unusable: Unusable | None = None  # why the sample's rate was not used (None: it was)


class _BaselineRing:
    """The most recent calm bucket means, and their median.

    `value` is the baseline: the own median once warm, else the calibrated seed, else None.
    It changes only when a bucket closes (then `version` counts up), so callers may cache
    anything derived from it by version.
    """

    def __init__(
        self,
        settings: DetectionSettings,
        seed_bpm: float | None,
        fill: int,
        *,
        classic: bool = False,
    ) -> None:
        self._classic = classic
        self._fill = fill  # calm readings that make a bucket count (`bucket_fill`)
        self.settle_end_s: float | None = None  # calm buckets ending before this are not learned
        self.settling_now = False  # the bucket in progress is one of the settling minutes
        self.provisional: float | None = None  # the calm seen so far, before the baseline is warm
        self._settle_sum = 0.0
        self._settle_n = 0
        self._short: float | None = None  # the rate-limited median of the recent window
        self._floor_capacity = max(1, math.ceil(FLOOR_WINDOW_S / BUCKET_S))
        self._floor_ring: list[float] = []
        self._floor_sorted: list[float] = []  # the floor's ring in order
        self._floor_next = 0
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
        if self._n >= self._fill and not self._classic:
            self._close_bucket(self._sum / self._n)
        elif self._n >= self._fill:
            mean = self._sum / self._n
            ordered = self._sorted
            self._next = _push_window(self._ring, ordered, self._next, self._capacity, mean)
            if self.lowest_bucket is None or mean < self.lowest_bucket:
                self.lowest_bucket = mean
            if len(ordered) >= self._min_buckets:
                median = _median(ordered)
                t_s = self._bucket_index * BUCKET_S
                if self.warm and self.value is not None:
                    minutes = (t_s - self._value_t) / SECONDS_PER_MINUTE
                    median = min(median, self.value + CLASSIC_BASELINE_RISE_BPM_PER_MIN * minutes)
                self.value = median
                self._value_t = t_s
                self.warm = True
            self.version += 1
        self._bucket_index = index
        self._sum = 0.0
        self._n = 0
        if self.settling_now:
            end = self.settle_end_s
            if end is None or (index + 1) * BUCKET_S > end:
                self.settling_now = False
                self.version += 1  # the threshold changes with it

    def start_settling(self, t_s: float) -> None:
        """The first usable reading came at `t_s`: the settling minutes begin."""
        self.settle_end_s = t_s + SETTLE_S
        self.settling_now = True
        self.version += 1

    def _close_bucket(self, mean: float) -> None:
        """Learn one calm bucket mean (the rules of issue 15: settling, the floor)."""
        assert self._bucket_index is not None
        t_s = self._bucket_index * BUCKET_S
        if self.lowest_bucket is None or mean < self.lowest_bucket:
            self.lowest_bucket = mean
        self.version += 1
        settle_end = self.settle_end_s
        if settle_end is not None and t_s + BUCKET_S <= settle_end:
            self._settle_sum += mean
            self._settle_n += 1
            if not self.warm:
                self.provisional = min(self._settle_sum / self._settle_n, PROVISIONAL_MAX_BPM)
            return
        self._next = _push_window(self._ring, self._sorted, self._next, self._capacity, mean)
        self._floor_next = _push_window(
            self._floor_ring, self._floor_sorted, self._floor_next, self._floor_capacity, mean
        )
        size = len(self._sorted)
        median = _median(self._sorted)
        if size < self._min_buckets:
            self.provisional = median
            return
        # minutes of calm learned (see the module docstring): one bucket's since the last
        minutes = min(t_s - self._value_t, BUCKET_S) / SECONDS_PER_MINUTE
        if self._short is not None:
            median = min(median, self._short + BASELINE_RISE_BPM_PER_MIN * minutes)
        self._short = median
        floor = _median(self._floor_sorted)
        if self.warm and self.value is not None:
            floor = min(floor, self.value + BASELINE_RISE_BPM_PER_MIN * minutes)
        self._value_t = t_s
        self.value = max(median, floor)
        self.warm = True

    def settling(self, t_s: float) -> bool:
        """Whether the bucket that holds `t_s` closes within the settling minutes."""
        end = self.settle_end_s
        return end is not None and (math.floor(t_s / BUCKET_S) + 1) * BUCKET_S <= end

    @property
    def has_readings(self) -> bool:
        """Whether the bucket in progress holds calm readings already."""
        return self._n > 0

    def add_readings(self, bpms: Sequence[float], start: int, stop: int) -> None:
        """Add calm readings `start` .. `stop` - 1 of `bpms` as `add_current` adds them."""
        total = self._sum
        for index in range(start, stop):
            total += bpms[index]
        self._sum = total
        self._n += stop - start

    def set_current(self, bpm_sum: float, count: int) -> None:
        """Fill the empty bucket in progress with `count` calm readings summing to `bpm_sum`
        (added in order: the very sum `add_current` one by one would give)."""
        self._sum = bpm_sum
        self._n = count

    def discard_open_bucket(self) -> None:
        """Forget the bucket in progress (it led into a rise, so it may not be calm)."""
        self._sum = 0.0
        self._n = 0


class BucketRuns(NamedTuple):
    """Baseline buckets of a run of samples, for `Detector.quiet_stretch`: bucket `i` holds
    samples `starts[i]` .. `stops[i]` - 1; their highest and lowest rate, and their rates'
    sum (added in order). `gaps`: for a bucket with samples that follow a gap, those samples
    (indices, in order), and `tail_sums` the sum (added in order) of its rates from the last
    of them on: what a calm bucket learns. `first_t`, `last_t`: each bucket's first and last
    sample's time; `indices`: each one's baseline bucket (`math.floor` of its first time over
    BUCKET_S, what `_BaselineRing.tick` moves to)."""

    starts: Sequence[int]
    stops: Sequence[int]
    highest: Sequence[float]
    lowest: Sequence[float]
    sums: Sequence[float]
    gaps: Mapping[int, Sequence[int]] = MappingProxyType({})
    tail_sums: Mapping[int, float] = MappingProxyType({})
    first_t: Sequence[float] = ()
    last_t: Sequence[float] = ()
    indices: Sequence[int] = ()


def _release_timer(
    times_s: Sequence[float],
    bpms: Sequence[float],
    start: int,
    stop: int,
    below: float,
    release_start: float | None,
    release_s: float,
    gaps: Sequence[int] = (),
) -> tuple[bool, float | None]:
    """The release timer of a flooded episode over readings `start` .. `stop` - 1, as `feed`
    runs it: whether the episode ends among them, and when the timer started (None: the
    last reading was not below `below`). `gaps`: readings that follow a gap (in order),
    where the timer stops first. Time must not go back among them (nor before `release_start`,
    a time from before them): then no reading's time is later than the last one's and no timer
    starts before the earliest of `release_start` and the first time, and (the difference of
    two floats rising with the first) when the last time is not `release_s` past that, none of
    the readings ends the episode: only where the timer stands after them is sought, from the
    end (the readings below `below` there, and the last gap among them)."""
    earliest = times_s[start]
    if release_start is not None and release_start < earliest:
        earliest = release_start
    if not times_s[stop - 1] - earliest >= release_s:
        index = stop
        while index > start and bpms[index - 1] < below:
            index -= 1
        if index == stop:
            return False, None  # the last reading is not below: the timer stopped
        if gaps and gaps[-1] >= index:
            return False, times_s[gaps[-1]]  # it began again at the last gap
        if index > start or release_start is None:
            return False, times_s[index]  # it began at the first reading below, at the end
        return False, release_start  # it ran on through them all
    release = release_start
    after_gap = iter(gaps)
    gap = next(after_gap, stop)
    for index in range(start, stop):
        if index == gap:
            release = None  # a gap stops the release timer
            gap = next(after_gap, stop)
        if bpms[index] < below:
            t = times_s[index]
            if release is None:
                release = t
            if t - release >= release_s:
                return True, release
        else:
            release = None
    return False, release


def _push_window(
    ring: list[float], ordered: list[float], next_index: int, capacity: int, value: float
) -> int:
    """Put `value` in a window of the last `capacity` values (`ring`, oldest replaced at
    `next_index`) kept also in order (`ordered`); the next index to replace."""
    if len(ring) < capacity:
        ring.append(value)
    else:
        del ordered[bisect.bisect_left(ordered, ring[next_index])]
        ring[next_index] = value
    bisect.insort(ordered, value)
    return (next_index + 1) % capacity


def _median(ordered: list[float]) -> float:
    """As statistics.median of a sorted, non-empty list (the middle one, or the two's mean)."""
    size = len(ordered)
    middle = size // 2
    return ordered[middle] if size % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def steps_seen_at(step_s: float) -> bool:
    """Whether the step rule can see a step at a pace of a reading every `step_s`: only
    with readings closer together than `STEP_S` (at a watch's 5 s or more no earlier reading
    lies inside it)."""
    return step_s < STEP_S


def bucket_fill(step_s: float) -> int:
    """The calm readings a baseline bucket needs at a pace of a reading every `step_s`
    seconds: those that cover `MIN_BUCKET_FILL` of its seconds, and at least one."""
    return max(1, round(BUCKET_S * MIN_BUCKET_FILL / step_s))


def at_pace(settings: DetectionSettings, step_s: float) -> DetectionSettings:
    """The detection settings for a source whose readings come every `step_s` seconds: at a
    strap's pace they are as given; slower, a gap is more than `gap_s` and more than
    `GAP_STEPS` usual steps without a reading."""
    if step_s <= STRAP_STEP_S or GAP_STEPS * step_s <= settings.gap_s:
        return settings
    return settings.model_copy(update={"gap_s": GAP_STEPS * step_s})


class Detector:
    """Streaming flooding detector for one person and one session.

    The per-sample path is kept lean (settings read once, the threshold cached until the
    baseline changes): replays of a year of sessions go through it, sample by sample, exactly
    as the live monitor does. `classic=True`: the rules before issue 15 (no settling, floor,
    personal-rule precedence, movement or step rule), kept for `scripts/evaluate`'s "before".
    """

    def __init__(
        self,
        settings: DetectionSettings,
        *,
        baseline_seed_bpm: float | None = None,
        classic: bool = False,
        step_s: float = STRAP_STEP_S,
    ):
        """`step_s`: the source's usual seconds between readings (its pace): the gap
        (`at_pace`, of these settings and of any given later) and how many calm readings
        fill a baseline bucket (`bucket_fill`) follow it."""
        self._seed = baseline_seed_bpm if baseline_seed_bpm is not None else settings.baseline_bpm
        self.classic = classic
        self._step_s = step_s
        self._fill = bucket_fill(step_s)
        self.frozen = False  # set while pausing or in a workout: the baseline does not learn
        self._last_t: float | None = None
        self._contact = True
        # movement (issue 15): the accelerometer's, or a step inferred from the heart alone
        self.has_accelerometer = False  # a sample has carried an activity level
        self.sees_steps = steps_seen_at(step_s)  # not at a watch's pace
        self._begin(settings)

    def _begin(self, settings: DetectionSettings) -> None:
        """The state of a strap just put on: no baseline learned (the seed aside), nothing
        followed, no reading seen. `__init__` starts from it, and so does the first reading
        after the heart went unseen for more than `UNSEEN_S` (the strap taken off, a watch
        not worn), as the background service starts a new session then; the settings, the
        seed, the time and contact seen so far and the accelerometer are kept."""
        self._baseline = _BaselineRing(settings, self._seed, self._fill, classic=self.classic)
        self._last_plausible_t: float | None = None
        self._run_start: float | None = None  # start of the current run above threshold
        self._dip_start: float | None = None
        self._flooded = False
        self._episode_start = 0.0
        self._peak = 0.0
        self._release_start: float | None = None
        self._state = State.WARMING
        self._moved_t = -math.inf  # the last moving second (or an inferred posture change)
        self._after_move = False  # the heart is still up since the body moved
        self._trough: float | None = None  # lowest rate since the recovery window ended
        self._recent: deque[tuple[float, float]] = deque()  # (t, bpm): minima of STEP_S
        # readings of quiet buckets not yet added to `_recent` (see `_recent_from`)
        self._pending: tuple[Sequence[float], Sequence[float], int, int] | None = None
        self._run_floor: float | None = None  # lowest rate in the STEP_S before the run
        self._run_peak = 0.0
        self._run_step = False  # the run began with a sudden step (heart rate only)
        self._prev_bpm: float | None = None  # the last plausible reading, and the threshold
        self._prev_threshold = math.inf  # at that reading (a threshold that came down)
        # lowest rate since the threshold came down under the heart (None: it did not)
        self._came_under: float | None = None
        self.retune(settings)

    def retune(self, settings: DetectionSettings) -> None:
        """Use other thresholds from now on (a change of mode); the baseline so far is kept.
        At the detector's pace (`at_pace`: the same settings when they are at it already)."""
        settings = at_pace(settings, self._step_s)
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
        self._margin = settings.margin_bpm
        # whether a known own calm sets the threshold by the relative rule alone
        self._relative_first = settings.rules == "relative" or (
            settings.rules == "either" and not self.classic
        )

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

    def _margin_for(self, base: float) -> float:
        return self.settings.personal_margin_bpm(base)

    def _compute_threshold(self) -> tuple[float, Rule]:
        s = self.settings
        ring = self._baseline
        base = ring.value
        if ring.warm and base is not None and self._relative_first:
            # the most common case, first: the own calm is known and the personal rule sets
            # the threshold (as below, without the checks)
            self._margin = self._margin_for(base)
            return base + self._margin, Rule.RELATIVE
        absolute = s.absolute_bpm
        self._margin = s.margin_bpm if base is None else self._margin_for(base)
        known = base is not None and (
            ring.warm
            or (ring.lowest_bucket is not None and ring.lowest_bucket < base + self._margin)
        )
        if base is None or not known:
            # not yet the person's own calm (or a seed not yet confirmed by the session's calm)
            if self.classic or s.rules != "either":
                return absolute, Rule.ABSOLUTE
            threshold = absolute
            provisional = ring.provisional
            if provisional is not None:
                # the absolute cue, but never inside the calm seen so far
                threshold = max(threshold, provisional + self._margin_for(provisional))
            if ring.settling_now:
                # a heart that just sat down is still coming down: only a racing one alerts
                threshold = max(threshold, PROVISIONAL_MAX_BPM)
            return threshold, Rule.ABSOLUTE
        relative = base + self._margin
        if s.rules == "absolute":
            return absolute, Rule.ABSOLUTE
        if self._relative_first:
            return relative, Rule.RELATIVE
        if s.rules == "both":
            return (relative, Rule.RELATIVE) if relative > absolute else (absolute, Rule.ABSOLUTE)
        return (relative, Rule.RELATIVE) if relative < absolute else (absolute, Rule.ABSOLUTE)

    def _calm_waiting(self, t: float) -> Waiting | None:
        """What a calm reading at `t` waits for: settling, then learning the calm."""
        ring = self._baseline
        if ring.warm or self.classic:
            return None
        if ring.settle_end_s is not None and t < ring.settle_end_s:
            return Waiting.SETTLING
        return Waiting.LEARNING

    def _forget_recent(self) -> None:
        """A gap: no reading before it is a reference for a step after it."""
        self._recent.clear()
        self._pending = None

    def _push_recent(self, t: float, bpm: float) -> float | None:
        """Add a reading to the minima of the last STEP_S; the lowest rate before it."""
        recent = self._recent
        while recent and recent[0][0] <= t - STEP_S:
            recent.popleft()
        lowest = recent[0][1] if recent else None
        while recent and recent[-1][1] >= bpm:
            recent.pop()
        recent.append((t, bpm))
        if len(recent) > RECENT_MAX:
            recent.popleft()  # readings whose time stands still: memory stays bounded
        return lowest

    def _explained(self, t: float, bpm: float, moving: bool) -> bool:
        """Whether movement explains a reading above the threshold (see the module docstring)."""
        if not self._after_move:
            return False
        if moving or t - self._moved_t < RECOVERY_S:
            return True
        trough = self._trough
        return trough is None or bpm < trough + self._margin

    def workout_ended(self, t: float) -> list[Event]:
        """A workout ended at `t` (workout mode turned off): the body moved until then, so
        the heart still up from it is explained as after movement (`RECOVERY_S`, then only
        a new rise counts), and an episode open since the workout ends at `t` (what the
        workout raised ended with it; a rise after it starts an episode of its own). The
        events that gave (an `EpisodeEnded`, or none)."""
        if self.classic:
            return []
        events: list[Event] = []
        if self._flooded:
            events.append(EpisodeEnded(t_s=t, start_s=self._episode_start, peak_bpm=self._peak))
            self._flooded = False
            self._release_start = None
        self._run_start = self._dip_start = None
        self._run_step = False
        self._came_under = None
        self._after_move = True
        self._moved_t = max(self._moved_t, t)
        self._trough = None
        return events

    def _still_under(self, bpm: float) -> bool:
        """Whether a reading above a threshold that came down under the heart is still no
        rise: not the margin above the lowest rate since (`_came_under`, updated here)."""
        lowest = self._came_under
        assert lowest is not None
        if bpm < lowest:
            self._came_under = lowest = bpm
        if bpm < lowest + self._margin:
            return True
        self._came_under = None  # a rise of its own: it counts from here
        return False

    def feed(self, sample: Sample) -> DetectorStep:
        """Take one sample; return the state and any events it caused."""
        return self.feed_values(sample.t_s, sample.bpm, sample.contact, sample.activity_g)

    def feed_values(
        self,
        t: float,
        bpm: float,
        contact_seen: bool | None = True,
        activity_g: float | None = None,
    ) -> DetectorStep:
        """`feed` of a sample given by its fields (time, rate, contact, activity level): the
        engine and the batch path feed these without making a `Sample` for each."""
        events: list[Event] = []
        classic = self.classic
        # whether the rate can be used: the one place that decides (`Reading.unusable`)
        unusable = (
            Unusable.NO_CONTACT
            if contact_seen is False
            else None
            if self._min_bpm <= bpm <= self._max_bpm
            else Unusable.IMPLAUSIBLE
        )
        seen_t = self._last_plausible_t
        if seen_t is not None and t - seen_t > UNSEEN_S and not classic and unusable is None:
            # the first reading after the heart went unseen: a strap put on again
            if self._flooded:  # what the heart was seen doing ended when it was last seen
                events.append(
                    EpisodeEnded(t_s=seen_t, start_s=self._episode_start, peak_bpm=self._peak)
                )
            self._begin(self.settings)
        ring = self._baseline
        if activity_g is not None and not classic:
            self.has_accelerometer = True  # from the first level on, whatever the reading
        last = self._last_t
        if last is None:
            self._last_t = t
        else:
            if t - last > self._gap_s:
                events.append(GapDetected(start_s=last, end_s=t))
                self._run_start = self._dip_start = self._release_start = None
                ring.discard_open_bucket()
                self._forget_recent()
            if t > last:
                self._last_t = t
        if math.floor(t / BUCKET_S) != ring._bucket_index:
            ring.tick(t)  # most samples stay in the bucket of the one before: no call

        contact = contact_seen is not False
        if contact != self._contact:
            self._contact = contact
            events.append(ContactChanged(t_s=t, contact=contact))
        if self._cached_version != ring.version:  # `threshold`, without a call per sample
            self._cached = self._compute_threshold()
            self._cached_version = ring.version
        threshold, rule = self._cached

        if unusable is not None:
            if not contact:
                self._run_start = self._dip_start = self._release_start = None
                ring.discard_open_bucket()
                return self._step(State.NO_CONTACT, threshold, rule, events, unusable=unusable)
            # a stretch of sensor errors longer than a gap is a gap: no run lasts across it
            if self._last_plausible_t is not None and t - self._last_plausible_t > self._gap_s:
                self._run_start = self._dip_start = self._release_start = None
                ring.discard_open_bucket()
                self._forget_recent()
            return self._step(self._state, threshold, rule, events, unusable=unusable)
        self._last_plausible_t = t

        moving = False
        lowest_before: float | None = None
        if not classic:
            if ring.settle_end_s is None:
                ring.start_settling(t)
                threshold, rule = self.threshold()  # the first minutes' threshold
            if activity_g is not None and activity_g >= MOVING_G:
                moving = True
                self._moved_t = t
                self._after_move = True
                self._trough = None
            if (
                self._after_move
                and not moving
                and t - self._moved_t >= RECOVERY_S
                and (self._trough is None or bpm < self._trough)
            ):
                self._trough = bpm
            if self.sees_steps and not self.has_accelerometer:
                if self._pending is not None:
                    self._flush_recent()
                lowest_before = self._push_recent(t, bpm)
        prev_bpm, prev_threshold = self._prev_bpm, self._prev_threshold
        self._prev_bpm, self._prev_threshold = bpm, threshold

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
            if not classic and self._explained(t, bpm, moving):
                self._run_start = self._dip_start = None
                ring.discard_open_bucket()
                return self._step(State.RISING, threshold, rule, events, Waiting.MOVEMENT)
            self._dip_start = None
            settling = not classic and ring.settling(t)
            if settling and not self.frozen:
                ring.add_current(bpm)  # settling: where this heart is now, high or not
            if self._run_start is None:
                if not classic and prev_bpm is not None and threshold <= prev_bpm < prev_threshold:
                    # the threshold came down under a heart that did not rise (the baseline
                    # was learned, or fell): no rise yet; see `_still_under`
                    self._came_under = bpm
                if self._came_under is not None and self._still_under(bpm):
                    if not settling:
                        ring.discard_open_bucket()
                    return self._step(State.RISING, threshold, rule, events)
                self._run_start = t
                if not settling:
                    ring.discard_open_bucket()
                self._run_floor = lowest_before
                self._run_peak = bpm
                self._run_step = False
            waiting = None
            if not classic and self.sees_steps and not self.has_accelerometer:
                if bpm > self._run_peak:
                    self._run_peak = bpm
                floor = self._run_floor
                if floor is not None:
                    if (
                        not self._run_step
                        and t - self._run_start <= STEP_S
                        and lowest_before is not None
                        and bpm - lowest_before >= STEP_BPM
                    ):
                        self._run_step = True
                    if self._run_step:
                        waiting = Waiting.STEP
                        if bpm < floor + STEP_SETTLED_FRACTION * (self._run_peak - floor):
                            # it fell back: a change of posture; what stays is explained
                            # like the heart after movement
                            self._run_start = self._dip_start = None
                            self._run_step = False
                            self._after_move = True
                            self._moved_t = t - RECOVERY_S
                            self._trough = bpm
                            return self._step(
                                State.RISING, threshold, rule, events, Waiting.MOVEMENT
                            )
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
            return self._step(State.RISING, threshold, rule, events, waiting)

        self._came_under = None  # under the threshold: a crossing from here is a rise
        if self._run_start is not None:
            if self._dip_start is None:
                self._dip_start = t
            if t - self._dip_start <= self._dip_s:
                return self._step(State.RISING, threshold, rule, events)
            self._run_start = None
            self._dip_start = None

        if (
            self._after_move
            and not moving
            and t - self._moved_t >= RECOVERY_S
            and bpm < threshold - self._hysteresis
        ):
            self._after_move = False  # the heart is back: movement explains no more
            self._trough = None
        if not self.frozen and (classic or t - self._moved_t >= RECOVERY_S):
            ring.add_current(bpm)
        # the calm step, the most common one, made here (`_step` and `_calm_waiting` inline)
        value = ring.value
        state = State.CALM if value is not None else State.WARMING
        self._state = state
        return DetectorStep(
            state,
            value,
            threshold,
            rule,
            False,
            tuple(events) if events else (),
            None if ring.warm or classic else self._calm_waiting(t),
        )

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

        The caller has made sure that every sample of the bucket has skin contact, a
        plausible rate and no movement (activity under `MOVING_G`, and not the first sample
        with an activity level), and gives their times (which do not go back) and rates
        (items `start` .. `stop` - 1 of the two sequences), the lowest and the highest (the
        release timer relies on time going forward: `_release_timer`). If the detector's own
        state allows it too (not flooded, no run above threshold, every rate under the
        threshold, no recovery from movement under way, not across the end of the settling
        minutes; or flooded, and not released), the step each of those samples gets from
        `feed` comes back (its events: the gaps'), and `take_bucket` must follow.
        Else None: nothing changed but what `feed` does first too (a gap before the first
        sample, the bucket tick); feed the samples one by one.
        `gaps`: the samples (indices, in order) that follow a gap. Each gives its
        `GapDetected` in the step's events, in order; in a calm bucket the baseline learns
        from the last of them on (`feed` forgets the bucket's readings before a gap), in a
        flooded one each restarts the release timer (a watch that sends a reading every
        few seconds has a gap at nearly every one, flooded or not).
        """
        first_t = times_s[start]
        if not self.may_stretch() or (not self.classic and first_t - self._moved_t < RECOVERY_S):
            return None
        ring = self._baseline
        last_t = times_s[stop - 1]
        settle_end = ring.settle_end_s
        if gaps and gaps[0] == start:
            ring.discard_open_bucket()
        ring.tick(first_t)
        threshold, rule = self.threshold()
        waiting: Waiting | None = None
        if not self.classic and not ring.warm and settle_end is not None:
            if first_t < settle_end <= last_t:
                return None  # the bucket's readings do not all wait for the same
            waiting = Waiting.SETTLING if last_t < settle_end else Waiting.LEARNING
        if self._flooded:
            below = threshold - self._hysteresis
            release = None
            if bpm_min < below:
                ended, release = _release_timer(
                    times_s, bpms, start, stop, below, self._release_start, self._release_s, gaps
                )
                if ended:
                    return None  # the episode ends in this bucket
            self._release_start = release
            if bpm_max > self._peak:
                self._peak = bpm_max
            if gaps:  # what a gap resets (no reading of a flooded bucket is learned)
                self._run_start = self._dip_start = None
                ring.discard_open_bucket()
        elif bpm_max >= threshold or ring.has_readings:
            return None
        if not self.classic:
            self._recent_from(times_s, bpms, gaps[-1] if gaps else start, stop, fresh=bool(gaps))
        self._prev_bpm, self._prev_threshold = bpms[stop - 1], threshold
        events: list[Event] = [GapDetected(times_s[j - 1], times_s[j]) for j in gaps]
        if self._flooded:
            return self._step(State.FLOODED, threshold, rule, events)
        state = State.CALM if ring.value is not None else State.WARMING
        return self._step(state, threshold, rule, events, waiting)

    def quiet_readings(
        self, times_s: Sequence[float], bpms: Sequence[float], start: int, stop: int
    ) -> tuple[int, DetectorStep | None]:
        """Take readings `start` .. `stop` - 1 (items of the two sequences) from the first on,
        at once, while each changes nothing but the bucket's calm readings, the peak of a run
        above the threshold or of a flooded episode (and the step rule's readings): the end of
        those taken, and the step `feed` gives each of them (None, with `start`: none taken,
        nothing changed).

        The caller has made sure of what `quiet_bucket` asks of each reading (skin contact, a
        plausible rate, no movement, not the first with an activity level, no gap before it)
        and that they fall in the baseline bucket of the last reading fed. A run is taken
        while it is neither confirmed nor ended by a dip longer than the tolerance and no step
        begins (a run that began with a step: while over the threshold and not fallen back
        half-way, not confirmed); a flooded episode while it is not released;
        calm readings (once the baseline is warm) while under the threshold, each learned
        unless the baseline is frozen.
        """
        flooded = self._flooded
        run_start = self._run_start
        if self._last_t is None or not self._contact or self._came_under is not None:
            return start, None
        ring = self._baseline
        classic = self.classic
        step_rule = not classic and self.sees_steps and not self.has_accelerometer
        if not classic:
            settle_end = ring.settle_end_s
            if (
                self._after_move
                or settle_end is None
                # a reading at or after the settling minutes' end is past them (no call)
                or (times_s[start] < settle_end and ring.settling(times_s[start]))
            ):
                return start, None
        if self._cached_version != ring.version:  # `threshold`, without a call
            self._cached = self._compute_threshold()
            self._cached_version = ring.version
        threshold, rule = self._cached
        end = start
        pushed = start  # readings before this one have joined the step rule's minima
        waiting: Waiting | None = None  # what the readings taken wait for
        if flooded:
            below = threshold - self._hysteresis
            release = self._release_start
            release_s = self._release_s
            peak = self._peak
            while end < stop:
                bpm = bpms[end]
                if bpm < below:  # the release timer, as `feed` runs it
                    t = times_s[end]
                    since = t if release is None else release
                    if t - since >= release_s:
                        break  # this reading ends the episode
                    release = since
                else:
                    release = None
                if bpm > peak:
                    peak = bpm
                end += 1
            if end == start:
                return start, None
            self._release_start = release
            self._peak = peak
            state = State.FLOODED
        elif run_start is None:
            if not classic and (not ring.warm or times_s[start] - self._moved_t < RECOVERY_S):
                return start, None  # what it waits for, or whether it is learned, may change
            while end < stop and bpms[end] < threshold:
                end += 1
            if end == start:
                return start, None
            if not self.frozen:
                ring.add_readings(bpms, start, end)
            state = State.CALM if ring.value is not None else State.WARMING
        elif step_rule and self._run_step:
            # a run that began with a step: its readings over the threshold while it is not
            # confirmed and the heart has not fallen back (a change of posture), as `feed`
            # follows them; a dip, whatever it says, is for `feed`
            floor = self._run_floor
            assert floor is not None  # a step is told from the floor
            peak = self._run_peak
            confirm_s = self._confirm_s
            while end < stop:
                bpm = bpms[end]
                if bpm < threshold or times_s[end] - run_start >= confirm_s:
                    break
                top = bpm if bpm > peak else peak
                if bpm < floor + STEP_SETTLED_FRACTION * (top - floor):
                    break  # fallen back: a change of posture
                peak = top
                end += 1
            if end == start:
                return start, None
            self._run_peak = peak
            self._dip_start = None
            state = State.RISING
            waiting = Waiting.STEP
        else:
            confirm_s = self._confirm_s
            step_open = step_rule and self._run_floor is not None  # a step may still begin
            if step_open and times_s[start] - run_start <= STEP_S:
                self._flush_recent()  # the step rule reads the minima of the last STEP_S
            recent = self._recent
            peak = self._run_peak
            dip_start = self._dip_start
            dip_s = self._dip_s
            while end < stop:
                bpm = bpms[end]
                t = times_s[end]
                step_test = step_open and t - run_start <= STEP_S
                if step_test:  # the readings before the last STEP_S leave, as `feed` has them
                    while recent and recent[0][0] <= t - STEP_S:
                        recent.popleft()
                if bpm < threshold:  # a dip, which the run outlasts within the tolerance
                    since = t if dip_start is None else dip_start
                    if t - since > dip_s:
                        break  # the run ends here
                    dip_start = since
                else:
                    if t - run_start >= confirm_s:
                        break  # the run is confirmed here
                    if step_test and recent and bpm - recent[0][1] >= STEP_BPM:
                        break  # a step begins here (the step rule's test, as `feed` runs it)
                    dip_start = None
                    if bpm > peak:
                        peak = bpm
                if step_test:
                    self._push_recent(t, bpm)
                    pushed = end + 1
                end += 1
            if end == start:
                return start, None
            self._dip_start = dip_start
            if step_rule:
                self._run_peak = peak
            state = State.RISING
        if step_rule and pushed < end:
            self._recent_from(times_s, bpms, pushed, end)
        self._prev_bpm, self._prev_threshold = bpms[end - 1], threshold
        last_t = times_s[end - 1]
        if last_t > self._last_t:
            self._last_t = last_t
        self._last_plausible_t = last_t
        self._state = state  # `_step`, without events
        return end, DetectorStep(state, ring.value, threshold, rule, flooded, (), waiting)

    def learn_readings(self, bpms: Sequence[float], start: int, stop: int) -> None:
        """Learn calm readings `start` .. `stop` - 1 that `quiet_readings` took while the
        baseline was frozen, after all: it thawed just before them (a pause ended)."""
        self._baseline.add_readings(bpms, start, stop)

    def enter_bucket(self, t_s: float) -> bool:
        """Move to the baseline bucket of a usable reading at `t_s` (no gap before it) ahead
        of `quiet_readings`, when that is all `feed`'s tick would change: no bucket closes
        and the settling minutes do not end (so the threshold stays), and the state is one
        that `quiet_readings` may go on from. Whether it moved."""
        ring = self._baseline
        if ring._n >= ring._fill or ring.settling_now or self._state not in QUIET_STATES:
            return False
        ring.tick(t_s)
        return True

    def may_stretch(self) -> bool:
        """Whether `quiet_stretch` may take buckets now at all: not while a rise is followed,
        without contact, before the first reading or the settling minutes, or while the heart
        is still up after movement."""
        if (
            self._last_t is None
            or not self._contact
            or (not self._flooded and self._run_start is not None)
            or self._came_under is not None
        ):
            return False
        return self.classic or (self._baseline.settle_end_s is not None and not self._after_move)

    def quiet_stretch(
        self,
        times_s: Sequence[float],
        bpms: Sequence[float],
        buckets: BucketRuns,
        first: int,
        end: int,
        before_t: float = math.inf,
        record: list[tuple[int, int, State, float | None, float, Waiting | None]] | None = None,
        gap_events: list[tuple[int, Event]] | None = None,
    ) -> int:
        """Take consecutive baseline buckets `first` .. `end` - 1 as `quiet_bucket` and
        `take_bucket` take them (calm ones, or ones that hold a flooded episode) while
        nothing can happen in them, without a step per bucket; the first bucket not taken
        (`first` if none). Each bucket's last sample must come before `before_t`.

        The caller has made sure of what `quiet_bucket` asks of each bucket (time going
        forward through them all), and names the samples that follow a gap
        (`BucketRuns.gaps`; then `gap_events` is needed). The state, baseline, episode and
        step-rule readings after them are those that `quiet_bucket` and `take_bucket` leave
        (the baseline learns a calm bucket, from its last gap on, unless frozen). `record`:
        where to add, for each bucket taken, its first and end sample and what `feed` says of
        each of its samples (state, baseline, threshold, what it waits for; buckets in a row
        that say the same, as one range). `gap_events`: where to add each gap's sample and
        `GapDetected`, in order. A bucket not taken has seen at most
        its tick (and the gap before its first sample), as `feed` does first too.
        """
        if not self.may_stretch():
            return first
        flooded = self._flooded
        ring = self._baseline
        classic = self.classic
        settle_end = ring.settle_end_s
        starts, stops, highest, lowest, sums, gaps_of, tail_sums, first_ts, last_ts, indices = (
            buckets
        )
        no_gaps: Sequence[int] = ()
        moved_t = self._moved_t
        seen_t = self._last_t
        assert seen_t is not None  # `may_stretch`: a reading came before
        learn = not self.frozen and not flooded
        # a warm baseline's threshold, as `_compute_threshold` gives it under these rules
        relative_rule = not classic and self.settings.rules in ("either", "relative")
        step_rule = not classic and self.sees_steps and not self.has_accelerometer
        tick = ring.tick
        recent = self._recent
        bisect_right = bisect.bisect_right
        release = self._release_start
        release_s = self._release_s
        peak = self._peak
        state = self._state
        threshold_taken = math.inf  # the threshold at the last bucket taken
        # the step rule's readings of the last bucket taken, when everything before them has
        # left its window: (first reading learned, end, last time), made `_pending` at need
        deferred: tuple[int, int, float] | None = None
        # the range `record` gets next: buckets in a row that say the same (started: `said`)
        said = False
        said_start = said_stop = 0
        said_state = state
        said_value: float | None = None
        said_threshold = 0.0
        said_waiting: Waiting | None = None
        i = first
        while i < end:
            start = starts[i]
            stop = stops[i]
            first_t = times_s[start]
            last_t = times_s[stop - 1]
            if last_t >= before_t or (not classic and first_t - moved_t < RECOVERY_S):
                break
            gaps = gaps_of.get(i, no_gaps)
            if gaps and gaps[0] == start:
                ring.discard_open_bucket()  # the gap before the bucket, as `feed` meets it
            if ring._n or ring.settling_now:
                tick(first_t)
            else:  # `tick` of an empty bucket, outside the settling minutes: it moves on
                ring._bucket_index = indices[i]
            if self._cached_version != ring.version:
                self._cached = self._compute_threshold()
                self._cached_version = ring.version
            threshold = self._cached[0]
            waiting: Waiting | None = None
            if not classic and not ring.warm and settle_end is not None:
                if first_t < settle_end <= last_t:
                    break  # the bucket's readings do not all wait for the same: one by one
                waiting = Waiting.SETTLING if last_t < settle_end else Waiting.LEARNING
            if flooded:
                below = threshold - self._hysteresis
                if lowest[i] < below:  # the release timer, as `feed` runs it
                    ended, release = _release_timer(
                        times_s, bpms, start, stop, below, release, release_s, gaps
                    )
                    if ended:
                        break  # the episode ends in this bucket: one by one
                else:
                    release = None
                if highest[i] > peak:
                    peak = highest[i]
                if gaps:  # what a gap resets (no reading of a flooded bucket is learned)
                    self._run_start = self._dip_start = None
                    ring.discard_open_bucket()
                state = State.FLOODED
                waiting = None
            else:
                if highest[i] >= threshold or ring._n:
                    break
                state = State.CALM if ring.value is not None else State.WARMING
            if step_rule:  # as `_recent_from`, without a call per bucket
                if gaps or first_t <= last_t - STEP_S:
                    recent.clear()  # everything before has left the window (or a gap)
                    deferred = (gaps[-1] if gaps else start, stop, last_t)
                else:
                    if deferred is not None:
                        lo = bisect_right(times_s, deferred[2] - STEP_S, deferred[0], deferred[1])
                        self._pending = (times_s, bpms, lo, deferred[1])
                        deferred = None
                    lo = bisect_right(times_s, last_t - STEP_S, start, stop)
                    if lo > start:
                        recent.clear()
                    elif self._pending is not None:
                        self._flush_recent()
                    self._pending = (times_s, bpms, lo, stop)
            if record is not None:
                value = ring.value
                if (
                    said
                    and start == said_stop
                    and state is said_state
                    and value == said_value
                    and threshold == said_threshold
                    and waiting is said_waiting
                ):
                    said_stop = stop  # the same: one range
                else:
                    if said:
                        record.append(
                            (
                                said_start,
                                said_stop,
                                said_state,
                                said_value,
                                said_threshold,
                                said_waiting,
                            )
                        )
                    said = True
                    said_start, said_stop = start, stop
                    said_state, said_value = state, value
                    said_threshold, said_waiting = threshold, waiting
            threshold_taken = threshold
            if last_t > seen_t:
                seen_t = last_t
            if gaps:
                assert gap_events is not None
                gap_events += [(j, GapDetected(times_s[j - 1], times_s[j])) for j in gaps]
                if learn:
                    ring.set_current(tail_sums[i], stop - gaps[-1])
            elif learn:
                ring.set_current(sums[i], stop - start)
            i += 1
            if (
                relative_rule
                and learn
                and ring.warm
                and not ring.settling_now
                and ring._bucket_index is not None
                and settle_end is not None
                and ring._bucket_index * BUCKET_S + BUCKET_S > settle_end
            ):
                # the calm buckets after it (no gap): each closes the one before, which the
                # baseline learns (past the settling minutes: `tick`'s `_close_bucket`), and
                # the threshold follows (`_compute_threshold` of a warm baseline), in a loop
                j = i
                taken_threshold = threshold
                if (  # the first bucket can be taken (else no call): `_calm_run` asks again
                    j < end
                    and last_ts[j] < before_t
                    and (not step_rule or first_ts[j] <= last_ts[j] - STEP_S)
                    and j not in gaps_of
                ):
                    said_run = (said_start, said_stop, said_state, said_value, said_threshold)
                    j, threshold, taken_threshold, said_run = self._calm_run(
                        i, end, buckets, before_t, step_rule, threshold, said_waiting,
                        said_run, record
                    )  # fmt: skip
                    said_start, said_stop, said_state, said_value, said_threshold = said_run
                if j > i:
                    last = j - 1
                    threshold_taken = taken_threshold
                    if step_rule:
                        recent.clear()
                        deferred = (starts[last], stops[last], last_ts[last])
                    if last_ts[last] > seen_t:
                        seen_t = last_ts[last]
                    i = j
                continue
            if learn or ring._n or ring.settling_now or not (classic or ring.warm):
                continue
            # the buckets after it that change nothing but a peak or the release timer (no gap,
            # nothing learned: the same threshold, and the same for `record`), in a tight loop
            j = i
            if flooded:
                below = threshold - self._hysteresis
                while (
                    j < end
                    and last_ts[j] < before_t
                    and (not step_rule or first_ts[j] <= last_ts[j] - STEP_S)
                    and j not in gaps_of
                ):
                    if lowest[j] < below:  # the release timer, as above
                        ended, timer = _release_timer(
                            times_s, bpms, starts[j], stops[j], below, release, release_s
                        )
                        if ended:
                            break  # the loop above stops at it
                        release = timer
                    else:
                        release = None
                    if highest[j] > peak:
                        peak = highest[j]
                    j += 1
            else:
                while (
                    j < end
                    and highest[j] < threshold
                    and last_ts[j] < before_t
                    and (not step_rule or first_ts[j] <= last_ts[j] - STEP_S)
                    and j not in gaps_of
                ):
                    j += 1
            if j > i:
                last = j - 1
                ring._bucket_index = indices[last]
                if step_rule:
                    recent.clear()
                    deferred = (starts[last], stops[last], last_ts[last])
                said_stop = stops[last]
                if last_ts[last] > seen_t:
                    seen_t = last_ts[last]
                i = j
        if deferred is not None:
            lo = bisect_right(times_s, deferred[2] - STEP_S, deferred[0], deferred[1])
            self._pending = (times_s, bpms, lo, deferred[1])
        if said:
            assert record is not None
            record.append(
                (said_start, said_stop, said_state, said_value, said_threshold, said_waiting)
            )
        if i > first:  # what the last bucket taken leaves
            last_stop = stops[i - 1]
            self._prev_bpm = bpms[last_stop - 1]
            self._prev_threshold = threshold_taken
            self._last_t = seen_t
            self._last_plausible_t = times_s[last_stop - 1]
        if flooded:
            self._release_start = release
            self._peak = peak
        self._state = state
        return i

    def _calm_run(
        self,
        first: int,
        end: int,
        buckets: BucketRuns,
        before_t: float,
        step_rule: bool,
        threshold: float,
        waiting: Waiting | None,
        said: tuple[int, int, State, float | None, float],
        record: list[tuple[int, int, State, float | None, float, Waiting | None]] | None,
    ) -> tuple[int, float, float, tuple[int, int, State, float | None, float]]:
        """Take calm buckets `first` .. `end` - 1 as `quiet_stretch`'s loop of calm buckets
        under the relative rule takes them (`_BaselineRing._close_bucket` past the settling
        minutes, with a warm baseline, and the threshold it gives), with the same floats but
        without a call or an attribute per bucket. The first bucket not taken, whether a rise
        stopped the run there (the bucket is ticked, not taken), the threshold then, the
        threshold at the last bucket taken, and the range `record` gets next (`said`: start,
        stop, state, baseline, threshold; `waiting` is its last)."""
        ring = self._baseline
        starts, stops, highest, _, sums, gaps_of, _, first_ts, last_ts, indices = buckets
        fill = ring._fill
        bucket_s = BUCKET_S
        step_s = STEP_S
        per_minute = SECONDS_PER_MINUTE
        bisect_left = bisect.bisect_left
        insort = bisect.insort
        short_ring = ring._ring
        short_sorted = ring._sorted
        short_next = ring._next
        short_capacity = ring._capacity
        floor_ring = ring._floor_ring
        floor_sorted = ring._floor_sorted
        floor_next = ring._floor_next
        floor_capacity = ring._floor_capacity
        short_size = len(short_ring)  # each window's sorted list is as long as its ring
        floor_size = len(floor_ring)
        short = ring._short
        value = ring.value
        assert short is not None
        assert value is not None
        value_t = ring._value_t
        lowest = ring.lowest_bucket
        index = ring._bucket_index
        assert index is not None
        open_sum = ring._sum
        open_n = ring._n
        margin_bpm = self.settings.margin_bpm
        margin_pct = self.settings.margin_pct
        rise = BASELINE_RISE_BPM_PER_MIN
        margin = self._margin
        said_start, said_stop, state, said_value, said_threshold = said
        learned = 0  # bucket means learned
        taken_threshold = threshold
        q = first
        while (
            q < end
            and last_ts[q] < before_t
            and (not step_rule or first_ts[q] <= last_ts[q] - step_s)
            and q not in gaps_of
        ):
            if open_n >= fill:  # the open bucket closes: `_close_bucket`, written out
                mean = open_sum / open_n
                t = index * bucket_s
                if lowest is None or mean < lowest:
                    lowest = mean
                if short_size < short_capacity:
                    short_ring.append(mean)
                    short_size += 1
                else:
                    del short_sorted[bisect_left(short_sorted, short_ring[short_next])]
                    short_ring[short_next] = mean
                insort(short_sorted, mean)
                short_next += 1
                if short_next == short_capacity:
                    short_next = 0
                if floor_size < floor_capacity:
                    floor_ring.append(mean)
                    floor_size += 1
                else:
                    del floor_sorted[bisect_left(floor_sorted, floor_ring[floor_next])]
                    floor_ring[floor_next] = mean
                insort(floor_sorted, mean)
                floor_next += 1
                if floor_next == floor_capacity:
                    floor_next = 0
                middle = short_size // 2
                median = (
                    short_sorted[middle]
                    if short_size % 2
                    else (short_sorted[middle - 1] + short_sorted[middle]) / 2
                )
                elapsed = t - value_t  # min(elapsed, BUCKET_S), as `_close_bucket` has it
                minutes = (elapsed if elapsed < bucket_s else bucket_s) / per_minute
                # min() and max() as conditions (the same floats, without a call)
                limit = short + rise * minutes
                short = limit if limit < median else median
                middle = floor_size // 2
                median = (
                    floor_sorted[middle]
                    if floor_size % 2
                    else (floor_sorted[middle - 1] + floor_sorted[middle]) / 2
                )
                limit = value + rise * minutes
                if limit < median:
                    median = limit
                value = median if median > short else short
                value_t = t
                learned += 1
                # `personal_margin_bpm`, written out (the same float)
                margin = value * margin_pct / 100.0
                if not margin > margin_bpm:
                    margin = margin_bpm
                threshold = value + margin
            index = indices[q]
            if highest[q] >= threshold:
                open_sum = 0.0
                open_n = 0
                break  # ticked, not taken: the loop of `quiet_stretch` stops at it
            if record is not None:
                if value == said_value and threshold == said_threshold:
                    said_stop = stops[q]  # the same: one range
                else:
                    record.append(
                        (said_start, said_stop, state, said_value, said_threshold, waiting)
                    )
                    said_start, said_stop = starts[q], stops[q]
                    said_value, said_threshold = value, threshold
            open_sum = sums[q]
            open_n = stops[q] - starts[q]
            taken_threshold = threshold
            q += 1
        ring._bucket_index = index
        ring._sum = open_sum
        ring._n = open_n
        if learned:
            ring._next = short_next
            ring._floor_next = floor_next
            ring._short = short
            ring.value = value
            ring._value_t = value_t
            ring.version += learned
            ring.lowest_bucket = lowest
            self._margin = margin
            self._cached = (threshold, Rule.RELATIVE)
            self._cached_version = ring.version
        said = (said_start, said_stop, state, said_value, said_threshold)
        return q, threshold, taken_threshold, said

    def _recent_from(
        self,
        times_s: Sequence[float],
        bpms: Sequence[float],
        start: int,
        stop: int,
        *,
        fresh: bool = False,
    ) -> None:
        """Readings `start`..`stop` - 1 join the minima of the last STEP_S, as `feed` would
        add them (after a gap: `fresh`). Only readings inside the window of the last one
        matter, and they are added when next needed (`_flush_recent`), so a run of quiet
        buckets costs a search each."""
        if self.has_accelerometer or not self.sees_steps:
            return  # the step rule is for straps without one, at a pace that shows a step
        lo = bisect.bisect_right(times_s, times_s[stop - 1] - STEP_S, start, stop)
        if fresh or lo > start:
            self._forget_recent()  # everything before has left the window
        elif self._pending is not None:
            self._flush_recent()
        self._pending = (times_s, bpms, lo, stop)

    def _flush_recent(self) -> None:
        """Add the readings `_recent_from` put aside."""
        pending = self._pending
        if pending is None:
            return
        self._pending = None
        times_s, bpms, lo, stop = pending
        recent = self._recent
        for index in range(lo, stop):  # `_push_recent` of each, without a call per reading
            t = times_s[index]
            bpm = bpms[index]
            while recent and recent[0][0] <= t - STEP_S:
                recent.popleft()
            while recent and recent[-1][1] >= bpm:
                recent.pop()
            recent.append((t, bpm))
            if len(recent) > RECENT_MAX:
                recent.popleft()  # readings whose time stands still: memory stays bounded

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
        self,
        state: State,
        threshold: float,
        rule: Rule,
        events: list[Event],
        waiting: Waiting | None = None,
        *,
        unusable: Unusable | None = None,
    ) -> DetectorStep:
        self._state = state
        return DetectorStep(
            state,
            self._baseline.value,
            threshold,
            rule,
            self._flooded,
            tuple(events) if events else (),
            waiting,
            unusable,
        )
