"""How long readings were set aside as sensor errors for lying above the plausible limit
(`detection.max_plausible_bpm`): a review or replay says so, so that a real racing heart above
a limit set too low is not silently missing from its alerts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def seconds_above(
    t_s: npt.NDArray[np.float64], bpm: npt.NDArray[np.float64], limit_bpm: float, cap_s: float
) -> float:
    """The time covered by readings above `limit_bpm`: each lasts until the next reading, at
    most `cap_s` (a longer wait is a gap, not a reading); the last lasts nothing."""
    if t_s.size < 2:
        return 0.0
    lasts = np.clip(np.diff(t_s), 0.0, cap_s)
    return float(lasts[bpm[:-1] > limit_bpm].sum())
