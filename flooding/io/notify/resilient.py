"""The guarantees every desktop notification gets, whatever shows it.

`ResilientNotifier` wraps one or more backends in order: it never blocks the event loop,
never raises, retries a failed notification once (trying each backend again), returns
False and logs when it could not be shown, shows a message with a given `key` only once,
and owns the one time limit of a send: per-try timeouts that add up to `budget_s`, the
retry included, so no caller needs (or may put) a shorter cut of its own around it.

A try the server has not answered in its time is not a failure: the message was handed
over and a slow server still shows it (and only then knows its buttons). So it is neither
cut off (its buttons would do nothing) nor sent again by any backend (it would show twice,
or four times with the retry): it is waited for, within the send's budget. Past that the
send returns False and leaves it running; a later answer is logged and counts the key as
shown.

Heart data is private: logs name a message's kind and key, never its title or body.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from functools import partial
from typing import Protocol

from flooding.core.notice import Message

log = logging.getLogger(__name__)

DELIVER_TIMEOUT_S = 5.0  # a server answers in milliseconds; a try this slow is stuck
PROBE_TIMEOUT_S = 2.0  # asking the bus for the server takes milliseconds too
RETRY_DELAY_S = 1.0  # a moment for a restarting notification server before the retry
ATTEMPTS = 2  # the first try and one retry: enough for a hiccup, short enough to matter
REMEMBER_KEYS = 256  # shown keys kept for dedup: far more than one session's messages


class _NoAnswer(Exception):
    """A try the server has not answered within the send's budget (it may still show)."""


class Backend(Protocol):
    """One way of putting a message on the desktop; `ResilientNotifier` adds the guarantees."""

    name: str
    has_buttons: bool

    async def unavailable_reason(self) -> str | None:
        """Why this backend certainly cannot show anything now, or None when it may."""
        ...

    async def deliver(self, message: Message) -> None:
        """Show the message; raise when it was not handed to a notification server."""
        ...


class ResilientNotifier:
    """Sends through backends in order, with timeouts, one retry, dedup, and quiet failure."""

    def __init__(
        self,
        backends: Sequence[Backend],
        *,
        attempt_timeout_s: float = DELIVER_TIMEOUT_S,
        probe_timeout_s: float = PROBE_TIMEOUT_S,
        retry_delay_s: float = RETRY_DELAY_S,
        remember_keys: int = REMEMBER_KEYS,
    ) -> None:
        if not backends:
            raise ValueError("a ResilientNotifier needs at least one backend")
        self._backends = tuple(backends)
        self._attempt_timeout_s = attempt_timeout_s
        self._probe_timeout_s = probe_timeout_s
        self._retry_delay_s = retry_delay_s
        self._remember = remember_keys
        self._shown: OrderedDict[str, None] = OrderedDict()
        self._in_flight: dict[str, asyncio.Future[bool]] = {}
        self._late: set[asyncio.Future[None]] = set()  # tries not yet answered, left running
        self._server_missing = False

    @property
    def backend_names(self) -> tuple[str, ...]:
        """The backends tried, in order (for `flooding doctor` style reports)."""
        return tuple(backend.name for backend in self._backends)

    @property
    def budget_s(self) -> float:
        """The longest one send can take: every try of every backend, and the pause between."""
        one_try_s = self._probe_timeout_s + self._attempt_timeout_s
        return ATTEMPTS * len(self._backends) * one_try_s + (ATTEMPTS - 1) * self._retry_delay_s

    async def send(self, message: Message) -> bool:
        """Show the message; False (and a log line) when it could not be shown. Never raises."""
        try:
            key = message.key
            if key is None:
                return await self._deliver(message)
            if key in self._shown:
                log.debug("%s notification %r was already shown", message.kind, key)
                return True
            pending = self._in_flight.get(key)
            if pending is None:
                pending = asyncio.ensure_future(self._deliver(message))
                self._in_flight[key] = pending
                pending.add_done_callback(partial(self._settled, key))
            return await asyncio.shield(pending)
        except asyncio.CancelledError:
            raise
        except Exception:  # a notification must never crash the monitor
            log.exception("showing the %s notification failed unexpectedly", message.kind)
            return False

    def _settled(self, key: str, pending: asyncio.Future[bool]) -> None:
        self._in_flight.pop(key, None)
        if not pending.cancelled() and pending.exception() is None and pending.result():
            self._remember_shown(key)

    def _remember_shown(self, key: str) -> None:
        self._shown[key] = None
        while len(self._shown) > self._remember:
            self._shown.popitem(last=False)

    async def problem(self) -> str | None:
        """Why no backend can show a message now (the first's reason), or None when one may."""
        reasons = [await self._reason(backend) for backend in self._backends]
        return None if None in reasons else reasons[0]

    async def _reason(self, backend: Backend) -> str | None:
        try:
            return await asyncio.wait_for(backend.unavailable_reason(), self._probe_timeout_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.debug("checking %s failed: %s", backend.name, type(exc).__name__)
            return None  # unknown: try it

    async def _deliver(self, message: Message) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.budget_s
        failures: list[str] = []
        for attempt in range(1, ATTEMPTS + 1):
            reasons: list[str] = []
            for backend in self._backends:
                reason = await self._reason(backend)
                if reason is not None:
                    reasons.append(reason)
                    continue
                trying = asyncio.ensure_future(backend.deliver(message))
                try:
                    late = await self._answer(message, backend, trying, deadline - loop.time())
                except _NoAnswer:
                    self._left_running(message, backend, trying)
                    return False
                except Exception as exc:
                    what = type(exc).__name__
                    failures.append(f"{backend.name}: {what}")
                    log.info(
                        "%s notification via %s failed (attempt %d): %s",
                        message.kind,
                        backend.name,
                        attempt,
                        what,
                    )
                    log.debug("details", exc_info=True)
                    continue
                self._delivered(message, backend, late=late)
                return True
            if len(reasons) == len(self._backends):
                self._no_server(message, reasons[0])
                return False
            if attempt < ATTEMPTS:
                await asyncio.sleep(self._retry_delay_s)
        log.warning(
            "could not show the %s notification after a retry (%s); "
            "it is shown in the terminal only",
            message.kind,
            "; ".join(failures),
        )
        return False

    async def _answer(
        self, message: Message, backend: Backend, trying: asyncio.Future[None], rest_s: float
    ) -> bool:
        """The server's answer to a try: whether it came late (after the attempt time; it
        is waited for, within the send's budget, `rest_s`); raises what the try raised, or
        `_NoAnswer` when none came in time (the try is still running)."""
        try:
            await asyncio.wait_for(asyncio.shield(trying), self._attempt_timeout_s)
            return False
        except TimeoutError:
            pass
        except asyncio.CancelledError:
            trying.cancel()
            raise
        log.info(
            "the %s notification via %s has no answer after %g s; waiting for it (a slow "
            "server still shows it; sent again it would show twice)",
            message.kind,
            backend.name,
            self._attempt_timeout_s,
        )
        try:
            await asyncio.wait_for(asyncio.shield(trying), max(rest_s, 0.0))
        except TimeoutError:
            raise _NoAnswer from None
        return True

    def _left_running(
        self, message: Message, backend: Backend, trying: asyncio.Future[None]
    ) -> None:
        """A try the server has not answered in time: left to finish (see the docstring)."""
        log.warning(
            "the notification server has not answered the %s notification via %s in time; "
            "it may still show it, so it is not sent again (it would show twice)",
            message.kind,
            backend.name,
        )
        self._late.add(trying)
        trying.add_done_callback(partial(self._answered_late, message, backend))

    def _answered_late(
        self, message: Message, backend: Backend, trying: asyncio.Future[None]
    ) -> None:
        self._late.discard(trying)
        if trying.cancelled():
            return
        problem = trying.exception()
        if problem is not None:
            log.warning(
                "the %s notification via %s failed late: %s",
                message.kind,
                backend.name,
                type(problem).__name__,
            )
            return
        if message.key is not None:
            self._remember_shown(message.key)
        self._delivered(message, backend, late=True)

    def _delivered(self, message: Message, backend: Backend, *, late: bool = False) -> None:
        if self._server_missing:
            log.info("desktop notifications work again")
            self._server_missing = False
        without = " without its buttons" if message.actions and not backend.has_buttons else ""
        when = " late (the notification server was slow)" if late else ""
        log.info("showed the %s notification via %s%s%s", message.kind, backend.name, without, when)

    def _no_server(self, message: Message, reason: str) -> None:
        if self._server_missing:
            log.debug("%s notification not shown: %s", message.kind, reason)
            return
        self._server_missing = True
        log.warning(
            "desktop notifications cannot be shown: %s; messages are shown in the terminal only",
            reason,
        )
