"""The control protocol, version 1: one discriminated union of requests, one of replies.

JSON lines. A request names its command in `cmd`; a reply says `ok` and, when it is an
answer, echoes `cmd`. The same models check the request in the client (before sending)
and in the monitor, and the reply in the client:

    {"v": 1, "cmd": "status"}
    {"v": 1, "cmd": "pause", "minutes": 25}    minutes optional (default: pause.minutes)
    {"v": 1, "cmd": "resume"}
    {"v": 1, "cmd": "ok", "session": 3}        session optional (default: the current one)
    {"v": 1, "cmd": "workout", "on": true}

    {"ok": true, "cmd": "pause", ...the command's fields}
    {"ok": false, "code": "no-session", "error": "plain words for the person"}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import ErrorDetails

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
MAX_REQUEST_BYTES = 4 * 1024  # a request is a few dozen bytes; anything near this is abuse
MAX_REPLY_BYTES = 256 * 1024  # a status reply is a few hundred bytes, a couple's a little more
MAX_NESTING = 200  # the JSON parser's depth limit: deeper requests are refused, never recursed
MAX_SHOWN_CHARS = 40  # of a bad value quoted back in an error
PAUSE_MINUTES_RANGE = (1.0, 1440.0)  # a minute to a day: anything else is a typing slip

ErrorCode = Literal[
    "bad-request", "internal", "no-session", "not-pausing", "other-session", "no-alert"
]


class ControlRequestError(ValueError):
    """A request that is not valid under the protocol; the message says what is wrong (in
    English, as it goes on the wire). `fields`: the fields of `FIELD_RULES` whose rule was
    broken, when that is all that is wrong (empty otherwise), so a command can say it in the
    person's language."""

    def __init__(self, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields


# -- requests -------------------------------------------------------------------------------


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    v: Literal[1] = 1  # PROTOCOL_VERSION


class StatusRequest(_Request):
    """What is the monitor doing right now."""

    cmd: Literal["status"] = "status"


class PauseRequest(_Request):
    """Start a break now; `minutes` None means the settings' pause length."""

    cmd: Literal["pause"] = "pause"
    minutes: (
        Annotated[
            float,
            Field(ge=PAUSE_MINUTES_RANGE[0], le=PAUSE_MINUTES_RANGE[1], allow_inf_nan=False),
        ]
        | None
    ) = None


class ResumeRequest(_Request):
    """End the current break early."""

    cmd: Literal["resume"] = "resume"


class OkRequest(_Request):
    """Mark the latest alert of the running session a false alarm."""

    cmd: Literal["ok"] = "ok"
    session: Annotated[int, Field(ge=1)] | None = None


class WorkoutRequest(_Request):
    """Workout mode on (no flooding alerts) or off."""

    cmd: Literal["workout"] = "workout"
    on: bool


Request = Annotated[
    StatusRequest | PauseRequest | ResumeRequest | OkRequest | WorkoutRequest,
    Field(discriminator="cmd"),
]
RequestT = TypeVar("RequestT", bound=_Request)
COMMANDS = ("status", "pause", "resume", "ok", "workout")
FIELD_RULES = {  # what each field must be, in the words of an error message
    "minutes": f"a number from {PAUSE_MINUTES_RANGE[0]:g} to {PAUSE_MINUTES_RANGE[1]:g}",
    "session": "a session number (1, 2, ...)",
    "on": "true or false",
}
_REQUEST = TypeAdapter[Request](Request)


# -- replies --------------------------------------------------------------------------------


class _Reply(BaseModel):
    model_config = ConfigDict(frozen=True)  # extra fields from a newer monitor are ignored


# a strap's `link` while it has not connected since the monitor started (none of it is
# recorded yet), where `LinkState`'s "disconnected" would say it had been
NOT_CONNECTED_YET = "not-connected-yet"


class StrapStatus(_Reply):
    chosen: str
    name: str | None
    address: str | None
    link: str  # a `LinkState` value, or NOT_CONNECTED_YET
    connected: bool
    battery_percent: int | None


class PauseStatus(_Reply):
    until_s: float
    minutes_left: float


class _HeartNotCounted(_Reply):
    """A latest reading whose rate the detector did not use: why, and the strap's number."""

    heart_not_counted: str | None = Field(
        default=None, exclude_if=lambda why: why is None
    )  # the latest reading's rate was not used: why (`Unusable`); absent when it was
    strap_bpm: float | None = Field(
        default=None, exclude_if=lambda bpm: bpm is None
    )  # ... and the strap's number then, for the words (not a heart rate)


class PersonStatus(_HeartNotCounted):
    """One partner's heart, in couple mode."""

    heart_bpm: int | float | None  # as the strap or the beats gave it (None: not counted)
    state: str
    baseline_bpm: float | None
    mode: str
    not_counted: str | None = None


class MonitorStatus(_HeartNotCounted):
    """What `flooding status` shows."""

    pid: int
    headless: bool
    demo: bool = False  # the demo answers too: its strap and talk are simulated
    started_at: float
    strap: StrapStatus
    session_id: int | None
    mode: str
    state: str
    heart_bpm: int | float | None  # as the strap or the beats gave it (None: not counted)
    baseline_bpm: float | None
    pause: PauseStatus | None
    people: dict[str, PersonStatus] | None = Field(
        default=None, exclude_if=lambda people: people is None
    )  # couple mode only: absent for one person
    straps: dict[str, StrapStatus] | None = Field(
        default=None, exclude_if=lambda straps: straps is None
    )  # couple mode only: each partner's strap, by name (absent for one person)
    desktop_problem: str | None = Field(
        default=None, exclude_if=lambda problem: problem is None
    )  # why desktop alerts do not reach the screen: absent while they do (as far as known)


class _ToWhom(_Reply):
    """A reply the commands turn into words for people: whether they are a couple (the
    monitor watches two partners), so the words speak to both."""

    couple: bool = Field(
        default=False, exclude_if=lambda couple: not couple
    )  # absent for one person (and from a monitor older than this field)


class StatusReply(_Reply):
    ok: Literal[True] = True
    cmd: Literal["status"] = "status"
    status: MonitorStatus


class PauseReply(_ToWhom):
    ok: Literal[True] = True
    cmd: Literal["pause"] = "pause"
    already: bool  # a pause was running already: it goes on unchanged
    session_id: int
    until_s: float
    minutes_left: float


class ResumeReply(_ToWhom):
    ok: Literal[True] = True
    cmd: Literal["resume"] = "resume"
    session_id: int


class OkReply(_Reply):
    ok: Literal[True] = True
    cmd: Literal["ok"] = "ok"
    already: bool  # marked a false alarm before
    session_id: int
    alert_event_id: int
    alert_t_s: float
    break_over: bool = False  # the break this alert started was still on: it ended


class WorkoutReply(_ToWhom):
    ok: Literal[True] = True
    cmd: Literal["workout"] = "workout"
    mode: str
    session_id: int | None  # None: no session runs; the mode is for the next one
    next_session: bool = False


class ErrorReply(_ToWhom):
    """The request could not be done; `error` says why in plain words."""

    ok: Literal[False] = False
    code: str  # one of ErrorCode from this monitor; a newer one may add codes
    error: str


def _reply_tag(value: Any) -> str | None:
    """An error reply by its `ok`, an answer by the command it echoes."""
    if isinstance(value, dict):
        ok, cmd = value.get("ok"), value.get("cmd")
    else:
        ok, cmd = getattr(value, "ok", None), getattr(value, "cmd", None)
    if ok is False:
        return "error"
    return cmd if ok is True and isinstance(cmd, str) else None


Reply = Annotated[
    Annotated[StatusReply, Tag("status")]
    | Annotated[PauseReply, Tag("pause")]
    | Annotated[ResumeReply, Tag("resume")]
    | Annotated[OkReply, Tag("ok")]
    | Annotated[WorkoutReply, Tag("workout")]
    | Annotated[ErrorReply, Tag("error")],
    Discriminator(_reply_tag),
]
_REPLY = TypeAdapter[Reply](Reply)

Handler = Callable[[Request], Reply]
"""Answers one valid request; runs on the monitor's event loop."""


# -- checking -------------------------------------------------------------------------------


def _problem(error: ErrorDetails, raw: object, command: str | None) -> str:
    """One validation error of a request, in words that name the field and the rule."""
    kind, where = error["type"], [str(part) for part in error["loc"]]
    if command is not None:  # a single model's errors: put the command in front, as the union does
        where = [command, *where]
    command = where[0] if where else ""
    field = where[-1] if len(where) > 1 else ""
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "a request is a JSON object"
    if kind == "json_invalid":
        if "recursion limit" in str(error.get("ctx", {}).get("error", "")):
            return f"the request is nested too deeply (more than {MAX_NESTING} levels)"
        return f"the request is not valid JSON: {error['msg']}"
    if kind == "union_tag_not_found":
        return f"a request names its command in cmd (one of {', '.join(COMMANDS)})"
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag")
        return f"unknown command {tag!r}; known: {', '.join(COMMANDS)}"
    if field == "v":
        version = repr(raw.get("v") if isinstance(raw, dict) else None)
        shown = version if len(version) <= MAX_SHOWN_CHARS else version[:MAX_SHOWN_CHARS] + "..."
        return (
            f"protocol version {shown} is not spoken here (this monitor speaks "
            f"{PROTOCOL_VERSION}); use the same flooding for the monitor and the command"
        )
    if kind == "extra_forbidden":
        return f"{command}: unexpected field {field}"
    if field in FIELD_RULES:
        return f"{command}: {field} must be {FIELD_RULES[field]}"
    return f"{command}: {field}: {error['msg']}"


def _broken_rule(error: ErrorDetails) -> str | None:
    """The field of `FIELD_RULES` whose rule `error` is about; None when it is about
    anything else."""
    where = [str(part) for part in error["loc"]]
    if error["type"] == "extra_forbidden" or not where or where[-1] not in FIELD_RULES:
        return None
    return where[-1]


def _refusal(exc: ValidationError, raw: object, command: str | None = None) -> ControlRequestError:
    errors = exc.errors()
    broken = [_broken_rule(e) for e in errors]
    fields = tuple(dict.fromkeys(f for f in broken if f is not None))
    return ControlRequestError(
        "; ".join(_problem(e, raw, command) for e in errors),
        fields if None not in broken else (),
    )


def parse_request(raw: object) -> Request:
    """Check a decoded request (a dict) against the protocol; the typed request, or raises
    `ControlRequestError` naming what is wrong."""
    try:
        return _REQUEST.validate_python(raw)
    except ValidationError as exc:
        raise _refusal(exc, raw) from None


def build_request(kind: type[RequestT], **fields: object) -> RequestT:
    """A request of `kind` from loosely typed values (a command's arguments); raises
    `ControlRequestError` naming what is wrong."""
    command = str(kind.model_fields["cmd"].default)
    try:
        return kind.model_validate({"cmd": command, **fields})
    except ValidationError as exc:
        raise _refusal(exc, fields, command) from None


def decode_request(line: bytes) -> Request:
    """Check one request line as it arrived; raises `ControlRequestError`."""
    if len(line) > MAX_REQUEST_BYTES:
        raise ControlRequestError(f"the request is longer than {MAX_REQUEST_BYTES} bytes")
    try:
        return _REQUEST.validate_json(line)
    except ValidationError as exc:
        raw: object = None
        if any(error["loc"] and error["loc"][-1] == "v" for error in exc.errors()):
            raw = json.loads(line)  # valid JSON (it got as far as the fields); shallow
        raise _refusal(exc, raw) from None


def encode(message: BaseModel) -> bytes:
    """A request or reply as one line on the wire (fields left unset are left out of
    requests; replies carry every field, null included)."""
    as_request = isinstance(message, _Request)
    return message.model_dump_json(exclude_none=as_request).encode("utf-8") + b"\n"


def error_reply(code: ErrorCode, text: str, *, couple: bool = False) -> ErrorReply:
    """A reply saying a request could not be done, and why (to a couple: `couple`)."""
    return ErrorReply(code=code, error=text, couple=couple)


def answer(handler: Handler, line: bytes) -> Reply:
    """The reply to one request line (never raises)."""
    try:
        request = decode_request(line)
    except ControlRequestError as exc:
        return error_reply("bad-request", str(exc))
    try:
        return handler(request)
    except Exception as exc:
        log.exception("control command %s failed", request.cmd)
        return error_reply("internal", f"the monitor could not do {request.cmd!r}: {exc}")


def decode_reply(line: bytes, request: Request) -> Reply:
    """The monitor's reply to `request`, checked; ValueError saying what is wrong with it.

    A monitor of an earlier version does not echo `cmd` in its answers: the command asked
    stands in for it. An answer to another command than the one asked is refused.
    """
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError):
        raise ValueError(f"the answer is not JSON: {line[:200]!r}") from None
    if isinstance(raw, dict) and raw.get("ok") is True:
        raw.setdefault("cmd", request.cmd)
    try:
        reply = _REPLY.validate_python(raw)
    except ValidationError as exc:
        raise ValueError(f"unexpected answer {line[:200]!r}: {exc.errors()[0]['msg']}") from None
    if not isinstance(reply, ErrorReply) and reply.cmd != request.cmd:
        raise ValueError(f"the answer is for {reply.cmd!r}, not {request.cmd!r}")
    return reply
