"""Clock jumps and suspends played against a simulated talk, through the live pipeline
(`flooding.app.wiring`: the session runner, the engine, the store): for tests and
`scripts/drill`. The system clock cannot be set here, so a steered wall clock and boot clock
stand in for it, injected into the session clock (`flooding.io.clock.SessionClock`).

The strap plays one packet a second of talk time; a change at a moment of the talk sets the
wall clock forward or back, or suspends the computer (no packets; the wall and boot clocks
run on). Each message is noted with the boot-clock time it came at, so an alert that came
late or a pause cut short shows in seconds, whatever the samples were stamped with.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from flooding.app import wiring
from flooding.core.hrm import HeartRateMeasurement, to_sample
from flooding.core.models import BatteryLevel, LinkChanged, LinkState, Reading, SourceItem
from flooding.core.notice import Message
from flooding.core.settings import Settings
from flooding.core.timefmt import clock_time
from flooding.io.clock import SessionClock
from flooding.io.store import Store
from flooding.lab.simulate import SIMULATED_STRAP_NAME, Scenario, Segment, packets

START_S = 1_790_000_000.0  # 2026-09-21 (a Monday evening in Europe): the wall clock at start
Stamp = Literal["session", "wall", "monotonic"]
PAUSE_S = 20 * 60.0  # the shipped pause length, which every change must leave whole


def long_talk(seed: int = 7) -> Scenario:
    """The demo's hard talk with a longer calm end: room for an hour's jump in the pause."""
    return Scenario(
        "long talk",
        (
            Segment(240, 68),  # calm start: the baseline forms
            Segment(60, 68, 108),  # the talk turns hard
            Segment(150, 108, 112, noise_bpm=2.5),  # flooded
            Segment(420, 112, 70),  # the pause: slowly calming down
            Segment(1800, 70, 69),  # calm again
        ),
        onsets_s=(255.0,),
        seed=seed,
    )


@dataclass(frozen=True)
class ClockChange:
    """At `at_s` seconds of talk time: the wall clock set by `wall_s` (forward +, back -), or
    the computer suspended for `suspend_s` (both clocks run on, no packets come)."""

    at_s: float
    wall_s: float = 0.0
    suspend_s: float = 0.0

    @property
    def label(self) -> str:
        """'wall clock back 10 min at 4:10', 'suspended 20 min at 15:00'."""
        at = f"{int(self.at_s // 60)}:{int(self.at_s % 60):02d}"
        if self.suspend_s:
            return f"suspended {self.suspend_s / 60:g} min at {at}"
        way = "forward" if self.wall_s > 0 else "back"
        return f"wall clock {way} {abs(self.wall_s) / 60:g} min at {at}"


class SteeredClocks:
    """A wall clock and a boot clock that follow the talk and its changes."""

    def __init__(self, changes: Sequence[ClockChange], wall_start_s: float = START_S) -> None:
        self.changes = tuple(changes)
        self.wall_start_s = wall_start_s
        self.talk_s = 0.0

    def _passed(self) -> list[ClockChange]:
        return [c for c in self.changes if c.at_s <= self.talk_s]

    def elapsed(self) -> float:
        """The boot clock: talk time plus time suspended (it runs through a suspend)."""
        return self.talk_s + sum(c.suspend_s for c in self._passed())

    def awake(self) -> float:
        """A clock that stops while suspended (CLOCK_MONOTONIC on Linux): talk time."""
        return self.talk_s

    def wall(self) -> float:
        """The wall clock: the boot clock plus every setting of it so far."""
        return self.wall_start_s + self.elapsed() + sum(c.wall_s for c in self._passed())


class SteeredStrap:
    """A `HeartSource` playing a scenario packet by packet, moving the steered clocks to each
    packet's talk time and stamping it with `stamp()`, as the live strap stamps an arrival."""

    def __init__(
        self, scenario: Scenario, clocks: SteeredClocks, stamp: Callable[[], float]
    ) -> None:
        self.scenario = scenario
        self.clocks = clocks
        self.stamp = stamp
        self.stamped: list[float] = []  # each sample's time, in the order they came

    @property
    def description(self) -> str:
        return f"simulated strap ({self.scenario.name}), clocks steered"

    async def stream(self) -> AsyncIterator[SourceItem]:
        yield LinkChanged(self.stamp(), LinkState.CONNECTED, strap_name=SIMULATED_STRAP_NAME)
        for t, measurement in packets(self.scenario):
            await asyncio.sleep(0)
            if measurement is None:
                continue
            self.clocks.talk_s = t
            decoded = HeartRateMeasurement.from_bytes(bytes(measurement))
            sample = to_sample(decoded, self.stamp())
            self.stamped.append(sample.t_s)
            yield sample


@dataclass
class Noted:
    """What the person was told, and when on the boot clock and the wall clock."""

    kind: str
    body: str
    elapsed_s: float
    wall_s: float


@dataclass
class NotingView:
    """A view that notes each message with the steered clocks' times; shows nothing."""

    clocks: SteeredClocks
    messages: list[Noted] = field(default_factory=list)

    def reading(self, reading: Reading) -> None:
        pass

    def person_reading(self, person: str, reading: Reading) -> None:
        pass

    def message(self, message: Message) -> None:
        clocks = self.clocks
        self.messages.append(Noted(message.kind, message.body, clocks.elapsed(), clocks.wall()))

    def link(self, change: LinkChanged) -> None:
        pass

    def person_link(self, person: str, change: LinkChanged) -> None:
        pass

    def battery(self, level: BatteryLevel, low: bool) -> None:
        pass

    def person_battery(self, person: str, level: BatteryLevel, low: bool) -> None:
        pass

    def info(self, text: str) -> None:
        pass

    def answered(self, action_id: str) -> None:
        pass


@dataclass(frozen=True)
class Played:
    """One talk played with clock changes: when the alert and ready-to-return came (boot-clock
    seconds from the start), the alert's words, and whether the samples' times kept the order
    they came in, as stored (so a replay of the store reads them as they were lived)."""

    alert_s: float | None
    ready_s: float | None
    alert_wall_s: float | None
    alert_body: str
    stored_in_order: bool
    samples: int

    @property
    def pause_s(self) -> float | None:
        """From the alert to ready-to-return, as time really passed."""
        if self.alert_s is None or self.ready_s is None:
            return None
        return self.ready_s - self.alert_s


def play(
    folder: Path,
    changes: Sequence[ClockChange],
    settings: Settings,
    *,
    scenario: Scenario | None = None,
    stamp: Stamp = "session",
) -> Played:
    """Play `scenario` (default `long_talk`) with `changes` through the live pipeline into a
    store in `folder`, samples stamped on the session clock; for comparison `stamp="wall"`
    stamps them with the wall clock itself (as before the session clock) and
    `stamp="monotonic"` builds the session clock on an elapsed clock that stops in a suspend
    (Linux's CLOCK_MONOTONIC)."""
    settings = settings.model_copy(
        update={"notify": settings.notify.model_copy(update={"enabled": False})}
    )
    clocks = SteeredClocks(changes)
    elapsed = {"session": clocks.elapsed, "wall": clocks.wall, "monotonic": clocks.awake}[stamp]
    clock = SessionClock(wall=clocks.wall, elapsed=elapsed)
    source = SteeredStrap(scenario or long_talk(), clocks, clock)
    view = NotingView(clocks)
    store = Store.open(folder)
    try:
        proc = wiring.process(source, settings, store, view, kind="clock-drill", clock=clock)
        outcome = asyncio.run(wiring.run_session(proc))
        times = [s.t_s for s in store.iter_samples(outcome.session_id)]
    finally:
        store.close()
    alert = next((m for m in view.messages if m.kind == "alert"), None)
    ready = next((m for m in view.messages if m.kind == "ready"), None)
    return Played(
        alert_s=None if alert is None else alert.elapsed_s,
        ready_s=None if ready is None else ready.elapsed_s,
        alert_wall_s=None if alert is None else alert.wall_s,
        alert_body=alert.body if alert is not None else "",
        stored_in_order=times == source.stamped
        and all(b > a for a, b in itertools.pairwise(times)),
        samples=len(times),
    )


ATTACKS = (
    (ClockChange(250.0, wall_s=-600.0),),  # back 10 min as the heart rises
    (ClockChange(250.0, wall_s=-3600.0),),  # back an hour as the heart rises
    (ClockChange(400.0, wall_s=3600.0),),  # forward an hour in the pause
    (ClockChange(400.0, wall_s=-3600.0),),  # back an hour in the pause
    (ClockChange(900.0, suspend_s=1200.0),),  # the laptop closed for 20 min in the pause
    (ClockChange(200.0, wall_s=3600.0),),  # forward an hour before the alert ("back at")
)
"""The clock changes the drill and the tests try (talk times; the alert comes at about 4:40)."""

WOKEN_READY_S = 120.0  # after a suspend past the pause's end: a calm heart seen for the hold


def problems(played: Played, untouched: Played, changes: Sequence[ClockChange]) -> list[str]:
    """What a clock change bent, against the same talk with nobody touching the clock (the
    pause: `pause.minutes` of 20 in the settings played)."""
    found = []
    if played.alert_s != untouched.alert_s:
        found.append(f"alert at {minutes(played.alert_s)} instead of {minutes(untouched.alert_s)}")
    pause_s = played.pause_s
    if pause_s is None:
        found.append("no ready to return")
    elif pause_s < PAUSE_S:
        found.append(f"the pause cut to {minutes(pause_s)}")
    suspends = [c for c in changes if c.suspend_s]
    woke_s = max((c.at_s + c.suspend_s for c in suspends), default=None)
    if played.ready_s is not None and untouched.ready_s is not None:
        latest_s = untouched.ready_s if woke_s is None else woke_s + WOKEN_READY_S
        late_s = played.ready_s - max(latest_s, untouched.ready_s)
        if late_s > 0:
            found.append(f"ready to return {minutes(late_s)} late")
    if played.alert_wall_s is not None:
        back_at = clock_time(played.alert_wall_s + PAUSE_S)
        if back_at not in played.alert_body:
            found.append(f"'back at' does not name {back_at} (the wall clock's)")
    if not played.stored_in_order:
        found.append("stored times out of order")
    return found


def minutes(t_s: float | None) -> str:
    """Talk seconds as m:ss ('-' for none)."""
    if t_s is None:
        return "-"
    return f"{int(t_s // 60)}:{int(t_s % 60):02d}"
