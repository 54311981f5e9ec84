"""Reviewing sessions: the list, one session's episodes, calm baseline and RMSSD, and the
note, ok and delete commands."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flooding.app.importing import import_recording
from flooding.app.report import plot_data, render_html
from flooding.app.review import (
    busy_spans,
    calm_runs,
    review_session,
    source_words,
    summarize_sessions,
)
from flooding.cli.commands.review import review_lines
from flooding.cli.main import main
from flooding.core.beats import Label, correct_rr
from flooding.core.engine import run_batch
from flooding.core.models import (
    Alert,
    EpisodeEnded,
    EpisodeStarted,
    PauseEnded,
    PauseExtended,
    PauseStarted,
    ReadyToReturn,
    Rule,
)
from flooding.core.timefmt import session_clock
from flooding.io.config_files.loading import default_settings
from flooding.io.locale_files import load_catalogue
from flooding.io.readers import read
from flooding.io.store import Store
from flooding.lab.simulate import hard_talk, samples
from tests._data import recording, requires_data
from tests.monitor_doubles import hanging_up_monitor
from tests.session_factory import (
    START_S,
    calm_talk,
    flooding,
    gappy_talk,
    record,
    record_readings,
    record_with_movement,
    strap_off_talk,
)

ROOT = Path(__file__).resolve().parent.parent


class TestSessionList:
    def test_counts_peak_and_note(self, store: Store) -> None:
        """Each session line has its episodes, pauses, peak, false alarms and note."""
        flooded = record(store)
        calm = record(store, calm_talk(), start_s=START_S + 86_400)
        alert = store.events(flooded, "alert")[0]
        store.mark_false_alarm(flooded, alert.id, alert.t_s + 30)
        store.set_note(flooded, "the holidays")
        by_id = {s.id: s for s in summarize_sessions(store)}
        assert (by_id[flooded].episodes, by_id[flooded].pauses) == (1, 1)
        assert by_id[flooded].false_alarms == 1
        assert by_id[flooded].note == "the holidays"
        flooded_peak_bpm = by_id[flooded].peak_bpm
        assert flooded_peak_bpm is not None
        assert flooded_peak_bpm > 105
        assert (by_id[calm].episodes, by_id[calm].pauses, by_id[calm].false_alarms) == (0, 0, 0)
        calm_peak_bpm = by_id[calm].peak_bpm
        assert calm_peak_bpm is not None
        assert calm_peak_bpm < 80

    def test_unended_session_is_summarised_like_an_ended_one(self, store: Store) -> None:
        """A session cut off before it ended gets the same sample count and peak as if it
        had ended, and its length from its last sample."""
        cut = record(store, end=False)
        before = summarize_sessions(store)[0]
        store.end_session(cut, before.started_s + 100)
        after = summarize_sessions(store)[0]
        assert (before.recording, before.interrupted) == (False, True)  # no monitor running
        assert (after.recording, after.interrupted) == (False, False)
        assert (before.samples, before.peak_bpm) == (after.samples, after.peak_bpm)
        assert before.duration_s is not None
        assert before.duration_s > 20 * 60

    def test_samples_added_after_the_end_refresh_the_summary(self, store: Store) -> None:
        """Samples stored into an ended session make its stored summary count them."""
        session_id = record(store, calm_talk())
        count = summarize_sessions(store)[0].samples
        store.add_samples(session_id, list(store.iter_samples(session_id))[:10])
        store.flush()
        assert summarize_sessions(store)[0].samples == count + 10

    def test_one_query_per_table_whatever_the_number_of_sessions(self, store: Store) -> None:
        """Listing 40 sessions runs the same few queries as listing 2: none per session."""
        statements: list[str] = []
        store.db.set_trace_callback(statements.append)
        for n in range(2):
            record(store, calm_talk(), start_s=START_S + n * 3600)
        statements.clear()
        summarize_sessions(store)
        few = len(statements)
        for n in range(2, 40):
            record(store, calm_talk(), start_s=START_S + n * 3600)
        statements.clear()
        assert len(summarize_sessions(store)) == 40
        assert len(statements) == few <= 4


class TestSessionReview:
    def test_hard_talk_episode_pause_and_recovery(self, store: Store) -> None:
        """The hard talk shows one relative-rule episode with alert, a 20-minute pause,
        ready-to-return and the recovery time."""
        review = review_session(store, record(store))
        assert review is not None
        (episode,) = review.episodes
        assert episode.rule == "relative"
        assert episode.alert_s is not None
        assert episode.pause_start_s == episode.alert_s
        assert episode.ready_s is not None
        assert episode.pause_end_s == episode.ready_s
        assert episode.recovery_s is not None
        assert 20 * 60 <= episode.recovery_s < 25 * 60
        assert not episode.false_alarm

    def test_calm_baseline_and_rmssd(self, store: Store) -> None:
        """The calm baseline is near the scripted 68 bpm and calm RMSSD is a plausible number
        of milliseconds."""
        review = review_session(store, record(store))
        assert review is not None
        assert review.calm_baseline_bpm is not None
        assert abs(review.calm_baseline_bpm - 68) < 3
        assert review.rmssd.rmssd_ms is not None
        assert 5 < review.rmssd.rmssd_ms < 150
        assert review.rmssd.calm_s > 4 * 60

    def test_calm_session_baseline_comes_from_its_readings(self, store: Store) -> None:
        """Without an alert the calm baseline is the median of the calm readings, and 5-minute
        RMSSD windows are reported."""
        review = review_session(store, record(store, calm_talk()))
        assert review is not None
        assert review.episodes == []
        assert review.calm_baseline_bpm is not None
        assert abs(review.calm_baseline_bpm - 66) < 3
        assert review.rmssd.windows >= 1

    def test_gaps_and_lost_contact_are_not_calm(self, store: Store) -> None:
        """Calm time excludes the dropped link and the no-contact stretch."""
        review = review_session(store, record(store, gappy_talk()))
        assert review is not None
        assert review.rmssd.calm_s < 2130 - (90 + 60)


class TestMovement:
    def test_an_episode_that_rose_with_movement_is_said_so_in_plain_words(
        self, store: Store
    ) -> None:
        """Walking from half a minute before the onset: the review marks the episode as
        moving and says so in words, in the terminal, the JSON and the one-page report."""
        review = review_session(store, record_with_movement(store, (-30.0, 60.0)))
        assert review is not None
        assert [e.moving for e in review.episodes] == [True]
        lines = review_lines(review)
        assert any("your body was moving (standing up or walking)" in line for line in lines)
        assert any("may not have been flooding" in line for line in lines)
        assert review.as_dict()["episodes"][0]["moving"] is True
        data = plot_data(store, review.summary.id)
        assert data is not None
        assert "your body was moving" in render_html(data.review, b"")

    def test_still_during_the_rise_and_walking_in_the_pause_say_nothing(self, store: Store) -> None:
        """Sitting still as the heart rose (even walking later, in the pause) is not called
        movement: no words, moving false."""
        for stretch in (None, (120.0, 400.0)):
            review = review_session(store, record_with_movement(store, stretch))
            assert review is not None
            assert [e.moving for e in review.episodes] == [False]
            assert not any("moving" in line for line in review_lines(review))

    def test_without_an_accelerometer_nothing_changes(self, store: Store) -> None:
        """A session without activity levels has no moving key and no movement words."""
        review = review_session(store, record(store))
        assert review is not None
        assert [e.moving for e in review.episodes] == [None]
        assert "moving" not in review.as_dict()["episodes"][0]
        assert not any("moving" in line for line in review_lines(review))


class TestStrapOffInAnEpisode:
    def test_an_episode_the_strap_stopped_reading_is_said_so_everywhere(self, store: Store) -> None:
        """An episode that ended because the strap came off (no usable reading for ten
        minutes) is marked, and said in plain words, at its last reading, in the terminal,
        the JSON and the one-page report."""
        review = review_session(store, record(store, strap_off_talk()))
        assert review is not None
        [episode] = review.episodes
        assert episode.unseen_end
        assert episode.end_s is not None
        said = f"At {session_clock(episode.end_s)} the strap stopped reading your heart"
        assert any(line.startswith(said) for line in review_lines(review))
        assert review.as_dict()["episodes"][0]["unseen_end"] is True
        data = plot_data(store, review.summary.id)
        assert data is not None
        assert "ends at its last reading, not when you calmed down" in render_html(data.review, b"")

    def test_an_episode_that_came_back_down_is_not_marked(self, store: Store) -> None:
        """Episodes that came back below the release level, with a dropped link and lost
        contact inside the episode too, or in a session that ended right there, have no
        mark, no key and no words."""
        talk = samples(hard_talk(), START_S)
        [ended] = [
            e for e in run_batch(talk, default_settings()).events if isinstance(e, EpisodeEnded)
        ]
        cut = [s for s in talk if s.t_s <= ended.t_s]  # the session ended as the heart came down
        sessions = [record(store, scenario) for scenario in (hard_talk(), gappy_talk())]
        sessions.append(record_readings(store, cut))
        for session_id in sessions:
            review = review_session(store, session_id)
            assert review is not None
            assert review.episodes
            assert [e.unseen_end for e in review.episodes] == [False] * len(review.episodes)
            assert all("unseen_end" not in e for e in review.as_dict()["episodes"])
            assert not any("stopped reading" in line for line in review_lines(review))


class TestPauseMatching:
    def test_a_later_pause_does_not_end_an_earlier_one(self, store: Store) -> None:
        """A pause ended by hand ends there, even when a later pause reaches ready-to-return."""
        t0 = START_S
        sid = store.begin_session(t0, source="test", mode="talk")
        for event in (
            EpisodeStarted(t0 + 100, t0 + 80, 104.0, 70.0, 80.0, Rule.RELATIVE),
            Alert(t0 + 100, 104.0, 70.0, 80.0, Rule.RELATIVE),
            PauseStarted(t0 + 100, t0 + 1300, 70.0),
            PauseEnded(t0 + 400, t0 + 100),
            PauseStarted(t0 + 3000, t0 + 4200, 70.0, manual=True),
            ReadyToReturn(t0 + 4300, 72.0, 70.0, t0 + 3000),
        ):
            store.add_event(sid, event)
        store.end_session(sid, t0 + 4400)
        review = review_session(store, sid)
        assert review is not None
        [episode] = review.episodes
        assert episode.pause_end_s == t0 + 400
        assert episode.ready_s is None
        assert episode.recovery_s is None

    def test_each_of_many_episodes_finds_its_own_alert_pause_and_end(self, store: Store) -> None:
        """Of many episodes in a row, each is matched to the alert and pause at its own
        time (to the microsecond), the ready or the hand that ended that very pause, and
        the pause checks within it; an episode without an alert has no pause."""
        t0 = START_S
        sid = store.begin_session(t0, source="test", mode="talk")
        for k in range(40):
            at = t0 + 3000.0 * k + 100
            store.add_event(sid, EpisodeStarted(at, at - 20, 104.0, 70.0, 80.0, Rule.RELATIVE))
            store.add_event(sid, EpisodeEnded(at + 200, at - 20, 110.0))
            if k % 4 == 3:
                continue  # an episode in a pause already, or in a workout: no alert
            store.add_event(sid, Alert(at + 5e-7, 104.0, 70.0, 80.0, Rule.RELATIVE))
            store.add_event(sid, PauseStarted(at, at + 1200, 70.0))
            for check in range(k % 3):
                store.add_event(sid, PauseExtended(at + 1200 + 600 * check, at + 1800, 90.0, 70.0))
            if k % 2:
                store.add_event(sid, PauseEnded(at + 2500, at))
            else:
                store.add_event(sid, ReadyToReturn(at + 2600, 72.0, 70.0, at))
        store.end_session(sid, t0 + 3000.0 * 40)
        review = review_session(store, sid)
        assert review is not None
        assert len(review.episodes) == 40
        for k, episode in enumerate(review.episodes):
            at = t0 + 3000.0 * k + 100
            assert episode.end_s == at + 200
            if k % 4 == 3:
                assert (episode.alert_s, episode.pause_start_s) == (None, None)
                continue
            assert episode.alert_s == at + 5e-7
            assert episode.pause_start_s == at
            assert episode.extensions == k % 3
            assert episode.pause_end_s == (at + 2500 if k % 2 else at + 2600)
            assert episode.ready_s == (None if k % 2 else at + 2600)


def corrected_differences_ms(rr_s: list[float]) -> np.ndarray:
    """Successive differences (ms) of the Lipponen-Tarvainen corrected beats of one run, none
    across a beat outside the plausible range."""
    result = correct_rr(np.array(rr_s))
    src = result.source
    dropped = np.concatenate(([0], np.cumsum(result.labels == Label.OUT_OF_RANGE)))
    whole = dropped[src[1:]] == dropped[src[:-1]]
    diffs: np.ndarray = np.diff(result.rr_s * 1000.0)[whole]
    return diffs


@requires_data
class TestOneRmssd:
    """Every view shows the RMSSD of the corrected beats (flooding.core.beats.hrv)."""

    def test_review_report_and_terminal_show_the_corrected_beat_rmssd(self, store: Store) -> None:
        """On the noisy real recording, review, --json, the terminal and the HTML report all
        show the RMSSD of the corrected beats of the calm stretches (the report in plain words)."""
        imported = import_recording(
            store, read(recording("polar-hrm_noisy.hrm")), default_settings()
        )
        sid = imported.session_id
        review = review_session(store, sid)
        assert review is not None
        samples = list(store.iter_samples(sid))
        runs = calm_runs(samples, busy_spans(review.episodes, samples[-1].t_s))
        diffs = np.concatenate(
            [corrected_differences_ms([r for s in run for r in s.rr_s]) for run in runs]
        )
        expected = float(np.sqrt(np.mean(diffs**2)))
        assert review.rmssd.rmssd_ms == pytest.approx(expected, rel=1e-12)
        assert review.rmssd.differences_used == diffs.size
        assert review.rmssd.differences_used > 100
        shown = f"(RMSSD): {expected:.0f} ms"
        assert any(shown in line for line in review_lines(review, verbose=True))
        data = plot_data(store, sid)
        assert data is not None
        # the report is for people: the same figure in plain words, no "RMSSD"
        page = render_html(data.review, b"")
        assert f"Heart-rate variability while calm: {expected:.0f} ms" in page
        assert "RMSSD" not in page
        assert json.loads(json.dumps(review.as_dict()))["rmssd"]["rmssd_ms"] == pytest.approx(
            expected, rel=1e-12
        )

    def test_beats_too_irregular_say_so_instead_of_a_relaxed_figure(self, store: Store) -> None:
        """On the strap with frequent premature beats (RMSSD 433 ms, "higher usually means
        more relaxed"), review and the report say the beats were too irregular to tell; the
        detailed review gives the figure with the share of jumping pairs."""
        imported = import_recording(
            store, read(recording("polar-h10_pvc_hr-rr.csv")), default_settings()
        )
        review = review_session(store, imported.session_id)
        assert review is not None
        assert review.rmssd.irregular
        plain = "\n".join(review_lines(review))
        assert "not shown, as the beats were too irregular (frequent extra beats)" in plain
        assert "433 ms" not in plain
        detailed = "\n".join(review_lines(review, verbose=True))
        assert "433 ms" in detailed
        assert "85 % of the beat pairs jump by more than a fifth" in detailed
        data = plot_data(store, imported.session_id)
        assert data is not None
        assert "the beats were too irregular" in render_html(data.review, b"")


def run_cli(*args: str) -> tuple[int, str]:
    """Run the command line in-process, capturing what it prints."""
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


class TestCommands:
    def test_review_defaults_to_latest_and_prints_table(self, tmp_path: Path) -> None:
        """`flooding review` shows the latest session's baseline, variability and episode row
        in plain words; `--verbose` adds the RMSSD's figures and the rule's name."""
        store = Store.open(tmp_path)
        record(store, calm_talk())
        latest = record(store, start_s=START_S + 86_400)
        store.close()
        code, out = run_cli("review", "--data-dir", str(tmp_path))
        assert code == 0
        assert f"Session {latest}," in out
        assert "Your calm baseline:" in out
        assert "Heart-rate variability while calm:" in out
        assert "above calm" in out
        assert "RMSSD" not in out
        assert "relative" not in out
        code, out = run_cli("review", "--verbose", "--data-dir", str(tmp_path))
        assert code == 0
        assert "RMSSD" in out
        assert "beat pairs" in out
        assert "relative" in out

    def test_review_json_and_unknown_session(self, tmp_path: Path) -> None:
        """`review --json` carries the calm baseline and RMSSD; an unknown id is an error."""
        store = Store.open(tmp_path)
        session_id = record(store)
        store.close()
        code, out = run_cli("review", str(session_id), "--json", "--data-dir", str(tmp_path))
        data = json.loads(out)
        assert code == 0
        assert data["calm_baseline_bpm"] > 60
        assert data["rmssd"]["rmssd_ms"] > 0
        assert data["episodes"][0]["recovery_s"] > 0
        assert run_cli("review", "99", "--data-dir", str(tmp_path))[0] == 1

    def test_note_shows_in_sessions_and_review(self, tmp_path: Path) -> None:
        """A note written with `flooding note` appears in `sessions` and `review`."""
        store = Store.open(tmp_path)
        session_id = record(store)
        store.close()
        assert (
            run_cli("note", str(session_id), "chores, again", "--data-dir", str(tmp_path))[0] == 0
        )
        assert "chores, again" in run_cli("sessions", "--data-dir", str(tmp_path))[1]
        assert "Note: chores, again" in run_cli("review", "--data-dir", str(tmp_path))[1]
        assert run_cli("note", "42", "x", "--data-dir", str(tmp_path))[0] == 1

    def test_ok_marks_the_latest_alert(self, tmp_path: Path) -> None:
        """`flooding ok` marks the latest session's alert as a false alarm, once."""
        store = Store.open(tmp_path)
        session_id = record(store)
        store.close()
        code, out = run_cli("ok", "--data-dir", str(tmp_path))
        assert code == 0
        assert "false alarm" in out
        assert "already" in run_cli("ok", "--data-dir", str(tmp_path))[1]
        data = json.loads(run_cli("review", "--json", "--data-dir", str(tmp_path))[1])
        assert data["false_alarms"] == 1
        assert data["episodes"][0]["false_alarm"] is True
        store = Store.open(tmp_path)
        assert len(store.events(session_id, "false-alarm")) == 1
        store.close()

    def test_ok_marks_directly_when_the_monitor_does_not_answer(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """When a monitor's socket takes `ok` but closes without an answer, the command says so
        on stderr (not a refusal) and marks the stored alert itself, exit 0."""
        store = Store.open(tmp_path)
        session_id = record(store)
        store.close()
        with hanging_up_monitor(tmp_path):
            code = main(["ok", "--data-dir", str(tmp_path)])
        out, err = capsys.readouterr()
        assert code == 0
        assert err.startswith("flooding ok: the running monitor did not answer (")
        assert "); marking it directly.\n" in err
        assert out.startswith("Marked the alert at ")
        assert f"in session {session_id} as a false alarm." in out
        store = Store.open(tmp_path)
        assert len(store.events(session_id, "false-alarm")) == 1
        store.close()

    def test_ok_without_an_alert(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`flooding ok` on a session without alerts says so on stderr, exit 1, and marks
        nothing."""
        store = Store.open(tmp_path)
        session_id = record(store, calm_talk())
        store.close()
        assert main(["ok", "--data-dir", str(tmp_path)]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err == (
            f"flooding ok: Session {session_id} had no flooding alert; nothing to mark.\n"
        )
        store = Store.open(tmp_path)
        assert store.events(session_id, "false-alarm") == []
        store.close()


class TestDeleteCommand:
    def test_refuses_without_terminal_or_yes(self, tmp_path: Path) -> None:
        """Without a terminal and without --yes nothing is deleted."""
        store = Store.open(tmp_path)
        session_id = record(store)
        store.close()
        result = flooding("delete", str(session_id), "--data-dir", str(tmp_path))
        assert result.returncode == 2
        assert "--yes" in result.stderr
        store = Store.open(tmp_path)
        assert store.session(session_id) is not None
        store.close()

    def test_a_session_that_is_not_there_is_refused_on_stderr(self, tmp_path: Path) -> None:
        """`delete` of a session id the store does not hold says so on stderr, exit 1."""
        store = Store.open(tmp_path)
        record(store)
        store.close()
        result = flooding("delete", "99", "--yes", "--data-dir", str(tmp_path))
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.startswith("No session 99. `")

    def test_yes_deletes_and_says_what(self, tmp_path: Path) -> None:
        """--yes deletes the session and reports how many readings and events went."""
        store = Store.open(tmp_path)
        keep = record(store)
        gone = record(store, start_s=START_S + 86_400)
        n = store.sample_count(gone)
        store.close()
        result = flooding("delete", str(gone), "--yes", "--data-dir", str(tmp_path))
        assert result.returncode == 0, result.stdout
        assert f"{n} heart-rate readings" in result.stdout
        listed = json.loads(flooding("sessions", "--json", "--data-dir", str(tmp_path)).stdout)
        assert [s["id"] for s in listed] == [keep]

    def test_the_sessions_chart_goes_with_it(self, tmp_path: Path) -> None:
        """A chart the demo wrote for a session into the data folder is deleted with the
        session (it would stay, then pass for the next session that gets its number); the
        charts of other sessions stay."""
        from flooding.app.session_files import chart_path

        store = Store.open(tmp_path)
        keep = record(store)
        gone = record(store, start_s=START_S + 86_400)
        store.close()
        for session in (keep, gone):
            chart_path(tmp_path, session).write_bytes(b"\x89PNG chart")
        result = flooding("delete", str(gone), "--yes", "--data-dir", str(tmp_path))
        assert result.returncode == 0, result.stdout
        assert not chart_path(tmp_path, gone).exists()
        assert chart_path(tmp_path, keep).exists()

    @pytest.mark.parametrize(("answer", "kept"), [("n\n", True), ("yes\n", False)])
    def test_asks_on_a_terminal(self, tmp_path: Path, answer: str, kept: bool) -> None:
        """On a terminal it asks; only a yes deletes."""
        store = Store.open(tmp_path)
        session_id = record(store)
        store.close()
        code, out = delete_on_a_terminal(session_id, tmp_path, answer)
        store = Store.open(tmp_path)
        assert (store.session(session_id) is not None) == kept
        store.close()
        assert f"Delete session {session_id} (" in out
        assert "This cannot be undone. [y/N]" in out
        assert code == (1 if kept else 0)
        assert ("Nothing deleted" in out) == kept
        assert ("Deleted session" in out) != kept


def delete_on_a_terminal(session_id: int, data: Path, answer: str, *more: str) -> tuple[int, str]:
    """`flooding delete` (with `more` arguments) in a subprocess whose stdin is a real
    terminal (a pty) on which `answer` is typed; returns its exit code and what it printed."""
    typist, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flooding",
                "delete",
                str(session_id),
                "--data-dir",
                str(data),
                *more,
            ],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        os.close(terminal)
        terminal = -1
        os.write(typist, answer.encode())  # the terminal holds the line until it is read
        out, err = proc.communicate(timeout=60)
    finally:
        for fd in (typist, terminal):
            if fd >= 0:
                os.close(fd)
    assert "Traceback" not in err, err
    return proc.returncode, out


def test_in_german_the_question_takes_ja(tmp_path: Path) -> None:
    """`delete --lang de` asks with [j/N] and deletes on "j" (it took "j" for no), and
    says what went with each count in its own form."""
    store = Store.open(tmp_path)
    session_id = record(store)
    store.close()
    code, out = delete_on_a_terminal(session_id, tmp_path, "j\n", "--lang", "de")
    assert "[j/N]" in out
    assert code == 0
    assert f"Sitzung {session_id} gelöscht" in out
    store = Store.open(tmp_path)
    assert store.session(session_id) is None
    store.close()


class TestDeleteWhileRecording:
    @pytest.mark.timeout(120)
    def test_the_session_being_recorded_is_refused(self, tmp_path: Path) -> None:
        """The session the running monitor records is not deleted (the monitor goes on
        writing it); the monitor keeps recording it."""
        from tests.test_service_process import (
            cli_env,
            start_service,
            stop,
            wait_until_watching,
        )
        from tests.test_service_process import flooding as flooding_in

        data = tmp_path / "data"
        env = cli_env(tmp_path)
        proc = start_service(data, env, "--no-notify")
        try:
            wait_until_watching(proc, data)
            done = flooding_in("delete", "1", "--yes", "--data-dir", str(data), env=env)
            assert done.returncode == 1
            assert "being recorded by the running monitor; stop the monitor first" in done.stderr
            store = Store.open(data)
            try:
                before = store.sample_count(1)
                assert store.session(1) is not None
            finally:
                store.close()
            wait_until_watching(proc, data, samples=before + 2)
            assert proc.poll() is None
        finally:
            _, err = stop(proc)
        assert "Traceback" not in err

    def test_a_session_cut_off_without_a_monitor_can_be_deleted(self, tmp_path: Path) -> None:
        """A session that never ended (a crash) and no monitor running: deleted as usual."""
        store = Store.open(tmp_path)
        session_id = record(store, calm_talk(), end=False)
        store.close()
        result = flooding("delete", str(session_id), "--yes", "--data-dir", str(tmp_path))
        assert result.returncode == 0, result.stdout + result.stderr
        store = Store.open(tmp_path)
        assert store.session(session_id) is None
        store.close()


def note_refused(data: Path, text: str) -> tuple[int, str]:
    """A session noted "chores", then `flooding note` of `text`, which must be refused (exit
    not 0); the session and what was said on stderr."""
    store = Store.open(data)
    session_id = record(store)
    store.close()
    assert run_cli("note", str(session_id), "chores", "--data-dir", str(data))[0] == 0
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["note", str(session_id), text, "--data-dir", str(data)])
    assert code != 0
    return session_id, err.getvalue()


class TestNotesShownSafely:
    def test_a_long_many_line_note_keeps_the_sessions_table_a_table(self, tmp_path: Path) -> None:
        """A 5,000-character note (an earlier version let one in) and a note of several lines
        each show on one bounded line of `sessions`, every row with the same column starts."""
        store = Store.open(tmp_path)
        first = record(store)
        second = record(store, start_s=START_S + 3600)
        store.set_note(first, "x" * 5000)
        store.close()
        data = ("--data-dir", str(tmp_path))
        assert run_cli("note", str(second), "money\nagain\n\nand the car", *data)[0] == 0
        lines = run_cli("sessions", *data)[1].splitlines()
        assert len(lines) == 3
        assert all(len(line) < 200 for line in lines)
        note_at = lines[0].index("note")
        assert lines[2][note_at:] == "money again and the car"
        assert lines[1][note_at:].startswith("xxx")
        assert lines[1].endswith("…")
        store = Store.open(tmp_path)
        assert store.session(first) is not None
        assert store.session(first).note == "x" * 5000  # type: ignore[union-attr]
        store.close()

    def test_escape_codes_in_a_note_never_reach_the_terminal(self, tmp_path: Path) -> None:
        """Escape codes and other control characters in a note are left out of `sessions`
        and `review`, the note itself is stored as typed."""
        store = Store.open(tmp_path)
        session_id = record(store)
        store.close()
        typed = "calm \x1b[31mred\x1b[0m \x1b]0;title\x07ok\x07\x08"
        assert run_cli("note", str(session_id), typed, "--data-dir", str(tmp_path))[0] == 0
        for command in ("sessions", "review"):
            shown = run_cli(command, "--data-dir", str(tmp_path))[1]
            assert "calm red ok" in shown
            assert not any(ch in shown for ch in "\x1b\x07\x08")
        store = Store.open(tmp_path)
        assert store.session(session_id).note == typed  # type: ignore[union-attr]
        store.close()

    def test_a_note_longer_than_the_apps_box_takes_is_refused(self, tmp_path: Path) -> None:
        """`note N` with 501 characters is refused as the app's box refuses it, naming the
        limit, and the note stays as it was."""
        session_id, said = note_refused(tmp_path, "x" * 501)
        assert "501 characters" in said
        assert "500 or fewer" in said
        data = ("--data-dir", str(tmp_path))
        assert "Note: chores" in run_cli("review", *data)[1]
        assert run_cli("note", str(session_id), "y" * 500, *data)[0] == 0

    def test_an_empty_note_does_not_clear_the_note_without_clear(self, tmp_path: Path) -> None:
        """`note N ""` keeps the note and says how to remove it; `note N --clear` removes it."""
        session_id, said = note_refused(tmp_path, "  ")
        assert "--clear" in said
        data = ("--data-dir", str(tmp_path))
        assert "Note: chores" in run_cli("review", *data)[1]
        code, out = run_cli("note", str(session_id), "--clear", *data)
        assert code == 0
        assert "removed" in out
        assert "Note:" not in run_cli("review", *data)[1]

    def test_long_sessions_keep_the_columns_in_line(self, tmp_path: Path) -> None:
        """A session of a month shows its length in days and hours, and the columns after it
        start where the header's do."""
        store = Store.open(tmp_path)
        record(store)
        month = store.begin_session(START_S + 7200, source="test", mode="talk")
        store.end_session(month, START_S + 7200 + 30 * 86_400 + 4 * 3600)
        store.close()
        lines = run_cli("sessions", "--data-dir", str(tmp_path))[1].splitlines()
        assert "30 d 04 h" in lines[2]
        strap_at = lines[0].index("strap")
        assert lines[1][strap_at - 2 : strap_at] == "  "
        assert lines[2][strap_at - 2 : strap_at] == "  "
        assert lines[1][strap_at - 3] != " "
        assert lines[2][strap_at - 3] != " "


class TestWhichSession:
    def test_latest_means_added_last_not_begun_last(self, tmp_path: Path) -> None:
        """An old recording just imported is the one `review` shows by default (the session
        added last), not the one that began last."""
        store = Store.open(tmp_path)
        record(store, start_s=START_S + 86_400)
        old = record(store, start_s=START_S - 365 * 86_400)
        store.close()
        assert f"Session {old}," in run_cli("review", "--data-dir", str(tmp_path))[1]

    def test_review_of_a_missing_folder_makes_nothing_there(self, tmp_path: Path) -> None:
        """`review`, `sessions` and `export` on a folder that does not exist say there are no
        sessions there and leave no folder or database behind."""
        missing = tmp_path / "typo"
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            assert main(["review", "--data-dir", str(missing)]) == 1
            assert main(["export", "-o", str(tmp_path / "x.csv"), "--data-dir", str(missing)]) == 1
        assert "no sessions recorded yet" in err.getvalue()
        code, out = run_cli("sessions", "--data-dir", str(missing))
        assert code == 0
        assert "No sessions recorded yet" in out
        assert not missing.exists()


class TestMarks:
    def test_any_alert_can_be_marked_by_number_or_time_and_the_mark_undone(
        self, tmp_path: Path
    ) -> None:
        """`ok --alert` marks an alert named by its number or its time as review shows it,
        `ok --undo` takes the last mark back, and review shows each state."""
        from flooding.core.timefmt import session_clock

        store = Store.open(tmp_path)
        session_id = record(store)
        record_second_alert(store, session_id)
        alerts = store.events(session_id, "alert")
        store.close()
        assert len(alerts) == 2
        data = ("--data-dir", str(tmp_path))

        def marks() -> list[bool]:
            review = json.loads(run_cli("review", str(session_id), "--json", *data)[1])
            return [e["false_alarm"] for e in review["episodes"] if e["alert_s"] is not None]

        code, out = run_cli("ok", str(session_id), "--alert", "1", *data)
        assert code == 0, out
        assert marks() == [True, False]
        at = session_clock(alerts[1].t_s, seconds=True)
        code, out = run_cli("ok", str(session_id), "--alert", at, *data)
        assert code == 0, out
        assert marks() == [True, True]
        code, out = run_cli("ok", str(session_id), "--undo", *data)
        assert code == 0
        assert "no longer marked" in out
        assert marks() == [True, False]
        code, out = run_cli("ok", str(session_id), "--undo", "--alert", "1", *data)
        assert code == 0
        assert marks() == [False, False]
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code, out = run_cli("ok", str(session_id), "--undo", *data)
        assert (code, out) == (1, "")
        assert err.getvalue() == (
            f"flooding ok: No alert of session {session_id} is marked a false alarm; "
            "nothing to take back.\n"
        )


def record_second_alert(store: Store, session_id: int) -> None:
    """A second episode with its alert, an hour after the first (as a long talk has)."""
    first = store.events(session_id, "episode-started")[0]
    later = first.t_s + 3600
    store.add_event(
        session_id,
        EpisodeStarted(
            later,
            later - 20,
            first.data["bpm"],
            first.data["baseline_bpm"],
            first.data["threshold_bpm"],
            Rule(first.data["rule"]),
        ),
    )
    store.add_event(
        session_id,
        Alert(
            later,
            first.data["bpm"],
            first.data["baseline_bpm"],
            first.data["threshold_bpm"],
            Rule(first.data["rule"]),
        ),
    )
    store.flush()


class TestNumbersAgree:
    def test_an_episode_open_to_the_end_shows_its_peak_the_same_everywhere(
        self, tmp_path: Path
    ) -> None:
        """A talk that ends while flooded: review gives the episode's real peak (not the
        heart rate at the alert), equal to replay's and to the session's peak in `sessions`."""
        from flooding.app.export import samples_csv
        from flooding.lab.simulate import Scenario, Segment

        rising = Scenario(
            "ends flooded",
            (Segment(600, 66), Segment(120, 66, 118), Segment(300, 118, 112)),
            seed=11,
        )
        store = Store.open(tmp_path)
        session_id = record(store, rising)
        path = tmp_path / "talk.csv"
        path.write_text(samples_csv(store, session_id), encoding="utf-8")
        store.close()
        data = ("--data-dir", str(tmp_path))
        reviewed = json.loads(run_cli("review", str(session_id), "--json", *data)[1])
        (episode,) = reviewed["episodes"]
        assert episode["end_s"] is None
        assert episode["peak_bpm"] > episode["bpm_at_alert"]
        listed = json.loads(run_cli("sessions", "--json", *data)[1])
        replayed = json.loads(run_cli("replay", str(path), "--json")[1])
        (replayed_episode,) = replayed["episodes"]
        assert episode["peak_bpm"] == listed[0]["peak_bpm"] == replayed_episode["peak_bpm"]

    def test_replay_says_when_not_yet_came_with_no_heart_read(self, tmp_path: Path) -> None:
        """A pause check with the strap off the skin (a heart rate of 0) reads in replay as
        no heart read, and one with the heart still up as still elevated."""
        levels = [68.0] * 300 + [115.0] * 60 + [0.0] * 1500 + [115.0] * 700
        rows = "".join(f"{1_700_000_000 + k},{bpm:g}\n" for k, bpm in enumerate(levels))
        path = tmp_path / "off.csv"
        path.write_text("time_unix_s,hr_bpm\n" + rows, encoding="utf-8")
        out = run_cli("replay", str(path))[1]
        not_yet = [line for line in out.splitlines() if "not yet:" in line]
        assert len(not_yet) == 2
        assert "no heart read (strap off the skin, or no signal)" in not_yet[0]
        assert "still elevated" in not_yet[1]
        replayed = json.loads(run_cli("replay", str(path), "--json")[1])
        assert [x["unseen"] for x in replayed["not_yet"]] == [True, False]

    def test_replay_says_a_watch_export_is_judged_at_its_pace(self, tmp_path: Path) -> None:
        """A recording with a reading every 5 s is replayed at that pace, and replay says
        so (the gap it uses, and that no sudden jump can be seen, too); one every 3 s says
        its pace but not that; a reading a second says nothing of a pace."""
        watch = tmp_path / "watch.csv"
        rows = "".join(f"{1_700_000_000 + 5 * k},70\n" for k in range(200))
        watch.write_text("time_unix_s,hr_bpm\n" + rows, encoding="utf-8")
        out = run_cli("replay", str(watch))[1]
        assert "A reading every 5 s: judged at that pace" in out
        assert "a gap is more than 15 s without one" in out
        assert "A sudden jump (standing up) cannot be seen" in out
        assert (
            json.loads(run_cli("replay", str(watch), "--json")[1])["summary"]["reading_step_s"]
            == 5.0
        )
        closer = tmp_path / "closer.csv"  # a jump can still be seen between these
        rows = "".join(f"{1_700_000_000 + 3 * k},70\n" for k in range(300))
        closer.write_text("time_unix_s,hr_bpm\n" + rows, encoding="utf-8")
        out = run_cli("replay", str(closer))[1]
        assert "A reading every 3 s: judged at that pace" in out
        assert "sudden jump" not in out
        strap = tmp_path / "strap.csv"
        rows = "".join(f"{1_700_000_000 + k},70\n" for k in range(600))
        strap.write_text("time_unix_s,hr_bpm\n" + rows, encoding="utf-8")
        assert "A reading every" not in run_cli("replay", str(strap))[1]

    def test_replay_never_says_flooded_to_the_end_and_then_ready(self) -> None:
        """When the ready-to-return came during an episode still open at the end, replay
        says the heart was back near calm by then, not that it stayed flooded to the end."""
        from flooding.cli.commands.replay import episode_line

        still_open = {"start_s": 100.0, "start": "20:01:40", "peak_bpm": 112.0, "rule": "x"}
        ready = [{"t_s": 1400.0, "time": "20:23:20", "bpm": 72}]
        line = episode_line(still_open, ready, "above calm", workout=False)
        assert "until the end of the recording" not in line
        assert "back near calm by the ready to return at 20:23:20" in line
        assert "until the end of the recording" in episode_line(
            still_open, [], "above calm", workout=False
        )


@requires_data
class TestRealRecordings:
    def test_replay_in_workout_mode_calls_nothing_flooding(self) -> None:
        """In workout mode a raised heart is exercise: replay does not call it flooded."""
        out = run_cli("replay", "--mode", "workout", str(recording("polar-hrm_noisy.hrm")))[1]
        assert "workout mode" in out
        assert "flooded" not in out


@settings(max_examples=40, deadline=None)
@given(
    runs=st.lists(
        st.tuples(st.integers(5, 900), st.floats(0.6, 1.1), st.floats(0.0, 0.08), st.integers()),
        min_size=1,
        max_size=3,
    )
)
def test_the_overall_rmssd_lies_within_the_range_shown_beside_it(
    runs: list[tuple[int, float, float, int]],
) -> None:
    """Whatever the calm stretches (long, short, steady or varied), the overall RMSSD lies
    between the lowest and highest of the parts review lists beside it."""
    from flooding.app.review import rmssd_summary
    from flooding.core.models import Sample

    stretches = []
    t = START_S
    for seconds, rr, spread, seed in runs:
        noise = np.random.default_rng(seed % 2**32).normal(0.0, spread, seconds)
        stretch = []
        for i in range(seconds):
            beat = max(0.4, rr + noise[i])
            stretch.append(Sample(t, 60 / beat, (beat,), True))
            t += beat
        stretches.append(stretch)
        t += 60
    summary = rmssd_summary(stretches)
    if summary.rmssd_ms is None:
        return
    assert summary.part_min_ms is not None
    assert summary.part_max_ms is not None
    assert summary.part_min_ms - 1e-9 <= summary.rmssd_ms <= summary.part_max_ms + 1e-9


@requires_data
def test_replay_and_import_give_the_same_alerts_for_a_file_without_clock_times(
    tmp_path: Path,
) -> None:
    """A recording without clock times is placed by replay as import stores it, so both
    count the same alerts (the Holter day: import had said 29 where replay said 27)."""
    path = tmp_path / "holter.txt"
    shutil.copyfile(recording("nsr2db_nsr001_rr-seconds_22h.txt"), path)
    ends_s = 1_763_596_800 + 80_965  # it began at 2025-11-20 00:00 UTC
    os.utime(path, (ends_s, ends_s))
    replayed = json.loads(run_cli("replay", str(path), "--json")[1])["summary"]["alerts"]
    assert run_cli("import", str(path), "--data-dir", str(tmp_path / "data"))[0] == 0
    store = Store.open(tmp_path / "data")
    try:
        imported = len(store.events(1, "alert"))
    finally:
        store.close()
    assert replayed == imported


def test_where_a_session_came_from_is_said_in_words() -> None:
    """A session's source is said in words in the person's language (a practice session,
    a file's format); a source a newer program wrote stays as it is."""
    english, german = load_catalogue("en"), load_catalogue("de")
    assert source_words("demo", english) == "practice (a simulated strap)"
    assert source_words("demo", german) == "Übung (ein simulierter Gurt)"
    assert source_words("import:csv", english) == "imported from a file (csv)"
    assert source_words("ble", german) == "ein Bluetooth-Gurt"
    assert source_words("a-future-kind", german) == "a-future-kind"


class TestSettingsWithAMistake:
    @pytest.mark.parametrize("command", ["sessions", "review"])
    def test_a_mistake_in_the_file_is_named_on_stderr_and_the_command_goes_on(
        self, tmp_path: Path, command: str
    ) -> None:
        """`sessions` and `review` with a bad settings file show the session, and say once on
        stderr that they go on without the settings, naming the file, line and value."""
        from tests.session_factory import flooding

        store = Store.open(tmp_path)
        record(store)
        store.close()
        bad = tmp_path / "me.toml"
        bad.write_text("[pause]\nminutes = 9999\n")
        done = flooding(command, "--data-dir", str(tmp_path), "--config", str(bad))
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip()
        assert done.stderr.count("your settings have a mistake") == 1
        assert "goes on without them" in done.stderr
        assert f"{bad}:2: pause.minutes = 9999" in done.stderr
        assert "config check` names every problem" in done.stderr

    def test_a_bad_environment_value_is_named_too(self, tmp_path: Path) -> None:
        """A bad FLOODING_PAUSE__MINUTES is named by `review`, which still shows the session."""
        from tests.session_factory import flooding

        store = Store.open(tmp_path)
        record(store)
        store.close()
        done = flooding(
            "review",
            "--data-dir",
            str(tmp_path),
            env={"FLOODING_PAUSE__MINUTES": "3", "XDG_CONFIG_HOME": str(tmp_path / "none")},
        )
        assert done.returncode == 0, done.stderr
        assert "FLOODING_PAUSE__MINUTES: pause.minutes = 3" in done.stderr

    def test_fine_settings_say_nothing_on_stderr(self, tmp_path: Path) -> None:
        """With settings that are fine, `sessions` prints nothing on stderr."""
        from tests.session_factory import flooding

        store = Store.open(tmp_path)
        record(store)
        store.close()
        env = {"XDG_CONFIG_HOME": str(tmp_path / "none")}
        done = flooding("sessions", "--data-dir", str(tmp_path), env=env)
        assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize("empty", [False, True])
def test_review_of_a_folder_without_sessions_points_to_the_demos(
    tmp_path: Path, empty: bool
) -> None:
    """`review` where the data folder has no sessions (no database, or an empty one) but its
    `demo/` folder has names that folder and the command that reviews it."""
    from tests.session_factory import flooding

    demo = Store.open(tmp_path / "demo")
    record(demo)
    demo.close()
    if empty:
        Store.open(tmp_path).close()
    done = flooding("review", "--data-dir", str(tmp_path))
    assert done.returncode == 1
    said = " ".join(done.stderr.split())
    assert f"The demo's practice sessions are kept apart, in {tmp_path / 'demo'}" in said
    assert f"review --data-dir {tmp_path / 'demo'}` reviews the latest of them" in said


class TestReadingsSetAside:
    @staticmethod
    def racing_above_the_limit(folder: Path) -> Path:
        """10 min at 70 bpm, then 5 min at 172 bpm, a reading a second."""
        path = folder / "racing.csv"
        rates = [70] * 600 + [172] * 300
        rows = [f"{1_796_000_000 + i},{bpm}" for i, bpm in enumerate(rates)]
        path.write_text("time_unix_s,hr_bpm\n" + "\n".join(rows) + "\n", encoding="utf-8")
        return path

    def test_replay_and_review_say_how_long_readings_above_the_limit_were_set_aside(
        self, tmp_path: Path
    ) -> None:
        """With detection.max_plausible_bpm at 160, replay and review of 5 min at 172 bpm
        say that 5 min of readings above 160 bpm were set aside as sensor errors (besides
        "no flooding"), and with the default limit nothing is said."""
        path = self.racing_above_the_limit(tmp_path)
        limit = "detection.max_plausible_bpm=160"
        said = "5 min of readings above 160 bpm were set aside as sensor errors"
        code, out = run_cli("replay", str(path), "--set", limit)
        assert code == 0
        assert said in out
        assert "No flooding alerts." in out
        code, out = run_cli("replay", str(path))
        assert code == 0
        assert "set aside" not in out
        data = str(tmp_path / "data")
        assert run_cli("import", str(path), "--data-dir", data, "--set", limit)[0] == 0
        code, out = run_cli("review", "--data-dir", data)
        assert code == 0
        assert said in out
        assert "No flooding episodes." in out
