"""Remote notification targets (the person's phone): Apprise URLs such as ntfy, Gotify, Matrix.

Private by default: only a message's neutral `summary` ("Time for a 20-minute break",
"Ready when you are") leaves the computer, unless the person opted in to details. Sends
run off the event loop, to every target at once, each with a time limit and one retry; a
failure is logged once per target by its service name, never its URL (which holds
secrets). Apprise is imported only when a target is configured: no network otherwise.

A try that got no answer may still have arrived, so it is not sent again (the phone would
buzz twice); a refusal, or nothing listening, is retried. Redirects are not followed: the
HTTP library would turn the post into a get, and the message would be lost while the send
looked fine. Why a send failed is read from what Apprise logs in the sending thread (kept
aside, never shown: it names hosts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from flooding.core.notice import Message
from flooding.core.settings import mask_target
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
    # timeout, not-listening, redirected, refused or error
    detail: str = ""  # ... and its detail (the seconds waited, the server, the error's name)


class NotDelivered(Exception):
    """A send the service did not take: why (a kind of `TargetResult`), its detail, and
    whether sending it again is safe (False when it may have arrived after all)."""

    def __init__(self, kind: str, problem: str, detail: str = "", *, again: bool = True) -> None:
        super().__init__(problem)
        self.kind = kind
        self.problem = problem
        self.detail = detail
        self.again = again


class _SendLog(logging.Filter):
    """Keeps what Apprise logs while a send runs for that send (by its thread), and lets no
    line of Apprise's through to any handler: they name hosts and tokens."""

    def __init__(self) -> None:
        super().__init__()
        self._lines: dict[int, list[str]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        lines = self._lines.get(record.thread or 0)
        if lines is not None:
            lines.append(record.getMessage())
        return False

    @contextlib.contextmanager
    def watching(self) -> Iterator[list[str]]:
        """The lines Apprise logs in this thread meanwhile."""
        thread, lines = threading.get_ident(), list[str]()
        self._lines[thread] = lines
        try:
            yield lines
        finally:
            del self._lines[thread]


_SEND_LOG = _SendLog()
_REDIRECT_RE = re.compile(r"error=3\d\d\b")


def _why_not(lines: list[str], plugin: Any) -> NotDelivered:
    """Why Apprise's send failed, from the lines it logged: a redirect, a read that timed out
    (it may have arrived), nothing listening, or a refusal."""
    said = "\n".join(lines)
    if _REDIRECT_RE.search(said):
        host = str(getattr(plugin, "host", "") or "")
        return NotDelivered("redirected", "the server redirects elsewhere", host, again=False)
    if "Read timed out" in said:
        waited = f"{float(getattr(plugin, 'socket_read_timeout', 0) or 0):g}"
        return NotDelivered("timeout", f"no answer within {waited} s", waited, again=False)
    if "Connection refused" in said:
        return NotDelivered("not-listening", "nothing is listening at that address")
    if "timed out" in said:  # no connection was made: it cannot have arrived
        return NotDelivered("no-connection", "no connection could be made")
    return NotDelivered("refused", "the service refused it")


def _apprise_send(plugin: Any, title: str, body: str) -> bool:
    """Send through one Apprise plugin (blocking); True when the service took it, else
    raises NotDelivered with the reason."""
    with _SEND_LOG.watching() as lines:
        if plugin.notify(title=title, body=body):
            return True
    raise _why_not(lines, plugin)


# The loggers of the HTTP libraries Apprise sends through: at DEBUG they name a target's
# host, path and headers ("POST /hooks/TOKEN", an OAuth token). Apprise's own lines (which
# name hosts too, and repeat every failure) stop at `_SEND_LOG`. Ours say each failure once,
# by the service's name only.
QUIET_LOGGERS = ("urllib3", "requests", "requests_oauthlib", "oauthlib")


def _quiet_libraries() -> None:
    """Keep the libraries a send goes through from logging a target's secrets (at any -v);
    Apprise's lines go only to the send that logged them."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    apprise_log = logging.getLogger("apprise")
    apprise_log.setLevel(logging.DEBUG)  # every line reaches the filter, and stops there
    if _SEND_LOG not in apprise_log.filters:
        apprise_log.addFilter(_SEND_LOG)


def _load(url: str) -> Any:
    """The Apprise plugin for a URL, or None when Apprise does not understand it (blocking).
    It follows no redirect."""
    import apprise

    _quiet_libraries()
    asset = apprise.AppriseAsset()
    asset.http_redirects = False  # so a redirect fails the send instead of losing it
    return apprise.Apprise.instantiate(url, asset=asset)


def understood(url: str) -> bool:
    """Whether Apprise knows what kind of target a URL is (blocking: loads Apprise)."""
    return _load(url) is not None


def _warm(urls: list[str]) -> None:
    """Load Apprise's plugins for these URLs once (blocking); what is loaded stays cached.
    A URL Apprise does not understand is named now, not first at the alert."""
    for number, url in enumerate(urls, 1):
        try:
            known = understood(url)
        except Exception as exc:  # the real send reports problems; this only saves time
            log.debug("preparing a remote target failed: %s", type(exc).__name__)
            continue
        if not known:
            log.warning(
                "remote target %d (%s) is not a target URL that Apprise understands; no message "
                "will go there: `flooding config check` names it",
                number,
                mask_target(url),
            )


class _Target:
    """One configured target: its plugin (loaded on first use) and whether it last failed."""

    def __init__(self, number: int, url: str) -> None:
        self.number = number
        self.url = url
        self.plugin: Any = None
        self.service = ""  # the service's name, once its plugin is loaded
        self.unusable = ""
        self.unusable_kind = ""  # see TargetResult.kind
        self.unusable_detail = ""
        self.failing = False

    @property
    def label(self) -> str:
        return f"target {self.number} ({self.service or 'service unknown'})"


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
            except TimeoutError:  # it may yet arrive: not sent again
                waited = f"{self._attempt_timeout_s:g}"
                failure = NotDelivered(
                    "timeout", f"no answer within {waited} s", waited, again=False
                )
            except NotDelivered as exc:
                failure = exc
            except Exception as exc:
                failure = NotDelivered("error", type(exc).__name__, type(exc).__name__)
            else:
                if sent:
                    self._worked(target, what)
                    return TargetResult(target.number, target.service, True)
                failure = NotDelivered("refused", "the service refused it")
            problem, kind, detail = failure.problem, failure.kind, failure.detail
            log.debug(
                "%s message to remote %s, attempt %d: %s", what, target.label, attempt, problem
            )
            if not failure.again:
                break
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
