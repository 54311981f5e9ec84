"""Recorded sessions for tests: a simulated heart, through the real engine, into a real store."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from flooding.app.session import SessionRunner
from flooding.app.sources import HeartSource
from flooding.cli.main import main
from flooding.core.engine import run_batch
from flooding.core.models import UNSEEN_S, EpisodeStarted, Sample
from flooding.io.config_files.loading import default_settings
from flooding.io.store import Store
from flooding.lab.simulate import Scenario, Segment, hard_talk, samples
from tests.fakes import RecordingNotifier, RecordingView

START_S = 1_790_000_000.0  # 2026-09-21, a wall-clock session start


def gappy_talk() -> Scenario:
    """A talk with a flooding episode, a dropped link and a stretch without skin contact."""
    return Scenario(
        "gappy talk",
        (
            Segment(300, 72),
            Segment(60, 72, 115),
            Segment(120, 115),
            Segment(90, 115, dropout=True),
            Segment(60, 110, contact=False),
            Segment(900, 110, 74),
            Segment(600, 74),
        ),
        seed=3,
    )


def strap_off_talk() -> Scenario:
    """A talk whose flooding episode the strap stops reading: taken off the skin for longer
    than the detector waits for it (`UNSEEN_S`), then put on again on a calm heart."""
    return Scenario(
        "strap off",
        (
            Segment(300, 72),
            Segment(60, 72, 115),
            Segment(120, 115),
            Segment(int(UNSEEN_S) + 60, 115, contact=False),
            Segment(300, 74),
        ),
        seed=3,
    )


def calm_talk() -> Scenario:
    """Ten calm minutes: no flooding at all."""
    return Scenario("calm", (Segment(600, 66),), seed=5)


def record(
    store: Store,
    scenario: Scenario | None = None,
    *,
    start_s: float = START_S,
    strap: str | None = "Polar H10 1A2B3C4D",
    end: bool = True,
) -> int:
    """Record a scenario as a session (samples and the engine's events); returns its id."""
    recorded = samples(scenario or hard_talk(), start_s)
    return record_readings(store, recorded, strap=strap, end=end)


def record_readings(
    store: Store,
    recorded: Sequence[Sample],
    *,
    strap: str | None = "Polar H10 1A2B3C4D",
    end: bool = True,
) -> int:
    """Record readings as a session begun at the first (the readings and the engine's
    events); returns its id."""
    settings = default_settings()
    session_id = store.begin_session(
        recorded[0].t_s,
        source="test",
        mode="talk",
        strap_name=strap,
        settings_json=json.dumps(settings.model_dump(mode="json", exclude={"messages"})),
    )
    store.add_samples(session_id, recorded)
    for event in run_batch(recorded, settings).events:
        store.add_event(session_id, event)
    if end:
        store.end_session(session_id, recorded[-1].t_s)
    else:
        store.flush()
    return session_id


def runner_on(
    store: Store, source: HeartSource, *, flush_interval_s: float, clock_s: float
) -> SessionRunner:
    """A real session runner recording `source` into `store` with the default settings, the
    recording notifier and view, a clock standing at `clock_s` and this flush interval."""
    return SessionRunner(
        source=source,
        settings=default_settings(),
        store=store,
        notifier=RecordingNotifier(),
        view=RecordingView(),
        source_kind="simulated",
        clock=lambda: clock_s,
        flush_interval_s=flush_interval_s,
    )


def store_readings(
    store: Store,
    readings: Sequence[Sample],
    *,
    source: str = "test",
    mode: str = "talk",
    started_s: float | None = None,
    ended_s: float | None = None,
) -> int:
    """A session of `readings` and nothing else (no events), begun at the first reading (or
    `started_s`) and ended at the last (or `ended_s`); returns its id."""
    session_id = store.begin_session(
        readings[0].t_s if started_s is None else started_s, source=source, mode=mode
    )
    store.add_samples(session_id, readings)
    store.end_session(session_id, readings[-1].t_s if ended_s is None else ended_s)
    return session_id


def stored_readings(folder: Path, readings: Sequence[Sample], *, source: str = "test") -> int:
    """`store_readings` into the store in `folder`, opened and closed here; the session's id."""
    store = Store.open(folder)
    try:
        return store_readings(store, readings, source=source)
    finally:
        store.close()


def calibrate_from(session_id: int, data: Path, config: Path) -> int:
    """`flooding calibrate --from SESSION --yes` with the store in `data`, writing `config`;
    its exit code."""
    return main(
        [
            "calibrate",
            "--from",
            str(session_id),
            "--yes",
            "--config",
            str(config),
            "--data-dir",
            str(data),
        ]
    )


def calibration_refused(
    session_id: int, data: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[str, str]:
    """`calibrate_from` a session it must refuse: exit 1, the reason on stderr after
    `flooding calibrate: `, no config file written; returns what it printed (stdout, stderr)."""
    code = calibrate_from(session_id, data, config)
    assert code == 1
    out, err = capsys.readouterr()
    assert err.startswith("flooding calibrate: ")
    assert not config.exists()
    return out, err


def flooding(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the `flooding` command in a subprocess (no terminal on stdin; `env` added to this
    process's environment)."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "flooding", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        input=stdin if stdin is not None else "",
        check=False,
    )


def record_with_movement(
    store: Store, moving_from_onset_s: tuple[float, float] | None, start_s: float = START_S
) -> int:
    """A hard talk recorded with an accelerometer: still, except (when given) for a stretch
    around the episode's onset, seconds relative to it. Its events are those of a detector
    that does not look at movement (an earlier version's, or a replay without it), so the
    episode is there whatever the movement, for review to describe."""
    settings = default_settings()
    recorded = samples(hard_talk(), start_s)
    onset = next(
        e.onset_s for e in run_batch(recorded, settings).events if isinstance(e, EpisodeStarted)
    )

    def level(t_s: float) -> float:
        if moving_from_onset_s is None:
            return 0.01
        a, b = moving_from_onset_s
        return 0.2 if onset + a <= t_s <= onset + b else 0.01

    moving = [dataclasses.replace(s, activity_g=level(s.t_s)) for s in recorded]
    session_id = store.begin_session(start_s, source="test", mode="talk")
    store.add_samples(session_id, moving)
    for event in run_batch(recorded, settings).events:
        store.add_event(session_id, event)
    store.end_session(session_id, moving[-1].t_s)
    return session_id
