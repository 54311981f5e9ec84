"""Labeled synthetic scenarios for evaluating the detector.

Each scenario is a scripted heart (see `flooding.simulate`) with its truth: when each
sustained rise crosses the flooding threshold (its onset), and which stretches are calm. A
detector should alert within the confirmation window (+2 s) of every onset, and never in
calm stretches. The set covers rise speeds, plateau lengths, noise levels, calm with short
spikes, lost contact, dropouts and exercise-like ramps.

Onsets are computed from the noise-free curve against the threshold the default rules give
for the scenario's calm level (min of 100 bpm and calm + max(10 bpm, 10 %)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flooding.config import DetectionSettings
from flooding.simulate import Scenario, Segment, heart_rate_curve

WARMUP_S = 300.0  # calm minutes first, so the baseline is warm before anything happens
ONSET_STEP_S = 0.25  # resolution of the computed onset times


@dataclass(frozen=True)
class Expectation:
    """What a correct detector does on a scenario."""

    onsets_s: tuple[float, ...]  # each must give an alert (in talk mode)
    calm_spans_s: tuple[tuple[float, float], ...]  # no alert may start inside these
    kind: str  # "rise", "calm", "spikes", "exercise", "contact", "dropout"


def threshold_for(calm_bpm: float, settings: DetectionSettings) -> float:
    """The flooding threshold the default `either` rule gives for a calm level."""
    relative = calm_bpm + max(settings.margin_bpm, calm_bpm * settings.margin_pct / 100.0)
    return min(settings.absolute_bpm, relative)


def onsets(scenario: Scenario, calm_bpm: float, settings: DetectionSettings) -> tuple[float, ...]:
    """When each sustained rise truly begins: one onset per stretch where the noise-free curve
    is above the threshold, at the start of the first run inside it that has data (no dropout,
    skin contact) for at least the confirmation window."""
    threshold = threshold_for(calm_bpm, settings)
    times = np.arange(0.0, scenario.duration_s, ONSET_STEP_S)
    above = heart_rate_curve(scenario, times) >= threshold
    usable = np.ones_like(above)
    edges = np.cumsum([0.0] + [seg.duration_s for seg in scenario.segments])
    for seg, start, end in zip(scenario.segments, edges[:-1], edges[1:], strict=True):
        if seg.dropout or not seg.contact:
            usable[(times >= start) & (times < end)] = False
    found: list[float] = []
    n = len(times)
    i = 0
    while i < n:
        if not above[i]:
            i += 1
            continue
        stretch_end = i
        while stretch_end < n and above[stretch_end]:
            stretch_end += 1
        j = i
        while j < stretch_end:
            if not usable[j]:
                j += 1
                continue
            k = j
            while k < stretch_end and usable[k]:
                k += 1
            if times[k - 1] - times[j] >= settings.confirm_s:
                found.append(float(times[j]))
                break
            j = k
        i = stretch_end
    return tuple(found)


def _rise(
    name: str, calm: float, peak: float, rise_s: float, plateau_s: float, noise: float, seed: int
) -> tuple[Scenario, float]:
    segments = (
        Segment(WARMUP_S, calm, noise_bpm=noise),
        Segment(rise_s, calm, peak, noise_bpm=noise),
        Segment(plateau_s, peak, noise_bpm=noise),
        Segment(240, peak, calm, noise_bpm=noise),
        Segment(300, calm, noise_bpm=noise),
    )
    return Scenario(name, segments, seed=seed), calm


def labeled_scenarios(
    settings: DetectionSettings | None = None, seeds: int = 3
) -> list[tuple[Scenario, Expectation]]:
    """The evaluation set: every scenario with what a correct detector does on it."""
    s = settings or DetectionSettings()
    out: list[tuple[Scenario, Expectation]] = []

    def add_rise(scenario: Scenario, calm: float) -> None:
        found = onsets(scenario, calm, s)
        out.append(
            (
                scenario,
                Expectation(found, ((0.0, found[0] - 1.0) if found else (0.0, 0.0),), "rise"),
            )
        )

    for seed in range(seeds):
        for calm, peak in ((62.0, 95.0), (72.0, 110.0), (85.0, 125.0)):
            for rise_s in (20.0, 60.0, 180.0):
                for plateau_s in (60.0, 300.0):
                    for noise in (1.0, 3.0):
                        scenario, level = _rise(
                            f"rise calm={calm:.0f} peak={peak:.0f} rise={rise_s:.0f}s "
                            f"plateau={plateau_s:.0f}s noise={noise:.0f} seed={seed}",
                            calm,
                            peak,
                            rise_s,
                            plateau_s,
                            noise,
                            seed,
                        )
                        add_rise(scenario, level)

        # long calm with natural wandering: no alert anywhere
        calm_segments = (Segment(3600, 66, noise_bpm=2.5),)
        out.append(
            (
                Scenario(f"calm hour seed={seed}", calm_segments, seed=seed),
                Expectation((), ((0.0, 3600.0),), "calm"),
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
        spike_scenario = Scenario(f"calm with spikes seed={seed}", tuple(spikes), seed=seed)
        out.append((spike_scenario, Expectation((), ((0.0, spike_scenario.duration_s),), "spikes")))
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
        out.append((contact, Expectation((), ((0.0, contact.duration_s),), "contact")))
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
        found = onsets(dropout, 70.0, s)
        out.append((dropout, Expectation(found, ((0.0, WARMUP_S),), "dropout")))
        # exercise-like: a warm-up ramp to a long high plateau (a workout, not a fight)
        exercise = Scenario(
            f"exercise ramp seed={seed}",
            (
                Segment(WARMUP_S, 70),
                Segment(600, 70, 140),
                Segment(1200, 140, 150, noise_bpm=3),
                Segment(600, 150, 85),
            ),
            seed=seed,
        )
        out.append(
            (exercise, Expectation(onsets(exercise, 70.0, s), ((0.0, WARMUP_S),), "exercise"))
        )
    return out
