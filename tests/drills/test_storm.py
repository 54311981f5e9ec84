"""Strap storm: the emulated strap drops and returns many times; nothing leaks, nothing fails."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.drills.harness import ROOT

STORM_CYCLES = 40  # CI's short storm; `scripts/ble-soak` (200 by default) is the long one

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_short_storm() -> None:
    """Forty drop/return cycles in one stream: every cycle resumes, no task, fd or RSS growth."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "ble-soak"), "--cycles", str(STORM_CYCLES)],
        cwd=ROOT,
        env={"FLOODING_SOAK_REEXEC": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"cycles: {STORM_CYCLES} drop/return" in done.stdout
    assert "GREW" not in done.stdout
