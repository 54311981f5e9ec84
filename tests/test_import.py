"""Recordings from other apps become stored sessions, reviewed, plotted, exported and re-read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from flooding.cli.main import main
from flooding.core.models import Sample
from flooding.io.readers import read
from flooding.io.store import Store
from tests._data import DATA, requires_data
from tests.session_factory import record, stored_readings

RECORDINGS = (DATA or Path("shared/data")) / "recordings"
# without the shared data one placeholder, which requires_data skips (or fails in CI); with
# it, every recording, and an empty folder fails at collection (empty_parameter_set_mark)
ALL_RECORDINGS = (
    ["(no shared data)"] if DATA is None else sorted(p.name for p in RECORDINGS.iterdir())
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command line in-process; return its exit code, stdout and stderr."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def session_count(data: Path) -> int:
    """How many sessions the store in `data` holds."""
    store = Store.open(data)
    try:
        return len(store.sessions())
    finally:
        store.close()


def stored_rows(data: Path) -> tuple[int, int, int]:
    """How many sessions, samples and events the store in `data` holds."""
    store = Store.open(data)
    try:
        sessions, samples, events = (
            int(store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("sessions", "samples", "events")
        )
        return sessions, samples, events
    finally:
        store.close()


@requires_data
@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_RECORDINGS)
def test_every_recording_imports_reviews_plots_and_round_trips(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each real recording imports, reviews, plots, and exports to CSV that imports back equal."""
    data = tmp_path / "data"
    source = RECORDINGS / name
    code, out, err = run(capsys, "import", str(source), "--data-dir", str(data))
    assert code == 0, err
    assert "as session 1" in out

    code, out, err = run(capsys, "review", "1", "--json", "--data-dir", str(data))
    assert code == 0, err
    review = json.loads(out)
    assert review["samples"] == len(read(source).samples)

    png = tmp_path / "session.png"
    code, _, err = run(capsys, "plot", "1", "-o", str(png), "--data-dir", str(data))
    assert code == 0, err
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert png.stat().st_size > 20_000

    exported = tmp_path / "session.csv"
    code, _, err = run(
        capsys, "export", "1", "--format", "csv", "-o", str(exported), "--data-dir", str(data)
    )
    assert code == 0, err
    code, out, err = run(capsys, "import", str(exported), "--data-dir", str(data))
    assert code == 0, err
    store = Store.open(data)
    try:
        first = list(store.iter_samples(1))
        again = list(store.iter_samples(2))
    finally:
        store.close()
    assert len(again) == len(first)
    for a, b in zip(first, again, strict=True):
        assert b.t_s == pytest.approx(a.t_s, abs=1e-3)
        assert b.bpm == pytest.approx(a.bpm, abs=1e-6)
        assert b.rr_s == pytest.approx(a.rr_s, abs=1e-3)


class TestBadFiles:
    @requires_data
    def test_a_truncated_file_is_refused_and_nothing_is_stored(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file cut in the middle of a row is refused with its line, and no session appears."""
        data = tmp_path / "data"
        good = RECORDINGS / "polar-h10_pvc_hr-rr.csv"
        assert run(capsys, "import", str(good), "--data-dir", str(data))[0] == 0
        text = good.read_text(encoding="utf-8").splitlines()
        broken = tmp_path / "broken.csv"
        broken.write_text("\n".join([*text[:50], "1715000000000000000,7x"]) + "\n")
        code, _, err = run(capsys, "import", str(broken), "--data-dir", str(data))
        assert code == 1
        assert "line 51" in err
        assert "Nothing was imported" in err
        assert session_count(data) == 1

    def test_a_time_in_milliseconds_is_refused_and_sessions_still_lists(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A unix time given in ms is refused at its line; nothing is stored, `sessions` works."""
        data = tmp_path / "data"
        path = tmp_path / "ms.csv"
        path.write_text("time_unix_s,hr_bpm\n1700000000000,70\n1700000001000,71\n")
        code, _, err = run(capsys, "import", str(path), "--data-dir", str(data))
        assert code == 1
        assert "line 2" in err
        assert "Nothing was imported" in err
        assert session_count(data) == 0
        assert run(capsys, "sessions", "--data-dir", str(data))[0] == 0

    def test_a_binary_file_is_refused_clearly(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Random bytes named like a recording get a clear refusal and leave the store as it was."""
        data = tmp_path / "data"
        junk = tmp_path / "export.hrm"
        junk.write_bytes(bytes(range(256)) * 8)
        code, _, err = run(capsys, "import", str(junk), "--data-dir", str(data))
        assert code == 1
        assert str(junk) in err
        assert session_count(data) == 0

    @requires_data
    def test_an_unknown_format_name_lists_the_known_ones(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--format with a name that does not exist lists the formats that do."""
        copy = tmp_path / "rest.txt"
        shutil.copy(RECORDINGS / "rr-ms_rest.txt", copy)
        code, _, err = run(
            capsys, "import", str(copy), "--format", "nope", "--data-dir", str(tmp_path)
        )
        assert code == 2
        assert "polar-hrm" in err

    def test_a_file_without_heart_data_is_refused_on_stderr(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A table whose heart-rate cells are all empty is refused on stderr, as every other
        unreadable file is, with nothing on stdout and nothing stored."""
        data = tmp_path / "data"
        empty = tmp_path / "empty.csv"
        empty.write_text("time_s,hr_bpm\n0,\n1,\n")
        code, out, err = run(capsys, "import", str(empty), "--data-dir", str(data))
        assert code == 1
        assert out == ""
        assert err == f"flooding import: {empty} holds no heart data. Nothing was imported.\n"
        assert session_count(data) == 0

    @pytest.mark.parametrize("start", ["9999-12-31T23:59", "1900-01-01", "1969-12-31T23:00Z"])
    def test_a_start_outside_the_years_a_recording_can_have_is_refused(
        self, start: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--start before 1970 or from 2100 on is refused with exit code 2, saying which
        years, and nothing is stored (export and plot could not show such a date)."""
        data = tmp_path / "data"
        code, out, err = run(
            capsys, "import", str(_beats_file(tmp_path)), "--start", start, "--data-dir", str(data)
        )
        assert (code, out) == (2, "")
        assert err == (
            f"flooding import: --start {start!r} is not between 1970 and 2100: give the date"
            " and time the recording began, like 2026-11-20T20:05\n"
        )
        assert not data.exists()

    def test_a_file_of_no_known_format_names_the_option_and_a_csv_header(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A CSV whose columns no reader knows is refused naming --format and the columns a
        CSV needs."""
        path = tmp_path / "heart.csv"
        path.write_text("time,heart\n1,70\n")
        code, _, err = run(capsys, "import", str(path), "--data-dir", str(tmp_path / "data"))
        assert code == 1
        assert "name it with --format" in err
        assert "a time column (time_unix_s, time_s, time_ns or timestamp) and hr_bpm" in err
        assert "found 'time,heart'" in err

    def test_a_file_that_is_not_there_says_to_check_its_name(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A misspelt file name is refused saying to check its spelling and folder."""
        missing = tmp_path / "tlak.csv"
        code, _, err = run(capsys, "import", str(missing), "--data-dir", str(tmp_path / "d"))
        assert code == 1
        assert err == (
            f"flooding import: {missing}: expected a file of that name there (check its"
            " spelling and folder), found nothing by that name\nNothing was imported.\n"
        )

    def test_couple_mode_with_one_file_is_refused_naming_couple_mode(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`import --couple` of one file asks for two, naming `import --couple` in front,
        on stderr with exit code 2."""
        one = tmp_path / "one.csv"
        one.write_text("time_s,hr_bpm\n0,70\n1,71\n")
        code, out, err = run(capsys, "import", str(one), "--couple", "--data-dir", str(tmp_path))
        assert code == 2
        assert out == ""
        assert err == "flooding import --couple: give two files, one per partner\n"


@pytest.mark.parametrize("couple", [False, True])
def test_an_import_that_fails_while_storing_reports_its_own_error_and_leaves_nothing(
    tmp_path: Path, couple: bool
) -> None:
    """Storing fails half-way (a refused insert): the import raises that error, named for a
    person, not a later one from closing the store, and no session or sample of it stays."""
    from flooding.app.importing import import_couple, import_recording
    from flooding.io.config_files.loading import default_settings
    from flooding.io.store import StoreError

    path = tmp_path / "rr.txt"
    path.write_text("\n".join(["800", "820", "790", "810"] * 60) + "\n")
    recording = read(path)
    store = Store.open(tmp_path / "data")
    store.db.execute(
        "CREATE TEMP TRIGGER refuse BEFORE INSERT ON samples"
        " BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    )

    def import_and_close() -> None:  # as `flooding import` does
        try:
            if couple:
                import_couple(store, {"A": recording, "B": recording}, default_settings())
            else:
                import_recording(store, recording, default_settings())
        finally:
            store.close()

    with pytest.raises(StoreError, match="disk I/O error"):
        import_and_close()
    assert stored_rows(tmp_path / "data") == (0, 0, 0)


_KILLED_MIDWAY = """
import os, signal, sys
from pathlib import Path
from flooding.app.importing import import_recording
from flooding.io.config_files.loading import default_settings
from flooding.io.files import content_sha256
from flooding.io.readers import read
from flooding.io.store import Store

path, data = Path(sys.argv[1]), Path(sys.argv[2])
store = Store.open(data)
store.db.create_function("killed", 0, lambda: os.kill(os.getpid(), signal.SIGKILL))
store.db.execute(
    "CREATE TEMP TRIGGER midway AFTER INSERT ON samples WHEN NEW.rowid = 500"
    " BEGIN SELECT killed(); END"
)
import_recording(store, read(path), default_settings(), file_sha256=content_sha256([path]))
"""


def _beats_file(folder: Path, beats: int = 2000) -> Path:
    """A plain RR list of `beats` calm intervals."""
    path = folder / "rr.txt"
    path.write_text("\n".join(["800", "820", "790", "810"] * (beats // 4)) + "\n")
    return path


class TestAllOrNothing:
    def test_an_import_killed_half_way_leaves_nothing_and_the_file_imports_again(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An import whose process is killed after its 500th sample is stored leaves no
        session, sample or fingerprint, so importing the file again stores it whole."""
        import signal
        import subprocess
        import sys

        path = _beats_file(tmp_path)
        data = tmp_path / "data"
        killed = subprocess.run(
            [sys.executable, "-c", _KILLED_MIDWAY, str(path), str(data)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert stored_rows(data) == (0, 0, 0)
        code, out, err = run(capsys, "import", str(path), "--data-dir", str(data))
        assert code == 0, err
        assert "as session 1" in out
        code, out, err = run(capsys, "review", "1", "--json", "--data-dir", str(data))
        assert json.loads(out)["samples"] == len(read(path))

    def test_nobody_sees_an_import_before_it_is_whole(self, tmp_path: Path) -> None:
        """Another program reading the database while an import stores its samples finds
        no session; after the import it finds the whole one."""
        import sqlite3

        from flooding.app.importing import import_recording
        from flooding.io.config_files.loading import default_settings
        from flooding.io.store import DB_NAME

        path = _beats_file(tmp_path)
        data = tmp_path / "data"
        store = Store.open(data)
        seen: list[int] = []

        def look() -> None:
            other = sqlite3.connect(data / DB_NAME)
            try:
                seen.append(other.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
            finally:
                other.close()

        store.db.create_function("look", 0, look)
        store.db.execute(
            "CREATE TEMP TRIGGER midway AFTER INSERT ON samples WHEN NEW.rowid = 500"
            " BEGIN SELECT look(); END"
        )
        try:
            import_recording(store, read(path), default_settings())
        finally:
            store.close()
        assert seen == [0]
        assert session_count(data) == 1

    def test_an_import_waits_for_another_program_that_holds_the_database(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An import whose store is open when another program takes the write lock for
        longer than a busy wait (6 s) says it is waiting, then stores the whole session."""
        import sqlite3
        import threading

        from flooding.app.importing import import_recording
        from flooding.io.config_files.loading import default_settings
        from flooding.io.store import DB_NAME

        path = _beats_file(tmp_path)
        data = tmp_path / "data"
        store = Store.open(data)
        other = sqlite3.connect(data / DB_NAME, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN EXCLUSIVE")
        timer = threading.Timer(6.0, lambda: other.execute("COMMIT"))
        timer.start()
        try:
            result = import_recording(store, read(path), default_settings())
        finally:
            timer.join()
            other.close()
            store.close()
        assert any("is busy" in record.getMessage() for record in caplog.records)
        store = Store.open(data)
        try:
            assert [s.id for s in store.sessions()] == [result.session_id]
            assert store.sample_count(result.session_id) == len(read(path))
        finally:
            store.close()

    def test_ctrl_c_during_an_import_says_nothing_was_imported(self, tmp_path: Path) -> None:
        """`flooding import` of a long recording stopped with Ctrl-C (SIGINT) says that
        nothing was imported, exits 130, and stores nothing."""
        import signal
        import subprocess
        import sys
        import time

        path = _beats_file(tmp_path, beats=1_500_000)  # two weeks of beats: seconds to store
        data = tmp_path / "data"
        root = Path(__file__).resolve().parent.parent
        child = subprocess.Popen(
            [sys.executable, "-m", "flooding", "import", str(path), "--data-dir", str(data)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        # Ctrl-C once the import is storing (its database exists), not while Python starts
        from flooding.io.store import DB_NAME

        deadline = time.monotonic() + 60
        while not (data / DB_NAME).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=120)
        assert (child.returncode, out, err) == (130, "", "Stopped: nothing was imported.\n")
        assert session_count(data) == 0

    def test_a_disk_that_refuses_the_samples_is_named_and_nothing_is_imported(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`flooding import` onto a disk that fills up while storing says the disk is full
        and that nothing was imported, exits 1, and leaves no session."""
        import sqlite3

        from flooding.io.store import DB_NAME

        path = _beats_file(tmp_path)
        data = tmp_path / "data"
        session_count(data)  # the database exists
        other = sqlite3.connect(data / DB_NAME)
        with other:
            other.execute(
                "CREATE TRIGGER full AFTER INSERT ON samples WHEN NEW.rowid = 500"
                " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        other.close()
        code, out, err = run(capsys, "import", str(path), "--data-dir", str(data))
        assert code == 1
        assert out == ""
        assert err.startswith(f"flooding import: the disk holding {data} is full.")
        assert err.endswith("\nNothing was imported.\n")
        assert session_count(data) == 0


def _exported_and_imported_back(
    capsys: pytest.CaptureFixture[str], data: Path, exported: Path, *options: str
) -> list[Sample]:
    """Session 1 of `data` exported to `exported` (with `options`) and brought back by
    `flooding import` as session 2: session 2's readings."""
    code, _, err = run(
        capsys, "export", "1", *options, "-o", str(exported), "--data-dir", str(data)
    )
    assert code == 0, err
    code, out, err = run(capsys, "import", str(exported), "--data-dir", str(data))
    assert code == 0, err
    assert "as session 2" in out
    store = Store.open(data)
    try:
        return list(store.iter_samples(2))
    finally:
        store.close()


def _stored_with_edge_rr(data: Path) -> list[Sample]:
    """A session of calm readings among which a strap sent RR values of 0 and 65535 (in its
    1/1024 s unit), as `flooding monitor` stores them."""
    from flooding.core.hrm import RR_UNITS_PER_S, UINT16_MAX

    start_s = 1_714_900_000.0
    readings = [
        Sample(start_s + i, 70.0 + i % 3, (round(0.857 * RR_UNITS_PER_S) / RR_UNITS_PER_S,), True)
        for i in range(120)
    ]
    readings[10] = Sample(readings[10].t_s, 70.0, (0.0,), True)
    readings[20] = Sample(readings[20].t_s, 71.0, (UINT16_MAX / RR_UNITS_PER_S,), True)
    readings[30] = Sample(readings[30].t_s, 72.0, (0.0, 0.5, UINT16_MAX / RR_UNITS_PER_S), None)
    stored_readings(data, readings, source="strap")
    return readings


def test_an_export_with_rr_of_0_and_65535_imports_back_equal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """RR values of 0 and 65535/1024 s that a strap sent survive export and import: the
    re-imported session holds the same readings."""
    data = tmp_path / "data"
    stored = _stored_with_edge_rr(data)
    again = _exported_and_imported_back(capsys, data, tmp_path / "session.csv")
    assert [(s.bpm, s.contact, len(s.rr_s)) for s in again] == [
        (s.bpm, s.contact, len(s.rr_s)) for s in stored
    ]
    for a, b in zip(stored, again, strict=True):
        assert b.rr_s == pytest.approx(a.rr_s, abs=1e-3)
    assert [s.t_s for s in again] == pytest.approx([s.t_s for s in stored], abs=1e-3)


@pytest.mark.parametrize("name", ["session.json", "session.txt"])
def test_the_json_export_imports_back_to_the_same_readings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """`flooding import` reads the program's own JSON export (by extension or by its first
    line) back to exactly the same readings, RR values of 0 and 65535/1024 s included."""
    data = tmp_path / "data"
    stored = _stored_with_edge_rr(data)
    again = _exported_and_imported_back(capsys, data, tmp_path / name, "--format", "json")
    assert again == stored


def test_the_json_export_brings_back_the_note_and_the_false_alarm_marks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A session's JSON export imported into another folder (a backup put back) keeps its
    note and its alert marked as a false alarm, not the readings alone."""
    data = tmp_path / "data"
    store = Store.open(data)
    try:
        sid = record(store)
        store.set_note(sid, "the holidays")
        alert = store.latest_alert(sid)
        assert alert is not None
        store.mark_false_alarm(sid, alert.id, alert.t_s + 30)
    finally:
        store.close()
    target = tmp_path / "backup.json"
    code, _, err = run(
        capsys, "export", str(sid), "--format", "json", "-o", str(target), "--data-dir", str(data)
    )
    assert code == 0, err
    elsewhere = tmp_path / "elsewhere"
    code, _, err = run(capsys, "import", str(target), "--data-dir", str(elsewhere))
    assert code == 0, err
    store = Store.open(elsewhere)
    try:
        [row] = store.sessions()
        back = store.latest_alert(row.id)
        assert back is not None
        assert (row.note, back.t_s) == ("the holidays", alert.t_s)
        assert store.is_false_alarm(row.id, back.id)
    finally:
        store.close()


def test_a_json_file_that_is_not_an_export_is_refused_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON file other than the export is refused naming what was expected; nothing stored."""
    other = tmp_path / "other.json"
    other.write_text('{"hello": "world"}\n')
    data = tmp_path / "data"
    code, _, err = run(capsys, "import", str(other), "--data-dir", str(data))
    assert code != 0
    assert "flooding export --format json" in err
    assert "Traceback" not in err
    assert not data.exists() or session_count(data) == 0


def test_the_same_file_imported_twice_is_said_and_stored_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Importing the same file again (even under another name) says which session already
    holds it and stores nothing; --again stores it once more."""
    data = tmp_path / "data"
    _stored_with_edge_rr(data)
    first = tmp_path / "talk.csv"
    code, _, err = run(capsys, "export", "1", "-o", str(first), "--data-dir", str(data))
    assert code == 0, err
    code, out, err = run(capsys, "import", str(first), "--data-dir", str(data))
    assert code == 0, err
    assert "as session 2" in out
    renamed = tmp_path / "same-talk.csv"
    shutil.copyfile(first, renamed)
    code, out, err = run(capsys, "import", str(renamed), "--data-dir", str(data))
    assert code == 0, err
    assert "already imported as session 2" in out
    assert "--again" in out
    assert session_count(data) == 2
    code, out, err = run(capsys, "import", str(renamed), "--again", "--data-dir", str(data))
    assert code == 0, err
    assert "as session 3" in out
    assert session_count(data) == 3


def test_a_watch_export_is_imported_at_its_own_pace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A watch's export (a reading every 5 s, 10 or 15 s now and then) is judged at its own
    pace, and the import says so: its calm is learned, a rise of 20 bpm under 100 is stored
    as an alert by the relative rule, and only its one real silence is stored as a gap."""
    source = tmp_path / "watch.csv"
    lines = ["time_unix_s,hr_bpm"]
    t = 1_700_000_000
    for k in range(200):  # 16 calm minutes and more, then two minutes 20 bpm up
        lines.append(f"{t},{70 + k % 3 - 1}")
        t += (5, 5, 10, 15)[k % 4]
    t += 120  # the watch not read for two minutes
    for _ in range(24):
        lines.append(f"{t},90")
        t += 5
    source.write_text("\n".join(lines) + "\n")
    data = tmp_path / "data"
    code, out, err = run(capsys, "import", str(source), "--data-dir", str(data))
    assert code == 0, err
    assert "as session 1" in out
    assert "A reading every 5 s: judged at that pace" in out
    store = Store.open(data)
    try:
        [alert] = store.events(1, "alert")
        assert alert.data["rule"] == "relative"
        assert len(store.events(1, "gap-detected")) == 1
    finally:
        store.close()


@requires_data
def test_an_import_on_a_terminal_shows_how_far_it_has_come(tmp_path: Path) -> None:
    """`flooding import` of a month, its error stream a terminal, rewrites one line with the
    percentage done (in the Import page's words) up to 100 %, ends it, then says what was
    stored; nothing of it goes to the output."""
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    root = Path(__file__).resolve().parent.parent
    month = RECORDINGS / "fitbit_30-day_free-living_hr.csv"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "flooding", "import", str(month), "--data-dir", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            cwd=root,
            timeout=300,
            check=False,
        )
        os.close(follower)
        said = b""
        while chunk := _read_or_nothing(leader):
            said += chunk
    finally:
        os.close(leader)
    line = said.decode("utf-8").replace("\r\n", "\n")
    assert done.returncode == 0
    assert done.stdout.startswith("Imported fitbit_30-day_free-living_hr.csv (csv) as session 1")
    steps = line.rstrip("\n").split("\r")[1:]
    assert steps[-1] == "Importing: 100 % done"
    assert steps == [f"Importing: {n} % done" for n in sorted({int(s.split()[1]) for s in steps})]
    assert line.endswith("\n")


def _read_or_nothing(fd: int) -> bytes:
    """What a terminal's leader side holds; b"" once its follower is closed."""
    import os

    try:
        return os.read(fd, 4096)
    except OSError:  # EIO: the follower side is closed and all was read
        return b""
