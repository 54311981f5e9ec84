"""The beat-level path: beat times, artifact correction, heart rate and RMSSD from RR intervals.

Pure numpy; no I/O. Live use: `BeatProcessor().feed(sample)`; files: `process_batch(samples)`,
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
from flooding.beats.processor import BeatProcessor, process_batch
from flooding.beats.rolling import RollingRmssd, instantaneous_bpm, rolling_rmssd_ms
from flooding.beats.stream import Decision, StreamingCorrector

__all__ = [
    "LOOKAHEAD_BEATS",
    "RR_MAX_S",
    "RR_MIN_S",
    "BeatClock",
    "BeatProcessor",
    "CorrectionResult",
    "Decision",
    "Label",
    "RollingRmssd",
    "StreamingCorrector",
    "correct_rr",
    "instantaneous_bpm",
    "process_batch",
    "rolling_rmssd_ms",
]
