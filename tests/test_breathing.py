"""The paced-breathing guide."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flooding.core.breathing import bar, phase_at


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
