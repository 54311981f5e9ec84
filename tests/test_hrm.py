"""The Heart Rate Measurement (0x2A37) codec: decode, encode, and clear errors for bad packets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flooding.core.hrm import RR_UNITS_PER_S, HeartRateMeasurement, HrmDecodeError, to_sample

uint16 = st.integers(min_value=0, max_value=0xFFFF)

measurements = st.builds(
    HeartRateMeasurement,
    bpm=st.integers(min_value=0, max_value=0xFFFF),
    contact=st.none() | st.booleans(),
    energy_kj=st.none() | uint16,
    rr_1024=st.lists(uint16, max_size=12).map(tuple),
    uint16=st.booleans(),
)


def roundtrip(m: HeartRateMeasurement) -> HeartRateMeasurement:
    return HeartRateMeasurement.from_bytes(bytes(m))


class TestHeartRateValue:
    def test_uint8_value_is_one_byte_after_the_flags(self) -> None:
        """A heart rate that fits a byte is sent as uint8 with flag bit 0 clear and decodes back."""
        m = HeartRateMeasurement(bpm=72)
        raw = bytes(m)
        assert len(raw) == 2
        assert raw[0] & 0x01 == 0
        assert roundtrip(m).bpm == 72

    def test_uint16_value_is_little_endian(self) -> None:
        """A uint16 heart rate sets flag bit 0 and travels low byte first."""
        m = HeartRateMeasurement(bpm=300, uint16=True)
        raw = bytes(m)
        assert raw[0] & 0x01 == 1
        assert raw[1:3] == (300).to_bytes(2, "little")
        assert roundtrip(m).bpm == 300

    def test_large_value_switches_to_uint16_by_itself(self) -> None:
        """A heart rate above 255 is sent as uint16 even when not asked for."""
        m = HeartRateMeasurement(bpm=256)
        assert m.uint16
        assert roundtrip(m).bpm == 256

    def test_small_value_may_be_sent_as_uint16(self) -> None:
        """A small value in the uint16 format (as some straps send it) decodes to the same bpm."""
        decoded = roundtrip(HeartRateMeasurement(bpm=65, uint16=True))
        assert decoded.bpm == 65
        assert decoded.uint16

    def test_value_beyond_uint16_is_refused(self) -> None:
        """A heart rate that cannot be encoded at all is refused when built."""
        with pytest.raises(HrmDecodeError, match="heart rate"):
            HeartRateMeasurement(bpm=70000)


class TestContact:
    @pytest.mark.parametrize(
        ("contact", "bits"), [(None, 0x00), (False, 0x04), (True, 0x06)], ids=str
    )
    def test_contact_bits(self, contact: bool | None, bits: int) -> None:
        """Contact none/lost/detected sets flag bits 1-2 to 00/10/11 and decodes back the same."""
        m = HeartRateMeasurement(bpm=70, contact=contact)
        assert bytes(m)[0] & 0x06 == bits
        assert roundtrip(m).contact is contact

    def test_detected_bit_without_supported_bit_means_unknown(self) -> None:
        """Flag bit 1 alone (no contact feature) says nothing about contact: None."""
        raw = bytes(HeartRateMeasurement(bpm=70))
        flagged = bytes([raw[0] | 0x02]) + raw[1:]
        assert HeartRateMeasurement.from_bytes(flagged).contact is None

    def test_sample_contact_follows_the_packet(self) -> None:
        """A decoded sample has contact only where the strap positively reports lost contact."""
        lost = to_sample(roundtrip(HeartRateMeasurement(bpm=0, contact=False)), 5.0)
        unknown = to_sample(roundtrip(HeartRateMeasurement(bpm=70)), 6.0)
        assert (lost.contact, lost.has_contact) == (False, False)
        assert (unknown.contact, unknown.has_contact) == (None, True)


class TestEnergy:
    def test_energy_expended_follows_the_heart_rate(self) -> None:
        """Energy expended sets flag bit 3 and sits as uint16 right after the heart rate."""
        m = HeartRateMeasurement(bpm=90, energy_kj=513)
        raw = bytes(m)
        assert raw[0] & 0x08
        assert raw[2:4] == (513).to_bytes(2, "little")
        assert roundtrip(m).energy_kj == 513

    def test_energy_then_rr(self) -> None:
        """With energy and RR intervals both present, RR values follow the energy field."""
        m = HeartRateMeasurement(bpm=300, energy_kj=7, rr_1024=(800, 810), uint16=True)
        decoded = roundtrip(m)
        assert (decoded.bpm, decoded.energy_kj, decoded.rr_1024) == (300, 7, (800, 810))

    def test_energy_beyond_uint16_is_refused(self) -> None:
        """Energy that does not fit in uint16 is refused when built."""
        with pytest.raises(HrmDecodeError, match="energy"):
            HeartRateMeasurement(bpm=70, energy_kj=0x10000)


class TestRrIntervals:
    @pytest.mark.parametrize("count", [0, 1, 2, 5, 9])
    def test_any_number_of_rr_intervals(self, count: int) -> None:
        """Zero or more RR intervals decode back in order, in units of 1/1024 s."""
        rr = tuple(700 + 13 * i for i in range(count))
        decoded = roundtrip(HeartRateMeasurement(bpm=80, contact=True, rr_1024=rr))
        assert decoded.rr_1024 == rr
        assert decoded.rr_s == tuple(v / 1024 for v in rr)

    def test_rr_in_seconds_uses_1024_units(self) -> None:
        """One second is 1024 wire units, and building from seconds rounds to the wire unit."""
        m = HeartRateMeasurement.from_rr_seconds(60, (1.0, 0.5, 0.8))
        assert RR_UNITS_PER_S == 1024
        assert m.rr_1024 == (1024, 512, round(0.8 * 1024))
        assert roundtrip(m).rr_s[:2] == (1.0, 0.5)

    def test_rr_flag_with_no_values_is_an_empty_list(self) -> None:
        """Flag bit 4 with nothing after the heart rate is a packet with zero RR intervals."""
        raw = bytes(HeartRateMeasurement(bpm=70))
        flagged = bytes([raw[0] | 0x10]) + raw[1:]
        assert HeartRateMeasurement.from_bytes(flagged).rr_1024 == ()

    def test_sample_carries_rr_in_seconds(self) -> None:
        """A decoded sample carries its RR intervals in seconds and its time as given."""
        m = HeartRateMeasurement(bpm=75, contact=True, energy_kj=12, rr_1024=(1024, 768))
        sample = to_sample(roundtrip(m), 1000.5)
        assert sample.t_s == 1000.5
        assert sample.bpm == 75.0
        assert sample.rr_s == (1.0, 0.75)
        assert sample.energy_kj == 12


class TestRealWorldLayout:
    def test_polar_h10_packet(self) -> None:
        """A Polar H10 notification (flags 0x16: uint8 HR, contact, RR) decodes as the spec says."""
        # as captured from a Polar H10: flags 0x16, 60 bpm, RR 1051 and 998 (1/1024 s)
        raw = bytes.fromhex("16 3c 1b 04 e6 03")
        m = HeartRateMeasurement.from_bytes(raw)
        assert m.bpm == 60
        assert m.contact is True
        assert m.energy_kj is None
        assert m.rr_1024 == (1051, 998)
        assert m.rr_s == pytest.approx((1.0264, 0.9746), abs=1e-4)
        assert bytes(m) == raw

    def test_h10_without_skin_contact(self) -> None:
        """The same layout with bit 1 clear (flags 0x14) reports contact lost."""
        m = HeartRateMeasurement.from_bytes(bytes.fromhex("14 00"))
        assert (m.bpm, m.contact, m.rr_1024) == (0, False, ())

    def test_reserved_flag_bits_are_ignored(self) -> None:
        """Bits 5-7 are reserved: a packet that sets them decodes as if they were clear."""
        raw = bytes(HeartRateMeasurement(bpm=70, contact=True, rr_1024=(900,)))
        assert HeartRateMeasurement.from_bytes(bytes([raw[0] | 0xE0]) + raw[1:]) == (
            HeartRateMeasurement.from_bytes(raw)
        )


class TestMalformedPackets:
    # deliberately malformed packets are typed by hand: the encoder cannot make them
    @pytest.mark.parametrize(
        ("raw", "words"),
        [
            (b"", "empty packet"),
            (b"\x00", "uint8 heart rate"),
            (b"\x01\x48", "uint16 heart rate"),
            (b"\x08\x48\x01", "energy expended"),
            (b"\x10\x48\x00\x04\x01", "whole number of uint16"),
            (b"\x00\x48\x01", r"\): 1 trailing byte but"),
            (b"\x18\x48\x01", "energy expended"),
            (b"\x16\x46\x00", r"\(3 bytes\): 1 byte of RR intervals, not a whole"),
        ],
        ids=[
            "empty",
            "no-hr",
            "short-uint16",
            "short-energy",
            "odd-rr",
            "trailing",
            "energy+rr",
            "one-rr-byte",
        ],
    )
    def test_bad_packet_names_what_is_wrong(self, raw: bytes, words: str) -> None:
        """Truncated or inconsistent packets raise HrmDecodeError saying what is wrong."""
        with pytest.raises(HrmDecodeError, match=words):
            HeartRateMeasurement.from_bytes(raw)

    def test_error_is_a_value_error(self) -> None:
        """HrmDecodeError is a ValueError, so generic callers can still catch it."""
        assert issubclass(HrmDecodeError, ValueError)


class TestProperties:
    @given(measurements)
    def test_round_trip(self, m: HeartRateMeasurement) -> None:
        """Any measurement encodes to bytes that decode to an equal measurement."""
        assert roundtrip(m) == m

    @given(st.binary(max_size=24))
    def test_random_bytes_decode_or_raise_hrm_error(self, raw: bytes) -> None:
        """Any bytes either decode (and re-encode to a decodable packet) or raise HrmDecodeError."""
        try:
            m = HeartRateMeasurement.from_bytes(raw)
        except HrmDecodeError:
            return
        assert HeartRateMeasurement.from_bytes(bytes(m)) == m

    @given(st.binary(max_size=24))
    def test_decoding_accepts_bytearray_and_memoryview(self, raw: bytes) -> None:
        """bytearray and memoryview (what BLE stacks hand over) decode like bytes."""
        try:
            expected = HeartRateMeasurement.from_bytes(raw)
        except HrmDecodeError:
            with pytest.raises(HrmDecodeError):
                HeartRateMeasurement.from_bytes(bytearray(raw))
            return
        assert HeartRateMeasurement.from_bytes(bytearray(raw)) == expected
        assert HeartRateMeasurement.from_bytes(memoryview(raw)) == expected
