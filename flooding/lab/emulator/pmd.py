"""The emulated strap's Polar Measurement Data service: an H10's accelerometer over Bumble.

Serves the PMD service (control point: read, write, indicate; data: notify) as Polar's SDK
describes it (`flooding.core.pmd`): the feature read offers ACC (and ECG, like an H10),
get-settings lists the H10's accelerometer settings, start checks the asked settings against
them, stop ends the stream; each answer is indicated on the control point. While streaming,
`send_second()` notifies one second of samples of the `Movement` at the asked rate, as
uncompressed 16-bit frames (the H10's frame type 0x01), split to fit the link's MTU.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from flooding.core.pmd import (
    FRAME_HEADER_BYTES,
    PMD_CONTROL_POINT_UUID,
    PMD_DATA_UUID,
    PMD_SERVICE_UUID,
    AccFrame,
    ControlPointRequest,
    ControlPointResponse,
    ErrorCode,
    Features,
    FrameType,
    MeasurementType,
    OpCode,
    PmdDecodeError,
    Settings,
    SettingType,
)
from flooding.lab.emulator.movement import Movement

if TYPE_CHECKING:
    from bumble.device import Connection, Device
    from bumble.gatt import Characteristic, Service

logger = logging.getLogger(__name__)

# What an H10 offers for its accelerometer (Polar BLE SDK: 25-200 Hz, 2/4/8 g, 16 bits)
H10_ACC_SETTINGS = Settings(
    (
        (SettingType.SAMPLE_RATE, (25, 50, 100, 200)),
        (SettingType.RESOLUTION, (16,)),
        (SettingType.RANGE, (2, 4, 8)),
    )
)
H10_FEATURES = Features(frozenset({MeasurementType.ECG, MeasurementType.ACC}))
ATT_NOTIFY_OVERHEAD_BYTES = 3  # an ATT notification's op code and handle
BYTES_PER_SAMPLE = 6  # x, y, z as int16
NS_PER_S = 1_000_000_000


class AccelerometerState:
    """What an H10's accelerometer measurement does, whatever carries its bytes: answers
    control point requests and makes each second's samples (used by the Bumble strap here and
    by the BlueZ peripheral in the tests)."""

    def __init__(self, movement: Movement) -> None:
        self.movement = movement
        self.rate_hz: int | None = None  # the running measurement's rate; None: stopped
        self.range_g: int | None = None
        self.starts = 0  # measurements started by a client, over the strap's life
        self.stops = 0  # measurements stopped by a client (not by a dropped link)
        self.requests: list[bytes] = []  # every control point write, as received
        self.refuse_start: ErrorCode | None = None  # answer start with this error (tests)
        self._clock_s = 0.0  # strap time: advanced one second per `next_second`

    @property
    def streaming(self) -> bool:
        """Whether the accelerometer measurement is running."""
        return self.rate_hz is not None

    def link_lost(self) -> None:
        """A dropped link ends the measurement, as on a real strap."""
        self.rate_hz = None

    def next_second(self) -> tuple[float, list[tuple[int, int, int]]]:
        """The next strap second's start and its samples (mG, clipped to the range) at the
        asked rate; no samples while stopped."""
        rate = self.rate_hz
        if rate is None:
            return self._clock_s, []
        start_s = self._clock_s
        self._clock_s += 1.0
        limit_mg = 1000 * (self.range_g or 8)
        out = []
        for k in range(rate):
            x, y, z = (
                max(-limit_mg, min(limit_mg, round(v * 1000)))
                for v in self.movement(start_s + k / rate)
            )
            out.append((x, y, z))
        return start_s, out

    def answer(self, raw: bytes) -> ControlPointResponse:
        """The answer to a control point write (and the measurement started or stopped)."""
        self.requests.append(raw)
        op = raw[0] if raw else 0
        kind = raw[1] if len(raw) > 1 else 0
        try:
            request = ControlPointRequest.from_bytes(raw)
        except PmdDecodeError as exc:
            unknown_op = "op code" in str(exc)
            status = ErrorCode.INVALID_OP_CODE if unknown_op else ErrorCode.INVALID_LENGTH
            return ControlPointResponse(op, kind, status)
        if request.measurement != MeasurementType.ACC:
            return ControlPointResponse(op, kind, ErrorCode.NOT_SUPPORTED)
        if request.op is OpCode.GET_MEASUREMENT_SETTINGS:
            return ControlPointResponse(op, kind, ErrorCode.SUCCESS, False, bytes(H10_ACC_SETTINGS))
        if request.op is OpCode.STOP_MEASUREMENT:
            if not self.streaming:
                return ControlPointResponse(op, kind, ErrorCode.ALREADY_IN_STATE)
            self.rate_hz = None
            self.stops += 1
            return ControlPointResponse(op, kind, ErrorCode.SUCCESS)
        if self.streaming:
            return ControlPointResponse(op, kind, ErrorCode.ALREADY_IN_STATE)
        if self.refuse_start is not None:
            return ControlPointResponse(op, kind, self.refuse_start)
        for setting, error in (
            (SettingType.SAMPLE_RATE, ErrorCode.INVALID_SAMPLE_RATE),
            (SettingType.RESOLUTION, ErrorCode.INVALID_RESOLUTION),
            (SettingType.RANGE, ErrorCode.INVALID_RANGE),
        ):
            asked = request.settings.get(setting)
            if len(asked) != 1 or asked[0] not in H10_ACC_SETTINGS.get(setting):
                return ControlPointResponse(op, kind, error)
        self.rate_hz = request.settings.get(SettingType.SAMPLE_RATE)[0]
        self.range_g = request.settings.get(SettingType.RANGE)[0]
        self.starts += 1
        return ControlPointResponse(op, kind, ErrorCode.SUCCESS)


class PmdServer(AccelerometerState):
    """The PMD service of one emulated strap, and its accelerometer stream."""

    def __init__(self, movement: Movement) -> None:
        from bumble import gatt

        super().__init__(movement)
        self.frames_sent = 0
        self.replace_frames: list[bytes] | None = None  # raw frames to send instead (tests)
        self.fill_frames = False  # send only full frames, as a strap filling each one does
        self.silent = False  # never answer the control point (tests)
        self._unsent: list[tuple[float, tuple[int, int, int]]] = []  # (time, mG) not yet sent
        self._device: Device | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.control_point: Characteristic[bytes] = gatt.Characteristic(
            PMD_CONTROL_POINT_UUID,
            gatt.Characteristic.Properties.READ
            | gatt.Characteristic.Properties.WRITE
            | gatt.Characteristic.Properties.INDICATE,
            gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(
                read=lambda _connection: bytes(H10_FEATURES), write=self._on_write
            ),
        )
        self.data: Characteristic[bytes] = gatt.Characteristic(
            PMD_DATA_UUID,
            gatt.Characteristic.Properties.NOTIFY,
            gatt.Characteristic.Permissions(0),
            b"",
        )

    def service(self) -> Service:
        """The GATT service to add to the strap's device."""
        from bumble import gatt

        return gatt.Service(PMD_SERVICE_UUID, [self.control_point, self.data])

    def attach(self, device: Device) -> None:
        """Serve on this device (called once the service is added)."""
        self._device = device

    async def close(self) -> None:
        """Let answers in flight finish."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=1.0)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- the control point ---------------------------------------------------------------

    def _on_write(self, connection: Connection, value: bytes) -> None:
        if self.silent:
            self.requests.append(bytes(value))
            return
        response = self.answer(bytes(value))
        task = asyncio.create_task(self._indicate(connection, response), name="pmd answer")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _indicate(self, connection: Connection, response: ControlPointResponse) -> None:
        if self._device is None:
            return
        try:
            await self._device.indicate_subscriber(connection, self.control_point, bytes(response))
        except Exception as exc:  # a link that just went away
            logger.debug("emulated PMD: indication failed: %r", exc)

    # -- the data stream -----------------------------------------------------------------

    async def send_second(self) -> None:
        """Notify one second of accelerometer samples (when a measurement runs): in frames as
        large as the link allows, or with `fill_frames` only frames that are full, the rest
        kept for the next second (so some seconds bring no frame)."""
        device, rate = self._device, self.rate_hz
        if device is None or rate is None:
            self._unsent.clear()
            return
        start_s, samples = self.next_second()
        if self.replace_frames is not None:
            frames = list(self.replace_frames)
        else:
            self._unsent += [(start_s + k / rate, sample) for k, sample in enumerate(samples)]
            frames = self._frames()
        for frame in frames:
            await device.notify_subscribers(self.data, frame)
            self.frames_sent += 1

    def _frames(self) -> list[bytes]:
        device = self._device
        mtu = 23
        if device is not None:
            mtus = [c.att_mtu for c in device.connections.values()]
            mtu = min(mtus) if mtus else mtu
        room = mtu - ATT_NOTIFY_OVERHEAD_BYTES - FRAME_HEADER_BYTES
        per_frame = max(1, room // BYTES_PER_SAMPLE)
        frames = []
        while len(self._unsent) >= per_frame or (self._unsent and not self.fill_frames):
            chunk, self._unsent = self._unsent[:per_frame], self._unsent[per_frame:]
            last_s = chunk[-1][0]
            values = tuple(sample for _, sample in chunk)
            frames.append(bytes(AccFrame(round(last_s * NS_PER_S), values, FrameType.RAW_16)))
        return frames
