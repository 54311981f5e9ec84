"""Kill drill: `kill -9` of a recording loses at most one flush interval and never corrupts."""

from __future__ import annotations

import pytest

from tests.drills.harness import kill_drill, summary

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


class TestKillNine:
    def test_demo_killed_twenty_times(self) -> None:
        """Twenty kills of `flooding demo --speed 20` leave an intact store missing <= 1 flush."""
        results = kill_drill("demo", 20, speed=20.0, seed=20)
        print(summary(results))
        assert [r for r in results if not r.ok] == []

    def test_emulated_strap_monitor_killed(self) -> None:
        """Kills of the emulated-strap `flooding monitor` leave an intact, near-complete store."""
        results = kill_drill("monitor", 5, max_run_s=4.0, seed=5)
        print(summary(results))
        assert [r for r in results if not r.ok] == []
