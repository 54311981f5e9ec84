"""A monitor stopped in a break (a crash and the service's restart, Ctrl-C and a new start)
goes on with that break in its next session, to the time the person was told: no second
alert with another time to come back. Real session runners on a real SQLite store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from flooding.app.session import SessionRunner
from flooding.core.models import Alert, PauseStarted
from flooding.io.config_files.loading import default_settings
from flooding.io.store import Store
from flooding.lab.simulate import Scenario, Segment, SimulatedStrap
from tests.fakes import RecordingNotifier, RecordingView

T0 = 1_790_000_000.0  # the first session's start
RACING = Scenario("racing", (Segment(600.0, 70.0), Segment(600.0, 130.0)))  # then stopped
STILL_UP = Scenario("still up", (Segment(300.0, 125.0),))


def run_session(
    store: Store, scenario: Scenario, start_s: float, *, continue_break: bool = True
) -> tuple[SessionRunner, RecordingView]:
    """A monitor's session of `scenario` from `start_s` (its clock standing there)."""
    view = RecordingView()
    runner = SessionRunner(
        source=SimulatedStrap(scenario, start_s=start_s, speed=0),
        settings=default_settings(),
        store=store,
        notifier=RecordingNotifier(),
        view=view,
        source_kind="ble",
        clock=lambda: start_s,
        continue_break=continue_break,
    )
    asyncio.run(runner.run())
    return runner, view


@pytest.fixture
def stopped_in_a_break(tmp_path: Path) -> tuple[Store, PauseStarted]:
    """A store whose last session stopped 10 minutes into the break its alert started."""
    store = Store.open(tmp_path)
    first, _ = run_session(store, RACING, T0)
    assert first.outcome is not None
    [pause] = [e for e in first.outcome.events if isinstance(e, PauseStarted)]
    assert first.outcome.ended_s < pause.until_s  # the session ended inside the break
    return store, pause


class TestABreakGoesOn:
    def test_the_next_session_goes_on_to_the_time_given_without_a_second_alert(
        self, stopped_in_a_break: tuple[Store, PauseStarted]
    ) -> None:
        """Started again with the heart still up, the monitor says the break goes on to the
        time the alert gave, starts no new alert, and waits for calm until then."""
        store, pause = stopped_in_a_break
        try:
            runner, view = run_session(store, STILL_UP, pause.t_s + 700)
        finally:
            store.close()
        assert runner.outcome is not None
        events = runner.outcome.events
        assert not any(isinstance(e, Alert) for e in events)
        [going_on] = [e for e in events if isinstance(e, PauseStarted)]
        assert going_on.until_s == pytest.approx(pause.until_s)
        assert going_on.baseline_bpm == pause.baseline_bpm
        assert any(line.startswith("The break goes on from before") for line in view.infos)
        assert not any("by hand" in line for line in view.infos)

    def test_a_break_whose_time_has_passed_is_not_taken_up(
        self, stopped_in_a_break: tuple[Store, PauseStarted]
    ) -> None:
        """Started after the break's end, the session starts afresh: its own alert comes."""
        store, pause = stopped_in_a_break
        try:
            runner, view = run_session(store, STILL_UP, pause.until_s + 60)
        finally:
            store.close()
        assert runner.outcome is not None
        assert runner.outcome.alerts == 1
        assert not any(line.startswith("The break goes on") for line in view.infos)

    def test_a_demo_starts_afresh(self, stopped_in_a_break: tuple[Store, PauseStarted]) -> None:
        """A session that does not go on with breaks (a demo, whose clock runs ahead of the
        wall clock) alerts on its own."""
        store, pause = stopped_in_a_break
        try:
            runner, _ = run_session(store, STILL_UP, pause.t_s + 700, continue_break=False)
        finally:
            store.close()
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
        try:
            runner, view = run_session(store, STILL_UP, pause.t_s + 700)
        finally:
            store.close()
        assert runner.outcome is not None
        assert runner.outcome.alerts == 1
        assert not any(line.startswith("The break goes on") for line in view.infos)
