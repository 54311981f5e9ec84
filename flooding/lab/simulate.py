"""Simulated hearts: scripted scenarios, and a simulated strap that plays one as a source.

A scenario is a list of segments (heart rate moving linearly from one level to another,
with breathing swings and noise). From it come beats (RR intervals with respiratory sinus
arrhythmia) and strap-like packets: one Heart Rate Measurement a second carrying the beats
of that second, encoded to bytes and decoded again exactly as a real strap's would be.
Each scenario also carries its labels (when each sustained rise began), for evaluation.
"""

from __future__ import annotations

import asyncio
import bisect
import math
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import numpy as np

from flooding.core.hrm import HeartRateMeasurement, to_sample
from flooding.core.models import LinkChanged, LinkState, Sample, SourceItem

BREATH_PERIOD_S = 5.0  # a calm breath: about 12 a minute
RSA_DEPTH_FRACTION = 0.04  # heart period swings about 4 % with breathing
PACKET_INTERVAL_S = 1.0  # straps notify about once a second


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of a scenario: heart rate from `from_bpm` to `to_bpm` over `duration_s`."""

    duration_s: float
    from_bpm: float
    to_bpm: float | None = None  # None: stays at from_bpm
    noise_bpm: float = 1.5
    contact: bool = True
    dropout: bool = False  # no packets at all (a dropped link)
    ectopy: int = 0  # every n-th beat premature, with its compensatory pause (2: bigeminy)


@dataclass(frozen=True)
class Scenario:
    """A scripted heart, with the times at which flooding truly began (its labels)."""

    name: str
    segments: tuple[Segment, ...]
    onsets_s: tuple[float, ...] = ()  # seconds from the start where a sustained rise crosses
    seed: int = 0
    artifacts_per_min: float = 0.0  # isolated ectopic, missed and extra beats in the RR stream

    @property
    def duration_s(self) -> float:
        """Total length."""
        return sum(segment.duration_s for segment in self.segments)


def hard_talk(seed: int = 7) -> Scenario:
    """The demo: calm minutes, a rise into flooding, a pause, recovery."""
    segments = (
        Segment(240, 68),  # calm start: the baseline forms
        Segment(60, 68, 108),  # the talk turns hard
        Segment(150, 108, 112, noise_bpm=2.5),  # flooded
        Segment(420, 112, 70),  # the pause: slowly calming down
        Segment(660, 70, 69),  # calm again
    )
    # the relative threshold (baseline 68 + 10) is crossed a quarter of the way up the rise
    return Scenario("hard talk", segments, onsets_s=(255.0,), seed=seed)


COUPLE_DEMO_NAMES = ("Alex", "Sam")


def pursue_withdraw(seed: int = 11) -> tuple[Scenario, Scenario]:
    """The couple demo: a pursue-withdraw talk with two hearts. The pursuer's heart rises
    first and higher; the withdrawer's follows about a minute later, less high (still
    flooded against their own lower calm); both settle during the pause."""
    pursuer = Scenario(
        "pursuer",
        (
            Segment(240, 70),  # calm start: the baselines form
            Segment(60, 70, 112),  # pushing: the heart climbs first
            Segment(150, 112, 108, noise_bpm=2.5),
            Segment(420, 108, 72),  # the pause: slowly calming down
            Segment(870, 72, 71),
        ),
        onsets_s=(255.0,),
        seed=seed,
    )
    withdrawer = Scenario(
        "withdrawer",
        (
            Segment(290, 63),  # calm, a lower resting pulse
            Segment(60, 63, 88),  # going quiet while the body follows
            Segment(140, 88, 86, noise_bpm=2.0),
            Segment(360, 86, 65),
            Segment(890, 65, 64),
        ),
        onsets_s=(310.0,),
        seed=seed + 1,
    )
    return pursuer, withdrawer


def heart_rate_curve(scenario: Scenario, times_s: np.ndarray) -> np.ndarray:
    """The underlying (noise-free) heart rate at each time, bpm."""
    edges = np.cumsum([0.0] + [s.duration_s for s in scenario.segments])
    starts = np.array([s.from_bpm for s in scenario.segments])
    ends = np.array([s.from_bpm if s.to_bpm is None else s.to_bpm for s in scenario.segments])
    index = np.clip(np.searchsorted(edges, times_s, side="right") - 1, 0, len(starts) - 1)
    span = np.maximum(edges[index + 1] - edges[index], 1e-9)
    fraction = np.clip((times_s - edges[index]) / span, 0.0, 1.0)
    result: np.ndarray = starts[index] + (ends[index] - starts[index]) * fraction
    return result


def heart(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The simulated heart itself: beat times (s from start), RR intervals (s), and its level
    at each beat (bpm: the scripted curve plus its slow wander, without beat-to-beat jitter
    and breathing swings) - the truth a detector is scored against."""
    rng = np.random.default_rng(scenario.seed)
    times: list[float] = []
    rrs: list[float] = []
    levels: list[float] = []
    t = 0.0
    total = scenario.duration_s
    noise = _segment_noise(scenario)
    wander = 0.0
    while t < total:
        hr = float(heart_rate_curve(scenario, np.array([t]))[0])
        # slow wandering of the level plus beat-to-beat jitter, bpm
        wander = 0.98 * wander + rng.normal(0.0, 0.2) * noise(t)
        hr_now = max(30.0, hr + wander + rng.normal(0.0, 0.3) * noise(t))
        rr = 60.0 / hr_now
        rr *= 1.0 + RSA_DEPTH_FRACTION * math.sin(2 * math.pi * t / BREATH_PERIOD_S)
        t += rr
        times.append(t)
        rrs.append(rr)
        levels.append(hr + wander)
    return np.array(times), np.array(rrs), np.array(levels)


PREMATURE_FRACTION = 0.65  # a premature beat comes at about 2/3 of the normal interval
EXTRA_SPLIT = 0.4  # an extra (false) beat detected 40 % into a normal interval


def beats(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Beat times (s from start) and RR intervals (s) as a strap would report them: the heart's
    beats, with the scenario's ectopic beats and artifacts put in."""
    times, rr, _ = heart(scenario)
    if not scenario.artifacts_per_min and not any(seg.ectopy for seg in scenario.segments):
        return times, rr
    rng = np.random.default_rng(scenario.seed + 1_000_003)  # the heart itself stays the same
    p_artifact = scenario.artifacts_per_min * float(np.mean(rr)) / 60.0
    out: list[float] = []
    i = 0
    n = rr.size
    while i < n:
        ectopy = _segment_at(scenario, float(times[i])).ectopy
        if i + 1 < n and ectopy and i % ectopy == 0:
            kind = "ectopic"
        elif i + 1 < n and rng.random() < p_artifact:
            kind = str(rng.choice(["ectopic", "missed", "extra"]))
        else:
            kind = "normal"
        if kind == "ectopic":  # premature beat, then the compensatory pause: beat times kept
            out += [rr[i] * PREMATURE_FRACTION, rr[i + 1] + rr[i] * (1 - PREMATURE_FRACTION)]
            i += 2
        elif kind == "missed":  # a beat not detected: two intervals become one
            out.append(rr[i] + rr[i + 1])
            i += 2
        elif kind == "extra":  # a false beat splits one interval
            out += [rr[i] * EXTRA_SPLIT, rr[i] * (1 - EXTRA_SPLIT)]
            i += 1
        else:
            out.append(rr[i])
            i += 1
    recorded = np.array(out)
    return np.cumsum(recorded), recorded


def _segment_noise(scenario: Scenario) -> Callable[[float], float]:
    edges = np.cumsum([0.0] + [s.duration_s for s in scenario.segments])
    noise = [s.noise_bpm for s in scenario.segments]

    def at(t: float) -> float:
        index = min(int(np.searchsorted(edges, t, side="right")) - 1, len(noise) - 1)
        return noise[max(0, index)]

    return at


def _segment_at(scenario: Scenario, t: float) -> Segment:
    elapsed = 0.0
    for segment in scenario.segments:
        elapsed += segment.duration_s
        if t < elapsed:
            return segment
    return scenario.segments[-1]


def packets(scenario: Scenario) -> Iterator[tuple[float, HeartRateMeasurement | None]]:
    """(seconds from start, measurement) once a second; None where the link is down."""
    # plain floats: a live stream takes one packet a second, where numpy's per-call cost
    # (and its rounding of numpy scalars) would be most of a packet's work
    beat_times, rr = (column.tolist() for column in beats(scenario))
    recent: list[float] = []
    start = 0
    n_packets = int(scenario.duration_s / PACKET_INTERVAL_S)
    for k in range(1, n_packets + 1):
        t = k * PACKET_INTERVAL_S
        stop = bisect.bisect_right(beat_times, t)
        in_packet = rr[start:stop]
        start = stop
        segment = _segment_at(scenario, t - 1e-9)
        if segment.dropout:
            yield t, None
            continue
        recent = (recent + list(in_packet))[-5:]
        # like a strap: the value is a short average over the last few beats
        bpm = round(60.0 / (sum(recent) / len(recent))) if recent else 0
        if not segment.contact:
            yield t, HeartRateMeasurement(bpm=0, contact=False)
            continue
        yield t, HeartRateMeasurement.from_rr_seconds(bpm, tuple(in_packet), contact=True)


def samples(scenario: Scenario, start_s: float = 0.0) -> list[Sample]:
    """The scenario as decoded strap samples, times offset by `start_s`."""
    return [
        to_sample(HeartRateMeasurement.from_bytes(bytes(m)), start_s + t)
        for t, m in packets(scenario)
        if m is not None
    ]


SIMULATED_STRAP_NAME = "Simulated strap"  # what a simulated strap calls itself


class SimulatedStrap:
    """A HeartSource that plays a scenario, `speed` times faster than real time.

    Sample times run on a simulated clock that starts at `start_s` (say, now), so messages
    show real-looking clock times; `speed=0` plays as fast as possible.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        start_s: float,
        speed: float = 1.0,
        strap_name: str = SIMULATED_STRAP_NAME,
    ) -> None:
        self.scenario = scenario
        self.start_s = start_s
        self.speed = speed
        self.strap_name = strap_name  # stored with the session: the demo names it in its language

    @property
    def description(self) -> str:
        return f"simulated strap ({self.scenario.name})"

    async def stream(self) -> AsyncIterator[SourceItem]:
        yield LinkChanged(self.start_s, LinkState.CONNECTED, strap_name=self.strap_name)
        linked = True
        for t, measurement in packets(self.scenario):
            if self.speed > 0:
                await asyncio.sleep(PACKET_INTERVAL_S / self.speed)
            else:
                await asyncio.sleep(0)
            now = self.start_s + t
            if measurement is None:
                if linked:
                    linked = False
                    yield LinkChanged(now, LinkState.DISCONNECTED, reason="simulated dropout")
                continue
            if not linked:
                linked = True
                yield LinkChanged(now, LinkState.CONNECTED, strap_name=self.strap_name)
            yield to_sample(HeartRateMeasurement.from_bytes(bytes(measurement)), now)
