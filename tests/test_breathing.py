"""The paced-breathing guide."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from flooding.cli.view import TerminalView
from flooding.core.breathing import bar, phase_at
from flooding.core.models import Reading, State, Unusable


class TestPhase:
    def test_six_breaths_a_minute_with_a_longer_out_breath(self) -> None:
        """At 6 breaths/min and 40 % inhale: 4 s in, then 6 s out, then in again."""
        assert phase_at(0.0, 6, 0.4).inhaling
        assert phase_at(3.9, 6, 0.4).inhaling
        assert not phase_at(4.1, 6, 0.4).inhaling
        assert not phase_at(9.9, 6, 0.4).inhaling
        assert phase_at(10.1, 6, 0.4).inhaling

    def test_seconds_left_counts_down_to_the_change(self) -> None:
        """Seconds left in a phase reach the boundary of that phase."""
        assert phase_at(1.0, 6, 0.4).seconds_left == pytest.approx(3.0)
        assert phase_at(5.0, 6, 0.4).seconds_left == pytest.approx(5.0)

    def test_bar_fills_while_inhaling_and_empties_while_exhaling(self) -> None:
        """The bar is fuller late in the in-breath and emptier late in the out-breath."""
        early_in, late_in = bar(phase_at(0.4, 6, 0.4)), bar(phase_at(3.6, 6, 0.4))
        early_out, late_out = bar(phase_at(4.5, 6, 0.4)), bar(phase_at(9.5, 6, 0.4))
        assert early_in.count("#") < late_in.count("#")
        assert early_out.count("#") > late_out.count("#")


def test_breathe_command_guides_in_and_out_without_a_terminal() -> None:
    """`flooding breathe` on a pipe prints alternating in/out cues and ends kindly."""
    result = subprocess.run(
        [sys.executable, "-m", "flooding", "breathe", "--minutes", "0.25", "--pace", "12"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    cues = [
        line.strip().split(" for ")[0] for line in result.stdout.splitlines() if " for " in line
    ]
    assert cues[:3] == ["breathe in", "breathe out", "breathe in"]
    assert "Well done" in result.stdout


def test_a_pace_out_of_range_is_refused_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """`breathe --pace 30` says which paces work on stderr (not among the guide's lines on
    stdout) and exits with 2."""
    from flooding.cli.main import main

    assert main(["breathe", "--pace", "30", "--lang", "en"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "flooding breathe: --pace must be 3 to 12 breaths a minute, --minutes above 0 and at"
        " most 240\n"
    )


@pytest.mark.parametrize("minutes", ["inf", "1e308", "nan", "241"])
def test_a_length_that_is_no_guide_is_refused(
    capsys: pytest.CaptureFixture[str], minutes: str
) -> None:
    """`breathe --minutes inf` (or a length past four hours, or nan) is refused in words
    with exit 2, not a traceback or a guide that stops at once."""
    from flooding.cli.main import main

    assert main(["breathe", "--minutes", minutes, "--lang", "en"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "--minutes above 0 and at most 240" in err


def _run_in_a_terminal(columns: int) -> str:
    """`flooding breathe` for a few seconds in a real pseudo-terminal `columns` wide: all it
    wrote."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "flooding", "breathe", "--minutes", "0.04", "--pace", "12"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
    )
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8")


@pytest.mark.parametrize("columns", [40, 80, 100])
def test_the_guide_fits_the_terminal_and_never_splits_a_word(columns: int) -> None:
    """In a terminal 40, 80 or 100 columns wide, no written line or redraw reaches the edge
    (where the terminal would wrap: stacked redraws, words cut in two), and the guide ran."""
    import re

    written = _run_in_a_terminal(columns)
    pieces = [piece for piece in re.split(r"[\r\n]", written) if piece]
    assert any("breathe in" in piece for piece in pieces)
    assert "Well done" in written
    too_wide = [piece for piece in pieces if len(piece) >= columns]
    assert too_wide == []
    redraws = [piece for piece in pieces if piece.lstrip().startswith("breathe")]
    assert redraws
    assert all(len(piece) == len(redraws[0]) for piece in redraws)  # each covers the last


class TestLiveLine:
    """The terminal's live line during a session (`flooding.cli.view.TerminalView`)."""

    @staticmethod
    def _reading(
        t_s: float,
        bpm: float,
        pausing: bool = False,
        unusable: Unusable | None = None,
        state: State = State.FLOODED,
    ) -> Reading:
        return Reading(
            t_s=t_s,
            bpm=bpm,
            state=state,
            baseline_bpm=67.0,
            threshold_bpm=77.0,
            pausing=pausing,
            pause_until_s=1200.0 if pausing else None,
            unusable=unusable,
        )

    def test_a_reading_not_counted_shows_no_heart_rate(self) -> None:
        """An implausible reading shows "--" for the heart and says in plain words that the
        strap's number is not believable; one without skin contact shows "--" too."""
        out = io.StringIO()
        view = TerminalView(every_s=0.0, out=out)
        view.reading(self._reading(0.0, 300.0, unusable=Unusable.IMPLAUSIBLE, state=State.CALM))
        view.reading(self._reading(1.0, 0.0, unusable=Unusable.NO_CONTACT, state=State.NO_CONTACT))
        view.reading(self._reading(2.0, 70.0, state=State.CALM))
        implausible, no_contact, counted = out.getvalue().splitlines()
        assert "heart   -- bpm" in implausible
        assert "300" not in implausible.split("threshold")[0]
        assert "calm, but the strap's reading is not believable (300 bpm)" in implausible
        assert "heart   -- bpm" in no_contact
        assert "no-contact" in no_contact
        assert "heart   70 bpm" in counted
        assert "believable" not in counted

    def test_an_implausible_reading_does_not_move_the_release_count_down(self) -> None:
        """Flooded, a reading of 12 bpm the detector could not use neither starts the count
        down below the release level nor stops one under way (as in the detector)."""
        out = io.StringIO()
        view = TerminalView(every_s=0.0, out=out, release=(5.0, 30.0))
        bpms = [80.0, 12.0, 70.0, 70.0, 250.0, 70.0]
        for t, bpm in enumerate(bpms):
            unusable = Unusable.IMPLAUSIBLE if bpm in (12.0, 250.0) else None
            view.reading(self._reading(float(t), bpm, unusable=unusable))
        lines = out.getvalue().splitlines()
        assert "flooded, ends after 30 s below 72, but the strap's reading" in lines[1]
        assert "flooded, easing: below 72 for 30 s more" in lines[2]
        assert "flooded, easing: below 72 for 28 s more, but the strap's reading" in lines[4]
        assert "flooded, easing: below 72 for 27 s more" in lines[5]

    def test_a_flooded_line_says_what_ends_it(self) -> None:
        """Flooded at 70-75 bpm under a threshold of 77, the line names the release rule
        (below 72 for 30 s) and counts it down while the heart stays under it."""
        out = io.StringIO()
        view = TerminalView(every_s=5.0, out=out, release=(5.0, 30.0))
        for t, bpm in enumerate([75, 74, 73, 73, 73, 71, 70, 70, 71, 70, 70, 70, 70, 70, 70, 70]):
            view.reading(self._reading(float(t), float(bpm)))
        lines = out.getvalue().splitlines()
        assert "flooded, ends after 30 s below 72" in lines[0]
        assert "flooded, easing: below 72 for 20 s more" in lines[-1]

    def test_the_breathing_cue_follows_the_breath_clock(self) -> None:
        """Lines two minutes of session apart (a demo at 60x) but two real seconds apart
        say breathe in and breathe out in turn, not the same word on every line."""
        seconds = iter(float(2 * n) for n in range(100))
        out = io.StringIO()
        view = TerminalView(
            every_s=120.0, out=out, breathing=(6.0, 0.4), breath_clock=lambda: next(seconds)
        )
        for n in range(10):
            view.reading(self._reading(120.0 * n, 90.0, pausing=True))
        words = [line.rsplit(" - ", 1)[1] for line in out.getvalue().splitlines()]
        assert len(words) == 10
        assert set(words) == {"breathe in", "breathe out"}

    def test_a_couples_line_says_what_ends_each_ones_flooding(self) -> None:
        """In couple mode each flooded partner's part of the line names their own release."""
        out = io.StringIO()
        view = TerminalView(every_s=5.0, out=out, release=(5.0, 30.0))
        for t in range(12):
            view.person_reading("Alex", self._reading(float(t), 80.0))
            view.person_reading("Sam", self._reading(float(t), 70.0))
        last = out.getvalue().splitlines()[-1]
        assert "Alex 80 bpm (calm 67) flooded, ends after 30 s below 72" in last
        # the line of second 10 comes with Alex's reading; Sam's latest is of second 9
        assert "Sam 70 bpm (calm 67) flooded, easing: below 72 for 21 s more" in last

    @pytest.mark.parametrize(
        ("language", "words"),
        [
            ("en", "pause for both: its time is over; the heart rates are checked now"),
            ("de", "Pause für beide: ihre Zeit ist um; jetzt werden die Pulse geprüft"),
        ],
    )
    def test_a_couples_line_says_the_break_is_checked_once_its_time_is_over(
        self, language: str, words: str
    ) -> None:
        """In couple mode the break's part of the line counts down to its planned end (its
        last second as "0:01", not "0:00"), then says both hearts are checked now."""
        out = io.StringIO()
        view = TerminalView(every_s=0.0, out=out, language=language)
        for t in (1198.0, 1199.5, 1200.0, 1260.0):
            view.person_reading("Alex", self._reading(t, 70.0, pausing=True, state=State.CALM))
        lines = out.getvalue().splitlines()
        assert " 0:02" in lines[0]
        assert " 0:01" in lines[1]
        assert lines[2].endswith(words)
        assert lines[3].endswith(words)

    def test_a_couples_line_shows_no_heart_rate_for_a_reading_not_counted(self) -> None:
        """In couple mode a partner's implausible reading shows "--" with the plain words,
        the other partner's heart as it is."""
        out = io.StringIO()
        view = TerminalView(every_s=0.0, out=out)
        view.person_reading("Alex", self._reading(0.0, 75.0, state=State.CALM))
        view.person_reading(
            "Sam", self._reading(0.0, 240.0, unusable=Unusable.IMPLAUSIBLE, state=State.CALM)
        )
        last = out.getvalue().splitlines()[-1]
        assert "Alex 75 bpm (calm 67) calm" in last
        assert (
            "Sam -- bpm (calm 67) calm, but the strap's reading is not believable (240 bpm)" in last
        )


@pytest.mark.parametrize("language", ["en", "de"])
def test_no_shipped_suggestion_names_a_breathing_count(language: str) -> None:
    """The shipped break suggestions, one person's and a couple's, name no count of seconds:
    the breathing pace is the person's own setting (pause.breaths_per_minute)."""
    from flooding.io.config_files.loading import load_config

    messages = load_config(
        env={}, overrides=[f'language="{language}"'], use_default_user_file=False
    ).settings.messages
    suggestions = [*messages.suggestions, *messages.couple_suggestions]
    assert suggestions
    assert [text for text in suggestions if any(ch.isdigit() for ch in text)] == []
