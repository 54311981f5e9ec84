"""Time left in the terminal as a clock reads it: a break of a day counts down from 24:00:00,
not from 1440:00, and so do the breathing guide and a long calibration; a time in a file
without clock times reads 3:05:00 from its start, not 185:00."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from flooding.cli.commands.breathe import guide_line
from flooding.cli.commands.replay import from_start
from flooding.cli.main import main
from flooding.cli.view import TerminalView
from flooding.core.breathing import phase_at
from flooding.core.models import Reading, State
from flooding.core.timefmt import countdown, session_clock

START_S = 1_800_000_000.0


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0:00"),
        (58, "0:58"),
        (1198, "19:58"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (5400, "1:30:00"),
        (86399, "23:59:59"),
        (86400, "24:00:00"),
    ],
)
def test_a_count_down_gives_hours_first_from_an_hour_on(seconds: int, shown: str) -> None:
    """Below an hour a count-down is minutes and seconds; from an hour on it is hours,
    minutes and seconds."""
    assert countdown(seconds) == shown


def pause_line(minutes_left: float, language: str = "en") -> str:
    """The live line of a reading on a break with `minutes_left` of its planned time."""
    out = io.StringIO()
    view = TerminalView(every_s=0.0, out=out, language=language)
    until_s = START_S + minutes_left * 60
    view.reading(Reading(START_S, 90.0, State.FLOODED, 66.0, 76.0, True, until_s))
    return out.getvalue()


@pytest.mark.parametrize(
    ("minutes", "language", "shown", "raw"),
    [
        (1440, "en", "24:00:00 left", "1440:00"),
        (90, "en", "1:30:00 left", "90:00"),
        (1440, "de", "noch 24:00:00", "1440:00"),
        (19.5, "en", "19:30 left", "0:19:30"),
    ],
)
def test_the_live_line_counts_a_long_break_down_in_hours(
    minutes: float, language: str, shown: str, raw: str
) -> None:
    """A break of a day or of 90 minutes shows its time left with hours first, in English
    and German; a break under an hour as before."""
    line = pause_line(minutes, language)
    assert shown in line
    assert raw not in line


def test_the_breathing_guide_counts_a_long_guide_down_in_hours() -> None:
    """`flooding breathe --minutes 240` shows 3:59:59 left, not 239:59."""
    line = guide_line("breathe in", phase_at(0.0, 6, 0.4), 4 * 3600 - 0.5, 80)
    assert "3:59:59" in line
    assert "239:59" not in line


def test_a_calibration_of_over_an_hour_counts_down_in_hours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 61-minute calibration starts at 1:01:00 left, not 61:00."""
    path = tmp_path / "config.toml"
    code = main(
        ["calibrate", "--simulate", "62", "--minutes", "61", "--yes", "--config", str(path)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1:01:00 left" in out
    assert "61:00 left" not in out


@pytest.mark.parametrize(
    ("seconds", "review", "replay"),
    [
        (750.0, "+12:30", "12:30"),
        (300.0, "+5:00", "05:00"),
        (3 * 3600 + 300.0, "+3:05:00", "3:05:00"),
    ],
)
def test_a_time_in_a_file_without_clock_times_gives_hours_from_an_hour_on(
    seconds: float, review: str, replay: str
) -> None:
    """The review, the app's pages and `flooding replay` give a time three hours into a
    file without clock times as 3:05:00 from its start, not 185:00."""
    assert session_clock(seconds) == review
    assert from_start(seconds) == replay
