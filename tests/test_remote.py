"""Remote targets (the person's phone) through real parts: Apprise posting to a loopback server.

The session runner, the message book and Apprise are the real ones; the target's service
is an HTTP server on 127.0.0.1 that the test runs (see tests/loopback.py).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flooding.app.session import SessionOutcome, SessionRunner
from flooding.app.sources import HeartSource
from flooding.cli.main import main
from flooding.core.models import SourceItem
from flooding.core.notice import Message, NullNotifier
from flooding.core.settings import Settings
from flooding.io.config_files.loading import default_settings
from flooding.io.notify import NotifierGroup, RemoteTargets, mask_target, remote_targets
from flooding.io.store import Store
from flooding.lab.simulate import SimulatedStrap, hard_talk, packets
from tests.fakes import RecordingView
from tests.loopback import Target, serve, stop
from tests.traces import settings as make_settings

START = 1_700_000_000.0
HARD_TALK_SAMPLES = sum(1 for _, m in packets(hard_talk()) if m is not None)
REMOTE_LOGGER = "flooding.io.notify"
ALERT = Message(
    "alert", "You're flooded: 118 bpm", "Say: I care about this.", summary="Time for a break"
)


def run_session(
    store: Store,
    remote: RemoteTargets,
    *,
    settings: Settings | None = None,
    source: HeartSource | None = None,
    view: RecordingView | None = None,
) -> SessionOutcome:
    """A hard talk through the real runner, its messages to the remote targets only."""
    runner = SessionRunner(
        source=source or SimulatedStrap(hard_talk(), start_s=START, speed=0),
        settings=settings or default_settings(),
        store=store,
        view=view or RecordingView(),
        notifier=NotifierGroup(NullNotifier(), remote=remote),
        source_kind="simulated",
        clock=lambda: START,
    )
    return asyncio.run(runner.run())


class TestWhatLeavesTheComputer:
    def test_only_the_neutral_lines_arrive_by_default(
        self, store: Store, loopback_target: Target
    ) -> None:
        """By default the target gets only "Time for a break of 20 minutes" and "Ready when
        you are"."""
        view = RecordingView()
        run_session(store, RemoteTargets([loopback_target.url]), view=view)

        arrived = loopback_target.arrived  # sent at once: either may arrive first
        assert sorted((a["title"], a["message"]) for a in arrived) == [
            ("", "Ready when you are"),
            ("", "Time for a break of 20 minutes"),
        ]
        assert not any("bpm" in a["message"] for a in arrived)
        assert [m.kind for m in view.messages] == ["alert", "ready"]  # the terminal has all

    def test_details_when_the_person_opts_in(self, store: Store, loopback_target: Target) -> None:
        """With notify.remote_details (and privacy off: the words the desktop shows) the whole
        message goes: title and body with the numbers."""
        view = RecordingView()
        run_session(
            store,
            RemoteTargets([loopback_target.url], details=True),
            settings=make_settings(notify={"privacy": False}),
            view=view,
        )

        alert = view.messages[0]
        [arrived] = [a for a in loopback_target.arrived if a["title"] == alert.title]
        assert arrived["message"] == alert.body
        assert "bpm" in alert.title + alert.body

    def test_details_in_privacy_mode_are_the_neutral_desktop_words(
        self, store: Store, loopback_target: Target
    ) -> None:
        """With notify.remote_details but privacy on (the default), the phone gets what the
        desktop shows: the neutral words, no heart numbers (a phone has a lock screen too)."""
        run_session(store, RemoteTargets([loopback_target.url], details=True))
        arrived = loopback_target.arrived
        assert "Time for a break" in [a["title"] for a in arrived]
        assert not any("bpm" in a["title"] + a["message"] for a in arrived)

    def test_two_sends_at_once_while_apprise_loads_both_arrive(
        self, loopback_target: Target
    ) -> None:
        """A second message sent while the targets are still being loaded waits and arrives."""
        remote = RemoteTargets([loopback_target.url])
        ready = Message("ready", "Ready", "Start slowly.", summary="Ready when you are")

        async def both() -> list[bool]:
            return list(await asyncio.gather(remote.send(ALERT), remote.send(ready)))

        assert asyncio.run(both()) == [True, True]
        assert sorted(a["message"] for a in loopback_target.arrived) == [
            "Ready when you are",
            "Time for a break",
        ]

    def test_messages_without_a_summary_stay_here(self, loopback_target: Target) -> None:
        """A message with no neutral line (e.g. a strap problem) is not sent anywhere."""
        plain = Message("info", "Cannot find your strap", "Is it on?")

        assert asyncio.run(RemoteTargets([loopback_target.url]).send(plain)) is False
        assert loopback_target.seen == 0


class TestTroubleAtTheTarget:
    def test_a_refused_first_try_is_retried(self, loopback_target: Target) -> None:
        """The service refuses the first post; the retry delivers it, once."""
        loopback_target.refuse_first = 1
        remote = RemoteTargets([loopback_target.url], retry_delay_s=0)

        assert asyncio.run(remote.send(ALERT)) is True
        assert loopback_target.seen == 2
        assert [a["message"] for a in loopback_target.arrived] == ["Time for a break"]

    def test_a_hanging_target_does_not_delay_the_next_sample(
        self, store: Store, loopback_target: Target, caplog: pytest.LogCaptureFixture
    ) -> None:
        """While the target holds the alert unanswered, the next samples go on being handled."""
        loopback_target.hold = True
        view = RecordingView()
        waited: list[bool] = []

        class AfterTheAlertWaitForTheTarget:
            """The hard talk; right after the alert it waits until the target got the post."""

            description = "simulated"

            async def stream(self) -> AsyncIterator[SourceItem]:
                async for item in SimulatedStrap(hard_talk(), start_s=START, speed=0).stream():
                    yield item
                    if not waited and view.messages:
                        # the post is made off the event loop, so it arrives while we wait
                        waited.append(await asyncio.to_thread(loopback_target.requests.wait, 10))

        remote = RemoteTargets([loopback_target.url], attempt_timeout_s=0.5, retry_delay_s=0.1)
        caplog.set_level(logging.INFO, logger=REMOTE_LOGGER)
        outcome = run_session(store, remote, source=AfterTheAlertWaitForTheTarget(), view=view)

        assert waited == [True]
        assert loopback_target.arrived == []  # held, never answered
        assert store.sample_count(outcome.session_id) == HARD_TALK_SAMPLES
        assert (outcome.alerts, outcome.ready) == (1, 1)
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1  # the alert's failure; ready's is not told again
        assert "target 1 (JSON)" in warnings[0]
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "127.0.0.1" not in logged
        assert str(loopback_target.port) not in logged

    def test_no_log_line_names_the_targets_path_even_at_debug(
        self, loopback_target: Target, caplog: pytest.LogCaptureFixture
    ) -> None:
        """With every logger at DEBUG (`-vv`) a send logs no part of the target's URL: not
        Apprise's lines, nor those of the HTTP libraries beneath it."""
        token = "SECRET-WEBHOOK-TOKEN"
        remote = RemoteTargets([f"{loopback_target.url}hooks/{token}"])
        caplog.set_level(logging.DEBUG)

        assert asyncio.run(remote.send(ALERT)) is True
        logged = "\n".join(f"{r.name}: {r.getMessage()}" for r in caplog.records)
        assert "sent the alert message to remote target 1 (JSON)" in logged
        assert token not in logged
        assert str(loopback_target.port) not in logged

    def test_a_target_apprise_does_not_understand_is_skipped(self, loopback_target: Target) -> None:
        """A URL that no Apprise service takes is skipped; the good target still gets it."""
        remote = RemoteTargets(["nosuchservice://secret@host/", loopback_target.url])

        assert asyncio.run(remote.send(ALERT)) is True
        assert len(loopback_target.arrived) == 1

    def test_targets_load_at_the_same_time(self) -> None:
        """Every target's plugin loads at once, so loading fits the one setup time of the budget
        however many targets there are."""
        targets = 3
        together = threading.Barrier(targets, timeout=5)
        sent: list[str] = []

        def load(url: str) -> str:
            together.wait()  # breaks unless all the loads run at the same time
            return url

        def send(plugin: object, title: str, body: str) -> bool:
            sent.append(str(plugin))
            return True

        urls = [f"json://127.0.0.1/{n}" for n in range(targets)]
        remote = RemoteTargets(urls, load_one=load, send_one=send)

        assert asyncio.run(remote.send(ALERT)) is True
        assert sorted(sent) == urls


class TestWhyATargetFailed:
    def test_a_target_that_redirects_is_not_told_as_delivered(
        self, capsys: pytest.CaptureFixture[str], loopback_target: Target
    ) -> None:
        """A server that redirects the post (an http:// address moved to https://) failed:
        the redirect is not followed (it would turn the post into a get that loses the
        message), and `notify test` says to use the address it redirects to."""
        loopback_target.redirect = True

        code = main(["notify", "test", "--set", f'notify.targets=["{loopback_target.url}"]'])

        out = capsys.readouterr().out
        assert code == 1
        assert "did not work: the server at 127.0.0.1 redirects elsewhere" in out
        assert "use the address it redirects to (often https://" in out
        assert (loopback_target.seen, loopback_target.gets) == (1, 0)  # no retry, no get

    def test_a_server_that_does_not_answer_gets_the_message_once(
        self, capsys: pytest.CaptureFixture[str], loopback_target: Target
    ) -> None:
        """A try a server took but never answered may have arrived: `notify test` says there
        was no answer, and the message is not sent again (before, the retry sent it twice)."""
        loopback_target.hold = True
        url = f"{loopback_target.url}?rto=0.5"  # Apprise's own wait for the answer

        code = main(["notify", "test", "--set", f'notify.targets=["{url}"]'])

        out = capsys.readouterr().out
        assert code == 1
        assert "did not work: no answer within 0.5 s" in out
        assert loopback_target.seen == 1

    def test_a_try_past_the_time_limit_is_not_sent_again(self, loopback_target: Target) -> None:
        """A try still unanswered at the send's own time limit is not retried either."""
        loopback_target.hold = True
        remote = RemoteTargets([loopback_target.url], attempt_timeout_s=0.5, retry_delay_s=0)

        [result] = asyncio.run(remote.test())
        assert (result.delivered, result.kind) == (False, "timeout")
        assert loopback_target.seen == 1

    def test_nothing_listening_is_told_apart(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Where nothing listens, `notify test` says so (not "refused")."""
        dead = serve()
        url = dead.url
        stop(dead)

        assert main(["notify", "test", "--set", f'notify.targets=["{url}"]']) == 1
        out = capsys.readouterr().out
        assert "did not work: nothing is listening at that address" in out
        assert "refused" not in out


class TestTargetsAppriseDoesNotKnow:
    def test_config_check_names_each_with_its_line_and_the_fix(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """`config check` names a target URL Apprise does not understand (a misspelt service)
        as a problem: where it is set, the URL masked, and what to check."""
        config = tmp_path / "c.toml"
        config.write_text(
            '[notify]\ntargets = ["nfty://ntfy.example.org/t", "ntfy://ntfy.example.org/t"]\n'
            '[profiles.ben]\nnotify_targets = ["foo://bar"]\n',
            encoding="utf-8",
        )

        assert main(["config", "check", str(config)]) == 1
        out = capsys.readouterr().out
        assert "2 problems" in out
        assert "c.toml:2: notify.targets.0 = 'nfty://…': Apprise does not know this kind" in out
        assert "c.toml:4: profiles.ben.notify_targets.0 = 'foo://…': Apprise does not" in out
        assert "check the part before ://" in out
        assert "ntfy.example.org" not in out

    def test_the_monitor_names_it_at_its_start(self, caplog: pytest.LogCaptureFixture) -> None:
        """Preparing the targets as a monitor starts warns about a URL Apprise does not
        understand then, not first when an alert cannot go there."""
        caplog.set_level(logging.WARNING, logger=REMOTE_LOGGER)
        RemoteTargets(["nfty://ntfy.example.org/secret-topic"]).warm_up()

        for _ in range(100):
            if caplog.records:
                break
            time.sleep(0.1)
        [record] = caplog.records
        assert "remote target 1 (nfty://…) is not a target URL that Apprise" in record.getMessage()
        assert "secret-topic" not in record.getMessage()


class TestCoupleTargets:
    def test_each_partner_has_their_own_targets(self) -> None:
        """Couple mode sends to notify.targets and to both partners' notify_targets, once each."""
        settings = make_settings(
            notify={"targets": ["ntfy://ntfy.example.org/shared"]},
            profiles={
                "anna": {"notify_targets": ["ntfy://ntfy.example.org/anna"]},
                "ben": {
                    "notify_targets": [
                        "ntfy://ntfy.example.org/ben",
                        "ntfy://ntfy.example.org/shared",
                    ]
                },
            },
        )

        assert remote_targets(settings, ["anna", "ben"]) == [
            "ntfy://ntfy.example.org/shared",
            "ntfy://ntfy.example.org/anna",
            "ntfy://ntfy.example.org/ben",
        ]
        assert remote_targets(settings) == ["ntfy://ntfy.example.org/shared"]

    def test_a_url_that_is_not_one_is_refused_with_its_key(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A target that is not a URL is refused, naming the key and what a target looks like."""
        assert main(["config", "show", "--set", 'notify.targets=["my phone"]']) == 2
        err = capsys.readouterr().err
        assert "notify.targets.0" in err
        assert "not a target URL: use an Apprise URL" in err


class TestCommands:
    def test_notify_test_says_which_worked(
        self, capsys: pytest.CaptureFixture[str], loopback_target: Target
    ) -> None:
        """`flooding notify test` sends to each target and names the one that failed."""
        dead = serve()
        dead_url = dead.url
        stop(dead)  # nothing listens there any more
        targets = f'notify.targets=["{loopback_target.url}", "{dead_url}"]'

        code = main(["notify", "test", "--set", targets])

        out = capsys.readouterr().out
        assert code == 1
        assert "1. JSON (notify.targets): worked" in out
        assert "2. JSON (notify.targets): did not work" in out
        assert [a["message"] for a in loopback_target.arrived] == [
            "A test from flooding: this target works."
        ]

    def test_notify_test_warns_about_a_config_file_others_can_read(
        self, capsys: pytest.CaptureFixture[str], loopback_target: Target, tmp_path: Path
    ) -> None:
        """A config file holding targets that other accounts can read gets a chmod hint."""
        config = tmp_path / "config.toml"
        config.write_text(f'[notify]\ntargets = ["{loopback_target.url}"]\n', encoding="utf-8")
        config.chmod(0o644)

        assert main(["notify", "test", "--config", str(config)]) == 0
        assert f"chmod 600 {config}" in capsys.readouterr().out

        config.chmod(0o600)
        assert main(["notify", "test", "--config", str(config)]) == 0
        assert "chmod" not in capsys.readouterr().out

    def test_notify_test_says_alerts_stay_off_while_notifications_are_off(
        self,
        capsys: pytest.CaptureFixture[str],
        loopback_target: Target,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """With notify.enabled = false the targets may work, but `notify test` adds that no
        alert will be sent, where it is set off, and how to turn notifications on."""
        monkeypatch.setenv("FLOODING_NOTIFY__ENABLED", "false")

        assert main(["notify", "test", "--set", f'notify.targets=["{loopback_target.url}"]']) == 0
        out = capsys.readouterr().out
        assert "All targets worked." in out
        off = "But notifications are off (notify.enabled = false, from environment"
        assert f"{off} FLOODING_NOTIFY__ENABLED)" in out
        assert "set notify.enabled = true" in out

    def test_notify_test_without_targets(self, capsys: pytest.CaptureFixture[str]) -> None:
        """With no targets it says how to add one on stderr, and exits 1."""
        assert main(["notify", "test"]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith("flooding notify: No notification targets are set")
        assert "notify.targets" in err

    def test_config_show_masks_target_urls(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`config show` (table and JSON) shows a target's service, never its secret part."""
        secret = "ntfy://user:hunter2@ntfy.example.org/private-topic"
        for extra in ([], ["--json"]):
            assert main(["config", "show", *extra, "--set", f'notify.targets=["{secret}"]']) == 0
            out = capsys.readouterr().out
            assert "hunter2" not in out
            assert "private-topic" not in out
            assert mask_target(secret) in out


def test_a_heart_that_stays_up_is_nudged_not_nagged_on_the_phone(
    store: Store, loopback_target: Target
) -> None:
    """With a check every minute and a heart that stays up for most of an hour, the phone
    (and the terminal) get "still elevated" three times, ten minutes apart, then the break
    goes on quietly until ready-to-return, which comes; the store keeps every check."""
    from flooding.core.models import PauseExtended
    from flooding.lab.simulate import Scenario, Segment

    upset = Scenario(
        "stays up",
        (
            Segment(240, 68),
            Segment(60, 68, 108),
            Segment(150, 108, 112, noise_bpm=2.5),
            Segment(2400, 95, 95, noise_bpm=1.0),
            Segment(300, 95, 69),
            Segment(300, 69),
        ),
        onsets_s=(255.0,),
        seed=3,
    )
    view = RecordingView()
    outcome = run_session(
        store,
        RemoteTargets([loopback_target.url]),
        settings=make_settings(pause_changes={"extend_minutes": 1}),
        source=SimulatedStrap(upset, start_s=START, speed=0),
        view=view,
    )

    assert [m.kind for m in view.messages] == ["alert", "not-yet", "not-yet", "not-yet", "ready"]
    arrived = sorted(a["message"] for a in loopback_target.arrived)
    assert arrived == [
        "Ready when you are",
        "Take 1 minute more",
        "Take 1 minute more",
        "Take 1 minute more",
        "Time for a break of 20 minutes",
    ]
    checks = [e for e in outcome.events if isinstance(e, PauseExtended)]
    assert len(checks) > 20  # a check a minute, every one kept for the review
    stored = [e for e in store.events(outcome.session_id) if e.kind == "pause-extended"]
    assert len(stored) == len(checks)
