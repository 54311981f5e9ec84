"""The session plot (PNG) and the one-file HTML report."""

from __future__ import annotations

import base64
import dataclasses
import html
import math
import re
import shutil
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from flooding.app.importing import import_recording
from flooding.app.report import (
    PAUSE_CHAR_FRACTION,
    decimated,
    pause_words,
    plot_data,
    plot_title,
    render_html,
    render_png,
    session_png,
    with_gaps,
)
from flooding.core.engine import run_batch
from flooding.core.models import Sample
from flooding.core.timefmt import long_date
from flooding.io.config_files.loading import default_settings
from flooding.io.locale_files import load_catalogue
from flooding.io.readers import read
from flooding.io.store import Store
from flooding.lab.simulate import hard_talk, samples
from tests._data import recording, requires_data
from tests.session_factory import START_S, flooding, gappy_talk, record, store_readings
from tests.test_catalogue import FROZEN_DB, no_english, run_cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def decode(png: bytes, tmp_path: Path) -> tuple[int, int]:
    """Decode PNG bytes with matplotlib; returns (width, height) in pixels."""
    path = tmp_path / "decoded.png"
    path.write_bytes(png)
    pixels = matplotlib.image.imread(path)
    return pixels.shape[1], pixels.shape[0]


class TestPng:
    def test_hard_talk_plot_is_a_real_sizeable_png(self, tmp_path: Path) -> None:
        """The plot of a session is a PNG that decodes and is at least 800 x 400 pixels."""
        store = Store.open(tmp_path)
        png = session_png(store, record(store))
        store.close()
        assert png is not None
        assert png.startswith(PNG_MAGIC)
        width, height = decode(png, tmp_path)
        assert width >= 800
        assert height >= 400

    def test_session_with_gaps_and_without_clock_times(self, tmp_path: Path) -> None:
        """Sessions with a dropped link, lost contact, or times from a file (no clock) plot."""
        store = Store.open(tmp_path)
        for start in (START_S, 0.0):
            png = session_png(store, record(store, gappy_talk(), start_s=start))
            assert png is not None
            assert decode(png, tmp_path)[0] >= 800
        store.close()

    def test_no_such_session(self, tmp_path: Path) -> None:
        """Asking for a session that does not exist gives None, not a picture."""
        store = Store.open(tmp_path)
        assert session_png(store, 5) is None
        store.close()

    def test_baseline_and_threshold_follow_the_monitor(self, tmp_path: Path) -> None:
        """The plotted threshold sits at the alert's threshold when the alert fired."""
        store = Store.open(tmp_path)
        session_id = record(store)
        data = plot_data(store, session_id)
        store.close()
        assert data is not None
        alert_s = data.alerts_s[0]
        index = next(i for i, s in enumerate(data.samples) if s.t_s >= alert_s)
        assert data.threshold_bpm[index] == pytest.approx(data.review.episodes[0].threshold_bpm)
        assert np.isnan(data.baseline_bpm[0])  # the baseline forms over the first minutes (NaN)


ACTIVITY_RGB = (0x7B / 255, 0x5E / 255, 0xA7 / 255)


def record_moving_talk(store: Store) -> int:
    """A hard talk recorded with an accelerometer: still, but walking for minutes 5 to 7."""
    settings = default_settings()
    recorded = [
        dataclasses.replace(s, activity_g=0.2 if 300 <= s.t_s - START_S < 420 else 0.01)
        for s in samples(hard_talk(), START_S)
    ]
    session_id = store.begin_session(START_S, source="test", mode="talk")
    store.add_samples(session_id, recorded)
    for event in run_batch(recorded, settings).events:
        store.add_event(session_id, event)
    store.end_session(session_id, recorded[-1].t_s)
    return session_id


def activity_pixels(png: bytes, tmp_path: Path) -> int:
    """How many pixels have the movement band's own colour."""
    path = tmp_path / "decoded.png"
    path.write_bytes(png)
    rgb = matplotlib.image.imread(path)[:, :, :3]
    return int((abs(rgb - ACTIVITY_RGB).max(axis=2) < 0.02).sum())


class TestActivity:
    def test_a_session_with_movement_gets_a_movement_band_under_the_heart(
        self, tmp_path: Path
    ) -> None:
        """With activity levels the plot is taller and draws the movement band (its colour
        in the lower part only); without them the plot keeps its size and has no band."""
        store = Store.open(tmp_path)
        moving = session_png(store, record_moving_talk(store))
        plain = session_png(store, record(store, start_s=START_S + 86_400))
        store.close()
        assert moving is not None
        assert plain is not None
        width, height = decode(moving, tmp_path)
        assert (width, height) == (decode(plain, tmp_path)[0], decode(plain, tmp_path)[1] + 165)
        assert activity_pixels(plain, tmp_path) == 0
        assert activity_pixels(moving, tmp_path) > 200
        path = tmp_path / "decoded.png"
        path.write_bytes(moving)
        upper = matplotlib.image.imread(path)[: height * 2 // 3, :, :3]
        assert int((abs(upper - ACTIVITY_RGB).max(axis=2) < 0.02).sum()) == 0


class TestGaps:
    def test_gap_becomes_nan(self) -> None:
        """Samples more than the gap apart get a NaN between them; close ones do not."""
        xs, ys = with_gaps([0.0, 1.0, 2.0, 20.0, 21.0], [70.0, 71.0, None, 80.0, 81.0], 3.0)
        assert len(xs) == 6
        assert math.isnan(ys[2])  # a sample without a value
        assert math.isnan(ys[3])  # the inserted break
        assert 2.0 < xs[3] < 20.0
        assert ys[4:] == [80.0, 81.0]


class TestHtml:
    def test_self_contained_with_plot_and_table(self, tmp_path: Path) -> None:
        """The HTML embeds the PNG, lists the episode and escapes the note; no outside links."""
        store = Store.open(tmp_path)
        session_id = record(store)
        store.set_note(session_id, "<script>alert(1)</script> money")
        data = plot_data(store, session_id)
        store.close()
        assert data is not None
        page = render_html(data.review, render_png(data))
        (embedded,) = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
        assert base64.b64decode(embedded).startswith(PNG_MAGIC)
        assert "<script>" not in page
        assert "&lt;script&gt;" in page
        assert "relative" in page
        assert "Ready to return" in page
        assert not re.search(r'(src|href)="https?:', page)


class TestPlotCommand:
    def test_writes_owner_only_png_and_html(self, tmp_path: Path) -> None:
        """`flooding plot` writes a PNG and `--html` a report, both readable by the owner only."""
        data = tmp_path / "data"
        store = Store.open(data)
        session_id = record(store)
        store.close()
        png, page = tmp_path / "s.png", tmp_path / "s.html"
        result = flooding("plot", str(session_id), "-o", str(png), "--data-dir", str(data))
        assert result.returncode == 0, result.stdout + result.stderr
        result = flooding("plot", "--html", "-o", str(page), "--data-dir", str(data))
        assert result.returncode == 0, result.stdout + result.stderr
        assert png.read_bytes().startswith(PNG_MAGIC)
        assert "data:image/png;base64," in page.read_text()
        for path in (png, page):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_a_folder_that_is_not_there_is_refused_on_stderr(self, tmp_path: Path) -> None:
        """`plot -o` into a folder that does not exist says it cannot write there, on stderr
        with exit 1 (nothing on stdout)."""
        store = Store.open(tmp_path / "data")
        record(store)
        store.close()
        target = tmp_path / "missing" / "talk.png"
        done = flooding("plot", "-o", str(target), "--data-dir", str(tmp_path / "data"))
        assert done.returncode == 1
        assert done.stdout == ""
        said = f"flooding plot: cannot write {target}: nothing by that name\n"
        assert done.stderr == said
        assert not target.parent.exists()

    def test_unknown_session(self, tmp_path: Path) -> None:
        """Plotting a session that does not exist fails with a pointer to `flooding sessions`."""
        result = flooding("plot", "3", "-o", str(tmp_path / "x.png"), "--data-dir", str(tmp_path))
        assert result.returncode == 1
        assert "flooding sessions" in result.stderr
        assert not (tmp_path / "x.png").exists()

    def test_help_does_not_load_matplotlib(self) -> None:
        """Building the command line does not import matplotlib (fast `flooding --help`)."""
        code = (
            "import sys, flooding.cli.main; flooding.cli.main.build_parser(); "
            "print('matplotlib' in sys.modules)"
        )
        root = Path(__file__).resolve().parent.parent
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
        )
        assert out.stdout.strip() == "False"


def test_plot_data_reads_the_session_once(tmp_path: Path) -> None:
    """Gathering a plot reads the session's samples and events once each, and summarises
    only that session, however many others the store holds."""
    store = Store.open(tmp_path)
    for n in range(5):
        record(store, start_s=START_S + (n + 1) * 86_400)
    session_id = record(store)
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    try:
        data = plot_data(store, session_id)
    finally:
        store.db.set_trace_callback(None)
        store.close()
    assert data is not None
    assert data.review.summary.id == session_id
    # its samples: the rows, or the columns kept when it ended (`sample_columns`)
    assert sum("SELECT t_s, bpm" in s or "data FROM sample_columns" in s for s in statements) == 1
    assert sum("SELECT id, session_id, t_s, kind" in s for s in statements) == 1
    listing = [s for s in statements if "FROM sessions" in s and "ORDER BY started_s" in s]
    assert listing == []


class TestPictureFormat:
    @pytest.mark.parametrize(
        ("name", "magic"),
        [("talk.pdf", b"%PDF"), ("talk.svg", b"<?xml"), ("talk.PNG", b"\x89PNG")],
    )
    def test_the_file_name_says_the_format(self, tmp_path: Path, name: str, magic: bytes) -> None:
        """`plot -o x.pdf` writes a PDF, .svg an SVG, .png a PNG (any letter case)."""
        store = Store.open(tmp_path / "data")
        record(store)
        store.close()
        target = tmp_path / name
        done = flooding("plot", "-o", str(target), "--data-dir", str(tmp_path / "data"))
        assert done.returncode == 0, done.stderr
        assert target.read_bytes().startswith(magic)

    @pytest.mark.parametrize("name", ["talk.jpg", "talk"])
    def test_another_name_is_refused_naming_the_formats(self, tmp_path: Path, name: str) -> None:
        """A name that is not .png, .svg or .pdf is refused, naming the formats there are,
        and nothing is written."""
        store = Store.open(tmp_path / "data")
        record(store)
        store.close()
        done = flooding("plot", "-o", str(tmp_path / name), "--data-dir", str(tmp_path / "data"))
        assert done.returncode != 0
        assert ".png, .svg, .pdf" in done.stderr
        assert "Traceback" not in done.stderr
        assert not (tmp_path / name).exists()


@pytest.mark.parametrize("couple", [False, True])
def test_a_session_of_one_reading_plots_without_a_warning(tmp_path: Path, couple: bool) -> None:
    """A session holding a single reading (one person's or each partner's) plots quietly:
    no matplotlib warning on the screen, and a picture is written."""

    reading = Sample(START_S, 70.0, (), True)
    store = Store.open(tmp_path / "data")
    sid = store.begin_session(START_S, source="test", mode="talk")
    if couple:
        for person in ("Alex", "Sam"):
            store.add_person(sid, person, mode="talk")
            store.add_samples(sid, [reading], person)
    else:
        store.add_samples(sid, [reading])
    store.end_session(sid, START_S)
    store.close()
    target = tmp_path / "one.png"
    done = flooding("plot", "-o", str(target), "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Warning" not in done.stdout
    assert target.read_bytes().startswith(b"\x89PNG")


class TestLongSessions:
    def test_thinning_keeps_every_peak_and_break(self) -> None:
        """Thinned for 100 pixel columns, a day of samples keeps its highest and lowest
        reading, its first and last sample and the samples on each side of a break."""
        rng = np.random.default_rng(3)
        t = np.concatenate([np.arange(0.0, 40_000.0), np.arange(50_000.0, 86_400.0)])
        bpm = 70 + rng.normal(0, 3, t.size)
        bpm[12_345] = 181.0
        bpm[60_000] = 41.0
        keep = decimated(t, (bpm,), 100)
        assert keep.size < t.size // 50
        assert {0, 12_345, 39_999, 40_000, 60_000, t.size - 1} <= set(keep.tolist())
        assert np.all(np.diff(keep) > 0)

    def test_short_sessions_are_drawn_whole(self) -> None:
        """A session of a few samples per pixel column is not thinned at all."""
        t = np.arange(0.0, 1000.0)
        assert np.array_equal(decimated(t, (t,), 1320), np.arange(1000))

    def test_columns_read_equal_the_samples(self, tmp_path: Path) -> None:
        """A session read as columns holds exactly the samples read one by one."""
        store = Store.open(tmp_path)
        session_id = record(store)
        table = store.sample_columns(session_id)
        samples = list(store.iter_samples(session_id))
        store.close()
        assert table.t_s.tolist() == [s.t_s for s in samples]
        assert table.bpm.tolist() == [s.bpm for s in samples]
        assert table.rr_s.tolist() == [rr for s in samples for rr in s.rr_s]
        assert table.rr_counts.tolist() == [len(s.rr_s) for s in samples]


class TestAMonth:
    def test_pause_words_fit_their_pause_and_never_overlap(self) -> None:
        """Over weeks of pauses side by side, a pause's words are written only inside a
        pause wide enough for them (so never over other words)."""
        day_s = 86_400.0
        paused = [(k * 0.37 * day_s, k * 0.37 * day_s + (0.3 + k % 3) * 3600) for k in range(80)]
        paused += [(31 * day_s, 40 * day_s), (40.5 * day_s, 49 * day_s)]  # days: room for words
        span_s = 50 * day_s
        words = pause_words(paused, span_s)
        assert [text for _, text in words] == ["Pause (9 d 00 h)", "Pause (8 d 12 h)"]
        for mid_s, text in words:
            first_s, stop = next((a, b) for a, b in paused if a < mid_s < b)
            half = len(text) * PAUSE_CHAR_FRACTION * span_s / 2
            assert first_s <= mid_s - half
            assert mid_s + half <= stop
        hour = pause_words([(0.0, 1200.0)], 3600.0)  # a 20-minute pause in an hour: words
        assert hour == [(600.0, "Pause (20 min)")]
        assert pause_words([(0.0, 60.0)], 3600.0) == []  # a minute: too narrow for them

    @requires_data
    def test_a_watch_month_plots_small_and_dated(self, tmp_path: Path) -> None:
        """A watch's month plots with dates on its axis and in its title (start and end),
        as a PNG, and as an SVG and a PDF whose heavy lines are pixels: small files."""
        store = Store.open(tmp_path)
        rec = read(recording("fitbit_30-day_free-living_hr.csv"))
        sid = import_recording(store, rec, default_settings()).session_id
        data = plot_data(store, sid)
        store.close()
        assert data is not None
        title = plot_title(data.review, float(data.table.t_s[-1]))
        assert " 2016, " in title.split(" to ")[1]  # the end's date, not a bare clock time
        png = render_png(data)
        assert decode(png, tmp_path)[0] >= 800
        svg = render_png(data, "svg")
        assert b"<image" in svg
        # its 352 alerts, pauses and episodes stay marks of their own (some hundred bytes
        # each); its 154,104 readings as three vector lines would take megabytes
        assert len(svg) < 600_000
        assert len(render_png(data, "pdf")) < 200_000


# -- the picture in the person's language ---------------------------------------------------------

ENGLISH_PICTURE_WORDS = (
    "Your heart",
    "Heart rate",
    "calm baseline",
    "Flooding threshold",
    "Flooded",
    "Alert",
    "Ready to return",
    "Time of day",
    "moving",
    "Movement",
)


def svg_texts(svg: bytes) -> str:
    """The texts drawn in an SVG picture whose text was kept as text, one a line."""
    found = re.findall(r"<text[^>]*>(.*?)</text>", svg.decode("utf-8"), re.S)
    return "\n".join(html.unescape(text) for text in found)


def picture_words(store: Store, session_id: int, language: str) -> str:
    """The texts of a session's picture drawn in `language` (as SVG, its text kept as text)."""
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        svg = session_png(store, session_id, image_format="svg", say=load_catalogue(language))
    assert svg is not None
    return svg_texts(svg)


def record_month(store: Store, start_s: float) -> int:
    """A month-long session: a reading a minute for 31 days."""
    times = start_s + np.arange(0.0, 31 * 86_400.0, 60.0)
    return store_readings(store, [Sample(float(t), 70.0, (), True) for t in times])


class TestThePictureInThePersonsLanguage:
    def test_a_german_plot_has_german_words_and_no_english_ones(self, tmp_path: Path) -> None:
        """A talk with an alert, a pause, ready-to-return and a movement band, drawn in
        German, names all of it in German and holds none of the English words."""
        store = Store.open(tmp_path)
        session_id = record_moving_talk(store)
        started = datetime.fromtimestamp(START_S).astimezone()
        english = picture_words(store, session_id, "en")
        german = picture_words(store, session_id, "de")
        store.close()
        for word in ENGLISH_PICTURE_WORDS:
            assert word in english, word
            assert word not in german, word
        assert no_english(german) == []
        assert re.search(r"^Hinweis \d\d:\d\d$", german, re.M)
        assert f"{started:%A}" in english
        assert f"{started:%A}" not in german
        for word in (
            "Dein Herz während des Gesprächs: " + long_date(started.date(), load_catalogue("de")),
            "Puls (Schläge pro Minute)",
            "Dein Ruhepuls (",
            "Überflutungsgrenze (",
            "Überflutet",
            "Hinweis auf Überflutung",
            "Bereit zurückzukehren",
            "Uhrzeit",
            "in Bewegung",
            "Bewegung (g)",
        ):
            assert word in german, word

    def test_the_english_plot_keeps_its_words(self, tmp_path: Path) -> None:
        """Without a language the picture's words are the English ones it always had."""
        store = Store.open(tmp_path)
        session_id = record(store)
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            svg = session_png(store, session_id, image_format="svg")
        store.close()
        assert svg is not None
        words = svg_texts(svg).splitlines()
        start = datetime.fromtimestamp(START_S).astimezone()
        title = f"Your heart during the talk: {start:%A %d %B %Y}, {start:%H:%M}-"
        assert any(word.startswith(title) for word in words)
        assert {"Heart rate", "Flooded", "Pause", "Flooding alert", "Ready to return"} <= set(words)
        assert {"Time of day", "Heart rate (beats per minute)"} <= set(words)

    def test_a_month_long_plot_names_its_months_in_the_language(self, tmp_path: Path) -> None:
        """A plot over a month labels its axis by date, with German month names in German
        (21. Sep., 5. Okt.) and the English ones as before in English (21 Sep, 05 Oct)."""
        store = Store.open(tmp_path)
        session_id = record_month(store, START_S)
        english = picture_words(store, session_id, "en").splitlines()
        german = picture_words(store, session_id, "de").splitlines()
        store.close()
        english_days = [w for w in english if re.fullmatch(r"\d\d (Sep|Oct)", w)]
        german_days = [w for w in german if re.fullmatch(r"\d{1,2}\. (Sep|Okt)\.", w)]
        assert len(english_days) >= 5
        assert any(day.endswith("Oct") for day in english_days)
        assert len(german_days) == len(english_days)
        assert any(day.endswith("Okt.") for day in german_days)
        assert not any("Oct" in word for word in german)
        assert "Date" in english
        assert "Datum" in german
        title = next(word for word in german if word.startswith("Dein Herz"))
        assert " bis " in title

    def test_plot_lang_de_draws_the_couple_picture_in_german(self, tmp_path: Path) -> None:
        """`flooding plot --lang de` of a couple's session draws both hearts' words in
        German; without --lang they are English."""
        shutil.copyfile(FROZEN_DB, tmp_path / "flooding.db")
        data = ("--data-dir", str(tmp_path))
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            run_cli("plot", "2", "-o", str(tmp_path / "en.svg"), *data)
            run_cli("plot", "2", "-o", str(tmp_path / "de.svg"), "--lang", "de", *data)
        english = svg_texts((tmp_path / "en.svg").read_bytes())
        german = svg_texts((tmp_path / "de.svg").read_bytes())
        for word in ("Two hearts in one conversation", "'s heart", "'s calm", "Time of day"):
            assert word in english, word
            assert word not in german, word
        assert no_english(german) == []
        for word in ("Zwei Herzen in einem Gespräch", "Herz von ", "Ruhepuls von ", "Uhrzeit"):
            assert word in german, word
