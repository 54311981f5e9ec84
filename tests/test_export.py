"""Export of a session: the generic CSV (readable back by `flooding import`) and full JSON."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import pty
import stat
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flooding.app.export import CSV_COLUMNS, samples_csv, session_json
from flooding.app.importing import import_couple, import_recording
from flooding.cli.main import main
from flooding.core.models import Sample
from flooding.io.config_files.loading import default_settings
from flooding.io.readers import read_tracks
from flooding.io.store import Store
from tests.session_factory import START_S as SESSION_START_S
from tests.session_factory import flooding, record, store_readings


class TestCsv:
    def test_columns_and_every_sample(self, tmp_path: Path) -> None:
        """The CSV has time_unix_s,time_local,hr_bpm,rr_ms,contact,energy_kj,activity_g and one
        row per sample with its values: local ISO time beside unix time, RR in ms separated
        by spaces."""
        store = Store.open(tmp_path)
        session_id = record(store)
        stored = list(store.iter_samples(session_id))
        text = samples_csv(store, session_id)
        store.close()
        reader = csv.DictReader(io.StringIO(text))
        assert (
            tuple(reader.fieldnames or ())
            == CSV_COLUMNS
            == (
                "time_unix_s",
                "time_local",
                "hr_bpm",
                "rr_ms",
                "contact",
                "energy_kj",
                "activity_g",
            )
        )
        rows = list(reader)
        assert len(rows) == len(stored)
        for row, sample in zip(rows, stored, strict=True):
            assert float(row["time_unix_s"]) == sample.t_s
            local = datetime.fromisoformat(row["time_local"])
            assert local.utcoffset() is not None
            assert local.timestamp() == pytest.approx(sample.t_s, abs=1e-3)
            assert float(row["hr_bpm"]) == sample.bpm
            rr = [float(v) for v in row["rr_ms"].split(" ")] if row["rr_ms"] else []
            assert rr == pytest.approx([r * 1000 for r in sample.rr_s], abs=1e-9)
            assert row["contact"] == "1"

    def test_command_writes_samples_and_episodes_owner_only(self, tmp_path: Path) -> None:
        """`export --format csv -o F --episodes E` writes F and E, both owner-only."""
        data = tmp_path / "data"
        store = Store.open(data)
        session_id = record(store)
        n = store.sample_count(session_id)
        store.close()
        target = tmp_path / "talk.csv"
        episodes = tmp_path / "flooded.csv"
        result = flooding(
            "export",
            str(session_id),
            "--format",
            "csv",
            "-o",
            str(target),
            "--episodes",
            str(episodes),
            "--data-dir",
            str(data),
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert len(target.read_text().splitlines()) == n + 1
        (episode,) = list(csv.DictReader(episodes.open()))
        assert episode["rule"] == "relative"
        assert float(episode["recovery_s"]) >= 20 * 60
        for path in (target, episodes):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_no_file_is_written_that_was_not_asked_for(self, tmp_path: Path) -> None:
        """`export -o x.csv` writes x.csv and nothing beside it (no x.episodes.csv)."""
        data = tmp_path / "data"
        store = Store.open(data)
        record(store)
        store.close()
        out = tmp_path / "out"
        out.mkdir()
        result = flooding("export", "-o", str(out / "x.csv"), "--data-dir", str(data))
        assert result.returncode == 0, result.stderr
        assert [p.name for p in out.iterdir()] == ["x.csv"]

    def test_episodes_alone_go_to_their_file_and_the_readings_to_the_screen(
        self, tmp_path: Path
    ) -> None:
        """Without -o the readings are printed, the episodes written, and the note about the
        file goes to stderr so the printed CSV stays clean."""
        store = Store.open(tmp_path / "data")
        session_id = record(store)
        n = store.sample_count(session_id)
        store.close()
        episodes = tmp_path / "episodes.csv"
        result = flooding(
            "export", "--episodes", str(episodes), "--data-dir", str(tmp_path / "data")
        )
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) == n + 1
        assert f"Wrote {episodes}" in result.stderr
        assert len(list(csv.DictReader(episodes.open()))) == 1


class TestJson:
    def test_shape(self, tmp_path: Path) -> None:
        """The JSON has the session, every sample, the episodes and the events."""
        store = Store.open(tmp_path)
        session_id = record(store)
        exported = session_json(store, session_id)
        n = store.sample_count(session_id)
        store.close()
        assert exported is not None
        assert set(exported) == {"session", "samples", "episodes", "events"}
        assert len(exported["samples"]) == n
        assert len(exported["episodes"]) == 1
        assert {"alert", "pause-started", "ready-to-return"} <= {
            e["kind"] for e in exported["events"]
        }

    def test_command_prints_json(self, tmp_path: Path) -> None:
        """`export --format json` without -o prints the JSON document."""
        store = Store.open(tmp_path)
        record(store)
        store.close()
        result = flooding("export", "--format", "json", "--data-dir", str(tmp_path))
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["session"]["note"] == ""


def record_with_activity(store: Store) -> tuple[int, list[Sample]]:
    """A session whose strap had an accelerometer (one sample without a level); returns its
    id and its samples as stored."""
    levels = [0.012, 0.25, None, 0.18]
    readings = [
        Sample(START_S + i, 70.0 + i, (0.8,), True, activity_g=level)
        for i, level in enumerate(levels)
    ]
    session_id = store_readings(store, readings, ended_s=START_S + len(levels))
    return session_id, list(store.iter_samples(session_id))


class TestActivity:
    def test_csv_and_json_carry_the_activity_level_and_import_it_back(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A session with activity levels exports an activity_g column (CSV) and key (JSON);
        `flooding import` of either file brings every level back."""
        data = tmp_path / "data"
        store = Store.open(data)
        session_id, stored = record_with_activity(store)
        csv_text = samples_csv(store, session_id)
        exported = session_json(store, session_id)
        store.close()
        rows = list(csv.DictReader(io.StringIO(csv_text)))
        assert [r["activity_g"] for r in rows] == ["0.012", "0.25", "", "0.18"]
        assert exported is not None
        assert [s.get("activity_g") for s in exported["samples"]] == [0.012, 0.25, None, 0.18]
        (tmp_path / "talk.csv").write_text(csv_text)
        (tmp_path / "talk.json").write_text(json.dumps(exported))
        for name in ("talk.csv", "talk.json"):
            assert main(["import", str(tmp_path / name), "--data-dir", str(data)]) == 0
        capsys.readouterr()
        store = Store.open(data)
        try:
            for again in (2, 3):
                back = list(store.iter_samples(again))
                assert [s.activity_g for s in back] == [s.activity_g for s in stored]
                assert [s.bpm for s in back] == [s.bpm for s in stored]
        finally:
            store.close()

    def test_a_session_without_activity_exports_no_level(self, tmp_path: Path) -> None:
        """Without any activity level the CSV's activity_g fields are empty and the JSON
        samples have no activity_g key."""
        store = Store.open(tmp_path)
        session_id = record(store)
        text = samples_csv(store, session_id)
        exported = session_json(store, session_id)
        store.close()
        assert {r["activity_g"] for r in csv.DictReader(io.StringIO(text))} == {""}
        assert exported is not None
        assert all("activity_g" not in s for s in exported["samples"])


class TestWritingFiles:
    def test_a_failed_write_keeps_the_old_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A write that fails half-way (a full disk) leaves the file there was, and no
        temporary file behind."""
        import os

        from flooding.io.files import write_private

        target = tmp_path / "talk.csv"
        target.write_bytes(b"the earlier export\n")

        real_fdopen = os.fdopen

        class FullDisk(io.RawIOBase):
            def __init__(self, fd: int, *_: object) -> None:
                self.file = real_fdopen(fd, "wb")

            def write(self, data: object) -> int:
                self.file.write(b"half")
                self.file.flush()
                raise OSError(28, "No space left on device")

            def close(self) -> None:
                self.file.close()
                super().close()

        monkeypatch.setattr(os, "fdopen", FullDisk)
        with pytest.raises(OSError, match="No space left"):
            write_private(target, b"x" * 100_000)
        monkeypatch.undo()
        assert target.read_bytes() == b"the earlier export\n"
        assert [p.name for p in tmp_path.iterdir()] == ["talk.csv"]

    def test_replaces_owner_only_and_keeps_a_link_a_link(self, tmp_path: Path) -> None:
        """An existing file is replaced, owner-only; a symbolic link stays one and the file it
        points to gets the data."""
        from flooding.io.files import write_private

        real = tmp_path / "real.csv"
        real.write_bytes(b"old")
        real.chmod(0o644)
        link = tmp_path / "link.csv"
        link.symlink_to(real)
        write_private(link, b"new")
        assert link.is_symlink()
        assert real.read_bytes() == b"new"
        assert stat.S_IMODE(real.stat().st_mode) == 0o600

    def test_command_names_a_missing_folder(self, tmp_path: Path) -> None:
        """Exporting into a folder that does not exist says it cannot write that file."""
        store = Store.open(tmp_path / "data")
        record(store)
        store.close()
        target = tmp_path / "missing" / "talk.csv"
        result = flooding("export", "-o", str(target), "--data-dir", str(tmp_path / "data"))
        assert result.returncode == 1
        assert f"cannot write {target}: nothing by that name" in result.stderr
        assert not target.parent.exists()

    def test_command_refuses_a_device_and_a_planted_link(self, tmp_path: Path) -> None:
        """`export -o /dev/full` and `-o` onto another user's link fail in words, exit 1, and
        leave the device a device and the link's target untouched."""
        import os

        store = Store.open(tmp_path / "data")
        record(store)
        store.close()
        device = Path("/dev/full")
        if device.exists():
            result = flooding("export", "-o", str(device), "--data-dir", str(tmp_path / "data"))
            assert result.returncode == 1
            assert "/dev/full is a device, not a regular file" in result.stderr
            assert stat.S_ISCHR(device.stat().st_mode)
        if os.getuid() == 0:
            victim = tmp_path / "profile"
            victim.write_text("mine\n")
            planted = tmp_path / "x.csv"
            planted.symlink_to(victim)
            os.lchown(planted, 4242, 4242)  # as if another user had made it
            result = flooding("export", "-o", str(planted), "--data-dir", str(tmp_path / "data"))
            assert result.returncode == 1
            assert "symbolic link made by another user" in result.stderr
            assert victim.read_text() == "mine\n"


class TestWritingToTheScreen:
    @pytest.mark.parametrize("form", ["csv", "json"])
    def test_a_full_output_is_named_without_a_traceback(self, tmp_path: Path, form: str) -> None:
        """`export > /dev/full` says the output could not be written and why, and exits 1."""
        import os
        import subprocess
        import sys

        if not Path("/dev/full").exists():
            pytest.skip("no /dev/full here")
        store = Store.open(tmp_path)
        record(store)
        store.close()
        root = Path(__file__).resolve().parent.parent
        with open("/dev/full", "w") as full:
            result = subprocess.run(
                [sys.executable, "-m", "flooding", "export", "--format", form],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": str(root), "FLOODING_DATA_DIR": str(tmp_path)},
                timeout=120,
                check=False,
            )
        assert result.returncode == 1, result.stderr
        assert "cannot write the export to the output" in result.stderr
        assert "the disk is full" in result.stderr
        assert "Traceback" not in result.stderr


class TestSessionNotEnded:
    def test_a_crashed_session_is_interrupted_not_recording(self, tmp_path: Path) -> None:
        """A session that never ended with no monitor running is exported as interrupted, and
        `sessions` and `review` say it ended without a proper end."""
        store = Store.open(tmp_path)
        session_id = record(store, end=False)
        store.close()
        result = flooding("export", "--format", "json", "--data-dir", str(tmp_path))
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)["session"]["summary"]
        assert (summary["recording"], summary["interrupted"]) == (False, True)
        for command in ("sessions", "review"):
            shown = flooding(
                command, *(["1"] if command == "review" else []), "--data-dir", str(tmp_path)
            )
            assert shown.returncode == 0, shown.stderr
            assert "ended without a proper end (the program stopped)" in shown.stdout, command
            assert "recording now" not in shown.stdout
        assert session_id == 1

    def test_the_session_a_monitor_holds_is_recording(self, tmp_path: Path) -> None:
        """While a monitor holds the data folder's lock, its newest unended session is
        recording and an older unended one is still interrupted."""
        from flooding.io.control import InstanceLock

        store = Store.open(tmp_path)
        old = record(store, end=False)
        live = record(store, end=False)
        store.close()
        with InstanceLock(tmp_path):
            states = {}
            for session_id in (old, live):
                result = flooding(
                    "export", str(session_id), "--format", "json", "--data-dir", str(tmp_path)
                )
                assert result.returncode == 0, result.stderr
                summary = json.loads(result.stdout)["session"]["summary"]
                states[session_id] = (summary["recording"], summary.get("interrupted"))
            listed = flooding("sessions", "--data-dir", str(tmp_path))
        assert states == {old: (False, True), live: (True, None)}
        assert "recording now" in listed.stdout
        assert "the program stopped" in listed.stdout


START_S = 1_764_000_000.0  # 2025-11-24: a date, as live sessions have
# RR values as sessions hold them: a strap's 1/1024 s units (0 and 65535 included), whole
# milliseconds from a file, and seconds with a few decimals from a file in seconds
RR_VALUES = st.one_of(
    st.integers(0, 65535).map(lambda k: k / 1024),
    st.integers(250, 2000).map(lambda ms: ms / 1000),
    st.decimals("0.25", "2", places=5).map(float),
)


@st.composite
def tracks(draw: st.DrawFn, n_min: int = 1) -> list[Sample]:
    """One heart's readings as a session stores them: times in order (steps of any
    fraction of a second), any heart rate, RR values, contact flag and energy."""
    n = draw(st.integers(n_min, 40))
    steps = draw(st.lists(st.floats(0.0, 3.0), min_size=n, max_size=n))
    t = START_S + draw(st.floats(0.0, 1.0))
    out = []
    for step in steps:
        t += step
        out.append(
            Sample(
                t,
                draw(st.one_of(st.integers(0, 250).map(float), st.floats(0.0, 250.0))),
                tuple(draw(st.lists(RR_VALUES, max_size=4))),
                draw(st.sampled_from([True, False, None])),
                draw(st.one_of(st.none(), st.integers(0, 65535))),
            )
        )
    return out


def _exported(store: Store, session_id: int, form: str, folder: Path) -> Path:
    target = folder / f"export.{form}"
    if form == "csv":
        target.write_text(samples_csv(store, session_id), encoding="utf-8")
    else:
        target.write_text(json.dumps(session_json(store, session_id)), encoding="utf-8")
    return target


ROUND_TRIP = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestRoundTrip:
    @ROUND_TRIP
    @given(track=tracks(), form=st.sampled_from(["csv", "json"]))
    def test_a_solo_export_imports_back_to_the_same_samples(
        self, track: list[Sample], form: str
    ) -> None:
        """Whatever a session holds, its CSV or JSON export imports back to the very same
        samples: times, heart rates, every RR value, contact and energy, bit for bit."""
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            store = Store.open(folder / "data")
            try:
                sid = store_readings(store, track, source="strap")
                original = list(store.iter_samples(sid))
                read_back = read_tracks(_exported(store, sid, form, folder))
                assert list(read_back) == [""]
                again = import_recording(store, read_back[""], default_settings())
                assert list(store.iter_samples(again.session_id)) == original
            finally:
                store.close()

    def test_a_recording_without_clock_times_exports_no_date_and_imports_back(
        self, tmp_path: Path
    ) -> None:
        """A session from a file without clock times gets no made-up 1970 date in the CSV's
        local time, and imports back to the same samples."""
        store = Store.open(tmp_path / "data")
        track = [Sample(float(k), 70.0 + k, (0.8,), True) for k in range(5)]
        sid = store_readings(store, track, source="import:txt")
        exported = _exported(store, sid, "csv", tmp_path)
        rows = list(csv.DictReader(exported.read_text(encoding="utf-8").splitlines()))
        assert [row["time_local"] for row in rows] == [""] * 5
        assert [row["time_unix_s"] for row in rows] == ["0", "1", "2", "3", "4"]
        again = import_recording(store, read_tracks(exported)[""], default_settings())
        assert list(store.iter_samples(again.session_id)) == list(store.iter_samples(sid))
        store.close()

    @ROUND_TRIP
    @given(a=tracks(n_min=2), b=tracks(n_min=2), form=st.sampled_from(["csv", "json"]))
    def test_a_couple_export_imports_back_to_the_same_two_tracks(
        self, a: list[Sample], b: list[Sample], form: str
    ) -> None:
        """A couple session's export reads back as two people, by name, and imports as a
        couple session holding each partner's very same samples."""
        b = [
            Sample(a[0].t_s + i * (a[-1].t_s - a[0].t_s) / len(b), s.bpm, s.rr_s, s.contact)
            for i, s in enumerate(b)
        ]  # both tracks over one talk, as a live session has them
        if a[-1].t_s <= a[0].t_s:
            return  # one instant: no talk to share
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            store = Store.open(folder / "data")
            try:
                sid = store.begin_session(a[0].t_s, source="couple", mode="talk")
                for person, track in (("Alex", a), ("Sam", b)):
                    store.add_person(sid, person, mode="talk")
                    store.add_samples(sid, track, person)
                store.end_session(sid, a[-1].t_s)
                read_back = read_tracks(_exported(store, sid, form, folder))
                assert list(read_back) == ["Alex", "Sam"]
                again = import_couple(store, read_back, default_settings())
                assert again.aligned_on_clock
                for person in ("Alex", "Sam"):
                    assert list(store.iter_samples(again.session_id, person)) == list(
                        store.iter_samples(sid, person)
                    )
            finally:
                store.close()


class TestWithoutOutputFile:
    def test_a_terminal_gets_a_file_in_the_current_folder_not_pages_of_numbers(
        self, tmp_path: Path
    ) -> None:
        """`flooding export` on a terminal writes flooding-session-N-DATE.csv in the current
        folder and says where, instead of printing every reading on the screen."""
        data = tmp_path / "data"
        store = Store.open(data)
        session_id = record(store)
        n = store.sample_count(session_id)
        store.close()
        here = tmp_path / "here"
        here.mkdir()
        screen, terminal = pty.openpty()
        root = Path(__file__).resolve().parent.parent
        done = subprocess.run(
            [sys.executable, "-m", "flooding", "export", "--data-dir", str(data)],
            stdout=terminal,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=here,
            env={**os.environ, "PYTHONPATH": str(root)},
            timeout=120,
            check=False,
        )
        os.close(terminal)
        shown = b""
        with contextlib.suppress(OSError):
            while chunk := os.read(screen, 65536):
                shown += chunk
        os.close(screen)
        assert done.returncode == 0, done.stderr
        written = list(here.iterdir())
        day = datetime.fromtimestamp(SESSION_START_S).strftime("%Y-%m-%d")
        assert [p.name for p in written] == [f"flooding-session-{session_id}-{day}.csv"]
        assert len(written[0].read_text(encoding="utf-8").splitlines()) == n + 1
        assert f"Wrote {written[0]}" in shown.decode()
        assert len(shown.decode().splitlines()) < 5


def test_a_couple_sessions_episodes_table_is_refused_alike_by_the_command_and_the_app(
    tmp_path: Path,
) -> None:
    """`export --episodes` of a session of two writes nothing and says, as the app's 409
    does, that its episodes (each one partner's) are in the JSON export."""
    import aiohttp

    from flooding.app.web.server import AppServer
    from tests.test_couple import couple_tracks, store_couple
    from tests.test_web_guard import base, cookie_of, serve

    store = Store.open(tmp_path)
    try:
        sid = store_couple(store, couple_tracks())
    finally:
        store.close()
    table, readings = tmp_path / "episodes.csv", tmp_path / "readings.csv"
    done = flooding(
        "export", str(sid), "--episodes", str(table), "-o", str(readings),
        "--data-dir", str(tmp_path),
    )  # fmt: skip
    said: list[tuple[int, str]] = []

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        headers = {"Cookie": await cookie_of(server, client)}
        url = f"{base(server)}/sessions/{sid}/episodes.csv"
        async with client.get(url, headers=headers) as answer:
            said.append((answer.status, (await answer.text()).strip()))

    serve(tmp_path, check)
    assert done.returncode != 0
    assert not table.exists()
    assert not readings.exists()
    ((status, app_words),) = said
    assert status == 409
    assert "JSON export" in app_words
    assert app_words in done.stdout + done.stderr
