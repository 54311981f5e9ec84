"""Labeled synthetic scenarios for evaluating the detector.

Each scenario is a scripted heart (see `flooding.lab.simulate`) with its truth: when each
sustained rise crosses the flooding threshold (its onset), and which stretches are calm. A
detector should alert within the confirmation window (+2 s) of every onset, and never in
calm stretches. The set covers rise speeds, plateau lengths, noise levels, calm with short
spikes, ectopic beats (isolated, bigeminy, trigeminy), missed and extra beats, lost contact,
dropouts and exercise-like ramps.

Onsets come from the simulated heart's own level (the scripted curve plus its slow wander;
not the beat-to-beat jitter or breathing swings, which are not a change of level) against the
threshold the default rules give for that heart's calm level (the median of its level over
the calm warm-up): the start of the first stretch above the threshold that lasts the
confirmation window (dips shorter than the dip tolerance bridged) with data (no dropout, skin
contact). The scripted curve alone is not the truth: a heart that wanders 3 bpm below its
script has not yet crossed when the script has.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from flooding.core.settings import DetectionSettings
from flooding.lab.simulate import Scenario, Segment, heart

WARMUP_S = 300.0  # calm minutes first, so the baseline is warm before anything happens
ONSET_STEP_S = 0.25  # resolution of the computed onset times


@dataclass(frozen=True)
class Expectation:
    """What a correct detector does on a scenario."""

    onsets_s: tuple[float, ...]  # each must give an alert (in talk mode)
    calm_spans_s: tuple[tuple[float, float], ...]  # no alert may start inside these
    kind: str  # "rise", "calm", "spikes", "artifacts", "exercise", "contact", "dropout"


def threshold_for(calm_bpm: float, settings: DetectionSettings) -> float:
    """The flooding threshold the default `either` rule gives for a calm level."""
    return min(settings.absolute_bpm, calm_bpm + settings.personal_margin_bpm(calm_bpm))


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs of a boolean array."""
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def _bridge(mask: np.ndarray, max_gap: int) -> np.ndarray:
    """`mask` with False runs of at most `max_gap` steps between True ones set True."""
    out = mask.copy()
    true_at = np.flatnonzero(mask)
    for a, b in itertools.pairwise(true_at):
        if 1 < b - a <= max_gap + 1:
            out[a:b] = True
    return out


def onsets(
    scenario: Scenario, settings: DetectionSettings, calm_until_s: float = WARMUP_S
) -> tuple[float, ...]:
    """When each sustained rise truly begins (see the module docstring)."""
    beat_t, _, level = heart(scenario)
    calm_bpm = float(np.median(level[beat_t < calm_until_s]))
    threshold = threshold_for(calm_bpm, settings)
    times = np.arange(0.0, scenario.duration_s, ONSET_STEP_S)
    at = np.clip(np.searchsorted(beat_t, times, side="right") - 1, 0, level.size - 1)
    above = _bridge(level[at] >= threshold, int(settings.dip_tolerance_s / ONSET_STEP_S))
    below = level[at] < threshold - settings.release_hysteresis_bpm
    usable = np.ones_like(above)
    edges = np.cumsum([0.0] + [seg.duration_s for seg in scenario.segments])
    for seg, start, end in zip(scenario.segments, edges[:-1], edges[1:], strict=True):
        if seg.dropout or not seg.contact:
            usable[(times >= start) & (times < end)] = False
    found: list[float] = []
    resume = 0  # after an onset, nothing counts until the heart is released
    for start, stop in runs(above):
        if stop <= resume:
            continue
        start = max(start, resume)
        # the first stretch with data that stays above for the confirmation window
        for a, b in runs(usable[start:stop]):
            if times[start + b - 1] - times[start + a] >= settings.confirm_s:
                found.append(float(times[start + a]))
                # one episode until the heart is released (as the detector's release rule)
                resume = stop + _released(below[stop:], int(settings.release_s / ONSET_STEP_S))
                break
    return tuple(found)


def _released(below: np.ndarray, hold: int) -> int:
    """The index where `below` has first been True for `hold` steps (len when never)."""
    run = 0
    for index, value in enumerate(below.tolist()):
        run = run + 1 if value else 0
        if run >= hold:
            return index
    return len(below)


def _rise(
    name: str,
    calm: float,
    peak: float,
    rise_s: float,
    plateau_s: float,
    noise: float,
    seed: int,
    artifacts_per_min: float = 0.0,
) -> Scenario:
    segments = (
        Segment(WARMUP_S, calm, noise_bpm=noise),
        Segment(rise_s, calm, peak, noise_bpm=noise),
        Segment(plateau_s, peak, noise_bpm=noise),
        Segment(240, peak, calm, noise_bpm=noise),
        Segment(300, calm, noise_bpm=noise),
    )
    return Scenario(name, segments, seed=seed, artifacts_per_min=artifacts_per_min)


def _calm(scenario: Scenario, kind: str) -> tuple[Scenario, Expectation]:
    return scenario, Expectation((), ((0.0, scenario.duration_s),), kind)


def labeled_scenarios(
    settings: DetectionSettings | None = None, seeds: int = 3, *, small: bool = False
) -> list[tuple[Scenario, Expectation]]:
    """The evaluation set: every scenario with what a correct detector does on it.

    `small` keeps one of each kind (for fast tests): fewer rise shapes, shorter calm.
    """
    s = settings or DetectionSettings()
    out: list[tuple[Scenario, Expectation]] = []

    def add(scenario: Scenario, kind: str) -> None:
        found = onsets(scenario, s)
        out.append((scenario, Expectation(found, ((0.0, WARMUP_S),), kind)))

    levels = ((72.0, 110.0),) if small else ((62.0, 95.0), (72.0, 110.0), (85.0, 125.0))
    rises = (20.0, 180.0) if small else (20.0, 60.0, 180.0)
    plateaus = (60.0,) if small else (60.0, 300.0)
    noises = (3.0,) if small else (1.0, 3.0)
    calm_s = 1200.0 if small else 3600.0
    for seed in range(seeds):
        for calm, peak in levels:
            for rise_s in rises:
                for plateau_s in plateaus:
                    for noise in noises:
                        name = (
                            f"rise calm={calm:.0f} peak={peak:.0f} rise={rise_s:.0f}s "
                            f"plateau={plateau_s:.0f}s noise={noise:.0f} seed={seed}"
                        )
                        add(_rise(name, calm, peak, rise_s, plateau_s, noise, seed), "rise")
        # a rise through a stream with ectopic, missed and extra beats (6 a minute)
        add(
            _rise(f"rise with artifacts seed={seed}", 70, 108, 60, 120, 2, seed, 6.0),
            "rise",
        )

        # long calm with natural wandering: no alert anywhere
        out.append(
            _calm(
                Scenario(f"calm seed={seed}", (Segment(calm_s, 66, noise_bpm=2.5),), seed=seed),
                "calm",
            )
        )
        # calm with short spikes (standing up, a laugh, a cough): under the confirmation window
        spikes: list[Segment] = [Segment(WARMUP_S, 70, noise_bpm=1.5)]
        for width_s in (3.0, 8.0, 12.0, 15.0):
            spikes += [
                Segment(width_s / 2, 70, 100),
                Segment(width_s / 2, 100, 70),
                Segment(120, 70, noise_bpm=1.5),
            ]
        out.append(
            _calm(Scenario(f"calm with spikes seed={seed}", tuple(spikes), seed=seed), "spikes")
        )
        # artifacts in a calm stream: isolated ectopic/missed/extra beats, then bigeminy and
        # trigeminy stretches (every 2nd / 3rd beat premature, as in a PVC recording)
        out.append(
            _calm(
                Scenario(
                    f"calm with artifacts seed={seed}",
                    (
                        Segment(WARMUP_S + 300, 72, noise_bpm=2),
                        Segment(300, 72, noise_bpm=2, ectopy=2),
                        Segment(120, 72, noise_bpm=2),
                        Segment(300, 72, noise_bpm=2, ectopy=3),
                        Segment(180, 72, noise_bpm=2),
                    ),
                    seed=seed,
                    artifacts_per_min=6.0,
                ),
                "artifacts",
            )
        )
        # high heart rate without skin contact: never flooding
        contact = Scenario(
            f"no contact while high seed={seed}",
            (
                Segment(WARMUP_S, 68),
                Segment(120, 120, contact=False),
                Segment(300, 68),
            ),
            seed=seed,
        )
        out.append(_calm(contact, "contact"))
        # a rise split by a dropout: the onset after the link returns must still be caught
        dropout = Scenario(
            f"rise across a dropout seed={seed}",
            (
                Segment(WARMUP_S, 70),
                Segment(30, 70, 108),
                Segment(40, 108, dropout=True),
                Segment(240, 108),
                Segment(300, 108, 70),
            ),
            seed=seed,
        )
        add(dropout, "dropout")
        # exercise-like: a warm-up ramp to a long high plateau (a workout, not a fight), and a
        # light one (to ~105, like polar-hrm_exercise.hrm)
        exercises: list[tuple[str, tuple[Segment, ...]]] = [
            (
                "exercise ramp",
                (
                    Segment(WARMUP_S, 70),
                    Segment(600, 70, 140),
                    Segment(1200, 140, 150, noise_bpm=3),
                    Segment(600, 150, 85),
                ),
            )
        ]
        if not small:
            exercises.append(
                (
                    "light exercise",
                    (
                        Segment(WARMUP_S, 76),
                        Segment(60, 76, 102),
                        Segment(1800, 102, 106, noise_bpm=2),
                        Segment(120, 106, 82),
                        Segment(300, 82),
                    ),
                )
            )
        for name, segments in exercises:
            add(Scenario(f"{name} seed={seed}", segments, seed=seed), "exercise")
    return out
