"""No network: recording, review and replay open no internet socket (Unix sockets allowed);
the only one the demo and the monitor open is the app's listener on 127.0.0.1."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests._data import requires_data
from tests.drills.harness import ROOT, probe_env, read_probe

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


# what serving the app on the loopback address looks like to the probe: one socket, bound to
# 127.0.0.1; any connect, send, lookup or other address is a line this does not match
LOOPBACK_LISTENER = re.compile(
    r"^(socket\.__new__ family=AF_INET|socket\.bind \('127\.0\.0\.1', \d+\))$"
)


def beyond_the_app_listener(log: str) -> list[str]:
    """The probe's lines that are not the app's own loopback listener."""
    return [line for line in log.splitlines() if not LOOPBACK_LISTENER.match(line)]


def run_probed(tmp_path: Path, *args: str) -> str:
    """Run a flooding command under the network probe; what it recorded."""
    net = tmp_path / "net.log"
    done = subprocess.run(
        [sys.executable, "-m", "tests.drills.probe", *args],
        cwd=ROOT,
        env=probe_env(tmp_path, net=net),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return net.read_text() if net.exists() else ""


class TestNoNetwork:
    def test_demo_and_review(self, tmp_path: Path) -> None:
        """The demo records a session, sessions and review read it, and none touches the net
        (the demo's only internet socket is the app's listener on 127.0.0.1; none without it)."""
        data = str(tmp_path / "data")
        served = run_probed(tmp_path, "demo", "--speed", "0", "--no-notify", "--data-dir", data)
        assert "socket.bind ('127.0.0.1'" in served
        assert beyond_the_app_listener(served) == []
        (tmp_path / "net.log").unlink()
        args = ("demo", "--speed", "0", "--no-notify", "--no-app", "--data-dir", data)
        assert run_probed(tmp_path, *args) == ""
        practice = str(tmp_path / "data" / "demo")  # the demo keeps its sessions apart
        assert run_probed(tmp_path, "sessions", "--data-dir", practice) == ""
        assert run_probed(tmp_path, "review", "--data-dir", practice) == ""

    def test_demo_with_notifications_on(self, tmp_path: Path) -> None:
        """With notifications on and no remote target set (the default), the demo's alert,
        chime and desktop notification open no internet socket (the local app left out)."""
        data = str(tmp_path / "data")
        args = ("demo", "--speed", "0", "--no-app", "--data-dir", data)  # the app listens
        assert run_probed(tmp_path, *args) == ""

    def test_probe_sees_internet_sockets(self, tmp_path: Path) -> None:
        """The probe itself records an internet socket, so silence above means something."""
        net = tmp_path / "net.log"
        code = (
            "from tests.drills.probe import _network_probe; import os, socket; "
            "_network_probe(os.environ['FLOODING_PROBE_NET']); "
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0)); "
            "u = socket.socketpair()"
        )
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=probe_env(tmp_path, net=net), check=True
        )
        logged = net.read_text()
        assert "socket.bind" in logged
        assert "family=AF_INET" in logged
        assert "AF_UNIX" not in logged

    def test_emulated_strap_monitor(self, tmp_path: Path) -> None:
        """The monitor on the emulated strap records samples with no internet socket but the
        app's listener on 127.0.0.1."""
        net, samples = tmp_path / "net.log", tmp_path / "samples.probe"
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "tests.drills.probe", "monitor", "--no-notify", "--quiet",
                "--data-dir", str(tmp_path / "data"), "--timeout", "1",
            ],
            cwd=ROOT,
            env=probe_env(tmp_path, net=net, samples=samples),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            for _ in range(600):
                probe = read_probe(samples)
                if probe is not None and probe[1] - probe[0] >= 2.0:
                    break
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.1)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, err
        assert read_probe(samples) is not None
        assert beyond_the_app_listener(net.read_text() if net.exists() else "") == []

    @requires_data
    def test_replay_of_every_recording(self, tmp_path: Path) -> None:
        """Reading every shared recording and replaying it through the engine opens no socket."""
        net = tmp_path / "net.log"
        code = (
            "import os; from tests.drills.probe import _network_probe; "
            "_network_probe(os.environ['FLOODING_PROBE_NET'])\n"
            "from flooding.io.config_files.loading import default_settings\n"
            "from flooding.core.engine import run_batch\n"
            "from flooding.io.readers import read\n"
            "from tests._data import recording, DATA\n"
            "for path in sorted((DATA / 'recordings').iterdir()):\n"
            "    if path.suffix in ('.txt', '.csv', '.hrm') and 'fitbit' not in path.name:\n"
            "        run_batch(read(path).samples, default_settings(), keep_readings=True)\n"
        )
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=probe_env(tmp_path, net=net), check=True
        )
        assert (net.read_text() if net.exists() else "") == ""
