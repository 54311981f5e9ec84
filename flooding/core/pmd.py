"""Polar Measurement Data (PMD): the control point and accelerometer frames, decode and encode.

Polar straps (the H10) stream their chest accelerometer through this Polar service, as
described in Polar's public BLE SDK (polarofficial/polar-ble-sdk: the PMD client in its
Android and iOS sources, `technical_documentation/`). Little-endian throughout:

    control point, read        0x0F, then a bit field of the measurement types offered
                               (byte 1 bit n: type n, e.g. 0x04 = ACC)
    control point, write       op code, measurement type, settings...
    control point, indicate    0xF0, op code, measurement type, status, more, parameters...
                               (0x01, types...: the strap stopped those measurements itself)
    settings                   (setting type, count, count values) repeated; values are
                               uint16, except RANGE_MILLIUNIT and FACTOR (4 bytes, FACTOR an
                               IEEE 754 float) and CHANNELS (1 byte)
    data, notify               measurement type, uint64 timestamp (ns since 2000-01-01, of
                               the frame's last sample), frame type, samples...

Accelerometer frames: frame types 0x00, 0x01, 0x02 are x, y, z signed integers of 1, 2 or 3
bytes per axis in mG (the H10 sends 0x01: 16 bits); bit 7 set marks a delta-compressed
frame: one reference sample (x, y, z int16), then blocks of (delta bit width, sample count,
the deltas packed least significant bit first); compressed values are scaled by the FACTOR
the start response gives (compressed type 0x80 in g, so x 1000 for mG).
"""

from __future__ import annotations

import enum
import itertools
import struct
from dataclasses import dataclass
from typing import TypeVar

PMD_SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_POINT_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

FEATURES_READ = 0x0F  # first byte of the control point's read value
RESPONSE_CODE = 0xF0  # first byte of every answer to a control point request
MEASUREMENT_STOPPED = 0x01  # first byte of the strap's own note that it stopped a measurement
MEASUREMENT_TYPE_MASK = 0x3F  # the two top bits of a type byte say online/offline recording
COMPRESSED_FRAME = 0x80  # frame-type bit: delta-compressed samples
FRAME_HEADER_BYTES = 10  # measurement type, uint64 timestamp, frame type
AXES = 3
MG_PER_G = 1000.0
REFERENCE_SAMPLE_BYTES = 2  # a compressed frame's reference values are int16 per axis
DELTA_WIDTH_MAX_BITS = 32  # a delta wider than this is no delta of a 16-bit sample: malformed
MAX_RANGE_G = 16  # no chest accelerometer measures beyond +-16 g: the range when none was asked
RANGE_HEADROOM = 1.125  # a sensor clips at its range, a calibrated value a little beyond it:
#                         a sample past the range by more than this share is not a reading


class PmdDecodeError(ValueError):
    """A PMD value that is truncated or inconsistent."""


class MeasurementType(enum.IntEnum):
    """What a PMD request or frame is about (only ACC is used here)."""

    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAGNETOMETER = 6


class OpCode(enum.IntEnum):
    """Control point requests."""

    GET_MEASUREMENT_SETTINGS = 0x01
    START_MEASUREMENT = 0x02
    STOP_MEASUREMENT = 0x03


class ErrorCode(enum.IntEnum):
    """The status of a control point answer."""

    SUCCESS = 0
    INVALID_OP_CODE = 1
    INVALID_MEASUREMENT_TYPE = 2
    NOT_SUPPORTED = 3
    INVALID_LENGTH = 4
    INVALID_PARAMETER = 5
    ALREADY_IN_STATE = 6
    INVALID_RESOLUTION = 7
    INVALID_SAMPLE_RATE = 8
    INVALID_RANGE = 9
    INVALID_MTU = 10
    INVALID_NUMBER_OF_CHANNELS = 11
    INVALID_STATE = 12
    DEVICE_IN_CHARGER = 13
    DISK_FULL = 14


class SettingType(enum.IntEnum):
    """A measurement setting (what the strap offers, what the client asks for)."""

    SAMPLE_RATE = 0  # Hz
    RESOLUTION = 1  # bits
    RANGE = 2  # g (for ACC)
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5  # IEEE 754 float bits: the scale of compressed samples

    @property
    def size_bytes(self) -> int:
        """How many bytes each value of this setting takes."""
        if self in (SettingType.RANGE_MILLIUNIT, SettingType.FACTOR):
            return 4
        if self is SettingType.CHANNELS:
            return 1
        return 2


class FrameType(enum.IntEnum):
    """Accelerometer frame types (bit 7: delta-compressed)."""

    RAW_8 = 0x00
    RAW_16 = 0x01  # what a Polar H10 sends
    RAW_24 = 0x02
    COMPRESSED_G = 0x80  # values x FACTOR are g
    COMPRESSED_MG = 0x81  # values x FACTOR are mG

    @property
    def compressed(self) -> bool:
        """Whether the samples are delta-compressed."""
        return bool(self & COMPRESSED_FRAME)


_E = TypeVar("_E", bound=enum.IntEnum)

_RAW_BYTES_PER_AXIS = {FrameType.RAW_8: 1, FrameType.RAW_16: 2, FrameType.RAW_24: 3}


def _enum_value(kind: type[_E], value: int, what: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        raise PmdDecodeError(f"unknown {what} 0x{value:02x}") from None


@dataclass(frozen=True, slots=True)
class Features:
    """The control point's read value: which measurement types the strap offers."""

    types: frozenset[int]  # measurement type numbers (MeasurementType values and unknown ones)

    @property
    def accelerometer(self) -> bool:
        """Whether the strap offers its accelerometer."""
        return MeasurementType.ACC in self.types

    @classmethod
    def from_bytes(cls, data: bytes | bytearray) -> Features:
        """Decode the control point's read value."""
        raw = bytes(data)
        if not raw or raw[0] != FEATURES_READ:
            raise PmdDecodeError(
                f"a feature read ({len(raw)} bytes) must start with 0x{FEATURES_READ:02x}"
            )
        bits = int.from_bytes(raw[1:], "little")
        return cls(frozenset(n for n in range(8 * (len(raw) - 1)) if bits >> n & 1))

    def __bytes__(self) -> bytes:
        bits = 0
        for n in self.types:
            bits |= 1 << n
        width = max(2, (bits.bit_length() + 7) // 8)  # a strap answers at least two bytes
        return bytes([FEATURES_READ]) + bits.to_bytes(width, "little")


@dataclass(frozen=True, slots=True)
class Settings:
    """Measurement settings: each setting with its values (offered: several; asked: one)."""

    values: tuple[tuple[SettingType, tuple[int, ...]], ...] = ()

    def get(self, kind: SettingType) -> tuple[int, ...]:
        """The values of one setting (empty when absent)."""
        for setting, values in self.values:
            if setting is kind:
                return values
        return ()

    @property
    def factor(self) -> float:
        """The FACTOR setting as a float (1.0 when absent): the scale of compressed samples."""
        values = self.get(SettingType.FACTOR)
        if not values:
            return 1.0
        return float(struct.unpack("<f", struct.pack("<I", values[0] & 0xFFFFFFFF))[0])

    @classmethod
    def from_bytes(cls, data: bytes | bytearray) -> Settings:
        """Decode a settings list (raises PmdDecodeError when truncated or unknown)."""
        raw = bytes(data)
        out: list[tuple[SettingType, tuple[int, ...]]] = []
        offset = 0
        while offset < len(raw):
            if offset + 2 > len(raw):
                raise PmdDecodeError(f"settings ({len(raw)} bytes) end inside a setting header")
            kind = _enum_value(SettingType, raw[offset], "setting type")
            count = raw[offset + 1]
            offset += 2
            size = kind.size_bytes
            if offset + count * size > len(raw):
                raise PmdDecodeError(
                    f"settings ({len(raw)} bytes) end inside the {count} values of {kind.name}"
                )
            values = tuple(
                int.from_bytes(raw[offset + i * size : offset + (i + 1) * size], "little")
                for i in range(count)
            )
            offset += count * size
            out.append((kind, values))
        return cls(tuple(out))

    def __bytes__(self) -> bytes:
        out = bytearray()
        for kind, values in self.values:
            out += bytes([kind, len(values)])
            for value in values:
                out += value.to_bytes(kind.size_bytes, "little")
        return bytes(out)


@dataclass(frozen=True, slots=True)
class ControlPointRequest:
    """What the client writes to the control point."""

    op: OpCode
    measurement: int
    settings: Settings = Settings()

    @classmethod
    def from_bytes(cls, data: bytes | bytearray) -> ControlPointRequest:
        """Decode a request (the strap's side)."""
        raw = bytes(data)
        if len(raw) < 2:
            raise PmdDecodeError(
                f"a control point request ({len(raw)} bytes) needs an op code and a type"
            )
        op = _enum_value(OpCode, raw[0], "op code")
        return cls(op, raw[1], Settings.from_bytes(raw[2:]))

    def __bytes__(self) -> bytes:
        return bytes([self.op, self.measurement]) + bytes(self.settings)


@dataclass(frozen=True, slots=True)
class ControlPointResponse:
    """The strap's answer to a request, indicated on the control point."""

    op: int
    measurement: int
    status: int  # an ErrorCode value (unknown ones kept as numbers)
    more: bool = False  # more parameters follow in the next answer
    parameters: bytes = b""  # for get-settings and start: a settings list

    @property
    def ok(self) -> bool:
        """Whether the request succeeded."""
        return self.status == ErrorCode.SUCCESS

    @property
    def reason(self) -> str:
        """The status in words, e.g. 'INVALID_SAMPLE_RATE'."""
        try:
            return ErrorCode(self.status).name
        except ValueError:
            return f"status {self.status}"

    @classmethod
    def from_bytes(cls, data: bytes | bytearray) -> ControlPointResponse:
        """Decode an answer (raises PmdDecodeError for anything but a complete answer)."""
        raw = bytes(data)
        if len(raw) < 4 or raw[0] != RESPONSE_CODE:
            raise PmdDecodeError(
                f"a control point answer ({len(raw)} bytes) must start with "
                f"0x{RESPONSE_CODE:02x} and hold an op code, a type and a status"
            )
        status = raw[3]
        if status != ErrorCode.SUCCESS:
            return cls(raw[1], raw[2], status)
        return cls(raw[1], raw[2], status, len(raw) > 4 and raw[4] != 0, raw[5:])

    def __bytes__(self) -> bytes:
        head = bytes([RESPONSE_CODE, self.op, self.measurement, self.status])
        if self.status != ErrorCode.SUCCESS:
            return head
        return head + bytes([int(self.more)]) + self.parameters


@dataclass(frozen=True, slots=True)
class AccFrame:
    """One accelerometer data frame.

    `samples` are the wire values per axis: mG for raw frames; for compressed ones, values
    that `milli_g(factor)` scales with the FACTOR of the start response.
    """

    timestamp_ns: int
    samples: tuple[tuple[int, int, int], ...]
    frame_type: FrameType = FrameType.RAW_16

    def milli_g(
        self, factor: float = 1.0, range_g: float = MAX_RANGE_G
    ) -> list[tuple[float, float, float]]:
        """The samples in mG; raises PmdDecodeError when one lies beyond the measuring range
        (`range_g`, at most `MAX_RANGE_G`): an accelerometer cannot read that, so the frame
        is garbled, not movement."""
        if self.frame_type.compressed:
            scale = factor * (MG_PER_G if self.frame_type is FrameType.COMPRESSED_G else 1.0)
        else:
            scale = 1.0
        range_g = min(range_g, MAX_RANGE_G) if range_g > 0 else MAX_RANGE_G
        limit = range_g * MG_PER_G * RANGE_HEADROOM
        out = []
        for x, y, z in self.samples:
            sample = (x * scale, y * scale, z * scale)
            if not all(abs(v) <= limit for v in sample):  # NaN too (an unreadable FACTOR)
                raise PmdDecodeError(
                    f"a data frame of {len(self.samples)} samples reads beyond the "
                    f"accelerometer's range of +-{range_g:g} g"
                )
            out.append(sample)
        return out

    @classmethod
    def from_bytes(cls, data: bytes | bytearray) -> AccFrame:
        """Decode a data notification holding accelerometer samples."""
        raw = bytes(data)
        if len(raw) < FRAME_HEADER_BYTES:
            raise PmdDecodeError(
                f"a data frame ({len(raw)} bytes) is shorter than its "
                f"{FRAME_HEADER_BYTES}-byte header"
            )
        kind = raw[0] & MEASUREMENT_TYPE_MASK
        if kind != MeasurementType.ACC:
            raise PmdDecodeError(f"a data frame of measurement type {kind}, not the accelerometer")
        timestamp = int.from_bytes(raw[1:9], "little")
        frame_type = _enum_value(FrameType, raw[9], "accelerometer frame type")
        body = raw[FRAME_HEADER_BYTES:]
        if frame_type.compressed:
            samples = _delta_decode(body, len(raw))
        else:
            width = _RAW_BYTES_PER_AXIS[frame_type]
            step = width * AXES
            if len(body) % step:
                raise PmdDecodeError(
                    f"a data frame ({len(raw)} bytes) holds {len(body)} bytes of samples, "
                    f"not a whole number of {step}-byte samples"
                )
            samples = [_xyz(body, offset, width) for offset in range(0, len(body), step)]
        if not samples:
            raise PmdDecodeError(f"a data frame ({len(raw)} bytes) holds no samples")
        return cls(timestamp, tuple(samples), frame_type)

    def __bytes__(self) -> bytes:
        head = bytes([MeasurementType.ACC]) + self.timestamp_ns.to_bytes(8, "little")
        head += bytes([self.frame_type])
        if self.frame_type.compressed:
            return head + _delta_encode(self.samples)
        width = _RAW_BYTES_PER_AXIS[self.frame_type]
        return head + b"".join(
            v.to_bytes(width, "little", signed=True) for sample in self.samples for v in sample
        )


def _xyz(body: bytes, offset: int, width: int) -> tuple[int, int, int]:
    return (
        int.from_bytes(body[offset : offset + width], "little", signed=True),
        int.from_bytes(body[offset + width : offset + 2 * width], "little", signed=True),
        int.from_bytes(body[offset + 2 * width : offset + 3 * width], "little", signed=True),
    )


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) & 1 else value


def _delta_decode(body: bytes, frame_bytes: int) -> list[tuple[int, int, int]]:
    """A compressed body: the reference sample, then blocks of packed deltas."""
    ref_bytes = AXES * REFERENCE_SAMPLE_BYTES
    if len(body) < ref_bytes:
        raise PmdDecodeError(
            f"a compressed frame ({frame_bytes} bytes) ends inside its reference sample"
        )
    last = _xyz(body, 0, REFERENCE_SAMPLE_BYTES)
    samples = [last]
    offset = ref_bytes
    while offset < len(body):
        if offset + 2 > len(body):
            raise PmdDecodeError(
                f"a compressed frame ({frame_bytes} bytes) ends inside a block header"
            )
        width, count = body[offset], body[offset + 1]
        offset += 2
        if width > DELTA_WIDTH_MAX_BITS:
            raise PmdDecodeError(
                f"a compressed frame ({frame_bytes} bytes) announces {width}-bit deltas"
            )
        size = (width * count * AXES + 7) // 8
        if offset + size > len(body):
            raise PmdDecodeError(
                f"a compressed frame ({frame_bytes} bytes) ends inside a block of "
                f"{count} samples of {width}-bit deltas"
            )
        bits = int.from_bytes(body[offset : offset + size], "little")
        offset += size
        mask = (1 << width) - 1
        position = 0
        for _ in range(count):
            deltas = []
            for _axis in range(AXES):
                value = bits >> position & mask
                position += width
                deltas.append(_signed(value, width) if width else 0)
            last = (last[0] + deltas[0], last[1] + deltas[1], last[2] + deltas[2])
            samples.append(last)
    return samples


def _delta_encode(samples: tuple[tuple[int, int, int], ...]) -> bytes:
    """The reference sample, then the deltas in blocks of at most 255 samples."""
    if not samples:
        return b""
    out = bytearray()
    for v in samples[0]:
        out += v.to_bytes(REFERENCE_SAMPLE_BYTES, "little", signed=True)
    deltas = [(b[0] - a[0], b[1] - a[1], b[2] - a[2]) for a, b in itertools.pairwise(samples)]
    for start in range(0, len(deltas), 255):
        block = deltas[start : start + 255]
        width = max(max(v.bit_length() + 1 for d in block for v in d), 1)
        bits = 0
        position = 0
        for d in block:
            for v in d:
                bits |= (v & ((1 << width) - 1)) << position
                position += width
        out += bytes([width, len(block)]) + bits.to_bytes((position + 7) // 8, "little")
    return bytes(out)


def choose_acc_settings(
    offered: Settings, *, rate_hz: int, range_g: int, resolution_bits: int
) -> Settings:
    """The single setting values to ask for: the offered rate nearest above `rate_hz` (the
    highest offered if none is), the offered range nearest to `range_g`, the offered
    resolution nearest to `resolution_bits`; settings the strap does not list are left out."""
    chosen: list[tuple[SettingType, tuple[int, ...]]] = []
    rates = sorted(offered.get(SettingType.SAMPLE_RATE))
    if rates:
        chosen.append(
            (SettingType.SAMPLE_RATE, (next((r for r in rates if r >= rate_hz), rates[-1]),))
        )
    for kind, wanted in ((SettingType.RESOLUTION, resolution_bits), (SettingType.RANGE, range_g)):
        values = offered.get(kind)
        if values:
            chosen.append((kind, (min(values, key=lambda v: (abs(v - wanted), -v)),)))
    return Settings(tuple(chosen))
