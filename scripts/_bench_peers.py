"""The peers' side of `scripts/bench`: systole and neurokit2 on the same beats, one case a run.

    .bench-venv/bin/python scripts/_bench_peers.py --case NAME --inputs DIR [--quick]

Runs in the peers' own environment (no flooding installed there); reads the beats the
project's reader produced (`day_rr_s.npy`, `day_t_s.npy` in DIR) and prints one JSON line:
median seconds, the runs, peak RSS, the peers' versions.
"""

from __future__ import annotations

import argparse
import json
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from _bench import _status_kb, memory_report, reset_peak, timed  # stdlib only, like this env

PEAKS_HZ = 1000  # neurokit2 takes peak sample indices: beat times at 1 kHz
Case = Callable[[np.ndarray, np.ndarray, Path, float], tuple[Callable[[], Any], int]]


def systole_first_call(
    rr: np.ndarray, t: np.ndarray, inputs: Path, window_s: float
) -> tuple[Callable[[], Any], int]:
    """systole's first correct_rr call in a fresh process: mostly numba compiling."""
    from systole.correction import correct_rr

    short = rr[:200] * 1000.0
    return (lambda: correct_rr(short, verbose=False)), 1


def systole_correct(
    rr: np.ndarray, t: np.ndarray, inputs: Path, window_s: float
) -> tuple[Callable[[], Any], int]:
    """systole.correction.correct_rr (Lipponen & Tarvainen 2019) on the day, in ms."""
    from systole.correction import correct_rr

    rr_ms = rr * 1000.0
    correct_rr(rr_ms[:200], verbose=False)  # compile outside the timing (reported apart)
    return (lambda: correct_rr(rr_ms, verbose=False)), rr.size


def systole_rmssd(
    rr: np.ndarray, t: np.ndarray, inputs: Path, window_s: float
) -> tuple[Callable[[], Any], int]:
    """What the project's review shows, done with systole: the day's beats corrected
    (systole.correction.correct_rr), then systole.hrv.rmssd overall and per `window_s` window
    (passed in: this env has no flooding)."""
    from systole.correction import correct_rr
    from systole.hrv import rmssd

    rr_ms = rr * 1000.0
    correct_rr(rr_ms[:200], verbose=False)  # compile outside the timing (reported apart)
    window = np.floor((t - t[0]) / window_s).astype(np.int64)
    edges = np.flatnonzero(np.diff(window)) + 1
    complete = np.split(np.arange(rr.size), edges)[:-1]

    def task() -> tuple[float, list[float]]:
        fixed = np.asarray(correct_rr(rr_ms, verbose=False)[0], dtype=np.float64)
        overall = float(rmssd(fixed))
        per_window = [float(rmssd(fixed[idx])) for idx in complete if idx.size > 1]
        return overall, per_window

    return task, rr.size


def nk_fixpeaks(
    rr: np.ndarray, t: np.ndarray, inputs: Path, window_s: float
) -> tuple[Callable[[], Any], int]:
    """neurokit2.signal_fixpeaks(method="Kubios") on the same beats as 1-kHz peak indices."""
    import neurokit2 as nk

    first = t[0] - rr[0]
    peaks = np.rint(np.concatenate(([first], t)) * PEAKS_HZ).astype(np.int64)
    peaks -= peaks[0]

    def task() -> Any:
        return nk.signal_fixpeaks(peaks, sampling_rate=PEAKS_HZ, method="Kubios", show=False)

    return task, rr.size


CASES: dict[str, Case] = {
    "systole_first_call": systole_first_call,
    "systole_correct": systole_correct,
    "systole_rmssd": systole_rmssd,
    "nk_fixpeaks": nk_fixpeaks,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), required=True)
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--window-s", type=float, required=True, help="the RMSSD window")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # systole divides by zero on flat stretches; not ours
    rr = np.load(args.inputs / "day_rr_s.npy")
    t = np.load(args.inputs / "day_t_s.npy")
    task, n = CASES[args.case](rr, t, args.inputs, args.window_s)
    repeats = 1 if args.quick or args.case == "systole_first_call" else 3
    rss_before = _status_kb("VmRSS")
    reset = reset_peak()
    median_s, runs, _ = timed(task, repeats)
    print(
        json.dumps(
            {
                "case": args.case,
                "seconds": median_s,
                "runs_s": runs,
                "n": n,
                **memory_report(rss_before, reset),
                "versions": {
                    name: version(name) for name in ("systole", "neurokit2", "numba", "numpy")
                },
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
