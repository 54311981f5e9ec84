"""The session runner: the one place where a source, the pure core, the store, the messages,
the notifier and the view are wired together, for a session of N people (N = 1 or 2).

Data flow: source item -> store (append) -> engine -> events -> store, messages -> view and
notifier. Notifications run as background tasks so they never hold up the samples.
With two people (couple mode) the source merges both straps (`flooding.app.sources.
MergedSource`, items tagged with the person): each sample is stored on its person's track
and fed to their detector; the pause protocol's events (the one alert, the pause for both,
ready-to-return) are stored on the session's own track (`person = ''`) and become the
messages both partners read.

Time: the engine runs on the samples' times, which a live source stamps on the session clock
(`flooding.io.clock.SessionClock`, shared with the runner), so no wall-clock jump or suspend
bends an alert or a pause; the wall clock only turns times into "back at 20:45".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from flooding.app.saving_notice import SavingNotice
from flooding.app.sources import AnyItem, HeartSource, TaggedSource
from flooding.app.status import heart_now
from flooding.app.strap_silence import SILENT_TELL_S, SilenceWatch, silence_message
from flooding.app.unfinished_break import BREAK_GOES_ON, unfinished_break
from flooding.core.messages import MessageBook, RenderedMessage
from flooding.core.models import (
    PAUSE_EVENTS,
    SOLO,
    Alert,
    BatteryLevel,
    ContactChanged,
    Event,
    GapDetected,
    LinkChanged,
    LinkState,
    Mode,
    PauseEnded,
    PauseStarted,
    PersonItem,
    Reading,
    ReadyToReturn,
    Sample,
    SensorLocation,
    SourceItem,
    untagged,
)
from flooding.core.notice import (
    ACTION_NOT_FLOODED,
    ACTION_START_PAUSE,
    Message,
    Notifier,
    NullNotifier,
)
from flooding.core.pause import CHECK_WAITS_S, MINUTE_S
from flooding.core.people import PeopleEngine
from flooding.core.settings import Settings
from flooding.core.timefmt import at_day_clock
from flooding.io.clock import SessionClock, wall_offset_of
from flooding.io.locale_files import load_catalogue
from flooding.io.store import Store

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 1.0  # commit at least every second: a crash loses at most this much
# what was recorded is handed over at once when the last hand-over is at least this share of
# the interval old: a strap's sample a second is then saved in the wake-up that brought it,
# and a second wake-up a second (a timer of its own) is not needed
SAVE_AT_ONCE_SHARE = 0.5
END_SAVE_WAIT_S = 5.0  # a normal end is saved in milliseconds; a busy or full disk: close()
SAMPLES_STOPPED_S = 5.0  # a strap notifies about once a second: 5 s without a sample, it is away
NOTIFY_GRACE_S = 1.0  # a notifier this far past its own budget broke its promise: stop waiting
# what the strap says by itself: a session holding only these (no reading, no note, nothing
# the person did) is not kept
STRAP_ONLY_EVENTS = frozenset({"link", "battery", "sensor-location"})
SILENCE_CHECK_S = 1.0  # how often the strap's silence is looked at
LOW_BATTERY_PERCENT = 15  # warn once below this: a strap that dies mid-talk misses the alert


class View(Protocol):
    """Where the person sees the session: the terminal, or nothing (headless service)."""

    def reading(self, reading: Reading) -> None:
        """A new reading (called for every sample; the view decides how often to show)."""

    def person_reading(self, person: str, reading: Reading) -> None:
        """Couple mode: a new reading from one partner's heart."""

    def message(self, message: Message) -> None:
        """A message for the person (always shown in full)."""

    def link(self, change: LinkChanged) -> None:
        """The strap connected, dropped, or is being searched for."""

    def person_link(self, person: str, change: LinkChanged) -> None:
        """Couple mode: one partner's strap connected, dropped, or is being searched for."""

    def battery(self, level: BatteryLevel, low: bool) -> None:
        """The strap's battery level."""

    def person_battery(self, person: str, level: BatteryLevel, low: bool) -> None:
        """Couple mode: one partner's strap's battery level."""

    def info(self, text: str) -> None:
        """Anything else worth a line."""

    def answered(self, action_id: str) -> None:
        """The person answered the alert (`ACTION_NOT_FLOODED` or `ACTION_START_PAUSE`),
        wherever they did: a desktop notification's button, a command, the app's page."""


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
    strap_connected: bool = False  # a strap connected at least once
    kept: bool = True  # False: nothing was recorded, and the empty session was deleted


class SessionRunner:
    """Runs one monitoring session from a source until it ends or `stop()` is called.

    `people`: whose hearts it watches; one person (`SOLO`) by default. With two (their
    profile names), the source's items are tagged with the person, `modes` and `straps`
    give each one's mode and strap, and the words address both. `clock` is the session clock
    the source stamps its items on (default: a `SessionClock` of its own); the session's start
    and "now" before the first sample come from it.
    """

    def __init__(
        self,
        *,
        source: HeartSource | TaggedSource,
        settings: Settings,
        store: Store,
        view: View,
        notifier: Notifier | None = None,
        source_kind: str,
        people: Sequence[str] = (SOLO,),
        mode: Mode | None = None,
        modes: Mapping[str, Mode | None] | None = None,
        straps: Mapping[str, tuple[str | None, str | None]] | None = None,
        clock: Callable[[], float] | None = None,
        stop_after_ready_s: float | None = None,
        message_turn: int = 0,
        strap_name: str | None = None,
        strap_address: str | None = None,
        flush_interval_s: float = FLUSH_INTERVAL_S,
        continue_break: bool = False,
        strap_silent_s: float = SILENT_TELL_S,
    ) -> None:
        self.source = source
        # go on with the break the last session of this kind stopped in (`unfinished_break`):
        # a monitor's, whose clock is the wall clock (a demo's runs ahead of it)
        self.continue_break = continue_break
        self.settings = settings
        self.say = load_catalogue(settings.language)  # the lines the view shows (`info`)
        self.store = store
        self.notifier: Notifier = notifier or NullNotifier()
        # why desktop alerts do not reach the screen (None: they do, as far as known), for
        # `flooding status` and the app: asked at the start, and after a message not shown
        self.desktop_problem: str | None = None
        self.view = view
        self.source_kind = source_kind
        self.people = tuple(people)
        self.couple = len(self.people) > 1
        if mode is not None:
            modes = dict.fromkeys(self.people, mode)
        self.engine = PeopleEngine(settings, self.people, modes=modes)
        self.book = MessageBook(settings, self.say, len(self.people))
        self.clock: Callable[[], float] = clock if clock is not None else SessionClock()
        self.wall_offset_s = wall_offset_of(self.clock)
        self.stop_after_ready_s = stop_after_ready_s
        self._turn = message_turn
        self.strap_name = " & ".join(self.people) if self.couple else strap_name
        self.straps = dict(straps or {})
        self.latest: dict[str, Reading] = {}  # each person's latest reading
        self.samples_of: dict[str, int] = dict.fromkeys(self.people, 0)
        self._strap_known: set[str] = {p for p, (name, _) in self.straps.items() if name}
        self.strap_address = strap_address
        self.flush_interval_s = flush_interval_s
        self._stop = asyncio.Event()
        self._notify_tasks: set[asyncio.Task[None]] = set()
        self._battery_warned: set[str] = set()  # whose low battery was already told
        self.session_id: int | None = None
        self.outcome: SessionOutcome | None = None
        self._saved_at = -math.inf  # the loop's time of the last hand-over to the store
        self._saving_notice = SavingNotice(self.view.info, self.say, store.path)
        self._save_timer: asyncio.TimerHandle | None = None
        self._latest_t: float | None = None
        self._alert_ids: dict[str, int] = {}  # message key -> stored alert event id
        self._pause_alert_id: int | None = None  # the alert whose pause runs now (None: none)
        # the strap silent this long during the session is told on the desktop, once
        self.strap_silent_s = strap_silent_s
        self.silence = SilenceWatch()

    def stop(self) -> None:
        """Ask the session to end (Ctrl-C, SIGTERM)."""
        self._stop.set()

    async def run(self) -> SessionOutcome:
        """Run until the source ends or stop() is called; always flushes and closes the session."""
        started = self.clock()
        self.session_id = self.store.begin_session(
            started,
            source=self.source_kind,
            mode=self.mode.value,
            strap_name=self.strap_name,
            strap_address=self.strap_address,
            settings_json=json.dumps(self.settings.model_dump(mode="json", exclude={"messages"})),
        )
        self._began(self.session_id)
        self.outcome = SessionOutcome(self.session_id, started, started)
        if self.continue_break:
            self._continue_break(started)
        self._track(asyncio.get_running_loop().create_task(self._ask_desktop()))
        consumer = asyncio.create_task(self._consume())
        stopper = asyncio.create_task(self._stop.wait())
        watcher = asyncio.create_task(self._watch_silence())
        try:
            await asyncio.wait({consumer, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if self._save_timer is not None:
                self._save_timer.cancel()  # end_session below saves everything
                self._save_timer = None
            for task in (consumer, stopper, watcher):
                task.cancel()
            for task in (consumer, stopper, watcher):
                # a failed source is re-raised below, after the session is saved and closed
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self._drain_notifications()
            latest = self._latest_t
            if latest is not None and self.clock() - latest > self.settings.detection.gap_s:
                self.outcome.gaps += 1  # no reading came from then to the end: a gap too
            self.outcome.ended_s = latest if latest is not None else started
            try:
                self.store.end_session(self.session_id, self.outcome.ended_s)
            except Exception as exc:  # a full disk at the end must not lose the outcome
                log.error("could not save the end of the session: %s", exc)
                self.view.info(self.say("session.info.end_not_saved", why=exc))
            # the session is over only once it is on disk (off the loop: a busy database
            # is waited out by the writer thread, not here)
            if not await asyncio.to_thread(self.store.wait_saved, END_SAVE_WAIT_S):
                log.warning("the end of the session is not saved yet; it is kept and retried")
            else:
                self._drop_if_empty()
        error = consumer.exception() if consumer.done() and not consumer.cancelled() else None
        if error is not None:
            raise error
        return self.outcome

    def _drop_if_empty(self) -> None:
        """Delete the session when nothing was recorded in it: no heart reading, no note and
        no event but the strap's own (searching, battery...); a pause, a mode switch or a
        note the person made keeps it."""
        assert self.session_id is not None
        assert self.outcome is not None
        if self.outcome.samples:
            return
        sid = self.session_id
        try:
            row = self.store.session(sid)
            if row is None or row.note or self.store.sample_count(sid):
                return
            if any(e.kind not in STRAP_ONLY_EVENTS for e in self.store.events(sid)):
                return
            self.store.delete_session(sid)
        except Exception as exc:  # a busy or full disk: the empty session stays, harmless
            log.warning("the empty session %d is kept: %s", sid, exc)
            return
        self.outcome.kept = False
        log.info("session %d held nothing and is not kept", sid)

    def _continue_break(self, now_s: float) -> None:
        """Go on with the break the last session stopped in, to the time it gave; when that
        time has passed, its check comes with the first readings."""
        assert self.session_id is not None
        found = unfinished_break(self.store, self.session_id, self.source_kind, now_s)
        if found is None or set(found.baselines) != set(self.people):
            return
        minutes = (found.until_s - now_s) / MINUTE_S
        events = self.engine.start_pause(now_s, minutes, found.baselines, found.started_s)
        self._handle_events(events, by_hand_said=False)  # said below, as going on
        self.store.add_note_event(
            self.session_id,
            now_s,
            BREAK_GOES_ON,
            {"break_start_s": found.started_s, "from_session": found.session_id},
        )
        offset = self.wall_offset_s()
        back = at_day_clock(found.until_s + offset, now_s + offset, self.say)
        key = "break_goes_on" if found.until_s > now_s else "break_check_now"
        self.view.info(self.say(f"session.info.{key}", time=back))
        log.info("session %d goes on with session %d's break", self.session_id, found.session_id)

    def break_hold_s(self) -> float:
        """How much longer a break keeps the session open without a heart heard (0: none
        runs): to its next check and `CHECK_WAITS_S` after it, so its check comes in this
        session when the heart is heard again (after a walk out of range, a closed laptop)."""
        if not self.pausing:
            return 0.0
        return max(0.0, self.pause_until_s + CHECK_WAITS_S - self.clock())

    def _began(self, session_id: int) -> None:
        """The session is in the store: name its people (a session of one has none)."""
        if not self.couple:
            return
        for name in self.people:
            strap_name, strap_address = self.straps.get(name, (None, None))
            self.store.add_person(
                session_id,
                name,
                mode=self.engine.engines[name].mode.value,
                strap_name=strap_name,
                strap_address=strap_address,
                settings_json=json.dumps(
                    self.engine.person_settings[name].model_dump(
                        mode="json", exclude={"messages", "profiles"}
                    )
                ),
            )

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
        """Talk or workout, now (workout only when everyone is in a workout)."""
        modes = {engine.mode for engine in self.engine.engines.values()}
        return Mode.WORKOUT if modes == {Mode.WORKOUT} else Mode.TALK

    @property
    def baseline_bpm(self) -> float | None:
        """The calm baseline now (None: not known yet; for two, see `people_status`)."""
        if self.couple:
            return None
        return self.engine.engines[SOLO].detector.baseline_bpm

    def people_status(self) -> dict[str, dict[str, object]] | None:
        """Each partner's heart now, in couple mode (None for one person)."""
        if not self.couple:
            return None
        now = self.session_time_s
        out: dict[str, dict[str, object]] = {}
        for name in self.people:
            engine = self.engine.engines[name]
            reading = self.latest.get(name)
            baseline = engine.detector.baseline_bpm
            heart_bpm, not_counted, strap_bpm = heart_now(reading)
            out[name] = {
                "heart_bpm": heart_bpm,
                "state": reading.state.value if reading is not None else "waiting",
                "baseline_bpm": None if baseline is None else round(baseline, 1),
                "mode": engine.mode.value,
                "not_counted": self.engine.protocol.why_not_counted(name, now),
                "heart_not_counted": not_counted,
                "strap_bpm": strap_bpm,
            }
        return out

    @property
    def session_time_s(self) -> float:
        """Now, on the session clock: the latest sample's time, or the clock's while none has
        come for `SAMPLES_STOPPED_S` (the strap away: time goes on, so a pause started then
        lasts its minutes from now, and what is left of one counts down)."""
        latest = self._latest_t
        now = self.clock()
        if latest is None or now - latest > SAMPLES_STOPPED_S:
            return now
        return latest

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
        """Take one item from the source (in couple mode, tagged with whose strap it is)."""
        assert self.session_id is not None
        assert self.outcome is not None
        person, inner = self._who(item)
        if isinstance(inner, Sample):
            self.silence.heard(time.monotonic())
            self._latest_t = max(inner.t_s, self._latest_t or inner.t_s)
            self.store.add_sample(self.session_id, inner, person)
            self.outcome.samples += 1
            reading = self._feed(person, inner)
            self._handle_events(reading.events, person)
            self._show(person, reading)
        elif isinstance(inner, LinkChanged):
            if inner.state is LinkState.CONNECTED:
                self.outcome.strap_connected = True
            if inner.strap_name:
                self._strap_found(person, inner)
            self.store.add_note_event(
                self.session_id,
                inner.t_s,
                "link",
                {"state": inner.state.value, "strap": inner.strap_name, "reason": inner.reason},
                person,
            )
            self._show_link(person, inner)
        elif isinstance(inner, BatteryLevel):
            self.store.add_note_event(
                self.session_id, inner.t_s, "battery", {"percent": inner.percent}, person
            )
            warn = inner.percent < LOW_BATTERY_PERCENT and person not in self._battery_warned
            if warn:
                self._battery_warned.add(person)
                self._battery_warning_for(person)
            self._show_battery(person, inner, warn)
        elif isinstance(inner, SensorLocation):
            self.store.add_note_event(
                self.session_id, inner.t_s, "sensor-location", {"location": inner.location}, person
            )
        self._save_soon()

    # -- one person or two -------------------------------------------------------------------

    def _who(self, item: AnyItem) -> tuple[str, SourceItem]:
        """Whose strap an item came from, and the item."""
        if not self.couple:
            return SOLO, untagged(item)
        if not isinstance(item, PersonItem):
            raise TypeError(f"a couple session needs items tagged with the person, not {item!r}")
        return item.person, item.item

    def _feed(self, person: str, sample: Sample) -> Reading:
        """The pure core's answer to a sample."""
        self.samples_of[person] += 1
        reading = self.engine.feed(person, sample)
        self.latest[person] = reading
        return reading

    def _show(self, person: str, reading: Reading) -> None:
        if self.couple:
            self.view.person_reading(person, reading)
        else:
            self.view.reading(reading)

    def _strap_found(self, person: str, change: LinkChanged) -> None:
        """The strap said its name: record it on the session (or the person), once."""
        if self.session_id is None:
            return
        if not self.couple:
            if self.strap_name is None:
                self.strap_name = change.strap_name
                self.store.set_strap(self.session_id, change.strap_name, change.strap_address)
        elif person not in self._strap_known:
            self._strap_known.add(person)
            self.store.set_person_strap(
                self.session_id, person, change.strap_name, change.strap_address
            )

    def _show_link(self, person: str, change: LinkChanged) -> None:
        if self.couple:
            self.view.person_link(person, change)
        else:
            self.view.link(change)

    def _show_battery(self, person: str, level: BatteryLevel, low: bool) -> None:
        if self.couple:
            self.view.person_battery(person, level, low)
        else:
            self.view.battery(level, low)

    def _battery_warning_for(self, person: str) -> None:
        """Before the low-battery line: say whose strap it is (couple mode)."""
        if self.couple:
            self.view.info(self.say("session.info.whose_battery", name=person))

    def _contact_text(self, person: str, contact: bool) -> str:
        if self.couple:
            key = "session.info.contact_back_of" if contact else "session.info.no_contact_of"
            return self.say(key, name=person)
        return self.say("session.info.contact_back" if contact else "session.info.no_contact")

    def start_pause(self, minutes: float | None = None) -> None:
        """Start a pause (for everyone) by hand, now."""
        self._handle_events(self.engine.start_pause(self.session_time_s, minutes))
        self._save_soon()

    def end_pause(self) -> None:
        """End the pause early, now."""
        self._handle_events(self.engine.end_pause(self.session_time_s))
        self._save_soon()

    def set_mode(self, mode: Mode) -> None:
        """Switch between talk and workout, for everyone, for the rest of the session
        (recorded)."""
        changed = False
        for name in self.people:
            if self.engine.engines[name].mode is not mode:
                changed = True
                t_s = self.session_time_s
                events = self.engine.set_mode(name, mode, t_s)
                if self.session_id is not None:
                    self.store.add_note_event(
                        self.session_id, t_s, "mode", {"mode": mode.value}, name
                    )
                    self._handle_events(events, name)
        if changed or self.couple:
            self.store.flush()

    def _handle_events(
        self,
        events: tuple[Event, ...] | list[Event],
        person: str = SOLO,
        *,
        by_hand_said: bool = True,
    ) -> None:
        """Store, count, show and notify `events` (of `person`); `by_hand_said`: a pause
        started by hand is said so on the view."""
        assert self.session_id is not None
        assert self.outcome is not None
        pending = next((e for e in events if isinstance(e, PauseStarted)), None)
        alert_id: int | None = None  # the alert among these events (its pause follows it)
        for event in events:
            owner = SOLO if isinstance(event, PAUSE_EVENTS) else person
            event_id = self.store.add_event(self.session_id, event, owner, couple=self.couple)
            self.outcome.events.append(event)
            if isinstance(event, Alert):
                self.outcome.alerts += 1
                alert_id = event_id
            elif isinstance(event, PauseStarted):
                self._pause_alert_id = None if event.manual else alert_id
                self.outcome.pauses += 1
                if event.manual and by_hand_said:
                    key = "session.info.paused_both" if self.couple else "session.info.paused"
                    self.view.info(self.say(key))
            elif isinstance(event, PauseEnded):
                self._pause_alert_id = None
            elif isinstance(event, ReadyToReturn):
                self._pause_alert_id = None
                self.outcome.ready += 1
                if self.stop_after_ready_s is not None:
                    asyncio.get_running_loop().call_later(self.stop_after_ready_s, self.stop)
            elif isinstance(event, GapDetected):
                self.outcome.gaps += 1
            elif isinstance(event, ContactChanged):
                self.view.info(self._contact_text(person, event.contact))
            rendered = self.book.render(event, pending, self._turn, self.wall_offset_s())
            if rendered is not None:
                key = f"{rendered.full.kind}:{self.session_id}:{event_id}"
                if isinstance(event, Alert):
                    self._alert_ids[key] = event_id
                self._deliver(rendered, key)
                if isinstance(event, Alert | ReadyToReturn):
                    self._turn += 1

    def handle_action(self, message: Message, action_id: str) -> None:
        """A button on a desktop notification was pressed: answered as any answer is
        (`answer`); a notification has no reply, so the views say what it did."""
        alert_id = self._alert_ids.get(message.key or "")
        if alert_id is None or self.session_id is None:
            return
        if action_id not in (ACTION_NOT_FLOODED, ACTION_START_PAUSE):
            return
        both = "_both" if self.couple else ""  # a couple's words speak to both
        changed = self.answer(action_id, alert_event_id=alert_id)
        if action_id == ACTION_NOT_FLOODED:
            self.view.info(self.say(f"session.info.false_alarm{both}"))
            if changed:
                self.view.info(self.say("session.info.false_alarm_break_over"))
        elif not changed:  # a pause started now is said as one started by hand
            self.view.info(self.say(f"session.info.pause_confirmed{both}"))

    def answer(
        self,
        action_id: str,
        *,
        alert_event_id: int | None = None,
        minutes: float | None = None,
    ) -> bool:
        """The person answered the alert, wherever they did (a desktop notification's button,
        a command, the app's page): the one way an answer reaches the session and its views.

        `ACTION_NOT_FLOODED` marks the alert `alert_event_id` a false alarm and ends the
        break it started; `ACTION_START_PAUSE` starts a break (of `minutes`) when none runs.
        Every view is then told (the app's pages put the alert's card away). Whether a break
        ended or started."""
        assert self.session_id is not None
        if action_id == ACTION_NOT_FLOODED:
            if alert_event_id is None:
                raise ValueError("a 'not flooded' answer names the alert it answers")
            changed = self.mark_false_alarm(alert_event_id)
        elif action_id == ACTION_START_PAUSE:
            changed = not self.pausing
            if changed:
                self.start_pause(minutes)
        else:
            raise ValueError(f"no answer to the alert is called {action_id!r}")
        self.view.answered(action_id)
        return changed

    def mark_false_alarm(self, alert_event_id: int) -> bool:
        """Record that the person said an alert was not flooding. The break that alert
        started is then not needed: if it still runs, it ends (alerts are back on, and no
        "still elevated" follows). Whether it ended."""
        assert self.session_id is not None
        self.store.flush()  # the alert itself may still be in the pending second
        self.store.mark_false_alarm(self.session_id, alert_event_id, self.session_time_s)
        if not self.pausing or alert_event_id != self._pause_alert_id:
            return False
        self.end_pause()
        return True

    def _deliver(self, rendered: RenderedMessage, key: str) -> None:
        self.view.message(rendered.full)
        if not self.settings.notify.enabled:
            return
        # no chime in workout mode: a sound mid-exercise would be a nag
        chime = None if self.mode is Mode.WORKOUT else rendered.desktop.chime
        desktop = dataclasses.replace(rendered.desktop, key=key, chime=chime)
        self._track(asyncio.get_running_loop().create_task(self._notify(desktop)))

    async def _watch_silence(self) -> None:
        """Tell the person once when the strap has sent nothing for `strap_silent_s` during
        the session (dropped, silent, Bluetooth off): no alert can come until it is back."""
        step_s = min(SILENCE_CHECK_S, self.strap_silent_s / 4)
        while True:
            await asyncio.sleep(step_s)
            if not self.silence.due(time.monotonic(), self.strap_silent_s):
                continue
            log.info("the strap has sent nothing for %g s; telling the person", self.strap_silent_s)
            if not self.settings.notify.enabled:
                continue
            key = f"strap-silent:{self.session_id}:{self.silence.told_count}"
            message = silence_message(self.say, self.settings.notify, key)
            self._track(asyncio.get_running_loop().create_task(self._notify(message)))

    def _track(self, task: asyncio.Task[None]) -> None:
        """Keep a notifying task until it is done (the end of the session waits for it)."""
        self._notify_tasks.add(task)
        task.add_done_callback(self._notify_tasks.discard)

    @property
    def notify_wait_s(self) -> float:
        """How long a send may take: the notifier's own budget (retry included), never less."""
        return self.notifier.budget_s + NOTIFY_GRACE_S

    async def _notify(self, message: Message) -> None:
        try:
            delivered = await asyncio.wait_for(self.notifier.send(message), self.notify_wait_s)
        except Exception as exc:  # a notification must never stop the monitor
            log.warning("desktop notification (%s) failed: %r", message.kind, exc)
            delivered = False
        log.info("desktop notification (%s) delivered: %s", message.kind, delivered)
        if delivered:
            self.desktop_problem = None
        else:
            await self._ask_desktop(self.say("status.desktop_not_shown"))

    async def _ask_desktop(self, otherwise: str | None = None) -> None:
        """Find out whether desktop alerts reach the screen (`desktop_problem`); `otherwise`:
        what to say when the notifier finds nothing wrong."""
        try:
            problem = await asyncio.wait_for(self.notifier.problem(), self.notify_wait_s)
        except Exception as exc:  # asking must never stop the monitor
            log.debug("asking the notifier what is wrong failed: %r", exc)
            problem = None
        self.desktop_problem = problem or otherwise

    async def _drain_notifications(self) -> None:
        if self._notify_tasks:
            await asyncio.wait(set(self._notify_tasks), timeout=self.notify_wait_s)

    def _save_soon(self) -> None:
        """Hand what was just recorded to the store within `flush_interval_s`: at once when
        the last hand-over is `SAVE_AT_ONCE_SHARE` of that old, else by a timer at the last
        hand-over plus the interval (so a crash loses at most the interval)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # items handed in outside a running session: run() saves them
            return
        if loop.time() - self._saved_at >= self.flush_interval_s * SAVE_AT_ONCE_SHARE:
            self._save()
        elif self._save_timer is None:
            self._save_timer = loop.call_at(self._saved_at + self.flush_interval_s, self._save)

    def _save(self) -> None:
        """Hand the buffered samples and events to the store's writer (off the loop)."""
        if self._save_timer is not None:
            self._save_timer.cancel()
            self._save_timer = None
        self._saved_at = asyncio.get_running_loop().time()
        trouble: Exception | None
        try:
            self.store.flush()
            trouble = self.store.saving_trouble
        except Exception as exc:  # keep alerting even when the disk is full
            trouble = exc
        self._saving_notice.saw(trouble, self._saved_at)


@contextlib.contextmanager
def stop_on_signals(callback: Callable[[], None]) -> Iterator[None]:
    """Call `callback` on SIGINT and SIGTERM while inside (where the loop supports it)."""
    import signal

    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, callback)
            installed.append(signum)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            pass
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


async def run_until_signalled(runner: SessionRunner) -> SessionOutcome:
    """Run a session; Ctrl-C and SIGTERM end it cleanly (flushed, closed)."""
    with stop_on_signals(runner.stop):
        return await runner.run()
