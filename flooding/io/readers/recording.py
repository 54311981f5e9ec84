"""A recording read from a file: strap-like samples plus, for beat files, the beats themselves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from flooding.core.models import Sample


def _frozen(array: np.ndarray | None) -> np.ndarray | None:
    if array is not None:
        array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Recording:
    """Samples in time order, as a strap would have sent them, and what else the file held.

    Clock: when the file gives wall-clock time, `t_s` of every sample (and `beat_t_s`) is unix
    epoch seconds and `start_unix_s` is set; otherwise `t_s` counts seconds from the start of
    the recording and `start_unix_s` is None. Times with no zone in the file are read as UTC.

    `beat_rr_s` and `beat_t_s` (when the file holds beats) are every RR interval in seconds and
    the time of the beat that ends it; the same beats travel in the samples' `rr_s`.
    `columns` holds further per-sample values by name (e.g. Stress-Predict's `label`), aligned
    with `samples`. Arrays are read-only.
    """

    samples: list[Sample]
    start_unix_s: float | None
    source_format: str
    path: Path
    beat_t_s: np.ndarray | None = None
    beat_rr_s: np.ndarray | None = None
    columns: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _frozen(self.beat_t_s)
        _frozen(self.beat_rr_s)
        for array in self.columns.values():
            _frozen(array)
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))

    @property
    def duration_s(self) -> float:
        """Seconds from the first to the last sample (0 for fewer than two)."""
        if len(self.samples) < 2:
            return 0.0
        return self.samples[-1].t_s - self.samples[0].t_s

    @property
    def n_beats(self) -> int:
        """How many RR intervals the samples carry."""
        return sum(len(sample.rr_s) for sample in self.samples)
