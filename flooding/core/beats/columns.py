"""Samples as columns (numpy arrays): what the batch path computes on, made once per series.

Replays that repeat (tune, the app's what-if) keep the columns and the rates derived from them
instead of reading them out of the samples again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

from flooding.core.models import Sample

CONTACT_UNKNOWN = -1  # the strap cannot tell (contact None)


@dataclass(frozen=True, eq=False)
class SampleColumns:
    """One array per field of a series of samples, and the RR values of all of them."""

    t_s: npt.NDArray[np.float64]
    bpm: npt.NDArray[np.float64]  # the strap's own value
    contact: npt.NDArray[np.int8]  # 1, 0, or CONTACT_UNKNOWN
    rr_counts: npt.NDArray[np.int64]  # RR values in each sample
    rr_s: npt.NDArray[np.float64]  # every sample's RR values, in order
    # each sample's activity level, NaN where None; None: no sample has one
    activity_g: npt.NDArray[np.float64] | None = None

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> SampleColumns:
        """The columns of `samples`."""
        n = len(samples)
        t_s = np.fromiter((s.t_s for s in samples), np.float64, n)
        bpm = np.fromiter((s.bpm for s in samples), np.float64, n)
        contact = np.fromiter(
            (CONTACT_UNKNOWN if s.contact is None else s.contact for s in samples), np.int8, n
        )
        beats = [s.rr_s for s in samples]
        counts = np.fromiter(map(len, beats), np.int64, n)
        rr_s = np.fromiter(chain.from_iterable(beats), np.float64, int(counts.sum()))
        activity = None
        if any(s.activity_g is not None for s in samples):
            activity = np.fromiter(
                (math.nan if s.activity_g is None else s.activity_g for s in samples),
                np.float64,
                n,
            )
        return cls(t_s, bpm, contact, counts, rr_s, activity)

    @property
    def has_contact(self) -> npt.NDArray[np.bool_]:
        """False only where the strap positively reported lost skin contact."""
        result: npt.NDArray[np.bool_] = self.contact != 0
        return result
