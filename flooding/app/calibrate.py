"""Calibration: measure a person's calm resting heart rate and propose their own thresholds.

Pure except `record_calm`, which reads any `HeartSource` (the strap, a simulation) it is
given. The measurement is robust: after a settling period, the median of the calm readings
and their spread (a standard deviation estimated from the median absolute deviation and the
interquartile range, which one cough or bad reading cannot move), rejected when skin
contact was lost or too little data came in.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median

from flooding.app.sources import HeartSource
from flooding.core.catalogue import Catalogue, Figure, SaidError, percent
from flooding.core.detector import GAP_STEPS, MOVING_G, STRAP_STEP_S
from flooding.core.models import LinkChanged, Sample
from flooding.core.settings import DetectionSettings, personal_margin_bpm
from flooding.io.locale_files import load_catalogue

SETTLE_S = 60.0  # sitting down, talking to the screen and the first breaths lift the pulse
MIN_MEASURE_S = 60.0  # less than a minute of calm readings says too little about "calm"
MIN_COVERAGE = 0.8  # at least 80 % of the expected one-a-second readings must be there
MAX_NO_CONTACT_S = 5.0  # more lost skin contact than this makes the measurement doubtful
MAX_MOVING_S = 5.0  # moving for longer (the strap's motion sensor over the detector's
#                     `MOVING_G`) is no resting heart: standing up or walking lifts it for a
#                     minute or more, and a calm learned so would hide a flood of that size
DRIFT_WARN_BPM = 4.0  # first vs last third of the measurement: still settling?
MAD_TO_SD = 1.4826  # scales a median absolute deviation to a normal standard deviation
IQR_TO_SD = 1.349  # an interquartile range is this many normal standard deviations
LEAD_S = 60.0  # in a recording, the minute before a flooding onset is already rising

GOTTMAN_BPM = 100.0  # Gottman clinicians' pulse-oximeter cue for a break
FIT_BPM = 80.0  # about where Gottman puts the cue for very fit people
ABSOLUTE_ABOVE_CALM_BPM = 30.0  # absolute threshold: this far above a calm pulse, clamped
MARGIN_MIN_BPM = 10.0  # Gottman: about 10 bpm above the calm baseline
MARGIN_SPREADS = 3.0  # a margin of 3 calm spreads is rarely reached by calm swings alone


class CalibrationError(SaidError):
    """The readings cannot give a trustworthy baseline; the message says why and what to do
    (the text `key` of the message catalogue: in English as str(), any language by `said`)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(load_catalogue()(key, **values), key, **values)


@dataclass(frozen=True)
class Calibration:
    """A measured calm resting heart rate."""

    baseline_bpm: float  # median of the calm readings
    spread_bpm: float  # robust standard deviation (from MAD and IQR)
    iqr_bpm: float  # interquartile range
    readings: int
    start_s: float  # the measured stretch (after settling), session clock
    end_s: float
    drift_bpm: float  # median of the last third minus that of the first third

    @property
    def measured_s(self) -> float:
        """How long the measured stretch lasted."""
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Proposal:
    """One proposed setting, with the reason in one line."""

    key: str  # dotted key path, e.g. "detection.margin_bpm"
    value: float
    current: float | None
    reason_key: str  # the reason: a text of the message catalogue ...
    reason_values: Mapping[str, object] = field(default_factory=dict)  # ... and its values

    @property
    def reason(self) -> str:
        """The reason in English."""
        return self.said(load_catalogue())

    def said(self, say: Catalogue) -> str:
        """The reason in the language of `say`."""
        return say(self.reason_key, **self.reason_values)


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def measure(
    samples: Sequence[Sample],
    *,
    settle_s: float = SETTLE_S,
    last_s: float | None = None,
    min_measure_s: float = MIN_MEASURE_S,
    plausible_bpm: tuple[float, float] = (30.0, 230.0),
    step_s: float = STRAP_STEP_S,
) -> Calibration:
    """The calm baseline of a stretch of samples, or CalibrationError saying why not.

    The first `settle_s` seconds are skipped; with `last_s`, only the last that many seconds
    of the rest are measured. Lost skin contact or movement (an accelerometer's level) for
    more than a few seconds refuses it, and so do too few readings: at a strap's pace of one
    a second, 80 % of them; at a recording's slower pace (`step_s`, a watch's export: its
    `flooding.core.batch.usual_step_s`), readings that cover 80 % of the time without a
    gap (`GAP_STEPS` of its steps) between them.
    """
    if not samples:
        raise CalibrationError("calibrate.no_readings")
    ordered = sorted(samples, key=lambda s: s.t_s)
    start = ordered[0].t_s + settle_s
    end = ordered[-1].t_s
    if last_s is not None:
        start = max(start, end - last_s)
    window = [s for s in ordered if s.t_s >= start]
    span = end - start
    if span < min_measure_s:
        raise CalibrationError(
            "calibrate.too_short",
            seconds=f"{max(0.0, span):.0f}",
            settle=f"{settle_s:.0f}",
            needed=f"{min_measure_s:.0f}",
        )
    no_contact = [s for s in window if s.contact is False]
    lost_s = _covered_s(no_contact)
    if lost_s > MAX_NO_CONTACT_S:
        raise CalibrationError("calibrate.lost_contact", seconds=f"{lost_s:.0f}")
    moving = [s for s in window if s.activity_g is not None and s.activity_g >= MOVING_G]
    moved_s = _covered_s(moving)
    if moved_s > MAX_MOVING_S:
        raise CalibrationError("calibrate.moved", seconds=f"{moved_s:.0f}")
    low, high = plausible_bpm
    usable = [s for s in window if s.contact is not False and low <= s.bpm <= high]
    values = [s.bpm for s in usable]
    if step_s <= STRAP_STEP_S:
        enough = len(values) >= MIN_COVERAGE * (span + 1.0) and len(values) >= min_measure_s
    else:  # a recording's pace: the time its readings cover
        covered = _paced_s([s.t_s for s in usable], GAP_STEPS * step_s)
        enough = covered >= MIN_COVERAGE * span and covered >= min_measure_s
    if not enough:
        raise CalibrationError(
            "calibrate.too_few" if step_s <= STRAP_STEP_S else "calibrate.too_few_recorded",
            readings=len(values),
            seconds=f"{span:.0f}",
            share=percent(MIN_COVERAGE),
        )
    baseline = median(values)
    ranked = sorted(values)
    iqr = _quantile(ranked, 0.75) - _quantile(ranked, 0.25)
    # straps report whole bpm, so over half the readings can equal the median (MAD = 0):
    # take the larger of the two robust estimates of the standard deviation
    spread = max(MAD_TO_SD * median([abs(v - baseline) for v in values]), iqr / IQR_TO_SD)
    third = max(1, len(values) // 3)
    drift = median(values[-third:]) - median(values[:third])
    return Calibration(
        baseline_bpm=baseline,
        spread_bpm=spread,
        iqr_bpm=iqr,
        readings=len(values),
        start_s=window[0].t_s,
        end_s=end,
        drift_bpm=drift,
    )


def _covered_s(samples: Sequence[Sample]) -> float:
    """About how many seconds a set of one-a-second samples covers."""
    return float(len({math.floor(s.t_s) for s in samples}))


def _paced_s(times_s: Sequence[float], gap_s: float) -> float:
    """The seconds between consecutive readings (in time order) that are no gap, one longer
    than `gap_s`: the time a recording at a slower pace covers."""
    return sum(b - a for a, b in itertools.pairwise(times_s) if 0 < b - a <= gap_s)


def calm_stretch(samples: Sequence[Sample], onsets_s: Sequence[float]) -> list[Sample]:
    """The samples before the first flooding onset (less the minute of rising before it)."""
    if not onsets_s:
        return list(samples)
    cut = min(onsets_s) - LEAD_S
    return [s for s in samples if s.t_s < cut]


def propose(calibration: Calibration, current: DetectionSettings) -> list[Proposal]:
    """Personal `baseline_bpm`, `margin_bpm` and `absolute_bpm`, each with its reason."""
    base = round(calibration.baseline_bpm)
    spread = calibration.spread_bpm
    proposals = [
        Proposal(
            "detection.baseline_bpm",
            base,
            current.baseline_bpm,
            "calibrate.why_baseline",
            {
                "readings": calibration.readings,
                "minutes": Figure(calibration.measured_s / 60, 1),
                "spread": Figure(spread, 1),
            },
        )
    ]

    by_spread = math.ceil(MARGIN_SPREADS * spread)
    margin = min(60.0, max(MARGIN_MIN_BPM, by_spread))
    if by_spread > MARGIN_MIN_BPM:
        margin_reason = "calibrate.why_margin_spread"
    else:
        margin_reason = "calibrate.why_margin_gottman"
    margin_values = {
        "spread": Figure(spread, 1),
        "minimum": f"{MARGIN_MIN_BPM:.0f}",
        "spreads": f"{MARGIN_SPREADS * spread:.0f}",
    }
    proposals.append(
        Proposal("detection.margin_bpm", margin, current.margin_bpm, margin_reason, margin_values)
    )

    wanted = base + ABSOLUTE_ABOVE_CALM_BPM
    absolute = min(GOTTMAN_BPM, max(FIT_BPM, wanted))
    if wanted >= GOTTMAN_BPM:
        reason = "calibrate.why_absolute_gottman"
    elif wanted <= FIT_BPM:
        reason = "calibrate.why_absolute_fit"
    else:
        reason = "calibrate.why_absolute_between"
    relative = base + personal_margin_bpm(base, margin, current.margin_pct)
    if absolute < relative:
        absolute = min(220.0, float(math.ceil(relative)))
        reason = "calibrate.why_absolute_relative"
    values = {
        "gottman": f"{GOTTMAN_BPM:.0f}",
        "fit": f"{FIT_BPM:.0f}",
        "calm": f"{base:.0f}",
        "above": f"{ABSOLUTE_ABOVE_CALM_BPM:.0f}",
        "relative": f"{relative:.0f}",
    }
    proposals.append(
        Proposal("detection.absolute_bpm", absolute, current.absolute_bpm, reason, values)
    )
    return proposals


ProgressFn = Callable[[Sample, float], None]
LinkFn = Callable[[LinkChanged], None]


async def record_calm(
    source: HeartSource,
    duration_s: float,
    on_sample: ProgressFn | None = None,
    on_link: LinkFn | None = None,
) -> list[Sample]:
    """Collect `duration_s` seconds of samples (session clock) from any heart source."""
    collected: list[Sample] = []
    first: float | None = None
    stream = source.stream()
    try:
        async for item in stream:
            if isinstance(item, Sample):
                first = item.t_s if first is None else first
                collected.append(item)
                if on_sample is not None:
                    on_sample(item, item.t_s - first)
                if item.t_s - first >= duration_s:
                    break
            elif isinstance(item, LinkChanged) and on_link is not None:
                on_link(item)
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
    return collected
