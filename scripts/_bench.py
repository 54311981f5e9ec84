"""The benchmark behind `scripts/bench`: each case in its own process, peers in their own env.

    python scripts/_bench.py [--json] [--quick] [--peers-python PATH]
    python scripts/_bench.py --only tune_year [--only what_if_year] [--quick]   # some cases, JSON
    python scripts/_bench.py --table-from bench.json [--update docs/performance.md]  # the table
                             [--update README.md]  # ... and the headline figures
    python scripts/_bench.py --case NAME --inputs DIR [--quick]    # one case, JSON on stdout

Every case runs in a fresh subprocess so that its peak resident memory (VmHWM, reset just
before the timed work where the kernel allows) is its own. A timing is the median of several
repeats of the whole task; a case timed on a new process's first call, the median of
several such processes (`FIRST_CALL_CASES`). Peer libraries (systole, neurokit2) run through
`scripts/_bench_peers.py` with the interpreter given by --peers-python, on the very same
input arrays, written once to a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAY_FILE = "nsr2db_nsr001_rr-seconds_22h.txt"
MONTH_FILE = "fitbit_30-day_free-living_hr.csv"
H10_FILE = "polar-h10_pvc_hr-rr.csv"
CODEC_PACKETS = 200_000
SERVICE_RUN_S = 60.0  # the measured 1-Hz run (--quick: 10 s)
SERVICE_WARMUP_S = 3.0  # start-up (imports, beat synthesis) is not steady state
IDLE_RUN_S = 30.0  # then the same process idle at 1 Hz: what a wake-up a second costs here
TARGET_DAY_MS = 100.0  # a day of beats through the batch path
TARGET_FLOOR_RATIO = 5.0  # ... within this factor of the numpy floor
TARGET_RATIO = 10.0
TARGET_SERVICE_PCT = 0.3  # the service's share of a core at 1 Hz, the app served


# shared/data: found by the parent (`flooding.lab.evaluate.find_data`) and handed to each case as
# --data, so a case process imports nothing it does not measure
DATA: Path | None = None


def recording(name: str) -> Path:
    """A file of shared/data/recordings."""
    assert DATA is not None
    return DATA / "recordings" / name


# --- memory ---------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def memory_report(rss_before_kb: int, reset: bool) -> dict[str, float]:
    """Peak RSS of the process, and how far above its pre-work RSS the work took it (MB)."""
    peak_kb = _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "peak_rss_mb": peak_kb / 1024,
        "work_rss_mb": (peak_kb - rss_before_kb) / 1024 if reset else float("nan"),
    }


def timed(task: Callable[[], Any], repeats: int) -> tuple[float, list[float], Any]:
    """Median seconds of `repeats` runs of `task`, all runs, and the last result."""
    runs = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = task()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), runs, result


# --- project cases (each: prepare, then a task to time) --------------------------------------


def _settings() -> Any:
    from flooding.io.config_files.loading import default_settings

    return default_settings()


def case_codec(inputs: Path, quick: bool) -> dict[str, Any]:
    from flooding.core.hrm import HeartRateMeasurement
    from flooding.io.readers import read

    # the Polar H10's own packets: its bpm, contact and the RR intervals of each notification
    wire = [
        bytes(HeartRateMeasurement.from_rr_seconds(round(s.bpm), s.rr_s, contact=True))
        for s in read(recording(H10_FILE)).samples
    ]
    n = CODEC_PACKETS // (10 if quick else 1)
    packets = (wire * (n // len(wire) + 1))[:n]
    decode = HeartRateMeasurement.from_bytes

    def task() -> int:
        total = 0
        for raw in packets:
            total += len(decode(raw).rr_1024)
        return total

    rr_per_packet = sum(len(decode(p).rr_1024) for p in wire) / len(wire)
    return {
        "task": task,
        "n": n,
        "unit": "packets",
        "note": f"{len(wire)} real H10 packets (flags 0x{wire[0][0]:02x}, "
        f"{rr_per_packet:.2f} RR each) cycled",
    }


def _day_samples() -> list[Any]:
    from flooding.io.readers import read

    return read(recording(DAY_FILE)).samples


def case_live_engine(inputs: Path, quick: bool) -> dict[str, Any]:
    from flooding.core.engine import Engine

    samples = _day_samples()
    settings = _settings()

    def task() -> int:
        engine = Engine(settings)
        feed = engine.feed
        for sample in samples:
            feed(sample)
        return len(samples)

    return {"task": task, "n": len(samples), "unit": "samples", "note": "22 h day, 1 Hz"}


def case_day_read(inputs: Path, quick: bool) -> dict[str, Any]:
    from flooding.io.readers import read

    path = recording(DAY_FILE)
    return {"task": lambda: read(path), "n": 1, "unit": "file"}


def case_day_correct(inputs: Path, quick: bool) -> dict[str, Any]:
    import numpy as np

    from flooding.core.beats import correct_rr

    rr = np.load(inputs / "day_rr_s.npy")
    return {"task": lambda: correct_rr(rr), "n": rr.size, "unit": "beats"}


def case_day_rmssd(inputs: Path, quick: bool) -> dict[str, Any]:
    """The RMSSD every view shows (corrected beats, 5-minute windows) over the whole day."""
    from flooding.core.beats.hrv import corrected_rmssd

    samples = _day_samples()
    return {
        "task": lambda: corrected_rmssd([samples]),
        "n": sum(len(s.rr_s) for s in samples),
        "unit": "beats",
        "note": "correction + RMSSD overall and per 5-minute window",
    }


def case_day_full(inputs: Path, quick: bool) -> dict[str, Any]:
    """The day through rates, the detector and the pause protocol, every reading kept, from
    the recording's columns as `flooding replay` and `flooding plot` hold them (a list of
    `Sample` values costs another ~14 ms to turn into columns: day_stages' `samples_to_columns`)."""
    from flooding.core.engine import run_batch
    from flooding.io.readers import read

    table = read(recording(DAY_FILE)).table
    settings = _settings()

    def task() -> int:
        return len(run_batch(table, settings, keep_readings=True).readings)

    return {
        "task": task,
        "n": int(table.rr_s.size),
        "unit": "beats",
        "note": "run_batch(columns, keep_readings=True), as replay and plot run it",
    }


def case_day_stages(inputs: Path, quick: bool) -> dict[str, Any]:
    """Not a row of its own: where the time of day_full goes, stage by stage."""
    import numpy as np

    from flooding.core.batch import prepare
    from flooding.core.beats import correct_rr, fast_rates
    from flooding.core.beats.columns import SampleColumns
    from flooding.core.engine import run_batch
    from flooding.io.readers import read

    samples = _day_samples()
    table = read(recording(DAY_FILE)).table
    settings = _settings()
    rr = np.array([rr for s in samples for rr in s.rr_s])
    stages: dict[str, list[float]] = {}

    def stage(name: str, work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = work()
        stages.setdefault(name, []).append(time.perf_counter() - start)
        return result

    def task() -> dict[str, float]:
        stage("run_batch", lambda: run_batch(table, settings, keep_readings=True))
        stage("prepare", lambda: prepare(table))  # rates from the columns: run_batch's first step
        stage("samples_to_columns", lambda: SampleColumns.of(samples))  # not in day_full
        stage("fast_rates", lambda: fast_rates(samples))
        stage("correct_rr", lambda: correct_rr(rr))
        return {name: statistics.median(runs) for name, runs in stages.items()}

    return {"task": task, "n": rr.size, "unit": "beats", "result_is_extra": True}


def case_day_floor(inputs: Path, quick: bool) -> dict[str, Any]:
    """The floor under day_full: one numpy-only pass over the same arrays, no Python loop.

    Beat times (a cumulative sum), a 3-s mean rate per sample (cumulative sums and binary
    search), the usable mask (contact, plausible), 10-s bucket means of the usable readings
    (bincount), the baseline as the detector defines it, in two windowed medians of those
    means (the last 5 minutes, never below the last 15: `baseline_window_s`, `FLOOR_WINDOW_S`;
    scipy's rank filters), a threshold 10 % over it and the samples above it: the shape of
    the batch path's work, without its exactness or its state machine. The medians are in
    because the detector's rule is a windowed median, which no exact batch path can replace
    by a running mean; left out still: reading the samples into arrays, the rate's median of
    pair means and beat repair, the baseline's rise limit, runs, episodes, the pause protocol
    and a reading per sample.
    """
    import numpy as np
    from scipy import ndimage

    from flooding.core.detector import BUCKET_S, FLOOR_WINDOW_S

    t = np.load(inputs / "day_packet_t_s.npy")
    bpm = np.load(inputs / "day_packet_bpm.npy")
    contact = np.load(inputs / "day_packet_contact.npy")
    counts = np.load(inputs / "day_packet_counts.npy")
    rr = np.load(inputs / "day_packet_rr_s.npy")
    short = round(_settings().detection.baseline_window_s / BUCKET_S)  # buckets
    long = round(FLOOR_WINDOW_S / BUCKET_S)

    def trailing_median(values: Any, width: int) -> Any:
        """The median of each value and the `width` - 1 before it (the first repeated)."""
        lower, upper = (
            ndimage.rank_filter(values, rank, size=width, mode="nearest", origin=(width - 1) // 2)
            for rank in ((width - 1) // 2, width // 2)
        )
        return (lower + upper) / 2

    def task() -> int:
        beat_t = t[0] + np.cumsum(rr)
        ok = (rr >= 0.3) & (rr <= 2.0)
        cum = np.concatenate(([0.0], np.cumsum(np.where(ok, rr, 0.0))))
        n_ok = np.concatenate(([0], np.cumsum(ok)))
        upto = np.cumsum(counts)
        since = np.searchsorted(beat_t, t - 3.0)
        beats = n_ok[upto] - n_ok[since]
        rate = np.where(beats > 0, 60.0 * beats / np.maximum(cum[upto] - cum[since], 1e-9), bpm)
        usable = (contact != 0) & (rate >= 30) & (rate <= 230)
        bucket = ((t - t[0]) // 10.0).astype(np.int64)
        sums = np.bincount(bucket, weights=np.where(usable, rate, 0.0))
        n = np.bincount(bucket, weights=usable)
        means = sums / np.maximum(n, 1)
        level = np.maximum(trailing_median(means, short), trailing_median(means, long))
        above = usable & (rate > level[bucket] * 1.1)
        return int(above.sum())

    return {"task": task, "n": int(rr.size), "unit": "beats", "note": "numpy only"}


def _year_store(inputs: Path) -> Path:
    """A year of sessions (365 one-hour sessions at 1 Hz, as scripts/bench-tune builds)."""
    folder = inputs / "year"
    if not (folder / "done").exists():
        from bench_tune import build  # scripts/ is this script's own folder

        folder.mkdir(exist_ok=True)
        build(folder, 365, 3600)
        (folder / "done").write_text("", encoding="ascii")
    return folder


def _forget_replays(folder: Path) -> None:
    """Let the store forget every replay's alerts kept by an earlier case (tune, a what-if):
    the case then starts with nothing kept, as the first what-if after an upgrade does."""
    import sqlite3

    db = sqlite3.connect(folder / "flooding.db")
    with db:
        db.execute("DELETE FROM replayed_alerts")
    db.close()


def case_tune_year(inputs: Path, quick: bool) -> dict[str, Any]:
    """The what-if over a year of stored sessions: every session replayed with a new
    candidate setting and compared with the current one, the sessions loaded once (as the app
    keeps them while a slider moves: their columns and rates prepared once, the current
    setting's alerts kept from the first what-if)."""
    from flooding.app.tune import compare_session, load_sessions
    from flooding.io.config_files.loading import default_settings
    from flooding.io.store import Store

    store = Store.open(_year_store(inputs))
    sessions = list(load_sessions(store, [s.id for s in store.sessions()]))
    store.close()
    current = default_settings()
    candidate = current.model_copy(
        update={"detection": current.detection.model_copy(update={"margin_bpm": 15.0})}
    )
    margins = iter(range(10, 10_000))

    def task() -> int:
        # a new candidate each time, as a slider gives: nothing of the last one is reused
        moved = candidate.model_copy(
            update={"detection": candidate.detection.model_copy(
                update={"margin_bpm": 10.0 + next(margins) % 10})}
        )  # fmt: skip
        return sum(len(compare_session(s, current, moved).candidate_alert_s) for s in sessions)

    return {
        "task": task,
        "n": sum(s.samples for s in sessions),
        "unit": "samples",
        "note": "365 sessions x 1 h, sessions already loaded",
        "repeats": 3,
    }


def case_what_if_year(inputs: Path, quick: bool) -> dict[str, Any]:
    """The app's what-if (Settings page, "Preview") over the same year, as the page runs it:
    the store opened, new and changed sessions and the false-alarm marks read, a new candidate
    replayed, against the sessions the app keeps from its first preview. The first preview is
    timed apart, with nothing kept anywhere (every session read and replayed with both
    settings, as the very first what-if after an upgrade or a new detector)."""
    from flooding.app.tune import RecordedSessions
    from flooding.app.web.settings_page import what_if
    from flooding.io.config_files.loading import default_settings

    folder = _year_store(inputs)
    _forget_replays(folder)
    kept = RecordedSessions()
    current = default_settings()
    margins = iter(range(10, 10_000))

    def task() -> int:
        moved = current.model_copy(
            update={"detection": current.detection.model_copy(
                update={"margin_bpm": 10.0 + next(margins) % 20})}
        )  # fmt: skip
        return what_if(folder, current, moved, kept).candidate_alerts

    first_s, _, _ = timed(task, 1)  # nothing kept: reads every session, replays both settings
    return {
        "task": task,
        "n": 365,
        "unit": "sessions",
        "note": "a new candidate each time; the first preview, nothing kept, apart",
        "repeats": 3,
        "warm": False,
        "extra": {"first_preview_s": first_s},
    }


# an earlier app process: its what-if with the settings in effect (the Settings page's warm-up)
_KEEP_CURRENT = """
import sys
from pathlib import Path
from flooding.app.web.settings_page import what_if
from flooding.io.config_files.loading import default_settings
what_if(Path(sys.argv[1]), default_settings(), default_settings())
"""


def case_what_if_first(inputs: Path, quick: bool) -> dict[str, Any]:
    """The first what-if of a new app process over the same year, as the page runs it, the
    current settings' alerts kept in the store by an earlier process (its Settings page's
    warm-up): every session read and prepared, only the candidate replayed. Timed once, the
    very first call in this process (nothing of it warmed up)."""
    from flooding.app.tune import RecordedSessions
    from flooding.app.web.settings_page import what_if
    from flooding.io.config_files.loading import default_settings

    folder = _year_store(inputs)
    _forget_replays(folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", _KEEP_CURRENT, str(folder)], check=True, env=env)
    current = default_settings()
    moved = current.model_copy(
        update={"detection": current.detection.model_copy(update={"margin_bpm": 17.5})}
    )  # a value no process tried: replayed

    def task() -> int:
        return what_if(folder, current, moved, RecordedSessions()).candidate_alerts

    return {
        "task": task,
        "n": 365,
        "unit": "sessions",
        "note": "a new process, the current settings' alerts kept by an earlier one",
        "repeats": 1,
        "warm": False,
    }


def case_tune_year_cli(inputs: Path, quick: bool) -> dict[str, Any]:
    """`flooding tune --all` over the same year, end to end (reading the store included), with
    no replay's alerts kept before: both settings replayed (and kept for the next run)."""
    import contextlib
    import io

    from flooding.cli.main import main

    folder = _year_store(inputs)
    _forget_replays(folder)
    own = inputs / "empty-config.toml"
    own.write_text("", encoding="utf-8")
    args = ["tune", "--all", "--set", "detection.margin_bpm=15", "--config", str(own)]

    def task() -> int:
        with contextlib.redirect_stdout(io.StringIO()):
            return main([*args, "--data-dir", str(folder)])

    return {"task": task, "n": 1, "unit": "run", "repeats": 1, "warm": False}


def _month_store(inputs: Path) -> tuple[Any, int]:
    from flooding.app.importing import import_recording
    from flooding.io.readers import read
    from flooding.io.store import Store

    store = Store.open(inputs / "month")
    session = store.sessions()
    if session:
        return store, session[0].id
    imported = import_recording(store, read(recording(MONTH_FILE)), _settings())
    return store, imported.session_id


def case_plot_month(inputs: Path, quick: bool) -> dict[str, Any]:
    """`flooding plot` of the Fitbit month: the replay, the review and the PNG."""
    from flooding.app.report import plot_data, render_png

    store, session_id = _month_store(inputs)

    def task() -> int:
        data = plot_data(store, session_id)
        assert data is not None
        return len(render_png(data))

    return {"task": task, "n": 1, "unit": "plot", "repeats": 1 if quick else 3}


def case_import_month(inputs: Path, quick: bool) -> dict[str, Any]:
    """`flooding import` of the Fitbit month: reading the file, the replay, the store."""
    from flooding.app.importing import import_recording
    from flooding.io.readers import read
    from flooding.io.store import Store

    path = recording(MONTH_FILE)
    settings = _settings()
    runs = iter(range(1000))

    def task() -> int:
        folder = inputs / f"import-{next(runs)}"
        folder.mkdir()
        store = Store.open(folder)
        try:
            return import_recording(store, read(path), settings).samples
        finally:
            store.close()

    return {"task": task, "n": 1, "unit": "file", "repeats": 1 if quick else 3}


def case_month_detector(inputs: Path, quick: bool) -> dict[str, Any]:
    from flooding.core.engine import run_batch
    from flooding.io.readers import read

    samples = read(recording(MONTH_FILE)).samples
    settings = _settings()
    return {
        "task": lambda: len(run_batch(samples, settings).events),
        "n": len(samples),
        "unit": "samples",
        "note": "30 days, a sample every ~5 s",
    }


def _cpu_s(usage: resource.struct_rusage) -> float:
    """User and system CPU time of the process, in seconds."""
    return usage.ru_utime + usage.ru_stime


async def idle_at_1_hz(run_s: float) -> tuple[float, float]:
    """CPU and wall seconds of this process waking once a second and doing nothing: the floor
    under a 1 Hz service on this machine (some virtual machines charge milliseconds for a
    wake-up after a second asleep, where a desktop charges tens of microseconds)."""
    usage_0, wall_0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(round(run_s)):
        await asyncio.sleep(1.0)
    usage_1, wall_1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    return _cpu_s(usage_1) - _cpu_s(usage_0), wall_1 - wall_0


def case_live_service(inputs: Path, quick: bool) -> dict[str, Any]:
    """The service at 1 Hz in real time, as `flooding monitor --headless` runs it with the app
    served: simulated strap -> store -> engine -> log view and the app's live feed, the
    control channel and the app's HTTP server listening (nobody visiting), its own notifier."""
    from flooding.app import wiring
    from flooding.app.views import LogView
    from flooding.app.web.server import app_extras
    from flooding.io.store import Store
    from flooding.lab.simulate import SimulatedStrap, hard_talk

    run_s = SERVICE_RUN_S / (6 if quick else 1)
    idle_s = IDLE_RUN_S / (3 if quick else 1)
    settings = _settings()

    async def measure(folder: Path) -> dict[str, float]:
        store = Store.open(folder)
        proc = wiring.process(
            SimulatedStrap(hard_talk(), start_s=time.time(), speed=1.0),
            settings,
            store,
            LogView(),
            kind="bench",
            headless=True,
            extras=app_extras(lambda line: None, folder=folder),
        )
        stop = asyncio.Event()
        session = asyncio.create_task(wiring.run_session(proc, control=folder, until=stop.wait()))
        await asyncio.sleep(SERVICE_WARMUP_S)
        runner = proc.live.runner
        assert runner is not None
        samples_0 = runner.outcome.samples if runner.outcome else 0
        usage_0, wall_0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        await asyncio.sleep(run_s)
        usage_1, wall_1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        samples_1 = runner.outcome.samples if runner.outcome else 0
        rss_mb = _status_kb("VmRSS") / 1024
        stop.set()
        await session
        store.close()
        idle_cpu_s, idle_wall_s = await idle_at_1_hz(idle_s)
        return {
            "cpu_s": _cpu_s(usage_1) - _cpu_s(usage_0),
            "wall_s": wall_1 - wall_0,
            "samples": samples_1 - samples_0,
            "rss_mb": rss_mb,
            "modules": len(sys.modules),
            "idle_cpu_s": idle_cpu_s,
            "idle_wall_s": idle_wall_s,
        }

    def task() -> dict[str, float]:
        with tempfile.TemporaryDirectory() as folder:
            return asyncio.run(measure(Path(folder)))

    return {
        "task": task,
        "n": 1,
        "unit": "run",
        "repeats": 1,
        "warm": False,
        "result_is_extra": True,
    }


CASES: dict[str, Callable[[Path, bool], dict[str, Any]]] = {
    "codec": case_codec,
    "live_engine": case_live_engine,
    "live_service": case_live_service,
    "day_read": case_day_read,
    "day_correct": case_day_correct,
    "day_rmssd": case_day_rmssd,
    "day_full": case_day_full,
    "day_floor": case_day_floor,
    "day_stages": case_day_stages,
    "month_detector": case_month_detector,
    "import_month": case_import_month,
    "plot_month": case_plot_month,
    "tune_year": case_tune_year,
    "tune_year_cli": case_tune_year_cli,
    "what_if_year": case_what_if_year,
    "what_if_first": case_what_if_first,
}


def run_case(name: str, inputs: Path, quick: bool, data: Path) -> dict[str, Any]:
    """Prepare one case, reset the memory peak, time it; the figures as a dict."""
    global DATA
    DATA = data
    spec = CASES[name](inputs, quick)
    repeats = spec.get("repeats", 2 if quick else 5)
    task = spec["task"]
    if spec.get("warm", True):
        task()  # warm: lazy imports, caches, first-touch of the input
    rss_before = _status_kb("VmRSS")
    reset = reset_peak()
    faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    median_s, runs, result = timed(task, repeats)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before
    out: dict[str, Any] = {
        "case": name,
        "seconds": median_s,
        "runs_s": runs,
        "n": spec["n"],
        "unit": spec["unit"],
        "note": spec.get("note", ""),
        **memory_report(rss_before, reset),
        "page_faults_per_run": faults / repeats,  # the kernel mapping memory in, each a cost
    }
    if spec.get("result_is_extra"):
        out["extra"] = result
    elif "extra" in spec:
        out["extra"] = spec["extra"]
    return out


# --- the whole run --------------------------------------------------------------------------


# cases with a figure from a process's first call (one shot: what_if_year's cold preview,
# what_if_first, tune_year_cli), timed in this many fresh processes and given as their
# median: one first call is one sample of a host whose speed drifts from minute to minute
# (the app's first what-if: 0.94-1.37 s)
FIRST_CALL_CASES = ("what_if_year", "what_if_first", "tune_year_cli")
FIRST_CALL_PROCESSES = 3
# the day and its numpy floor (`KEPT_HEAP_CASES`, below), timed in this many processes each,
# one of each in turn, and given as their medians: the floor's time holds within a process
# but moves by a third from one process to the next (8.2-11.3 ms on one afternoon, the day
# 53.9-57.7 ms), so one process of each made the ratio 4.8x in one run and 7.0x in the next
RATIO_PROCESSES = 3


def median_process(figures: list[dict[str, Any]]) -> dict[str, Any]:
    """One case's figures from several processes: the median process's (its memory and
    notes), with the median of every number in `extra` and each process's time in
    `process_s`."""
    if len(figures) == 1:
        return figures[0]
    ordered = sorted(figures, key=lambda f: float(f["seconds"]))
    out = dict(ordered[len(ordered) // 2])
    out["process_s"] = [f["seconds"] for f in figures]
    extras = [f["extra"] for f in figures if isinstance(f.get("extra"), dict)]
    if len(extras) == len(figures):
        out["extra"] = {
            key: statistics.median(e[key] for e in extras)
            if all(isinstance(e.get(key), int | float) for e in extras)
            else out["extra"][key]
            for key in out["extra"]
        }
    return out


# the day and its numpy floor (the ratio the issue sets) run with glibc's heap kept: by default
# glibc hands the freed top of its heap back to the kernel after a pass, and the next pass
# faults those pages in again. The floor's temporary arrays (a dozen of 106,459 numbers) cost
# ~1,850 page faults a pass that way, 2-8 ms of its 9-19 ms on this VM, while the day's replay,
# whose objects hold the heap, pays none (~250 faults): a process that works on (the app, the
# service) keeps its heap. Both sides of the ratio get the same setting; elsewhere ignored.
KEPT_HEAP_CASES = ("day_full", "day_floor")
KEPT_HEAP_ENV = {
    "MALLOC_TRIM_THRESHOLD_": str(1 << 30),  # freed memory stays with the process
    "MALLOC_MMAP_THRESHOLD_": str(1 << 25),  # arrays from the heap, not a mapping each (glibc's
    #                                          highest threshold, 32 MB)
}


def _paired_cases(
    names: list[str], folder: str, case_args: list[str], quick: bool
) -> dict[str, dict[str, Any]]:
    """The day and its floor (`names`), each in `RATIO_PROCESSES` processes with the heap
    kept, one of each in turn (so both sides of the ratio see the same minutes): the median
    process of each."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for _ in range(1 if quick else RATIO_PROCESSES):
        for name in names:
            command = [sys.executable, __file__, "--case", name, "--inputs", folder, *case_args]
            runs[name].append(subprocess_json(command, env=KEPT_HEAP_ENV))
    cases = {name: median_process(figures) for name, figures in runs.items()}
    for case in cases.values():
        case["heap_kept"] = True
    return cases


def subprocess_json(
    command: list[str], timeout_s: float = 900, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run a case process (with `env` added to this one's environment); its last stdout
    line is JSON."""
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
        cwd=ROOT,
        env=None if env is None else {**os.environ, **env},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[-4:])} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def prepare_inputs(folder: Path) -> dict[str, Any]:
    """The day's beats as the project reads them, written once for every case and peer."""
    import numpy as np

    from flooding.io.readers import read

    day = read(recording(DAY_FILE))
    assert day.beat_rr_s is not None
    assert day.beat_t_s is not None
    np.save(folder / "day_rr_s.npy", np.asarray(day.beat_rr_s, dtype=np.float64))
    np.save(folder / "day_t_s.npy", np.asarray(day.beat_t_s, dtype=np.float64))
    from flooding.core.beats.columns import SampleColumns

    columns = SampleColumns.of(day.samples)
    np.save(folder / "day_packet_t_s.npy", columns.t_s)
    np.save(folder / "day_packet_bpm.npy", columns.bpm)
    np.save(folder / "day_packet_contact.npy", columns.contact)
    np.save(folder / "day_packet_counts.npy", columns.rr_counts)
    np.save(folder / "day_packet_rr_s.npy", columns.rr_s)
    return {"day_beats": int(day.beat_rr_s.size), "day_samples": len(day.samples)}


def cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def collect(
    quick: bool,
    peers_python: str | None,
    say: Callable[[str], None],
    only: list[str] | None = None,
) -> dict[str, Any]:
    """Run every case and peer (or only the cases named, no peers); the raw figures."""
    import numpy as np
    import scipy

    from flooding.core.beats.hrv import RMSSD_WINDOW_S
    from flooding.lab.evaluate import find_data

    global DATA
    DATA = find_data()
    if DATA is None:
        raise SystemExit("bench: shared/data not found (set FLOODING_SHARED_DATA)")
    flags = ["--quick"] if quick else []
    case_args = ["--data", str(DATA), *flags]
    peer_args = ["--window-s", repr(RMSSD_WINDOW_S), *flags]
    results: dict[str, Any] = {
        "quick": quick,
        "machine": {
            "cpu": cpu_model(),
            "system": platform.platform(terse=True),
            "load_average": os.getloadavg()[0],  # at the start: other work skews every figure
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "cases": {},
        "peers": {},
    }
    # the package's bytecode first, as an installed wheel has it (pip compiles at install):
    # where writing bytecode is off (PYTHONDONTWRITEBYTECODE), a first call would otherwise
    # time compiling every module it imports (0.1-0.3 s of `tune --all` end to end)
    results["machine"]["bytecode_compiled"] = compileall.compile_dir(
        ROOT / "flooding", quiet=1, workers=1
    )
    with tempfile.TemporaryDirectory(prefix="flooding-bench-") as folder:
        inputs = Path(folder)
        results["inputs"] = prepare_inputs(inputs)
        names = list(only or CASES)
        paired = [name for name in names if name in KEPT_HEAP_CASES]
        for name in names:
            if name in paired[1:]:
                continue  # run with the first of the pair
            say(f"bench: {', '.join(paired) if name in paired else name} ...")
            if name in paired:
                results["cases"].update(_paired_cases(paired, folder, case_args, quick))
                continue
            command = [sys.executable, __file__, "--case", name, "--inputs", folder, *case_args]
            processes = FIRST_CALL_PROCESSES if name in FIRST_CALL_CASES and not quick else 1
            results["cases"][name] = median_process(
                [subprocess_json(command) for _ in range(processes)]
            )
        if peers_python and not only:
            peers_script = str(ROOT / "scripts" / "_bench_peers.py")
            for name in ("systole_first_call", "systole_correct", "systole_rmssd", "nk_fixpeaks"):
                say(f"bench: peer {name} ...")
                results["peers"][name] = subprocess_json(
                    [peers_python, peers_script, "--case", name, "--inputs", folder, *peer_args]
                )
    if not only:
        results.update(summary(results))
    return results


def idle_share(service: dict[str, Any]) -> float | None:
    """The service process's share of a core asleep, waking once a second (None: a run saved
    before it was measured)."""
    if "idle_cpu_s" not in service:
        return None
    return float(service["idle_cpu_s"]) / float(service["idle_wall_s"]) * 100


def summary(results: dict[str, Any]) -> dict[str, float | None]:
    """The headline figures (issue 19's keys), each from this very run."""
    c, p = results["cases"], results["peers"]
    engine = c["live_engine"]
    service = c["live_service"]
    return {
        "day_full_ms": c["day_full"]["seconds"] * 1000,
        "day_floor_ms": c["day_floor"]["seconds"] * 1000,
        "tune_year_s": c["tune_year"]["seconds"],
        "tune_year_cli_s": c["tune_year_cli"]["seconds"],
        "what_if_year_s": c["what_if_year"]["seconds"],
        # the first what-if of a new app process (the current alerts kept by an earlier one);
        # None: a run saved before it was measured
        "what_if_first_s": c["what_if_first"]["seconds"] if "what_if_first" in c else None,
        "what_if_cold_s": c["what_if_year"]["extra"]["first_preview_s"],  # nothing kept ever
        "engine_feed_us": engine["seconds"] / engine["n"] * 1e6,
        "service_cpu_pct": service["extra"]["cpu_s"] / service["extra"]["wall_s"] * 100,
        "service_idle_pct": idle_share(service["extra"]),
        "service_rss_mb": service["peak_rss_mb"],
        "plot_month_s": c["plot_month"]["seconds"],
        "import_month_s": c["import_month"]["seconds"],
        "correction_vs_systole": (
            p["systole_correct"]["seconds"] / c["day_correct"]["seconds"] if p else None
        ),
        "correction_vs_fastest_peer": (
            min(p["systole_correct"]["seconds"], p["nk_fixpeaks"]["seconds"])
            / c["day_correct"]["seconds"]
            if p
            else None
        ),
        "rmssd_vs_systole": (
            p["systole_rmssd"]["seconds"] / c["day_rmssd"]["seconds"] if p else None
        ),
    }


# --- the table ------------------------------------------------------------------------------


def _rate(row: dict[str, Any]) -> float:
    return float(row["n"]) / float(row["seconds"])


def _mb(row: dict[str, Any] | None) -> str:
    return "" if row is None else f"{row['peak_rss_mb']:.0f}"


def rows(results: dict[str, Any]) -> list[list[str]]:
    """Table rows: case, flooding, peer, peer figure, flooding ahead by, peak RSS MB (ours/peer)."""
    c, p = results["cases"], results["peers"]
    out: list[list[str]] = []

    def ms(row: dict[str, Any]) -> str:
        return f"{row['seconds'] * 1000:.0f} ms"

    def add(
        what: str, ours: str, ours_row: dict[str, Any] | None, peer: str = "-",
        peer_fig: str = "-", ratio: str = "-", peer_row: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        memory = _mb(ours_row) + (f" / {_mb(peer_row)}" if peer_row is not None else "")
        out.append([what, ours, peer, peer_fig, ratio, memory])

    codec = c["codec"]
    add("codec: H10 packets decoded", f"{_rate(codec) / 1e6:.2f} M/s", codec)
    row = c["live_engine"]
    per_us = row["seconds"] / row["n"] * 1e6
    add(
        "live: Engine.feed per sample (rate, detector, pause protocol)",
        f"{per_us:.1f} us = {per_us / 1e4:.4f} % CPU at 1 Hz",
        row,
    )
    service = c["live_service"]["extra"]
    share = service["cpu_s"] / service["wall_s"] * 100
    idle = idle_share(service)
    add(
        f"live: the service at 1 Hz with the app served, measured {service['wall_s']:.0f} s",
        f"{share:.2f} % of a core ({service['samples']} samples)",
        c["live_service"],
    )
    add(
        "live: the same process asleep, waking once a second (the floor)",
        "-" if idle is None else f"{idle:.2f} % of a core",
        None,
    )
    day = c["day_full"]
    add(
        f"day ({results['inputs']['day_beats']:,} beats): rate + detector, every reading",
        ms(day),
        day,
    )
    add("day: reading the file (not in the row above)", ms(c["day_read"]), c["day_read"])

    correct = c["day_correct"]
    if p:
        for key, peer in (
            ("systole_correct", "systole correct_rr"),
            ("nk_fixpeaks", "neurokit2 Kubios"),
        ):
            add(
                "day: artifact correction",
                ms(correct),
                correct,
                peer,
                ms(p[key]),
                f"{p[key]['seconds'] / correct['seconds']:.1f}x",
                p[key],
            )
        first = p["systole_first_call"]
        add(
            "systole: first call (numba compile), apart",
            "-",
            None,
            "systole",
            f"{first['seconds']:.1f} s",
        )
    else:
        add("day: artifact correction", ms(correct), correct)
    rmssd = c["day_rmssd"]
    if p:
        add(
            "day: RMSSD of corrected beats, 5-min windows",
            ms(rmssd),
            rmssd,
            "systole correct_rr + hrv.rmssd",
            ms(p["systole_rmssd"]),
            f"{p['systole_rmssd']['seconds'] / rmssd['seconds']:.0f}x",
            p["systole_rmssd"],
        )
    else:
        add("day: RMSSD of corrected beats, 5-min windows", ms(rmssd), rmssd)
    month = c["month_detector"]
    add(f"month ({month['n']:,} Fitbit samples): detector", ms(month), month)
    add("day: the numpy floor (one pass, same arrays)", ms(c["day_floor"]), c["day_floor"])
    add("month: import (read, replay, store)", f"{c['import_month']['seconds']:.2f} s",
        c["import_month"])  # fmt: skip
    add("month: plot (replay, review, PNG)", f"{c['plot_month']['seconds']:.2f} s",
        c["plot_month"])  # fmt: skip
    add(f"year ({c['tune_year']['n']:,} samples): what-if, sessions loaded",
        f"{c['tune_year']['seconds']:.2f} s", c["tune_year"])  # fmt: skip
    add("year: flooding tune --all, end to end, nothing kept",
        f"{c['tune_year_cli']['seconds']:.2f} s", c["tune_year_cli"])  # fmt: skip
    what_if = c["what_if_year"]
    add("year: the app's what-if, a new value (sessions kept)", f"{what_if['seconds']:.2f} s",
        what_if)  # fmt: skip
    first = c.get("what_if_first")
    add("year: the app's first what-if in a new process (current alerts kept)",
        "-" if first is None else f"{first['seconds']:.2f} s", first)  # fmt: skip
    add("year: the app's very first what-if, nothing kept (both replayed)",
        f"{what_if['extra']['first_preview_s']:.2f} s", None)  # fmt: skip
    return out  # fmt: skip


def render(results: dict[str, Any]) -> str:
    """The Markdown table and the lines under it."""
    header = ["case", "flooding", "peer", "peer", "flooding ahead by", "peak RSS MB (ours / peer)"]
    body = rows(results)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return (
            "| " + " | ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)) + " |"
        )

    lines = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [line(r) for r in body]
    m = results["machine"]
    st = {name: seconds * 1000 for name, seconds in results["cases"]["day_stages"]["extra"].items()}
    lines.append("")
    lines.append(
        f"Where the day goes: run_batch {st['run_batch']:.0f} ms = rates from the columns "
        f"{st['prepare']:.0f} ms + the detector and pause protocol, bucket by bucket "
        f"{st['run_batch'] - st['prepare']:.0f} ms (from `Sample` values instead, turning them "
        f"into columns costs {st['samples_to_columns']:.0f} ms more)."
    )
    figures = summary(results)
    day_ms, floor_ms = figures["day_full_ms"], figures["day_floor_ms"]
    assert day_ms is not None
    assert floor_ms is not None
    day_verdict = _said(met("day_full_ms", figures))
    verdicts = [
        f"day {day_ms:.0f} ms = {day_ms / floor_ms:.1f}x the numpy floor (target: "
        f"<= {TARGET_DAY_MS:g} ms and <= {TARGET_FLOOR_RATIO:g}x; {day_verdict})"
    ]
    share, idle = figures["service_cpu_pct"], figures["service_idle_pct"]
    assert share is not None
    above = "" if idle is None else f", {share - idle:.2f} % above waking once a second"
    verdicts.append(
        f"service {share:.2f} % of a core{above} (target: <= {TARGET_SERVICE_PCT:g} %; "
        f"{_said(met('service_cpu_pct', figures))})"
    )
    if results["peers"]:
        p = results["peers"]
        for key, what in (
            ("correction_vs_fastest_peer", "correction vs fastest peer"),
            ("rmssd_vs_systole", "RMSSD vs systole"),
        ):
            verdicts.append(
                f"{what} {figures[key]:.1f}x ({_said(met(key, figures))}, target {TARGET_RATIO:g}x)"
            )
        versions = ", ".join(f"{k} {v}" for k, v in p["systole_correct"]["versions"].items())
        lines.append(f"Peers: {versions}.")
    lines.append("; ".join(verdicts) + ".")
    # a run saved before first calls were timed in several processes says nothing of them
    first_call_cases = (results["cases"].get(name, {}) for name in FIRST_CALL_CASES)
    processes = max((len(row.get("process_s", ())) for row in first_call_cases), default=0)
    compiled = (
        ", the package's bytecode compiled first (as at install)"
        if m.get("bytecode_compiled")
        else ""
    )
    first_calls = (
        f"a first call (a new process's what-if, tune end to end): the median of {processes} "
        f"processes{compiled}; "
        if processes > 1
        else ""
    )
    # a run saved before the day and its floor kept their heap (or ran in several processes)
    # says nothing of it
    floor_case = results["cases"].get("day_floor", {})
    floor_processes = len(floor_case.get("process_s", ()))
    heap = ""
    if floor_case.get("heap_kept"):
        heap = (
            "the day and its floor with the heap kept (no page faults from glibc handing "
            "freed memory back between passes)"
        )
        if floor_processes > 1:
            heap += f", each the median of {floor_processes} processes, one of each in turn"
        heap += "; "
    lines.append(
        f"Median of {'2' if results['quick'] else '5'} runs (peers: "
        f"{'1' if results['quick'] else '3'}), each case in its own process; {heap}{first_calls}"
        f"{m['cpu']}, {m['cores']} cores, {m.get('system', 'system not recorded')}, load "
        f"average {m.get('load_average', float('nan')):.1f} at the start, Python {m['python']}, "
        f"numpy {m['numpy']}, scipy {m['scipy']}."
    )
    return "\n".join(lines)


# the headline figures: key, what it is, unit, target (None: none), at most (False: at least)
HEADLINE: tuple[tuple[str, str, str, float | None, bool], ...] = (
    ("day_full_ms", "a day of beats (Holter) through the batch path", "ms", TARGET_DAY_MS, True),
    ("day_floor_ms", "the numpy floor of the same day", "ms", None, True),
    ("tune_year_s", "what-if over a year of sessions (loaded)", "s", 1.0, True),
    ("what_if_year_s", "the app's what-if, a new value", "s", 1.0, True),
    ("what_if_first_s", "the app's first what-if in a new process (current alerts kept)", "s",
     1.0, True),
    ("what_if_cold_s", "the app's very first what-if, nothing kept (both replayed)", "s", 1.0,
     True),
    ("tune_year_cli_s", "flooding tune --all over the year, end to end, nothing kept", "s", 1.0,
     True),
    ("engine_feed_us", "Engine.feed per sample", "µs", 50.0, True),
    ("service_cpu_pct", "the service at 1 Hz, app served", "% of a core", TARGET_SERVICE_PCT, True),
    ("service_idle_pct", "... the same process, only waking at 1 Hz", "% of a core", None, True),
    ("service_rss_mb", "the service's memory", "MB", 80.0, True),
    ("plot_month_s", "plot of a month (Fitbit)", "s", 2.0, True),
    ("import_month_s", "import of a month (Fitbit)", "s", 2.0, True),
    ("correction_vs_systole", "artifact correction, x systole", "x", TARGET_RATIO, False),
    ("correction_vs_fastest_peer", "artifact correction, x the fastest peer", "x", TARGET_RATIO,
     False),
    ("rmssd_vs_systole", "sliding RMSSD, x systole", "x", TARGET_RATIO, False),
)  # fmt: skip


def met(key: str, figures: dict[str, float | None]) -> bool | None:
    """Whether the headline figure `key` meets its target (the day: also the floor ratio);
    None: it has no target, or this run did not measure it."""
    value = figures.get(key)
    target, at_most = next((t, most) for k, _, _, t, most in HEADLINE if k == key)
    if target is None or value is None:
        return None
    if key == "day_full_ms":
        floor = figures["day_floor_ms"]
        if floor is None or value > TARGET_FLOOR_RATIO * floor:
            return False
    return value <= target if at_most else value >= target


def _said(verdict: bool | None) -> str:
    """A verdict as the tables print it."""
    return {True: "met", False: "NOT MET", None: "not measured"}[verdict]


def headline(results: dict[str, Any]) -> str:
    """The headline figures with their targets, for the README: a table and the machine."""
    figures = summary(results)
    lines = ["| figure | key | measured | target |", "|---|---|---|---|"]
    for key, what, unit, target, at_most in HEADLINE:
        value = figures.get(key)
        shown = "-" if value is None else f"{value:.3g} {unit}"
        if target is None:
            goal = "-"
        else:
            goal = f"{'<=' if at_most else '>='} {target:g} {unit}"
            if key == "day_full_ms" and value is not None:
                ratio = value / figures["day_floor_ms"]  # type: ignore[operator]
                goal += f" and <= {TARGET_FLOOR_RATIO:g}x the floor ({ratio:.1f}x)"
            goal += f": {_said(met(key, figures))}"
        lines.append(f"| {what} | `{key}` | {shown} | {goal} |")
    m = results["machine"]
    lines += [
        "",
        f"One `scripts/bench{' --quick' if results['quick'] else ''}` run on {m['cpu']}, "
        f"{m['cores']} cores, {m.get('system', 'system not recorded')}, load average "
        f"{m.get('load_average', float('nan')):.1f} at the start; every case and ratio in "
        "the full table of [docs/performance.md](docs/performance.md).",
    ]
    return "\n".join(lines)


TABLE_START = "<!-- scripts/bench --update: the table from here -->"
TABLE_END = "<!-- scripts/bench --update: to here -->"
HEADLINE_START = "<!-- scripts/bench --update: the headline figures from here -->"
HEADLINE_END = "<!-- scripts/bench --update: headline to here -->"


def update_file(path: Path, results: dict[str, Any], table: str) -> None:
    """Put the full table between the table markers of `path` (docs/performance.md) and the
    headline figures between the headline markers (README.md), whichever it has."""
    text = path.read_text(encoding="utf-8")
    parts = (
        (TABLE_START, TABLE_END, lambda: table),
        (HEADLINE_START, HEADLINE_END, lambda: headline(results)),
    )
    found = False
    for start_mark, end_mark, made in parts:
        start, end = text.find(start_mark), text.find(end_mark)
        if start < 0 or end < start:
            continue
        found = True
        text = f"{text[: start + len(start_mark)]}\n{made()}\n{text[end:]}"
    if not found:
        raise SystemExit(
            f"bench: {path} has no table markers; put these two lines where the table goes:\n"
            f"{TABLE_START}\n{TABLE_END}\n(or, for the headline figures alone:\n"
            f"{HEADLINE_START}\n{HEADLINE_END})"
        )
    path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter runs")
    parser.add_argument("--peers-python", help="interpreter with systole and neurokit2")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(CASES),
        metavar="CASE",
        help=f"run only this case (repeatable; no peers), print its figures as JSON: "
        f"{', '.join(CASES)}",
    )
    parser.add_argument(
        "--table-from",
        type=Path,
        metavar="JSON",
        help="measure nothing: the table of a run saved with --json",
    )
    parser.add_argument(
        "--update",
        type=Path,
        action="append",
        metavar="FILE",
        help="also write the table into FILE (docs/performance.md), between its two marker "
        "lines, or the headline figures (README.md) between theirs; repeatable",
    )
    parser.add_argument("--case", choices=sorted(CASES), help=argparse.SUPPRESS)
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.inputs, args.quick, args.data)))
        return 0

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    if args.table_from is not None:
        results = json.loads(args.table_from.read_text(encoding="utf-8"))
    else:
        results = collect(args.quick, args.peers_python, say, args.only)
        if args.only or args.json:
            print(json.dumps(results, indent=2))
    if args.only:
        return 0
    table = render(results)
    if not args.json or args.table_from is not None:
        print(table)
    for path in args.update or ():
        update_file(path, results, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
