"""The monitor as a service: sessions per wearing, commands from a second process, the lock,
SIGTERM, and a bad config at start.

In-process tests drive `BackgroundMonitor` through the real Bleak code and the emulated
strap (fast packets, accelerated session clock). Process tests run
`flooding monitor --headless` on the emulated strap (`FLOODING_EMULATED_STRAP=1`) and act on
it with `flooding status|pause|resume|workout` from another process.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flooding.app.background import BackgroundMonitor
from flooding.app.live import LiveMonitor
from flooding.app.readiness import wait_for_settings
from flooding.app.session import SessionRunner
from flooding.app.sources import HeartSource
from flooding.app.status import StatusBoard
from flooding.cli.commands._control import EXIT_NOT_RUNNING
from flooding.cli.view import QuietView
from flooding.core.hrm import HeartRateMeasurement
from flooding.core.models import LinkState, Mode
from flooding.core.settings import ConfigError, Settings, StrapSettings
from flooding.io.config_files.loading import default_settings
from flooding.io.control import (
    ControlServer,
    ErrorReply,
    OkReply,
    OkRequest,
    PauseReply,
    PauseRequest,
    ResumeReply,
    ResumeRequest,
    StatusReply,
    StatusRequest,
    WorkoutReply,
    WorkoutRequest,
    lock_is_held,
    send_command,
    socket_path,
)
from flooding.io.store import Store
from flooding.lab.emulator import EmulatedAir, EmulatedStrap, calm_heart
from tests.ble.emulated import accelerated_clock, fast_source, run_scenario, wait_for
from tests.browser import RecordingBrowser
from tests.fakes import RecordingNotifier

ROOT = Path(__file__).resolve().parent.parent
STRAP = "C0:FF:EE:00:00:01"  # the emulated person's strap
EXIT_ALREADY_RUNNING = 75


def not_worn() -> Iterator[HeartRateMeasurement]:
    """A strap in range and connected but off the skin."""
    return itertools.repeat(HeartRateMeasurement(bpm=70, contact=False))


def racing_heart() -> Iterator[HeartRateMeasurement]:
    """A heart far above the absolute threshold, on skin."""
    return itertools.repeat(HeartRateMeasurement.from_rr_seconds(130, [60 / 130], contact=True))


class Service:
    """A BackgroundMonitor on the emulated air, with its store and status board."""

    def __init__(self, air: EmulatedAir, strap: EmulatedStrap, store: Store, gap_s: float):
        self.store = store
        self.board = StatusBoard(QuietView())
        self.clock = clock = accelerated_clock()  # one session second an emulated packet
        settings = default_settings()
        self.live = LiveMonitor(self.board, settings=settings, strap=strap.address, headless=True)

        def make_runner(source: HeartSource, mode: Mode | None) -> SessionRunner:
            return SessionRunner(
                source=source,
                settings=settings,
                store=store,
                view=self.board,
                source_kind="ble",
                mode=mode,
                clock=clock,
            )

        self.monitor = BackgroundMonitor(
            source=fast_source(air, address=strap.address, clock=clock),
            live=self.live,
            make_runner=make_runner,
            session_gap_s=gap_s,
        )
        self.task = asyncio.create_task(self.monitor.run())

    def samples(self) -> int:
        runner = self.live.runner
        return runner.outcome.samples if runner is not None and runner.outcome else 0

    async def stop(self) -> None:
        self.monitor.stop()
        await asyncio.wait_for(self.task, 10)


@pytest.mark.timeout(60)
class TestSessionsPerWearing:
    def test_a_strap_that_is_not_worn_starts_no_session_until_it_is(self, tmp_path: Path) -> None:
        """Connected but off the skin records nothing; the first sample on skin starts a session."""
        store = Store.open(tmp_path)

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> None:
            service = Service(air, strap, store, gap_s=30)
            await wait_for(lambda: strap.notifications_sent >= 20)
            assert service.board.link_state is LinkState.CONNECTED
            assert service.live.runner is None
            assert store.sessions() == []
            strap.set_feed(calm_heart())
            await wait_for(lambda: service.samples() >= 10)
            await service.stop()

        run_scenario(scenario, feed=not_worn())
        try:
            sessions = store.sessions()
            samples = list(store.iter_samples(sessions[0].id))
        finally:
            store.close()
        assert len(sessions) == 1
        assert sessions[0].ended_s is not None
        assert all(s.contact for s in samples)

    def test_a_short_drop_continues_the_same_session(self, tmp_path: Path) -> None:
        """A strap that drops for less than the gap comes back into the session it left."""
        store = Store.open(tmp_path)
        drop: dict[str, float] = {}  # session times of the drop and of the return

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> None:
            service = Service(air, strap, store, gap_s=30)
            await wait_for(lambda: service.samples() >= 10)
            runner = service.live.runner
            drop["gone_s"] = service.clock()
            await strap.drop()
            await asyncio.sleep(0.3)
            drop["back_s"] = service.clock()
            await strap.come_back()
            await wait_for(lambda: service.samples() >= 30)
            assert service.live.runner is runner
            await service.stop()

        run_scenario(scenario)
        try:
            sessions = store.sessions()
            gaps = store.events(sessions[0].id, "gap-detected")
        finally:
            store.close()
        assert len(sessions) == 1
        spanning = [
            g
            for g in gaps
            if g.data["start_s"] <= drop["gone_s"] and g.data["end_s"] >= drop["back_s"]
        ]  # a busy machine may add short gaps elsewhere; exactly one spans the drop
        assert len(spanning) == 1

    def test_a_long_absence_ends_the_session_and_the_next_wearing_starts_another(
        self, tmp_path: Path
    ) -> None:
        """Gone longer than the gap ends the session; the strap's return starts a new one."""
        store = Store.open(tmp_path)

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> None:
            service = Service(air, strap, store, gap_s=0.5)
            await wait_for(lambda: service.samples() >= 10)
            await strap.drop()
            await wait_for(lambda: service.live.runner is None)
            first = store.sessions()
            assert len(first) == 1
            assert first[0].ended_s is not None
            assert service.live.status().state == "waiting"
            await strap.come_back()
            await wait_for(lambda: service.samples() >= 10)
            await service.stop()

        run_scenario(scenario)
        try:
            sessions = store.sessions()
            counts = [store.sample_count(s.id) for s in sessions]
        finally:
            store.close()
        assert len(sessions) == 2
        assert all(s.ended_s is not None for s in sessions)
        assert all(count >= 10 for count in counts)
        assert sessions[0].ended_s is not None
        assert sessions[0].ended_s <= sessions[1].started_s

    def test_workout_asked_for_before_the_strap_is_worn_applies_to_that_session(
        self, tmp_path: Path
    ) -> None:
        """`workout on` with no session makes the next session a workout, with no alert."""
        store = Store.open(tmp_path)

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> None:
            service = Service(air, strap, store, gap_s=30)
            reply = service.live.handle(WorkoutRequest(on=True))
            assert isinstance(reply, WorkoutReply)
            assert reply.mode == "workout"
            assert reply.next_session is True
            strap.set_feed(racing_heart())
            await wait_for(lambda: service.samples() >= 60)  # a minute at 130 bpm
            assert service.live.status().state == "workout"
            await service.stop()

        run_scenario(scenario, feed=not_worn())
        try:
            sessions = store.sessions()
            alerts = store.events(sessions[0].id, "alert")
        finally:
            store.close()
        assert sessions[0].mode == "workout"
        assert alerts == []

    def test_ok_resume_and_pause_over_the_socket_act_on_the_live_session(
        self, tmp_path: Path
    ) -> None:
        """After an alert, `ok` marks it a false alarm once and ends the break it started;
        pause and resume change the state."""
        store = Store.open(tmp_path)
        replies: dict[str, Any] = {}

        def ask(request: Any) -> Any:
            return asyncio.to_thread(send_command, request, data_dir=tmp_path)

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> None:
            service = Service(air, strap, store, gap_s=30)
            async with ControlServer(tmp_path, service.live.handle):
                await wait_for(lambda: service.live.status().state == "pausing")
                replies["ok"] = await ask(OkRequest())
                replies["ok again"] = await ask(OkRequest())
                replies["after ok"] = (await ask(StatusRequest())).status.state
                replies["pause"] = await ask(PauseRequest(minutes=30))
                replies["after pause"] = (await ask(StatusRequest())).status
                replies["resume"] = await ask(ResumeRequest())
                replies["after resume"] = (await ask(StatusRequest())).status.state
                await service.stop()

        run_scenario(scenario, feed=racing_heart())
        try:
            alerts = store.events(1, "alert")
            marks = store.events(1, "false-alarm")
            pauses = store.events(1, "pause-started")
            ended = store.events(1, "pause-ended")
        finally:
            store.close()
        assert isinstance(replies["ok"], OkReply)
        assert (replies["ok"].already, replies["ok"].break_over) == (False, True)
        assert replies["ok"].alert_event_id == alerts[0].id
        assert (replies["ok again"].already, replies["ok again"].break_over) == (True, False)
        assert [m.data["alert_event_id"] for m in marks] == [alerts[0].id]
        assert replies["after ok"] != "pausing"
        assert isinstance(replies["pause"], PauseReply)
        assert replies["after pause"].state == "pausing"
        assert replies["resume"] == ResumeReply(session_id=1)
        assert replies["after resume"] != "pausing"
        assert [p.data["manual"] for p in pauses][:2] == [False, True]
        assert pauses[1].data["until_s"] - pauses[1].t_s == pytest.approx(30 * 60, abs=0.01)
        assert len(ended) >= 2  # the alert's break (by `ok`), then the one paused by hand

    def test_commands_without_a_session_say_the_monitor_is_waiting(self) -> None:
        """pause, resume and ok with no session get a no-session reply in plain words."""
        live = LiveMonitor(
            StatusBoard(QuietView()), settings=default_settings(), strap=STRAP, headless=True
        )
        for request in (PauseRequest(), ResumeRequest(), OkRequest()):
            reply = live.handle(request)
            assert isinstance(reply, ErrorReply)
            assert reply.code == "no-session"
            assert "waiting for your strap" in reply.error


class TestSessionGapSetting:
    def test_default_toml_and_the_model_agree_and_bounds_hold(self) -> None:
        """service.session_gap_minutes is 10 in both defaults, and 0 minutes is refused."""
        from flooding.core.settings import ServiceSettings
        from flooding.io.config_files.loading import load_config

        assert default_settings().service.session_gap_minutes == 10
        assert ServiceSettings().session_gap_minutes == 10
        with pytest.raises(ConfigError, match="session_gap_minutes"):
            load_config(
                env={}, overrides=["service.session_gap_minutes=0"], use_default_user_file=False
            )


class TestStartingWithoutUsableSettings:
    def test_each_problem_is_told_once_and_the_service_starts_once_fixed(self) -> None:
        """A bad config, then no pairing, each notify once; valid settings end the wait."""
        paired = default_settings().model_copy(update={"strap": StrapSettings(address=STRAP)})
        bad = ConfigError(["config.toml:3: detection.absolute_bpm = 5: allowed: >= 60"])
        layers: Iterator[Exception | Settings] = iter([bad, bad, default_settings(), paired])
        sleeps: list[float] = []

        def load() -> Settings:
            layer = next(layers)
            if isinstance(layer, Exception):
                raise layer
            return layer

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        async def main() -> Settings | None:
            return await wait_for_settings(
                load,
                notifier=notifier,
                program="flooding",
                stopped=asyncio.Event(),
                retry_s=7,
                sleep=sleep,
            )

        notifier = RecordingNotifier()
        assert asyncio.run(main()) is paired
        assert sleeps == [7, 7, 7]
        assert len(notifier.sent) == 2
        config, pairing = notifier.sent
        assert "detection.absolute_bpm = 5" in config.body
        assert "`flooding config check`" in config.body
        assert "flooding pair" in pairing.body


# -- the real process -----------------------------------------------------------------------


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for a flooding process: emulated strap, no settings of this machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOODING_")}
    env.update(XDG_CONFIG_HOME=str(home / "config"), FLOODING_EMULATED_STRAP="1", **extra)
    return env


def flooding(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a flooding command to its end."""
    return subprocess.run(
        [sys.executable, "-m", "flooding", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def start_service(data: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    """`flooding monitor --headless` for `data`, on the emulated strap."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flooding",
            "monitor",
            "--headless",
            "--data-dir",
            str(data),
            "--set",
            f"strap.address={STRAP}",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def wait_until_watching(proc: subprocess.Popen[str], data: Path, samples: int = 2) -> None:
    """Wait until the service has a session with at least `samples` samples."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            assert proc.stderr is not None
            raise AssertionError(f"the service exited {proc.returncode}: {proc.stderr.read()}")
        reply = send_command(StatusRequest(), data_dir=data)
        if isinstance(reply, StatusReply) and reply.status.session_id is not None:
            store = Store.open(data)
            try:
                if store.sample_count(reply.status.session_id) >= samples:
                    return
            finally:
                store.close()
        time.sleep(0.2)
    raise AssertionError("the service did not start a session within 30 s")


def stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGTERM, and the process's output once it ended."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.communicate(timeout=30)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A running headless service on the emulated strap: (data folder, environment)."""
    home = tmp_path_factory.mktemp("service")
    data = home / "data"
    env = cli_env(home)
    proc = start_service(data, env, "--no-notify")
    try:
        wait_until_watching(proc, data)
        yield data, env
    finally:
        stop(proc)


def status_json(data: Path, env: dict[str, str]) -> dict[str, Any]:
    done = flooding("status", "--json", "--data-dir", str(data), env=env)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.timeout(120)
class TestCommandsFromAnotherProcess:
    def test_status_json_reports_strap_session_and_heart(
        self, service: tuple[Path, dict[str, str]]
    ) -> None:
        """`flooding status --json` shows the connected strap, its battery and the live session."""
        status = status_json(*service)
        assert status["running"] is True
        assert status["headless"] is True
        assert status["strap"]["connected"] is True
        assert status["strap"]["battery_percent"] == 87
        assert status["strap"]["name"] == "Polar H10 E1A2B3C4"
        assert status["session_id"] == 1
        assert 50 < status["heart_bpm"] < 90
        assert status["state"] in ("warming", "calm")
        assert status["mode"] == "talk"

    def test_status_text_reads_plainly(self, service: tuple[Path, dict[str, str]]) -> None:
        """Plain `flooding status` names the service, the strap with battery, and the session."""
        data, env = service
        done = flooding("status", "--data-dir", str(data), env=env)
        assert done.returncode == 0, done.stderr
        assert "Monitor: running (background service" in done.stdout
        assert "Polar H10 E1A2B3C4 (C0:FF:EE:00:00:01): connected, battery 87 %" in done.stdout
        assert "Session: 1" in done.stdout

    def test_pause_and_resume_change_the_state(self, service: tuple[Path, dict[str, str]]) -> None:
        """`pause 25` makes the state pausing with 25 minutes left; `resume` ends it."""
        data, env = service
        try:
            paused = flooding("pause", "25", "--data-dir", str(data), env=env)
            assert paused.returncode == 0, paused.stderr
            assert "Pause started: 25 minutes" in paused.stdout
            status = status_json(data, env)
            assert status["state"] == "pausing"
            assert 24 <= status["pause"]["minutes_left"] <= 25
            again = flooding("pause", "--data-dir", str(data), env=env)
            assert "Already pausing" in again.stdout
            resumed = flooding("resume", "--data-dir", str(data), env=env)
            assert resumed.returncode == 0, resumed.stderr
            assert status_json(data, env)["state"] != "pausing"
            twice = flooding("resume", "--data-dir", str(data), env=env)
            assert twice.returncode == 1
            assert "no pause to end" in twice.stderr
        finally:
            send_command(ResumeRequest(), data_dir=data)  # the service is shared: leave no pause

    def test_workout_on_and_off_change_the_mode_and_are_recorded(
        self, service: tuple[Path, dict[str, str]]
    ) -> None:
        """`workout on` shows state workout; `off` returns to talk; both are in the session."""
        data, env = service
        try:
            on = flooding("workout", "on", "--data-dir", str(data), env=env)
            assert on.returncode == 0, on.stderr
            assert "Workout mode now" in on.stdout
            status = status_json(data, env)
            assert (status["mode"], status["state"]) == ("workout", "workout")
            off = flooding("workout", "off", "--data-dir", str(data), env=env)
            assert off.returncode == 0, off.stderr
            assert status_json(data, env)["mode"] == "talk"
        finally:
            send_command(WorkoutRequest(on=False), data_dir=data)  # the service is shared
        store = Store.open(data)
        try:
            modes = [e.data["mode"] for e in store.events(1, "mode")]
        finally:
            store.close()
        assert modes[-2:] == ["workout", "talk"]

    def test_ok_client_reaches_the_service_and_says_there_was_no_alert(
        self, service: tuple[Path, dict[str, str]]
    ) -> None:
        """An OkRequest gets the running session's answer: a calm session has no alert."""
        data, _env = service
        reply = send_command(OkRequest(), data_dir=data)
        assert reply == ErrorReply(code="no-alert", error="session 1 has had no alert to mark")

    def test_ok_command_asks_the_running_service(
        self, service: tuple[Path, dict[str, str]]
    ) -> None:
        """`flooding ok` is answered by the running service about its live session."""
        data, env = service
        done = flooding("ok", "--data-dir", str(data), env=env)
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr.startswith("flooding ok: ")
        assert "session 1 has had no alert to mark" in done.stderr

    def test_a_second_monitor_refuses_to_start_naming_the_first(
        self, service: tuple[Path, dict[str, str]]
    ) -> None:
        """Another headless or foreground monitor on the same data exits non-zero with the pid."""
        data, env = service
        pid = status_json(data, env)["pid"]
        second = start_service(data, env, "--no-notify")
        _out, err = second.communicate(timeout=30)
        assert second.returncode == EXIT_ALREADY_RUNNING
        assert f"already running (pid {pid})" in err
        foreground = flooding("monitor", "--no-notify", "--data-dir", str(data), env=env)
        assert foreground.returncode == EXIT_ALREADY_RUNNING
        assert f"already running (pid {pid})" in foreground.stderr


def start_demo(data: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`flooding demo` beside the monitor of `data` (in its own folder, `demo/` inside),
    once it answers the commands."""
    demo = subprocess.Popen(
        [
            *(sys.executable, "-m", "flooding", "demo", "--speed", "1"),
            *("--no-notify", "--no-app", "--data-dir", str(data)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 30
    while send_command(StatusRequest(), data_dir=data / "demo") is None:
        if demo.poll() is not None or time.monotonic() > deadline:
            stop(demo)
            raise AssertionError("the demo did not answer within 30 s")
        time.sleep(0.2)
    return demo


@pytest.mark.timeout(120)
def test_with_the_demo_running_too_the_commands_say_they_reached_the_monitor(
    service: tuple[Path, dict[str, str]],
) -> None:
    """With a monitor and the demo both running, status, pause and ok (and a refusal) say that
    the demo runs too, that this is the monitor's answer, and how to ask the demo, in
    English and German; status --json stays JSON (the line goes to stderr); the named
    command reaches the demo."""
    data, env = service
    demo = start_demo(data, env)
    ask_demo = f"status --data-dir {data / 'demo'}` asks the demo)."
    try:
        status = flooding("status", "--data-dir", str(data), env=env)
        assert status.returncode == 0, status.stderr
        assert "Monitor: running (background service" in status.stdout
        *_, last = status.stdout.splitlines()
        assert last.startswith("The demo is running too; this is the monitor's answer (`")
        assert last.endswith(ask_demo)
        german = flooding("status", "--lang", "de", "--data-dir", str(data), env=env).stdout
        assert "Die Vorführung läuft auch; das ist die Antwort des Wächters (`" in german
        said = flooding("status", "--json", "--data-dir", str(data), env=env)
        assert json.loads(said.stdout)["demo"] is False
        assert "status --json --data-dir" in said.stderr
        try:
            paused = flooding("pause", "25", "--data-dir", str(data), env=env)
            assert paused.stdout.startswith("Pause started: 25 minutes")
            assert paused.stdout.endswith(f"pause 25 --data-dir {data / 'demo'}` asks the demo).\n")
        finally:
            send_command(ResumeRequest(), data_dir=data)  # the service is shared: leave no pause
        refused = flooding("resume", "--data-dir", str(data), env=env)
        assert refused.returncode == 1
        assert "no pause to end" in refused.stderr
        assert refused.stderr.endswith(f"resume --data-dir {data / 'demo'}` asks the demo).\n")
        marked = flooding("ok", "--data-dir", str(data), env=env)
        assert "session 1 has had no alert to mark" in marked.stderr
        assert marked.stderr.endswith(f"ok --data-dir {data / 'demo'}` asks the demo).\n")
        the_demo = flooding("status", "--data-dir", str(data / "demo"), env=env).stdout
        assert "Monitor: running (the demo, with a simulated strap" in the_demo
        assert "The demo is running too" not in the_demo
    finally:
        stop(demo)


@pytest.mark.timeout(60)
class TestWithoutAService:
    def test_status_says_none_runs_and_exits_3(self, tmp_path: Path) -> None:
        """With no monitor, status --json says running false and exits 3, like systemctl."""
        done = flooding("status", "--json", "--data-dir", str(tmp_path), env=cli_env(tmp_path))
        assert done.returncode == 3
        assert json.loads(done.stdout) == {"running": False}

    @pytest.mark.parametrize("command", [["pause"], ["resume"], ["workout", "on"]])
    def test_actions_say_none_runs_and_how_to_start_one(
        self, tmp_path: Path, command: list[str]
    ) -> None:
        """pause, resume and workout with no monitor say so and name how to start one, for
        the same data folder."""
        done = flooding(*command, "--data-dir", str(tmp_path), env=cli_env(tmp_path))
        assert done.returncode == 3
        assert "No flooding monitor is running" in done.stderr
        assert f"service install --data-dir {tmp_path}`" in done.stderr
        assert f"monitor --data-dir {tmp_path}` runs it in this terminal" in done.stderr

    @pytest.mark.parametrize(
        ("command", "words"),
        [
            (["pause", "0"], "pause: MINUTES must be a number from 1 to 1440"),
            (["ok", "0"], "ok: SESSION must be a session number (1, 2, …)"),
        ],
    )
    def test_a_malformed_request_is_refused_before_asking_naming_what_is_wrong(
        self, tmp_path: Path, command: list[str], words: str
    ) -> None:
        """A value the protocol refuses is a usage error (exit 2) saying which and why."""
        done = flooding(*command, "--data-dir", str(tmp_path), env=cli_env(tmp_path))
        assert done.returncode == 2
        assert words in done.stderr


@pytest.mark.timeout(90)
class TestShutdownAndStartup:
    def test_sigterm_ends_the_session_and_leaves_a_consistent_database(
        self, tmp_path: Path
    ) -> None:
        """After SIGTERM: exit 0, integrity ok, the session ended with its samples, lock free."""
        data = tmp_path / "data"
        proc = start_service(data, cli_env(tmp_path), "--no-notify")
        try:
            wait_until_watching(proc, data, samples=3)
        finally:
            _out, err = stop(proc)
        assert proc.returncode == 0, err
        connection = sqlite3.connect(data / "flooding.db")
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            sessions = connection.execute("SELECT id, ended_s FROM sessions").fetchall()
            samples = connection.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
        finally:
            connection.close()
        assert len(sessions) == 1
        assert sessions[0][1] is not None
        assert samples >= 3
        assert not socket_path(data).exists()
        assert not lock_is_held(data)
        assert "session 1 saved" in err

    def test_the_log_file_is_owner_only_in_an_owner_only_folder(self, tmp_path: Path) -> None:
        """`--log-file` makes its missing folder 0700 and the file 0600, and logs there."""
        data = tmp_path / "data"
        log_file = tmp_path / "logs" / "service.log"
        proc = start_service(data, cli_env(tmp_path), "--no-notify", "--log-file", str(log_file))
        try:
            wait_until_watching(proc, data)
        finally:
            stop(proc)
        assert proc.returncode == 0
        assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700
        assert "connected to" in log_file.read_text(encoding="utf-8")

    def test_a_named_pipe_as_log_file_is_refused_in_words(self, tmp_path: Path) -> None:
        """A FIFO given as --log-file stops the service at once with a message, not a hang."""
        fifo = tmp_path / "service.log"
        os.mkfifo(fifo)
        proc = start_service(tmp_path / "data", cli_env(tmp_path), "--log-file", str(fifo))
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 1
        assert f"cannot log to {fifo}" in err
        assert "named pipe" in err

    def test_a_bad_config_is_told_in_the_log_and_on_the_desktop_and_it_waits(
        self, tmp_path: Path, desktop: Any
    ) -> None:
        """A bad setting at start: the log and a desktop notification name it; no exit, and
        `flooding status` says it runs but waits."""
        data = tmp_path / "data"
        proc = start_service(
            data,
            cli_env(
                tmp_path,
                DBUS_SESSION_BUS_ADDRESS=desktop.display.bus_address,
                DISPLAY=desktop.display.display,
            ),
            "--set",
            "detection.absolute_bpm=5",
        )
        try:
            shown = desktop.wait_for_notifications(1, timeout_s=20)
            assert proc.poll() is None
            status = flooding("status", "--data-dir", str(data), env=cli_env(tmp_path))
        finally:
            _out, err = stop(proc)
        assert proc.returncode == 0
        # `flooding status` meanwhile: it runs and waits, and says where to see why
        assert status.returncode == EXIT_NOT_RUNNING
        assert status.stdout.startswith(f"The flooding monitor (pid {proc.pid}) is running but")
        assert "config check` says what to fix" in status.stdout
        assert shown[0]["summary"] == "flooding is not watching your heart yet"
        assert "detection.absolute_bpm" in shown[0]["body"]
        assert "config check" in shown[0]["body"]
        assert "detection.absolute_bpm = 5" in err
        assert "config check" in err


class TestTheServicesApp:
    def test_its_log_gives_no_link_and_flooding_app_opens_it_through_an_owner_only_page(
        self, tmp_path: Path, chromium: Any
    ) -> None:
        """The service's log (its stderr: the journal) carries no one-time code, but how to
        open the app; `flooding app` then starts the browser with no code on its command line,
        through a page that logs a real browser into the service's live page and is removed
        once used."""
        data = tmp_path / "data"
        browser = RecordingBrowser(tmp_path)
        env = cli_env(tmp_path, **browser.env)
        proc = start_service(data, env, "--no-notify")
        try:
            wait_until_watching(proc, data)
            opened = flooding("app", "--data-dir", str(data), env=env)
            assert opened.returncode == 0, opened.stderr
            (link,) = [line[5:] for line in opened.stdout.splitlines() if line.startswith("App: ")]
            code = link.split("code=", 1)[1]
            assert code not in browser.argv()
            page_file = browser.opened_file()
            assert stat.S_IMODE(page_file.stat().st_mode) == 0o600
            assert stat.S_IMODE(page_file.parent.stat().st_mode) == 0o700
            page = chromium.new_page()
            page.goto(page_file.as_uri())
            page.wait_for_url(link.split("/open", 1)[0] + "/")
            page.wait_for_function(
                "() => /^\\d+$/.test(document.getElementById('bpm').textContent)"
            )
            assert not page_file.exists()
            page.close()
        finally:
            _, err = stop(proc)
        assert proc.returncode == 0, err
        assert "/open?code=" not in err
        assert code not in err
        assert f"app --data-dir {data}`" in err
