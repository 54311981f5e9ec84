"""Remote notification targets (the person's phone): Apprise URLs such as ntfy, Gotify, Matrix.

Private by default: only a message's neutral `summary` ("Time for a 20-minute break",
"Ready when you are") leaves the computer, unless the person opted in to details. Sends
run off the event loop, to every target at once, each with a time limit and one retry; a
failure is logged once per target by its service name, never its URL (which holds
secrets). Apprise is imported only when a target is configured: no network otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from flooding.core.notice import Message
from flooding.io.notify.threads import run_in_daemon_thread

log = logging.getLogger(__name__)

REMOTE_TIMEOUT_S = 10.0  # a push service answers in about a second; 10 s means it is stuck
REMOTE_RETRY_DELAY_S = 2.0  # a moment for a flaky network before the one retry
REMOTE_ATTEMPTS = 2  # the first try and one retry
SETUP_TIMEOUT_S = 10.0  # loading Apprise's plugins once takes about half a second
TEST_TITLE = "flooding"
TEST_BODY = "A test from flooding: this target works."

SendOne = Callable[[Any, str, str], bool]
LoadOne = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class TargetResult:
    """How one target fared: its number (1-based, in config order), service, and outcome."""

    number: int
    service: str
    delivered: bool
    problem: str = ""  # what went wrong, in English (for the log)
    kind: str = ""  # ... as a kind the screen words name: no-apprise, not-understood,
    # timeout, refused or error
    detail: str = ""  # ... and its detail (the seconds waited, the error's name)


def _apprise_send(plugin: Any, title: str, body: str) -> bool:
    """Send through one Apprise plugin (blocking); True when the service took it."""
    return bool(plugin.notify(title=title, body=body))


# The loggers of Apprise and of the HTTP libraries it sends through: at DEBUG they name a
# target's host, path and headers ("POST /hooks/TOKEN", an OAuth token), and Apprise repeats
# every failure. Ours say each failure once, by the service's name only.
QUIET_LOGGERS = ("apprise", "urllib3", "requests", "requests_oauthlib", "oauthlib")


def _quiet_libraries() -> None:
    """Keep the libraries a send goes through from logging a target's secrets (at any -v)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _load(url: str) -> Any:
    """The Apprise plugin for a URL, or None when Apprise does not understand it (blocking)."""
    import apprise

    _quiet_libraries()
    return apprise.Apprise.instantiate(url)


def _warm(urls: list[str]) -> None:
    """Load Apprise's plugins for these URLs once (blocking); what is loaded stays cached."""
    for url in urls:
        try:
            _load(url)
        except Exception as exc:  # the real send reports problems; this only saves time
            log.debug("preparing a remote target failed: %s", type(exc).__name__)


class _Target:
    """One configured target: its plugin (loaded on first use) and whether it last failed."""

    def __init__(self, number: int, url: str) -> None:
        self.number = number
        self.url = url
        self.plugin: Any = None
        self.service = "target"
        self.unusable = ""
        self.unusable_kind = ""  # see TargetResult.kind
        self.unusable_detail = ""
        self.failing = False

    @property
    def label(self) -> str:
        return f"target {self.number} ({self.service})"


class RemoteTargets:
    """Sends messages to the person's own remote targets; see the module docstring."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        details: bool = False,
        attempt_timeout_s: float = REMOTE_TIMEOUT_S,
        retry_delay_s: float = REMOTE_RETRY_DELAY_S,
        send_one: SendOne = _apprise_send,
        load_one: LoadOne = _load,
    ) -> None:
        self._targets = [_Target(number, url) for number, url in enumerate(urls, 1) if url]
        self._details = details
        self._attempt_timeout_s = attempt_timeout_s
        self._retry_delay_s = retry_delay_s
        self._send_one = send_one
        self._load_one = load_one
        self._loading: asyncio.Future[None] | None = None

    def warm_up(self) -> None:
        """Load Apprise and its plugins in the background now, so the first alert does not
        wait for them (about half a second, more on a busy machine)."""
        if self._targets:
            urls = [target.url for target in self._targets]
            threading.Thread(
                target=_warm, args=(urls,), name="flooding-remote", daemon=True
            ).start()

    def __bool__(self) -> bool:
        return bool(self._targets)

    @property
    def budget_s(self) -> float:
        """The longest one send can take: loading Apprise once, both tries and the pause."""
        tries_s = REMOTE_ATTEMPTS * self._attempt_timeout_s
        return SETUP_TIMEOUT_S + tries_s + (REMOTE_ATTEMPTS - 1) * self._retry_delay_s

    def words(self, message: Message) -> tuple[str, str] | None:
        """The title and body that leave the computer (None: this message stays here)."""
        if message.summary is None:
            return None
        if self._details:
            return message.title, message.body
        return "", message.summary

    async def send(self, message: Message) -> bool:
        """Send to every target at once; True when at least one took it. Never raises."""
        words = self.words(message)
        if words is None or not self._targets:
            return False
        try:
            results = await self._to_all(*words, what=message.kind)
        except Exception:  # a remote target must never stop the monitor
            log.exception("sending the %s message to remote targets failed", message.kind)
            return False
        return any(result.delivered for result in results)

    async def test(self, body: str = TEST_BODY) -> list[TargetResult]:
        """Send a test message (`body`, in the person's language) to every target; how each
        fared (for `flooding notify test`)."""
        return await self._to_all(TEST_TITLE, body, what="test")

    async def _to_all(self, title: str, body: str, *, what: str) -> list[TargetResult]:
        await self._load_all()
        return list(
            await asyncio.gather(*(self._to(target, title, body, what) for target in self._targets))
        )

    async def _load_all(self) -> None:
        """Load every target's plugin once; sends that come meanwhile wait for the same load."""
        if self._loading is None:
            self._loading = asyncio.ensure_future(self._load_plugins())
        await asyncio.shield(self._loading)

    async def _load_plugins(self) -> None:
        # all at once: loading takes `SETUP_TIMEOUT_S` at most however many targets there are,
        # as `budget_s` counts it
        await asyncio.gather(*(self._load_plugin(target) for target in self._targets))

    async def _load_plugin(self, target: _Target) -> None:
        try:
            plugin = await asyncio.wait_for(
                run_in_daemon_thread(partial(self._load_one, target.url), name="flooding-remote"),
                SETUP_TIMEOUT_S,
            )
        except Exception as exc:
            target.unusable = f"Apprise could not be loaded ({type(exc).__name__})"
            target.unusable_kind, target.unusable_detail = "no-apprise", type(exc).__name__
            return
        if plugin is None:
            target.unusable = "not a target URL that Apprise understands"
            target.unusable_kind = "not-understood"
            log.warning("remote %s is %s; it is skipped", target.label, target.unusable)
            return
        target.plugin = plugin
        target.service = str(getattr(plugin, "service_name", "") or type(plugin).__name__)

    async def _to(self, target: _Target, title: str, body: str, what: str) -> TargetResult:
        if target.plugin is None:
            return TargetResult(
                target.number,
                target.service,
                False,
                target.unusable,
                target.unusable_kind,
                target.unusable_detail,
            )
        problem = kind = detail = ""
        for attempt in range(1, REMOTE_ATTEMPTS + 1):
            try:
                sent = await asyncio.wait_for(
                    run_in_daemon_thread(
                        partial(self._send_one, target.plugin, title, body),
                        name="flooding-remote",
                    ),
                    self._attempt_timeout_s,
                )
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                problem = f"no answer within {self._attempt_timeout_s:g} s"
                kind, detail = "timeout", f"{self._attempt_timeout_s:g}"
            except Exception as exc:
                kind, problem = "error", type(exc).__name__
                detail = problem
            else:
                if sent:
                    self._worked(target, what)
                    return TargetResult(target.number, target.service, True)
                problem, kind = "the service refused it", "refused"
            log.debug(
                "%s message to remote %s, attempt %d: %s", what, target.label, attempt, problem
            )
            if attempt < REMOTE_ATTEMPTS:
                await asyncio.sleep(self._retry_delay_s)
        if what != "test":  # a test's outcome is told by the command, not the log
            self._failed(target, what, problem)
        return TargetResult(target.number, target.service, False, problem, kind, detail)

    def _worked(self, target: _Target, what: str) -> None:
        if target.failing:
            target.failing = False
            log.info("remote %s works again", target.label)
        log.info("sent the %s message to remote %s", what, target.label)

    def _failed(self, target: _Target, what: str, problem: str) -> None:
        if target.failing:
            log.debug("remote %s still fails: %s", target.label, problem)
            return
        target.failing = True
        log.warning(
            "could not send the %s message to remote %s after a retry: %s",
            what,
            target.label,
            problem,
        )
