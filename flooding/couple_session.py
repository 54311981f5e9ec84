"""The couple session runner: both partners' straps, one conversation, one stored session.

A `SessionRunner` whose source merges two straps (`flooding.sources.MergedSource`, items
tagged with the person) and whose core is a `flooding.couple.CoupleEngine`: each sample is
stored on its person's track and fed to their detector; couple events (the one alert, the
pause for both, ready-to-return) are stored on the session's own track (`person = ''`) and
become the messages both partners read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable, Mapping, Sequence

from flooding.config import Settings
from flooding.couple import NO_CONTACT, NO_SIGNAL, WORKOUT, CoupleEngine, is_couple_event
from flooding.models import (
    BatteryLevel,
    ContactChanged,
    CoupleAlert,
    CouplePauseStarted,
    CoupleReady,
    Event,
    GapDetected,
    LinkChanged,
    Mode,
    PersonItem,
    Reading,
    Sample,
    SensorLocation,
)
from flooding.notify import Notifier
from flooding.service import LOW_BATTERY_PERCENT, NOTIFY_TIMEOUT_S, SessionRunner, View
from flooding.sources import AnyItem, TaggedSource
from flooding.store import SOLO, Store

REASON_WORDS = {WORKOUT: "workout mode", NO_CONTACT: "no skin contact", NO_SIGNAL: "no signal"}


class CoupleSessionRunner(SessionRunner):
    """Runs one couple session: see the module docstring."""

    def __init__(
        self,
        *,
        source: TaggedSource,
        settings: Settings,
        store: Store,
        view: View,
        people: Sequence[str],
        source_kind: str,
        notifier: Notifier | None = None,
        modes: Mapping[str, Mode | None] | None = None,
        straps: Mapping[str, tuple[str | None, str | None]] | None = None,
        clock: Callable[[], float] = time.time,
        stop_after_ready_s: float | None = None,
        message_turn: int = 0,
        notify_timeout_s: float = NOTIFY_TIMEOUT_S,
    ) -> None:
        super().__init__(
            source=source,
            settings=settings,
            store=store,
            view=view,
            notifier=notifier,
            source_kind=source_kind,
            clock=clock,
            stop_after_ready_s=stop_after_ready_s,
            message_turn=message_turn,
            strap_name=" & ".join(people),
            notify_timeout_s=notify_timeout_s,
        )
        self.people = tuple(people)
        self.couple = CoupleEngine(settings, self.people, modes=modes)
        self.straps = dict(straps or {})
        self.latest: dict[str, Reading] = {}
        self.samples_of: dict[str, int] = dict.fromkeys(self.people, 0)
        self._battery_warned_for: set[str] = set()
        self._strap_known: set[str] = {p for p, (name, _) in self.straps.items() if name}

    # -- what the control channel and the live line ask -------------------------------------

    @property
    def pausing(self) -> bool:
        return self.couple.protocol.pausing

    @property
    def pause_until_s(self) -> float:
        return self.couple.protocol.until_s

    @property
    def mode(self) -> Mode:
        modes = {engine.mode for engine in self.couple.engines.values()}
        return Mode.WORKOUT if modes == {Mode.WORKOUT} else Mode.TALK

    @property
    def baseline_bpm(self) -> float | None:
        return None  # each partner has their own: see people_status()

    def people_status(self) -> dict[str, dict[str, object]]:
        now = self._now()
        out: dict[str, dict[str, object]] = {}
        for name in self.people:
            engine = self.couple.engines[name]
            reading = self.latest.get(name)
            baseline = engine.detector.baseline_bpm
            out[name] = {
                "heart_bpm": reading.bpm if reading is not None else None,
                "state": reading.state.value if reading is not None else "waiting",
                "baseline_bpm": None if baseline is None else round(baseline, 1),
                "mode": engine.mode.value,
                "not_counted": self.couple.protocol.why_not_counted(name, now),
            }
        return out

    # -- the session -------------------------------------------------------------------------

    def _began(self, session_id: int) -> None:
        for name in self.people:
            strap_name, strap_address = self.straps.get(name, (None, None))
            engine = self.couple.engines[name]
            self.store.add_person(
                session_id,
                name,
                mode=engine.mode.value,
                strap_name=strap_name,
                strap_address=strap_address,
                settings_json=json.dumps(
                    self.couple.person_settings[name].model_dump(
                        mode="json", exclude={"messages", "profiles"}
                    )
                ),
            )

    def handle(self, item: AnyItem) -> None:
        """Take one item from one partner's strap."""
        assert self.session_id is not None
        assert self.outcome is not None
        if not isinstance(item, PersonItem):
            raise TypeError(f"a couple session needs items tagged with the person, not {item!r}")
        person, inner = item.person, item.item
        if isinstance(inner, Sample):
            self._latest_t = max(inner.t_s, self._latest_t or inner.t_s)
            self.store.add_sample(self.session_id, inner, person)
            self.outcome.samples += 1
            self.samples_of[person] += 1
            reading = self.couple.feed(person, inner)
            self.latest[person] = reading
            self._handle_person_events(person, reading.events)
            person_reading = getattr(self.view, "person_reading", None)
            if person_reading is not None:
                person_reading(person, reading)
            else:
                self.view.reading(reading)
        elif isinstance(inner, LinkChanged):
            if inner.strap_name and person not in self._strap_known:
                self._strap_known.add(person)
                self.store.set_person_strap(
                    self.session_id, person, inner.strap_name, inner.strap_address
                )
            self.store.add_note_event(
                self.session_id,
                inner.t_s,
                "link",
                {"state": inner.state.value, "strap": inner.strap_name, "reason": inner.reason},
                person,
            )
            strap = inner.strap_name or "the strap"
            self.view.link(dataclasses.replace(inner, strap_name=f"{person}'s {strap}"))
        elif isinstance(inner, BatteryLevel):
            low = inner.percent < LOW_BATTERY_PERCENT
            self.store.add_note_event(
                self.session_id, inner.t_s, "battery", {"percent": inner.percent}, person
            )
            warn = low and person not in self._battery_warned_for
            if warn:
                self._battery_warned_for.add(person)
                self.view.info(f"{person}'s strap:")
            self.view.battery(inner, warn)
        elif isinstance(inner, SensorLocation):
            self.store.add_note_event(
                self.session_id,
                inner.t_s,
                "sensor-location",
                {"location": inner.location},
                person,
            )

    def start_pause(self, minutes: float | None = None) -> None:
        """A pause for both, by hand, now."""
        self._handle_person_events(SOLO, self.couple.start_pause(self._now(), minutes))

    def end_pause(self) -> None:
        """End the pause for both early, now."""
        self._handle_person_events(SOLO, self.couple.end_pause(self._now()))

    def set_mode(self, mode: Mode) -> None:
        """Talk or workout, for both partners (`flooding workout on|off`)."""
        for name in self.people:
            if self.couple.engines[name].mode is not mode:
                self.couple.set_mode(name, mode)
                if self.session_id is not None:
                    self.store.add_note_event(
                        self.session_id, self._now(), "mode", {"mode": mode.value}, name
                    )
        self.store.flush()

    def _handle_person_events(self, person: str, events: tuple[Event, ...] | list[Event]) -> None:
        assert self.session_id is not None
        assert self.outcome is not None
        pending = next((e for e in events if isinstance(e, CouplePauseStarted)), None)
        for event in events:
            owner = SOLO if is_couple_event(event) else person
            event_id = self.store.add_event(self.session_id, event, owner)
            self.outcome.events.append(event)
            if isinstance(event, CoupleAlert):
                self.outcome.alerts += 1
            elif isinstance(event, CouplePauseStarted):
                self.outcome.pauses += 1
                if event.manual:
                    self.view.info("Pause for both started by hand. Take the time you need.")
            elif isinstance(event, CoupleReady):
                self.outcome.ready += 1
                if self.stop_after_ready_s is not None:
                    asyncio.get_running_loop().call_later(self.stop_after_ready_s, self.stop)
            elif isinstance(event, GapDetected):
                self.outcome.gaps += 1
            elif isinstance(event, ContactChanged):
                self.view.info(
                    f"{person}: skin contact is back, counted again."
                    if event.contact
                    else f"{person}: the strap has no skin contact, so this heart is not "
                    "counted for now. Moisten the electrodes and tighten the strap a little."
                )
            rendered = self.book.render(event, pending, self._turn)
            if rendered is not None:
                key = f"{rendered.full.kind}:{self.session_id}:{event_id}"
                if isinstance(event, CoupleAlert):
                    self._alert_ids[key] = event_id
                self._deliver(rendered, key)
                if isinstance(event, CoupleAlert | CoupleReady):
                    self._turn += 1
