"""The `flooding` commands, each a process of its own, through Bleak's BlueZ backend on
BlueZoo: scan lists the strap, pair saves it, and the headless monitor finds it by address,
records a session through a drop, and stores it intact when stopped."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.ble.bluez.harness import STRAP_ADAPTER_PATH, STRAP_ADDRESS, available, bluez_stack
from tests.ble.bluez.peripheral import BluezStrap

pytestmark = [
    pytest.mark.skipif(available() is not None, reason=available() or ""),
    pytest.mark.slow,
]

STRAP_NAME = "Polar H10 0A1B2C3D"
PACKET_INTERVAL_S = 0.25  # four heart-rate notifications a second


async def flooding(*args: str, timeout_s: float = 60.0) -> tuple[int, str, str]:
    """Run `flooding ARGS` to its end; its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "flooding",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout_s)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def stored_samples(data_dir: Path) -> int:
    """How many heart samples the data folder's database holds (0 before it has tables)."""
    path = data_dir / "flooding.db"
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path)) as db:
        try:
            (count,) = db.execute("SELECT COUNT(*) FROM samples").fetchone()
        except sqlite3.OperationalError:  # the monitor has not made its tables yet
            return 0
        return int(count)


async def wait_until(condition: object, timeout_s: float) -> None:
    """Poll a zero-argument callable until it returns true."""
    assert callable(condition)
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.2)


def test_scan_pair_and_a_headless_monitor_through_a_drop(tmp_path: Path) -> None:
    """scan -> pair -> `monitor --headless` records through a drop; Ctrl-C stores it all."""
    config = tmp_path / "config.toml"
    data_dir = tmp_path / "data"

    async def scenario(bus_address: str) -> None:
        strap = BluezStrap(bus_address, STRAP_ADAPTER_PATH, STRAP_NAME)
        await strap.start()

        async def beat() -> None:
            while True:
                strap.send(70, (0.85,))
                await asyncio.sleep(PACKET_INTERVAL_S)

        beating = asyncio.create_task(beat())
        try:
            code, out, err = await flooding("scan", "--json", "--timeout", "3")
            assert code == 0, err
            assert [(s["name"], s["address"]) for s in json.loads(out)] == [
                (STRAP_NAME, STRAP_ADDRESS)
            ]
            code, out, err = await flooding(
                "pair", STRAP_ADDRESS, "--yes", "--config", str(config), "--timeout", "3"
            )
            assert code == 0, err
            assert STRAP_ADDRESS in config.read_text()

            monitor = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "flooding",
                "monitor",
                "--headless",
                "--no-notify",
                "--config",
                str(config),
                "--data-dir",
                str(data_dir),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
            )
            try:
                await wait_until(lambda: stored_samples(data_dir) >= 8, 60)
                before = stored_samples(data_dir)
                await strap.stop()  # the strap vanishes...
                await asyncio.sleep(2.0)
                await strap.start()  # ...and comes back
                await wait_until(lambda: stored_samples(data_dir) >= before + 8, 60)
            finally:
                monitor.send_signal(signal.SIGINT)
                _, err_bytes = await asyncio.wait_for(monitor.communicate(), 30)
            assert monitor.returncode == 0, err_bytes.decode()
            assert "Traceback" not in err_bytes.decode()
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
            await strap.stop()

    with bluez_stack() as stack:
        asyncio.run(scenario(stack.bus_address))

    with contextlib.closing(sqlite3.connect(data_dir / "flooding.db")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        sessions = db.execute("SELECT COUNT(*) FROM sessions").fetchone()
        assert sessions == (1,)
        (bpms,) = db.execute("SELECT GROUP_CONCAT(DISTINCT bpm) FROM samples").fetchone()
        assert bpms == "70.0"
