"""The pause protocol for one person (a session of one): alert -> pause -> ready to return,
or "not yet, more time"."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from flooding.core.models import (
    PAUSE_EVENTS,
    SOLO,
    Alert,
    EpisodeStarted,
    Event,
    PauseEnded,
    PauseExtended,
    PauseStarted,
    ReadyToReturn,
    Rule,
    State,
)
from flooding.core.pause import PauseProtocol, Phase
from flooding.core.settings import DetectionSettings, PauseSettings
from tests.traces import pause_settings

T0 = 10_000.0  # the alert time
PAUSE_S = 20 * 60
BASELINE = 68.0


def episode(t_s: float = T0, baseline: float | None = BASELINE) -> EpisodeStarted:
    return EpisodeStarted(
        t_s=t_s,
        onset_s=t_s - 20,
        bpm=112,
        baseline_bpm=baseline,
        threshold_bpm=78,
        rule=Rule.RELATIVE,
    )


def one_person() -> PauseProtocol:
    """The protocol of a session of one."""
    return PauseProtocol(PauseSettings(), {SOLO: DetectionSettings()})


def on_episode(
    protocol: PauseProtocol, e: EpisodeStarted, alerts: bool = True, bpm: float | None = None
) -> list[Event]:
    """The detector's confirmed episode with the reading it came at, as the engine gives it
    (that reading, `bpm` or else the episode's, is the first the recovery check sees)."""
    return protocol.observe(
        SOLO,
        e.t_s,
        bpm=e.bpm if bpm is None else bpm,
        state=State.FLOODED,
        baseline_bpm=e.baseline_bpm,
        alerts=alerts,
        episodes=[e],
    )


def on_reading(protocol: PauseProtocol, t_s: float, bpm: float | None) -> list[Event]:
    """One reading (None: not usable)."""
    return protocol.observe(SOLO, t_s, bpm=bpm, state=State.CALM, baseline_bpm=None, alerts=True)


def alerted(
    pause: PauseSettings | None = None,
    baseline: float | None = BASELINE,
    first_bpm: float | None = None,
) -> PauseProtocol:
    protocol = PauseProtocol(pause or PauseSettings(), {SOLO: DetectionSettings()})
    on_episode(protocol, episode(baseline=baseline), bpm=first_bpm)
    return protocol


PauseEvent = Alert | PauseStarted | PauseExtended | ReadyToReturn | PauseEnded


def readings(
    protocol: PauseProtocol, start_s: float, end_s: float, bpm: Callable[[float], float | None]
) -> list[PauseEvent]:
    """Feed one reading a second for start_s <= t < end_s; return all events (pause kinds)."""
    events: list[PauseEvent] = []
    t = start_s
    while t < end_s:
        for event in on_reading(protocol, t, bpm(t)):
            assert isinstance(event, PAUSE_EVENTS), f"not a pause-protocol event: {event}"
            events.append(event)
        t += 1
    return events


def level(value: float | None) -> Callable[[float], float | None]:
    return lambda _t: value


class TestAlert:
    def test_episode_gives_alert_and_pause(self) -> None:
        """A confirmed episode gives one Alert and a PauseStarted of pause.minutes."""
        protocol = one_person()
        alert, pause = on_episode(protocol, episode(), alerts=True)
        assert isinstance(alert, Alert)
        assert (alert.t_s, alert.bpm, alert.baseline_bpm, alert.rule) == (
            T0,
            112,
            68,
            Rule.RELATIVE,
        )
        assert isinstance(pause, PauseStarted)
        assert (pause.t_s, pause.until_s, pause.baseline_bpm, pause.manual) == (
            T0,
            T0 + PAUSE_S,
            BASELINE,
            False,
        )
        assert protocol.pausing

    def test_no_new_alert_while_pausing(self) -> None:
        """A second episode during the pause gives no alert and does not move the pause end."""
        protocol = alerted()
        assert on_episode(protocol, episode(T0 + 300), alerts=True) == []
        assert protocol.until_s == T0 + PAUSE_S

    def test_no_alert_when_not_allowed(self) -> None:
        """With alerts not allowed (a workout) an episode gives nothing and no pause."""
        protocol = one_person()
        assert on_episode(protocol, episode(), alerts=False) == []
        assert not protocol.pausing

    def test_pause_length_from_settings(self) -> None:
        """pause.minutes sets the planned end."""
        protocol = alerted(pause_settings(minutes=45))
        assert protocol.until_s == T0 + 45 * 60

    def test_readings_while_watching_do_nothing(self) -> None:
        """Readings outside a pause give no events."""
        protocol = one_person()
        assert readings(protocol, 0, 3000, level(120)) == []


class TestReadyToReturn:
    def test_not_before_the_pause_length(self) -> None:
        """Recovered at once, ready comes exactly when pause.minutes have passed, not before."""
        protocol = alerted()
        assert readings(protocol, T0, T0 + PAUSE_S, level(BASELINE)) == []
        [ready] = on_reading(protocol, T0 + PAUSE_S, BASELINE)
        assert isinstance(ready, ReadyToReturn)
        assert (ready.t_s, ready.bpm, ready.baseline_bpm, ready.pause_start_s) == (
            T0 + PAUSE_S,
            BASELINE,
            BASELINE,
            T0,
        )
        assert protocol.phase is Phase.WATCHING

    def test_within_margin_counts_as_recovered(self) -> None:
        """A heart at baseline + recovery_margin_bpm counts as recovered."""
        protocol = alerted(first_bpm=BASELINE + 5)
        events = readings(protocol, T0, T0 + PAUSE_S + 1, level(BASELINE + 5))
        assert [type(e) for e in events] == [ReadyToReturn]

    def test_above_margin_is_not_recovered(self) -> None:
        """A heart just above baseline + margin (but below any threshold) is not ready."""
        protocol = alerted()
        events = readings(protocol, T0, T0 + PAUSE_S + 300, level(BASELINE + 6))
        assert not any(isinstance(e, ReadyToReturn) for e in events)
        assert protocol.pausing

    def test_needs_the_hold_time(self) -> None:
        """After the pause length, ready needs recovery_hold_s of recovered readings."""
        protocol = alerted()
        drop = T0 + PAUSE_S + 100
        events = readings(protocol, T0, drop, level(90))
        events += readings(protocol, drop, drop + 300, level(BASELINE))
        ready = [e for e in events if isinstance(e, ReadyToReturn)]
        assert len(ready) == 1
        assert drop + 60 <= ready[0].t_s <= drop + 90

    def test_ready_ends_the_pause_and_alerts_come_again(self) -> None:
        """After ready-to-return, a new episode alerts again."""
        protocol = alerted()
        readings(protocol, T0, T0 + PAUSE_S + 1, level(BASELINE))
        assert not protocol.pausing
        new = on_episode(protocol, episode(T0 + 2000), alerts=True)
        assert [type(e) for e in new] == [Alert, PauseStarted]

    def test_zero_hold(self) -> None:
        """With recovery_hold_s = 0, ready comes at the planned end if recovered then."""
        protocol = alerted(pause_settings(recovery_hold_s=0))
        events = readings(protocol, T0 + PAUSE_S - 5, T0 + PAUSE_S + 1, level(BASELINE))
        assert [(type(e), e.t_s) for e in events] == [(ReadyToReturn, T0 + PAUSE_S)]

    def test_without_a_baseline(self) -> None:
        """Without a known baseline, recovered means at or under absolute_bpm - margin_bpm."""
        protocol = alerted(baseline=None)
        assert protocol.recovery_ceiling_bpm(SOLO) == 90
        events = readings(protocol, T0, T0 + PAUSE_S + 1, level(89))
        assert [type(e) for e in events] == [ReadyToReturn]


class TestOneHeartAlwaysCounts:
    def test_a_workout_during_the_pause_still_lets_ready_come(self) -> None:
        """Alone, a heart in a mode without alerts is still the one the pause waits for:
        ready comes once it is back near calm (with two, that heart would not be counted)."""
        protocol = alerted()
        events: list[Event] = []
        for t in range(int(T0), int(T0 + PAUSE_S + 1)):
            events += protocol.observe(
                SOLO, t, bpm=BASELINE, state=State.CALM, baseline_bpm=None, alerts=False
            )
        assert [type(e) for e in events] == [ReadyToReturn]
        assert protocol.absent(T0 + PAUSE_S) == ()

    def test_lost_contact_is_not_counted_alone_either(self) -> None:
        """Alone, no skin contact makes the heart not counted: no ready, "not yet" instead."""
        protocol = alerted()
        events: list[Event] = []
        for t in range(int(T0), int(T0 + PAUSE_S + 1)):
            events += protocol.observe(
                SOLO, t, bpm=None, state=State.NO_CONTACT, baseline_bpm=None, alerts=True
            )
        assert [type(e) for e in events] == [PauseExtended]
        assert protocol.why_not_counted(SOLO, T0 + PAUSE_S) == "no-contact"


class TestNotYet:
    def test_extension_while_elevated(self) -> None:
        """Elevated at the planned end: PauseExtended with extend_minutes more, again and again."""
        protocol = alerted()
        events = readings(protocol, T0, T0 + PAUSE_S + 1300, level(95))
        assert [type(e) for e in events] == [PauseExtended, PauseExtended, PauseExtended]
        assert [e.t_s for e in events] == [T0 + PAUSE_S, T0 + PAUSE_S + 600, T0 + PAUSE_S + 1200]
        first = events[0]
        assert isinstance(first, PauseExtended)
        assert (first.until_s, first.bpm, first.baseline_bpm) == (T0 + PAUSE_S + 600, 95, BASELINE)
        assert protocol.pausing

    def test_extended_then_ready_once_recovered(self) -> None:
        """After "not yet", ready comes as soon as the heart has recovered for the hold."""
        protocol = alerted()
        calm_from = T0 + PAUSE_S + 120
        events = readings(protocol, T0, calm_from, level(95))
        events += readings(protocol, calm_from, calm_from + 600, level(BASELINE))
        assert [type(e) for e in events] == [PauseExtended, ReadyToReturn]
        assert events[1].t_s < T0 + PAUSE_S + 600  # not held back until the extension ends

    def test_no_not_yet_when_recovering_at_the_end(self) -> None:
        """Back within the margin at the planned end, hold not yet done: no "still elevated"."""
        protocol = alerted()
        calm_from = T0 + PAUSE_S - 40
        events = readings(protocol, T0, calm_from, level(90))
        events += readings(protocol, calm_from, calm_from + 300, level(BASELINE))
        assert [type(e) for e in events] == [ReadyToReturn]
        assert events[0].t_s <= calm_from + 90

    def test_extension_bpm_is_nan_without_a_reading(self) -> None:
        """With no usable reading at the planned end, the extension says so (bpm NaN)."""
        protocol = alerted()
        [extended] = readings(protocol, T0 + PAUSE_S, T0 + PAUSE_S + 1, level(None))
        assert isinstance(extended, PauseExtended)
        assert math.isnan(extended.bpm)


class TestUnusableReadings:
    def test_no_readings_do_not_count_as_recovered(self) -> None:
        """Unusable readings (None: contact lost) hold back ready until real ones hold."""
        protocol = alerted()
        back = T0 + PAUSE_S + 120
        events = readings(protocol, T0, T0 + PAUSE_S - 30, level(BASELINE))
        events += readings(protocol, T0 + PAUSE_S - 30, back, level(None))
        events += readings(protocol, back, back + 300, level(BASELINE))
        ready = [e for e in events if isinstance(e, ReadyToReturn)]
        assert len(ready) == 1
        assert ready[0].t_s >= back + 60

    def test_gap_does_not_count_as_recovered(self) -> None:
        """A stretch with no readings at all (a dropped link) does not count toward the hold."""
        protocol = alerted()
        back = T0 + PAUSE_S + 30
        events = readings(protocol, T0, T0 + PAUSE_S - 50, level(BASELINE))
        events += readings(protocol, back, back + 300, level(BASELINE))
        ready = [e for e in events if isinstance(e, ReadyToReturn)]
        assert len(ready) == 1
        assert ready[0].t_s >= back + 60

    def test_one_high_reading_restarts_the_hold(self) -> None:
        """A run of high readings during the hold starts the hold again."""
        protocol = alerted()
        spike = T0 + PAUSE_S + 30
        events = readings(protocol, T0, T0 + PAUSE_S - 20, level(95))
        events += readings(protocol, T0 + PAUSE_S - 20, spike, level(BASELINE))
        events += readings(protocol, spike, spike + 20, level(100))
        events += readings(protocol, spike + 20, spike + 300, level(BASELINE))
        ready = [e for e in events if isinstance(e, ReadyToReturn)]
        assert len(ready) == 1
        assert ready[0].t_s >= spike + 20 + 60


class TestManualPause:
    def test_manual_start(self) -> None:
        """A pause started by hand is marked manual, has no alert, and lasts pause.minutes."""
        protocol = one_person()
        [started] = protocol.start_manual(T0, baselines={SOLO: BASELINE})
        assert isinstance(started, PauseStarted)
        assert (started.manual, started.until_s, started.baseline_bpm) == (
            True,
            T0 + PAUSE_S,
            BASELINE,
        )

    def test_manual_start_with_own_length(self) -> None:
        """A pause started by hand may name its own length in minutes."""
        protocol = one_person()
        [started] = protocol.start_manual(T0, 30, {SOLO: BASELINE})
        assert isinstance(started, PauseStarted)
        assert started.until_s == T0 + 30 * 60

    def test_manual_start_while_pausing_does_nothing(self) -> None:
        """Starting a pause while one runs gives nothing and keeps the running one."""
        protocol = alerted()
        assert protocol.start_manual(T0 + 60, baselines={SOLO: BASELINE}) == []
        assert protocol.started_s == T0

    def test_manual_end(self) -> None:
        """Ending a pause by hand gives PauseEnded and lets the next episode alert."""
        protocol = alerted()
        [ended] = protocol.end_manual(T0 + 300)
        assert ended == PauseEnded(t_s=T0 + 300, pause_start_s=T0)
        assert not protocol.pausing
        assert readings(protocol, T0 + 300, T0 + PAUSE_S + 60, level(BASELINE)) == []
        assert len(on_episode(protocol, episode(T0 + 400), alerts=True)) == 2

    def test_manual_end_while_watching_does_nothing(self) -> None:
        """Ending a pause when none runs gives nothing."""
        protocol = one_person()
        assert protocol.end_manual(T0) == []


EARLY_RECOVERIES: dict[str, Callable[[float], float | None]] = {
    "calm all along": level(BASELINE),
    "racing for five minutes, then calm": lambda t: 110 if t < T0 + 300 else BASELINE,
    "swinging within the margin": lambda t: BASELINE + 4 * math.sin(t / 7),
}


@pytest.mark.parametrize("minutes", [20, 30])
@pytest.mark.parametrize("heart", EARLY_RECOVERIES.values(), ids=EARLY_RECOVERIES.keys())
def test_ready_is_never_earlier_than_the_pause(
    minutes: int, heart: Callable[[float], float | None]
) -> None:
    """A heart recovered long before the planned end gets ready exactly at pause.minutes."""
    protocol = alerted(pause_settings(minutes=minutes))
    events = readings(protocol, T0, T0 + minutes * 60 + 900, heart)
    assert [(type(e), e.t_s) for e in events] == [(ReadyToReturn, T0 + minutes * 60)]
