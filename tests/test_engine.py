"""The pure core wired together: detector + pause protocol through an Engine, and run_batch."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

import pytest

from flooding.core.engine import Control, Engine, run_batch
from flooding.core.models import (
    SOLO,
    Alert,
    EpisodeEnded,
    EpisodeStarted,
    Event,
    Mode,
    PauseEnded,
    PauseExtended,
    PauseStarted,
    Reading,
    ReadyToReturn,
    Sample,
    State,
    Unusable,
    Waiting,
)
from flooding.core.people import PeopleEngine
from flooding.io.config_files.loading import default_settings
from flooding.lab.simulate import hard_talk, samples
from tests.traces import Seg, calm, settings, trace

E = TypeVar("E")

WARM = calm(300)
PAUSE_S = 20 * 60


def feed(engine: Engine, items: list[Sample]) -> list[Reading]:
    return [engine.feed(s) for s in items]


def events(readings: list[Reading]) -> list[Event]:
    return [e for r in readings for e in r.events]


def of(kind: type[E], evs: list[Event]) -> list[E]:
    return [e for e in evs if isinstance(e, kind)]


def kinds(evs: list[Event]) -> list[type]:
    """Event types, skipping the detector's own bookkeeping events."""
    keep = (Alert, PauseStarted, PauseExtended, ReadyToReturn, PauseEnded)
    return [type(e) for e in evs if isinstance(e, keep)]


class TestHardTalk:
    def test_one_alert_one_pause_one_ready(self) -> None:
        """The simulated hard talk gives one alert, one pause and one ready-to-return, in order."""
        start = 1_700_000_000.0
        scenario = hard_talk()
        readings = feed(Engine(default_settings()), samples(scenario, start_s=start))
        evs = events(readings)
        assert kinds(evs) == [Alert, PauseStarted, ReadyToReturn]
        [alert] = of(Alert, evs)
        [ready] = of(ReadyToReturn, evs)
        onset = start + scenario.onsets_s[0]
        assert onset <= alert.t_s <= onset + 20 + 2
        assert alert.baseline_bpm is not None
        assert alert.baseline_bpm == pytest.approx(68, abs=2)
        assert ready.t_s >= alert.t_s + PAUSE_S
        assert ready.pause_start_s == alert.t_s
        # the minute before ready-to-return was within the margin of the pre-flooding baseline
        last_minute = [r.bpm for r in readings if ready.t_s - 60 <= r.t_s <= ready.t_s]
        assert sum(last_minute) / len(last_minute) <= alert.baseline_bpm + 5

    def test_readings_show_the_pause(self) -> None:
        """Readings during the pause say pausing, with the planned end."""
        readings = feed(Engine(default_settings()), trace(WARM, Seg(60, 115), calm(60)))
        [pause] = of(PauseStarted, events(readings))
        during = [r for r in readings if r.t_s > pause.t_s]
        assert all(r.pausing and r.pause_until_s == pause.until_s for r in during)
        assert not any(r.pausing for r in readings if r.t_s < pause.t_s)


class TestPause:
    def test_no_new_alert_when_flooded_again_in_the_pause(self) -> None:
        """A second flooded episode inside the pause gives no second alert."""
        items = trace(WARM, Seg(60, 115), calm(120), Seg(60, 115), calm(60))
        evs = events(feed(Engine(default_settings()), items))
        assert len(of(EpisodeStarted, evs)) == 2
        assert len(of(Alert, evs)) == 1

    def test_baseline_frozen_during_the_pause(self) -> None:
        """Calm readings at a new level during the pause do not move the pre-flooding baseline."""
        engine = Engine(default_settings())
        readings = feed(engine, trace(WARM, Seg(60, 115), calm(900, 75)))
        assert engine.protocol.pausing
        assert engine.detector.baseline_bpm == 68
        assert {r.baseline_bpm for r in readings[300:]} == {68}

    def test_after_the_pause_the_threshold_is_where_the_talk_left_it(self) -> None:
        """A talk that climbed under the threshold, a flood and its pause, then the heart
        back at the talk's level and a rise to 85: the rise alerts (the threshold did not
        take up the climb the baseline's rise limit held back before the pause)."""
        climb = [WARM, Seg(240, 68, 76), calm(180, 76)]  # 2 bpm a minute, held back
        after = [calm(60, 76), Seg(60, 85)]  # from the moment the pause's ready-to-return came
        items = trace(*climb, Seg(60, 115), calm(PAUSE_S - 40, 70), *after)
        evs = events(feed(Engine(default_settings()), items))
        first, second = of(Alert, evs)
        [ready] = of(ReadyToReturn, evs)
        assert first.t_s < ready.t_s < second.t_s
        assert second.threshold_bpm < first.threshold_bpm + 2  # the rise limit, in calm learned
        assert run_batch(items, default_settings()).events == evs  # and so does a replay

    def test_elevated_at_the_end_then_ready(self) -> None:
        """Still elevated at the planned end: "not yet" first, ready-to-return once recovered."""
        items = trace(WARM, Seg(60, 115), Seg(PAUSE_S + 200, 95), calm(600))
        evs = events(feed(Engine(default_settings()), items))
        assert kinds(evs) == [Alert, PauseStarted, PauseExtended, ReadyToReturn]
        [pause] = of(PauseStarted, evs)
        [extended] = of(PauseExtended, evs)
        [ready] = of(ReadyToReturn, evs)
        assert extended.t_s == pause.until_s
        assert extended.until_s == extended.t_s + 10 * 60
        assert ready.t_s >= 300 + 60 + PAUSE_S + 200 + 60

    def test_contact_loss_does_not_count_as_recovered(self) -> None:
        """Lost contact over the planned end holds back ready until contact is back for the hold."""
        lost_from = 320 + PAUSE_S - 30  # the alert comes at 320
        items = trace(
            WARM,
            Seg(21, 115),
            calm(lost_from - 321),
            Seg(150, 0, contact=False),
            calm(300),
        )
        evs = events(feed(Engine(default_settings()), items))
        [ready] = of(ReadyToReturn, evs)
        assert ready.t_s >= lost_from + 150 + 60

    def test_implausible_readings_do_not_count_as_recovered(self) -> None:
        """Zero-bpm readings from a strap without contact detection do not count as recovered."""
        off_from = 320 + PAUSE_S - 30
        items = trace(
            WARM, Seg(21, 115), calm(off_from - 321), Seg(150, 0, contact=None), calm(300)
        )
        [ready] = of(ReadyToReturn, events(feed(Engine(default_settings()), items)))
        assert ready.t_s >= off_from + 150 + 60

    def test_gap_does_not_count_as_recovered(self) -> None:
        """A dropped link over the planned end holds back ready until readings hold again."""
        gap_from = 320 + PAUSE_S - 30
        items = trace(
            WARM, Seg(21, 115), calm(gap_from - 321), Seg(150, 0, missing=True), calm(300)
        )
        [ready] = of(ReadyToReturn, events(feed(Engine(default_settings()), items)))
        assert ready.t_s >= gap_from + 150 + 60


class TestReadingsNotCounted:
    def test_a_reading_says_why_its_rate_was_not_counted(self) -> None:
        """A reading outside the plausible range says so and keeps the detector's state and
        the number as it came; one without skin contact says so; a usable one says nothing."""
        items = trace(WARM, Seg(1, 300), Seg(1, 12), Seg(1, 0, contact=False), calm(1))
        readings = feed(Engine(default_settings()), items)[-5:]
        assert [r.unusable for r in readings] == [
            None,
            Unusable.IMPLAUSIBLE,
            Unusable.IMPLAUSIBLE,
            Unusable.NO_CONTACT,
            None,
        ]
        assert [r.usable for r in readings] == [True, False, False, False, True]
        assert [r.bpm for r in readings[1:3]] == [300.0, 12.0]
        assert readings[1].state is readings[2].state is readings[0].state
        assert readings[3].state is State.NO_CONTACT

    def test_the_plausible_range_is_the_detections(self) -> None:
        """Whether a rate is plausible follows `detection.min_plausible_bpm` and
        `max_plausible_bpm`, as the detector's own rule does."""
        narrow = settings(detection_changes={"min_plausible_bpm": 40, "max_plausible_bpm": 180})
        items = trace(calm(10), Seg(1, 35), Seg(1, 190), Seg(1, 40), Seg(1, 180))
        readings = feed(Engine(narrow), items)[-4:]
        assert [r.unusable for r in readings] == [Unusable.IMPLAUSIBLE] * 2 + [None] * 2

    def test_a_couples_reading_says_it_too(self) -> None:
        """A partner's reading in a session of two says why it was not counted, as one
        person's does."""
        engine = PeopleEngine(default_settings(), ["a", "b"])
        assert engine.feed("a", Sample(0.0, 70.0)).unusable is None
        assert engine.feed("b", Sample(0.0, 250.0)).unusable is Unusable.IMPLAUSIBLE
        assert engine.feed("a", Sample(1.0, 0.0, contact=False)).unusable is Unusable.NO_CONTACT


class TestStrapOffInThePause:
    def test_the_pause_goes_on_and_ready_comes_once_the_calm_heart_is_seen(self) -> None:
        """A strap off for half an hour in the pause: those minutes are the break, and ready
        comes once the calm heart is seen again for the hold, while the detector watches the
        strap put on again as a new one (settling first)."""
        gone = Seg(1800, 0, missing=True)
        readings = feed(Engine(default_settings()), trace(WARM, Seg(60, 115), gone, calm(300)))
        evs = events(readings)
        assert kinds(evs) == [Alert, PauseStarted, ReadyToReturn]
        back_s = 360 + 1800
        [ready] = of(ReadyToReturn, evs)
        assert back_s + 60 <= ready.t_s <= back_s + 120
        [first_back] = [r for r in readings if r.t_s == back_s]
        assert first_back.waiting is Waiting.SETTLING

    def test_a_strap_off_the_skin_at_the_check_is_named_as_not_counted(self) -> None:
        """A strap left off the skin past the planned end gives "not yet" every extension,
        each naming the heart as not counted (no contact) and waiting for no one, so the
        message can say the heart cannot be read; ready comes once the calm heart is back."""
        off = Seg(3600, 0, contact=False)
        items = trace(WARM, Seg(60, 115), off, calm(300))
        evs = events(feed(Engine(default_settings()), items))
        extended = of(PauseExtended, evs)
        assert len(extended) == 5  # at 20, 30, 40, 50 and 60 minutes
        assert all(e.absent == ((SOLO, "no-contact"),) and e.waiting == () for e in extended)
        assert kinds(evs)[-1] is ReadyToReturn
        replayed = run_batch(items, default_settings())
        assert repr(replayed.events) == repr(evs)

    def test_replayed_as_live(self) -> None:
        """A replay of a strap taken off in a pause (a watch's night) gives the same events and
        readings as the live engine."""
        items = trace(WARM, Seg(60, 115), calm(200), Seg(4 * 3600, 0, missing=True), calm(900))
        readings = feed(Engine(default_settings()), items)
        replayed = run_batch(items, default_settings(), keep_readings=True)
        assert repr(replayed.events) == repr(events(readings))
        assert repr(replayed.readings) == repr(readings)


class TestManualPause:
    def test_manual_pause_blocks_alerts_and_freezes_the_baseline(self) -> None:
        """A pause started by hand gives no alert when flooded in it and freezes the baseline."""
        engine = Engine(default_settings())
        feed(engine, trace(WARM))
        [started] = engine.start_pause(300)
        assert isinstance(started, PauseStarted)
        assert started.manual
        assert started.baseline_bpm == 68
        assert engine.detector.frozen
        evs = events(feed(engine, trace(Seg(60, 115), calm(300, 75), start_s=300)))
        assert of(Alert, evs) == []
        assert engine.detector.baseline_bpm == 68

    def test_manual_end_lets_alerts_come_again(self) -> None:
        """After ending the pause by hand, the baseline learns again and a flood alerts."""
        engine = Engine(default_settings())
        feed(engine, trace(WARM))
        engine.start_pause(300)
        [ended] = engine.end_pause(400)
        assert isinstance(ended, PauseEnded)
        assert not engine.detector.frozen
        evs = events(feed(engine, trace(calm(100), Seg(60, 115), start_s=400)))
        assert len(of(Alert, evs)) == 1

    def test_manual_pause_length(self) -> None:
        """A pause started by hand with its own length ends its check at that length."""
        engine = Engine(default_settings())
        feed(engine, trace(WARM))
        [started] = engine.start_pause(300, minutes=30)
        assert isinstance(started, PauseStarted)
        evs = events(feed(engine, trace(calm(PAUSE_S + 700), start_s=300)))
        [ready] = of(ReadyToReturn, evs)
        assert started.until_s == 300 + 1800
        assert ready.t_s == 300 + 1800


class TestWorkout:
    def test_no_alert_in_a_workout(self) -> None:
        """In workout mode a long climb to 160 bpm gives no alert and no pause."""
        items = trace(WARM, Seg(300, 68, 160), Seg(1200, 160), Seg(300, 160, 80))
        evs = events(feed(Engine(default_settings(), mode=Mode.WORKOUT), items))
        assert kinds(evs) == []
        talk = events(feed(Engine(default_settings(), mode=Mode.TALK), items))
        assert kinds(talk)[:2] == [Alert, PauseStarted]  # the control: talk mode alerts

    def test_mode_from_settings(self) -> None:
        """mode = "workout" in the settings is used when no mode is passed."""
        engine = Engine(settings(mode="workout"))
        assert engine.mode is Mode.WORKOUT
        evs = events(feed(engine, trace(WARM, Seg(120, 150))))
        assert of(Alert, evs) == []

    def test_workout_does_not_train_the_baseline(self) -> None:
        """Calm minutes in workout mode form no baseline; switching mid-session keeps the old."""
        workout = Engine(default_settings(), mode=Mode.WORKOUT)
        feed(workout, trace(calm(600)))
        assert workout.detector.baseline_bpm is None

        engine = Engine(default_settings())
        feed(engine, trace(WARM))
        engine.set_mode(Mode.WORKOUT, 300)
        feed(engine, trace(calm(900, 90), start_s=300))
        assert engine.detector.baseline_bpm == 68
        engine.set_mode(Mode.TALK, 1200)
        assert not engine.detector.frozen


def with_switches(engine: Engine, items: list[Sample], at: dict[float, Mode]) -> list[Event]:
    """Feed `items`, switching the mode just before the sample at each time of `at`; every
    event, the switches' own included."""
    out: list[Event] = []
    for sample in items:
        if sample.t_s in at:
            out += engine.set_mode(at[sample.t_s], sample.t_s)
        out += engine.feed(sample).events
    return out


class TestAfterAWorkout:
    """Turning workout mode off ends the movement it was: what the workout raised is no flood,
    a new rise is."""

    WORKOUT = (WARM, Seg(300, 68, 150), Seg(600, 150))  # ends at 1200 s, heart at 150

    def test_a_flood_after_the_workout_alerts(self) -> None:
        """A heart that falls back after a workout and then climbs while still gives one alert."""
        items = trace(
            *self.WORKOUT, Seg(120, 150, 100), Seg(300, 100), Seg(60, 100, 125), Seg(300, 125)
        )
        engine = Engine(default_settings())
        evs = with_switches(engine, items, {300: Mode.WORKOUT, 1200: Mode.TALK})
        [alert] = of(Alert, evs)
        assert 1620 < alert.t_s < 1750  # during the climb from 100 after the workout
        [ended] = [e for e in evs if isinstance(e, EpisodeEnded) and e.t_s == 1200]
        assert ended.start_s < 1200  # the workout's episode ends as the workout does

    def test_the_heart_still_up_after_the_workout_gives_no_alert(self) -> None:
        """A heart that stays up or comes down slowly after the workout gives no alert."""
        engine = Engine(default_settings())
        items = trace(*self.WORKOUT, Seg(600, 150, 120), Seg(600, 120, 70), calm(300))
        evs = with_switches(engine, items, {300: Mode.WORKOUT, 1200: Mode.TALK})
        assert of(Alert, evs) == []
        assert [e for e in of(EpisodeStarted, evs) if e.t_s >= 1200] == []

    def test_replay_with_the_switches_equals_live(self) -> None:
        """run_batch with the switches as controls gives the events fed one by one gave."""
        items = trace(
            *self.WORKOUT, Seg(120, 150, 100), Seg(300, 100), Seg(60, 100, 125), Seg(300, 125)
        )
        live = with_switches(
            Engine(default_settings()), items, {300: Mode.WORKOUT, 1200: Mode.TALK}
        )
        controls = [
            Control(before=300, t_s=300, mode=Mode.WORKOUT),
            Control(before=1200, t_s=1200, mode=Mode.TALK),
        ]
        batch = run_batch(items, default_settings(), controls=controls)
        assert batch.events == live
        assert of(Alert, live)


class TestRunBatch:
    @pytest.mark.parametrize("mode", [Mode.TALK, Mode.WORKOUT])
    def test_batch_equals_live(self, mode: Mode) -> None:
        """run_batch gives the same readings and events as feeding an Engine sample by sample."""
        items = samples(hard_talk(seed=3), start_s=1_700_000_000.0)
        engine = Engine(default_settings(), mode=mode)
        live = feed(engine, items)
        batch = run_batch(items, default_settings(), mode=mode, keep_readings=True)
        assert batch.readings == live
        assert batch.events == events(live)
        assert batch.events  # something happened, so the comparison means something

    def test_batch_with_a_seed(self) -> None:
        """run_batch passes a calibrated baseline seed to its engine."""
        items = trace(calm(30, 60), Seg(60, 85))
        seeded = run_batch(items, default_settings(), baseline_seed_bpm=60)
        unseeded = run_batch(items, default_settings())
        assert len(of(Alert, seeded.events)) == 1
        assert of(Alert, unseeded.events) == []

    def test_batch_keeps_no_readings_unless_asked(self) -> None:
        """Without keep_readings, run_batch keeps only the events."""
        result = run_batch(trace(WARM, Seg(60, 115)), default_settings())
        assert result.readings == []
        assert len(of(Alert, result.events)) == 1


class TestSessionOfOne:
    """A session of one person through `PeopleEngine` (the runner's core) is the `Engine`."""

    @staticmethod
    def both(items: list[Sample], *, at: dict[int, str] | None = None) -> list[type]:
        """Feed the same samples to an Engine and to a session of one, with the same manual
        pauses and mode switches at the given sample indexes; the readings must be equal.
        Returns the kinds of the pause events they gave."""
        settings = default_settings()
        solo, people = Engine(settings), PeopleEngine(settings)
        out: list[Event] = []
        for i, sample in enumerate(items):
            action = (at or {}).get(i)
            if action == "pause":
                out += solo.start_pause(sample.t_s)
                assert out[-1:] == people.start_pause(sample.t_s)
            elif action == "end":
                out += solo.end_pause(sample.t_s)
                assert out[-1:] == people.end_pause(sample.t_s)
            elif action in ("workout", "talk"):
                said = solo.set_mode(Mode(action), sample.t_s)
                assert said == people.set_mode(SOLO, Mode(action), sample.t_s)
                out += said
            reading = solo.feed(sample)
            assert reading == people.feed(SOLO, sample)
            out += reading.events
        return kinds(out)

    def test_the_simulated_hard_talk(self) -> None:
        """Alert, pause and ready-to-return come at the same samples with the same values."""
        items = samples(hard_talk(), start_s=1_700_000_000.0)
        assert self.both(items) == [Alert, PauseStarted, ReadyToReturn]

    def test_still_elevated_no_contact_and_a_gap(self) -> None:
        """Extensions, lost skin contact and a dropped link during the pause are the same."""
        items = trace(WARM, Seg(60, 115), Seg(PAUSE_S + 200, 95), calm(600))
        lost = [replace(s, contact=False) if 900 <= i < 960 else s for i, s in enumerate(items)]
        gapped = [s for i, s in enumerate(lost) if not 1500 <= i < 1530]
        assert self.both(gapped) == [Alert, PauseStarted, PauseExtended, ReadyToReturn]

    def test_pauses_by_hand_and_a_workout_in_the_pause(self) -> None:
        """A manual pause, a switch to workout during it, its end by hand and a new episode."""
        items = trace(WARM, calm(300), Seg(PAUSE_S + 300, 75), Seg(120, 118), calm(1500))
        at = {400: "pause", 600: "workout", 1300: "talk", 1400: "end"}
        assert self.both(items, at=at) == [
            PauseStarted,
            PauseEnded,
            Alert,
            PauseStarted,
            ReadyToReturn,
        ]
