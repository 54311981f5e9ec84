"""Control flood: thousands of idle connections to a real monitor; status still answers, the
monitor's memory and open files stay flat, and what the connections held is given back."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flooding.io.control import StatusReply, StatusRequest, send_command, socket_path
from tests.drills.harness import ROOT

IDLE_CONNECTIONS = 3000  # the attack used 15,000; 3,000 shows the same flat line in seconds
EVERY = 500  # status is asked after each this many idle connections
RSS_GROWTH_LIMIT_MB = 20  # before the limit, 15,000 idle connections took 1 GB

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def rss_mb(pid: int) -> float:
    """The resident memory of process `pid`, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def open_files(pid: int) -> int:
    """How many file descriptors process `pid` holds."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_idle_connections_cannot_lock_out_status_or_grow_the_monitor(tmp_path: Path) -> None:
    """Status answers after every 500 of 3,000 idle connections; RSS grows under 20 MB and
    the monitor's open files are back to where they were once the connections go."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the monitor's memory")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = IDLE_CONNECTIONS + 200
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"this process may hold only {hard} open files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOODING_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), FLOODING_EMULATED_STRAP="1")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "flooding", "monitor", "--headless", "--no-notify"),
            *("--data-dir", str(data), "--set", "strap.address=C0:FF:EE:00:00:01"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    idle: list[socket.socket] = []
    try:
        for _ in range(300):
            reply = send_command(StatusRequest(), data_dir=data)
            if isinstance(reply, StatusReply) and reply.status.session_id is not None:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the monitor did not start a session")
        rss_before, files_before = rss_mb(proc.pid), open_files(proc.pid)
        path = str(socket_path(data))
        answered = 0
        for n in range(1, IDLE_CONNECTIONS + 1):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            idle.append(sock)
            while True:
                try:
                    sock.connect(path)
                    break
                except BlockingIOError:  # the monitor's accept queue is full for a moment
                    time.sleep(0.001)
            if n % EVERY == 0:
                answered += isinstance(send_command(StatusRequest(), data_dir=data), StatusReply)
        rss_during, files_during = rss_mb(proc.pid), open_files(proc.pid)
        for sock in idle:
            sock.close()
        idle.clear()
        time.sleep(0.5)
        files_after = open_files(proc.pid)
        print(
            f"RSS {rss_before:.0f} -> {rss_during:.0f} MB with {IDLE_CONNECTIONS} idle; "
            f"open files {files_before} -> {files_during} -> {files_after}"
        )
        assert answered == IDLE_CONNECTIONS // EVERY
        assert rss_during - rss_before < RSS_GROWTH_LIMIT_MB
        assert files_during <= files_before + 16 + 2  # at most the limit, plus the one asking
        assert files_after <= files_before + 1
    finally:
        for sock in idle:
            sock.close()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "something keeps connecting without asking" in err
