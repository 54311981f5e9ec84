"""The monitor over the real Bleak code path against the emulated strap."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from flooding.app.session import SessionRunner
from flooding.cli.view import TerminalView
from flooding.core.detector import MOVING_G
from flooding.core.hrm import HeartRateMeasurement
from flooding.io.config_files.loading import default_settings
from flooding.io.store import Store
from flooding.lab.emulator import EmulatedAir, EmulatedStrap
from tests.ble.emulated import accelerated_clock, fast_source, run_scenario, wait_for


def solo_runner(
    air: EmulatedAir, strap: EmulatedStrap, store: Store, clock: Callable[[], float] | None = None
) -> SessionRunner:
    """A SessionRunner on `strap` through the real Bleak code, one session second a packet;
    the session's clock is the source's, as the monitor wires them."""
    clock = clock or accelerated_clock()
    return SessionRunner(
        source=fast_source(air, address=strap.address, clock=clock),
        clock=clock,
        settings=default_settings(),
        store=store,
        view=TerminalView(),
        source_kind="ble",
    )


async def run_until(runner: SessionRunner, condition: Callable[[], bool]) -> None:
    """Run `runner` until `condition()` holds, then stop it and wait for its end."""
    task = asyncio.create_task(runner.run())
    await wait_for(condition)
    runner.stop()
    await task


def samples_of(runner: SessionRunner) -> int:
    """How many samples the runner's session has seen so far."""
    return runner.outcome.samples if runner.outcome is not None else 0


def flooding(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start the `flooding` command in a subprocess."""
    return subprocess.Popen(
        [sys.executable, "-m", "flooding", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


class TestSessionAcrossDrops:
    def test_strap_drop_and_return_resumes_the_same_session_with_a_gap(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A strap that drops and comes back continues the same session, with the gap recorded."""
        store = Store.open(tmp_path)
        drop: dict[str, float] = {}  # session times of the drop and of the return

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> SessionRunner:
            clock = accelerated_clock()
            runner = solo_runner(air, strap, store, clock)
            task = asyncio.create_task(runner.run())
            await wait_for(lambda: samples_of(runner) >= 20)
            drop["gone_s"] = clock()
            await strap.drop()
            await asyncio.sleep(0.3)  # about 15 session seconds without the strap
            before = samples_of(runner)
            drop["back_s"] = clock()
            await strap.come_back()
            await wait_for(lambda: samples_of(runner) >= before + 20)
            runner.stop()
            await task
            return runner

        runner = run_scenario(scenario)
        assert runner.session_id is not None
        try:
            sessions = store.sessions()
            links = [e.data["state"] for e in store.events(runner.session_id, "link")]
            gaps = store.events(runner.session_id, "gap-detected")
            samples = list(store.iter_samples(runner.session_id))
        finally:
            store.close()
        assert len(sessions) == 1
        assert sessions[0].strap_name == "Polar H10 E1A2B3C4"
        assert "disconnected" in links
        assert links[-1] == "connected"
        (gap,) = [
            g
            for g in gaps
            if g.data["start_s"] <= drop["gone_s"] and g.data["end_s"] >= drop["back_s"]
        ]  # exactly one gap spans the drop (a busy machine may add short ones elsewhere)
        assert gap.data["end_s"] - gap.data["start_s"] > 5
        assert any(s.t_s > gap.data["end_s"] for s in samples)
        assert "strap disconnected" in capsys.readouterr().out

    def test_lost_skin_contact_pauses_detection_and_says_so(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Packets without skin contact are stored, never flood, and the person is told why."""
        store = Store.open(tmp_path)
        feed = [HeartRateMeasurement(bpm=150, contact=False)] * 60

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> SessionRunner:
            runner = solo_runner(air, strap, store)
            await run_until(runner, lambda: samples_of(runner) >= 50)
            return runner

        runner = run_scenario(scenario, feed=feed)
        assert runner.outcome is not None
        assert runner.outcome.alerts == 0
        assert "no skin contact" in capsys.readouterr().out
        store.close()


def test_a_strap_sending_only_unreadable_packets_is_named_and_its_silence_is_a_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A strap whose packets all stop being readable is said to send data this program
    cannot read, with what to do about the strap (not skin contact or range), and the
    silence up to the session's end counts as a gap in its summary."""
    store = Store.open(tmp_path)
    good = HeartRateMeasurement.from_rr_seconds(70, [60 / 70], contact=True)
    feed = [good] * 20 + [b"\x16\x46\x00"] * 5000  # one byte of RR: unreadable
    out: list[str] = []

    def said(words: str) -> bool:
        out.append(capsys.readouterr().out)
        return words in "".join(out)

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> SessionRunner:
        clock = accelerated_clock()
        runner = solo_runner(air, strap, store, clock)
        await run_until(runner, lambda: said("strap disconnected"))
        return runner

    runner = run_scenario(scenario, feed=feed)
    store.close()
    said("")
    text = "".join(out)
    assert runner.outcome is not None
    assert runner.outcome.samples == 20
    assert "sends data this program cannot read" in text
    assert "restart the strap" in text
    assert "stopped sending heart rate" not in text
    assert "moistened" not in text
    assert runner.outcome.gaps == 1


@pytest.mark.timeout(90)
class TestMonitorCommand:
    def test_sigterm_stops_cleanly_and_keeps_the_session(self, tmp_path: Path) -> None:
        """`flooding monitor` on SIGTERM disconnects, saves the session and exits 0."""
        proc = flooding(
            "monitor",
            "--no-notify",
            "--data-dir",
            str(tmp_path),
            "--timeout",
            "1",
            env={"FLOODING_EMULATED_STRAP": "1"},
        )
        deadline = time.monotonic() + 30
        store = Store.open(tmp_path)
        try:
            while time.monotonic() < deadline:
                sid = store.latest_session_id()
                if sid is not None and store.sample_count(sid) >= 2:
                    break
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
            sid = store.latest_session_id()
            assert sid is not None
            session = store.session(sid)
            assert session is not None
            assert session.ended_s is not None
            assert store.sample_count(sid) >= 2
        finally:
            store.close()
        assert "Session 1 saved" in out

    def test_a_strap_never_found_leaves_no_empty_session(self, tmp_path: Path) -> None:
        """A monitor whose paired strap never comes in range keeps no session (sessions,
        review and tune would list an empty one) and says plainly that nothing was
        recorded."""
        from flooding.lab.emulator import DEFAULT_ADDRESS

        config = tmp_path / "config.toml"
        config.write_text(f'[strap]\naddress = "{DEFAULT_ADDRESS}"\n', encoding="utf-8")
        proc = flooding(
            "monitor",
            "--no-notify",
            "--no-app",
            "--data-dir",
            str(tmp_path),
            "--timeout",
            "0.5",
            env={"FLOODING_EMULATED_STRAP": "none", "FLOODING_CONFIG": str(config)},
        )
        deadline = time.monotonic() + 30
        store = Store.open(tmp_path)
        try:
            while time.monotonic() < deadline:
                sid = store.latest_session_id()
                if sid is not None and store.events(sid, "link"):
                    break
                time.sleep(0.2)
            assert sid is not None
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
            assert store.sessions() == []
        finally:
            store.close()
        assert "Nothing was recorded: the strap was not found" in out
        assert "saved" not in out

    def test_no_strap_in_range_gives_advice_and_exits_non_zero(self, tmp_path: Path) -> None:
        """With no strap around and none paired, the monitor says what to check and exits 1."""
        proc = flooding(
            "monitor",
            "--no-notify",
            "--data-dir",
            str(tmp_path),
            "--timeout",
            "0.5",
            env={"FLOODING_EMULATED_STRAP": "none"},
        )
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 1
        assert "no heart-rate strap found" in err
        assert "moist" in err.lower() or "worn" in err.lower()

    def test_couple_mode_without_two_profiles_is_refused_naming_couple_mode(
        self, tmp_path: Path
    ) -> None:
        """`monitor --couple` with no profiles says couple mode needs two, naming
        `monitor --couple` in front, on stderr with exit 1."""
        config = tmp_path / "config.toml"
        config.write_text("")
        proc = flooding(
            "monitor",
            "--couple",
            "--no-notify",
            "--config",
            str(config),
            "--data-dir",
            str(tmp_path),
            env={"FLOODING_EMULATED_STRAP": "none"},
        )
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1
        assert out == ""
        assert err.startswith("flooding monitor --couple: couple mode needs exactly two profiles")


@pytest.mark.timeout(120)
def test_demo_over_bluetooth_shows_alert_and_ready(tmp_path: Path) -> None:
    """`flooding demo --ble` plays the talk through Bleak and the emulated strap, end to end,
    with the strap's accelerometer: every stored sample carries a still chest's level."""
    proc = flooding(
        "demo", "--ble", "--speed", "60", "--no-notify", "--data-dir", str(tmp_path), env={}
    )
    # 60x: a packet every 17 ms, so a pause of the loaded machine's of 50 ms is 3 s of the
    # talk, not the gap it would be at 200x
    out, err = proc.communicate(timeout=150)
    assert proc.returncode == 0, err
    assert "connected to Polar H10" in out
    assert "You're flooded" in out
    assert "back near your calm" in out
    assert "1 flooding episode," in out
    store = Store.open_read_only(tmp_path / "demo")
    try:
        [session] = store.sessions()
        levels = store.sample_columns(session.id).activity_g
    finally:
        store.close()
    assert levels is not None
    assert levels.size > 100
    assert float(levels.max()) < MOVING_G  # still: the talk is not mistaken for movement


class TestEmptySessions:
    @staticmethod
    def _without_a_strap(
        tmp_path: Path, during: Callable[[SessionRunner, Store], None]
    ) -> tuple[bool, list[int]]:
        """Run a session whose strap is never in range, do `during(runner, store)` once the
        strap is being looked for, stop it; whether the session was said kept, and the
        sessions the store holds after it."""
        from flooding.lab.emulator import DEFAULT_ADDRESS

        store = Store.open(tmp_path)

        async def scenario() -> tuple[bool, list[int]]:
            async with EmulatedAir() as air:
                runner = SessionRunner(
                    source=fast_source(air, address=DEFAULT_ADDRESS, clock=accelerated_clock()),
                    settings=default_settings(),
                    store=store,
                    view=TerminalView(),
                    source_kind="ble",
                )
                task = asyncio.create_task(runner.run())
                await wait_for(lambda: runner.session_id is not None)
                await asyncio.sleep(0.2)
                during(runner, store)
                runner.stop()
                outcome = await task
            return outcome.kept, [s.id for s in store.sessions()]

        try:
            return asyncio.run(scenario())
        finally:
            store.close()

    def test_a_session_with_only_the_strap_searching_is_not_kept(self, tmp_path: Path) -> None:
        """Without a reading, a note or anything the person did, the session is deleted."""
        assert self._without_a_strap(tmp_path, lambda runner, store: None) == (False, [])

    def test_a_pause_by_hand_keeps_the_session(self, tmp_path: Path) -> None:
        """A break the person took (it may go on in the next session) keeps the session."""
        assert self._without_a_strap(tmp_path, lambda runner, store: runner.start_pause(5)) == (
            True,
            [1],
        )

    def test_a_note_keeps_the_session(self, tmp_path: Path) -> None:
        """A note the person wrote on the session keeps it, readings or not."""

        def note(runner: SessionRunner, store: Store) -> None:
            assert runner.session_id is not None
            store.set_note(runner.session_id, "about the holidays")

        assert self._without_a_strap(tmp_path, note) == (True, [1])
