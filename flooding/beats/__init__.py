"""The beat-level path: beat times, artifact correction, heart rate and RMSSD from RR intervals.

Pure numpy; no I/O. The detector's low-latency heart rate: `FastRate` (live) and `fast_rates`
(files). The RMSSD of the corrected beats: `BeatProcessor` (live) and `rmssd_batch` (files),
which returns exactly what feeding would. Lower levels: `correct_rr` (batch) and
`StreamingCorrector` (live) label and correct RR series identically.
"""

from flooding.beats.artifacts import (
    LOOKAHEAD_BEATS,
    RR_MAX_S,
    RR_MIN_S,
    CorrectionResult,
    Label,
    correct_rr,
)
from flooding.beats.clock import BeatClock
from flooding.beats.fast import FastRate, fast_rates
from flooding.beats.processor import BeatProcessor, rmssd_batch
from flooding.beats.rolling import RollingRmssd, rolling_rmssd_ms
from flooding.beats.stream import Decision, StreamingCorrector

__all__ = [
    "LOOKAHEAD_BEATS",
    "RR_MAX_S",
    "RR_MIN_S",
    "BeatClock",
    "BeatProcessor",
    "CorrectionResult",
    "Decision",
    "FastRate",
    "Label",
    "RollingRmssd",
    "StreamingCorrector",
    "correct_rr",
    "fast_rates",
    "rmssd_batch",
    "rolling_rmssd_ms",
]
