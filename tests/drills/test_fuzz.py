"""Fuzz: near-valid packets and files give a value or the project's own clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flooding.core.hrm import HeartRateMeasurement, HrmDecodeError
from flooding.io.readers import ReaderError, formats, read
from tests._data import DATA, recording, requires_data, stress_predict

# real H10 packets: flags 0x16 (contact supported and detected, RR present), 1-3 RR values
H10_PACKETS = [
    bytes.fromhex(h) for h in ("16400304", "16450f03f203", "164b2c03", "0640", "1e4005000304")
]
HEAD_LINES = 40  # a real file's first lines: enough for its header and some data

FILES = [
    "polar-hrm_noisy.hrm",
    "rr-ms_rest.txt",
    "nsr2db_nsr001_rr-seconds_22h.txt",
    "polar-h10_pvc_hr-rr.csv",
    "polar-sensor-logger_HR.txt",
    "polar-sensor-logger_PPI.txt",
    "fitbit_30-day_free-living_hr.csv",
]
NASTY = [
    *("", "0", "-1", "1e309", "nan", "inf", "99999999999999999999", "\x00", "\ufeff", ";", ","),
    *("\t", "2024-13-45T25:61:61", "[HRData]", "[Params]", "\r", "é", "0x10", "1_000"),
]


def _heads() -> dict[str, bytes]:
    if DATA is None:
        return {}
    heads = {}
    for name in FILES:
        with recording(name).open("rb") as handle:
            heads[name] = b"".join(handle.readline() for _ in range(HEAD_LINES))
    with stress_predict().open("rb") as handle:
        heads["stress-predict.csv"] = b"".join(handle.readline() for _ in range(HEAD_LINES))
    return heads


HEADS = _heads()


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """A few edits to a valid file: cut, dropped or doubled lines, nasty fields, byte flips."""
    lines = original.split(b"\n")
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["drop", "double", "swap", "field", "flip", "cut"]))
        if edit == "drop":
            del lines[at]
        elif edit == "double":
            lines.insert(at, lines[at])
        elif edit == "swap" and at + 1 < len(lines):
            lines[at], lines[at + 1] = lines[at + 1], lines[at]
        elif edit == "field":
            for sep in (b",", b";", b"\t", b"="):
                if sep in lines[at]:
                    fields = lines[at].split(sep)
                    k = draw(st.integers(0, len(fields) - 1))
                    fields[k] = draw(st.sampled_from(NASTY)).encode()
                    lines[at] = sep.join(fields)
                    break
            else:
                lines[at] = draw(st.sampled_from(NASTY)).encode()
        elif edit == "flip" and lines[at]:
            k = draw(st.integers(0, len(lines[at]) - 1))
            lines[at] = lines[at][:k] + bytes([draw(st.integers(0, 255))]) + lines[at][k + 1 :]
        elif edit == "cut":
            joined = b"\n".join(lines)
            lines = joined[: draw(st.integers(0, len(joined)))].split(b"\n")
    return b"\n".join(lines)


@requires_data
class TestNearValidFiles:
    @settings(
        max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        data=st.data(),
        name=st.sampled_from(sorted(HEADS) or ["-"]),
        fmt=st.sampled_from([None, *formats()]),
    )
    def test_edited_real_files(
        self, tmp_path: Path, data: st.DataObject, name: str, fmt: str | None
    ) -> None:
        """A real file with a few edits reads, or fails with ReaderError naming the file."""
        body = data.draw(mutated(HEADS[name]))
        path = tmp_path / ("edited" + Path(name).suffix)
        path.write_bytes(body)
        refused: ReaderError | None = None
        try:
            rec = read(path, fmt, participant=2) if fmt == "stress-predict" else read(path, fmt)
        except ReaderError as exc:
            refused = exc
        else:
            times = [s.t_s for s in rec.samples]
            assert times == sorted(times)
            assert all(s.bpm == s.bpm for s in rec.samples)  # no NaN heart rates
        if refused is not None:
            assert str(path) in str(refused)
            assert refused.expected


class TestNearValidPackets:
    @settings(max_examples=2000, deadline=None)
    @given(
        packet=st.sampled_from(H10_PACKETS),
        flags=st.integers(0, 255),
        cut=st.integers(0, 8),
        extra=st.binary(max_size=5),
    )
    def test_edited_h10_packets(self, packet: bytes, flags: int, cut: int, extra: bytes) -> None:
        """An H10 packet with other flags, cut short or lengthened decodes or names its flaw."""
        raw = bytes([flags]) + packet[1 : max(1, len(packet) - cut)] + extra
        refused: HrmDecodeError | None = None
        try:
            m = HeartRateMeasurement.from_bytes(raw)
        except HrmDecodeError as exc:
            refused = exc
        else:
            assert HeartRateMeasurement.from_bytes(bytes(m)) == m
        if refused is not None:
            assert "packet" in str(refused)

    @pytest.mark.parametrize("packet", H10_PACKETS)
    def test_real_packets_decode(self, packet: bytes) -> None:
        """The real packets the fuzz starts from decode and encode back unchanged."""
        assert bytes(HeartRateMeasurement.from_bytes(packet)) == packet
