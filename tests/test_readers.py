"""Readers: real recordings load with the figures their README gives; bad files fail clearly."""

from __future__ import annotations

import gzip
import json
import logging
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flooding.io.readers import (
    ReaderError,
    formats,
    read,
    read_stress_predict_all,
    sniff_format,
    stress_predict_participants,
)
from flooding.io.readers.recording import Recording
from tests._data import recording, requires_data, stress_predict
from tests.session_factory import flooding

MINUTE_S = 60.0


def rr_of(rec: Recording) -> np.ndarray:
    """The recording's beat RR intervals, which a beat file must have."""
    assert rec.beat_rr_s is not None, "the recording has no beat RR intervals"
    return rec.beat_rr_s


def beat_times_of(rec: Recording) -> np.ndarray:
    """The recording's beat times, which a beat file must have."""
    assert rec.beat_t_s is not None, "the recording has no beat times"
    return rec.beat_t_s


# --- real recordings ------------------------------------------------------------------------


@requires_data
class TestRealRecordings:
    def test_exercise_hrm(self) -> None:
        """exercise.hrm holds 4,117 beats over 42.7 min and starts at its [Params] time, the
        watch's time of day (local time)."""
        rec = read(recording("polar-hrm_exercise.hrm"))
        assert rec.source_format == "polar-hrm"
        assert rr_of(rec).size == 4117 == rec.n_beats
        assert float(rr_of(rec).sum()) / MINUTE_S == pytest.approx(42.7, abs=0.05)
        assert rec.start_unix_s == datetime(2008, 2, 8, 8, 50, 31).timestamp()

    def test_noisy_hrm(self) -> None:
        """noisy.hrm holds 3,581 beats over 40.1 min with 42 successive RR jumps over 20 %."""
        rec = read(recording("polar-hrm_noisy.hrm"))
        rr = rr_of(rec)
        assert rr.size == 3581
        assert float(rr.sum()) / MINUTE_S == pytest.approx(40.1, abs=0.06)
        assert int((np.abs(np.diff(rr)) / rr[:-1] > 0.2).sum()) == 42

    def test_rest_rr_text(self) -> None:
        """The CRLF rest file holds 910 beats in ms: 16.1 min at a mean of 57 bpm."""
        rec = read(recording("rr-ms_rest.txt"))
        rr = rr_of(rec)
        assert rec.source_format == "rr-text"
        assert rr.size == 910
        assert float(rr.sum()) / MINUTE_S == pytest.approx(16.1, abs=0.05)
        assert MINUTE_S / float(rr.mean()) == pytest.approx(57, abs=0.5)
        assert rec.start_unix_s is None

    def test_nsr2db_leading_beat_time(self) -> None:
        """nsr2db's first value is read as the first beat's time: 106,459 beats over 22.5 h."""
        rec = read(recording("nsr2db_nsr001_rr-seconds_22h.txt"))
        assert rr_of(rec).size == 106_459
        assert beat_times_of(rec)[0] == pytest.approx(225.796875 + 0.6953125)
        assert float(rr_of(rec).sum()) / 3600 == pytest.approx(22.5, abs=0.05)
        assert float(rr_of(rec).max()) < 8.0

    def test_pvc_csv(self) -> None:
        """The Polar H10 PVC file spans 10 min; RR-only rows join the packet before them."""
        rec = read(recording("polar-h10_pvc_hr-rr.csv"))
        assert rec.source_format == "csv"
        assert rec.duration_s / MINUTE_S == pytest.approx(10.0, abs=0.05)
        assert rec.n_beats == rr_of(rec).size == 798
        assert rec.samples[2].rr_s == pytest.approx((1.073, 0.413))
        assert all(s.bpm > 0 for s in rec.samples)

    def test_logger_hr(self) -> None:
        """The logger HR export spans 9 min with 73 zero rows read as no skin contact; its
        phone times, without a zone, are local time."""
        rec = read(recording("polar-sensor-logger_HR.txt"))
        assert rec.source_format == "polar-logger-hr"
        assert rec.duration_s / MINUTE_S == pytest.approx(9.1, abs=0.1)
        no_contact = [s for s in rec.samples if s.contact is False]
        assert len(no_contact) == 73
        assert all(s.bpm == 0 for s in no_contact)
        assert rec.samples[0].t_s == datetime(2022, 4, 25, 11, 39, 2, 323000).timestamp()

    @pytest.mark.parametrize(
        ("name", "start"),
        [
            ("polar-sensor-logger_HR.txt", "2022-04-25T11:39:02+02:00"),
            ("polar-hrm_exercise.hrm", "2008-02-08T08:50:32+01:00"),
        ],
    )
    def test_a_time_of_day_without_a_zone_is_the_computers_local_time(
        self, name: str, start: str
    ) -> None:
        """A phone's and a watch's times of day, replayed on a computer in Berlin, start at
        the time they show (they were read as UTC: an hour or two late)."""
        done = flooding("replay", str(recording(name)), "--json", env={"TZ": "Europe/Berlin"})
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["start"] == start

    def test_logger_ppi(self) -> None:
        """The logger PPI export gives 442 beats over about 8.5 min, beat times in order."""
        rec = read(recording("polar-sensor-logger_PPI.txt"))
        assert rec.source_format == "polar-logger-ppi"
        assert rr_of(rec).size == 442 == rec.n_beats
        assert np.all(np.diff(beat_times_of(rec)) >= 0)
        assert rec.duration_s / MINUTE_S == pytest.approx(8.5, abs=0.2)
        assert rec.columns["beat_blocker"].size == 442

    def test_fitbit_month(self) -> None:
        """The Fitbit month holds 154,104 samples over about 30 days, without beats."""
        rec = read(recording("fitbit_30-day_free-living_hr.csv"))
        assert len(rec.samples) == 154_104
        assert rec.duration_s / 86400 == pytest.approx(30.4, abs=0.3)
        assert rec.n_beats == 0
        assert rec.start_unix_s == 1460460060.0

    def test_stress_predict_participant(self) -> None:
        """One Stress-Predict participant loads with its labels aligned to the samples."""
        path = stress_predict()
        assert stress_predict_participants(path) == list(range(2, 21))
        rec = read(path, participant=2)
        assert rec.source_format == "stress-predict"
        assert len(rec.samples) == 3557 - 2  # two rows of participant 2 have no HR
        assert rec.columns["label"].size == len(rec.samples)
        assert set(np.unique(rec.columns["label"]).tolist()) == {0, 1}
        assert rec.duration_s / MINUTE_S == pytest.approx(59.3, abs=1.0)

    def test_stress_predict_needs_participant(self) -> None:
        """A Stress-Predict file with several people needs a participant, and says how to
        choose one (--participant N) and which there are."""
        with pytest.raises(ReaderError, match=r"a participant chosen with --participant N"):
            read(stress_predict())


@requires_data
class TestPackets:
    @pytest.mark.parametrize(
        "name", ["polar-hrm_noisy.hrm", "rr-ms_rest.txt", "polar-sensor-logger_PPI.txt"]
    )
    def test_packets_carry_every_beat_once_in_time_order(self, name: str) -> None:
        """Beat files become about 1-s packets holding every beat once, in time order."""
        rec = read(recording(name))
        flat = [rr for s in rec.samples for rr in s.rr_s]
        assert flat == pytest.approx(rr_of(rec).tolist())
        times = np.array([s.t_s for s in rec.samples])
        assert np.all(np.diff(times) > 0)
        assert float(np.median(np.diff(times))) == pytest.approx(1.0)

    def test_strap_bpm_is_short_average(self) -> None:
        """A packet's bpm is the rounded rate of the last few seconds of beats."""
        rec = read(recording("rr-ms_rest.txt"))
        bpms = np.array([s.bpm for s in rec.samples])
        assert np.all(bpms == np.rint(bpms))
        assert float(np.mean(bpms)) == pytest.approx(57, abs=1.5)


# --- choosing the format --------------------------------------------------------------------


@requires_data
class TestFormatChoice:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("polar-hrm_exercise.hrm", "polar-hrm"),
            ("rr-ms_rest.txt", "rr-text"),
            ("nsr2db_nsr001_rr-seconds_22h.txt", "rr-text"),
            ("polar-h10_pvc_hr-rr.csv", "csv"),
            ("fitbit_30-day_free-living_hr.csv", "csv"),
            ("polar-sensor-logger_HR.txt", "polar-logger-hr"),
            ("polar-sensor-logger_PPI.txt", "polar-logger-ppi"),
        ],
    )
    def test_sniffed(self, name: str, expected: str) -> None:
        """Each real file is recognised from its extension and first line."""
        assert sniff_format(recording(name)) == expected

    def test_override_by_name(self, tmp_path: Path) -> None:
        """A format given by name wins over sniffing."""
        path = tmp_path / "beats.hrm"
        path.write_text("800\n810\n790\n")
        assert read(path, "rr-text").n_beats == 3
        with pytest.raises(ReaderError, match="HRData"):
            read(path)

    def test_formats_listed(self) -> None:
        """formats() names every reader, and an unknown name is refused."""
        assert set(formats()) == {
            "polar-hrm",
            "rr-text",
            "csv",
            "polar-logger-hr",
            "polar-logger-ppi",
            "stress-predict",
            "flooding-json",
        }
        with pytest.raises(ValueError, match="unknown format"):
            read(recording("rr-ms_rest.txt"), "garmin-fit")


# --- small files of each kind ---------------------------------------------------------------


class TestSmallFiles:
    def test_rr_text_seconds_and_ms(self, tmp_path: Path) -> None:
        """RR text in seconds and in ms give the same beats."""
        (tmp_path / "s.txt").write_text("0.8\n0.9\n")
        (tmp_path / "ms.txt").write_text("800\r\n900\r\n")
        a, b = read(tmp_path / "s.txt"), read(tmp_path / "ms.txt")
        assert rr_of(a).tolist() == pytest.approx(rr_of(b).tolist())
        assert rr_of(a).tolist() == pytest.approx([0.8, 0.9])

    def test_rr_text_after_comment_and_blank_lines(self, tmp_path: Path) -> None:
        """An RR list that opens with a `#` comment or a blank line is still sniffed as one."""
        path = _write(tmp_path, "c.txt", "# exported RR, ms\n\n800\n810\n790\n")
        assert sniff_format(path) == "rr-text"
        assert rr_of(read(path)).tolist() == pytest.approx([0.8, 0.81, 0.79])

    def test_csv_rr_only_rows_are_beats(self, tmp_path: Path) -> None:
        """A CSV with rr_ms and no hr_bpm treats rows as beats and groups them into packets."""
        rows = "\n".join(f"{10 + 0.8 * i:.1f},800" for i in range(10))
        (tmp_path / "b.csv").write_text("time_s,rr_ms\n" + rows + "\n")
        rec = read(tmp_path / "b.csv")
        assert rec.n_beats == 10
        assert rec.start_unix_s is None
        assert all(s.bpm == 75 for s in rec.samples)

    def test_csv_iso_timestamps(self, tmp_path: Path) -> None:
        """ISO 8601 timestamps with a zone become unix seconds."""
        text = "timestamp,hr_bpm\n2024-05-05T10:00:00+02:00,70\n2024-05-05T10:00:01+02:00,0\n"
        (tmp_path / "t.csv").write_text(text)
        rec = read(tmp_path / "t.csv")
        assert rec.samples[0].t_s == datetime(2024, 5, 5, 8, tzinfo=UTC).timestamp()
        assert [s.contact for s in rec.samples] == [True, False]

    def test_stress_predict_all_equals_one_by_one(self, tmp_path: Path) -> None:
        """Reading every participant at once gives what reading each one gives."""
        rows = [f"{p},{70 + i},12,{1600000000 + i},{i % 2}" for p in (3, 2) for i in range(4)]
        path = tmp_path / "sp.csv"
        path.write_text("Participant,HR,respr,Time(sec),Label\n" + "\n".join(rows) + "\n")
        every = read_stress_predict_all(path)
        assert list(every) == [3, 2]
        for participant, rec in every.items():
            one = read(path, "stress-predict", participant=participant)
            assert rec.samples == one.samples
            assert rec.columns["label"].tolist() == one.columns["label"].tolist()

    @pytest.mark.parametrize("space", [" ", "\t", "\v", "\f"])
    def test_csv_fields_with_spaces_at_their_edges_read_as_without(
        self, tmp_path: Path, space: str
    ) -> None:
        """Spaces or tabs around a CSV field change nothing that is read, and a heart-rate
        field of nothing but them is an empty one (that row's beat goes with the next row's,
        the rows around it keep their heart rates)."""
        rows = [("time_unix_s", "hr_bpm", "rr_ms"), ("1700000000", "70", "857")]
        rows += [("1700000001", "", "860"), ("1700000002", "72", "833")]
        plain = "".join(",".join(row) + "\n" for row in rows)
        padded = "".join(
            ",".join([row[0] + space, *(space + f for f in row[1:])]) + "\n" for row in rows
        )
        got = read(_write(tmp_path, "padded.csv", padded)).samples
        assert got == read(_write(tmp_path, "plain.csv", plain)).samples
        assert [(s.t_s, s.bpm) for s in got] == [(1700000000.0, 70.0), (1700000002.0, 72.0)]
        assert [s.rr_s for s in got] == [(0.857, 0.86), (0.833,)]

    def test_hrm_heart_rate_samples(self, tmp_path: Path) -> None:
        """An HRM file recorded as heart rate every 5 s gives one sample per line."""
        text = "[Params]\nInterval=5\n\n[HRData]\n70\t0\n72\t0\n"
        (tmp_path / "h.hrm").write_text(text)
        rec = read(tmp_path / "h.hrm")
        assert [(s.t_s, s.bpm) for s in rec.samples] == [(0.0, 70.0), (5.0, 72.0)]


# --- broken files ---------------------------------------------------------------------------


def _export_json(field: str) -> str:
    """An export (`flooding export --format json`) of one sample, with `field` added."""
    return (
        '{"session": {"format": "flooding-session/1"}, "samples": '
        '[{"t_s": 1700000000, "bpm": 70, "rr_s": [0.8], "contact": true, ' + field + "}]}"
    )


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, newline="")
    else:
        path.write_bytes(data)
    return path


class TestBrokenFiles:
    def test_non_numeric_rr_names_line(self, tmp_path: Path) -> None:
        """A word among RR values fails naming the file, its line and what was expected."""
        path = _write(tmp_path, "rr.txt", "800\r\n810\r\nabc\r\n790\r\n")
        with pytest.raises(ReaderError) as info:
            read(path)
        assert info.value.line == 3
        assert str(path) in str(info.value)
        assert "line 3" in str(info.value)
        assert "expected one RR interval" in str(info.value)

    def test_hrm_without_data_section(self, tmp_path: Path) -> None:
        """An HRM file with no [HRData] section is refused."""
        path = _write(tmp_path, "x.hrm", "[Params]\nInterval=238\n")
        with pytest.raises(ReaderError, match=r"\[HRData\]"):
            read(path)

    def test_hrm_bad_value_line(self, tmp_path: Path) -> None:
        """A bad RR in an HRM file is reported at its own line number."""
        path = _write(tmp_path, "x.hrm", "[Params]\nInterval=238\n\n[HRData]\n800\n8x0\n")
        with pytest.raises(ReaderError) as info:
            read(path)
        assert info.value.line == 6

    def test_hrm_zero_rr(self, tmp_path: Path) -> None:
        """A zero RR interval is refused at its line."""
        path = _write(tmp_path, "x.hrm", "[HRData]\n800\n0\n")
        with pytest.raises(ReaderError, match="above 0") as info:
            read(path)
        assert info.value.line == 3

    def test_hrm_negative_heart_rate(self, tmp_path: Path) -> None:
        """A negative heart rate in an HRM heart-rate recording is refused at its line, as in
        the CSV readers (it is not a sample without contact)."""
        path = _write(tmp_path, "n.hrm", "[Params]\nInterval=5\n\n[HRData]\n70\n-3\n")
        with pytest.raises(ReaderError, match="0 bpm or more") as info:
            read(path)
        assert info.value.line == 6

    def test_empty_file(self, tmp_path: Path) -> None:
        """An empty file is refused as empty."""
        path = _write(tmp_path, "e.csv", "")
        with pytest.raises(ReaderError, match="empty"):
            read(path)

    @pytest.mark.parametrize("fmt", ["polar-logger-hr", "polar-logger-ppi", "stress-predict"])
    def test_only_a_byte_order_mark_is_empty(self, tmp_path: Path, fmt: str) -> None:
        """A file holding nothing but UTF-8's byte-order mark is refused as empty, whatever
        format it is read as."""
        path = _write(tmp_path, "m.txt", b"\xef\xbb\xbf")
        with pytest.raises(ReaderError, match="empty"):
            read(path, fmt)

    def test_binary_junk(self, tmp_path: Path) -> None:
        """Binary data is refused as not text, at the line where it starts."""
        path = _write(tmp_path, "j.txt", b"800\n\x00\x01\x02\xff")
        with pytest.raises(ReaderError) as info:
            read(path, "rr-text")
        assert info.value.line == 2
        assert "text" in info.value.expected

    def test_not_utf8(self, tmp_path: Path) -> None:
        """Bytes that are not UTF-8 are refused naming their line."""
        path = _write(tmp_path, "j.csv", b"time_s,hr_bpm\n1,70\n2,7\xe90\n")
        with pytest.raises(ReaderError, match="UTF-8") as info:
            read(path)
        assert info.value.line == 3

    @pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
    @pytest.mark.parametrize("text", ["time_s,hr_bpm,rr_ms\n0,70,857\n1,71,845\n", "800\n810\n"])
    def test_utf16_with_its_mark_reads_like_utf8(
        self, tmp_path: Path, codec: str, text: str
    ) -> None:
        """A UTF-16 file with its byte-order mark (as Windows tools save it) is sniffed and
        read to the same samples as the UTF-8 file."""
        import codecs

        mark = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(codec, b"")
        plain = read(_write(tmp_path, "plain.txt", text.encode("utf-8")))
        wide = read(_write(tmp_path, "wide.txt", mark + text.encode(codec)))
        assert wide.samples == plain.samples
        assert wide.source_format == plain.source_format

    @pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
    def test_utf16_without_its_mark_is_named(self, tmp_path: Path, codec: str) -> None:
        """UTF-16 text without a byte-order mark is refused saying it is UTF-16 and to save it
        as UTF-8 (not as binary data)."""
        path = _write(tmp_path, "w.csv", "time_s,hr_bpm\n0,70\n1,71\n".encode(codec))
        for how in (None, "csv"):
            with pytest.raises(ReaderError, match="UTF-16; save it as UTF-8"):
                read(path, how)

    def test_csv_wrong_columns(self, tmp_path: Path) -> None:
        """A CSV without a time column and a heart column is refused at its header."""
        path = _write(tmp_path, "w.csv", "when,pulse\n1,70\n")
        with pytest.raises(ReaderError) as info:
            read(path, "csv")
        assert info.value.line == 1
        assert "time_unix_s" in str(info.value)

    def test_csv_truncated_row(self, tmp_path: Path) -> None:
        """A row with too few fields (a cut-off file) is refused at its line."""
        path = _write(tmp_path, "t.csv", "time_ns,hr_bpm,rr_ms\n1000,70,800\n2000,70")
        with pytest.raises(ReaderError, match="3 fields") as info:
            read(path)
        assert info.value.line == 3

    def test_csv_time_backwards(self, tmp_path: Path) -> None:
        """A time that goes backwards is refused at its line."""
        path = _write(tmp_path, "b.csv", "time_unix_s,hr_bpm\n10,70\n12,71\n11,72\n")
        with pytest.raises(ReaderError, match="in order") as info:
            read(path)
        assert info.value.line == 4

    @pytest.mark.parametrize(
        ("header", "bad"),
        [
            ("time_unix_s", "1700000000000"),  # milliseconds
            ("time_unix_s", "1e300"),
            ("time_unix_s", "-5"),
            ("time_ns", "1700000000000000000000"),  # beyond int64: refused as not a time
            ("time_ns", "-1700000000000000000"),
            ("timestamp", "2200-01-01T00:00:00Z"),
        ],
    )
    def test_csv_impossible_unix_time(self, tmp_path: Path, header: str, bad: str) -> None:
        """A unix time before 1970 or from 2100 on is refused at its line, not stored."""
        good = {"time_unix_s": "1700000000", "time_ns": "1700000000000000000"}.get(
            header, "2024-05-05T10:00:00Z"
        )
        path = _write(tmp_path, "u.csv", f"{header},hr_bpm\n{bad},70\n{good},71\n")
        with pytest.raises(ReaderError) as info:
            read(path)
        assert info.value.line == 2

    def test_stress_predict_impossible_time(self, tmp_path: Path) -> None:
        """A Stress-Predict time in milliseconds is refused at its line."""
        text = (
            "Participant,HR,respr,Time(sec),Label\n2,70,12,1600000000,0\n2,71,12,1600000001000,0\n"
        )
        path = _write(tmp_path, "s.csv", text)
        with pytest.raises(ReaderError, match="between 1970 and 2100") as info:
            read(path)
        assert info.value.line == 3

    def test_csv_infinite_value(self, tmp_path: Path) -> None:
        """A non-finite number is refused like a word."""
        path = _write(tmp_path, "i.csv", "time_s,hr_bpm\n1,70\n2,inf\n")
        with pytest.raises(ReaderError) as info:
            read(path)
        assert info.value.line == 3

    def test_logger_wrong_header(self, tmp_path: Path) -> None:
        """A logger file read by name with a different header is refused at line 1."""
        path = _write(tmp_path, "l.txt", "Phone timestamp;HR\n2022-04-25T11:39:02.323;66\n")
        with pytest.raises(ReaderError) as info:
            read(path, "polar-logger-hr")
        assert info.value.line == 1

    def test_unknown_participant(self, tmp_path: Path) -> None:
        """Asking for a participant the file does not hold is refused."""
        text = "Participant,HR,respr,Time(sec),Label\n2,70,12,100,0\n"
        path = _write(tmp_path, "s.csv", text)
        with pytest.raises(ReaderError, match="participant 5"):
            read(path, participant=5)

    @pytest.mark.parametrize("level", ["-0.1", "17", '"high"', "true"])
    def test_export_json_activity_that_is_no_level(self, tmp_path: Path, level: str) -> None:
        """An exported activity_g that is not a number from 0 to 16 g is refused naming the
        sample."""
        path = _write(tmp_path, "a.json", _export_json(f'"activity_g": {level}'))
        with pytest.raises(ReaderError, match=r"activity_g from 0 to 16 g.*sample 1"):
            read(path)

    @pytest.mark.parametrize("level", ["-0.1", "17", "much", "nan"])
    def test_csv_activity_that_is_no_level(self, tmp_path: Path, level: str) -> None:
        """A CSV activity_g field that is not empty or a number from 0 to 16 g is refused
        naming its line."""
        text = f"time_unix_s,hr_bpm,activity_g\n1700000000,70,0.02\n1700000001,71,{level}\n"
        path = _write(tmp_path, "a.csv", text)
        with pytest.raises(ReaderError, match=r"line 3.*activity_g from 0 to 16 g"):
            read(path)

    def test_csv_extras_that_cannot_be_placed_are_named(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A CSV whose first row has RR but no heart rate keeps its heart data, and a warning
        names the file whose energy and movement columns were left out."""
        text = (
            "time_unix_s,hr_bpm,rr_ms,energy_kj,activity_g\n"
            "1700000000,,800,,\n1700000001,70,850,12,0.02\n1700000002,71,840,,0.03\n"
        )
        path = _write(tmp_path, "x.csv", text)
        with caplog.at_level(logging.WARNING):
            recording = read(path)
        assert [s.bpm for s in recording.samples][-2:] == [70.0, 71.0]
        assert any(
            str(path) in r.getMessage() and "left out" in r.getMessage() for r in caplog.records
        )

    @pytest.mark.parametrize("energy", [-5, 2**16, 2**70])
    def test_export_json_energy_a_strap_cannot_send(self, tmp_path: Path, energy: int) -> None:
        """An exported sample's energy_kj outside what a strap sends (0 to 65535 kJ) is
        refused naming the sample, not stored (a huge one could not be)."""
        path = _write(tmp_path, "e.json", _export_json(f'"energy_kj": {energy}'))
        with pytest.raises(ReaderError, match="energy_kj from 0 to 65535 in sample 1"):
            read(path)

    @pytest.mark.parametrize(
        ("body", "found"),
        [
            ('"t_s": ' + "1" * 5000, "digits"),  # past Python's limit for a number's digits
            ('"rr_s": ' + "[" * 100_000 + "]" * 100_000, "nested"),  # past the parser's depth
        ],
    )
    def test_export_json_the_parser_refuses(self, tmp_path: Path, body: str, found: str) -> None:
        """JSON the parser itself gives up on (a number of thousands of digits, arrays nested
        past its depth) is refused as a ReaderError naming the file, not a crash."""
        path = _write(tmp_path, "p.json", _export_json(body))
        with pytest.raises(ReaderError, match=found) as info:
            read(path)
        assert str(path) in str(info.value)

    def test_export_json_cut_short_or_broken_is_named_in_words(self, tmp_path: Path) -> None:
        """An export cut short says its end is missing and to export it again; one broken
        inside shows the column and the text there, not the parser's English."""
        whole = _export_json('"energy_kj": 1')
        cut = _write(tmp_path, "cut.json", whole[: len(whole) // 2])
        with pytest.raises(ReaderError, match=r"its end missing .*export or copy it again"):
            read(cut)
        broken = _write(tmp_path, "b.json", whole.replace(', "bpm"', ' "bpm"'))
        with pytest.raises(
            ReaderError, match=r"expected JSON at column \d+, found '\"bpm\""
        ) as info:
            read(broken)
        assert "Expecting" not in str(info.value)

    def test_unknown_format_sniffed(self, tmp_path: Path) -> None:
        """A file of no known shape is refused, naming the formats that exist."""
        path = _write(tmp_path, "u.txt", "hello world\n")
        with pytest.raises(ReaderError, match="rr-text"):
            read(path)


# --- fuzzing --------------------------------------------------------------------------------

_HEADERS = [
    "",
    "[Params]\nInterval=238\n[HRData]\n",
    "time_ns,hr_bpm,rr_ms\n",
    "time_unix_s,hr_bpm\n",
    "timestamp,rr_s\n",
    "Phone timestamp;HR [bpm]\n",
    "Phone timestamp;PP-interval [ms];error estimate [ms];blocker;contact;contact;hr [bpm]\n",
    "Participant,HR,respr,Time(sec),Label\n",
]
_ALPHABET = st.sampled_from([*"0123456789.,;:-+eE \t\r\nTZ[]=x", "nan", "inf", "\x00"])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from(_HEADERS),
    body=st.one_of(st.binary(max_size=300), st.lists(_ALPHABET, max_size=120).map("".join)),
    fmt=st.sampled_from([None, *formats()]),
)
def test_fuzz_only_reader_error_escapes(
    tmp_path: Path, header: str, body: bytes | str, fmt: str | None
) -> None:
    """Whatever the bytes, a reader either returns a recording or raises ReaderError."""
    data = header.encode() + (body if isinstance(body, bytes) else body.encode())
    path = tmp_path / "fuzz.dat"
    path.write_bytes(data)
    refusal = None
    try:
        rec = read(path, fmt)
    except ReaderError as exc:
        refusal = str(exc)
    else:
        times = [s.t_s for s in rec.samples]
        assert times == sorted(times)
    if refusal is not None:
        assert str(path) in refusal  # a refusal names the file


class TestEndlessInputs:
    @pytest.mark.parametrize("fmt", [None, "csv", "rr-text"])
    def test_device_refused_before_reading(self, fmt: str | None) -> None:
        """/dev/zero (a device with no end) is refused at once, saying to give a saved file."""
        with pytest.raises(ReaderError, match="a device, not a file") as info:
            read("/dev/zero", fmt)
        assert "save or copy it to a file" in str(info.value)

    def test_named_pipe_refused_without_waiting(self, tmp_path: Path) -> None:
        """A named pipe with no writer is refused, not waited on."""
        fifo = tmp_path / "heart.csv"
        os.mkfifo(fifo)
        with pytest.raises(ReaderError, match="a named pipe, not a file"):
            read(fifo, "csv")

    def test_one_endless_line_refused(self, tmp_path: Path) -> None:
        """A file that is one line of megabytes is refused at line 1, not held in memory."""
        path = tmp_path / "x.csv"
        path.write_bytes(b"time_unix_s,hr_bpm" + b"7" * (3 << 20))
        with pytest.raises(ReaderError, match="lines of at most") as info:
            read(path, "csv")
        assert info.value.line == 1

    def test_long_line_after_good_ones_named(self, tmp_path: Path) -> None:
        """A giant line among ordinary rows is refused naming its line."""
        path = tmp_path / "x.csv"
        rows = "".join(f"{1_700_000_000 + i},70\n" for i in range(5))
        path.write_bytes(b"time_unix_s,hr_bpm\n" + rows.encode() + b"1" * (2 << 20) + b"\n")
        with pytest.raises(ReaderError, match="lines of at most") as info:
            read(path, "csv")
        assert info.value.line == 7

    def test_zeros_file_named_binary(self, tmp_path: Path) -> None:
        """A regular file of NUL bytes (a copy of /dev/zero) is named binary data."""
        path = tmp_path / "zeros.csv"
        path.write_bytes(b"\x00" * (5 << 20))
        with pytest.raises(ReaderError, match="binary data"):
            read(path, "csv")

    @pytest.mark.parametrize("kind", ["gzip", "zip"])
    def test_a_compressed_recording_is_called_an_archive_to_unpack(
        self, kind: str, tmp_path: Path
    ) -> None:
        """A .gz or .zip of a recording is named a compressed archive, with how to unpack it,
        by the import sniffing its format and by a named format alike."""
        text = b"time_unix_s,hr_bpm\n1700000000,70\n"
        path = tmp_path / f"rec.csv.{'gz' if kind == 'gzip' else 'zip'}"
        if kind == "gzip":
            path.write_bytes(gzip.compress(text))
        else:
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("rec.csv", text)
        unpack = "gunzip rec.csv.gz" if kind == "gzip" else "unzip rec.csv.zip"
        for form in (None, "csv"):
            with pytest.raises(ReaderError) as info:
                read(path, form) if form else read(path)
            assert f"a compressed archive ({kind}): unpack it first" in str(info.value)
            assert unpack in str(info.value)
            assert "NUL" not in str(info.value)

    def test_a_gzip_without_its_gz_name_is_given_a_command_that_unpacks_it(
        self, tmp_path: Path
    ) -> None:
        """A gzip archive renamed without .gz (gunzip would refuse its name) is given a
        command that unpacks it all the same, into a file beside it."""
        path = tmp_path / "rec.csv"
        path.write_bytes(gzip.compress(b"time_unix_s,hr_bpm\n1700000000,70\n"))
        with pytest.raises(ReaderError) as info:
            read(path)
        assert "gunzip -c rec.csv > rec-unpacked.csv" in str(info.value)

    def test_file_of_many_blocks_reads_whole(self, tmp_path: Path) -> None:
        """A CSV longer than one read block gives every row, in order, with nothing doubled."""
        path = tmp_path / "long.csv"
        rows = 600_000  # ~13 MB: several 4 MiB blocks
        body = "".join(f"{1_700_000_000 + i},{60 + i % 40}\n" for i in range(rows))
        path.write_text("time_unix_s,hr_bpm\n" + body)
        rec = read(path)
        assert len(rec) == rows
        assert np.array_equal(rec.table.t_s, 1_700_000_000 + np.arange(rows, dtype=np.float64))
        assert np.array_equal(rec.table.bpm, 60 + np.arange(rows) % 40)
