"""A monitor stopped in a break (a crash and the service's restart, Ctrl-C and a new start)
goes on with that break in its next session, to the time the person was told: no second
alert with another time to come back. Real session runners on a real SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from flooding.app.session import SessionRunner
from flooding.app.sources import HeartSource, MergedSource
from flooding.core.models import SOLO, Alert, PauseExtended, PauseStarted, ReadyToReturn
from flooding.core.pause import CHECK_WAITS_S
from flooding.io.config_files.loading import default_settings
from flooding.io.store import Store
from flooding.lab.simulate import Scenario, Segment, SimulatedStrap
from tests.fakes import RecordingNotifier, RecordingView

T0 = 1_790_000_000.0  # the first session's start
RACING = Scenario("racing", (Segment(600.0, 70.0), Segment(600.0, 130.0)))  # then stopped
STILL_UP = Scenario("still up", (Segment(300.0, 125.0),))
CALM = Scenario("calm", (Segment(900.0, 66.0),))
HOUR_S = 3600.0
COUPLE = ("Anna", "Ben")


def run_session(
    store: Store,
    scenario: Scenario,
    start_s: float,
    *,
    continue_break: bool = True,
    people: tuple[str, ...] = (),
) -> tuple[SessionRunner, RecordingView]:
    """A monitor's session of `scenario` from `start_s` (its clock standing there); with
    `people`, a couple's, each heart playing the scenario."""
    view = RecordingView()
    source: HeartSource | MergedSource = SimulatedStrap(scenario, start_s=start_s, speed=0)
    if people:
        source = MergedSource(
            {name: SimulatedStrap(scenario, start_s=start_s, speed=0) for name in people}
        )
    runner = SessionRunner(
        source=source,
        settings=default_settings(),
        store=store,
        notifier=RecordingNotifier(),
        view=view,
        source_kind="ble",
        people=people or (SOLO,),
        clock=lambda: start_s,
        continue_break=continue_break,
    )
    asyncio.run(runner.run())
    return runner, view


@pytest.fixture
def stopped_in_a_break(tmp_path: Path) -> Iterator[tuple[Store, PauseStarted]]:
    """A store whose last session stopped 10 minutes into the break its alert started
    (closed after the test)."""
    store = Store.open(tmp_path)
    try:
        first, _ = run_session(store, RACING, T0)
        assert first.outcome is not None
        [pause] = [e for e in first.outcome.events if isinstance(e, PauseStarted)]
        assert first.outcome.ended_s < pause.until_s  # the session ended inside the break
        yield store, pause
    finally:
        store.close()


class TestABreakGoesOn:
    def test_the_next_session_goes_on_to_the_time_given_without_a_second_alert(
        self, stopped_in_a_break: tuple[Store, PauseStarted]
    ) -> None:
        """Started again with the heart still up, the monitor says the break goes on to the
        time the alert gave, starts no new alert, and waits for calm until then."""
        store, pause = stopped_in_a_break
        runner, view = run_session(store, STILL_UP, pause.t_s + 700)
        assert runner.outcome is not None
        events = runner.outcome.events
        assert not any(isinstance(e, Alert) for e in events)
        [going_on] = [e for e in events if isinstance(e, PauseStarted)]
        assert going_on.until_s == pytest.approx(pause.until_s)
        assert going_on.baseline_bpm == pause.baseline_bpm
        assert any(line.startswith("The break goes on from before") for line in view.infos)
        assert not any("by hand" in line for line in view.infos)

    def test_a_break_whose_time_has_passed_is_checked_at_once(
        self, stopped_in_a_break: tuple[Store, PauseStarted]
    ) -> None:
        """Started a minute after the break's end with the heart still up: no second alert;
        the break is taken up and its check says at the first reading that the heart is
        still elevated."""
        store, pause = stopped_in_a_break
        start_s = pause.until_s + 60
        runner, view = run_session(store, STILL_UP, start_s)
        assert runner.outcome is not None
        events = runner.outcome.events
        assert not any(isinstance(e, Alert) for e in events)
        [_, not_yet, *_] = [e for e in events if isinstance(e, PauseStarted | PauseExtended)]
        assert isinstance(not_yet, PauseExtended)
        assert not_yet.t_s <= start_s + 5
        assert [m.kind for m in view.messages][:1] == ["not-yet"]
        assert any(line.startswith("The break from before the monitor") for line in view.infos)

    def test_a_calm_heart_after_the_end_is_ready_with_the_breaks_real_length(
        self, stopped_in_a_break: tuple[Store, PauseStarted]
    ) -> None:
        """Started five minutes after the break's end with a calm heart: ready to return
        within two minutes, counted from the alert's pause (25 minutes and more), not from
        the restart."""
        store, pause = stopped_in_a_break
        start_s = pause.until_s + 300
        runner, view = run_session(store, CALM, start_s)
        assert runner.outcome is not None
        [ready] = [e for e in runner.outcome.events if isinstance(e, ReadyToReturn)]
        assert start_s < ready.t_s <= start_s + 120
        assert ready.pause_start_s == pause.t_s
        [said] = view.messages
        assert said.title.startswith(f"{(ready.t_s - pause.t_s) / 60:.0f} min")

    def test_a_break_left_long_after_its_end_is_not_taken_up(
        self, stopped_in_a_break: tuple[Store, PauseStarted]
    ) -> None:
        """Started more than `CHECK_WAITS_S` after the break's end, the session starts
        afresh: its own alert comes."""
        store, pause = stopped_in_a_break
        runner, view = run_session(store, STILL_UP, pause.until_s + CHECK_WAITS_S + 60)
        assert runner.outcome is not None
        assert runner.outcome.alerts == 1
        assert not any(line.startswith("The break") for line in view.infos)

    def test_ready_after_going_on_names_the_whole_break(
        self, stopped_in_a_break: tuple[Store, PauseStarted]
    ) -> None:
        """Started again in the break, then calm: ready to return at the planned end says the
        break took 20 minutes (from the alert), not the minutes since the restart."""
        store, pause = stopped_in_a_break
        runner, view = run_session(store, CALM, pause.t_s + 700)
        assert runner.outcome is not None
        [ready] = [e for e in runner.outcome.events if isinstance(e, ReadyToReturn)]
        assert pause.until_s <= ready.t_s <= pause.until_s + 60
        [said] = view.messages
        assert said.title.startswith("20 min")

    def test_a_break_gone_on_twice_keeps_its_start(
        self, stopped_in_a_break: tuple[Store, PauseStarted]
    ) -> None:
        """Stopped twice in one break: the third session still counts the break from the
        alert's pause."""
        store, pause = stopped_in_a_break
        run_session(store, STILL_UP, pause.t_s + 700)  # stopped again 17 minutes in
        runner, view = run_session(store, CALM, pause.t_s + 1100)
        assert runner.outcome is not None
        [ready] = [e for e in runner.outcome.events if isinstance(e, ReadyToReturn)]
        assert ready.pause_start_s == pause.t_s
        [said] = view.messages
        assert said.title.startswith("20 min")

    def test_a_clock_set_back_before_the_restart_does_not_stretch_the_break(
        self, stopped_in_a_break: tuple[Store, PauseStarted]
    ) -> None:
        """The wall clock set back an hour, then the monitor started again a minute later:
        the break goes on to its end moved back by the hour (less at most the minute the
        monitor was stopped), not an hour longer."""
        store, pause = stopped_in_a_break
        [first] = store.sessions()
        assert first.ended_s is not None
        runner, _ = run_session(store, STILL_UP, first.ended_s + 60 - HOUR_S)
        assert runner.outcome is not None
        [going_on] = [e for e in runner.outcome.events if isinstance(e, PauseStarted)]
        assert pause.until_s - HOUR_S <= going_on.until_s <= pause.until_s - HOUR_S + 60

    def test_a_demo_starts_afresh(self, stopped_in_a_break: tuple[Store, PauseStarted]) -> None:
        """A session that does not go on with breaks (a demo, whose clock runs ahead of the
        wall clock) alerts on its own."""
        store, pause = stopped_in_a_break
        runner, _ = run_session(store, STILL_UP, pause.t_s + 700, continue_break=False)
        assert runner.outcome is not None
        assert runner.outcome.alerts == 1

    @pytest.mark.parametrize(
        "data", ['{"until_s": "soon"}', '{"until_s": 1e12, "baseline_bpm": "calm"}']
    )
    def test_a_damaged_pause_row_starts_afresh(
        self, stopped_in_a_break: tuple[Store, PauseStarted], data: str
    ) -> None:
        """A pause row another program changed (an end or a calm that is no number) is no
        break to go on with: the session starts and alerts on its own."""
        store, pause = stopped_in_a_break
        with store.db:
            store.db.execute("UPDATE events SET data_json=? WHERE kind='pause-started'", (data,))
        runner, view = run_session(store, STILL_UP, pause.t_s + 700)
        assert runner.outcome is not None
        assert runner.outcome.alerts == 1
        assert not any(line.startswith("The break goes on") for line in view.infos)


def test_a_couples_break_gone_on_names_the_whole_break(tmp_path: Path) -> None:
    """A couple's monitor stopped in their break and started again: ready to return, for
    both, says the break took 20 minutes (from the alert), not the minutes since the restart."""
    store = Store.open(tmp_path)
    try:
        first, _ = run_session(store, RACING, T0, people=COUPLE)
        assert first.outcome is not None
        [pause] = [e for e in first.outcome.events if isinstance(e, PauseStarted)]
        runner, view = run_session(store, CALM, pause.t_s + 700, people=COUPLE)
    finally:
        store.close()
    assert runner.outcome is not None
    [ready] = [e for e in runner.outcome.events if isinstance(e, ReadyToReturn)]
    assert ready.pause_start_s == pause.t_s
    [said] = view.messages
    assert said.title == "20 minutes — you're both back near your calm"
