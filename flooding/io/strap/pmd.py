"""A Polar strap's accelerometer through Bleak: Polar's measurement service (PMD), when offered.

On a connected client: subscribe to the control point (indications) and the data (notify),
read which measurements the strap offers, ask for the accelerometer's settings and start it at
the lowest rate from 25 Hz (enough to tell still from moving, and the lightest on the battery);
the data callback only enqueues frames. At each heart-rate reading `level()` decodes them into
an `ActivityMeter` and takes the level; `stop()` (in the session's `finally`) ends the
measurement. Anything that goes wrong here costs the activity level only, never heart data.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import TYPE_CHECKING

from flooding.core.activity import ActivityMeter
from flooding.core.pmd import (
    MAX_RANGE_G,
    MEASUREMENT_STOPPED,
    MG_PER_G,
    PMD_CONTROL_POINT_UUID,
    PMD_DATA_UUID,
    AccFrame,
    ControlPointRequest,
    ControlPointResponse,
    Features,
    MeasurementType,
    OpCode,
    PmdDecodeError,
    Settings,
    SettingType,
    choose_acc_settings,
)

if TYPE_CHECKING:
    from bleak import BleakClient

logger = logging.getLogger(__name__)

ACC_RATE_HZ = 25  # the H10's lowest rate: walking's 1-3 Hz steps are well inside it
ACC_RANGE_G = 8  # the widest H10 range: stairs and jogging stay unclipped (16 bits: 0.25 mG)
ACC_RESOLUTION_BITS = 16  # the H10's one resolution
CONTROL_POINT_TIMEOUT_S = 5.0  # a strap answers in tens of ms; longer means it will not
START_TIMEOUT_S = 5.0  # the whole start (read, subscribe, two requests): heart rate waits on it
MALFORMED_LOGGED = 5  # malformed frames logged one by one; after that every 100th, counted
STOP_TIMEOUT_S = 1.0  # stopping on the way out must not hold up a disconnect
MAX_QUEUED_FRAMES = 256  # ~4 min of 25 Hz frames; beyond that the oldest go (memory bound)
HOLD_READINGS = 2  # a 25 Hz stream fills a frame every ~1.4 s: a reading with no new frame
#                    keeps the level before it for up to this many readings


class PmdError(Exception):
    """The accelerometer could not be started (the reason, without any data bytes)."""


def offered(client: BleakClient) -> bool:
    """Whether the connected strap has Polar's measurement service (control point and data)."""
    services = client.services
    return (
        services.get_characteristic(PMD_CONTROL_POINT_UUID) is not None
        and services.get_characteristic(PMD_DATA_UUID) is not None
    )


class AccelerometerStream:
    """The accelerometer of one connected strap, as one activity level per heart-rate reading."""

    def __init__(self, client: BleakClient, description: str) -> None:
        self._client = client
        self._description = description
        self._answers: asyncio.Queue[bytes] = asyncio.Queue()
        self._frames: collections.deque[bytes] = collections.deque(maxlen=MAX_QUEUED_FRAMES)
        self._meter = ActivityMeter()
        self._factor = 1.0
        self._subscribed: list[str] = []
        self._last_level: float | None = None
        self._since_level = 0
        self.running = False
        self.settings = Settings()  # what was asked for
        self.malformed = 0  # frames skipped as malformed

    # -- starting and stopping -----------------------------------------------------------

    async def start(self) -> bool:
        """Start the accelerometer; False (logged) when the strap does not offer it.

        Raises `PmdError` when the strap offers it but refuses or garbles the start.
        """
        async with asyncio.timeout(CONTROL_POINT_TIMEOUT_S):
            raw = await self._client.read_gatt_char(PMD_CONTROL_POINT_UUID)
        try:
            features = Features.from_bytes(raw)
        except PmdDecodeError as exc:
            raise PmdError(f"unreadable feature list: {exc}") from None
        if not features.accelerometer:
            logger.info("%s offers no accelerometer: heart rate only", self._description)
            return False
        await self._subscribe(PMD_CONTROL_POINT_UUID, self._on_answer)
        await self._subscribe(PMD_DATA_UUID, self._on_frame)
        answer = await self._request(
            ControlPointRequest(OpCode.GET_MEASUREMENT_SETTINGS, MeasurementType.ACC)
        )
        try:
            offered_settings = Settings.from_bytes(answer.parameters)
        except PmdDecodeError as exc:
            raise PmdError(f"unreadable accelerometer settings: {exc}") from None
        self.settings = choose_acc_settings(
            offered_settings,
            rate_hz=ACC_RATE_HZ,
            range_g=ACC_RANGE_G,
            resolution_bits=ACC_RESOLUTION_BITS,
        )
        answer = await self._request(
            ControlPointRequest(OpCode.START_MEASUREMENT, MeasurementType.ACC, self.settings)
        )
        try:
            self._factor = Settings.from_bytes(answer.parameters).factor
        except PmdDecodeError:
            self._factor = 1.0  # only compressed frames need it; raw ones are mG already
        self.running = True
        logger.info("%s: accelerometer on (%s)", self._description, self._settings_text())
        return True

    async def stop(self) -> None:
        """Stop the measurement and the notifications; never raises, never hangs."""
        client = self._client
        if self.running and client.is_connected:
            try:
                await self._request(
                    ControlPointRequest(OpCode.STOP_MEASUREMENT, MeasurementType.ACC),
                    timeout_s=STOP_TIMEOUT_S,
                )
            except Exception as exc:
                logger.debug("stopping the accelerometer of %s: %r", self._description, exc)
        self.running = False
        for uuid in reversed(self._subscribed):
            if not client.is_connected:
                break
            try:
                await asyncio.wait_for(client.stop_notify(uuid), STOP_TIMEOUT_S)
            except Exception as exc:
                logger.debug("stop_notify %s on %s: %r", uuid, self._description, exc)
        self._subscribed.clear()

    async def _subscribe(self, uuid: str, callback: object) -> None:
        async with asyncio.timeout(CONTROL_POINT_TIMEOUT_S):
            await self._client.start_notify(uuid, callback)  # type: ignore[arg-type]
        self._subscribed.append(uuid)

    async def _request(
        self, request: ControlPointRequest, timeout_s: float = CONTROL_POINT_TIMEOUT_S
    ) -> ControlPointResponse:
        """Write a request and wait for its answer (parts with `more` joined)."""
        while not self._answers.empty():
            self._answers.get_nowait()  # a late answer to an earlier request
        async with asyncio.timeout(timeout_s):
            await self._client.write_gatt_char(PMD_CONTROL_POINT_UUID, bytes(request), True)
            parameters = b""
            while True:
                raw = await self._answers.get()
                try:
                    answer = ControlPointResponse.from_bytes(raw)
                except PmdDecodeError as exc:
                    raise PmdError(f"unreadable answer to {request.op.name}: {exc}") from None
                if answer.op != request.op or answer.measurement != request.measurement:
                    continue  # not the answer to this request
                if not answer.ok:
                    raise PmdError(f"{request.op.name} refused: {answer.reason}")
                parameters += answer.parameters
                if not answer.more:
                    return ControlPointResponse(
                        answer.op, answer.measurement, answer.status, False, parameters
                    )

    # -- the callbacks only enqueue ------------------------------------------------------

    def _on_answer(self, _char: object, data: bytearray) -> None:
        raw = bytes(data)
        if raw[:1] == bytes([MEASUREMENT_STOPPED]):
            logger.info("%s stopped its accelerometer by itself", self._description)
            self.running = False
            return
        self._answers.put_nowait(raw)

    def _on_frame(self, _char: object, data: bytearray) -> None:
        self._frames.append(bytes(data))

    # -- one level per heart-rate reading ------------------------------------------------

    def level(self) -> float | None:
        """The activity level (g) since the last reading: decode the frames that came."""
        came = bool(self._frames)
        while self._frames:
            raw = self._frames.popleft()
            try:
                # a frame reading beyond the range asked for is garbled like a cut one
                samples = AccFrame.from_bytes(raw).milli_g(self._factor, self._range_g)
            except PmdDecodeError as exc:
                self.malformed += 1
                if self.malformed <= MALFORMED_LOGGED or self.malformed % 100 == 0:
                    logger.warning(
                        # sizes and kinds only: the samples are the person's movement
                        "skipping a malformed accelerometer frame from %s: %s (%d bytes; "
                        "%d so far)",
                        self._description,
                        exc,
                        len(raw),
                        self.malformed,
                    )
                continue
            for x, y, z in samples:
                self._meter.add(x / MG_PER_G, y / MG_PER_G, z / MG_PER_G)
        level = self._meter.take()
        if level is not None:
            self._last_level, self._since_level = level, 0
            return level
        self._since_level += 1
        if not came and self._since_level <= HOLD_READINGS:
            return self._last_level
        return None

    @property
    def _range_g(self) -> float:
        """The range asked for (g), or the widest any accelerometer has when none was."""
        asked = self.settings.get(SettingType.RANGE)
        return float(asked[0]) if asked else MAX_RANGE_G

    def _settings_text(self) -> str:
        return ", ".join(f"{kind.name.lower()} {v[0]}" for kind, v in self.settings.values)
