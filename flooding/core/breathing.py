"""Paced breathing, pure: where in the breath a person is at a given time.

About six breaths a minute, with a longer out-breath than in-breath, is the usual
recommendation for calming down (slow breathing raises heart-rate variability and lowers
arousal); both the pace and the split are settings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BreathPhase:
    """Where in the breath cycle a moment falls."""

    inhaling: bool
    fraction: float  # 0..1 through the current in- or out-breath
    seconds_left: float  # until the phase changes

    @property
    def word(self) -> str:
        """'breathe in' or 'breathe out'."""
        return "breathe in" if self.inhaling else "breathe out"


def phase_at(elapsed_s: float, breaths_per_minute: float, inhale_fraction: float) -> BreathPhase:
    """The breath phase `elapsed_s` seconds after the guide started."""
    cycle_s = 60.0 / breaths_per_minute
    inhale_s = cycle_s * inhale_fraction
    into = elapsed_s % cycle_s
    if into < inhale_s:
        return BreathPhase(True, into / inhale_s, inhale_s - into)
    exhale_s = cycle_s - inhale_s
    return BreathPhase(False, (into - inhale_s) / exhale_s, cycle_s - into)


def bar(phase: BreathPhase, width: int = 30) -> str:
    """A bar that fills while breathing in and empties while breathing out."""
    level = phase.fraction if phase.inhaling else 1.0 - phase.fraction
    filled = round(level * width)
    return "#" * filled + "." * (width - filled)
