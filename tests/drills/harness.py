"""Fault-drill machinery shared by the CI drills (`tests/drills/`) and `scripts/drill`.

The kill drill: start a recording (`flooding demo` on the simulated strap, or `flooding
monitor` on the emulated strap) under `tests.drills.probe`, wait for its first sample, let it
run for a random while, `kill -9` it, then open its database.

How sample loss is measured: the probe writes, in place, the time of the latest sample the
store was handed; after the kill that file holds the session clock at the moment of the kill.
Loss = that time - the latest sample time committed in the database, in session seconds.
The store commits every `FLUSH_INTERVAL_S` of wall time, which at `--speed S` is S session
seconds; the allowance is that one flush interval of session time plus one packet interval
(the sample that can arrive while the due flush waits its turn on the event loop).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flooding.app.session import FLUSH_INTERVAL_S
from flooding.lab.simulate import PACKET_INTERVAL_S

ROOT = Path(__file__).resolve().parents[2]
EMULATED_ADDRESS = "C0:FF:EE:00:00:01"  # the emulated person's strap: no scan needed
START_TIMEOUT_S = 60.0  # generous: a loaded CI machine imports slowly; not a speed check


@dataclass(frozen=True)
class KillResult:
    """One kill: what the database held afterwards."""

    kind: str
    ran_s: float  # wall seconds from the first sample to the kill
    integrity: str  # PRAGMA integrity_check
    received: int  # samples handed to the store (session seconds from first to last + 1)
    stored: int  # samples committed
    loss_s: float  # session seconds between the last received and the last committed sample
    allowance_s: float
    reopens: bool  # the store opens again (schema intact, WAL recovered)

    @property
    def ok(self) -> bool:
        """Intact, reopens, and lost no more than the allowance."""
        return self.integrity == "ok" and self.reopens and self.loss_s <= self.allowance_s


def command(kind: str, data_dir: Path, speed: float) -> list[str]:
    """The flooding command line of one drill kind."""
    if kind == "demo":
        # --with-real: the drill's database is the data folder's own, not its demo folder
        return [
            *("demo", "--speed", f"{speed:g}", "--no-notify", "--with-real"),
            *("--data-dir", str(data_dir)),
        ]
    if kind == "monitor":
        return [
            "monitor",
            "--no-notify",
            "--quiet",
            "--data-dir",
            str(data_dir),
            "--set",
            f"strap.address={EMULATED_ADDRESS}",
        ]
    raise ValueError(f"unknown drill kind {kind!r}")


def probe_env(folder: Path, **probes: Path) -> dict[str, str]:
    """An environment with no person's config, the emulated strap, and the given probes."""
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(folder / "config"),
        "XDG_DATA_HOME": str(folder / "data-home"),
        "FLOODING_EMULATED_STRAP": "1",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("FLOODING_CONFIG", None)
    for name, path in probes.items():
        env[f"FLOODING_PROBE_{name.upper()}"] = str(path)
    return env


def read_probe(path: Path) -> tuple[float, float] | None:
    """(first, latest) sample time the store was handed, or None before the first."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    return struct.unpack("<dd", raw[:16]) if len(raw) >= 16 else None


def kill_once(kind: str, folder: Path, run_s: float, speed: float) -> KillResult:
    """Start, wait for the first sample, run `run_s` more wall seconds, kill -9, inspect."""
    data_dir = folder / "data"
    probe = folder / "samples.probe"
    errors = (folder / "stderr.txt").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.drills.probe", *command(kind, data_dir, speed)],
        cwd=ROOT,
        env=probe_env(folder, samples=probe),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while read_probe(probe) is None:
            if proc.poll() is not None:
                err = (folder / "stderr.txt").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{kind} exited ({proc.returncode}) before a sample:\n{err}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{kind} gave no sample in {START_TIMEOUT_S:g} s")
            time.sleep(0.02)
        started = time.monotonic()
        time.sleep(run_s)
        os.kill(proc.pid, signal.SIGKILL)
        ran_s = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        errors.close()
    first_s, latest_s = read_probe(probe) or (0.0, 0.0)
    db = sqlite3.connect(data_dir / "flooding.db")
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        stored, newest = db.execute("SELECT COUNT(*), MAX(t_s) FROM samples").fetchone()
    finally:
        db.close()
    loss_s = latest_s - (newest if newest is not None else first_s - PACKET_INTERVAL_S)
    session_speed = speed if kind == "demo" else 1.0
    from flooding.io.store import Store, StoreError

    try:
        Store.open(data_dir).close()
        reopens = True
    except StoreError:
        reopens = False
    return KillResult(
        kind=kind,
        ran_s=ran_s,
        integrity=integrity,
        received=round((latest_s - first_s) / PACKET_INTERVAL_S) + 1,
        stored=stored,
        loss_s=loss_s,
        allowance_s=FLUSH_INTERVAL_S * session_speed + PACKET_INTERVAL_S,
        reopens=reopens,
    )


def kill_drill(
    kind: str, runs: int, *, speed: float = 20.0, max_run_s: float = 4.0, seed: int = 0
) -> list[KillResult]:
    """`runs` kills at random moments (0 .. `max_run_s` wall seconds after the first sample)."""
    rng = random.Random(seed)
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix=f"flooding-kill-{kind}-") as folder:
            results.append(kill_once(kind, Path(folder), rng.uniform(0.0, max_run_s), speed))
    return results


def summary(results: list[KillResult]) -> str:
    """One line: kills, how many intact, the worst loss against its allowance."""
    worst = max(results, key=lambda r: r.loss_s)
    intact = sum(r.integrity == "ok" and r.reopens for r in results)
    return (
        f"{results[0].kind}: {len(results)} kills, {intact} intact and reopened, "
        f"max loss {worst.loss_s:.1f} session s (allowance {worst.allowance_s:g} s), "
        f"{sum(r.stored for r in results)} of {sum(r.received for r in results)} samples kept"
    )
