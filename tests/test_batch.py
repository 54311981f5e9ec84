"""The batch path (`run_batch`) gives exactly what feeding the engine sample by sample gives,
on random streams with gaps, lost contact, implausible readings, rises, pauses, mode switches,
sudden steps and movement (an accelerometer's activity level, or none)."""

from __future__ import annotations

import gc
import itertools
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flooding.core.batch import (
    STATES,
    UNUSABLE,
    WAITS,
    bucket_indices,
    prepare,
    same_steps,
    samples_step_s,
    usual_step_s,
)
from flooding.core.detector import BASELINE_RISE_BPM_PER_MIN, BUCKET_S, STRAP_STEP_S
from flooding.core.engine import Control, Engine, run_batch
from flooding.core.models import (
    SOLO,
    UNSEEN_S,
    Alert,
    EpisodeEnded,
    EpisodeStarted,
    Event,
    GapDetected,
    Mode,
    PauseExtended,
    Reading,
    ReadyToReturn,
    Sample,
    State,
    Unusable,
    Waiting,
)
from flooding.core.pause import PauseProtocol
from flooding.core.settings import Settings
from flooding.io.config_files.loading import default_settings
from flooding.io.readers import read
from tests._data import recording, requires_data

SETTINGS = default_settings()
START_S = 1_700_000_000.0
# one calm bucket's rise of a learned baseline at the rise limit (64 -> 64 + this)
BUCKET_RISE_BPM = BASELINE_RISE_BPM_PER_MIN * BUCKET_S / 60.0

# one stretch of a stream: (how many samples, level in bpm, seconds between samples, contact,
# RR intervals sent or not, an artifact now and then, the activity level: none (a strap
# without an accelerometer), still, just under and over the moving level, walking)
STRAP_STEPS = st.sampled_from([1.0, 1.0, 1.0, 0.5, 0.25, 2.0, 6.0, 0.0])
# a watch's export: a reading every 5 s mostly, 10 or 15 s now and then (its own pace, 5 s)
WATCH_STEPS = st.sampled_from([5.0, 5.0, 5.0, 10.0, 15.0, 16.0, 1.0, 0.0])
# a pace between the two: a reading every 3 s mostly (two calm readings fill a bucket, a gap
# is more than 9 s, and a step within 5 s can still be seen)
BETWEEN_STEPS = st.sampled_from([3.0, 3.0, 3.0, 2.5, 4.0, 10.0, 1.0, 0.0])


def stretch(steps: st.SearchStrategy[float]) -> st.SearchStrategy[tuple[Any, ...]]:
    """One stretch of a stream, its seconds between samples drawn from `steps`."""
    return st.tuples(
        st.integers(1, 120),
        st.sampled_from([0.0, 45.0, 62.0, 68.0, 75.0, 92.0, 110.0, 135.0, 260.0]),
        steps,
        st.sampled_from([True, True, None, False]),
        st.booleans(),
        st.booleans(),
        st.sampled_from([None, None, None, 0.01, 0.05, 0.07, 0.25]),
    )


gap = st.sampled_from([0.0, 0.0, 0.0, 3.0, 5.5, 7.0, 60.0, 900.0])
control = st.tuples(
    st.floats(0.0, 1.0),
    st.sampled_from(["talk", "workout", "pause", "short pause", "end pause"]),
)


@st.composite
def streams(
    draw: st.DrawFn, steps: st.SearchStrategy[float] = STRAP_STEPS
) -> tuple[list[Sample], list[Control], Mode]:
    """A random session: stretches with gaps between them, and things done by hand."""
    samples: list[Sample] = []
    t = START_S + draw(st.floats(0.0, 10.0))
    k = 0
    for (n, bpm, step, has_contact, rr_on, noisy, activity), gap_s in draw(
        st.lists(st.tuples(stretch(steps), gap), min_size=1, max_size=16)
    ):
        t += gap_s
        for _ in range(n):
            k += 1
            swing = 3.0 * math.sin(k / 4.0) + (k * 7919 % 13) / 6.0
            value = bpm + swing if bpm > 0 else 0.0
            rr: tuple[float, ...] = ()
            if rr_on and 30 < value < 230:
                beat = 60.0 / value
                rr = (beat,) * (1 + (k % 3 == 0))
                if noisy and k % 17 == 0:
                    rr = (beat / 2, beat / 2, beat * 2)  # an extra beat, then a missed one
            samples.append(Sample(t, round(value, 1), rr, has_contact, None, activity))
            t += step
    controls = [
        Control(
            before=int(where * len(samples)),
            t_s=samples[min(int(where * len(samples)), len(samples) - 1)].t_s,
            mode=Mode(what) if what in ("talk", "workout") else None,
            pause=None if what in ("talk", "workout") else what != "end pause",
            pause_minutes=1.0 if what == "short pause" else None,
        )
        for where, what in draw(st.lists(control, max_size=4))
    ]
    controls.sort(key=lambda c: c.before)
    return samples, controls, draw(st.sampled_from([Mode.TALK, Mode.TALK, Mode.WORKOUT]))


def live(
    samples: list[Sample],
    controls: list[Control],
    mode: Mode,
    *,
    classic: bool = False,
    chosen: Settings = SETTINGS,
    step_s: float | None = None,
) -> tuple[list[Reading], list[Event]]:
    """Each sample fed to an engine in turn, the controls applied before theirs, at the
    pace given or else the stream's own (as `run_batch` takes it)."""
    pace = samples_step_s(samples) if step_s is None else step_s
    engine = Engine(chosen, mode=mode, classic=classic, step_s=pace)
    readings: list[Reading] = []
    events: list[Event] = []
    for index, sample in enumerate(samples):
        for c in controls:
            if c.before == index:
                events += c.apply(engine)
        reading = engine.feed(sample)
        readings.append(reading)
        events += reading.events
    for c in controls:
        if c.before >= len(samples):
            events += c.apply(engine)
    return readings, events


def same_in_batch(
    samples: list[Sample],
    controls: Sequence[Control] = (),
    chosen: Settings = SETTINGS,
    step_s: float | None = None,
    mode: Mode = Mode.TALK,
) -> tuple[list[Reading], list[Event]]:
    """Streaming's readings and events, once the batch path has given exactly the same (at
    the pace given, or the stream's own; starting in `mode`)."""
    readings, events = live(samples, list(controls), mode, chosen=chosen, step_s=step_s)
    kept = run_batch(
        samples, chosen, mode=mode, keep_readings=True, controls=controls, step_s=step_s
    )
    assert repr(kept.events) == repr(events)
    assert repr(kept.readings) == repr(readings)
    return readings, events


def bucket_by_bucket(samples: list[Sample]) -> list[Control]:
    """A control after the last sample that does nothing: with a control the batch path takes
    calm or flooded buckets one at a time (`Detector.quiet_bucket`), never in stretches."""
    return [Control(before=len(samples), t_s=samples[-1].t_s)]


def calm_in_turn(k: int) -> float:
    """A calm that takes turns between 64 and 68 bpm bucket by bucket (a sample a second from
    START_S): its median moves with a single bucket, so a bucket learned or not shows."""
    return 64.0 if k // 10 % 2 == 0 else 68.0


# a flooded heart's runs over and under its release level: (how many readings, under or
# not, seconds before the first: a second, or a gap)
release_runs = st.lists(
    st.tuples(st.integers(1, 40), st.booleans(), st.sampled_from([1.0, 1.0, 1.0, 6.0, 7.5])),
    min_size=1,
    max_size=20,
)


def episodes(events: list[Event]) -> list[tuple[float, float]]:
    """When each episode began (its onset) and was confirmed, in seconds from START_S."""
    return [(e.onset_s - START_S, e.t_s - START_S) for e in events if isinstance(e, EpisodeStarted)]


class TestBatchEqualsStreaming:
    @settings(max_examples=100, deadline=None)
    @given(streams())
    def test_random_streams(self, stream: tuple[list[Sample], list[Control], Mode]) -> None:
        """Batch events and readings equal streaming ones, sample for sample (compared by
        repr: a pause extended without a usable reading carries a NaN, unequal to itself)."""
        samples, controls, mode = stream
        readings, events = live(samples, controls, mode)
        kept = run_batch(samples, SETTINGS, mode=mode, keep_readings=True, controls=controls)
        assert repr(kept.events) == repr(events)
        assert repr(kept.readings) == repr(readings)
        bare = run_batch(samples, SETTINGS, mode=mode, controls=controls)
        assert repr(bare.events) == repr(events)
        assert bare.readings == []

    @settings(max_examples=50, deadline=None)
    @given(streams(WATCH_STEPS))
    def test_random_streams_at_a_watch_pace(
        self, stream: tuple[list[Sample], list[Control], Mode]
    ) -> None:
        """At a watch's pace (a reading every 5-15 s: a bucket fills with one calm reading, a
        gap is more than three steps) batch equals streaming at the same pace too."""
        samples, controls, mode = stream
        same_in_batch(samples, controls, mode=mode)

    @settings(max_examples=50, deadline=None)
    @given(streams(BETWEEN_STEPS))
    def test_random_streams_between_the_paces(
        self, stream: tuple[list[Sample], list[Control], Mode]
    ) -> None:
        """At a pace between a strap's and a watch's (a reading every 2.5-4 s: two calm
        readings fill a bucket, and the step rule still looks for a step) batch equals
        streaming at the same pace too."""
        samples, controls, mode = stream
        same_in_batch(samples, controls, mode=mode)

    @settings(max_examples=30, deadline=None)
    @given(streams())
    def test_random_streams_classic_rules(
        self, stream: tuple[list[Sample], list[Control], Mode]
    ) -> None:
        """With the classic rules (the "before" of scripts/evaluate) batch equals streaming too."""
        samples, controls, mode = stream
        readings, events = live(samples, controls, mode, classic=True)
        kept = run_batch(
            samples, SETTINGS, mode=mode, keep_readings=True, controls=controls, classic=True
        )
        assert repr(kept.events) == repr(events)
        assert repr(kept.readings) == repr(readings)

    def test_first_activity_level_on_an_implausible_reading(self) -> None:
        """A strap whose first activity level comes with an implausible rate still counts as
        having an accelerometer from then on, in batch as live (no step rule after it)."""
        samples = [Sample(START_S + i, 68.0) for i in range(400)]
        samples += [Sample(START_S + 400 + i, 0.0, (), True, None, 0.01) for i in range(3)]
        samples += [Sample(START_S + 403 + i, 68.0, (), True, None, None) for i in range(30)]
        samples += [Sample(START_S + 433 + i, 110.0) for i in range(60)]
        readings, _ = same_in_batch(samples)
        assert all(r.waiting is not Waiting.STEP for r in readings)

    def test_prepared_samples_replay_the_same(self) -> None:
        """Samples prepared once replay like the samples themselves, under other settings too."""
        samples = [Sample(START_S + i, 70.0 + (40.0 if 300 < i < 400 else 0.0)) for i in range(900)]
        prepared = prepare(samples)
        stricter = SETTINGS.model_copy(
            update={"detection": SETTINGS.detection.model_copy(update={"margin_bpm": 25.0})}
        )
        for chosen in (SETTINGS, stricter):
            assert run_batch(prepared, chosen).events == run_batch(samples, chosen).events
        assert run_batch(prepared, SETTINGS).events == live(samples, [], SETTINGS.mode)[1]
        assert run_batch(prepared, SETTINGS).events  # the rise gives an episode

    def test_held_lists_replay_the_same(self) -> None:
        """Replays that share a session's lists (`PreparedSamples.held`: a pause, gaps, a rise,
        two settings) and its usable masks (kept after, by gap) give what replays making
        their own give, and the lists are let go at the end."""
        samples = [Sample(START_S + i, 70.0 + (40.0 if 300 < i < 400 else 0.0)) for i in range(900)]
        samples += [Sample(START_S + 960 + i, 71.0) for i in range(2000)]  # after a gap
        samples += [Sample(START_S + 2960 + 3 * i, 72.0) for i in range(300)]  # another pace
        prepared = prepare(samples)
        stricter = SETTINGS.model_copy(
            update={"detection": SETTINGS.detection.model_copy(update={"margin_bpm": 25.0})}
        )
        # steps of 3 s are gaps: other usable samples than the others' (not shared with them)
        gappier = SETTINGS.model_copy(
            update={"detection": SETTINGS.detection.model_copy(update={"gap_s": 2.0})}
        )
        alone = [
            run_batch(prepare(samples), chosen, keep_readings=True)
            for chosen in (SETTINGS, stricter, gappier)
        ]
        with prepared.held():
            lists = prepared.lists()
            assert prepared.lists() is lists
            together = [
                run_batch(prepared, chosen, keep_readings=True)
                for chosen in (SETTINGS, stricter, gappier)
            ]
        assert prepared.lists() is not lists
        # the usable masks stay for later replays: one for the two that share their gap
        assert len(prepared.usable) == 2
        again = [run_batch(prepared, chosen, keep_readings=True) for chosen in (stricter, SETTINGS)]
        assert len(prepared.usable) == 2
        assert any(isinstance(e, Alert) for e in alone[0].events)  # a pause follows
        assert repr(alone[2].events) != repr(alone[0].events)
        for a, b in zip([*alone, alone[1], alone[0]], [*together, *again], strict=True):
            assert repr(a.events) == repr(b.events)
            assert repr(a.readings) == repr(b.readings)

    def test_calm_runs_stop_at_gaps_and_short_buckets(self) -> None:
        """Long runs of calm buckets after the settling minutes (each learned, the threshold
        following) stop where a bucket follows a gap or spans too little for the step rule,
        and go on after it, in batch as live; a strap with an accelerometer (no step rule)
        takes the short bucket in its run."""
        times = [START_S + i for i in range(1200)]
        times += [START_S + 1230 + i for i in range(600)]  # a gap, inside a bucket
        times += [START_S + 1834 + i for i in range(3)]  # a bucket of 3 samples in 2 s
        times += [START_S + 1840 + i for i in range(900)]
        bpms = [calm_in_turn(k) for k in range(len(times))]
        plain = [Sample(t, bpm) for t, bpm in zip(times, bpms, strict=True)]
        moving = [Sample(t, bpm, (), True, None, 0.01) for t, bpm in zip(times, bpms, strict=True)]
        for samples in (plain, moving):
            readings, events = same_in_batch(samples)
            assert sum(isinstance(e, GapDetected) for e in events) == 1
            assert readings[-1].state is State.CALM

    def test_the_collector_is_left_as_it_was(self) -> None:
        """A replay holds the garbage collector off while it runs and leaves it as it found
        it: running after, or still off when it was off."""
        samples = [Sample(START_S + i, 70.0 + (40.0 if 300 < i < 400 else 0.0)) for i in range(900)]
        assert gc.isenabled()
        assert run_batch(samples, SETTINGS).events
        assert gc.isenabled()
        gc.disable()
        try:
            assert run_batch(samples, SETTINGS).events
            assert not gc.isenabled()
        finally:
            gc.enable()

    @requires_data
    def test_no_collection_runs_during_a_replay(self) -> None:
        """A replay that makes enough objects for many collections (a watch's days, readings
        kept) sees none while it runs, at most the one its objects call for once it is done:
        the collector is held off, not only left as found (else: dozens)."""
        prepared = prepare(read(recording("fitbit_30-day_free-living_hr.csv")).samples[:30_000])
        started: list[str] = []

        def note(phase: str, _info: dict[str, int]) -> None:
            if phase == "start":
                started.append(phase)

        gc.callbacks.append(note)
        try:
            assert run_batch(prepared, SETTINGS, keep_readings=True).events
        finally:
            gc.callbacks.remove(note)
        assert len(started) <= 1

    def test_gaps_inside_baseline_buckets(self) -> None:
        """A gap inside a 10-s bucket drops the bucket's readings before it, in batch as live."""
        for offset in (0.0, 1.0, 2.5, 3.75):
            samples: list[Sample] = []
            t = START_S + offset
            for k in range(3000):
                level = 64.0 + 6.0 * math.sin(k / 200.0) + (k % 7) / 3.0
                samples.append(Sample(t, level, (), True))
                t += 5.5 if k % 29 == 11 else 0.25
            readings, events = live(samples, [], Mode.TALK)
            kept = run_batch(samples, SETTINGS, keep_readings=True)
            assert repr(kept.events) == repr(events)
            assert kept.readings == readings
            assert any(r.baseline_bpm is not None for r in readings)

    def test_steps_that_fall_back_or_stay_up(self) -> None:
        """A sudden step up (standing up) that falls back half-way while still over the
        threshold, at every place in a 10-s bucket, or that stays up until confirmed: batch
        equals streaming, and the step rule says what it waits for as live."""
        for offset in range(10):
            for after in (86.0, 100.0):  # fallen back half-way (a posture), or still up
                samples = [
                    Sample(START_S + k, 66.0 + (k * 7919 % 5) / 5.0, (), True)
                    for k in range(600 + offset)
                ]
                t = samples[-1].t_s
                rise = [110.0, 111.0, 112.0, 110.5, 109.0, after, after - 1.0, after + 0.5]
                rise += [after] * 30 + [66.0] * 120
                samples += [Sample(t + 1.0 + k, bpm, (), True) for k, bpm in enumerate(rise)]
                readings, _ = same_in_batch(samples)
                waits = {r.waiting for r in readings}
                assert Waiting.STEP in waits
                if after < 90.0:
                    assert Waiting.MOVEMENT in waits

    def test_sparse_readings_under_a_calm_that_steps_past_the_rise_limit(self) -> None:
        """Readings about two seconds apart (buckets some half filled, some not) while the calm
        steps up faster than the baseline may follow: when each bucket begins decides when
        the baseline may rise, in batch as live."""
        for step_s in (1.6, 1.8, 2.0, 2.2):
            samples: list[Sample] = []
            t = START_S
            k = 0
            while t < START_S + 3600.0:
                # the calm steps up by 7 bpm every other 10 minutes: faster than the rise limit
                level = 62.0 + 7.0 * (int((t - START_S) // 600.0) % 2) + (k * 7919 % 7) / 10.0
                samples.append(Sample(t, round(level, 1), (), True))
                t += step_s + (0.4 if k % 3 == 0 else 0.0)
                k += 1
            readings, _ = same_in_batch(samples)
            assert len({r.baseline_bpm for r in readings}) > 10  # the baseline did follow

    def test_too_few_calm_readings_are_not_merged_into_the_next_bucket(self) -> None:
        """A bucket with too few calm readings to learn, then one whose readings are taken at
        once up to an implausible one: the few are forgotten, not learned with the next
        bucket's, in batch as live."""
        samples = [  # warm: calm buckets of 64 and 68 bpm in turn
            Sample(START_S + k, 64.0 if k // 10 % 2 == 0 else 68.0) for k in range(300)
        ]
        samples += [Sample(START_S + k, 72.0) for k in (300.0, 303.0, 306.0)]  # 3: too few
        samples += [Sample(START_S + k, 64.0) for k in range(310, 319)]
        samples.append(Sample(START_S + 319, 0.0))  # implausible: the bucket is not all calm
        samples += [
            Sample(START_S + k, 64.0 if k // 10 % 2 == 0 else 68.0) for k in range(320, 400)
        ]
        readings, _ = same_in_batch(samples)
        # the bucket of 64 bpm alone makes ten of 64 to nine of 68: the median falls to 64
        # (with the three readings of 72 in it, it would not)
        assert [r.baseline_bpm for r in readings if r.t_s == START_S + 320] == [64.0]

    def test_an_episode_confirmed_inside_a_bucket(self) -> None:
        """The readings after an episode's confirmation in its bucket, taken at once, set its
        peak and start the release timer that the next buckets go on with, in batch as live."""
        samples = [Sample(START_S + k, 66.0) for k in range(400)]
        samples += [Sample(START_S + k, 110.0) for k in range(400, 421)]  # confirmed at 420
        samples += [Sample(START_S + k, 130.0) for k in range(421, 424)]  # the peak
        samples += [Sample(START_S + k, 110.0) for k in range(424, 427)]
        samples += [Sample(START_S + k, 60.0) for k in range(427, 470)]  # released 30 s on
        samples += [Sample(START_S + k, 66.0) for k in range(470, 600)]
        _, events = same_in_batch(samples)
        ended = [(e.t_s - START_S, e.peak_bpm) for e in events if isinstance(e, EpisodeEnded)]
        assert ended == [(457.0, 130.0)]

    @settings(max_examples=60, deadline=None)
    @given(release_runs)
    @example([(3, True, 1.0), (2, False, 1.0), (12, True, 1.0), (25, True, 6.0), (45, True, 1.0)])
    @example([(19, True, 1.0), (1, False, 1.0), (35, True, 1.0)])  # stopped at a bucket's end
    @example([(3, True, 1.0), (30, True, 6.0)])  # started again at a gap inside a bucket
    def test_a_release_timer_that_starts_and_stops_inside_flooded_buckets(
        self, runs: list[tuple[int, bool, float]]
    ) -> None:
        """Flooded buckets read under the release level in runs that begin, stop and go on
        across buckets (after a gap too), or end the episode: the release timer in batch (in
        stretches, and bucket by bucket: a control) as live."""
        samples = [Sample(START_S + k, 66.0) for k in range(400)]
        samples += [Sample(START_S + k, 110.0) for k in range(400, 440)]  # flooded from 420
        t = START_S + 440
        for count, under, first_step_s in runs:
            t += first_step_s - 1.0
            for _ in range(count):
                samples.append(Sample(t, 60.0 if under else 110.0))  # 60: under the release
                t += 1.0
        samples += [Sample(t + k, 66.0) for k in range(60)]  # released by now
        for controls in ([], bucket_by_bucket(samples)):
            _, events = same_in_batch(samples, controls)
            assert any(isinstance(e, EpisodeEnded) for e in events)

    @pytest.mark.parametrize("flooded_s", [40, 400])
    def test_an_episode_the_strap_came_off_in(self, flooded_s: int) -> None:
        """An episode (with its pause running) followed by more than UNSEEN_S without samples
        ends at the last reading before them, the heart after is learned afresh (settling,
        then its calm, once ready comes), in batch (in stretches, and bucket by bucket: a
        control) as live."""
        samples = [Sample(START_S + k, 66.0) for k in range(400)]
        samples += [Sample(START_S + k, 110.0) for k in range(400, 400 + flooded_s)]
        back = 400 + flooded_s + int(UNSEEN_S) + 5  # a watch put on again
        samples += [Sample(START_S + k, 68.0) for k in range(back, back + 900)]
        for controls in ([], bucket_by_bucket(samples)):
            readings, events = same_in_batch(samples, controls)
            ended = [(e.t_s - START_S, e.peak_bpm) for e in events if isinstance(e, EpisodeEnded)]
            assert ended == [(400 + flooded_s - 1, 110.0)]
            assert any(isinstance(e, ReadyToReturn) for e in events)
            assert readings[-900].waiting is Waiting.SETTLING
            assert readings[-1].baseline_bpm == 68.0

    def test_an_episode_that_goes_on_after_its_pause_is_ended_by_hand(self) -> None:
        """Flooded buckets after the pause is ended by hand (the baseline learns again) are not
        learned, and a release timer stopped by a bucket over the line starts again, in batch
        (bucket by bucket: a control) as live."""
        samples = [Sample(START_S + k, 66.0) for k in range(400)]
        samples += [Sample(START_S + k, 110.0) for k in range(400, 447)]
        samples += [Sample(START_S + k, 60.0) for k in range(447, 450)]  # the timer starts
        samples += [Sample(START_S + k, 110.0) for k in range(450, 800)]  # and stops
        samples += [Sample(START_S + k, 60.0) for k in range(800, 860)]
        samples += [Sample(START_S + k, 66.0) for k in range(860, 1000)]
        end_pause = Control(before=425, t_s=START_S + 425, pause=False)
        readings, events = same_in_batch(samples, [end_pause])
        ended = [(e.t_s - START_S, e.peak_bpm) for e in events if isinstance(e, EpisodeEnded)]
        assert ended == [(830.0, 110.0)]
        assert readings[-1].baseline_bpm == 66.0

    def test_calm_in_a_workout_is_not_learned(self) -> None:
        """Calm readings after a switch to workout mode are not learned, in batch (bucket by
        bucket: a control) as live."""
        samples = [Sample(START_S + k, 66.0) for k in range(400)]
        samples += [Sample(START_S + k, 71.0) for k in range(400, 1000)]
        workout = Control(before=405, t_s=START_S + 405, mode=Mode.WORKOUT)
        readings, _ = same_in_batch(samples, [workout])
        assert readings[-1].baseline_bpm == 66.0

    def test_an_implausible_reading_right_after_buckets_taken_at_once(self) -> None:
        """An implausible reading just after flooded buckets taken at once is no gap (the last
        plausible reading was a second before): the release timer runs on, in batch as live,
        in stretches and bucket by bucket."""
        samples = [Sample(START_S + k, 66.0) for k in range(400)]
        samples += [Sample(START_S + k, 110.0) for k in range(400, 455)]
        samples += [Sample(START_S + k, 60.0) for k in range(455, 470)]  # the timer starts
        samples.append(Sample(START_S + 470, 0.0))
        samples += [Sample(START_S + k, 60.0) for k in range(471, 600)]
        for controls in ([], bucket_by_bucket(samples)):
            _, events = same_in_batch(samples, controls)
            assert [e.t_s - START_S for e in events if isinstance(e, EpisodeEnded)] == [485.0]

    def test_readings_not_counted_amid_buckets_taken_at_once(self) -> None:
        """Implausible readings and readings without skin contact amid calm and flooded
        buckets taken at once say why they were not counted, in batch as live (the trace's
        column too), in stretches and bucket by bucket; the others say nothing."""
        samples = [Sample(START_S + k, 66.0) for k in range(400)]
        samples += [Sample(START_S + k, 120.0) for k in range(400, 500)]
        samples += [Sample(START_S + k, 66.0) for k in range(500, 700)]
        odd = {150: 300.0, 151: 12.0, 430: 250.0, 600: 0.0}
        samples = [replace(s, bpm=odd[k]) if k in odd else s for k, s in enumerate(samples)]
        samples[620] = Sample(START_S + 620, 0.0, (), False)
        samples[450] = Sample(START_S + 450, 120.0, (), False)
        expected = {k: Unusable.IMPLAUSIBLE for k in odd} | {
            620: Unusable.NO_CONTACT,
            450: Unusable.NO_CONTACT,
        }
        for controls in ([], bucket_by_bucket(samples)):
            readings, _ = same_in_batch(samples, controls)
            said = {k: r.unusable for k, r in enumerate(readings) if r.unusable is not None}
            assert said == expected
            trace = run_batch(samples, SETTINGS, keep_readings=True, controls=controls).trace
            assert trace is not None
            column = [-1 if r.unusable is None else UNUSABLE.index(r.unusable) for r in readings]
            assert trace.unusable.tolist() == column

    def test_the_settling_minutes_end_inside_a_bucket(self) -> None:
        """Readings of the bucket in which the settling minutes end wait for settling before
        the end and for learning after it, in batch as live, in stretches and bucket by
        bucket."""
        samples = [Sample(START_S + 3.0 + k, 66.0) for k in range(400)]  # settled at 123 s
        for controls in ([], bucket_by_bucket(samples)):
            readings, _ = same_in_batch(samples, controls)
            assert [(r.t_s - START_S, r.waiting) for r in readings[119:121]] == [
                (122.0, Waiting.SETTLING),
                (123.0, Waiting.LEARNING),
            ]

    def test_a_gap_before_a_bucket_taken_alone(self) -> None:
        """A gap forgets the bucket before it (six readings of 60 bpm, enough to learn), in
        batch (bucket by bucket: a control) as live."""
        samples = [Sample(START_S + k, calm_in_turn(k)) for k in range(300)]
        samples += [Sample(START_S + k, 60.0) for k in range(300, 306)]
        samples += [Sample(START_S + k, 68.0) for k in range(312, 320)]  # after a gap of 6 s
        samples += [Sample(START_S + k, calm_in_turn(k)) for k in range(320, 400)]
        readings, _ = same_in_batch(samples, bucket_by_bucket(samples))
        # nine buckets of 64 and nine of 68: the median, 66, approached at the rise limit from
        # 64; the 60s learned would tip it (ten buckets of 60 and 64 to nine of 68) down to 64
        rising = 64.0 + BUCKET_RISE_BPM
        assert [r.baseline_bpm for r in readings[305:307]] == [rising, rising]

    def test_a_threshold_that_comes_down_under_the_heart_after_readings_taken_at_once(
        self,
    ) -> None:
        """When the threshold comes down under a heart that did not rise (the baseline warms,
        or falls with a bucket), whether the last reading before it was under the old
        threshold decides whether a rise begins, after readings, buckets or stretches taken at
        once, in batch as live."""
        # the baseline warms under a heart of 80 (under the threshold of 100 until then): no
        # rise; back under the new threshold, then up again: a rise
        samples = [Sample(START_S + k, 66.0) for k in range(236)]
        samples += [Sample(START_S + k, 80.0) for k in range(236, 241)]
        samples += [Sample(START_S + k, 70.0) for k in range(241, 246)]
        samples += [Sample(START_S + k, 85.0) for k in range(246, 280)]
        samples += [Sample(START_S + k, 66.0) for k in range(280, 400)]
        for controls in ([], bucket_by_bucket(samples)):
            readings, events = same_in_batch(samples, controls)
            assert [r.state for r in readings[240:242]] == [State.RISING, State.CALM]
            assert episodes(events) == [(246.0, 266.0)]

    def test_a_threshold_that_falls_under_the_last_reading_taken_at_once(self) -> None:
        """The threshold falls from 74.05 to 74 bpm as the bucket of 320-329 s closes: a heart
        of 80 bpm from 330 s is a rise only if the last reading before was under 74, whether
        that bucket was taken in a stretch, alone after a gap, or reading by reading, in batch
        as live."""

        def in_turn(first: int, end: int) -> list[Sample]:
            return [Sample(START_S + k, calm_in_turn(k)) for k in range(first, end)]

        def at(bpm: float, *times: float) -> list[Sample]:
            return [Sample(START_S + k, bpm) for k in times]

        up = at(80.0, *range(330, 370)) + in_turn(370, 500)
        cases = [
            # a stretch that begins a bucket before (one not all calm before it)
            (in_turn(0, 309) + at(0.0, 309) + in_turn(310, 320), False),
            # a stretch of that bucket alone (after readings taken at once)
            (in_turn(0, 319) + at(0.0, 319), False),
        ]
        for start, rose in cases:
            samples = start + at(62.5, *range(320, 329)) + at(74.03, 329) + up
            _, events = same_in_batch(samples)
            assert episodes(events) == ([(330.0, 350.0)] if rose else [])
        # the bucket alone after a gap inside it: its readings from 325.5 s on are learned
        tail = at(61.0, 325.5, 326.5, 327.5, 328.5) + at(74.03, 329.5)
        _, events = same_in_batch(in_turn(0, 321) + tail + up)
        assert episodes(events) == []
        # its readings taken at once, the first (74.03) fed, the last implausible
        taken = at(74.03, 320) + at(62.5, *range(321, 329)) + at(0.0, 329)
        _, events = same_in_batch(in_turn(0, 320) + taken + up)
        assert episodes(events) == [(330.0, 350.0)]

    def test_a_threshold_that_comes_down_under_a_heart_with_a_calm_over_100_bpm(self) -> None:
        """With a calm over 100 bpm the margin is 10 % of the baseline, so it moves with each
        bucket learned: after a stretch whose last bucket brings the threshold down under the
        heart, a new rise counts from the margin of the new baseline, in batch as live."""
        samples = [Sample(START_S + k, calm_in_turn(k) + 40.0) for k in range(319)]
        samples.append(Sample(START_S + 319, 0.0))  # a stretch begins after this bucket
        samples += [Sample(START_S + k, 102.5) for k in range(320, 329)]
        samples.append(Sample(START_S + 329, 114.43))  # under 114.455; as the bucket closes,
        samples.append(Sample(START_S + 330, 120.0))  # the baseline falls to 104 (114.4)
        samples += [Sample(START_S + k, 130.41) for k in range(331, 370)]  # over 120 + 10.4
        samples += [Sample(START_S + k, calm_in_turn(k) + 40.0) for k in range(370, 500)]
        readings, events = same_in_batch(samples)
        assert readings[329].threshold_bpm > 114.43  # over the heart
        assert readings[330].threshold_bpm == 114.4  # 104 + 10.4: under it
        assert episodes(events) == [(331.0, 351.0)]

    def test_a_step_followed_by_readings_taken_at_once(self) -> None:
        """After a sudden step, readings taken at once carry the run's peak (from which a fall
        back half-way is a change of posture) and end a dip (a second dip then is a new one),
        and calm buckets after a posture change lower the trough from which a new rise
        counts, in batch as live."""
        calm = [Sample(START_S + k, 66.0) for k in range(400)]
        climb = [Sample(START_S + 400, 100.0)]  # a step: 34 bpm over the calm at once
        climb += [Sample(START_S + 401 + k, 102.0 + 2.0 * k) for k in range(10)]  # to 120
        back = [Sample(START_S + k, 90.0) for k in range(411, 441)]  # under half-way (93)
        rest = [Sample(START_S + k, 66.0) for k in range(441, 600)]
        readings, events = same_in_batch(calm + climb + back + rest)
        assert readings[411].waiting is Waiting.MOVEMENT
        assert episodes(events) == []
        # after the posture change: a trough of 71.5, then 83 is a new rise (71.5 + 10)
        lower = [Sample(START_S + k, 75.0) for k in range(441, 450)]
        lower += [Sample(START_S + k, 71.5) for k in range(450, 460)]
        lower += [Sample(START_S + k, 83.0) for k in range(460, 500)]
        lower += [Sample(START_S + k, 66.0) for k in range(500, 600)]
        _, events = same_in_batch(calm + climb + back + lower)
        assert episodes(events) == [(460.0, 480.0)]
        # a step that stays up, with two dips of a second each four seconds apart
        stays = [Sample(START_S + 400, 100.0)]
        stays += [Sample(START_S + k, 70.0 if k in (406, 410) else 110.0) for k in range(401, 441)]
        _, events = same_in_batch(calm + stays + rest)
        assert episodes(events) == [(400.0, 420.0)]

    def test_the_step_rule_window_after_readings_taken_at_once(self) -> None:
        """The step rule compares a reading with the lowest of the last 5 s: readings of a run
        taken at once join them (a jump from them is a step), readings before a gap inside a
        bucket taken in a stretch do not (with a gap shorter than that window), in batch
        as live."""
        calm = [Sample(START_S + k, 66.0) for k in range(395)]
        # a run from 400 s at 80 bpm (10 over the 70s before it: no step), then 96 at 405 s:
        # 16 over the run's own readings, the 70s gone from the window
        run = [Sample(START_S + k, 70.0) for k in range(395, 400)]
        run += [Sample(START_S + k, 80.0) for k in range(400, 405)]
        run += [Sample(START_S + k, 96.0) for k in range(405, 430)]
        rest = [Sample(START_S + k, 66.0) for k in range(430, 600)]
        readings, _ = same_in_batch(calm + run + rest)
        assert [r.waiting for r in readings[399:401]] == [None, None]
        assert readings[405].waiting is Waiting.STEP
        # gaps from 3 s: a reading of 60 at 415.5 s, a gap, 75s, then 88 at 420 s: 13 over
        # the 75s, not a step (the 60, 4.5 s before, came before the gap)
        short_gaps = SETTINGS.model_copy(
            update={"detection": SETTINGS.detection.model_copy(update={"gap_s": 3.0})}
        )
        calm = [Sample(START_S + k, 66.0) for k in range(410)]
        bucket = [Sample(START_S + 410.5 + k, 66.0) for k in range(5)]
        bucket += [Sample(START_S + 415.5, 60.0), Sample(START_S + 419.0, 75.0)]
        bucket.append(Sample(START_S + 419.5, 75.0))
        up = [Sample(START_S + k, 88.0) for k in range(420, 450)]
        rest = [Sample(START_S + k, 66.0) for k in range(450, 600)]
        samples = calm + bucket + up + rest
        for controls in ([], bucket_by_bucket(samples)):
            readings, _ = same_in_batch(samples, controls, short_gaps)
            assert readings[len(calm) + len(bucket)].waiting is None
        # a bucket of two readings 0.4 s apart (taken in a stretch), then 110 at 420 s: a step
        # from the second, 4.8 s before
        calm = [Sample(START_S + k, 66.0) for k in (*range(410), 409.8, 414.8, 415.2)]
        up = [Sample(START_S + k, 110.0) for k in range(420, 450)]
        readings, _ = same_in_batch(calm + up + rest)
        assert readings[len(calm)].waiting is Waiting.STEP

    def test_a_step_after_a_dip_in_a_run_taken_at_once(self) -> None:
        """A run's readings taken at once, a dip among them, set its peak: a step from the dip
        that is already under half-way from that peak is a change of posture, in batch as
        live."""
        samples = [Sample(START_S + k, 66.0) for k in range(395)]
        samples += [Sample(START_S + k, 74.0) for k in range(395, 400)]  # the floor: 74
        samples += [Sample(START_S + 400 + k, bpm) for k, bpm in enumerate((78.0, 88.0, 60.0))]
        samples.append(Sample(START_S + 403, 80.0))  # 20 over the dip, under 74 + (88 - 74) / 2
        samples += [Sample(START_S + k, 80.5) for k in range(404, 440)]
        samples += [Sample(START_S + k, 66.0) for k in range(440, 600)]
        readings, _ = same_in_batch(samples)
        assert readings[403].waiting is Waiting.MOVEMENT

    def test_a_rise_in_the_settling_minutes(self) -> None:
        """Readings of a rise in the settling minutes (not confirmed) are part of the calm seen
        then, which raises the threshold after them, in batch as live."""
        samples = [Sample(START_S + k, 120.0 if 60 <= k < 76 else 90.0) for k in range(400)]
        readings, _ = same_in_batch(samples)
        # ten buckets of 90 and two of 120 (the second: six readings of 120, enough to
        # count) seen while settling: 95, plus the margin of 10
        assert readings[120].threshold_bpm == 105.0

    def test_readings_after_a_pause_ends_inside_a_bucket_are_learned(self) -> None:
        """A pause that ends inside a bucket whose readings are taken at once (not all usable):
        its readings after the end are learned, in batch as live."""
        samples = [Sample(START_S + k, calm_in_turn(k)) for k in range(400)]
        samples += [Sample(START_S + k, 110.0) for k in range(400, 431)]  # alert, pause
        samples += [Sample(START_S + k, 0.0 if k == 1629 else 64.0) for k in range(431, 1700)]
        readings, events = same_in_batch(samples)
        assert [e.t_s - START_S for e in events if isinstance(e, ReadyToReturn)] == [1620.0]
        # the eight readings of 64 after it tip the median (fifteen buckets of 64 to fourteen
        # of 68) down to 64 as their bucket closes
        assert [r.baseline_bpm for r in readings[1629:1631]] == [64.0 + BUCKET_RISE_BPM, 64.0]

    def test_an_accelerometer_that_first_reports_during_a_step(self) -> None:
        """A strap whose activity level first comes during a rise that began with a sudden
        step has an accelerometer from then on: the rise waits for the step no more, in batch
        as live."""
        still = 0.01  # g: sitting still
        samples = [Sample(START_S + k, 66.0) for k in range(400)]
        samples.append(Sample(START_S + 400, 100.0))  # a step: 34 bpm over the calm at once
        samples += [Sample(START_S + k, 105.0) for k in range(401, 405)]
        samples += [Sample(START_S + k, 105.0, (), True, None, still) for k in range(405, 440)]
        samples += [Sample(START_S + k, 66.0, (), True, None, still) for k in range(440, 600)]
        readings, events = same_in_batch(samples)
        assert [r.waiting for r in readings[404:407]] == [Waiting.STEP, None, None]
        assert episodes(events) == [(400.0, 420.0)]

    def test_hours_of_calm_in_stretches(self) -> None:
        """Hours of drifting calm with a few rises, a pause and a lost strap between (long
        calm stretches fill and turn the baseline's rings): batch equals streaming, with
        readings kept or not, with an accelerometer or without."""
        for activity in (None, 0.02):
            samples: list[Sample] = []
            for k in range(3 * 3600):
                level = 66.0 + 5.0 * math.sin(k / 1500.0) + (k * 7919 % 11) / 5.0
                if 4000 < k % 5000 < 4300:
                    level += 35.0  # a rise: an episode, its alert and pause
                contact = not 7000 < k < 7020
                samples.append(Sample(START_S + k, round(level, 1), (), contact, None, activity))
            _, events = same_in_batch(samples)
            assert any(isinstance(e, Alert) for e in events)
            assert repr(run_batch(samples, SETTINGS).events) == repr(events)

    def test_long_calm_runs_learned_at_once(self) -> None:
        """Hundreds of calm buckets in a row (a calm that climbs faster than the baseline may
        follow, a step up that the 30-minute floor takes at once, half-filled buckets, short
        rises amid the calm, an alert at the end): every column of the batch trace equals
        streaming, bit for bit."""
        samples: list[Sample] = []
        t = START_S
        k = 0
        while t < START_S + 80 * 60.0:
            minute = (t - START_S) / 60.0
            level = 64.0 + 0.4 * math.sin(k / 5.0) + (k * 7919 % 7) / 10.0
            if 33.0 < minute < 47.5 or 51.5 < minute < 52.0:
                # a step up of 87 buckets, back for 4 minutes (the 5-minute median falls back),
                # then 3 more: half of the floor's 30 minutes are up, and its median jumps past
                # its rise limit
                level += 8.0
            if 60.0 < minute < 70.0:
                # 2 bpm a minute for 3 minutes (the baseline's rise limit binds), slowly back
                climb = minute - 60.0
                level += 2.0 * climb if climb < 3.0 else max(0.0, 6.0 - (climb - 3.0))
            if 24.0 < minute < 24.25 or 70.0 < minute < 70.25:
                level += 30.0  # a short rise (unconfirmed): the run of calm buckets ends
            if minute > 76.0:
                level += 40.0  # a rise: an episode and its alert
            samples.append(Sample(t, round(level, 1), (), True))
            sparse = 18.0 < minute < 22.0 or 30.0 < minute < 32.0  # buckets under half full
            t += (2.2 if k % 2 else 1.9) if sparse else 1.0
            k += 1
        readings, events = live(samples, [], Mode.TALK)
        assert any(isinstance(e, Alert) for e in events)
        kept = run_batch(samples, SETTINGS, keep_readings=True)
        assert repr(kept.events) == repr(events)
        trace = kept.trace
        assert trace is not None
        streamed = {
            "t_s": [r.t_s for r in readings],
            "bpm": [r.bpm for r in readings],
            "state": [STATES.index(r.state) for r in readings],
            "baseline_bpm": [
                math.nan if r.baseline_bpm is None else r.baseline_bpm for r in readings
            ],
            "threshold_bpm": [r.threshold_bpm for r in readings],
            "pausing": [r.pausing for r in readings],
            "pause_until_s": [
                math.nan if r.pause_until_s is None else r.pause_until_s for r in readings
            ],
            "waiting": [-1 if r.waiting is None else WAITS.index(r.waiting) for r in readings],
            "unusable": [
                -1 if r.unusable is None else UNUSABLE.index(r.unusable) for r in readings
            ],
        }
        for name, column in streamed.items():
            batch_column = getattr(trace, name)
            assert np.array_equal(
                batch_column, np.array(column, batch_column.dtype), equal_nan=True
            ), name
        assert repr(kept.readings) == repr(readings)
        assert repr(run_batch(samples, SETTINGS).events) == repr(events)
        baselines = [r.baseline_bpm for r in readings if r.baseline_bpm is not None]
        assert len(set(baselines)) > 100  # the baseline followed the calm, bucket by bucket

    @requires_data
    def test_a_watch_with_a_gap_at_nearly_every_reading(self) -> None:
        """A wrist watch's free-living days taken at a strap's pace (a reading every 5-15 s, so
        a gap before nearly half of them, flooded ones too): batch equals streaming, readings
        kept or not."""
        samples = read(recording("fitbit_30-day_free-living_hr.csv")).samples[:30_000]
        _, events = same_in_batch(samples, step_s=STRAP_STEP_S)
        flooded_gaps = 0
        flooded = False
        for event in events:
            if isinstance(event, EpisodeStarted | EpisodeEnded):
                flooded = isinstance(event, EpisodeStarted)
            flooded_gaps += flooded and isinstance(event, GapDetected)
        assert flooded_gaps > 100  # gaps inside flooded stretches, not only in calm ones
        assert repr(run_batch(samples, SETTINGS, step_s=STRAP_STEP_S).events) == repr(events)

    @requires_data
    def test_a_watch_at_its_own_pace(self) -> None:
        """The same days at the watch's own pace (a reading every 5 s, usually): batch equals
        streaming, its own calm is learned bucket by bucket, and a gap is a real one."""
        samples = read(recording("fitbit_30-day_free-living_hr.csv")).samples[:30_000]
        readings, events = same_in_batch(samples)
        assert samples_step_s(samples) == 5.0
        assert len({r.baseline_bpm for r in readings if r.baseline_bpm is not None}) > 100
        gaps = [e for e in events if isinstance(e, GapDetected)]
        assert gaps
        assert all(gap.end_s - gap.start_s > 3 * 5.0 for gap in gaps)


# a pause's usable readings, in runs: (how many, seconds since the one before: 1 s mostly,
# a gap now and then; heart rate in bpm, around the recovery ceiling of a 70-bpm baseline)
pause_readings = st.lists(
    st.tuples(
        st.integers(1, 240),
        st.sampled_from([1.0, 1.0, 1.0, 1.0, 0.5, 0.0, 2.0, 8.0]),
        st.sampled_from([60.0, 70.0, 74.5, 75.0, 75.5, 80.0, 95.0]),
    ),
    min_size=1,
    max_size=30,
)


def pausing_protocol(start_s: float) -> PauseProtocol:
    """A session of one in a 5-minute pause started by hand, with a 70-bpm calm baseline."""
    protocol = PauseProtocol(SETTINGS.pause, {SOLO: SETTINGS.detection})
    protocol.start_manual(start_s, 5.0, {SOLO: 70.0})
    return protocol


def observed(protocol: PauseProtocol, t_s: float, bpm: float) -> list[Event]:
    """What the pause protocol says of one calm reading, observed as live does."""
    return protocol.observe(SOLO, t_s, bpm=bpm, state=State.CALM, baseline_bpm=None, alerts=True)


class TestPace:
    def test_a_strap_or_beats_keep_the_strap_pace(self) -> None:
        """A reading a second, rates at every beat (0.4-1.5 s) or a reading every 2 s keep
        a strap's pace; so do no samples and a single one."""
        beats = np.cumsum(np.tile([0.4, 0.8, 1.5], 100))
        for times in (np.arange(100.0), beats, np.arange(0.0, 200.0, 2.0), np.zeros(0), [5.0]):
            assert usual_step_s(np.asarray(times, np.float64)) == STRAP_STEP_S

    def test_a_watch_gets_its_usual_step(self) -> None:
        """A watch's export (5 s mostly, 10 or 15 s now and then, hours off the wrist) gets
        its usual step; repeated times and time set back do not count."""
        times = np.cumsum(np.tile([5.0, 5.0, 5.0, 5.0, 10.0, 15.0, 3600.0, 0.0], 50))
        assert usual_step_s(times) == 5.0
        assert usual_step_s(np.append(times, times[:10])) == 5.0

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from([0.0, -1.0, 0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 10.0]), max_size=12))
    def test_the_pace_is_the_median_step(self, steps: list[float]) -> None:
        """The pace is the median of the steps forward (a strap's second when that is up to
        2 s), even where half the steps are short and half are not."""
        times = np.concatenate(([0.0], np.cumsum(steps)))
        forward = np.diff(times)[np.diff(times) > 0]
        median = float(np.median(forward)) if forward.size else 0.0
        assert usual_step_s(times) == (median if median > 2.0 else STRAP_STEP_S)


class TestBucketIndices:
    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
    def test_the_floor_of_each_time_over_a_bucket(self, times: list[float]) -> None:
        """Each time's baseline bucket is `math.floor(t / BUCKET_S)`, the integer `tick`
        moves to, for any finite time (huge ones too)."""
        indices = bucket_indices(np.array(times), times)
        assert list(indices) == [math.floor(t / BUCKET_S) for t in times]
        assert all(type(i) is int for i in indices)

    def test_an_infinite_time_raises_only_when_asked_for(self) -> None:
        """With an infinite time among them, the others' buckets are as `tick` makes them
        and the infinite one raises as `tick` would, when it is asked for (not before)."""
        times = [0.0, 15.5, math.inf]
        indices = bucket_indices(np.array(times), times)
        assert [indices[0], indices[1]] == [0, 1]
        assert indices[:2] == [0, 1]
        with pytest.raises(OverflowError):
            indices[2]


class TestPauseReadAhead:
    @settings(max_examples=60, deadline=None)
    @given(pause_readings, st.integers(1, 40), st.integers(0, 4))
    @example([(1500, 1.0, 90.0)], 10, 4)  # still elevated: extended twice in one read
    @example([(400, 1.0, 95.0), (200, 1.0, 70.0), (900, 1.0, 80.0)], 7, 4)
    @example([(400, 1.0, 95.0), (200, 1.0, 70.0), (900, 1.0, 80.0)], 7, 1)
    def test_reading_on_from_what_was_read_ahead(
        self, runs: list[tuple[int, float, float]], every: int, pick: int
    ) -> None:
        """Reading a pause's readings on from what `quiet_until` noted ahead (at every
        `every`-th reading) gives the events and recovery state that observing them one by
        one gives, and the read ahead stops at the first reading that says something; so
        does reading on through several extensions in one call."""
        times: list[float] = []
        bpms: list[float] = []
        t = START_S
        for count, step, bpm in runs:
            for _ in range(count):
                t += step
                times.append(t)
                bpms.append(bpm)
        n = len(times)
        steady = same_steps(np.array(times))
        live = pausing_protocol(START_S)
        said: list[tuple[int, Event]] = []
        for index in range(n):
            if not live.pausing:
                break
            said += [(index, event) for event in observed(live, times[index], bpms[index])]
        batch = pausing_protocol(START_S)
        read: list[tuple[int, Event]] = []
        position = 0
        while position < n and batch.pausing:
            marks = list(range(position + every, n + 1, every))
            event_at = batch.quiet_until(times, bpms, steady, position, n, marks)
            assert event_at == next((i for i, _ in said if i >= position), n)
            noted = [m for m in marks if m <= event_at]
            # on to a noted reading, through the event when none was noted, or (`pick` 4)
            # on to the end, through all that is said
            if pick == 4:
                end = n
            else:
                end = noted[min(pick, len(noted) - 1)] if noted else min(n, event_at + 1)
            marked, ended = batch.on_usable_readings(times, bpms, steady, position, end)
            if end <= event_at:
                assert not marked
            read += marked
            position = end if ended is None else n
        assert repr(read) == repr(said)
        if live.pausing:
            assert batch.pausing
            recovery, again = live.people[SOLO].recovery, batch.people[SOLO].recovery
            assert recovery is not None
            assert again is not None
            assert (again.level_bpm, again.recovered_since) == (
                recovery.level_bpm,
                recovery.recovered_since,
            )

    def test_steady_pace_read_in_runs(self) -> None:
        """A pause's readings at one pace for minutes (read in runs that look at the heart
        alone), from the first after a pause started between two of them and a reading
        observed between them too, the pace halved for a while, the average crossing the
        ceiling down, up and down again inside such runs, and marks inside them: the same
        average, extension and ready to return as observing them one by one, at the very
        same moments."""
        times: list[float] = []
        bpms: list[float] = []
        t = START_S - 1.75  # the pause starts between the first reading and the second
        for _ in range(700):
            # the first fall at half pace; again from the reading at the planned end on (the
            # last of a run at one pace is the first after the next check)
            t += 0.5 if 250.0 <= t - START_S < 270.0 or 300.0 < t - START_S < 305.0 else 1.0
            times.append(t)
            second = t - START_S
            bpms.append(60.0 if 250.0 <= second < 290.0 or second >= 310.0 else 95.0)
        live = pausing_protocol(START_S)
        batch = pausing_protocol(START_S)
        for protocol in (live, batch):
            observed(protocol, START_S + 0.1, 100.0)  # not a step of the readings' pace
        said: list[tuple[int, Event]] = []
        levels: list[float | None] = [None]  # the recovery average after each reading
        for index in range(1, len(times)):
            said += [(index, event) for event in observed(live, times[index], bpms[index])]
            recovery = live.people[SOLO].recovery
            assert recovery is not None
            levels.append(recovery.level_bpm)
            if not live.pausing:
                break
        steady = same_steps(np.array(times))
        marks = list(range(7, len(times) + 1, 7))
        assert batch.quiet_until(times, bpms, steady, 1, len(times), marks) == said[0][0]
        read: list[tuple[int, Event]] = []
        for first, end in itertools.pairwise([1, 280, 287, 700]):  # 280 and 287: noted
            read += batch.on_usable_readings(times, bpms, steady, first, end)[0]
            recovery = batch.people[SOLO].recovery
            assert recovery is not None
            assert recovery.level_bpm == levels[min(end, len(levels)) - 1]
        assert repr(read) == repr(said)
        extended, ready = (event for _, event in said)
        assert isinstance(extended, PauseExtended)
        assert isinstance(ready, ReadyToReturn)
        assert (extended.t_s, ready.t_s) == (START_S + 300.25, START_S + 377.25)

    def test_a_change_between_reads_again(self) -> None:
        """What `quiet_until` noted is not taken once the pause changed after it (here, a
        mode switch that makes a 4-s step a gap): the readings are read again, as observing
        them one by one gives."""
        times = [START_S + 1.0 + i + (3.0 if i >= 150 else 0.0) for i in range(200)]
        bpms = [90.0 if i < 150 else 60.0 for i in range(200)]
        shorter = SETTINGS.detection.model_copy(update={"gap_s": 3.0})
        batch = pausing_protocol(START_S)
        live = pausing_protocol(START_S)
        steady = same_steps(np.array(times))
        assert batch.quiet_until(times, bpms, steady, 0, 200, [100, 200]) == 200
        batch.on_usable_readings(times, bpms, steady, 0, 100)
        batch.set_detection(SOLO, shorter)
        batch.on_usable_readings(times, bpms, steady, 100, 200)
        for index in range(200):
            if index == 100:
                live.set_detection(SOLO, shorter)
            observed(live, times[index], bpms[index])
        recovery, again = live.people[SOLO].recovery, batch.people[SOLO].recovery
        assert recovery is not None
        assert again is not None
        assert again.level_bpm == recovery.level_bpm == 60.0  # the gap started the level over
        assert again.recovered_since == recovery.recovered_since == times[150]
