"""A private BlueZ D-Bus stack for tests: a dbus-daemon as the system bus, and BlueZoo on it.

`bluez_stack()` starts both (two adapters: hci0 for this computer, hci1 for the strap),
points `DBUS_SYSTEM_BUS_ADDRESS` at the private bus, so Bleak's own BlueZ backend talks to
it unmodified, and tears everything down afterwards. Faults are queued with
`stack.inject(kind, ...)` (see `bluezoo_service`). The strap is a `BluezStrap` that the
scenario starts inside its own event loop.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

HOST_ADAPTER = "00:AA:AA:AA:AA:01"  # this computer's adapter (hci0)
STRAP_ADDRESS = "C0:FF:EE:00:00:01"  # the strap's adapter (hci1)
STRAP_ADAPTER_PATH = "/org/bluez/hci1"
HOST_ADAPTER_PATH = "/org/bluez/hci0"
STRAP_DEVICE_PATH = HOST_ADAPTER_PATH + "/dev_" + STRAP_ADDRESS.replace(":", "_")
START_TIMEOUT_S = 20.0  # BlueZoo starts in well under a second; CI machines can be slow

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={dir}/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"""


def available() -> str | None:
    """None when the stack can run here, else why not (for a skip reason)."""
    if shutil.which("dbus-daemon") is None:
        return "dbus-daemon is not installed (Debian package dbus)"
    try:
        import bluezoo  # noqa: F401
    except ImportError:
        return "BlueZoo is not installed (pip install bluezoo; the dev extra has it)"
    return None


@dataclass
class BluezStack:
    """The running private bus and BlueZoo; faults go through a JSON file BlueZoo reads."""

    bus_address: str
    folder: Path
    bus: subprocess.Popen[bytes]
    zoo: subprocess.Popen[bytes] | None = None
    log: list[Path] = field(default_factory=list)

    @property
    def faults_file(self) -> Path:
        return self.folder / "faults.json"

    def inject(self, kind: str, *faults: dict[str, Any]) -> None:
        """Queue faults for the next calls of `kind` ("connect", "discovery", ...)."""
        current = (
            json.loads(self.faults_file.read_text() or "{}") if self.faults_file.exists() else {}
        )
        current.setdefault(kind, []).extend(faults)
        self.faults_file.write_text(json.dumps(current))

    def pending(self, kind: str) -> int:
        """How many faults of `kind` are still queued."""
        if not self.faults_file.exists():
            return 0
        return len(json.loads(self.faults_file.read_text() or "{}").get(kind, []))

    async def call(
        self,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
    ) -> list[Any]:
        """Call a BlueZ method as another program on this computer would; raises on an error."""
        bus = await MessageBus(bus_address=self.bus_address, bus_type=BusType.SYSTEM).connect()
        try:
            reply = await bus.call(
                Message(
                    destination="org.bluez",
                    path=path,
                    interface=interface,
                    member=member,
                    signature=signature,
                    body=body or [],
                )
            )
        finally:
            bus.disconnect()
        assert reply is not None
        if reply.message_type == MessageType.ERROR:
            raise RuntimeError(f"{member}: {reply.error_name} {reply.body}")
        return list(reply.body)

    async def set_powered(self, adapter_path: str, on: bool) -> None:
        """Switch an adapter on or off, as `bluetoothctl power on|off` does."""
        await self.call(
            adapter_path,
            "org.freedesktop.DBus.Properties",
            "Set",
            "ssv",
            ["org.bluez.Adapter1", "Powered", Variant("b", on)],
        )

    async def drop_link(self) -> None:
        """The radio link between this computer and the strap goes down (out of range)."""
        await self.call(STRAP_DEVICE_PATH, "org.bluez.Device1", "Disconnect")

    async def connect_behind_our_back(self) -> None:
        """Leave the strap connected in BlueZ, as a crashed run of the monitor does."""
        await self.call(STRAP_DEVICE_PATH, "org.bluez.Device1", "Connect")

    def restart_bus(self) -> None:
        """The system bus goes down and comes back at the same address (BlueZoo with it)."""
        self.stop_bluez()
        self.bus.kill()
        self.bus.wait(timeout=10)
        (self.folder / "system_bus_socket").unlink(missing_ok=True)
        self.bus = _start_bus(self.folder)
        self.start_bluez()

    def start_bluez(self) -> None:
        """Start (or restart) BlueZoo, as bluetoothd starts."""
        log = self.folder / f"bluezoo-{len(self.log)}.log"
        self.log.append(log)
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus_address)
        root = Path(__file__).resolve().parents[3]
        self.zoo = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.ble.bluez.bluezoo_service",
                "--faults",
                str(self.faults_file),
                "-a",
                HOST_ADAPTER,
                "-a",
                STRAP_ADDRESS,
            ],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log.open("wb"),
        )
        assert self.zoo.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        line = self.zoo.stdout.readline()
        if line.strip() != b"ready" or time.monotonic() > deadline:
            raise RuntimeError(f"BlueZoo did not start: {log.read_text()}")

    def stop_bluez(self) -> None:
        """Stop BlueZoo, as bluetoothd stopping or crashing does."""
        if self.zoo is not None and self.zoo.poll() is None:
            self.zoo.send_signal(signal.SIGKILL)
            self.zoo.wait(timeout=10)
        self.zoo = None


def _start_bus(folder: Path) -> subprocess.Popen[bytes]:
    """A dbus-daemon listening at FOLDER/system_bus_socket, ready when this returns."""
    bus = subprocess.Popen(
        ["dbus-daemon", "--nofork", "--config-file", str(folder / "bus.conf"), "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert bus.stdout is not None
    bus.stdout.readline()  # the address, printed once the socket listens
    return bus


@contextlib.contextmanager
def bluez_stack() -> Iterator[BluezStack]:
    """A private system bus with BlueZoo on it; DBUS_SYSTEM_BUS_ADDRESS points there."""
    folder = Path(tempfile.mkdtemp(prefix="flooding-bluez-"))
    (folder / "bus.conf").write_text(BUS_CONFIG.format(dir=folder))
    bus = _start_bus(folder)
    address = f"unix:path={folder}/system_bus_socket"
    previous = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = address
    stack = BluezStack(bus_address=address, folder=folder, bus=bus)
    try:
        stack.start_bluez()
        yield stack
    finally:
        stack.stop_bluez()
        bus.terminate()
        bus.wait(timeout=10)
        if previous is None:
            os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = previous
        shutil.rmtree(folder, ignore_errors=True)
