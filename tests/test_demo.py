"""The demo end to end, as a newcomer runs it: a subprocess, then sessions and review."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def flooding(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the `flooding` command in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "flooding", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


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
        assert "back near your baseline" in out
        assert "I'll come back at" in out

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
        assert "1 flooding episode(s)" in result.stdout
        assert "flooded: peak" in result.stdout
        assert "above calm" in result.stdout
        assert "rule relative" not in result.stdout
        assert " samples" not in result.stdout
        assert str(data / "flooding.db") in result.stdout

    def test_sessions_json_lists_the_demo_session(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """`flooding sessions --json` shows the demo session with its episode and pause."""
        _, data = demo_run
        result = flooding("sessions", "--json", "--data-dir", str(data))
        assert result.returncode == 0, result.stderr
        sessions = json.loads(result.stdout)
        assert len(sessions) == 1
        assert sessions[0]["episodes"] >= 1
        assert sessions[0]["pauses"] >= 1
        assert sessions[0]["source"] == "demo"

    def test_review_json_shows_episode_pause_and_ready_time(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """`flooding review --json` shows an episode with rule, pause start/end and ready time."""
        _, data = demo_run
        result = flooding("review", "--json", "--data-dir", str(data))
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

    def test_bad_config_stops_before_starting(self, tmp_path: Path) -> None:
        """An out-of-range config value stops the demo, naming file, line, key and bounds."""
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
        assert "<= 220" in result.stderr
        assert not (tmp_path / "d" / "flooding.db").exists()

    def test_review_with_no_sessions_says_so(self, tmp_path: Path) -> None:
        """`flooding review` on an empty data dir says there are no sessions and exits non-zero."""
        result = flooding("review", "--data-dir", str(tmp_path))
        assert result.returncode == 1
        assert "no sessions recorded yet" in result.stderr
