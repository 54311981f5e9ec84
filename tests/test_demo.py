"""The demo end to end, as a newcomer runs it: a subprocess, then sessions and review."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.session_factory import flooding


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One full demo run at full speed into a fresh data dir."""
    data = tmp_path_factory.mktemp("demo-data")
    result = flooding("demo", "--speed", "0", "--no-notify", "--data-dir", str(data))
    return result, data


class TestDemoRun:
    def test_exits_zero_and_shows_alert_pause_and_ready(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """The demo exits 0 and prints the alert, the pause count-down and ready-to-return."""
        result, _ = demo_run
        assert result.returncode == 0, result.stderr
        out = result.stdout
        assert "You're flooded" in out
        assert "pause 19:" in out  # the pause count-down on the live line
        assert "back near your calm" in out
        assert "I'll come back at" in out

    def test_the_intro_says_the_pause_length_as_the_alerts_do(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """The intro says the pause's length in the alerts' words ("the pause of 20 minutes"),
        not as a "20-minute pause" that a day-long one would make "1440-minute"."""
        result, _ = demo_run
        assert (
            "the flooding alert, the pause of 20 minutes and the ready-to-return" in result.stdout
        )

    def test_the_pause_lines_cue_slow_breathing(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """Every live line during the pause says whether to breathe in or out just then."""
        result, _ = demo_run
        pause_lines = [line for line in result.stdout.splitlines() if " left" in line]
        assert len(pause_lines) > 100
        assert all(line.endswith(("breathe in", "breathe out")) for line in pause_lines)

    def test_prints_summary_and_where_stored(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """The demo ends with a summary in plain words (the rule as "above calm", no sample
        count) and the path of the database it wrote."""
        result, data = demo_run
        assert "1 flooding episode," in result.stdout
        assert "flooded: peak" in result.stdout
        assert "above calm" in result.stdout
        assert "rule relative" not in result.stdout
        assert " samples" not in result.stdout
        assert str(data / "demo" / "flooding.db") in result.stdout

    def test_sessions_json_lists_the_demo_session(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """`flooding sessions --json` shows the demo session with its episode and pause."""
        _, data = demo_run
        result = flooding("sessions", "--json", "--data-dir", str(data / "demo"))
        assert result.returncode == 0, result.stderr
        sessions = json.loads(result.stdout)
        assert len(sessions) == 1
        assert sessions[0]["episodes"] >= 1
        assert sessions[0]["pauses"] >= 1
        assert sessions[0]["source"] == "demo"

    def test_listing_sessions_loads_no_numpy(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """`flooding sessions` lists the demo session without importing numpy, scipy or asyncio."""
        _, data = demo_run
        code = (
            "import sys\n"
            "from flooding.cli.main import main\n"
            f"code = main(['sessions', '--data-dir', {str(data / 'demo')!r}])\n"
            "heavy = [m for m in ('numpy', 'scipy', 'asyncio') if m in sys.modules]\n"
            "print('CODE', code, 'HEAVY', heavy)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert "CODE 0 HEAVY []" in result.stdout, result.stdout + result.stderr
        assert "Simulated strap" in result.stdout  # the demo session is listed

    def test_review_json_shows_episode_pause_and_ready_time(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """`flooding review --json` shows an episode with rule, pause start/end and ready time."""
        _, data = demo_run
        result = flooding("review", "--json", "--data-dir", str(data / "demo"))
        assert result.returncode == 0, result.stderr
        review = json.loads(result.stdout)
        episode = review["episodes"][0]
        assert episode["rule"] in ("relative", "absolute")
        assert episode["peak_bpm"] > 100
        assert episode["pause_start_s"] is not None
        assert episode["ready_s"] is not None
        assert episode["ready_s"] - episode["pause_start_s"] >= 20 * 60


class TestCommandLine:
    def test_version(self) -> None:
        """`flooding --version` prints the version."""
        result = flooding("--version")
        assert result.returncode == 0
        assert result.stdout.startswith("flooding ")

    def test_help_does_not_import_heavy_libraries(self) -> None:
        """`flooding --help` works without importing numpy, scipy or bleak (so it starts fast)."""
        code = (
            "import sys\n"
            "from flooding.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('numpy', 'scipy', 'bleak', 'matplotlib') if m in sys.modules]\n"
            "print('HEAVY', heavy)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert "HEAVY []" in result.stdout

    def test_ble_without_the_emulator_extra_says_how_to_install_it(self, tmp_path: Path) -> None:
        """`demo --ble` where Bumble is not installed (a wheel without the `emulator` extra)
        says how to add it (pipx's inject, or pip in flooding's own environment; `flooding`
        is not a package on the index) and exits 1, instead of a ModuleNotFoundError."""
        absent = tmp_path / "absent" / "bumble"  # found first on the path, and fails as a
        absent.mkdir(parents=True)  # package that is not installed does
        (absent / "__init__.py").write_text(
            "raise ModuleNotFoundError(\"No module named 'bumble'\", name='bumble')\n"
        )
        root = Path(__file__).resolve().parent.parent
        env = {"PYTHONPATH": f"{absent.parent}:{root}", "XDG_DATA_HOME": str(tmp_path / "d")}

        result = flooding("demo", "--ble", "--no-notify", env=env)

        assert result.returncode == 1
        assert "`pipx inject flooding bumble`" in result.stderr
        assert "`pip install bumble`" in result.stderr
        assert "flooding[emulator]" not in result.stderr
        assert "Traceback" not in result.stderr

    def test_bad_config_stops_before_starting(self, tmp_path: Path) -> None:
        """An out-of-range config value stops the demo, naming file, line, key and bounds
        (once: no note that it goes on without them, as the commands that go on say)."""
        bad = tmp_path / "me.toml"
        bad.write_text("[detection]\nabsolute_bpm = 400\n")
        result = flooding(
            "demo",
            "--speed",
            "0",
            "--no-notify",
            "--data-dir",
            str(tmp_path / "d"),
            "--config",
            str(bad),
        )
        assert result.returncode == 2
        assert f"{bad}:2" in result.stderr
        assert "detection.absolute_bpm = 400" in result.stderr
        assert "from 60 to 220" in result.stderr
        assert result.stderr.count("detection.absolute_bpm = 400") == 1
        assert "goes on without them" not in result.stderr
        assert not (tmp_path / "d" / "flooding.db").exists()

    def test_review_with_no_sessions_says_so(self, tmp_path: Path) -> None:
        """`flooding review` on an empty data dir says there are no sessions and exits non-zero."""
        result = flooding("review", "--data-dir", str(tmp_path))
        assert result.returncode == 1
        assert "no sessions recorded yet" in result.stderr


class TestDemoFolder:
    def test_data_dir_keeps_practice_sessions_in_its_demo_folder(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """`demo --data-dir DIR` stores in DIR/demo (as with FLOODING_DATA_DIR), never in DIR."""
        result, data = demo_run
        assert (data / "demo" / "flooding.db").exists()
        assert not (data / "flooding.db").exists()
        assert f"Practice sessions are kept in {data / 'demo'}" in result.stdout
        assert f"review --data-dir {data / 'demo'}" in result.stdout

    def test_the_environment_folder_follows_the_same_rule(self, tmp_path: Path) -> None:
        """With FLOODING_DATA_DIR the practice sessions go to its demo folder, as with
        --data-dir."""
        result = flooding(
            "demo",
            "--speed",
            "0",
            "--no-notify",
            "--no-app",
            env={"FLOODING_DATA_DIR": str(tmp_path)},
        )
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "demo" / "flooding.db").exists()
        assert not (tmp_path / "flooding.db").exists()

    def test_with_real_keeps_them_in_the_data_folder_when_asked(self, tmp_path: Path) -> None:
        """`--with-real` stores the practice session in the data folder itself, and says so."""
        result = flooding(
            "demo",
            "--speed",
            "0",
            "--no-notify",
            "--no-app",
            "--with-real",
            "--data-dir",
            str(tmp_path),
        )
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "flooding.db").exists()
        assert not (tmp_path / "demo").exists()
        assert "with your real sessions" in result.stdout

    def test_help_says_where_practice_sessions_go(self) -> None:
        """`demo --help` states the rule: a demo folder inside the data folder."""
        result = flooding("demo", "--help")
        assert "DIR/demo" in " ".join(result.stdout.split())
        assert "--with-real" in result.stdout

    def test_couple_with_ble_names_the_real_conflict(self, tmp_path: Path) -> None:
        """`demo --couple --ble` says on stderr that the two cannot go together, not something
        about --speed, and exits 2."""
        result = flooding("demo", "--couple", "--ble", "--data-dir", str(tmp_path))
        assert (result.returncode, result.stdout) == (2, "")
        assert "--speed" not in result.stderr
        assert result.stderr.startswith("flooding demo: --ble plays one emulated strap")
        assert "--couple or --ble" in result.stderr

    def test_couple_with_a_negative_speed_is_refused(self, tmp_path: Path) -> None:
        """`demo --couple --speed -1` is refused on stderr (its words name the command once),
        exit 2, and no practice session is made."""
        result = flooding("demo", "--couple", "--speed", "-1", "--data-dir", str(tmp_path))
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == (
            "flooding demo --couple: --speed must be 0 or more (0 plays at once)\n"
        )
        assert not (tmp_path / "demo" / "flooding.db").exists()

    def test_ble_at_once_is_refused(self, tmp_path: Path) -> None:
        """`demo --ble --speed 0` is refused on stderr with exit 2: the emulated strap plays in
        time, so `0 plays at once` is not offered."""
        result = flooding("demo", "--ble", "--speed", "0", "--data-dir", str(tmp_path))
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == (
            "flooding demo: --speed must be more than 0 (60 plays a minute a second)\n"
        )


def _wait_for_status(data: Path, limit_s: float = 60.0) -> subprocess.CompletedProcess[str]:
    """`flooding status` once the demo answers it (or the last try)."""
    deadline = time.monotonic() + limit_s
    while True:
        result = flooding("status", "--data-dir", str(data))
        if result.returncode == 0 or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


@contextmanager
def _demo_playing(data: Path, *options: str) -> Iterator[None]:
    """`flooding demo` (with `options`) playing for the data folder `data` inside, in real
    time; ended with Ctrl-C on the way out."""
    demo = subprocess.Popen(
        [
            *(sys.executable, "-m", "flooding", "demo", *options, "--speed", "1"),
            *("--no-notify", "--no-app", "--data-dir", str(data)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(30)
        finally:
            demo.kill()
            demo.wait()


def test_the_running_demo_answers_the_monitor_commands(tmp_path: Path) -> None:
    """While the demo plays, status, pause, resume, workout and ok reach it like a monitor."""
    with _demo_playing(tmp_path):
        status = _wait_for_status(tmp_path)
        assert status.returncode == 0, status.stdout + status.stderr
        assert "the demo" in status.stdout
        paused = flooding("pause", "5", "--data-dir", str(tmp_path))
        assert paused.returncode == 0, paused.stderr
        assert "Pause started" in paused.stdout
        resumed = flooding("resume", "--data-dir", str(tmp_path))
        assert resumed.returncode == 0, resumed.stderr
        workout = flooding("workout", "on", "--data-dir", str(tmp_path))
        assert workout.returncode == 0, workout.stderr
        assert f"workout off --data-dir {tmp_path}" in workout.stdout
        marked = flooding("ok", "--data-dir", str(tmp_path))
        assert (marked.returncode, marked.stdout) == (1, "")
        assert "has had no alert to mark" in marked.stderr  # the demo's session answered
    assert not (tmp_path / "flooding.db").exists()


def test_no_monitor_hints_keep_the_data_folder(tmp_path: Path) -> None:
    """With nothing running, the "Start one:" hint repeats --data-dir, so it starts the right
    monitor."""
    result = flooding("status", "--data-dir", str(tmp_path))
    assert result.returncode == 3
    assert f"monitor --data-dir {tmp_path}" in result.stdout
    assert f"service install --data-dir {tmp_path}" in result.stdout


@pytest.mark.parametrize("couple", [[], ["--couple"]])
def test_the_talks_length_is_the_same_in_the_intro_and_the_summary(
    tmp_path: Path, couple: list[str]
) -> None:
    """The intro's "a hard talk of N minutes" and the summary's "Session 1: N minutes" agree."""
    import re

    done = flooding(
        "demo", *couple, "--speed", "0", "--no-notify", "--no-app",
        "--data-dir", str(tmp_path), env={"XDG_CONFIG_HOME": str(tmp_path / "none")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    intro = re.search(r"talk of (\d+) minutes", done.stdout)
    summary = re.search(r"Session \d+: (\d+) minutes", done.stdout)
    assert intro is not None, done.stdout
    assert summary is not None, done.stdout
    assert intro.group(1) == summary.group(1)


def test_the_live_line_says_the_break_is_checked_once_its_time_is_over(tmp_path: Path) -> None:
    """With a hold of ten minutes the heart is still being checked after the break's
    planned 20 minutes: the live line then says so in the words of `flooding status`, and
    never counts "0:00 left"."""
    done = flooding(
        "demo", "--speed", "0", "--no-notify", "--no-app", "--data-dir", str(tmp_path),
        "--set", "pause.recovery_hold_s=600", env={"XDG_CONFIG_HOME": str(tmp_path / "none")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    checking = [line for line in lines if "pause: its time is over" in line]
    assert checking, done.stdout
    assert all("the heart rate is checked now - breathe" in line for line in checking)
    assert not [line for line in lines if " 0:00 left" in line]
    assert "back near your calm" in done.stdout  # the check ends the break as ever


def test_a_fast_demo_says_how_to_have_time_to_try_the_commands() -> None:
    """At the default 60x the invitation to try `status` names `--speed 10` and how long the
    talk then lasts; at 10x and at once it does not."""
    import argparse

    from flooding.cli.commands.demo import _try_while_playing
    from flooding.io.locale_files import load_catalogue

    say = load_catalogue("en")

    def invitation(speed: float) -> str:
        args = argparse.Namespace(speed=speed, data_dir=None)
        return _try_while_playing(args, 1530.0, say)

    assert "`--speed 10` gives you more time for them (about 3 minutes)" in invitation(60.0)
    assert "--speed" not in invitation(10.0)
    assert invitation(0.0) == ""


def _wait_for_a_session(data: Path, limit_s: float = 60.0) -> None:
    """Wait until the running demo says a session runs (its pause and resume need one)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        said = flooding("status", "--json", "--data-dir", str(data))
        if said.returncode == 0 and json.loads(said.stdout)["session_id"] is not None:
            return
        time.sleep(0.5)
    pytest.fail("the demo started no session")


def test_the_couple_demo_is_answered_as_a_couple_in_both_languages(tmp_path: Path) -> None:
    """Pause, resume and workout of the couple demo answer both partners ("ihr", "euch"),
    in German and in English, and so does a refusal; never "du" or "dein"."""
    data = ("--data-dir", str(tmp_path))
    with _demo_playing(tmp_path, "--couple"):
        _wait_for_a_session(tmp_path)
        german = []
        for command in (("pause", "5"), ("resume",), ("resume",), ("workout", "on")):
            answer = flooding(*command, "--lang", "de", *data)
            german.append(answer.stdout + answer.stderr)
        paused, resumed, refused, workout = german
        assert paused.startswith("Pause für euch beide begonnen: 5 Minuten, bis ")
        assert "Nehmt euch die Zeit, die ihr braucht; wenn eure Herzen" in paused
        assert resumed.startswith("Pause für euch beide beendet.")
        assert "geht es sanft an" in resumed
        assert "es gibt keine Pause zu beenden: ihr macht gerade keine" in refused
        assert "wenn ihr fertig seid" in workout
        for said in german:
            words = re.sub(r"`[^`]*`", "", said)  # not the commands' options (--data-dir)
            assert re.findall(r"\b(du|dein\w*|dich|dir|nimm|geh)\b", words, re.IGNORECASE) == []
        paused = flooding("pause", "5", *data).stdout
        assert paused.startswith("Pause for both started: 5 minutes, until ")
        assert "when your hearts are back near calm" in paused
        resumed = flooding("resume", *data).stdout
        assert resumed.startswith("Pause for both ended.")
        workout = flooding("workout", "on", *data).stdout
        assert "when you are both done" in workout


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", r"  flooded: peak \d+ bpm, above calm, ready to return after (\d+) minutes"),
        ("de", r"  überflutet: Spitze \d+ Schläge/min, über dem Ruhepuls, bereit zurückzukehren "
               r"nach (\d+) Minuten"),
    ],
)  # fmt: skip
def test_the_summary_says_how_long_until_ready_as_a_breaks_length_is_said(
    tmp_path: Path, language: str, line: str
) -> None:
    """The demo's summary says how long after the alert the heart was ready to return in
    words, as every break's length is said ("after 20 minutes", "nach 20 Minuten"), not as
    "20 min"."""
    done = flooding(
        "demo", "--speed", "0", "--no-notify", "--no-app", "--lang", language,
        "--data-dir", str(tmp_path), env={"XDG_CONFIG_HOME": str(tmp_path / "none")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    said = re.search(f"^{line}$", done.stdout, re.MULTILINE)
    assert said is not None, done.stdout
    assert int(said.group(1)) >= 20  # the pause's 20 minutes at least
