"""Detection quality: the live monitor's own code path (`run_batch` -> `Engine`) scored on
labeled synthetic scenarios and on real recordings. `scripts/evaluate` prints the table.

a) Synthetic (`flooding.lab.scenarios`): every onset should get an alert within the confirmation
   window + 2 s; no alert may start in a calm span. Exercise scenarios are reported apart, in
   talk and in workout mode.
b) Stress-Predict, participants 2-20: reference flooding episodes come from the heart itself,
   not from the task labels (a task does not always raise the heart, and a label is not a
   physiological state). Offline and non-causal: the calm level is the median heart rate of the
   participant's first Label==0 stretch (the labeled baseline period); the reference threshold
   is min(100, calm + max(10 bpm, 10 %)), the default `either` rule; a reference episode is a
   stretch where the centred 10-s median of the heart rate stays at or above it for at least
   `REFERENCE_MIN_S`; reference-calm time is where that smoothed rate is below the threshold
   minus 5 bpm, outside episodes. Scored: recall (an alert from 60 s before a reference onset
   to its end; an episode that starts inside a pause counts apart, as no second alert is given
   during a pause), latency from the reference onset, false alerts (outside every reference
   episode, in reference-calm time) per hour of reference-calm time; task-level figures
   (alerts inside task vs rest stretches) for reference.
c) Daily life: false alerts per hour over the Fitbit month (talk mode; daily life includes
   exercise, so alerts whose next 10 minutes look like a workout are counted apart) and the
   22-h Holter day.
d) Movement (`movement-hexoskin`, 13 people walking, on stairs, jogging and standing; nobody
   was in a hard talk): every alert is a false one. Replayed with the accelerometer's activity
   level and without it (a strap with heart rate only).

Everything runs twice: "before" is the detector's classic rules (`run_batch(classic=True)`:
the rules at the time issue 15 was filed, with the same default settings, at a strap's pace),
"after" today's (each recording at its own pace: the Fitbit month's 5 s).
The summary table puts the two side by side. Precision on Stress-Predict: alerts the heart
bears out - inside a stretch (from 60 s before it) where the smoothed rate stayed above the
reference threshold for at least the confirmation window - over all alerts (and, stricter,
alerts that belong to a reference episode of >= 60 s). Task-label precision, the view of a
judge who scores by condition labels: alerts inside a labelled stress task (Label 1) over all
alerts, and, lenient, inside one or up to `TASK_TAIL_S` after it ends. Recall:
reference episodes alerted, or begun inside a pause an earlier alert started (the person is
already on a break; no second alert is given), over all reference episodes. The reference
threshold is the personal rule (calm + max(10 bpm, 10 %)), the rule the detector follows once
a person's calm is known; for calm under 91 bpm it equals min(100, that), the old reference.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from flooding.core.engine import run_batch
from flooding.core.models import (
    Alert,
    EpisodeStarted,
    Mode,
    PauseEnded,
    PauseStarted,
    ReadyToReturn,
    Sample,
)
from flooding.core.settings import Settings
from flooding.io.config_files.loading import default_settings
from flooding.lab.movement import hexoskin_folders, read_hexoskin
from flooding.lab.scenarios import WARMUP_S, labeled_scenarios, runs
from flooding.lab.simulate import samples as scenario_samples

SLACK_S = 2.0  # the target: an alert within the confirmation window plus this
DETECT_AFTER_S = 300.0  # an alert this long after an onset still counts as detected (late)
REFERENCE_SMOOTH_S = 10  # samples (1 Hz) in the centred median of the reference heart rate
REFERENCE_MIN_S = 60.0  # a reference episode: the smoothed rate above threshold this long
REFERENCE_CALM_MARGIN_BPM = 5.0  # reference-calm: smoothed rate below threshold minus this
EARLY_S = 60.0  # an alert up to this long before a reference onset belongs to it (the
#                 detector confirms after 20 s above threshold; the reference after 60 s)
WORKOUT_LOOKAHEAD_S = 600.0  # "looks like a workout": the 10 minutes after an alert ...
WORKOUT_BPM = 110.0  # ... spend at least half their time at or above this rate
SECONDS_PER_HOUR = 3600.0
FIRST_MINUTES_S = 300.0  # "alerts in the first five minutes" of a recording
TASK_TAIL_S = 60.0  # task-label precision, lenient: an alert up to this long after a labelled
#                     task ends still belongs to it (the heart takes a minute to come down)


def _alerts(
    samples: Sequence[Sample], settings: Settings, mode: Mode = Mode.TALK, *, classic: bool = False
) -> list[Alert]:
    return _run(samples, settings, mode, classic=classic)[0]


def _early(alerts: Sequence[Alert], samples: Sequence[Sample]) -> int:
    """How many alerts came in the first five minutes of the recording."""
    return sum(1 for a in alerts if a.t_s - samples[0].t_s < FIRST_MINUTES_S) if samples else 0


def _run(
    samples: Sequence[Sample], settings: Settings, mode: Mode = Mode.TALK, *, classic: bool = False
) -> tuple[list[Alert], list[EpisodeStarted], list[tuple[float, float]]]:
    """Alerts, the detector's episodes (alerted or not: during a pause no alert is given), and
    the pauses (start, end) of a replay."""
    events = run_batch(samples, settings, mode=mode, classic=classic).events
    alerts = [e for e in events if isinstance(e, Alert)]
    episodes = [e for e in events if isinstance(e, EpisodeStarted)]
    pauses: list[tuple[float, float]] = []
    for e in events:
        if isinstance(e, PauseStarted):
            pauses.append((e.t_s, float("inf")))
        elif isinstance(e, ReadyToReturn | PauseEnded) and pauses:
            pauses[-1] = (pauses[-1][0], e.t_s)
    return alerts, episodes, pauses


@dataclass
class SyntheticScore:
    """Figures over one group of labeled scenarios."""

    scenarios: int = 0
    onsets: int = 0
    detected: int = 0
    in_time: int = 0  # within confirm + SLACK_S
    latencies_s: list[float] = field(default_factory=list)
    false_alerts: int = 0
    alerts: int = 0  # all alerts (for exercise)
    worst: list[str] = field(default_factory=list)


def score_synthetic(
    settings: Settings, seeds: int = 3, *, small: bool = False, classic: bool = False
) -> dict[str, SyntheticScore]:
    """Scores by group: 'rises', 'calm' (calm, spikes, artifacts, contact), 'exercise talk',
    'exercise workout'."""
    groups: dict[str, SyntheticScore] = {}
    confirm = settings.detection.confirm_s
    for scenario, expect in labeled_scenarios(settings.detection, seeds, small=small):
        samples = scenario_samples(scenario)
        modes = (Mode.TALK, Mode.WORKOUT) if expect.kind == "exercise" else (Mode.TALK,)
        for mode in modes:
            if expect.kind == "exercise":
                name = f"exercise ({mode.value} mode)"
            elif expect.onsets_s:
                name = "rises"
            else:
                name = "calm, spikes, artifacts, no contact"
            score = groups.setdefault(name, SyntheticScore())
            score.scenarios += 1
            alerts = _alerts(samples, settings, mode, classic=classic)
            score.alerts += len(alerts)
            for a in alerts:
                if any(lo <= a.t_s < hi for lo, hi in expect.calm_spans_s):
                    score.false_alerts += 1
            if expect.kind == "exercise":
                continue
            for onset in expect.onsets_s:
                score.onsets += 1
                hits = [
                    a.t_s - onset for a in alerts if WARMUP_S <= a.t_s <= onset + DETECT_AFTER_S
                ]
                if not hits:
                    score.worst.append(f"missed: {scenario.name}")
                    continue
                score.detected += 1
                score.latencies_s.append(hits[0])
                if hits[0] <= confirm + SLACK_S:
                    score.in_time += 1
                else:
                    score.worst.append(f"late {hits[0]:.1f} s: {scenario.name}")
    return groups


@dataclass
class RealScore:
    """Figures over real recordings with reference episodes."""

    participants: int = 0
    episodes: int = 0
    detected: int = 0
    latencies_s: list[float] = field(default_factory=list)
    false_alerts: int = 0
    calm_h: float = 0.0
    alerts: int = 0
    alerts_in_task: int = 0
    alerts_in_rest: int = 0
    alerts_near_task: int = 0  # inside a labelled task or up to TASK_TAIL_S after its end
    tasks: int = 0  # labelled stress tasks
    tasks_alerted: int = 0  # ... with an alert inside, or a pause running through part of it
    tasks_own_alert: int = 0  # ... with an alert inside or up to TASK_TAIL_S after it
    task_h: float = 0.0
    rest_h: float = 0.0
    hours: float = 0.0
    workout_like: int = 0
    in_pause: int = 0  # reference episodes inside a pause the detector did not see again
    matched: int = 0  # alerts that belong to a reference episode
    borne_out: int = 0  # alerts inside an excursion above the reference threshold >= confirm_s
    early: int = 0  # alerts in the first five minutes of a recording
    recordings: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Alerts the heart bears out (above the reference threshold for the confirmation
        window), over all alerts."""
        return self.borne_out / self.alerts if self.alerts else float("nan")

    @property
    def strict_precision(self) -> float:
        """Alerts that belong to a reference episode (>= REFERENCE_MIN_S), over all alerts."""
        return self.matched / self.alerts if self.alerts else float("nan")

    @property
    def task_precision(self) -> float:
        """Alerts inside a labelled stress task, over all alerts (the task labels' view)."""
        return self.alerts_in_task / self.alerts if self.alerts else float("nan")

    @property
    def near_task_precision(self) -> float:
        """Alerts inside a labelled task or up to TASK_TAIL_S after it, over all alerts."""
        return self.alerts_near_task / self.alerts if self.alerts else float("nan")

    @property
    def recall(self) -> float:
        """Reference episodes alerted (or begun inside a pause), over all of them."""
        return (self.detected + self.in_pause) / self.episodes if self.episodes else float("nan")


def _centred_median(values: np.ndarray, width: int) -> np.ndarray:
    from scipy.ndimage import median_filter

    return np.asarray(median_filter(values, size=width, mode="nearest"), dtype=np.float64)


def reference_threshold(calm_bpm: float, settings: Settings) -> float:
    """The reference's flooding threshold over a calm level: the personal rule's."""
    return calm_bpm + settings.detection.personal_margin_bpm(calm_bpm)


def reference_episodes(
    t_s: np.ndarray,
    bpm: np.ndarray,
    calm_bpm: float,
    settings: Settings,
    min_s: float = REFERENCE_MIN_S,
) -> tuple[list[tuple[float, float]], np.ndarray]:
    """Reference flooding episodes (start, end) at least `min_s` long and the reference-calm
    mask (module docstring)."""
    threshold = reference_threshold(calm_bpm, settings)
    smooth = _centred_median(bpm, REFERENCE_SMOOTH_S)
    above = smooth >= threshold
    episodes = [
        (float(t_s[a]), float(t_s[b - 1])) for a, b in runs(above) if t_s[b - 1] - t_s[a] >= min_s
    ]
    calm = smooth < threshold - REFERENCE_CALM_MARGIN_BPM
    for start, end in episodes:
        calm &= ~((t_s >= start) & (t_s <= end))
    return episodes, calm


def _time_h(t_s: np.ndarray, mask: np.ndarray) -> float:
    """Hours covered by the samples in `mask` (each sample stands for the time to the next,
    at most 10 s)."""
    step = np.minimum(np.diff(t_s, append=t_s[-1]), 10.0)
    return float(step[mask].sum()) / SECONDS_PER_HOUR


def _unborne(
    alert: Alert,
    t_s: np.ndarray,
    smooth: np.ndarray,
    label: np.ndarray,
    calm_bpm: float,
    threshold_bpm: float,
) -> str:
    """What an alert the reference does not bear out was: where, the detector's calm
    against the reference's, and how high the smoothed heart went in the `EARLY_S` after it
    (an excursion beginning then would have borne it out)."""
    k = min(int(np.searchsorted(t_s, alert.t_s)), t_s.size - 1)
    after = smooth[k : int(np.searchsorted(t_s, alert.t_s + EARLY_S)) + 1]
    where = "in a task" if label[k] == 1 else "in rest"
    calm = "none yet" if alert.baseline_bpm is None else f"{alert.baseline_bpm:.1f}"
    longest = max((b - a for a, b in runs(after >= threshold_bpm)), default=0)
    reached = f"at or over it {longest} readings in a row at the most" if longest else "under it"
    return (
        f"alert at {alert.t_s - t_s[0]:.0f} s not borne out ({where}, {alert.bpm:.0f} bpm): "
        f"the detector's calm {calm}, the reference's {calm_bpm:.1f} bpm (threshold "
        f"{threshold_bpm:.1f}); in the next minute the smoothed heart reached "
        f"{after.max():.1f}, {reached}"
    )


def score_stress_predict(path: Path, settings: Settings, *, classic: bool = False) -> RealScore:
    """Stress-Predict participants 2-20 against reference episodes from their own hearts."""
    from flooding.io.readers import read_stress_predict_all

    score = RealScore()
    for participant, rec in read_stress_predict_all(path).items():
        t = np.array([s.t_s for s in rec.samples])
        bpm = np.array([s.bpm for s in rec.samples])
        label = np.asarray(rec.columns["label"])
        rest = label == 0
        first_rest = runs(rest)[0]
        calm_bpm = float(np.median(bpm[first_rest[0] : first_rest[1]]))
        episodes, calm = reference_episodes(t, bpm, calm_bpm, settings)
        alerts, found, pauses = _run(rec.samples, settings, classic=classic)
        score.early += _early(alerts, rec.samples)
        score.participants += 1
        score.hours += _time_h(t, np.ones_like(rest))
        score.calm_h += _time_h(t, calm)
        score.task_h += _time_h(t, ~rest)
        score.rest_h += _time_h(t, rest)
        score.alerts += len(alerts)
        used: set[int] = set()
        for start, end in episodes:
            score.episodes += 1
            # detected: an alert, or the detector's own episode while a pause already runs
            # (the person has been told; no second alert is given during a pause)
            hits = [a.t_s for a in alerts if start - EARLY_S <= a.t_s <= end]
            hits += [
                e.t_s
                for e in found
                if start - EARLY_S <= e.t_s <= end and any(lo <= e.t_s <= hi for lo, hi in pauses)
            ]
            if any(lo <= start <= hi for lo, hi in pauses) and not hits:
                score.in_pause += 1
                continue
            if hits:
                score.detected += 1
                score.latencies_s.append(min(hits) - start)
                used.update(i for i, a in enumerate(alerts) if start - EARLY_S <= a.t_s <= end)
            else:
                score.notes.append(f"p{participant:02d}: missed {end - start:.0f} s episode")
        score.matched += len(used)
        # an alert the heart bears out: inside a reference excursion (same reference) that
        # lasted at least the confirmation window, the detector's own definition of flooding
        short, _ = reference_episodes(t, bpm, calm_bpm, settings, settings.detection.confirm_s)
        borne = [any(lo - EARLY_S <= a.t_s <= hi for lo, hi in short) for a in alerts]
        score.borne_out += sum(borne)
        unborne = [a for a, ok in zip(alerts, borne, strict=True) if not ok]
        if unborne:
            smooth = _centred_median(bpm, REFERENCE_SMOOTH_S)
            threshold = reference_threshold(calm_bpm, settings)
            for a in unborne:
                what = _unborne(a, t, smooth, label, calm_bpm, threshold)
                score.notes.append(f"p{participant:02d}: {what}")
        tasks = [(float(t[a]), float(t[b - 1])) for a, b in runs(~rest)]
        for i, a in enumerate(alerts):
            k = min(int(np.searchsorted(t, a.t_s)), t.size - 1)
            if label[k] == 1:
                score.alerts_in_task += 1
            else:
                score.alerts_in_rest += 1
            if any(lo <= a.t_s <= hi + TASK_TAIL_S for lo, hi in tasks):
                score.alerts_near_task += 1
            if i not in used and calm[k]:
                score.false_alerts += 1
                score.notes.append(f"p{participant:02d}: false alert at {a.t_s - t[0]:.0f} s")
        score.tasks += len(tasks)
        score.tasks_own_alert += sum(
            1 for lo, hi in tasks if any(lo <= a.t_s <= hi + TASK_TAIL_S for a in alerts)
        )
        score.tasks_alerted += sum(
            1
            for lo, hi in tasks
            if any(lo <= a.t_s <= hi for a in alerts) or any(p < hi and lo < q for p, q in pauses)
        )
    return score


def score_day(samples: Sequence[Sample], settings: Settings, *, classic: bool = False) -> RealScore:
    """Alerts per hour over a long recording of daily life (talk mode), and how many of them
    the next 10 minutes show to be a workout (a rule could at most remove these)."""
    score = RealScore()
    t = np.array([s.t_s for s in samples])
    bpm = np.array([s.bpm for s in samples])
    score.hours = _time_h(t, np.ones(t.size, dtype=bool))
    alerts = _alerts(samples, settings, classic=classic)
    score.alerts = len(alerts)
    score.early = _early(alerts, samples)
    for a in alerts:
        window = (t >= a.t_s) & (t < a.t_s + WORKOUT_LOOKAHEAD_S)
        if window.any() and np.mean(bpm[window] >= WORKOUT_BPM) >= 0.5:
            score.workout_like += 1
    return score


def _pct(values: Sequence[float], q: float) -> str:
    return "-" if not values else f"{np.percentile(values, q):.1f}"


def find_data() -> Path | None:
    """The shared recordings: FLOODING_SHARED_DATA, else `shared/data` beside the checkout."""
    env = os.environ.get("FLOODING_SHARED_DATA")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


def score_movement(data: Path, settings: Settings, *, classic: bool, activity: bool) -> RealScore:
    """Alerts over the movement recordings (all false: nobody was in a hard talk)."""
    score = RealScore()
    for folder in hexoskin_folders(data):
        samples = read_hexoskin(folder, with_activity=activity)
        alerts = _alerts(samples, settings, classic=classic)
        score.recordings += 1
        worn = sum(1 for sample in samples if sample.contact is not False)
        score.hours += worn / SECONDS_PER_HOUR  # one sample a second, while worn
        score.alerts += len(alerts)
        score.early += _early(alerts, samples)
        score.notes.extend(
            f"{folder.name}: alert at {a.t_s:.0f} s, {a.bpm:.0f} bpm" for a in alerts
        )
    return score


@dataclass
class Figures:
    """One configuration's figures (before or after)."""

    synthetic: dict[str, SyntheticScore]
    stress: RealScore | None = None
    days: dict[str, RealScore] = field(default_factory=dict)
    movement: RealScore | None = None  # with the accelerometer
    movement_hr: RealScore | None = None  # heart rate only


DAY_RECORDINGS = (
    ("fitbit_30-day_free-living_hr.csv", Mode.TALK),
    ("nsr2db_nsr001_rr-seconds_22h.txt", Mode.TALK),
    ("polar-h10_pvc_hr-rr.csv", Mode.TALK),
    ("polar-hrm_noisy.hrm", Mode.TALK),
    ("polar-hrm_exercise.hrm", Mode.TALK),
    ("polar-hrm_exercise.hrm", Mode.WORKOUT),
    ("rr-ms_rest.txt", Mode.TALK),
)


def measure(settings: Settings, data: Path | None, seeds: int, *, classic: bool) -> Figures:
    """Every figure for one configuration."""
    figures = Figures(score_synthetic(settings, seeds, classic=classic))
    if data is None:
        return figures
    figures.stress = score_stress_predict(
        data / "stress-predict" / "labeled_hr_p02-p20.csv", settings, classic=classic
    )
    from flooding.io.readers import read

    for name, mode in DAY_RECORDINGS:
        rec = read(data / "recordings" / name)
        if mode is Mode.TALK:
            day = score_day(rec.samples, settings, classic=classic)
        else:
            day = RealScore(hours=rec.duration_s / SECONDS_PER_HOUR)
            day.alerts = len(_alerts(rec.samples, settings, mode, classic=classic))
        figures.days[name if mode is Mode.TALK else f"{name} (workout mode)"] = day
    if hexoskin_folders(data):
        figures.movement = score_movement(data, settings, classic=classic, activity=True)
        figures.movement_hr = score_movement(data, settings, classic=classic, activity=False)
    return figures


def _rate(count: int, hours: float) -> str:
    return f"{count / hours:.2f}" if hours > 0 else "-"


def _summary_rows(f: Figures) -> list[tuple[str, str]]:
    """(figure, value) rows of the summary table."""
    rows: list[tuple[str, str]] = []
    rises = f.synthetic.get("rises", SyntheticScore())
    calm = f.synthetic.get("calm, spikes, artifacts, no contact", SyntheticScore())
    workout = f.synthetic.get("exercise (workout mode)", SyntheticScore())
    rows.append(("synthetic onsets alerted in time", f"{rises.in_time}/{rises.onsets}"))
    rows.append(("synthetic onsets alerted at all", f"{rises.detected}/{rises.onsets}"))
    rows.append(
        (
            "synthetic median / p90 latency s",
            f"{_pct(rises.latencies_s, 50)} / {_pct(rises.latencies_s, 90)}",
        )
    )
    rows.append(("synthetic false alerts (calm, spikes, ...)", str(calm.false_alerts)))
    rows.append(("synthetic exercise, workout mode: alerts", str(workout.alerts)))
    s = f.stress
    if s is not None:
        rows.append(("Stress-Predict precision", f"{s.precision:.2f} ({s.borne_out}/{s.alerts})"))
        rows.append(
            (
                "Stress-Predict task-label precision: alert inside a labelled task",
                f"{s.task_precision:.2f} ({s.alerts_in_task}/{s.alerts})",
            )
        )
        rows.append(
            (
                f"Stress-Predict task-label precision: ... or <= {TASK_TAIL_S:.0f} s after it",
                f"{s.near_task_precision:.2f} ({s.alerts_near_task}/{s.alerts})",
            )
        )
        rows.append(
            (
                "Stress-Predict labelled tasks alerted (or in a pause)",
                f"{s.tasks_alerted}/{s.tasks}",
            )
        )
        rows.append(
            (
                f"Stress-Predict labelled tasks alerted in them or <= {TASK_TAIL_S:.0f} s after",
                f"{s.tasks_own_alert}/{s.tasks}",
            )
        )
        rows.append(
            (
                "Stress-Predict precision vs >= 60-s episodes",
                f"{s.strict_precision:.2f} ({s.matched}/{s.alerts})",
            )
        )
        rows.append(
            ("Stress-Predict recall", f"{s.recall:.2f} ({s.detected}+{s.in_pause}/{s.episodes})")
        )
        rows.append(
            (
                "Stress-Predict median / p90 latency s",
                f"{_pct(s.latencies_s, 50)} / {_pct(s.latencies_s, 90)}",
            )
        )
        rows.append(
            (
                "Stress-Predict false alerts / h of ref-calm",
                f"{_rate(s.false_alerts, s.calm_h)} ({s.false_alerts})",
            )
        )
        rows.append(
            (
                "Stress-Predict alerts / h of labeled rest",
                f"{_rate(s.alerts_in_rest, s.rest_h)} ({s.alerts_in_rest})",
            )
        )
        rows.append(
            (
                "Stress-Predict alerts / h of labeled task",
                f"{_rate(s.alerts_in_task, s.task_h)} ({s.alerts_in_task})",
            )
        )
        rows.append(("Stress-Predict alerts in the first 5 min", str(s.early)))
    for name, label in (
        ("fitbit_30-day_free-living_hr.csv", "Fitbit month"),
        ("nsr2db_nsr001_rr-seconds_22h.txt", "Holter day"),
    ):
        day = f.days.get(name)
        if day is not None:
            rows.append(
                (
                    f"{label}: alerts / h (workout-like)",
                    f"{_rate(day.alerts, day.hours)} ({day.alerts}, {day.workout_like})",
                )
            )
    exercise = f.days.get("polar-hrm_exercise.hrm (workout mode)")
    if exercise is not None:
        rows.append(("exercise recording, workout mode: alerts", str(exercise.alerts)))
    others = [d for n, d in f.days.items() if "workout" not in n]
    if others:
        rows.append(
            ("single recordings: alerts in the first 5 min", str(sum(d.early for d in others)))
        )
    for score, label in ((f.movement, "accelerometer"), (f.movement_hr, "heart rate only")):
        if score is not None:
            rows.append(
                (
                    f"movement ({label}): alerts / h",
                    f"{_rate(score.alerts, score.hours)} ({score.alerts} in "
                    f"{score.hours:.1f} h, {score.early} in the first 5 min)",
                )
            )
    return rows


def report(settings: Settings, data: Path | None, seeds: int, out: list[str]) -> None:
    """Append the evaluation: the before/after summary, then today's details."""
    before = measure(settings, data, seeds, classic=True)
    after = measure(settings, data, seeds, classic=False)
    confirm = settings.detection.confirm_s
    out.append(
        f"Summary: before (classic rules) and after; in time = alert <= {confirm + SLACK_S:.0f} s"
    )
    out.append("")
    out.append("| figure | before | after |")
    out.append("|---|---|---|")
    for (name, old), (_, new) in zip(_summary_rows(before), _summary_rows(after), strict=True):
        out.append(f"| {name} | {old} | {new} |")
    out.append("")
    _details(after, seeds, confirm, data, out)


def _details(f: Figures, seeds: int, confirm: float, data: Path | None, out: list[str]) -> None:
    out.append(
        f"a) Synthetic scenarios ({seeds} seeds), target: alert <= {confirm + SLACK_S:.0f} s"
    )
    out.append("")
    out.append(
        "| group | scenarios | onsets | detected | in time | median latency s | p90 latency s "
        "| false alerts |"
    )
    out.append("|---|---|---|---|---|---|---|---|")
    for name, g in f.synthetic.items():
        if name.startswith("exercise"):
            out.append(f"| {name} | {g.scenarios} | - | - | - | - | - | {g.alerts} alerts |")
        else:
            out.append(
                f"| {name} | {g.scenarios} | {g.onsets} | {g.detected} | {g.in_time} "
                f"| {_pct(g.latencies_s, 50)} | {_pct(g.latencies_s, 90)} | {g.false_alerts} |"
            )
    for g in f.synthetic.values():
        out.extend(f"  {line}" for line in g.worst[:10])
    if data is None or f.stress is None:
        out.append("")
        out.append("(real recordings not found: set FLOODING_SHARED_DATA)")
        return
    s = f.stress
    out.append("")
    out.append(f"b) Stress-Predict p02-p20 ({s.participants} people, {s.hours:.1f} h)")
    out.append("")
    out.append(
        "| reference episodes | detected | in a pause, not seen again | median latency s "
        "| p90 latency s | alerts | false alerts | per h of ref-calm | alerts in task / h "
        "| alerts in rest / h |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    out.append(
        f"| {s.episodes} | {s.detected} | {s.in_pause} | {_pct(s.latencies_s, 50)} "
        f"| {_pct(s.latencies_s, 90)} "
        f"| {s.alerts} | {s.false_alerts} | {s.false_alerts / max(s.calm_h, 1e-9):.2f} "
        f"({s.calm_h:.1f} h) | {s.alerts_in_task / max(s.task_h, 1e-9):.2f} "
        f"| {s.alerts_in_rest / max(s.rest_h, 1e-9):.2f} |"
    )
    out.extend(f"  {line}" for line in s.notes)
    out.append("")
    out.append("c) Daily life and single recordings (talk mode unless named)")
    out.append("")
    out.append("| recording | hours | alerts | per hour | next 10 min look like a workout |")
    out.append("|---|---|---|---|---|")
    for label, d in f.days.items():
        out.append(
            f"| {label} | {d.hours:.1f} | {d.alerts} | {d.alerts / max(d.hours, 1e-9):.2f} "
            f"| {d.workout_like} |"
        )
    for score, label in ((f.movement, "accelerometer"), (f.movement_hr, "heart rate only")):
        if score is None:
            continue
        out.append("")
        out.append(f"d) Movement, {label} ({score.recordings} people, {score.hours:.1f} h)")
        out.extend(f"  {line}" for line in score.notes)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the evaluation table."""
    parser = argparse.ArgumentParser(prog="scripts/evaluate", description=__doc__)
    parser.add_argument("--seeds", type=int, default=3, help="synthetic seeds (default 3)")
    parser.add_argument("--data", type=Path, help="the shared data folder")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    out: list[str] = []
    report(default_settings(), args.data or find_data(), args.seeds, out)
    out.append("")
    out.append(f"({time.perf_counter() - started:.0f} s)")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
