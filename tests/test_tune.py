"""What-if replay: current vs candidate settings over stored sessions, false alarms, verdict."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path

import pytest

from flooding.app.tune import (
    REPLAYS_KEPT,
    KeptAlerts,
    RecordedSessions,
    Totals,
    alert_times,
    compare_session,
    compare_sessions,
    load_sessions,
    match,
    replay_key,
    totals,
    verdict,
)
from flooding.app.web.settings_page import KeptSessions, what_if
from flooding.cli.main import main
from flooding.core.batch import PreparedSamples
from flooding.core.engine import Engine, run_batch
from flooding.core.models import Alert, Mode, Sample
from flooding.core.settings import Settings
from flooding.io.config_files.loading import default_settings, load_config
from flooding.io.detector_code import detector_fingerprint
from flooding.io.store import Store
from flooding.lab.simulate import Scenario, Segment, hard_talk, samples

DAY_S = 86_400.0


def candidate(*overrides: str) -> Settings:
    """The defaults with some settings changed."""
    return load_config(env={}, use_default_user_file=False, overrides=overrides).settings


def small_rise(seed: int) -> Scenario:
    """Calm at 70, then a modest rise to 84 for a few minutes: alerts at the default margin."""
    segments = (
        Segment(300, 70),
        Segment(60, 70, 84),
        Segment(240, 84),
        Segment(60, 84, 70),
        Segment(300, 70),
    )
    return Scenario("small rise", segments, seed=seed)


def big_rise(seed: int) -> Scenario:
    """Calm at 66, then a real flood up to 115."""
    segments = (Segment(300, 66), Segment(60, 66, 115), Segment(300, 115), Segment(600, 115, 68))
    return Scenario("flood", segments, seed=seed)


def calm_only(seed: int) -> Scenario:
    """Twenty calm minutes."""
    return Scenario("calm", (Segment(1200, 64),), seed=seed)


def store_session(
    store: Store,
    scenario: Scenario,
    start_s: float,
    *,
    mode: str = "talk",
    mark_false: bool = False,
) -> tuple[int, list[Sample]]:
    """Record a scenario as if live (default settings), optionally marking its alerts false."""
    recorded = samples(scenario, start_s=start_s)
    sid = store.begin_session(start_s, source="test", mode=mode)
    store.add_samples(sid, recorded)
    for event in run_batch(recorded, default_settings(), mode=Mode(mode)).events:
        event_id = store.add_event(sid, event)
        if mark_false and isinstance(event, Alert):
            store.add_note_event(sid, event.t_s, "false-alarm", {"alert_event_id": event_id})
    store.end_session(sid, recorded[-1].t_s)
    return sid, recorded


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, dict[int, list[Sample]]]:
    """A store with: two small rises marked false alarms, two real floods, a calm talk."""
    store = Store.open(tmp_path)
    made: dict[int, list[Sample]] = {}
    scenarios = [
        (small_rise(1), True),
        (big_rise(2), False),
        (calm_only(3), False),
        (small_rise(4), True),
        (big_rise(5), False),
    ]
    for day, (scenario, false) in enumerate(scenarios):
        sid, recorded = store_session(store, scenario, 1.7e9 + day * DAY_S, mark_false=false)
        made[sid] = recorded
    store.close()
    return tmp_path, made


def alerts_of(recorded: list[Sample], settings: Settings, mode: Mode = Mode.TALK) -> list[float]:
    """Alert times from a direct run_batch replay."""
    return [e.t_s for e in run_batch(recorded, settings, mode=mode).events if isinstance(e, Alert)]


class TestMatching:
    def test_pairs_are_one_to_one_and_closest_first(self) -> None:
        """Each time pairs with at most one other, the closest within the tolerance."""
        assert match([100.0, 2000.0], [130.0, 110.0, 5000.0], 60) == [(0, 1)]
        assert match([0.0, 50.0], [40.0], 60) == [(1, 0)]
        assert match([], [1.0], 60) == []


class TestVerdict:
    def test_the_example_sentence(self) -> None:
        """Two fewer alerts, both false alarms gone, nothing missed: said in one line."""
        assert verdict(5, 3, 2, 0, 0, 0) == (
            "candidate gives 2 fewer alerts, removes both false alarms, misses no episode"
        )

    def test_misses_and_additions_are_named(self) -> None:
        """More alerts, kept false alarms, a missed episode and an added alert all show."""
        text = verdict(2, 3, 1, 1, 1, 2)
        assert text == (
            "candidate gives 1 more alert, keeps 1 false alarm, misses 1 episode the current "
            "settings alert on, 2 of its alerts come at times the current settings give none"
        )
        assert "as many alerts (4)" in verdict(4, 4, 0, 0, 0, 0)

    def test_fewer_alerts_are_never_said_to_add_any(self) -> None:
        """A candidate with fewer alerts, some of them at other times, is not said to add
        alerts: it says how many of its alerts come where the current settings give none."""
        text = verdict(30, 20, 0, 0, 29, 19)
        assert "10 fewer alerts" in text
        assert "adds" not in text
        assert "19 of its alerts come at times the current settings give none" in text


class TestReplay:
    def test_higher_margin_never_gives_more_alerts(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """With a higher margin, no session gets more alerts than with the defaults."""
        folder, made = history
        store = Store.open(folder)
        try:
            strict = candidate("detection.margin_bpm=20")
            sessions = list(load_sessions(store, list(made)))
            assert {session.id for session in sessions} == set(made)
            for session in sessions:
                result = compare_session(session, default_settings(), strict)
                assert len(result.candidate_alert_s) <= len(result.current_alert_s)
        finally:
            store.close()

    def test_alert_figures_equal_a_direct_run_batch(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """Tune's alerts for each session are exactly those of run_batch on the same samples."""
        folder, made = history
        strict = candidate("detection.margin_bpm=20")
        store = Store.open(folder)
        try:
            sessions = list(load_sessions(store, list(made)))
            assert {session.id for session in sessions} == set(made)
            for session in sessions:
                result = compare_session(session, default_settings(), strict)
                recorded = made[session.id]
                assert list(result.current_alert_s) == alerts_of(recorded, default_settings())
                assert list(result.candidate_alert_s) == alerts_of(recorded, strict)
        finally:
            store.close()

    def test_sessions_compared_in_worker_processes_give_the_same_comparisons(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """Comparing sessions in forked worker processes gives what comparing them one after
        another in this process gives, in the same order."""
        folder, made = history
        strict = candidate("detection.margin_bpm=20")
        store = Store.open(folder)
        pids = folder / "replayed-by.txt"
        try:
            # read twice: sessions keep their replays' alerts, and with nothing to replay
            # there would be no fork
            here = compare_sessions(
                load_sessions(store, list(made)), default_settings(), strict, workers=1
            )
            forked = compare_sessions(
                list(load_sessions(store, list(made))),
                default_settings(),
                strict,
                workers=2,
                replay=PidNotingReplay(pids),
            )
        finally:
            store.close()
        replayed_by = {int(line) for line in pids.read_text(encoding="ascii").split()}
        assert replayed_by  # the sessions were replayed...
        assert os.getpid() not in replayed_by  # ...in the workers, not here
        assert [c.session_id for c in forked] == list(made)
        assert forked == here
        assert any(c.current_alert_s != c.candidate_alert_s for c in here)  # something to see

    def test_false_alarms_removed_and_no_flood_missed(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """A margin of 20 drops both marked small-rise alarms and keeps both real floods."""
        folder, made = history
        store = Store.open(folder)
        try:
            compared = [
                compare_session(s, default_settings(), candidate("detection.margin_bpm=20"))
                for s in load_sessions(store, list(made))
            ]
        finally:
            store.close()
        total = totals(compared)
        assert (total.current_alerts, total.candidate_alerts) == (4, 2)
        assert (total.marked_false, total.current_false, total.candidate_false) == (2, 2, 0)
        assert total.missed == 0
        assert total.verdict == (
            "candidate gives 2 fewer alerts, removes both false alarms, misses no episode"
        )

    def test_a_too_high_threshold_misses_real_floods(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """Absolute-only at 120 misses the two floods the current settings alert on."""
        folder, made = history
        store = Store.open(folder)
        try:
            strict = candidate("detection.rules='absolute'", "detection.absolute_bpm=120")
            compared = [
                compare_session(s, default_settings(), strict)
                for s in load_sessions(store, list(made))
            ]
        finally:
            store.close()
        assert totals(compared).missed == 2
        assert "misses 2 episodes" in totals(compared).verdict

    def test_replay_uses_the_recorded_mode(self, tmp_path: Path) -> None:
        """A workout session replays in workout mode: no alerts unless workout alerts are on."""
        store = Store.open(tmp_path)
        sid, _ = store_session(store, big_rise(9), 1.7e9, mode="workout")
        try:
            session = next(load_sessions(store, [sid]))
            result = compare_session(session, default_settings(), candidate("workout.alerts=true"))
        finally:
            store.close()
        assert session.mode is Mode.WORKOUT
        assert result.current_alert_s == ()
        assert len(result.candidate_alert_s) == 1


class TestKeptReplays:
    def test_a_session_replayed_again_and_again_gives_run_batchs_alerts(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """One loaded session compared with many candidates, going back to earlier ones after
        more than it keeps, gives each time the alerts of a direct run_batch."""
        folder, made = history
        store = Store.open(folder)
        try:
            sessions = list(load_sessions(store, list(made)))
        finally:
            store.close()
        margins = [*range(10, 11 + REPLAYS_KEPT), 20, 10, 14, 20]
        for session in sessions:
            for margin in margins:
                strict = candidate(f"detection.margin_bpm={margin}")
                result = compare_session(session, default_settings(), strict)
                recorded = made[session.id]
                assert list(result.current_alert_s) == alerts_of(recorded, default_settings())
                assert list(result.candidate_alert_s) == alerts_of(recorded, strict)

    def test_only_words_changed_gives_the_current_alerts(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """A candidate that changes only a message gives exactly the current alerts."""
        folder, made = history
        store = Store.open(folder)
        try:
            compared = [
                compare_session(s, default_settings(), candidate('messages.alert_title="Time out"'))
                for s in load_sessions(store, list(made))
            ]
        finally:
            store.close()
        assert all(c.candidate_alert_s == c.current_alert_s for c in compared)
        assert totals(compared).current_alerts == 4

    def test_kept_sessions_answer_as_a_fresh_replay_and_see_what_changed(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """The app's kept sessions give `tune`'s comparisons, also after a new session and a
        new false-alarm mark."""
        folder, _made = history
        kept = RecordedSessions()
        store = Store.open(folder)

        def fresh(settings: Settings) -> list[dict[str, object]]:
            return [
                compare_session(s, default_settings(), settings).as_dict()
                for s in load_sessions(store, [row.id for row in store.sessions()])
            ]

        try:
            for margin in (20, 12, 20):
                strict = candidate(f"detection.margin_bpm={margin}")
                compared = kept.compare(store, default_settings(), strict)
                assert [c.as_dict() for c in compared] == fresh(strict)
            plain = next(c.session_id for c in compared if c.current_alert_s and not c.marked_false)
            alert = store.latest_alert(plain)
            assert alert is not None
            store.mark_false_alarm(plain, alert.id, alert.t_s + 30)
            flood, _ = store_session(store, big_rise(7), 1.7e9 + 9 * DAY_S)
            strict = candidate("detection.margin_bpm=20")
            compared = kept.compare(store, default_settings(), strict)
            assert [c.as_dict() for c in compared] == fresh(strict)
            assert {c.session_id: c.marked_false for c in compared}[plain] == 1
            assert compared[-1].session_id == flood
            kept.forget()
            assert [c.as_dict() for c in kept.compare(store, default_settings(), strict)] == (
                fresh(strict)
            )
        finally:
            store.close()


class CountingReplay:
    """`alert_times`, noting the settings of each replay (by `replay_key`)."""

    def __init__(self) -> None:
        self.replayed: list[str] = []

    def __call__(
        self, prepared: PreparedSamples, settings: Settings, mode: Mode
    ) -> tuple[float, ...]:
        self.replayed.append(replay_key(settings))
        return alert_times(prepared, settings, mode)


class RefusingReplay(CountingReplay):
    """A replay that must not happen: it fails the test, also from a forked worker (where a
    count would stay in the worker's copy)."""

    def __call__(
        self, prepared: PreparedSamples, settings: Settings, mode: Mode
    ) -> tuple[float, ...]:
        super().__call__(prepared, settings, mode)
        raise AssertionError(f"replayed with {replay_key(settings)}")


class PidNotingReplay:
    """`alert_times`, noting in `path` the process that replayed (one line each)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(
        self, prepared: PreparedSamples, settings: Settings, mode: Mode
    ) -> tuple[float, ...]:
        with self.path.open("a", encoding="ascii") as out:
            out.write(f"{os.getpid()}\n")
        return alert_times(prepared, settings, mode)


def fresh_comparisons(folder: Path, settings: Settings) -> list[dict[str, object]]:
    """Every session replayed with the defaults and `settings`, nothing kept anywhere."""
    store = Store.open_read_only(folder)
    try:
        return [
            compare_session(s, default_settings(), settings).as_dict()
            for s in load_sessions(store, [row.id for row in store.sessions()])
        ]
    finally:
        store.close()


def app_what_if(folder: Path, settings: Settings, sessions: RecordedSessions) -> list[object]:
    """The app's what-if (its read-only store), each session's comparison."""
    store = Store.open_read_only(folder)
    try:
        return [c.as_dict() for c in sessions.compare(store, default_settings(), settings)]
    finally:
        store.close()


class TestAlertsKeptInTheStore:
    def test_a_new_process_replays_only_the_candidate(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """A what-if with nothing kept replays both settings; the first what-if of a new app
        process (its sessions read anew) replays only the new candidate, and both answer as a
        fresh replay."""
        folder, made = history
        first, second = CountingReplay(), CountingReplay()
        strict, stricter = (
            candidate("detection.margin_bpm=20"),
            candidate("detection.margin_bpm=14"),
        )
        assert app_what_if(folder, strict, RecordedSessions(first)) == fresh_comparisons(
            folder, strict
        )
        assert sorted(first.replayed) == sorted(
            [replay_key(default_settings()), replay_key(strict)] * len(made)
        )
        assert app_what_if(folder, stricter, RecordedSessions(second)) == fresh_comparisons(
            folder, stricter
        )
        assert second.replayed == [replay_key(stricter)] * len(made)

    def test_the_kept_alerts_are_a_fresh_replays(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """What a what-if keeps for each session and settings is exactly what run_batch
        gives, under a key of the detector's code, the settings, the mode and the samples."""
        folder, made = history
        strict = candidate("detection.margin_bpm=20")
        app_what_if(folder, strict, RecordedSessions())
        store = Store.open_read_only(folder)
        try:
            for session in load_sessions(store, list(made)):
                for settings in (default_settings(), strict):
                    key = session.kept_key(replay_key(settings), detector_fingerprint())
                    kept = store.replayed_alerts(session.id, key)
                    assert kept is not None
                    assert list(kept) == alerts_of(made[session.id], settings)
        finally:
            store.close()

    def test_another_detector_replays_again(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """Alerts kept by one version of the detector's code are not used by another: a
        changed fingerprint replays both settings again."""
        folder, made = history
        strict = candidate("detection.margin_bpm=20")
        app_what_if(folder, strict, RecordedSessions(detector="an older detector"))
        again = CountingReplay()
        app_what_if(folder, strict, RecordedSessions(again))
        assert len(again.replayed) == 2 * len(made)
        unchanged = CountingReplay()
        app_what_if(folder, strict, RecordedSessions(unchanged))
        assert unchanged.replayed == []

    def test_a_session_with_samples_added_is_replayed_again(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """A session that gained samples since its alerts were kept is replayed with both
        settings (the others with neither) and answers as a fresh replay of all its samples."""
        folder, made = history
        strict = candidate("detection.margin_bpm=20")
        app_what_if(folder, strict, RecordedSessions())
        grown = next(iter(made))
        store = Store.open(folder)
        try:
            later = samples(big_rise(11), start_s=made[grown][-1].t_s + 1)
            store.add_samples(grown, later)
            store.flush()
        finally:
            store.close()
        counting = CountingReplay()
        assert app_what_if(folder, strict, RecordedSessions(counting)) == fresh_comparisons(
            folder, strict
        )
        assert sorted(counting.replayed) == sorted(
            [replay_key(default_settings()), replay_key(strict)]
        )

    def test_tune_keeps_and_uses_them_on_every_core(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """`tune` (compared in forked workers) keeps what it replayed, so the app's what-if
        then replays nothing; and tune itself answers from what the app kept (with nothing
        left to replay, in its own process)."""
        folder, _made = history
        strict = candidate("detection.margin_bpm=20")
        store = Store.open_read_only(folder)
        try:
            ids = [row.id for row in store.sessions()]
            kept = KeptAlerts(store, default_settings(), strict)
            forked = compare_sessions(load_sessions(store, ids), default_settings(), strict,
                                      workers=2, kept=kept)  # fmt: skip
        finally:
            store.close()
        assert [c.as_dict() for c in forked] == fresh_comparisons(folder, strict)
        counting = CountingReplay()
        assert app_what_if(folder, strict, RecordedSessions(counting)) == fresh_comparisons(
            folder, strict
        )
        assert counting.replayed == []
        stricter = candidate("detection.margin_bpm=14")
        app_what_if(folder, stricter, RecordedSessions())
        store = Store.open_read_only(folder)
        try:
            by_tune = RefusingReplay()
            compared = compare_sessions(
                load_sessions(store, ids),
                default_settings(),
                stricter,
                workers=2,
                kept=KeptAlerts(store, default_settings(), stricter),
                replay=by_tune,
            )
        finally:
            store.close()
        assert by_tune.replayed == []
        assert [c.as_dict() for c in compared] == fresh_comparisons(folder, stricter)

    def test_a_busy_store_answers_and_keeps_for_later(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """While another program holds the write lock (the monitor saving), the what-if
        answers as a fresh replay without waiting and keeps nothing; the next one keeps."""
        folder, made = history
        strict = candidate("detection.margin_bpm=20")
        monitor = sqlite3.connect(folder / "flooding.db", isolation_level=None)
        try:
            monitor.execute("BEGIN IMMEDIATE")
            assert app_what_if(folder, strict, RecordedSessions()) == fresh_comparisons(
                folder, strict
            )
            monitor.execute("COMMIT")
        finally:
            monitor.close()
        counting = CountingReplay()
        app_what_if(folder, strict, RecordedSessions(counting))
        assert len(counting.replayed) == 2 * len(made)
        kept = CountingReplay()
        app_what_if(folder, strict, RecordedSessions(kept))
        assert kept.replayed == []


class TestBatchEqualsStreaming:
    @pytest.mark.parametrize("scenario", [hard_talk(), small_rise(1), big_rise(2)])
    def test_same_events_one_by_one_or_in_a_batch(self, scenario: Scenario) -> None:
        """run_batch (without readings) gives the very events of feeding an engine live."""
        recorded = samples(scenario)
        engine = Engine(default_settings())
        streamed = [event for sample in recorded for event in engine.feed(sample).events]
        assert run_batch(recorded, default_settings()).events == streamed
        assert run_batch(recorded, default_settings(), keep_readings=True).events == streamed


class TestTuneCommand:
    def test_json_matches_the_replay_and_gives_the_verdict(
        self,
        history: tuple[Path, dict[int, list[Sample]]],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """`tune --all --set ... --json` reports per-session alerts equal to run_batch's."""
        folder, made = history
        own = tmp_path / "own.toml"
        own.write_text("", encoding="utf-8")
        code = main(
            [
                "tune",
                "--all",
                "--set",
                "detection.margin_bpm=20",
                "--json",
                "--config",
                str(own),
                "--data-dir",
                str(folder),
            ]
        )
        assert code == 0
        data = json.loads(capsys.readouterr().out)
        assert data["candidate_changes"] == [
            {"key": "detection.margin_bpm", "current": 10.0, "candidate": 20.0}
        ]
        strict = candidate("detection.margin_bpm=20")
        assert {row["session_id"] for row in data["sessions"]} == set(made)
        for row in data["sessions"]:
            recorded = made[row["session_id"]]
            assert row["current_alert_s"] == alerts_of(recorded, default_settings())
            assert row["candidate_alert_s"] == alerts_of(recorded, strict)
        assert data["verdict"].startswith("candidate gives 2 fewer alerts, removes both")

    def test_table_for_chosen_sessions(
        self,
        history: tuple[Path, dict[int, list[Sample]]],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Naming sessions replays only those, with a table, a total and the verdict; the
        sample count only with --verbose."""
        folder, made = history
        own = tmp_path / "own.toml"
        own.write_text("", encoding="utf-8")
        first = min(made)
        code = main(
            [
                "tune",
                str(first),
                "--set",
                "detection.margin_bpm=20",
                "--config",
                str(own),
                "--data-dir",
                str(folder),
            ]
        )
        out = capsys.readouterr().out
        assert code == 0
        assert "detection.margin_bpm 10.0 -> 20.0" in out
        assert "total (1 session)" in out
        assert "Verdict: candidate gives 1 fewer alert, removes the false alarm" in out
        assert "samples" not in out
        verbose = ["tune", str(first), "--verbose", "--config", str(own), "--data-dir", str(folder)]
        assert main(verbose) == 0
        assert "samples twice" in capsys.readouterr().out

    def test_unknown_session_and_bad_candidate_fail(
        self,
        history: tuple[Path, dict[int, list[Sample]]],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """An unknown session id and an out-of-range --set both fail with a clear message on
        stderr (with --json too, whose stdout stays empty)."""
        folder, _ = history
        own = tmp_path / "own.toml"
        own.write_text("", encoding="utf-8")
        base = ["--config", str(own), "--data-dir", str(folder)]
        assert main(["tune", "999", *base]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith("flooding tune: No session 999. `")
        assert err.endswith(f" sessions --data-dir {folder}` lists them.\n")  # the same folder
        assert main(["tune", "999", "--json", *base]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert "No session 999" in err
        assert main(["tune", "--all", "--set", "detection.margin_bpm=500", *base]) == 2
        assert "detection.margin_bpm = 500" in capsys.readouterr().err

    def test_a_negative_tolerance_is_refused(
        self,
        history: tuple[Path, dict[int, list[Sample]]],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """`tune --tolerance -1` is refused on stderr (its words name the command once),
        exit 2, nothing on stdout."""
        folder, _ = history
        own = tmp_path / "own.toml"
        own.write_text("", encoding="utf-8")
        args = ["tune", "--tolerance", "-1", "--config", str(own), "--data-dir", str(folder)]
        assert main(args) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err == "flooding tune: --tolerance must be 0 or more seconds\n"

    def test_mode_as_a_candidate_is_refused_and_says_where_the_mode_is_chosen(
        self,
        history: tuple[Path, dict[int, list[Sample]]],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """`tune --set mode=workout` replays nothing and says that each session is replayed in
        its recorded mode and that the mode is chosen per session (`workout on|off`,
        `--mode`), exit 2."""
        folder, _ = history
        own = tmp_path / "own.toml"
        own.write_text("", encoding="utf-8")
        base = ["--config", str(own), "--data-dir", str(folder)]
        assert main(["tune", "--all", "--set", "mode=workout", *base]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith("flooding tune: mode cannot be tried with --set: ")
        assert "in the mode it was recorded in" in err
        assert "workout on|off`" in err
        assert "monitor --mode workout`" in err
        assert "Candidate" not in err

    def test_a_folder_with_no_sessions_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`tune` over a store that holds no session says so on stderr, exit 1; with --json
        stdout stays empty."""
        Store.open(tmp_path).close()
        own = tmp_path / "own.toml"
        own.write_text("", encoding="utf-8")
        base = ["--config", str(own), "--data-dir", str(tmp_path)]
        for json_flag in ([], ["--json"]):
            assert main(["tune", *json_flag, *base]) == 1
            out, err = capsys.readouterr()
            assert out == ""
            assert err == f"flooding tune: No sessions recorded yet in {tmp_path}.\n"


def test_starting_flooding_does_not_load_the_replay() -> None:
    """Building the command line (every `flooding` start) loads neither the replay nor the
    detector; the --tolerance help still names the replay's default."""
    import subprocess
    import sys

    from flooding.app.tune import DEFAULT_TOLERANCE_S
    from flooding.cli.commands.tune import TOLERANCE_HELP_DEFAULT

    assert float(TOLERANCE_HELP_DEFAULT) == DEFAULT_TOLERANCE_S
    probe = (
        "import sys; from flooding.cli.main import build_parser; build_parser(); "
        "heavy = ('flooding.app.tune', 'flooding.core.engine', 'numpy'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.stdout.strip() == "[]"


class TestWarmWhatIf:
    def test_opening_the_settings_page_prepares_the_sessions_for_the_first_preview(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """The warm-up the Settings page starts reads every one-heart session and replays it
        with the settings in effect, so the first preview gives tune's answer from kept ones."""
        folder, made = history
        kept = KeptSessions()

        async def open_page() -> None:
            await kept.warm(folder, default_settings())

        asyncio.run(open_page())
        assert len(kept.sessions) == len(made)
        strict = candidate("detection.margin_bpm=20")
        fresh = what_if(folder, default_settings(), strict)
        assert what_if(folder, default_settings(), strict, kept.sessions) == fresh

    def test_previews_asked_while_typing_make_only_the_newest_waiting_one(
        self, history: tuple[Path, dict[int, list[Sample]]]
    ) -> None:
        """Of the previews asked while one runs, only the newest is replayed (the one between
        is answered None); a preview asked with the button is always made."""
        folder, _ = history
        kept = KeptSessions()
        strict = candidate("detection.margin_bpm=20")

        async def type_then_press() -> list[Totals | None]:
            asked = [
                kept.preview_as_typed(folder, default_settings(), strict),
                kept.preview_as_typed(folder, default_settings(), strict),
                kept.preview(folder, default_settings(), strict),
                kept.preview_as_typed(folder, default_settings(), strict),
            ]
            return await asyncio.gather(*asked)

        first, between, pressed, newest = asyncio.run(type_then_press())
        fresh = what_if(folder, default_settings(), strict)
        assert between is None
        assert first == pressed == newest == fresh

    def test_a_folder_without_recordings_leaves_the_warm_up_quiet(self, tmp_path: Path) -> None:
        """Warming up on a folder with no database reads nothing and raises nothing: the
        preview itself will say what is wrong."""
        kept = KeptSessions()

        async def open_page() -> None:
            await kept.warm(tmp_path / "nothing-here", default_settings())

        asyncio.run(open_page())
        assert len(kept.sessions) == 0
