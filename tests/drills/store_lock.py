"""The held-database drills: another program keeps the write lock for a minute while the demo
records, at its start or in the middle; a large import into the same folder while it records.

The demo (`flooding demo`, the simulated talk, or `--ble` through the real Bleak code to the
emulated strap, whose stall watchdog would call a blocked event loop a silent strap) runs in
its own process; this process holds SQLite's write lock on the same file. Afterwards the
database must hold every sample of the talk, no gap, no link other than "connected", and the
demo must have ended normally.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flooding.io.store import DB_NAME, Store
from flooding.lab.simulate import hard_talk, packets

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 600.0  # generous: a loaded machine; not a speed check


@dataclass(frozen=True)
class LockResult:
    """One run: how long the lock was held and what the database held afterwards."""

    when: str  # "start" or "mid-run"
    held_s: float
    exit_code: int
    expected: int
    stored: int
    gaps: int
    links: tuple[str, ...]

    @property
    def lost(self) -> int:
        """Samples of the talk that are not in the database."""
        return self.expected - self.stored

    @property
    def stalls(self) -> int:
        """Link changes after the strap first connected (a stall, a drop, a reconnect)."""
        if "connected" not in self.links:
            return len(self.links)
        return len(self.links) - 1 - self.links.index("connected")

    @property
    def ok(self) -> bool:
        """Nothing lost, no gap, no false stall, no crash."""
        return self.exit_code == 0 and self.lost == 0 and self.gaps == 0 and self.stalls == 0


def talk_samples() -> int:
    """How many samples the demo's talk has."""
    return sum(1 for _, message in packets(hard_talk()) if message is not None)


def lock_drill(when: str, hold_s: float, speed: float, ble: bool = False) -> LockResult:
    """Run the demo while the write lock is held for `hold_s` (from its start, or from its
    first stored sample) and report what was stored."""
    with tempfile.TemporaryDirectory(prefix="flooding-lock-") as folder:
        data = Path(folder)
        Store.open(data).close()
        path = data / DB_NAME
        holder = sqlite3.connect(path, timeout=RUN_TIMEOUT_S)
        command = [sys.executable, "-m", "flooding", "demo", "--speed", str(speed)]
        command += ["--no-notify", "--with-real", "--data-dir", str(data)]
        command += ["--ble"] if ble else []
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if when == "start":
            holder.execute("BEGIN IMMEDIATE")
            taken = time.monotonic()
        demo = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if when != "start":
            while not holder.execute("SELECT COUNT(*) FROM samples").fetchone()[0]:
                time.sleep(0.1)
            holder.execute("BEGIN IMMEDIATE")
            taken = time.monotonic()
        time.sleep(max(0.0, hold_s - (time.monotonic() - taken)))
        held_s = time.monotonic() - taken
        holder.rollback()
        holder.close()
        try:
            _, err = demo.communicate(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            demo.kill()
            _, err = demo.communicate()
        if demo.returncode:
            sys.stderr.write(err.decode(errors="replace")[-2000:])
        check = sqlite3.connect(path)
        stored = check.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
        gaps = check.execute("SELECT COUNT(*) FROM events WHERE kind='gap-detected'").fetchone()
        links = tuple(
            row[0]
            for row in check.execute(
                "SELECT json_extract(data_json, '$.state') FROM events WHERE kind='link'"
            )
        )
        check.close()
        return LockResult(when, held_s, demo.returncode, talk_samples(), stored, gaps[0], links)


@dataclass(frozen=True)
class ImportResult:
    """The demo recording while a large file is imported into the same folder."""

    rows: int
    import_exit: int
    import_s: float
    demo_exit: int
    expected: int
    stored: int  # the demo's samples in the database
    longest_wait_s: float | None  # the longest a demo write waited to be saved

    @property
    def ok(self) -> bool:
        """Both ended normally and the demo lost nothing."""
        return self.import_exit == 0 and self.demo_exit == 0 and self.stored == self.expected


def write_big_csv(path: Path, rows: int) -> None:
    """A generic-CSV recording of `rows` one-second samples (the export format)."""
    start = 1_600_000_000.0
    with path.open("w", encoding="utf-8") as out:
        out.write("time_unix_s,hr_bpm,rr_ms,contact\n")
        for k in range(rows):
            bpm = 60 + (k // 60) % 40
            out.write(f"{start + k:.3f},{bpm},{60000 / bpm:.6g},1\n")


def import_drill(rows: int, speed: float) -> ImportResult:
    """Run the demo and, once it records, import a `rows`-sample file into its folder."""
    with tempfile.TemporaryDirectory(prefix="flooding-import-") as folder:
        data = Path(folder) / "data"
        Store.open(data).close()
        big = Path(folder) / "big.csv"
        write_big_csv(big, rows)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        demo = subprocess.Popen(
            [
                *(sys.executable, "-m", "flooding", "-v", "demo", "--speed", str(speed)),
                *("--no-notify", "--with-real", "--data-dir", str(data)),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        watch = sqlite3.connect(data / DB_NAME)
        while not watch.execute("SELECT COUNT(*) FROM samples").fetchone()[0]:
            time.sleep(0.1)
        watch.close()
        began = time.monotonic()
        imported = subprocess.run(
            [sys.executable, "-m", "flooding", "import", str(big), "--data-dir", str(data)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            check=False,
        )
        import_s = time.monotonic() - began
        _, err = demo.communicate(timeout=RUN_TIMEOUT_S)
        text = err.decode(errors="replace")
        longest = None
        for line in text.splitlines():
            if "waited to be saved:" in line:
                longest = float(line.rsplit(":", 1)[1].strip().split()[0])
        check = sqlite3.connect(data / DB_NAME)
        stored = check.execute(
            "SELECT COUNT(*) FROM samples WHERE session_id ="
            " (SELECT id FROM sessions WHERE source NOT LIKE 'import%')"
        ).fetchone()[0]
        check.close()
        return ImportResult(
            rows,
            imported.returncode,
            import_s,
            demo.returncode,
            talk_samples(),
            stored,
            longest,
        )
