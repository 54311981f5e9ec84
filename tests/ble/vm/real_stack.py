"""The guest side of `scripts/vm-smoke`: the emulated strap on the real kernel Bluetooth stack.

Run as root inside the VM, after `bluetoothd` is up: a Bumble controller on `/dev/vhci` (the
computer's adapter, hci0) shares a radio link with the project's emulated strap; then
`flooding monitor --headless` records through bluetoothd while the strap drops and returns.
Prints one JSON line of results (`VM-SMOKE-RESULT {...}`) and exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from flooding.lab.emulator import EmulatedAir, EmulatedStrap

log = logging.getLogger("vm-smoke")

ADAPTER_PATH = "/org/bluez/hci0"
ADAPTER_ADDRESS = "F0:00:00:00:00:AA"  # the computer's adapter; straps use other prefixes
ADAPTER_TIMEOUT_S = 30.0  # bluetoothd registers a new vhci adapter within a second or two
POLL_S = 0.1  # how often the SQLite file is read; the recorder commits every second
SAMPLES_BEFORE_DROP = 5  # enough to show the session is recording through bluetoothd
SAMPLES_AFTER_RETURN = 3  # enough to show the same session goes on
FIRST_SAMPLES_TIMEOUT_S = 300.0  # the monitor starts, scans, connects: 80-120 s under TCG here
RETURN_TIMEOUT_S = 90.0  # reconnect after the strap is back, under TCG emulation
AWAY_S = 3.0  # how long the strap stays out of range: a short drop, the same session
STOP_TIMEOUT_S = 30.0  # the monitor ends its session and exits on SIGTERM

RESULT_PREFIX = "VM-SMOKE-RESULT "


class SmokeFailure(Exception):
    """The smoke test found something wrong; the message says what."""


@dataclass
class Result:
    """What one run measured (seconds are wall-clock, inside the guest)."""

    first_sample_s: float  # from starting the monitor to its first stored sample
    return_to_first_reading_s: float  # from the strap advertising again to a reading's stamp
    return_to_first_sample_s: float  # ... to that reading stored (commits come every second)
    samples_before_drop: int
    samples_after_return: int
    sessions: int
    session_ended: bool
    strap_address: str | None
    monitor_exit_code: int


async def open_vhci_controller(air: EmulatedAir) -> Any:
    """A Bumble controller on /dev/vhci, on the strap's link: the kernel sees it as hci0.

    Returns the transport, to close at the end.
    """
    from bumble import hci
    from bumble.controller import Controller
    from bumble.transport import open_transport

    class OneAddressController(Controller):
        """A controller that keeps its public address on the link.

        Bumble's LocalLink sends LE data from the sender's random address even on a link
        made with its public one, and the kernel sets a fresh random address for every
        active scan: the strap would drop every packet of the computer's link as unknown.
        """

        @property
        def random_address(self) -> Any:
            return self.public_address

        @random_address.setter
        def random_address(self, address: Any) -> None:
            pass  # scans and connections from this computer all use its public address

    controller = OneAddressController("computer", link=air.link, public_address=ADAPTER_ADDRESS)
    # Bumble's controller announces LL privacy and extended advertising, which the kernel
    # then drives in ways Bumble does not fully emulate: turn both off (a known workaround).
    controller.le_features &= ~(
        hci.LeFeatureMask.LL_PRIVACY | hci.LeFeatureMask.LE_EXTENDED_ADVERTISING
    )
    # The kernel sends HCI Reset as soon as the device exists and gives up after 10 s, and
    # an unwired transport drops what it reads: the controller is built first and wired
    # the moment /dev/vhci is open, before the event loop can read the first command.
    transport = await open_transport("vhci")
    transport.source.set_packet_sink(controller)
    controller.host = transport.sink
    return transport


async def power_on_adapter() -> None:
    """Wait for bluetoothd to register hci0, then power it on over D-Bus."""
    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    try:
        deadline = time.monotonic() + ADAPTER_TIMEOUT_S
        while True:
            reply = await bus.call(
                Message(
                    destination="org.bluez",
                    path=ADAPTER_PATH,
                    interface="org.freedesktop.DBus.Properties",
                    member="Set",
                    signature="ssv",
                    body=["org.bluez.Adapter1", "Powered", Variant("b", True)],
                )
            )
            if reply is not None and reply.message_type == MessageType.METHOD_RETURN:
                log.info("hci0 is powered on")
                return
            if time.monotonic() > deadline:
                error = reply.body if reply is not None else "no reply"
                raise SmokeFailure(f"bluetoothd did not power on hci0: {error}")
            await asyncio.sleep(0.5)
    finally:
        bus.disconnect()


def sample_count(db: Path) -> int:
    """Samples stored so far (0 before the database exists)."""
    if not db.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        try:
            row = connection.execute("SELECT COUNT(*) FROM samples").fetchone()
        except sqlite3.OperationalError:  # the schema is not written yet
            return 0
    return int(row[0])


async def wait_for_samples(
    db: Path, at_least: int, timeout_s: float, monitor: asyncio.subprocess.Process
) -> float:
    """Wait until `at_least` samples are stored; returns the time.monotonic() it happened."""
    deadline = time.monotonic() + timeout_s
    while sample_count(db) < at_least:
        if monitor.returncode is not None:
            raise SmokeFailure(f"the monitor exited early with code {monitor.returncode}")
        if time.monotonic() > deadline:
            raise SmokeFailure(
                f"only {sample_count(db)} of {at_least} samples stored after {timeout_s:.0f} s"
            )
        await asyncio.sleep(POLL_S)
    return time.monotonic()


def check_store(db: Path, address: str, dropped_at: float, returned_at: float) -> dict[str, Any]:
    """The stored session: one session row, ended, the strap's address, samples on both sides."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        sessions = connection.execute(
            "SELECT id, ended_s, strap_address, source FROM sessions"
        ).fetchall()
        if len(sessions) != 1:
            raise SmokeFailure(f"expected one session across the drop, found {len(sessions)}")
        session_id, ended_s, strap_address, source = sessions[0]
        before, after = connection.execute(
            "SELECT SUM(t_s < ?), SUM(t_s > ?) FROM samples WHERE session_id = ?",
            (dropped_at, returned_at, session_id),
        ).fetchone()
    if source != "ble":
        raise SmokeFailure(f"the session's source is {source!r}, not 'ble'")
    if (strap_address or "").upper() != address.upper():
        raise SmokeFailure(f"the session's strap is {strap_address!r}, not {address}")
    if ended_s is None:
        raise SmokeFailure("the session was not ended when the monitor stopped")
    if not before or not after:
        raise SmokeFailure(f"samples before the drop: {before}, after the return: {after}")
    return {
        "sessions": len(sessions),
        "session_ended": True,
        "strap_address": strap_address,
        "samples_before_drop": int(before),
        "samples_after_return": int(after),
    }


async def start_monitor(work: Path, address: str, name: str) -> asyncio.subprocess.Process:
    """`flooding monitor --headless` through the real Bleak backend (BlueZ), paired to `address`."""
    config = work / "config.toml"
    config.write_text(f'[strap]\naddress = "{address}"\nname = "{name}"\n')
    env = {**os.environ, "FLOODING_CONFIG": str(config), "HOME": str(work)}
    env.pop("FLOODING_EMULATED_STRAP", None)  # never the in-process emulator's backend
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "flooding",
        "-v",  # the strap's connection steps in the log, for a failure's story
        "monitor",
        "--headless",
        "--no-notify",
        "--data-dir",
        str(work / "data"),
        env=env,
    )


async def stop_monitor(monitor: asyncio.subprocess.Process) -> int:
    """SIGTERM (as the service manager stops it), then its exit code."""
    if monitor.returncode is None:
        monitor.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(monitor.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            monitor.kill()
            await monitor.wait()
    assert monitor.returncode is not None
    return monitor.returncode


def first_reading_after(db: Path, t_s: float) -> float:
    """The time stamp of the first stored sample read after `t_s` (wall clock)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        (first,) = connection.execute(
            "SELECT MIN(t_s) FROM samples WHERE t_s > ?", (t_s,)
        ).fetchone()
    return float(first)


async def run(work: Path) -> Result:
    """The whole smoke flow; raises SmokeFailure with what went wrong."""
    db = work / "data" / "flooding.db"
    async with EmulatedAir() as air:
        # The strap first: starting it imports most of Bumble, which under emulation can
        # hold the event loop longer than the kernel waits for an answer on /dev/vhci.
        strap = await EmulatedStrap(air).start()
        transport = await open_vhci_controller(air)
        try:
            await power_on_adapter()
            started = time.monotonic()
            monitor = await start_monitor(work, strap.address, strap.name)
            try:
                first = await wait_for_samples(db, 1, FIRST_SAMPLES_TIMEOUT_S, monitor)
                log.info("first sample stored %.1f s after the monitor started", first - started)
                await wait_for_samples(db, SAMPLES_BEFORE_DROP, FIRST_SAMPLES_TIMEOUT_S, monitor)
                dropped_at = time.time()
                await strap.drop()
                log.info("strap dropped")
                await asyncio.sleep(AWAY_S)
                stored = sample_count(db)
                returned_at, returned = time.time(), time.monotonic()
                await strap.come_back()
                log.info("strap back in range")
                back = await wait_for_samples(db, stored + 1, RETURN_TIMEOUT_S, monitor)
                log.info("first sample after the return stored %.1f s later", back - returned)
                await wait_for_samples(db, stored + SAMPLES_AFTER_RETURN, RETURN_TIMEOUT_S, monitor)
            finally:
                exit_code = await stop_monitor(monitor)
            if exit_code != 0:
                raise SmokeFailure(f"the monitor exited with code {exit_code}")
            stored_session = check_store(db, strap.address, dropped_at, returned_at)
            return Result(
                first_sample_s=round(first - started, 2),
                return_to_first_reading_s=round(
                    first_reading_after(db, returned_at) - returned_at, 2
                ),
                return_to_first_sample_s=round(back - returned, 2),
                monitor_exit_code=exit_code,
                **stored_session,
            )
        finally:
            await air.close()
            await transport.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("work", type=Path, help="an empty folder for the data and config")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s vm-smoke: %(message)s")
    try:
        result = asyncio.run(run(args.work))
    except SmokeFailure as failure:
        print(f"vm-smoke: FAILED: {failure}", file=sys.stderr)
        return 1
    print(RESULT_PREFIX + json.dumps(asdict(result)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
