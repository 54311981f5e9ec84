"""Measure `flooding tune` on a year of sessions: 365 one-hour sessions at one sample a second,
and the app's what-if preview (Settings page) on the same sessions.

Builds a throw-away store (calm hearts with a rise now and then, some alerts marked as false
alarms), then times `flooding tune --all` with a candidate setting, end to end (reading the
store, two replays of every session, the comparison; the alerts of both are kept in the store
for the next run), then the app's what-if, whose first preview replays only the candidate.
Prints the figures; no targets here.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from flooding.cli.main import main
from flooding.core.engine import run_batch
from flooding.core.models import Alert, Sample
from flooding.io.config_files.loading import default_settings
from flooding.io.store import Store


def session_samples(rng: np.random.Generator, start_s: float, n: int) -> list[Sample]:
    """An hour of one-a-second readings: a wandering calm pulse, sometimes a hard rise."""
    calm = 62 + rng.normal(0, 6)
    bpm = calm + np.cumsum(rng.normal(0, 0.4, n)) * 0.3 + rng.normal(0, 1.5, n)
    for _ in range(rng.integers(0, 3)):
        at = int(rng.integers(600, n - 600))
        rise = np.clip((np.arange(n) - at) / 60.0, 0, 1) * np.clip(
            (at + 400 - np.arange(n)) / 120, 0, 1
        )
        bpm = bpm + rise * rng.uniform(15, 45)
    contact = rng.random(n) > 0.002
    return [
        Sample(start_s + i, float(round(b)), contact=bool(c))
        for i, (b, c) in enumerate(zip(bpm, contact, strict=True))
    ]


def build(folder: Path, sessions: int, seconds: int) -> int:
    rng = np.random.default_rng(1)
    settings = default_settings()
    store = Store.open(folder)
    total = 0
    for k in range(sessions):
        start = 1.7e9 + k * 86400.0
        samples = session_samples(rng, start, seconds)
        sid = store.begin_session(start, source="bench", mode="talk")
        store.add_samples(sid, samples)
        for event in run_batch(samples, settings).events:
            event_id = store.add_event(sid, event)
            if isinstance(event, Alert) and rng.random() < 0.3:
                store.add_note_event(sid, event.t_s, "false-alarm", {"alert_event_id": event_id})
        store.end_session(sid, start + seconds)
        total += len(samples)
    store.close()
    return total


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=365)
    parser.add_argument("--seconds", type=int, default=3600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        samples = build(folder, args.sessions, args.seconds)
        print(
            f"built {args.sessions} sessions, {samples:,} samples in "
            f"{time.perf_counter() - began:.1f} s"
        )
        began = time.perf_counter()
        own = folder / "config.toml"  # an empty file of one's own: the defaults
        own.write_text("", encoding="utf-8")
        code = main(
            [
                "tune",
                "--all",
                "--set",
                "detection.margin_bpm=15",
                "--config",
                str(own),
                "--data-dir",
                str(folder),
            ]
        )
        elapsed = time.perf_counter() - began
        print(
            f"flooding tune --all: {elapsed:.2f} s for {args.sessions} sessions "
            f"({samples:,} samples, each replayed twice), exit code {code}"
        )
        from flooding.app.tune import RecordedSessions
        from flooding.app.web.settings_page import what_if
        from flooding.io.config_files.loading import load_config

        current = load_config(own).settings
        kept = RecordedSessions()  # as the app keeps them from one preview to the next
        previews = (
            (17, "first preview, the current alerts kept by tune"),
            (16, "next preview, a new value"),
        )
        for margin, which in previews:
            candidate = load_config(own, overrides=[f"detection.margin_bpm={margin}"]).settings
            began = time.perf_counter()
            total = what_if(folder, current, candidate, kept)
            print(
                f"the app's what-if, {which}: {time.perf_counter() - began:.2f} s for "
                f"{total.sessions} sessions ({total.current_alerts} alerts now, "
                f"{total.candidate_alerts} with margin_bpm = {margin})"
            )


if __name__ == "__main__":
    run()
