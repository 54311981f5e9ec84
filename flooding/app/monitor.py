"""The monitor as a service: a session per wearing of the strap, and answers to commands.

- `BackgroundMonitor` holds one `StrapSource` stream for its whole life (the source itself
  looks for the strap forever, with backoff, so waiting costs next to nothing). A session
  starts with the first heart sample taken on skin (never for a strap that merely sits in
  range), continues through short drops, and ends once no sample on skin has arrived for
  `session_gap_s` (`service.session_gap_minutes`). Then it waits for the next wearing.
- `LiveMonitor` is what the control channel talks to (`flooding status`, `pause`,
  `resume`, `ok`, `workout`); the foreground monitor uses it for its one session too.
- `StatusBoard` remembers the latest reading, link state and battery for `status`, and
  passes everything on to the view behind it (`LogView` for the headless service).
- `wait_for_settings` keeps a service that cannot start yet (a bad config, no strap
  paired) alive: it says so once in the log and on the desktop, then checks again every
  few seconds, so fixing the file or running `flooding pair` is all it takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flooding.core.models import (
    BatteryLevel,
    LinkChanged,
    LinkState,
    Mode,
    PersonItem,
    Reading,
    Sample,
    SensorLocation,
    untagged,
)
from flooding.core.notice import Message, Notifier
from flooding.core.settings import ConfigError, Settings
from flooding.io.control import error_reply

if TYPE_CHECKING:
    from flooding.app.session import SessionOutcome, SessionRunner, View
    from flooding.app.sources import AnyItem, HeartSource, TaggedSource

log = logging.getLogger(__name__)

SETTINGS_RETRY_S = 10.0  # how often a service waiting for a usable config looks again
STALE_READING_S = 10.0  # a heart rate older than this is not shown as "current"
MINUTE_S = 60.0


# -- what the service knows right now --------------------------------------------------------


class StatusBoard:
    """A view that remembers what `flooding status` shows, then passes it on."""

    def __init__(self, inner: View, clock: Callable[[], float] = time.monotonic) -> None:
        self.inner = inner
        self.clock = clock
        self.latest: Reading | None = None
        self.reading_at: float | None = None  # monotonic time of the latest reading
        self.link_state: LinkState | None = None
        self.strap_name: str | None = None
        self.strap_address: str | None = None
        self.battery_percent: int | None = None

    def reading(self, reading: Reading) -> None:
        self.latest = reading
        self.reading_at = self.clock()
        self.inner.reading(reading)

    def person_reading(self, person: str, reading: Reading) -> None:
        """Couple mode: one partner's reading (the latest of either is remembered)."""
        self.latest = reading
        self.reading_at = self.clock()
        self.inner.person_reading(person, reading)

    def message(self, message: Message) -> None:
        self.inner.message(message)

    def link(self, change: LinkChanged) -> None:
        self.note_link(change)
        self.inner.link(change)

    def note_link(self, change: LinkChanged) -> None:
        """Remember a link change seen outside a session."""
        self.link_state = change.state
        self.strap_name = change.strap_name or self.strap_name
        self.strap_address = change.strap_address or self.strap_address

    def battery(self, level: BatteryLevel, low: bool) -> None:
        self.battery_percent = level.percent
        self.inner.battery(level, low)

    def info(self, text: str) -> None:
        self.inner.info(text)

    def forget_reading(self) -> None:
        """The session ended: no current heart rate any more."""
        self.latest = None
        self.reading_at = None

    def current_reading(self) -> Reading | None:
        """The latest reading if it is recent enough to call current."""
        if self.latest is None or self.reading_at is None:
            return None
        if self.clock() - self.reading_at > STALE_READING_S:
            return None
        return self.latest


class LogView:
    """The headless view: link changes and messages go to the log (the journal), briefly.

    Heart numbers and message texts stay out of the log (they are private and the
    desktop shows them); only what happened is logged.
    """

    def __init__(self) -> None:
        self._connected = False

    def reading(self, reading: Reading) -> None:
        pass

    def person_reading(self, person: str, reading: Reading) -> None:
        pass

    def message(self, message: Message) -> None:
        log.info("shown on the desktop: %s message", message.kind)

    def link(self, change: LinkChanged) -> None:
        if change.state is LinkState.CONNECTED:
            self._connected = True
            log.info("connected to %s", change.strap_name or change.strap_address or "the strap")
        elif change.state is LinkState.DISCONNECTED and self._connected:
            self._connected = False
            log.info("the strap went away; reconnecting on its own")

    def battery(self, level: BatteryLevel, low: bool) -> None:
        if low:
            log.warning(
                "strap battery low (%d%%): replace or charge it soon, or an alert may be missed",
                level.percent,
            )

    def info(self, text: str) -> None:
        log.info("%s", text)


# -- answering commands ----------------------------------------------------------------------


class LiveMonitor:
    """The running monitor as the control channel sees it: status and the four actions."""

    def __init__(
        self,
        board: StatusBoard,
        *,
        settings: Settings,
        strap: str,
        headless: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.board = board
        self.settings = settings
        self.strap = strap
        self.headless = headless
        self.clock = clock
        self.started_at = clock()
        self.runner: SessionRunner | None = None
        self.next_mode: Mode | None = None  # `workout on` with no session: for the next one

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer one validated control request (see `flooding.io.control`)."""
        command = request["cmd"]
        if command == "status":
            return {"ok": True, "status": self.status()}
        if command == "workout":
            return self._workout(bool(request["on"]))
        runner = self.runner
        if runner is None or runner.session_id is None:
            return error_reply(
                "no-session",
                "no session is running: the monitor is waiting for your strap. "
                "Put it on (electrodes moistened) and a session starts by itself.",
            )
        if command == "pause":
            return self._pause(runner, request.get("minutes"))
        if command == "resume":
            return self._resume(runner)
        if command == "ok":
            return self._ok(runner, request.get("session"))
        return error_reply("bad-request", f"unknown command {command!r}")

    def mode(self) -> Mode:
        """The mode in force: the session's, else the one waiting for the next session."""
        if self.runner is not None:
            return self.runner.mode
        return self.next_mode or self.settings.mode

    def status(self) -> dict[str, Any]:
        """What `flooding status` shows, as plain JSON values."""
        board = self.board
        runner = self.runner
        reading = board.current_reading()
        pause: dict[str, Any] | None = None
        if runner is not None and runner.pausing:
            until_s = runner.pause_until_s
            left_s = max(0.0, until_s - runner.session_time_s)
            pause = {"until_s": until_s, "minutes_left": round(left_s / MINUTE_S, 1)}
        mode = self.mode()
        people = runner.people_status() if runner is not None else None
        if runner is None or runner.session_id is None:
            state = "waiting"
        elif mode is Mode.WORKOUT:
            state = "workout"
        elif pause is not None:
            state = "pausing"
        elif people is not None:
            state = "watching both"  # each partner's own state is under "people"
        elif reading is not None:
            state = reading.state.value
        else:
            state = "starting"
        baseline = runner.baseline_bpm if runner is not None else None
        if people is not None:
            reading = None  # the latest reading is one partner's: shown per person instead
        return {
            "pid": os.getpid(),
            "headless": self.headless,
            "started_at": self.started_at,
            "strap": {
                "chosen": self.strap,
                "name": board.strap_name,
                "address": board.strap_address,
                "link": board.link_state.value if board.link_state else "searching",
                "connected": board.link_state is LinkState.CONNECTED,
                "battery_percent": board.battery_percent,
            },
            "session_id": runner.session_id if runner is not None else None,
            "mode": mode.value,
            "state": state,
            "heart_bpm": reading.bpm if reading is not None else None,
            "baseline_bpm": None if baseline is None else round(baseline, 1),
            "pause": pause,
            **({"people": people} if people is not None else {}),
        }

    def _pause(self, runner: SessionRunner, minutes: float | None) -> dict[str, Any]:
        already = runner.pausing
        if not already:
            runner.start_pause(minutes)
        left_s = max(0.0, runner.pause_until_s - runner.session_time_s)
        return {
            "ok": True,
            "already": already,
            "session_id": runner.session_id,
            "until_s": runner.pause_until_s,
            "minutes_left": round(left_s / MINUTE_S, 1),
        }

    def _resume(self, runner: SessionRunner) -> dict[str, Any]:
        if not runner.pausing:
            return error_reply("not-pausing", "there is no pause to end: you are not pausing")
        runner.end_pause()
        return {"ok": True, "session_id": runner.session_id}

    def _ok(self, runner: SessionRunner, session: int | None) -> dict[str, Any]:
        session_id = runner.session_id
        assert session_id is not None
        if session is not None and session != session_id:
            return error_reply(
                "other-session",
                f"session {session} is not the one running (that is {session_id})",
            )
        alert = runner.store.latest_alert(session_id)
        if alert is None:
            return error_reply("no-alert", f"session {session_id} has had no alert to mark")
        already = runner.store.is_false_alarm(session_id, alert.id)
        if not already:
            runner.mark_false_alarm(alert.id)
        return {
            "ok": True,
            "already": already,
            "session_id": session_id,
            "alert_event_id": alert.id,
            "alert_t_s": alert.t_s,
        }

    def _workout(self, on: bool) -> dict[str, Any]:
        mode = Mode.WORKOUT if on else Mode.TALK
        runner = self.runner
        if runner is not None and runner.session_id is not None:
            runner.set_mode(mode)
            self.next_mode = None
            return {"ok": True, "mode": mode.value, "session_id": runner.session_id}
        self.next_mode = mode
        return {"ok": True, "mode": mode.value, "session_id": None, "next_session": True}


# -- the session-per-wearing loop ------------------------------------------------------------


@dataclass
class _Wearing:
    """A session's share of the one strap stream: from the first sample on skin to the gap."""

    queue: asyncio.Queue[AnyItem]
    first: list[AnyItem]
    gap_s: float
    description: str

    def stream(self) -> AsyncIterator[AnyItem]:
        return self._items()

    async def _items(self) -> AsyncIterator[AnyItem]:
        loop = asyncio.get_running_loop()
        for item in self.first:
            yield item
        last_worn = loop.time()
        while True:
            remaining_s = self.gap_s - (loop.time() - last_worn)
            if remaining_s <= 0:
                log.info("no heart rate on skin for %.0f min: the session ends", self.gap_s / 60)
                return
            try:
                async with asyncio.timeout(remaining_s):
                    item = await self.queue.get()
            except TimeoutError:
                continue
            inner = untagged(item)
            if isinstance(inner, Sample) and inner.has_contact:
                last_worn = loop.time()
            yield item


class BackgroundMonitor:
    """Waits for the strap, runs a session per wearing, and serves `LiveMonitor` requests.

    `make_runner(source, mode)` builds the `SessionRunner` for one wearing (with the
    board as its view). `run()` returns the outcomes of the sessions when `stop()` is called.
    """

    def __init__(
        self,
        *,
        source: HeartSource | TaggedSource,
        live: LiveMonitor,
        make_runner: Callable[[Any, Mode | None], SessionRunner],
        session_gap_s: float,
    ) -> None:
        self.source = source
        self.live = live
        self.make_runner = make_runner
        self.session_gap_s = session_gap_s
        self._stop = asyncio.Event()
        self._queue: asyncio.Queue[AnyItem] = asyncio.Queue()
        self.outcomes: list[SessionOutcome] = []

    def stop(self) -> None:
        """End the current session cleanly and stop (SIGTERM, Ctrl-C)."""
        self._stop.set()
        if self.live.runner is not None:
            self.live.runner.stop()

    async def run(self) -> list[SessionOutcome]:
        """Run until `stop()`; every session is ended and saved on the way out."""
        pump = asyncio.create_task(self._pump(), name="strap stream")
        try:
            while not self._stop.is_set():
                first = await self._wait_for_wearing(pump)
                if first is None:
                    break
                await self._session(first)
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        return self.outcomes

    async def _pump(self) -> None:
        """The one strap stream, for the service's whole life, into the queue."""
        stream = self.source.stream()
        try:
            async for item in stream:
                self._queue.put_nowait(item)
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()

    async def _wait_for_wearing(self, pump: asyncio.Task[None]) -> list[AnyItem] | None:
        """Items up to the first sample on skin (the start of a session), or None on stop.

        With both partners' straps (tagged items), the first sample on either skin starts
        the session, and the other's link state and battery so far come with it.
        """
        board = self.live.board
        links: dict[str, AnyItem] = {}
        extras: dict[tuple[str, type], AnyItem] = {}
        stopper = asyncio.create_task(self._stop.wait())
        try:
            while True:
                getter = asyncio.create_task(self._queue.get())
                done, _ = await asyncio.wait(
                    {getter, stopper, pump}, return_when=asyncio.FIRST_COMPLETED
                )
                if getter not in done:
                    getter.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await getter
                    error = pump.exception() if pump in done and not pump.cancelled() else None
                    if error is not None:
                        raise error
                    return None
                item = getter.result()
                inner = untagged(item)
                person = item.person if isinstance(item, PersonItem) else ""
                if isinstance(inner, LinkChanged):
                    board.note_link(inner)
                    if inner.state is LinkState.CONNECTED:
                        links[person] = item
                    else:
                        links.pop(person, None)
                        for key in [key for key in extras if key[0] == person]:
                            del extras[key]
                elif isinstance(inner, BatteryLevel | SensorLocation):
                    if isinstance(inner, BatteryLevel):
                        board.battery_percent = inner.percent
                    extras[(person, type(inner))] = item
                elif isinstance(inner, Sample) and inner.has_contact:
                    return [*links.values(), *extras.values(), item]
        finally:
            stopper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopper

    async def _session(self, first: list[AnyItem]) -> None:
        if self._stop.is_set():
            return
        wearing = _Wearing(self._queue, first, self.session_gap_s, self.source.description)
        mode, self.live.next_mode = self.live.next_mode, None
        runner = self.make_runner(wearing, mode)
        self.live.runner = runner
        try:
            outcome = await runner.run()
        finally:
            self.live.runner = None
            self.live.board.forget_reading()
        self.outcomes.append(outcome)
        log.info(
            "session %d saved: %d samples, %d alert(s)",
            outcome.session_id,
            outcome.samples,
            outcome.alerts,
        )


# -- a service that cannot start yet ---------------------------------------------------------


def problem_message(problems: list[str], program: str) -> Message:
    """The desktop message for a service that cannot start: what is wrong, and what to do."""
    shown = problems[:3] + ([f"... and {len(problems) - 3} more"] if len(problems) > 3 else [])
    return Message(
        kind="info",
        title="flooding is not watching your heart yet",
        body="\n".join(shown)
        + f"\nRun `{program} config check` to see what to fix; the service starts by "
        "itself once it is fixed.",
        key="service-problem:" + "|".join(problems),
    )


def is_couple(settings: Settings) -> bool:
    """Whether the service watches a couple: exactly two profiles exist."""
    return len(settings.profiles) == 2


def pairing_problems(settings: Settings, program: str) -> list[str]:
    """Why the service cannot watch yet: no strap paired (or, for a couple, a profile
    without one)."""
    if is_couple(settings):
        return [
            f"{name} has no strap paired yet: put it on and run `{program} pair STRAP --as {name}`."
            for name, profile in settings.profiles.items()
            if not (profile.strap.address or profile.strap.name)
        ]
    if settings.strap.address or settings.strap.name:
        return []
    return [
        "No strap is paired yet: put yours on and run "
        f"`{program} pair` (the service then finds it by itself)."
    ]


async def wait_for_settings(
    load: Callable[[], Settings],
    *,
    notifier: Notifier,
    program: str,
    stopped: asyncio.Event,
    retry_s: float = SETTINGS_RETRY_S,
    sleep: Callable[[float], Awaitable[object]] | None = None,
) -> Settings | None:
    """Settings with a strap chosen, waiting (and saying why, once per problem) until then.

    Returns None when `stopped` is set first.
    """
    last: list[str] | None = None
    while not stopped.is_set():
        try:
            settings = load()
            problems = pairing_problems(settings, program)
        except ConfigError as exc:
            problems = ["The configuration has problems:", *exc.problems]
        if not problems:
            return settings
        if problems != last:
            last = problems
            for problem in problems:
                log.error("%s", problem)
            log.error("not watching until this is fixed; `%s config check` shows it", program)
            try:
                await notifier.send(problem_message(problems, program))
            except Exception as exc:  # the log already has it
                log.warning("could not show the problem on the desktop: %r", exc)
        if sleep is not None:
            await sleep(retry_s)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped.wait(), retry_s)
    return None
