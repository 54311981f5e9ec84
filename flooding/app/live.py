"""The running monitor as the control channel sees it: `flooding status` and the actions
`pause`, `resume`, `ok` and `workout`, answered from the status board and the session running
now (if any). The demo, the foreground monitor and the background service all have one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, assert_never

from flooding.app.status import StatusBoard, StrapSeen, heart_now, link_word
from flooding.core.models import LinkState, Mode
from flooding.core.notice import ACTION_NOT_FLOODED, ACTION_START_PAUSE
from flooding.core.settings import Settings
from flooding.io.control import (
    ErrorReply,
    MonitorStatus,
    OkReply,
    OkRequest,
    PauseReply,
    PauseRequest,
    PauseStatus,
    PersonStatus,
    Reply,
    Request,
    ResumeReply,
    ResumeRequest,
    StatusReply,
    StatusRequest,
    StrapStatus,
    WorkoutReply,
    WorkoutRequest,
    error_reply,
)

if TYPE_CHECKING:
    from flooding.app.session import SessionRunner
    from flooding.io.control.protocol import ErrorCode

MINUTE_S = 60.0


def _on_wall(runner: SessionRunner, t_s: float) -> float:
    """A session time as the wall clock shows it now (for "until 20:45"; the minutes left
    come from session times, which no wall-clock jump moves)."""
    return t_s + runner.wall_offset_s()


class LiveMonitor:
    """The running monitor as the control channel sees it: status and the four actions.

    `people`: a couple's two names (empty for one person), and `straps` the strap each has
    chosen (name, address), as `flooding.app.wiring.Process` has them.
    """

    def __init__(
        self,
        board: StatusBoard,
        *,
        settings: Settings,
        strap: str,
        headless: bool,
        demo: bool = False,
        clock: Callable[[], float] = time.time,
        people: Sequence[str] = (),
        straps: Mapping[str, tuple[str | None, str | None]] | None = None,
    ) -> None:
        self.board = board
        self.settings = settings
        self.strap = strap
        self.people = tuple(people)
        self.couple = bool(self.people)  # the replies' words speak to both
        self.chosen = dict(straps or {})
        self.headless = headless
        self.demo = demo
        self.clock = clock
        self.started_at = clock()
        self.runner: SessionRunner | None = None
        self.next_mode: Mode | None = None  # `workout on` with no session: for the next one

    def handle(self, request: Request) -> Reply:
        """Answer one valid control request (see `flooding.io.control.protocol`)."""
        if isinstance(request, StatusRequest):
            return StatusReply(status=self.status())
        if isinstance(request, WorkoutRequest):
            return self._workout(request.on)
        runner = self.runner
        if runner is None or runner.session_id is None:
            return self._refused(
                "no-session",
                "no session is running: the monitor is waiting for your straps. "
                "Put them on (electrodes moistened) and a session starts by itself."
                if self.people
                else "no session is running: the monitor is waiting for your strap. "
                "Put it on (electrodes moistened) and a session starts by itself.",
            )
        if isinstance(request, PauseRequest):
            return self._pause(runner, request.minutes)
        if isinstance(request, ResumeRequest):
            return self._resume(runner)
        if isinstance(request, OkRequest):
            return self._ok(runner, request.session)
        assert_never(request)

    def mode(self) -> Mode:
        """The mode in force: the session's, else the one waiting for the next session."""
        if self.runner is not None:
            return self.runner.mode
        return self.next_mode or self.settings.mode

    def status(self) -> MonitorStatus:
        """What `flooding status` shows."""
        board = self.board
        runner = self.runner
        reading = board.current_reading()
        pause: PauseStatus | None = None
        if runner is not None and runner.pausing:
            left_s = max(0.0, runner.pause_until_s - runner.session_time_s)
            pause = PauseStatus(
                until_s=_on_wall(runner, runner.pause_until_s),
                minutes_left=round(left_s / MINUTE_S, 1),
            )
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
        elif board.link_state is not LinkState.CONNECTED:
            state = "strap-away"  # not the heart's last state: nothing is measured now
        else:
            state = "starting"
        baseline = runner.baseline_bpm if runner is not None else None
        if people is not None:
            reading = None  # the latest reading is one partner's: shown per person instead
        straps = {name: self._strap_of(name) for name in self.people} if self.people else None
        heart_bpm, not_counted, strap_bpm = heart_now(reading)
        return MonitorStatus(
            pid=os.getpid(),
            headless=self.headless,
            demo=self.demo,
            started_at=self.started_at,
            strap=self._straps_together(straps)
            if straps is not None
            else StrapStatus(
                chosen=self.strap,
                name=board.strap_name,
                address=board.strap_address,
                link=link_word(board.link_state, board.connected_before),
                connected=board.link_state is LinkState.CONNECTED,
                battery_percent=board.battery_percent,
            ),
            session_id=runner.session_id if runner is not None else None,
            mode=mode.value,
            state=state,
            heart_bpm=heart_bpm,
            baseline_bpm=None if baseline is None else round(baseline, 1),
            pause=pause,
            heart_not_counted=not_counted,
            strap_bpm=strap_bpm,
            people=None
            if people is None
            else {name: PersonStatus.model_validate(p) for name, p in people.items()},
            desktop_problem=runner.desktop_problem if runner is not None else None,
            straps=straps,
        )

    def _strap_of(self, person: str) -> StrapStatus:
        """A partner's strap, in couple mode: the one they chose, as last heard of."""
        seen = self.board.straps.get(person) or StrapSeen()
        name, address = self.chosen.get(person, (None, None))
        return StrapStatus(
            chosen=name or address or "",
            name=seen.name,
            address=seen.address,
            link=link_word(seen.link_state, seen.connected_before),
            connected=seen.link_state is LinkState.CONNECTED,
            battery_percent=seen.battery_percent,
        )

    def _straps_together(self, straps: dict[str, StrapStatus]) -> StrapStatus:
        """Both partners' straps as one (the status's `strap`): connected when both are,
        else the link of the first that is not; each one's name and battery are in
        `straps`."""
        away = [strap for strap in straps.values() if not strap.connected]
        return StrapStatus(
            chosen=self.strap,
            name=None,
            address=None,
            link=away[0].link if away else LinkState.CONNECTED.value,
            connected=not away,
            battery_percent=None,
        )

    def _refused(self, code: ErrorCode, text: str) -> ErrorReply:
        """Why a request could not be done, in words for the person (or both partners)."""
        return error_reply(code, text, couple=self.couple)

    def _pause(self, runner: SessionRunner, minutes: float | None) -> PauseReply:
        already = runner.pausing
        runner.answer(ACTION_START_PAUSE, minutes=minutes)
        left_s = max(0.0, runner.pause_until_s - runner.session_time_s)
        assert runner.session_id is not None
        return PauseReply(
            already=already,
            session_id=runner.session_id,
            until_s=_on_wall(runner, runner.pause_until_s),
            minutes_left=round(left_s / MINUTE_S, 1),
            couple=self.couple,
        )

    def _resume(self, runner: SessionRunner) -> ResumeReply | ErrorReply:
        if not runner.pausing:
            return self._refused("not-pausing", "there is no pause to end: you are not pausing")
        runner.end_pause()
        assert runner.session_id is not None
        return ResumeReply(session_id=runner.session_id, couple=self.couple)

    def _ok(self, runner: SessionRunner, session: int | None) -> OkReply | ErrorReply:
        session_id = runner.session_id
        assert session_id is not None
        if session is not None and session != session_id:
            return self._refused(
                "other-session",
                f"session {session} is not the one running (that is {session_id})",
            )
        alert = runner.store.latest_alert(session_id)
        if alert is None:
            return self._refused("no-alert", f"session {session_id} has had no alert to mark")
        already = runner.store.is_false_alarm(session_id, alert.id)
        break_over = runner.answer(ACTION_NOT_FLOODED, alert_event_id=alert.id)
        return OkReply(
            already=already,
            session_id=session_id,
            alert_event_id=alert.id,
            alert_t_s=alert.t_s,
            break_over=break_over,
        )

    def _workout(self, on: bool) -> WorkoutReply:
        mode = Mode.WORKOUT if on else Mode.TALK
        runner = self.runner
        if runner is not None and runner.session_id is not None:
            runner.set_mode(mode)
            self.next_mode = None
            return WorkoutReply(mode=mode.value, session_id=runner.session_id, couple=self.couple)
        self.next_mode = mode
        return WorkoutReply(mode=mode.value, session_id=None, next_session=True, couple=self.couple)
