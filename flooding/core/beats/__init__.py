"""The beat-level path: beat times, artifact correction, heart rate and RMSSD from RR intervals.

Pure numpy; no I/O. The detector's low-latency heart rate: `FastRate` (live) and `fast_rates`
(files). Artifact correction: `correct_rr` (Lipponen & Tarvainen). Heart-rate variability:
`corrected_rmssd`, the RMSSD of the corrected beats, the one figure every view shows.
"""

from flooding.core.beats.artifacts import (
    RR_MAX_S,
    RR_MIN_S,
    CorrectionResult,
    Label,
    correct_rr,
)
from flooding.core.beats.clock import BeatClock
from flooding.core.beats.fast import FastRate, fast_rates
from flooding.core.beats.hrv import Rmssd, corrected_rmssd

__all__ = [
    "RR_MAX_S",
    "RR_MIN_S",
    "BeatClock",
    "CorrectionResult",
    "FastRate",
    "Label",
    "Rmssd",
    "correct_rr",
    "corrected_rmssd",
    "fast_rates",
]
