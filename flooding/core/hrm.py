"""Heart Rate Measurement (GATT characteristic 0x2A37): decode and encode, pure.

Layout, little-endian (Bluetooth Heart Rate Service 1.0, section 3.1):

    byte 0   flags  bit 0   heart-rate value is uint16 (else uint8)
                    bit 1   sensor contact detected
                    bit 2   sensor contact feature supported
                    bit 3   energy expended present (uint16, kJ)
                    bit 4   one or more RR intervals present
                    bits 5-7 reserved (ignored, as the specification asks)
    then     heart rate (uint8 or uint16, bpm)
    then     energy expended (uint16, kJ), if flagged
    then     RR intervals (uint16 each, units of 1/1024 s) to the end of the packet, if flagged
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from flooding.core.models import Sample

HEART_RATE_SERVICE_UUID = "0000180d-0000-1000-8000-00805f9b34fb"
HEART_RATE_MEASUREMENT_UUID = "00002a37-0000-1000-8000-00805f9b34fb"
BODY_SENSOR_LOCATION_UUID = "00002a38-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"

RR_UNITS_PER_S = 1024  # RR intervals travel in units of 1/1024 s
UINT16_MAX = 0xFFFF

_FLAG_UINT16 = 0x01
_FLAG_CONTACT_DETECTED = 0x02
_FLAG_CONTACT_SUPPORTED = 0x04
_FLAG_ENERGY = 0x08
_FLAG_RR = 0x10

BODY_SENSOR_LOCATIONS = {
    0: "other",
    1: "chest",
    2: "wrist",
    3: "finger",
    4: "hand",
    5: "ear lobe",
    6: "foot",
}


class HrmDecodeError(ValueError):
    """A Heart Rate Measurement packet that is truncated or inconsistent."""


@dataclass(frozen=True, slots=True)
class HeartRateMeasurement:
    """One Heart Rate Measurement notification.

    `contact` is None when the strap does not support contact detection.
    `rr_1024` holds RR intervals in the wire unit (1/1024 s) so that encode/decode are exact.
    """

    bpm: int
    contact: bool | None = None
    energy_kj: int | None = None
    rr_1024: tuple[int, ...] = ()
    uint16: bool = False  # send the value as uint16 even when it fits in a byte

    def __post_init__(self) -> None:
        limit = UINT16_MAX if self.uint16 else 0xFF
        if not 0 <= self.bpm <= UINT16_MAX:
            raise HrmDecodeError(f"heart rate {self.bpm} bpm does not fit in uint16")
        if self.bpm > limit and not self.uint16:
            object.__setattr__(self, "uint16", True)
        if self.energy_kj is not None and not 0 <= self.energy_kj <= UINT16_MAX:
            raise HrmDecodeError(f"energy expended {self.energy_kj} kJ does not fit in uint16")
        for rr in self.rr_1024:
            if not 0 <= rr <= UINT16_MAX:
                raise HrmDecodeError(f"RR interval {rr}/1024 s does not fit in uint16")

    @property
    def rr_s(self) -> tuple[float, ...]:
        """RR intervals in seconds."""
        return tuple(rr / RR_UNITS_PER_S for rr in self.rr_1024)

    @classmethod
    def from_rr_seconds(
        cls,
        bpm: int,
        rr_s: tuple[float, ...] | list[float] = (),
        contact: bool | None = True,
        energy_kj: int | None = None,
    ) -> HeartRateMeasurement:
        """Build a measurement from RR intervals in seconds (rounded to the wire unit)."""
        return cls(
            bpm=bpm,
            contact=contact,
            energy_kj=energy_kj,
            rr_1024=tuple(min(UINT16_MAX, round(rr * RR_UNITS_PER_S)) for rr in rr_s),
        )

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> HeartRateMeasurement:
        """Decode a packet; raises HrmDecodeError (and nothing else) when it is malformed."""
        raw = bytes(data)
        if not raw:
            raise HrmDecodeError("empty packet: expected at least a flags byte and a heart rate")
        flags = raw[0]
        offset = 1
        uint16 = bool(flags & _FLAG_UINT16)
        width = 2 if uint16 else 1
        if len(raw) < offset + width:
            raise HrmDecodeError(
                f"truncated packet ({len(raw)} bytes): flags 0x{flags:02x} announce a "
                f"{'uint16' if uint16 else 'uint8'} heart rate"
            )
        bpm = raw[offset] if not uint16 else struct.unpack_from("<H", raw, offset)[0]
        offset += width

        contact: bool | None = None
        if flags & _FLAG_CONTACT_SUPPORTED:
            contact = bool(flags & _FLAG_CONTACT_DETECTED)

        energy: int | None = None
        if flags & _FLAG_ENERGY:
            if len(raw) < offset + 2:
                raise HrmDecodeError(
                    f"truncated packet ({len(raw)} bytes): flags 0x{flags:02x} announce "
                    f"energy expended at byte {offset}, but the packet ends first"
                )
            energy = struct.unpack_from("<H", raw, offset)[0]
            offset += 2

        rr: tuple[int, ...] = ()
        rest = len(raw) - offset
        if flags & _FLAG_RR:
            if rest % 2:
                raise HrmDecodeError(
                    f"inconsistent packet ({len(raw)} bytes): {_bytes(rest)} of RR intervals, "
                    "not a whole number of uint16 values"
                )
            rr = struct.unpack_from(f"<{rest // 2}H", raw, offset)
        elif rest:
            raise HrmDecodeError(
                f"inconsistent packet ({len(raw)} bytes): {rest} trailing "
                f"{'byte' if rest == 1 else 'bytes'} but flags "
                f"0x{flags:02x} announce no RR intervals"
            )
        return cls(bpm=bpm, contact=contact, energy_kj=energy, rr_1024=rr, uint16=uint16)

    def __bytes__(self) -> bytes:
        flags = 0
        if self.uint16:
            flags |= _FLAG_UINT16
        if self.contact is not None:
            flags |= _FLAG_CONTACT_SUPPORTED
            if self.contact:
                flags |= _FLAG_CONTACT_DETECTED
        if self.energy_kj is not None:
            flags |= _FLAG_ENERGY
        if self.rr_1024:
            flags |= _FLAG_RR
        out = bytearray([flags])
        out += struct.pack("<H", self.bpm) if self.uint16 else bytes([self.bpm])
        if self.energy_kj is not None:
            out += struct.pack("<H", self.energy_kj)
        for rr in self.rr_1024:
            out += struct.pack("<H", rr)
        return bytes(out)


def to_sample(
    measurement: HeartRateMeasurement, t_s: float, activity_g: float | None = None
) -> Sample:
    """The sample a measurement received at `t_s` stands for (with the strap's activity level
    over the second before it, when it has an accelerometer)."""
    return Sample(
        t_s=t_s,
        bpm=float(measurement.bpm),
        rr_s=measurement.rr_s,
        contact=measurement.contact,
        energy_kj=measurement.energy_kj,
        activity_g=activity_g,
    )


def _bytes(n: int) -> str:
    """A count of bytes in words: '1 byte', '3 bytes'."""
    return f"{n} byte" if n == 1 else f"{n} bytes"
