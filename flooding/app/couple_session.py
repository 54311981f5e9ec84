"""The couple session runner: both partners' straps, one conversation, one stored session.

A `SessionRunner` whose source merges two straps (`flooding.app.sources.MergedSource`, items
tagged with the person) and whose core is a `flooding.core.couple.CoupleEngine`: each sample is
stored on its person's track and fed to their detector; couple events (the one alert, the
pause for both, ready-to-return) are stored on the session's own track (`person = ''`) and
become the messages both partners read.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping, Sequence

from flooding.app.session import SessionRunner, View
from flooding.app.sources import AnyItem, TaggedSource
from flooding.core.couple import CoupleEngine, is_couple_event
from flooding.core.models import (
    Event,
    LinkChanged,
    Mode,
    PersonItem,
    Reading,
    Sample,
    SourceItem,
)
from flooding.core.notice import Notifier
from flooding.core.settings import Settings
from flooding.io.store import SOLO, Store


class CoupleSessionRunner(SessionRunner):
    """Runs one couple session: see the module docstring."""

    manual_pause_text = "Pause for both started by hand. Take the time you need."

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
        )
        self.people = tuple(people)
        self.couple = CoupleEngine(settings, self.people, modes=modes)
        self.straps = dict(straps or {})
        self.latest: dict[str, Reading] = {}
        self.samples_of: dict[str, int] = dict.fromkeys(self.people, 0)
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
        now = self.session_time_s
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

    def _who(self, item: AnyItem) -> tuple[str, SourceItem]:
        if not isinstance(item, PersonItem):
            raise TypeError(f"a couple session needs items tagged with the person, not {item!r}")
        return item.person, item.item

    def _feed(self, person: str, sample: Sample) -> Reading:
        self.samples_of[person] += 1
        reading = self.couple.feed(person, sample)
        self.latest[person] = reading
        return reading

    def _show(self, person: str, reading: Reading) -> None:
        self.view.person_reading(person, reading)

    def _strap_found(self, person: str, change: LinkChanged) -> None:
        if person not in self._strap_known and self.session_id is not None:
            self._strap_known.add(person)
            self.store.set_person_strap(
                self.session_id, person, change.strap_name, change.strap_address
            )

    def _link_shown(self, person: str, change: LinkChanged) -> LinkChanged:
        strap = change.strap_name or "the strap"
        return dataclasses.replace(change, strap_name=f"{person}'s {strap}")

    def _battery_warning_for(self, person: str) -> None:
        self.view.info(f"{person}'s strap:")

    def _owner(self, event: Event, person: str) -> str:
        return SOLO if is_couple_event(event) else person

    def _contact_text(self, person: str, contact: bool) -> str:
        if contact:
            return f"{person}: skin contact is back, counted again."
        return (
            f"{person}: the strap has no skin contact, so this heart is not counted for now. "
            "Moisten the electrodes and tighten the strap a little."
        )

    def start_pause(self, minutes: float | None = None) -> None:
        """A pause for both, by hand, now."""
        self._handle_events(self.couple.start_pause(self.session_time_s, minutes))

    def end_pause(self) -> None:
        """End the pause for both early, now."""
        self._handle_events(self.couple.end_pause(self.session_time_s))

    def set_mode(self, mode: Mode) -> None:
        """Talk or workout, for both partners (`flooding workout on|off`)."""
        for name in self.people:
            if self.couple.engines[name].mode is not mode:
                self.couple.set_mode(name, mode)
                if self.session_id is not None:
                    self.store.add_note_event(
                        self.session_id, self.session_time_s, "mode", {"mode": mode.value}, name
                    )
        self.store.flush()
