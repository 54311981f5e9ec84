"""The commands' side of the control channel: one request, one checked reply.

Before believing an answer the client makes sure the socket's folder is the person's own
and that the process answering runs as the same user (SO_PEERCRED on Linux,
LOCAL_PEERCRED on macOS): an impostor's socket is refused, never trusted.
"""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from pathlib import Path
from typing import Literal, overload

from flooding.io.control.lock import lock_is_held
from flooding.io.control.places import (
    UnsafeFolderError,
    check_private_dir,
    default_transport,
    is_own_user,
    peer_uid,
    run_dir,
    socket_path,
)
from flooding.io.control.protocol import (
    MAX_REPLY_BYTES,
    ErrorReply,
    OkReply,
    OkRequest,
    PauseReply,
    PauseRequest,
    Reply,
    Request,
    ResumeReply,
    ResumeRequest,
    StatusReply,
    StatusRequest,
    WorkoutReply,
    WorkoutRequest,
    decode_reply,
    encode,
)
from flooding.io.files import write_private
from flooding.io.folders import data_dir as default_data_dir

DEFAULT_TIMEOUT_S = 5.0  # how long a command waits for the monitor's answer
CONNECT_RETRY_S = 0.01  # a full queue of new connections empties in milliseconds
REPLY_POLL_INTERVAL_S = 0.05  # Windows fallback: how often a command looks for the answer


Failure = Literal["timeout", "broken", "untrusted"]


class ControlError(Exception):
    """A monitor runs but the exchange with it failed; the message says what happened (for
    engineers). `kind` says it for people: no answer in `timeout_s` ("timeout"), the
    exchange broke or the answer is unusable ("broken"), or what answers is not the
    person's own monitor ("untrusted", in `folder`)."""

    def __init__(
        self,
        message: str,
        kind: Failure = "broken",
        *,
        timeout_s: float | None = None,
        folder: Path | None = None,
    ) -> None:
        super().__init__(message)
        self.kind: Failure = kind
        self.timeout_s = timeout_s
        self.folder = folder


@overload
def send_command(
    request: StatusRequest,
    *,
    data_dir: Path | None = ...,
    timeout_s: float = ...,
    transport: str | None = ...,
) -> StatusReply | ErrorReply | None: ...
@overload
def send_command(
    request: PauseRequest,
    *,
    data_dir: Path | None = ...,
    timeout_s: float = ...,
    transport: str | None = ...,
) -> PauseReply | ErrorReply | None: ...
@overload
def send_command(
    request: ResumeRequest,
    *,
    data_dir: Path | None = ...,
    timeout_s: float = ...,
    transport: str | None = ...,
) -> ResumeReply | ErrorReply | None: ...
@overload
def send_command(
    request: OkRequest,
    *,
    data_dir: Path | None = ...,
    timeout_s: float = ...,
    transport: str | None = ...,
) -> OkReply | ErrorReply | None: ...
@overload
def send_command(
    request: WorkoutRequest,
    *,
    data_dir: Path | None = ...,
    timeout_s: float = ...,
    transport: str | None = ...,
) -> WorkoutReply | ErrorReply | None: ...
def send_command(
    request: Request,
    *,
    data_dir: Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    transport: str | None = None,
) -> Reply | None:
    """Send one request to the running monitor; its reply, or None when no monitor runs.

    The reply is the answer to that very command (`PauseRequest` -> `PauseReply`) or an
    `ErrorReply` saying why it could not be done.

    Raises `ControlError` when a monitor runs but gives no usable answer in `timeout_s`, or
    when what answers is not the person's own monitor.
    """
    line = encode(request)
    folder = default_data_dir() if data_dir is None else data_dir
    chosen = transport or default_transport()
    if chosen == "socket":
        raw = _ask_socket(socket_path(folder), line, timeout_s)
    elif chosen == "files":
        raw = _ask_files(folder, line, timeout_s)
    else:
        raise ValueError(f"unknown control transport {chosen!r}")
    if raw is None:
        return None
    try:
        return decode_reply(raw, request)
    except ValueError as exc:
        raise ControlError(f"the monitor gave an unusable answer: {exc}") from None


def _ask_socket(path: Path, line: bytes, timeout_s: float) -> bytes | None:
    try:
        check_private_dir(path.parent)
    except FileNotFoundError:
        return None  # no folder, no monitor
    except UnsafeFolderError as exc:
        raise ControlError(str(exc), "untrusted", folder=path.parent) from None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                sock.connect(str(path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                return None  # no socket, or a stale one: no monitor
            except BlockingIOError:  # the monitor's queue of new connections is full: wait
                if time.monotonic() >= deadline:
                    raise ControlError(
                        f"the monitor at {path} is too busy to take the connection",
                        "timeout",
                        timeout_s=timeout_s,
                    ) from None
                time.sleep(CONNECT_RETRY_S)
            except OSError as exc:
                raise ControlError(f"cannot reach the monitor at {path}: {exc}") from None
        try:
            uid = peer_uid(sock)
        except OSError as exc:
            raise ControlError(f"cannot tell who answers at {path}: {exc}") from None
        if not is_own_user(uid):
            raise ControlError(
                f"the control socket {path} is held by another user (uid {uid}), not by your "
                f"monitor; not trusting its answers. Have {path.parent} removed and start "
                "your monitor again.",
                "untrusted",
                folder=path.parent,
            )
        try:
            sock.sendall(line)
            with sock.makefile("rb") as stream:
                raw = stream.readline(MAX_REPLY_BYTES)
        except TimeoutError:
            raise ControlError(
                f"the monitor did not answer within {timeout_s:g} s", "timeout", timeout_s=timeout_s
            ) from None
        except OSError as exc:
            raise ControlError(f"the connection to the monitor failed: {exc}") from None
    if not raw:
        raise ControlError("the monitor closed the connection without answering")
    return raw


def _ask_files(data_dir: Path, line: bytes, timeout_s: float) -> bytes | None:
    if not lock_is_held(data_dir):
        return None
    folder = run_dir(data_dir)
    name = f"{uuid.uuid4().hex}.json"
    request = folder / "requests" / name
    try:
        check_private_dir(folder)
        write_private(request, line)
    except UnsafeFolderError as exc:
        raise ControlError(str(exc), "untrusted", folder=folder) from None
    except OSError as exc:
        raise ControlError(f"cannot leave a request for the monitor in {folder}: {exc}") from None
    reply = folder / "replies" / name
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            raw = reply.read_bytes()
        except FileNotFoundError:
            time.sleep(REPLY_POLL_INTERVAL_S)
            continue
        with contextlib.suppress(OSError):
            reply.unlink()
        return raw
    with contextlib.suppress(OSError):
        request.unlink()
    raise ControlError(
        f"the monitor did not answer within {timeout_s:g} s", "timeout", timeout_s=timeout_s
    )
