"""The emulated strap as a BlueZ peripheral application, over D-Bus with dbus-fast.

It registers the Heart Rate (0x180D: measurement 0x2A37 notify, body location 0x2A38
read) and Battery (0x180F: level 0x2A19 read) services (and, given a movement, Polar's
measurement service with an H10's accelerometer) with an adapter's GattManager1 and
advertises with LEAdvertisingManager1, the way a BLE peripheral app on Linux does; the
BlueZ D-Bus implementation (BlueZoo here, bluetoothd on a real system) links it to clients.
"""

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from dbus_fast import BusType, DBusError, Message, MessageType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import (
    DBusBool,
    DBusBytes,
    DBusDict,
    DBusObjectPath,
    DBusSignature,
    DBusStr,
)
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_property, method

from flooding.core.hrm import HeartRateMeasurement
from flooding.core.pmd import PMD_CONTROL_POINT_UUID, PMD_DATA_UUID, PMD_SERVICE_UUID, AccFrame
from flooding.lab.emulator.movement import Movement
from flooding.lab.emulator.pmd import H10_FEATURES, AccelerometerState

APP_PATH = "/org/flooding/strap"
ADV_PATH = "/org/flooding/strap/advertisement0"
HRS_UUID = "0000180d-0000-1000-8000-00805f9b34fb"
HRM_UUID = "00002a37-0000-1000-8000-00805f9b34fb"
BSL_UUID = "00002a38-0000-1000-8000-00805f9b34fb"
BAS_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_UUID = "00002a19-0000-1000-8000-00805f9b34fb"
CHEST = 1  # Body Sensor Location: chest

StrList = Annotated[list[str], DBusSignature("as")]
ManagedObjects = Annotated[dict[str, dict[str, dict[str, Variant]]], DBusSignature("a{oa{sa{sv}}}")]


class _Service(ServiceInterface):
    def __init__(self, path: str, uuid: str) -> None:
        super().__init__("org.bluez.GattService1")
        self.path = path
        self._uuid = uuid

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> DBusStr:
        return self._uuid

    @dbus_property(access=PropertyAccess.READ)
    def Primary(self) -> DBusBool:
        return True

    def properties(self) -> dict[str, Variant]:
        return {"UUID": Variant("s", self._uuid), "Primary": Variant("b", True)}


class _Characteristic(ServiceInterface):
    def __init__(
        self, path: str, uuid: str, service: _Service, flags: list[str], value: bytes
    ) -> None:
        super().__init__("org.bluez.GattCharacteristic1")
        self.path = path
        self._uuid = uuid
        self._service = service
        self._flags = flags
        self.value = value
        self.notifying = False
        self.read_error: str | None = None  # a D-Bus error name every read answers with
        self.on_write: Callable[[bytes], None] | None = None  # what a client's write does

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> DBusStr:
        return self._uuid

    @dbus_property(access=PropertyAccess.READ)
    def Service(self) -> DBusObjectPath:
        return self._service.path

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> StrList:
        return self._flags

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> DBusBytes:
        return self.value

    @dbus_property(access=PropertyAccess.READ)
    def Notifying(self) -> DBusBool:
        return self.notifying

    @method()
    def ReadValue(self, options: DBusDict) -> DBusBytes:
        del options
        if self.read_error is not None:  # an ATT error, as BlueZ reports it
            raise DBusError(self.read_error, "Operation is not permitted")
        return self.value

    @method()
    def WriteValue(self, value: DBusBytes, options: DBusDict) -> None:
        del options
        if self.on_write is None:
            raise DBusError("org.bluez.Error.NotPermitted", "Write not permitted")
        self.on_write(bytes(value))

    @method()
    def StartNotify(self) -> None:
        self.notifying = True

    @method()
    def StopNotify(self) -> None:
        self.notifying = False

    @method()
    def Confirm(self) -> None:
        """BlueZoo confirms every forwarded value; a notification needs no confirmation."""

    def notify(self, value: bytes) -> None:
        self.value = value
        if self.notifying:
            self.emit_properties_changed({"Value": value})

    def properties(self) -> dict[str, Variant]:
        return {
            "UUID": Variant("s", self._uuid),
            "Service": Variant("o", self._service.path),
            "Flags": Variant("as", self._flags),
        }


class _Application(ServiceInterface):
    """The org.freedesktop.DBus.ObjectManager at the application's root."""

    def __init__(self, objects: list[_Service | _Characteristic]) -> None:
        super().__init__("org.freedesktop.DBus.ObjectManager")
        self._objects = objects

    @method()
    def GetManagedObjects(self) -> ManagedObjects:
        return {o.path: {o.name: o.properties()} for o in self._objects}


class _Advertisement(ServiceInterface):
    def __init__(self, name: str) -> None:
        super().__init__("org.bluez.LEAdvertisement1")
        self._name = name

    @dbus_property(access=PropertyAccess.READ)
    def Type(self) -> DBusStr:
        return "peripheral"

    @dbus_property(access=PropertyAccess.READ)
    def ServiceUUIDs(self) -> StrList:
        return [HRS_UUID]

    @dbus_property(access=PropertyAccess.READ)
    def LocalName(self) -> DBusStr:
        return self._name

    @dbus_property(access=PropertyAccess.READ)
    def Discoverable(self) -> DBusBool:
        return True

    @method()
    def Release(self) -> None:
        """BlueZ is done with the advertisement."""


class BluezStrap:
    """A heart-rate strap served on one adapter of a BlueZ D-Bus implementation."""

    def __init__(
        self,
        bus_address: str,
        adapter_path: str,
        name: str,
        battery: int = 87,
        movement: Movement | None = None,
    ) -> None:
        self._bus_address = bus_address
        self._adapter_path = adapter_path
        self.name = name
        hrs = _Service(f"{APP_PATH}/service0", HRS_UUID)
        bas = _Service(f"{APP_PATH}/service1", BAS_UUID)
        self.measurement = _Characteristic(f"{hrs.path}/char0", HRM_UUID, hrs, ["notify"], b"")
        self.location = _Characteristic(
            f"{hrs.path}/char1", BSL_UUID, hrs, ["read"], bytes([CHEST])
        )
        self.battery = _Characteristic(
            f"{bas.path}/char0", BATTERY_UUID, bas, ["read"], bytes([battery])
        )
        self._objects: list[_Service | _Characteristic] = [
            hrs,
            self.measurement,
            self.location,
            bas,
            self.battery,
        ]
        self.accelerometer: AccelerometerState | None = None
        self._pmd: list[_Characteristic] = []
        if movement is not None:
            pmd = _Service(f"{APP_PATH}/service2", PMD_SERVICE_UUID)
            control = _Characteristic(
                f"{pmd.path}/char0",
                PMD_CONTROL_POINT_UUID,
                pmd,
                ["read", "write", "indicate"],
                bytes(H10_FEATURES),
            )
            data = _Characteristic(f"{pmd.path}/char1", PMD_DATA_UUID, pmd, ["notify"], b"")
            state = AccelerometerState(movement)

            def on_write(value: bytes) -> None:
                answer = bytes(state.answer(value))
                asyncio.get_running_loop().call_soon(control.notify, answer)

            control.on_write = on_write
            self.accelerometer = state
            self._pmd = [control, data]
            self._objects += [pmd, control, data]
        self._bus: MessageBus | None = None

    async def start(self) -> None:
        """Register the services and advertise: the strap is switched on and in range."""
        for characteristic in (self.measurement, self.location, self.battery, *self._pmd):
            characteristic.notifying = False  # a new application has no subscribers yet
        bus = await MessageBus(bus_address=self._bus_address, bus_type=BusType.SYSTEM).connect()
        self._bus = bus
        bus.export(APP_PATH, _Application(self._objects))
        for obj in self._objects:
            bus.export(obj.path, obj)
        bus.export(ADV_PATH, _Advertisement(self.name))
        await self._call("org.bluez.GattManager1", "RegisterApplication", "oa{sv}", [APP_PATH, {}])
        await self._call(
            "org.bluez.LEAdvertisingManager1", "RegisterAdvertisement", "oa{sv}", [ADV_PATH, {}]
        )

    async def _call(self, interface: str, member: str, signature: str, body: list[Any]) -> None:
        assert self._bus is not None
        reply = await self._bus.call(
            Message(
                destination="org.bluez",
                path=self._adapter_path,
                interface=interface,
                member=member,
                signature=signature,
                body=body,
            )
        )
        assert reply is not None
        if reply.message_type == MessageType.ERROR:
            raise RuntimeError(f"{member}: {reply.error_name} {reply.body}")

    def send(self, bpm: int, rr_s: tuple[float, ...] = ()) -> None:
        """Notify one heart-rate measurement to subscribed clients (none while switched off)."""
        if self._bus is None:
            return
        packet = HeartRateMeasurement(
            bpm=bpm, contact=True, rr_1024=tuple(round(rr * 1024) for rr in rr_s)
        )
        state = self.accelerometer
        if state is not None and state.streaming:
            start_s, values = state.next_second()
            self._pmd[1].notify(bytes(AccFrame(round(start_s * 1e9), tuple(values))))
        self.measurement.notify(bytes(packet))

    async def stop(self) -> None:
        """Switch the strap off: its application and advertisement leave the bus."""
        for characteristic in (self.measurement, self.location, self.battery, *self._pmd):
            characteristic.notifying = False  # nothing is sent on a bus that is gone
        if self._bus is not None:
            self._bus.disconnect()
            await asyncio.sleep(0)
            self._bus = None
