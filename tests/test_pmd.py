"""Polar Measurement Data codec: round trips, the SDK's wire layout, malformed values refused."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flooding.core.pmd import (
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
    choose_acc_settings,
)

H10_OFFER = Settings(
    (
        (SettingType.SAMPLE_RATE, (25, 50, 100, 200)),
        (SettingType.RESOLUTION, (16,)),
        (SettingType.RANGE, (2, 4, 8)),
    )
)
axis = st.integers(min_value=-32768, max_value=32767)
samples = st.lists(st.tuples(axis, axis, axis), min_size=1, max_size=300)


class TestRoundTrips:
    @given(samples, st.integers(min_value=0, max_value=2**64 - 1))
    def test_raw_16_bit_frames_round_trip(
        self, values: list[tuple[int, int, int]], timestamp: int
    ) -> None:
        """Any uncompressed 16-bit frame decodes to exactly what was encoded."""
        frame = AccFrame(timestamp, tuple(values), FrameType.RAW_16)
        assert AccFrame.from_bytes(bytes(frame)) == frame

    @given(samples, st.sampled_from([FrameType.COMPRESSED_G, FrameType.COMPRESSED_MG]))
    def test_delta_compressed_frames_round_trip(
        self, values: list[tuple[int, int, int]], kind: FrameType
    ) -> None:
        """Delta-compressed frames (more than 255 samples: several blocks) round-trip."""
        frame = AccFrame(7, tuple(values), kind)
        assert AccFrame.from_bytes(bytes(frame)) == frame

    def test_settings_requests_answers_and_features_round_trip(self) -> None:
        """Each control point value decodes to what was encoded."""
        request = ControlPointRequest(OpCode.START_MEASUREMENT, MeasurementType.ACC, H10_OFFER)
        answer = ControlPointResponse(
            OpCode.GET_MEASUREMENT_SETTINGS, MeasurementType.ACC, 0, True, bytes(H10_OFFER)
        )
        refused = ControlPointResponse(OpCode.START_MEASUREMENT, 2, ErrorCode.INVALID_SAMPLE_RATE)
        features = Features(frozenset({MeasurementType.ECG, MeasurementType.ACC}))
        assert Settings.from_bytes(bytes(H10_OFFER)) == H10_OFFER
        assert ControlPointRequest.from_bytes(bytes(request)) == request
        assert ControlPointResponse.from_bytes(bytes(answer)) == answer
        assert ControlPointResponse.from_bytes(bytes(refused)) == refused
        assert Features.from_bytes(bytes(features)) == features


class TestWireLayout:
    def test_start_request_for_25_hz_is_the_sdk_byte_layout(self) -> None:
        """Start ACC at 25 Hz, 16 bits, 8 g: op, type, then (setting, count, uint16) each."""
        request = ControlPointRequest(
            OpCode.START_MEASUREMENT,
            MeasurementType.ACC,
            choose_acc_settings(H10_OFFER, rate_hz=25, range_g=8, resolution_bits=16),
        )
        assert bytes(request).hex(" ") == "02 02 00 01 19 00 01 01 10 00 02 01 08 00"

    def test_an_h10_frame_decodes_to_milli_g(self) -> None:
        """Frame type 0x01: int16 x, y, z in mG after the 10-byte header."""
        raw = bytes.fromhex("02" + "e803000000000000" + "01" + "0a00" + "f6ff" + "e803")
        frame = AccFrame.from_bytes(raw)
        assert frame.timestamp_ns == 1000
        assert frame.milli_g() == [(10.0, -10.0, 1000.0)]

    def test_compressed_type_0x80_is_scaled_by_the_factor_into_milli_g(self) -> None:
        """Compressed frame type 0x80 carries g x factor: 1000 x factor gives mG."""
        factor_bits = 0x3A800000  # 1/1024 as an IEEE 754 float
        factor = bytes([SettingType.FACTOR, 1]) + factor_bits.to_bytes(4, "little")
        settings = Settings.from_bytes(factor)
        frame = AccFrame(0, ((1024, 0, -2048),), FrameType.COMPRESSED_G)
        assert frame.milli_g(settings.factor) == [(1000.0, 0.0, -2000.0)]

    def test_samples_beyond_the_asked_range_are_a_garbled_frame(self) -> None:
        """A sample past the asked range (32 g on 8 g, thousands of g in 24 bits, beyond 16 g
        when no range was asked) cannot be read: the frame is refused, naming the range and
        not the values; a sample at the range's edge is kept."""
        edge = AccFrame(0, ((8000, -8000, 1000),))
        assert edge.milli_g(range_g=8) == [(8000.0, -8000.0, 1000.0)]
        for frame, range_g, said in (
            (AccFrame(0, ((0, 0, 1000), (32000, 0, 0))), 8, "+-8 g"),
            (AccFrame(0, ((2_000_000, 0, 0),), FrameType.RAW_24), 8, "+-8 g"),
            (AccFrame(0, ((0, 20_000, 0),)), 64, "+-16 g"),
        ):
            with pytest.raises(PmdDecodeError, match=r"beyond the accelerometer's range") as e:
                frame.milli_g(range_g=range_g)
            assert said in str(e.value)
            assert "32000" not in str(e.value)
            assert "2000000" not in str(e.value)

    def test_features_read_tells_an_h10_offers_the_accelerometer(self) -> None:
        """0x0F then a bit per measurement type: 0x05 = ECG and ACC."""
        assert Features.from_bytes(b"\x0f\x05\x00").accelerometer
        assert not Features.from_bytes(b"\x0f\x01\x00").accelerometer

    def test_settings_choice_takes_the_lowest_usable_rate_and_what_is_offered(self) -> None:
        """25 Hz when offered, else the next rate above; range and resolution from the offer."""
        verity = Settings(((SettingType.SAMPLE_RATE, (52,)), (SettingType.RANGE, (8,))))
        chosen = choose_acc_settings(verity, rate_hz=25, range_g=4, resolution_bits=16)
        assert chosen == Settings(((SettingType.SAMPLE_RATE, (52,)), (SettingType.RANGE, (8,))))


class TestMalformed:
    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            (b"", "shorter than its 10-byte header"),
            (bytes.fromhex("02 0000000000000000 01 0a00 f6"), "not a whole number"),
            (bytes.fromhex("00 0000000000000000 00 010203"), "measurement type 0"),
            (bytes.fromhex("02 0000000000000000 07 0102"), "unknown accelerometer frame type"),
            (bytes.fromhex("02 0000000000000000 01"), "holds no samples"),
            (bytes.fromhex("02 0000000000000000 81 0100"), "inside its reference sample"),
            (bytes.fromhex("02 0000000000000000 81 010002000300 04"), "inside a block header"),
            (bytes.fromhex("02 0000000000000000 81 010002000300 0803 ff"), "inside a block"),
            (bytes.fromhex("02 0000000000000000 81 010002000300 2101 00"), "33-bit deltas"),
        ],
    )
    def test_malformed_frames_raise_a_decode_error_naming_size_and_reason(
        self, raw: bytes, reason: str
    ) -> None:
        """Every malformed frame raises PmdDecodeError (nothing else) with its reason."""
        with pytest.raises(PmdDecodeError, match=reason):
            AccFrame.from_bytes(raw)

    @given(st.binary(max_size=80))
    def test_any_bytes_decode_or_raise_only_the_decode_error(self, raw: bytes) -> None:
        """Arbitrary bytes never raise anything but PmdDecodeError from any decoder."""
        for decode in (
            AccFrame.from_bytes,
            Settings.from_bytes,
            ControlPointRequest.from_bytes,
            ControlPointResponse.from_bytes,
            Features.from_bytes,
        ):
            with contextlib.suppress(PmdDecodeError):
                decode(raw)

    def test_truncated_settings_and_answers_are_refused(self) -> None:
        """A settings list cut inside its values, or an answer without status, is refused."""
        with pytest.raises(PmdDecodeError, match="inside the 4 values of SAMPLE_RATE"):
            Settings.from_bytes(bytes.fromhex("00 04 1900 3200"))
        with pytest.raises(PmdDecodeError, match="must start with 0xf0"):
            ControlPointResponse.from_bytes(b"\xf0\x02\x02")
        with pytest.raises(PmdDecodeError, match="unknown op code"):
            ControlPointRequest.from_bytes(b"\x09\x02")
