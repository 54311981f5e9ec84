"""Synthetic 1 Hz heart traces with known shapes, for the detector and pause-protocol tests.

A trace is built from segments (a level, or a linear move from one level to another), with
optional Gaussian noise from a seeded generator, so every test sees the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from flooding.core.messages import MessageBook
from flooding.core.models import Sample
from flooding.core.settings import DetectionSettings, PauseSettings, Settings
from flooding.io.config_files.loading import default_settings
from flooding.io.locale_files import load_catalogue


@dataclass(frozen=True)
class Seg:
    """A stretch of `duration_s` seconds moving linearly from `from_bpm` to `to_bpm`."""

    duration_s: int
    from_bpm: float
    to_bpm: float | None = None
    noise_bpm: float = 0.0
    contact: bool | None = True
    missing: bool = False  # no samples at all (a dropped link)


def trace(*segments: Seg, start_s: float = 0.0, seed: int = 0) -> list[Sample]:
    """Samples once a second, one per whole second of each segment (missing ones left out)."""
    rng = np.random.default_rng(seed)
    out: list[Sample] = []
    t = start_s
    for seg in segments:
        to = seg.from_bpm if seg.to_bpm is None else seg.to_bpm
        for k in range(seg.duration_s):
            level = seg.from_bpm + (to - seg.from_bpm) * k / max(1, seg.duration_s)
            noise = rng.normal(0.0, seg.noise_bpm) if seg.noise_bpm else 0.0
            if not seg.missing:
                out.append(Sample(t_s=t + k, bpm=float(level + noise), contact=seg.contact))
        t += seg.duration_s
    return out


def calm(duration_s: int, bpm: float = 68.0, noise_bpm: float = 0.0) -> Seg:
    """A steady stretch."""
    return Seg(duration_s, bpm, noise_bpm=noise_bpm)


def wandering_calm(
    duration_s: int, *, level_bpm: float, sd_bpm: float, seed: int, start_s: float = 0.0
) -> list[Sample]:
    """A calm heart that wanders slowly (AR(1), about `sd_bpm` spread) plus beat-level noise."""
    rng = np.random.default_rng(seed)
    phi = 0.98
    wander = 0.0
    out = []
    for k in range(duration_s):
        wander = phi * wander + rng.normal(0.0, sd_bpm * np.sqrt(1 - phi**2))
        out.append(Sample(t_s=start_s + k, bpm=float(level_bpm + wander + rng.normal(0, 1.0))))
    return out


def crossing_s(segments: Sequence[Seg], threshold_bpm: float, start_s: float = 0.0) -> float:
    """The first whole-second sample time at which the noise-free trace is at or above a level."""
    for sample in trace(
        *(Seg(s.duration_s, s.from_bpm, s.to_bpm) for s in segments), start_s=start_s
    ):
        if sample.bpm >= threshold_bpm:
            return sample.t_s
    raise AssertionError(f"the trace never reaches {threshold_bpm} bpm")


def shifted(samples: Iterable[Sample], dt_s: float) -> list[Sample]:
    """The same samples, later by `dt_s`."""
    return [
        Sample(t_s=s.t_s + dt_s, bpm=s.bpm, rr_s=s.rr_s, contact=s.contact, energy_kj=s.energy_kj)
        for s in samples
    ]


def detection(**changes: object) -> DetectionSettings:
    """The default detection settings with some values changed (validated)."""
    return DetectionSettings.model_validate({**DetectionSettings().model_dump(), **changes})


def settings(
    *,
    detection_changes: dict[str, object] | None = None,
    pause_changes: dict[str, object] | None = None,
    **top: object,
) -> Settings:
    """The shipped settings with some sections changed (validated)."""
    base = default_settings().model_dump()
    base["detection"].update(detection_changes or {})
    base["pause"].update(pause_changes or {})
    base.update(top)
    return Settings.model_validate(base)


def pause_settings(**changes: object) -> PauseSettings:
    """The default pause settings with some values changed (validated)."""
    return PauseSettings.model_validate({**PauseSettings().model_dump(), **changes})


def message_book(settings: Settings, people: int = 1) -> MessageBook:
    """The message book a session of `people` with `settings` renders with (its words in the
    settings' language)."""
    return MessageBook(settings, load_catalogue(settings.language), people)
