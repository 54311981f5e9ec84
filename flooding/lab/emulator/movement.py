"""What the emulated strap's accelerometer feels: acceleration (g) as a function of time.

A `Movement` maps seconds since the strap started to the chest's (x, y, z) acceleration in g,
so the strap can sample it at whatever rate a client asks for. Scripted ones: `still`,
`walking`, `standing_up`, `sequence` of them; recorded ones: `hexoskin`, a torso
accelerometer from `shared/data/movement-hexoskin` (64 Hz WAVs, 1/256 g per count).
"""

from __future__ import annotations

import math
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

Movement = Callable[[float], tuple[float, float, float]]

GRAVITY_G = 1.0
STEP_HZ = 1.8  # an ordinary walking cadence: about 108 steps a minute
WALK_BOUNCE_G = 0.25  # the chest's vertical bounce per step while walking
WALK_SWAY_G = 0.08  # the side-to-side sway at half the step rate
STAND_UP_S = 2.0  # rising from a chair takes about two seconds
STAND_UP_PEAK_G = 0.35  # the push and lean of rising, at its strongest
STILL_TREMOR_G = 0.004  # breathing and heartbeat move a still chest a few mG
HEXOSKIN_RATE_HZ = 64  # the Hexoskin shirt's accelerometer rate
HEXOSKIN_G_PER_COUNT = 1 / 256  # the Hexoskin WAVs' unit


def still(tilt_deg: float = 10.0) -> Movement:
    """Sitting still: gravity at a slight tilt, with the tiny motion of breathing."""
    tilt = math.radians(tilt_deg)

    def at(t_s: float) -> tuple[float, float, float]:
        breath = STILL_TREMOR_G * math.sin(2 * math.pi * 0.25 * t_s)
        return (GRAVITY_G * math.sin(tilt), breath, GRAVITY_G * math.cos(tilt) + breath)

    return at


def walking() -> Movement:
    """Walking: gravity plus a bounce at the step rate and a sway at half of it."""

    def at(t_s: float) -> tuple[float, float, float]:
        bounce = WALK_BOUNCE_G * math.sin(2 * math.pi * STEP_HZ * t_s)
        sway = WALK_SWAY_G * math.sin(math.pi * STEP_HZ * t_s)
        return (sway, 0.05 * bounce, GRAVITY_G + bounce)

    return at


def standing_up(at_s: float = 0.0) -> Movement:
    """Sitting still, then rising from the chair at `at_s`, then standing still."""
    before, after = still(10.0), still(0.0)

    def at(t_s: float) -> tuple[float, float, float]:
        if t_s < at_s:
            return before(t_s)
        if t_s > at_s + STAND_UP_S:
            return after(t_s)
        phase = (t_s - at_s) / STAND_UP_S
        push = STAND_UP_PEAK_G * math.sin(math.pi * phase) * math.sin(4 * math.pi * phase)
        x, y, z = after(t_s)
        return (x + push, y, z + push)

    return at


def sequence(parts: Sequence[tuple[float, Movement]]) -> Movement:
    """One movement after another: each (until_s, movement) lasts until its time; the last
    goes on for ever."""

    def at(t_s: float) -> tuple[float, float, float]:
        for until_s, movement in parts:
            if t_s < until_s:
                return movement(t_s)
        return parts[-1][1](t_s)

    return at


def _wav_counts(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise ValueError(f"{path}: expected 16-bit mono samples")
        frames = wav.readframes(wav.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float64)


def hexoskin(folder: Path, start_s: float = 0.0) -> Movement:
    """A recorded torso accelerometer (one person's folder of the movement-hexoskin data),
    from `start_s` into the recording, read between samples by linear interpolation; after
    its end it stays at its last value."""
    axes = [_wav_counts(folder / f"acceleration_{axis}.wav") for axis in "XYZ"]
    n = min(len(a) for a in axes)
    if n == 0:
        raise ValueError(f"{folder}: the accelerometer recording is empty")
    g = [a[:n] * HEXOSKIN_G_PER_COUNT for a in axes]
    times = np.arange(n) / HEXOSKIN_RATE_HZ

    def at(t_s: float) -> tuple[float, float, float]:
        t = start_s + t_s
        return (
            float(np.interp(t, times, g[0])),
            float(np.interp(t, times, g[1])),
            float(np.interp(t, times, g[2])),
        )

    return at
