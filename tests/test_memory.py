"""Freed memory goes back to the system: a service that once held a year of sessions for the
app's what-if does not keep that size for good."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from flooding.io.memory import give_back_freed_memory

HELD_MB = 60  # what a year of prepared sessions holds, about


def resident_mb() -> float:
    """This process's resident memory (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc: Linux")
def test_memory_freed_in_a_worker_thread_goes_back_to_the_system() -> None:
    """Many small arrays made in a worker thread (as the what-if makes them) and dropped leave
    the process as big as before once their memory is given back."""
    held: list[np.ndarray] = []

    def fill() -> None:  # arrays of an hour of readings each, as a session's columns
        held.extend(np.ones(3600) for _ in range(HELD_MB * 1024 * 1024 // (3600 * 8)))

    give_back_freed_memory()  # what earlier tests freed is not counted as new
    before = resident_mb()
    worker = threading.Thread(target=fill)
    worker.start()
    worker.join()
    assert resident_mb() - before > HELD_MB * 0.8
    held.clear()
    assert give_back_freed_memory()
    assert resident_mb() - before < HELD_MB * 0.3
