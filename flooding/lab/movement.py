"""Reader for the movement recordings (`shared/data/movement-hexoskin`): a Hexoskin shirt's
heart rate (1 Hz) with the activity level of its torso accelerometer (64 Hz), as samples.

The WAV files are read with the standard library's `wave`; each file's sample i is at i / rate
seconds from the record start. Off the runtime path: for evaluation and tests.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from flooding.core.activity import activity_levels
from flooding.core.models import Sample

G_PER_COUNT = 1.0 / 256.0  # the Hexoskin accelerometer's unit: 1/256 g per count
OFF_BODY_G = 0.004  # a worn shirt moves with breathing and sway (still: 0.01-0.03 g); a
#                     minute at the sensor's noise floor (~0.003 g) is the shirt off the body
OFF_BODY_WINDOW_S = 61  # seconds in the centred median that decides off-body


def read_wav(path: Path) -> tuple[npt.NDArray[np.float64], int]:
    """A mono 16-bit WAV's values and its rate (samples a second)."""
    with wave.open(str(path), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected a mono 16-bit WAV file")
        values = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
        return values, w.getframerate()


def read_hexoskin(folder: Path, *, with_activity: bool = True) -> list[Sample]:
    """One recording's heart rate, a sample a second, each with the activity level (g) of the
    second before it (`with_activity=False`: none, as a strap without an accelerometer).
    Where the accelerometer lies flat for a minute the shirt is off the body (013 after about
    32 min; its heart rate is frozen there): those samples have no skin contact."""
    from scipy.ndimage import median_filter

    bpm, rate = read_wav(folder / "heart_rate.wav")
    ticks = (np.arange(bpm.size) / rate).tolist()
    axes = [read_wav(folder / f"acceleration_{axis}.wav") for axis in "XYZ"]
    acc_rate = axes[0][1]
    n = min(values.size for values, _ in axes)
    x, y, z = ((values[:n] * G_PER_COUNT).tolist() for values, _ in axes)
    levels = activity_levels((np.arange(n) / acc_rate).tolist(), x, y, z, ticks)
    spread = np.array([np.nan if level is None else level for level in levels])
    settled = median_filter(np.nan_to_num(spread, nan=1.0), size=OFF_BODY_WINDOW_S, mode="nearest")
    off_body = (settled < OFF_BODY_G).tolist()
    if not with_activity:
        levels = [None] * len(levels)
    return [
        Sample(t, b, (), False if off else None, None, level)
        for t, b, level, off in zip(ticks, bpm.tolist(), levels, off_body, strict=True)
    ]


def hexoskin_folders(data: Path) -> list[Path]:
    """The recordings' folders under `data/movement-hexoskin`, in order."""
    return sorted(p for p in (data / "movement-hexoskin").glob("*hexoskin") if p.is_dir())
