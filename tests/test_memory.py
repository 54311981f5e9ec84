"""Freed memory goes back to the system: a service that once held a year of sessions for the
app's what-if does not keep that size for good."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HELD_MB = 60  # what a year of prepared sessions holds, about

# Run in a fresh interpreter: the test process's own threads and earlier tests' leftovers
# would otherwise move its resident size while it is measured.
PROBE = f"""
import json, threading
import numpy as np
from flooding.io.memory import give_back_freed_memory

def resident_mb():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc/self/status")

held = []
def fill():  # arrays of an hour of readings each, as a session's columns
    held.extend(np.ones(3600) for _ in range({HELD_MB} * 1024 * 1024 // (3600 * 8)))

give_back_freed_memory()
before = resident_mb()
worker = threading.Thread(target=fill)
worker.start()
worker.join()
full = resident_mb()
held.clear()
asked = give_back_freed_memory()
print(json.dumps({{"before": before, "full": full, "after": resident_mb(), "asked": asked}}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc: Linux")
def test_memory_freed_in_a_worker_thread_goes_back_to_the_system() -> None:
    """Many small arrays made in a worker thread (as the what-if makes them) and dropped leave
    the process as big as before once their memory is given back."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    sizes = json.loads(done.stdout)
    assert sizes["full"] - sizes["before"] > HELD_MB * 0.8
    assert sizes["asked"] is True
    assert sizes["after"] - sizes["before"] < HELD_MB * 0.3
