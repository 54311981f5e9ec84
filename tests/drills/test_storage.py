"""Storage trouble: an unwritable folder stops before starting; a full disk never stops alerts."""

from __future__ import annotations

import asyncio
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from flooding.app.session import SessionRunner
from flooding.io.config_files.loading import default_settings
from flooding.io.store import Store
from flooding.lab.simulate import SimulatedStrap, hard_talk
from tests.drills.harness import ROOT, command, probe_env
from tests.fakes import RecordingView

FULL_AFTER_BYTES = 160 * 1024  # the file-size limit standing in for a full disk


def flooding(
    tmp_path: Path, *args: str, limit_bytes: int | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a flooding command (optionally with a file-size limit: writes beyond it fail)."""

    def limit() -> None:
        if limit_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(
        [sys.executable, "-m", "tests.drills.probe", *args],
        cwd=ROOT,
        env=probe_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=limit,
    )


def unwritable_folders(tmp_path: Path) -> list[Path]:
    """Data folders that cannot be created, even by root: under a file, under /sys."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    folders = [blocker / "data"]
    if Path("/sys").is_dir():
        folders.append(Path("/sys/flooding-drill-data"))
    return folders


@pytest.mark.slow
class TestUnwritableAtStart:
    @pytest.mark.parametrize("kind", ["demo", "monitor"])
    def test_refuses_before_starting(self, tmp_path: Path, kind: str) -> None:
        """An unwritable data folder ends the command at once, non-zero, naming the folder."""
        for folder in unwritable_folders(tmp_path):
            done = flooding(tmp_path, *command(kind, folder, speed=0))
            assert done.returncode != 0
            out = done.stdout + done.stderr
            assert str(folder) in out
            assert "writable folder" in out
            assert "Traceback" not in out
            assert "Watching" not in out


class FailingStore(Store):
    """A store whose commits fail after the first few, like a disk that fills up."""

    ok_flushes = 3

    def flush(self) -> None:
        if self.ok_flushes <= 0:
            raise sqlite3.OperationalError("database or disk is full")
        self.ok_flushes -= 1
        super().flush()


class TestDiskFillsMidSession:
    def test_flush_failures_do_not_stop_alerts(self, tmp_path: Path) -> None:
        """With every commit failing after the third, the talk still alerts and the run ends."""
        real = Store.open(tmp_path)
        store = FailingStore(real.db, real.path)
        view = RecordingView()
        runner = SessionRunner(
            source=SimulatedStrap(hard_talk(), start_s=0.0, speed=2000.0),
            settings=default_settings(),
            store=store,
            view=view,
            source_kind="drill",
            flush_interval_s=0.01,
        )
        outcome = asyncio.run(runner.run())
        assert outcome.alerts == 1
        assert outcome.ready == 1
        assert any("still watching" in text for text in view.infos)
        assert any("end of the session" in text for text in view.infos)
        assert len(view.messages) >= 2

    @pytest.mark.slow
    def test_real_write_failures_keep_the_demo_alerting(self, tmp_path: Path) -> None:
        """When the database may not grow (a full disk), the demo still alerts and ends cleanly,
        saying how many samples it could not save, without a "Nothing is lost" beside it."""
        folder = tmp_path / "data"
        Store.open(folder).close()  # the empty database fits; the session does not
        done = flooding(tmp_path, *command("demo", folder, speed=200), limit_bytes=FULL_AFTER_BYTES)
        # said once, not with every save (the file-size limit reads as an I/O error)
        assert done.stdout.count("New samples cannot be saved for now: the disk") == 1
        assert "They are kept and saved as soon as it can be written again" in done.stdout
        assert "You're flooded" in done.stdout
        assert "ready to return" in done.stdout.lower()
        assert "Traceback" not in done.stderr
        assert done.returncode == 0 or "flooding:" in done.stderr
        # the samples held in memory at the end are lost: that is said, never "Nothing is lost"
        assert "could not save the last" in done.stderr
        assert "Nothing is lost" not in done.stderr
