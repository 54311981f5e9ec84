"""BlueZoo (a user-space BlueZ D-Bus service) with the harness's patches and injected faults.

Run as `python -m tests.ble.bluez.bluezoo_service --faults FILE -a ADDR -a ADDR`. Two gaps
of BlueZoo 1.0.2 are closed here, as bluetoothd behaves: on disconnect the GATT link
objects are unexported and ServicesResolved goes back to false (else a reconnect fails with
EEXIST); a new scan re-announces a known device (an RSSI change, as bluetoothd emits).
Faults: FILE holds a JSON object of lists, e.g. {"connect": [{"error":
"org.bluez.Error.Failed", "message": "le-connection-abort-by-local"}]}; each call takes
the first entry of its list. `{"hang": true}` never answers; `{"remove": true}` removes
the device object first (UnknownObject); `{"connected_briefly": true}` shows the link up and
down before the error, as BlueZ does for le-connection-abort-by-local;
`{"drop_while_resolving": true}` connects and disconnects before services are resolved;
`{"services_vanish": true}` resolves the characteristics but not their service (a service
removed mid-enumeration: Bleak's KeyError).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any

import sdbus
from bluezoo import bluezoo as service_module
from bluezoo import exceptions as bluezoo_exceptions
from bluezoo.adapter import Adapter
from bluezoo.device import Device
from bluezoo.gatt import GattCharacteristicClientLink, GattServiceClientLink
from sdbus import dbus_exceptions as sdbus_exceptions

FAULTS: Path | None = None


def take_fault(kind: str) -> dict[str, Any] | None:
    """The next fault queued for `kind`, removed from the file; None when there is none."""
    if FAULTS is None or not FAULTS.exists():
        return None
    faults = json.loads(FAULTS.read_text() or "{}")
    queue = faults.get(kind) or []
    if not queue:
        return None
    fault = queue.pop(0)
    FAULTS.write_text(json.dumps(faults))
    return dict(fault)


_ERROR_CLASSES: dict[str, type[sdbus.DbusFailedError]] = {
    cls.dbus_error_name: cls
    for module in (sdbus_exceptions, bluezoo_exceptions)
    for cls in vars(module).values()
    if isinstance(cls, type)
    and issubclass(cls, sdbus.DbusFailedError)
    and getattr(cls, "dbus_error_name", None)
}


def error_class(name: str) -> type[sdbus.DbusFailedError]:
    """The D-Bus error class of that name (org.bluez.Error.*); sdbus maps each name once."""
    if name not in _ERROR_CLASSES:
        attributes = {"dbus_error_name": name}
        _ERROR_CLASSES[name] = type(
            name.rsplit(".", 1)[-1] + "Error", (sdbus.DbusFailedError,), attributes
        )
    return _ERROR_CLASSES[name]


async def raise_fault(fault: dict[str, Any]) -> None:
    if fault.get("hang"):
        await asyncio.Event().wait()
    delay = float(fault.get("delay_s", 0))
    if delay:
        await asyncio.sleep(delay)
    if "error" in fault:
        raise error_class(str(fault["error"]))(str(fault.get("message", "")))


_original_connect = Device.connect
_original_disconnect = Device.disconnect


async def connect(self: Device, uuid: str | None = None) -> None:
    fault = take_fault("connect")
    if fault is not None:
        if fault.get("remove"):
            await self.adapter.del_device(self)
            raise error_class("org.freedesktop.DBus.Error.UnknownObject")("device was removed")
        if fault.get("drop_while_resolving"):
            # The link comes up, then goes down before the services are resolved.
            await self.peer_adapter.add_device(self.peer)
            await self.Connected.set_async(True)
            await asyncio.sleep(0.05)
            await self.Connected.set_async(False)
            return
        if fault.get("services_vanish"):
            mock = self.peer_adapter.mock
            export = mock.export_object

            def export_without_services(path: str, obj: object) -> None:
                if not isinstance(obj, GattServiceClientLink):
                    export(path, obj)

            mock.export_object = export_without_services
            try:
                await _original_connect(self, uuid)
            finally:
                mock.export_object = export
            return
        if fault.get("connected_briefly"):
            # As BlueZ does with le-connection-abort-by-local: the link came up and broke.
            await self.peer_adapter.add_device(self.peer)
            await self.Connected.set_async(True)
            await self.Connected.set_async(False)
        await raise_fault(fault)
    await _original_connect(self, uuid)


async def disconnect(self: Device, uuid: str | None = None) -> None:
    """Disconnect as bluetoothd does: the link's notifications stop (the peripheral app gets
    StopNotify), ServicesResolved goes false and the remote GATT objects are unexported, all
    before Connected goes false, so a client that reconnects at once finds a clean device."""
    for device in (self, self.peer):
        if device is None:
            continue
        for link in list(device.services.values()):
            if isinstance(link, GattCharacteristicClientLink) and link.client.Notifying.get(False):
                link.client_props_changed_subscription.unsubscribe()
                with contextlib.suppress(Exception):  # the peripheral app may be gone
                    await link.client.StopNotify()
            with contextlib.suppress(KeyError):  # already unexported
                device.peer_adapter.mock.remove_object(link)
        device.services.clear()
        with contextlib.suppress(Exception):  # the device object may already be gone
            await device.ServicesResolved.set_async(False)
    await _original_disconnect(self, uuid)


_original_add_device = Adapter.add_device


async def add_device(self: Adapter, device: Device) -> None:
    path = "/".join((self.get_object_path(), f"dev_{device.address.replace(':', '_')}"))
    known = self.devices.get(path)
    await _original_add_device(self, device)
    if known is not None and self.discovering:
        # bluetoothd reports every advertisement of a known device as an RSSI change.
        known.rssi = -40 if known.rssi != -40 else -41
        known.properties_changed.emit(("org.bluez.Device1", {"RSSI": ("n", known.rssi)}, []))


Adapter.add_device = add_device

PERIPHERAL_ONLY_IDS = {1}  # hci1 is the strap's: it must not be this computer's default adapter


def roles(self: Adapter) -> list[str]:
    """The strap's adapter is a peripheral only, so Bleak (like a real computer) picks hci0."""
    if self.id in PERIPHERAL_ONLY_IDS:
        return ["peripheral"]
    return ["central", "peripheral", "central-peripheral"]


Adapter.__dict__["Roles"].property_getter = roles

_original_discovering_task = service_module.BluezMockService.create_discovering_task


def create_discovering_task(self: Any, id: int) -> Any:
    """StartDiscovery, failing first with a queued "discovery" fault (InProgress, NotReady)."""
    fault = take_fault("discovery")
    if fault is not None and "error" in fault:
        raise error_class(str(fault["error"]))(str(fault.get("message", "")))
    return _original_discovering_task(self, id)


service_module.BluezMockService.create_discovering_task = create_discovering_task
Device.connect = connect
Device.disconnect = disconnect


def main() -> None:
    global FAULTS
    parser = argparse.ArgumentParser()
    parser.add_argument("--faults", type=Path)
    parser.add_argument("-a", "--adapter", dest="adapters", action="append", default=[])
    parser.add_argument("--scan-interval", type=int, default=1)
    args = parser.parse_args()
    FAULTS = args.faults
    logging.basicConfig(level=logging.INFO, format="bluezoo: %(message)s")
    loop = asyncio.new_event_loop()
    loop.run_until_complete(
        service_module.startup(
            bus="system",
            adapters=args.adapters,
            auto_enable=True,
            scan_interval=args.scan_interval,
        )
    )
    print("ready", flush=True)
    loop.run_forever()


if __name__ == "__main__":
    main()
