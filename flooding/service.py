"""The session runner: the one place where a source, the pure core, the store, the messages,
the notifier and the view are wired together.

Data flow: source item -> store (append) -> engine -> events -> store, messages -> view and
notifier. Notifications run as background tasks so they never hold up the samples.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from flooding.config import Settings
from flooding.engine import Engine
from flooding.messages import MessageBook, RenderedMessage
from flooding.models import (
    Alert,
    BatteryLevel,
    ContactChanged,
    Event,
    GapDetected,
    LinkChanged,
    LinkState,
    Mode,
    PauseStarted,
    Reading,
    ReadyToReturn,
    Sample,
    SensorLocation,
    untagged,
)
from flooding.notify import ACTION_NOT_FLOODED, ACTION_START_PAUSE, Message, Notifier, NullNotifier
from flooding.sources import AnyItem, HeartSource, TaggedSource
from flooding.store import Store

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 1.0  # commit at least every second: a crash loses at most this much
NOTIFY_TIMEOUT_S = 15.0  # a desktop that does not answer in this long is given up on
LOW_BATTERY_PERCENT = 15  # warn once below this: a strap that dies mid-talk misses the alert


class View(Protocol):
    """Where the person sees the session: the terminal, or nothing (headless service)."""

    def reading(self, reading: Reading) -> None:
        """A new reading (called for every sample; the view decides how often to show)."""

    def message(self, message: Message) -> None:
        """A message for the person (always shown in full)."""

    def link(self, change: LinkChanged) -> None:
        """The strap connected, dropped, or is being searched for."""

    def battery(self, level: BatteryLevel, low: bool) -> None:
        """The strap's battery level."""

    def info(self, text: str) -> None:
        """Anything else worth a line."""


@dataclass
class SessionOutcome:
    """What a finished session amounted to."""

    session_id: int
    started_s: float
    ended_s: float
    samples: int = 0
    alerts: int = 0
    pauses: int = 0
    ready: int = 0
    gaps: int = 0
    events: list[Event] = field(default_factory=list)


class SessionRunner:
    """Runs one monitoring session from a source until it ends or `stop()` is called."""

    def __init__(
        self,
        *,
        source: HeartSource | TaggedSource,
        settings: Settings,
        store: Store,
        view: View,
        notifier: Notifier | None = None,
        source_kind: str,
        mode: Mode | None = None,
        clock: Callable[[], float] = time.time,
        stop_after_ready_s: float | None = None,
        message_turn: int = 0,
        strap_name: str | None = None,
        strap_address: str | None = None,
        notify_timeout_s: float = NOTIFY_TIMEOUT_S,
    ) -> None:
        self.source = source
        self.settings = settings
        self.store = store
        self.notifier: Notifier = notifier or NullNotifier()
        self.view = view
        self.source_kind = source_kind
        self.engine = Engine(settings, mode=mode)
        self.book = MessageBook(settings)
        self.clock = clock
        self.stop_after_ready_s = stop_after_ready_s
        self._turn = message_turn
        self.strap_name = strap_name
        self.strap_address = strap_address
        self.notify_timeout_s = notify_timeout_s
        self._stop = asyncio.Event()
        self._notify_tasks: set[asyncio.Task[None]] = set()
        self._battery_warned = False
        self.session_id: int | None = None
        self.outcome: SessionOutcome | None = None
        self._latest_t: float | None = None
        self._alert_ids: dict[str, int] = {}  # message key -> stored alert event id

    def stop(self) -> None:
        """Ask the session to end (Ctrl-C, SIGTERM)."""
        self._stop.set()

    async def run(self) -> SessionOutcome:
        """Run until the source ends or stop() is called; always flushes and closes the session."""
        started = self.clock()
        self.session_id = self.store.begin_session(
            started,
            source=self.source_kind,
            mode=self.engine.mode.value,
            strap_name=self.strap_name,
            strap_address=self.strap_address,
            settings_json=json.dumps(self.settings.model_dump(mode="json", exclude={"messages"})),
        )
        self._began(self.session_id)
        self.outcome = SessionOutcome(self.session_id, started, started)
        flusher = asyncio.create_task(self._flush_every_second())
        consumer = asyncio.create_task(self._consume())
        stopper = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait({consumer, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (consumer, stopper, flusher):
                task.cancel()
            for task in (consumer, stopper, flusher):
                # a failed source is re-raised below, after the session is saved and closed
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self._drain_notifications()
            self.outcome.ended_s = self._latest_t if self._latest_t is not None else started
            try:
                self.store.end_session(self.session_id, self.outcome.ended_s)
            except Exception as exc:  # a full disk at the end must not lose the outcome
                log.error("could not save the end of the session: %s", exc)
                self.view.info(f"Could not save the end of the session ({exc}).")
        error = consumer.exception() if consumer.done() and not consumer.cancelled() else None
        if error is not None:
            raise error
        return self.outcome

    def _began(self, session_id: int) -> None:
        """Called once the session is in the store (couple mode names its people here)."""

    @property
    def pausing(self) -> bool:
        """Whether a pause is running."""
        return self.engine.protocol.pausing

    @property
    def pause_until_s(self) -> float:
        """The pause's next check (its planned end, or the end of an extension)."""
        return self.engine.protocol.until_s

    @property
    def mode(self) -> Mode:
        """Talk or workout, now."""
        return self.engine.mode

    @property
    def baseline_bpm(self) -> float | None:
        """The calm baseline now (None: not known yet)."""
        return self.engine.detector.baseline_bpm

    def people_status(self) -> dict[str, dict[str, object]] | None:
        """Each partner's heart now, in couple mode (None for one person)."""
        return None

    def _now(self) -> float:
        """Session time: the latest sample's, else the clock's."""
        return self._latest_t if self._latest_t is not None else self.clock()

    @property
    def session_time_s(self) -> float:
        """Now, on the session clock: the latest sample's time, else the clock's."""
        return self._now()

    async def _consume(self) -> None:
        stream = self.source.stream()
        try:
            async for item in stream:
                self.handle(item)
                if self._stop.is_set():
                    break
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()

    def handle(self, item: AnyItem) -> None:
        """Take one item from the source."""
        assert self.session_id is not None
        assert self.outcome is not None
        item = untagged(item)
        if isinstance(item, Sample):
            self._latest_t = item.t_s
            self.store.add_sample(self.session_id, item)
            self.outcome.samples += 1
            reading = self.engine.feed(item)
            self._handle_events(reading.events)
            self.view.reading(reading)
        elif isinstance(item, LinkChanged):
            if item.strap_name and self.strap_name is None and self.session_id is not None:
                self.strap_name = item.strap_name
                self.store.set_strap(self.session_id, item.strap_name, item.strap_address)
            self.store.add_note_event(
                self.session_id,
                item.t_s,
                "link",
                {"state": item.state.value, "strap": item.strap_name, "reason": item.reason},
            )
            self.view.link(item)
        elif isinstance(item, BatteryLevel):
            low = item.percent < LOW_BATTERY_PERCENT
            self.store.add_note_event(
                self.session_id, item.t_s, "battery", {"percent": item.percent}
            )
            self.view.battery(item, low and not self._battery_warned)
            if low and not self._battery_warned:
                self._battery_warned = True
        elif isinstance(item, SensorLocation):
            self.store.add_note_event(
                self.session_id, item.t_s, "sensor-location", {"location": item.location}
            )

    def start_pause(self, minutes: float | None = None) -> None:
        """Start a pause by hand, now."""
        self._handle_events(self.engine.start_pause(self._now(), minutes))

    def end_pause(self) -> None:
        """End the pause early, now."""
        self._handle_events(self.engine.end_pause(self._now()))

    def set_mode(self, mode: Mode) -> None:
        """Switch between talk and workout for the rest of the session (recorded)."""
        if mode is self.engine.mode:
            return
        self.engine.set_mode(mode)
        if self.session_id is not None:
            self.store.add_note_event(self.session_id, self._now(), "mode", {"mode": mode.value})
            self.store.flush()

    def _handle_events(self, events: tuple[Event, ...] | list[Event]) -> None:
        assert self.session_id is not None
        assert self.outcome is not None
        pending = next((e for e in events if isinstance(e, PauseStarted)), None)
        for event in events:
            event_id = self.store.add_event(self.session_id, event)
            self.outcome.events.append(event)
            if isinstance(event, Alert):
                self.outcome.alerts += 1
            elif isinstance(event, PauseStarted):
                self.outcome.pauses += 1
                if event.manual:
                    self.view.info("Pause started by hand. Take the time you need.")
            elif isinstance(event, ReadyToReturn):
                self.outcome.ready += 1
                if self.stop_after_ready_s is not None:
                    asyncio.get_running_loop().call_later(self.stop_after_ready_s, self.stop)
            elif isinstance(event, GapDetected):
                self.outcome.gaps += 1
            elif isinstance(event, ContactChanged):
                self.view.info(
                    "Skin contact is back: watching again."
                    if event.contact
                    else "The strap has no skin contact: detection is paused. Moisten the "
                    "electrodes and tighten the strap a little."
                )
            rendered = self.book.render(event, pending, self._turn)
            if rendered is not None:
                key = f"{rendered.full.kind}:{self.session_id}:{event_id}"
                if isinstance(event, Alert):
                    self._alert_ids[key] = event_id
                self._deliver(rendered, key)
                if isinstance(event, Alert | ReadyToReturn):
                    self._turn += 1

    def handle_action(self, message: Message, action_id: str) -> None:
        """A button on a desktop notification was pressed."""
        alert_id = self._alert_ids.get(message.key or "")
        if alert_id is None or self.session_id is None:
            return
        if action_id == ACTION_NOT_FLOODED:
            self.mark_false_alarm(alert_id)
            self.view.info("Marked as a false alarm. Thank you: it helps tune your thresholds.")
        elif action_id == ACTION_START_PAUSE:
            self.view.info("Pause confirmed. Take the time you need.")

    def mark_false_alarm(self, alert_event_id: int) -> None:
        """Record that the person said an alert was not flooding."""
        assert self.session_id is not None
        self.store.flush()  # the alert itself may still be in the pending second
        self.store.mark_false_alarm(self.session_id, alert_event_id, self._now())

    def _deliver(self, rendered: RenderedMessage, key: str) -> None:
        self.view.message(rendered.full)
        if not self.settings.notify.enabled:
            return
        desktop = dataclasses.replace(rendered.desktop, key=key)
        task = asyncio.get_running_loop().create_task(self._notify(desktop))
        self._notify_tasks.add(task)
        task.add_done_callback(self._notify_tasks.discard)

    async def _notify(self, message: Message) -> None:
        try:
            delivered = await asyncio.wait_for(self.notifier.send(message), self.notify_timeout_s)
        except Exception as exc:  # a notification must never stop the monitor
            log.warning("desktop notification (%s) failed: %r", message.kind, exc)
            delivered = False
        log.info("desktop notification (%s) delivered: %s", message.kind, delivered)

    async def _drain_notifications(self) -> None:
        if self._notify_tasks:
            await asyncio.wait(set(self._notify_tasks), timeout=self.notify_timeout_s)

    async def _flush_every_second(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            try:
                self.store.flush()
            except Exception as exc:  # keep alerting even when the disk is full
                log.error("could not save the last second of samples: %s", exc)
                self.view.info(f"Could not save recent samples ({exc}); still watching.")


def current_state_label(reading: Reading) -> str:
    """The word the live line shows for a reading."""
    if reading.pausing:
        return "pausing"
    return reading.state.value


def link_label(change: LinkChanged) -> str:
    """A short description of a link change."""
    if change.state is LinkState.CONNECTED:
        return f"connected to {change.strap_name or 'the strap'}"
    if change.state is LinkState.DISCONNECTED:
        return f"strap disconnected{f' ({change.reason})' if change.reason else ''} - retrying"
    return change.state.value


async def run_until_signalled(runner: SessionRunner) -> SessionOutcome:
    """Run a session; Ctrl-C and SIGTERM end it cleanly (flushed, closed)."""
    import signal

    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, runner.stop)
            installed.append(signum)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            pass
    try:
        return await runner.run()
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
