"""The session runner: a simulated strap through the store, the core, messages, notifier, view."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flooding.app.review import episodes, summarize_sessions
from flooding.app.session import SessionOutcome, SessionRunner
from flooding.app.sources import HeartSource
from flooding.core.models import (
    Alert,
    LinkChanged,
    LinkState,
    PauseStarted,
    Reading,
    ReadyToReturn,
    Sample,
    SourceItem,
)
from flooding.core.settings import Settings
from flooding.io.config_files.loading import default_settings
from flooding.io.notify import Notifier, ResilientNotifier
from flooding.io.store import SessionRow, Store
from flooding.lab.simulate import SimulatedStrap, hard_talk, packets
from tests.fakes import (
    FirstTryLateBackend,
    HangingNotifier,
    RaisingNotifier,
    RecordingNotifier,
    RecordingView,
)
from tests.traces import settings as make_settings

START = 1_700_000_000.0
HARD_TALK_SAMPLES = sum(1 for _, m in packets(hard_talk()) if m is not None)


def make_runner(
    store: Store,
    notifier: Notifier,
    view: RecordingView,
    *,
    source: HeartSource | None = None,
    settings: Settings | None = None,
) -> SessionRunner:
    return SessionRunner(
        source=source or SimulatedStrap(hard_talk(), start_s=START, speed=0),
        settings=settings or default_settings(),
        store=store,
        notifier=notifier,
        view=view,
        source_kind="simulated",
        clock=lambda: START,
    )


def stored_session(store: Store, session_id: int) -> SessionRow:
    """The stored row of a session that must exist."""
    row = store.session(session_id)
    assert row is not None, f"session {session_id} is not in the store"
    return row


def run(runner: SessionRunner) -> SessionOutcome:
    return asyncio.run(runner.run())


class TestHardTalkSession:
    def test_one_alert_one_pause_one_ready(self, store: Store) -> None:
        """The simulated hard talk gives one alert, one pause and one ready, told to the person."""
        notifier, view = RecordingNotifier(), RecordingView()
        outcome = run(make_runner(store, notifier, view))
        assert (outcome.alerts, outcome.pauses, outcome.ready) == (1, 1, 1)
        assert [m.kind for m in notifier.sent] == ["alert", "ready"]
        assert [m.kind for m in view.messages] == ["alert", "ready"]
        assert "20 minutes" in view.messages[0].body
        assert len(view.readings) == HARD_TALK_SAMPLES

    def test_everything_is_stored(self, store: Store) -> None:
        """Every sample and event is in the store, and the session is closed at the last sample."""
        outcome = run(make_runner(store, RecordingNotifier(), RecordingView()))
        sid = outcome.session_id
        assert store.sample_count(sid) == outcome.samples == HARD_TALK_SAMPLES
        stored = list(store.iter_samples(sid))
        assert stored[-1].t_s == START + HARD_TALK_SAMPLES
        assert all(s.rr_s for s in stored)
        kinds = [r.kind for r in store.events(sid)]
        for kind in ("link", "episode-started", "alert", "pause-started", "ready-to-return"):
            assert kind in kinds
        assert kinds.count("alert") == 1
        [session] = store.sessions()
        assert (session.started_s, session.ended_s, session.source) == (
            START,
            START + HARD_TALK_SAMPLES,
            "simulated",
        )

    def test_review_shows_the_episode(self, store: Store) -> None:
        """review.episodes() shows the episode with its alert, pause and ready times."""
        outcome = run(make_runner(store, RecordingNotifier(), RecordingView()))
        [alert] = [e for e in outcome.events if isinstance(e, Alert)]
        [pause] = [e for e in outcome.events if isinstance(e, PauseStarted)]
        [ready] = [e for e in outcome.events if isinstance(e, ReadyToReturn)]
        [episode] = episodes(store, outcome.session_id)
        assert episode.alert_s == alert.t_s
        assert episode.pause_start_s == pause.t_s == alert.t_s
        assert episode.ready_s == episode.pause_end_s == ready.t_s
        assert episode.recovery_s is not None
        assert episode.recovery_s >= 20 * 60
        assert episode.end_s is not None
        assert episode.extensions == 0
        assert not episode.false_alarm
        assert START + hard_talk().onsets_s[0] - 5 <= episode.start_s <= alert.t_s
        [summary] = summarize_sessions(store)
        assert (summary.samples, summary.episodes, summary.alerts, summary.ready) == (
            HARD_TALK_SAMPLES,
            1,
            1,
            1,
        )


class TestNotifierTrouble:
    def test_raising_notifier(self, store: Store) -> None:
        """A notifier that raises never stops the session; the view still shows every message."""
        notifier, view = RaisingNotifier(), RecordingView()
        outcome = run(make_runner(store, notifier, view))
        assert notifier.attempts == 2
        assert (outcome.alerts, outcome.ready) == (1, 1)
        assert [m.kind for m in view.messages] == ["alert", "ready"]
        assert store.sample_count(outcome.session_id) == HARD_TALK_SAMPLES

    def test_hanging_notifier(self, store: Store) -> None:
        """A notifier that never answers does not hold up the samples, and the session ends."""
        notifier, view = HangingNotifier(budget_s=0.2), RecordingView()
        outcome = run(make_runner(store, notifier, view))
        assert notifier.attempts == 2
        assert (outcome.alerts, outcome.ready) == (1, 1)
        assert store.sample_count(outcome.session_id) == HARD_TALK_SAMPLES
        assert stored_session(store, outcome.session_id).ended_s == START + HARD_TALK_SAMPLES

    def test_a_slow_first_answer_still_reaches_the_desktop_once(self, store: Store) -> None:
        """A first try answered after its time limit is not sent again and shows once; the
        runner waits the notifier's budget."""
        backend = FirstTryLateBackend(late_s=0.5)
        notifier = ResilientNotifier([backend], attempt_timeout_s=0.3, retry_delay_s=0.1)
        view = RecordingView()

        runner = make_runner(store, notifier, view)
        outcome = run(runner)

        assert runner.notify_wait_s >= notifier.budget_s
        assert sorted(m.kind for m in backend.shown) == ["alert", "ready"]  # ready may be first
        assert backend.tries == 2  # the alert once (answered late), ready once
        assert store.sample_count(outcome.session_id) == HARD_TALK_SAMPLES

    def test_notifications_off(self, store: Store) -> None:
        """With notify.enabled = false the notifier is never asked; the view still shows all."""
        notifier, view = RecordingNotifier(), RecordingView()
        settings = make_settings(notify={"enabled": False, "privacy": False})
        run(make_runner(store, notifier, view, settings=settings))
        assert notifier.sent == []
        assert [m.kind for m in view.messages] == ["alert", "ready"]

    def test_privacy_goes_to_the_desktop_only(self, store: Store) -> None:
        """In privacy mode the desktop gets the neutral text and the view the full one."""
        notifier, view = RecordingNotifier(), RecordingView()
        settings = make_settings(notify={"enabled": True, "privacy": True})
        run(make_runner(store, notifier, view, settings=settings))
        assert "bpm" in view.messages[0].body
        assert "bpm" not in notifier.sent[0].body
        assert notifier.sent[0].title == settings.messages.private_alert_title


class TestStopping:
    def test_stop_mid_run(self, store: Store) -> None:
        """stop() mid-run ends the session cleanly with every sample so far stored."""
        runner: SessionRunner

        def stop_at_500(_reading: Reading) -> None:
            if len(view.readings) == 500:
                runner.stop()

        view = RecordingView(on_reading=stop_at_500)
        runner = make_runner(store, RecordingNotifier(), view)
        outcome = run(runner)
        assert outcome.samples == 500
        assert store.sample_count(outcome.session_id) == 500
        assert stored_session(store, outcome.session_id).ended_s == START + 500
        assert outcome.alerts == 1  # the alert came before the stop (at about 275 s)

    def test_stopped_session_is_readable_by_another_store(self, tmp_path: Path) -> None:
        """After a stop, a second connection sees all samples and the session's end."""
        store = Store.open(tmp_path)
        runner: SessionRunner

        def stop_at_100(_reading: Reading) -> None:
            if len(view.readings) == 100:
                runner.stop()

        view = RecordingView(on_reading=stop_at_100)
        runner = make_runner(store, RecordingNotifier(), view)
        outcome = run(runner)
        other = Store.open(tmp_path)
        assert other.sample_count(outcome.session_id) == 100
        assert stored_session(other, outcome.session_id).ended_s == START + 100
        other.db.close()
        store.db.close()

    def test_failing_source_keeps_what_came(self, store: Store) -> None:
        """A source that fails mid-way re-raises its error, with every sample before it stored."""

        class Failing:
            description = "a source that breaks"

            async def stream(self) -> AsyncIterator[SourceItem]:
                for k in range(100):
                    yield Sample(t_s=START + k, bpm=70.0)
                raise RuntimeError("the adapter went away")

        runner = make_runner(store, RecordingNotifier(), RecordingView(), source=Failing())
        with pytest.raises(RuntimeError, match="adapter"):
            run(runner)
        assert runner.session_id is not None
        assert store.sample_count(runner.session_id) == 100
        assert stored_session(store, runner.session_id).ended_s == START + 99

    def test_samples_are_committed_while_running(self, tmp_path: Path) -> None:
        """Samples reach the disk within about a second, while the session is still running."""
        seen: list[int] = []

        class Slow:
            description = "a slow source"

            async def stream(self) -> AsyncIterator[SourceItem]:
                yield LinkChanged(START, LinkState.CONNECTED, strap_name="test strap")
                for k in range(10):
                    yield Sample(t_s=START + k, bpm=70.0)
                deadline = time.monotonic() + 5
                reader = Store.open(tmp_path)
                try:
                    while time.monotonic() < deadline:  # the runner flushes every second
                        await asyncio.sleep(0.05)
                        count = reader.sample_count(1)
                        if count:
                            seen.append(count)
                            break
                finally:
                    reader.db.close()

        store = Store.open(tmp_path)
        run(make_runner(store, RecordingNotifier(), RecordingView(), source=Slow()))
        store.db.close()
        assert seen == [10]


class TestManualPause:
    def test_manual_pause_from_the_runner(self, store: Store) -> None:
        """A pause started by hand is stored and shown; no alert comes in it."""
        runner: SessionRunner

        def pause_at_200(reading: Reading) -> None:
            if len(view.readings) == 200:
                runner.start_pause()

        view = RecordingView(on_reading=pause_at_200)
        runner = make_runner(store, RecordingNotifier(), view)
        outcome = run(runner)
        assert outcome.alerts == 0
        [pause] = store.events(outcome.session_id, "pause-started")
        assert pause.data["manual"] is True
        assert pause.t_s == START + 200
        assert any("by hand" in text for text in view.infos)
