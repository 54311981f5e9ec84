"""The beat-level path: beat times, artifact correction, heart rate and RMSSD from RR intervals.

Pure numpy; no I/O. The detector's low-latency heart rate: `FastRate` (live) and `fast_rates`
(files). The RMSSD of the corrected beats: `BeatProcessor` (live) and `rmssd_batch` (files),
which returns exactly what feeding would. Lower levels: `correct_rr` (batch) and
`StreamingCorrector` (live) label and correct RR series identically.
"""

from flooding.core.beats.artifacts import (
    LOOKAHEAD_BEATS,
    RR_MAX_S,
    RR_MIN_S,
    CorrectionResult,
    Label,
    correct_rr,
)
from flooding.core.beats.clock import BeatClock
from flooding.core.beats.fast import FastRate, fast_rates
from flooding.core.beats.processor import BeatProcessor, rmssd_batch
from flooding.core.beats.rolling import RollingRmssd, rolling_rmssd_ms
from flooding.core.beats.stream import Decision, StreamingCorrector

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
