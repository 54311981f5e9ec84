"""The local control channel between the running monitor and the `flooding` commands.

Owner-only and local, never a network socket:

- POSIX (Linux, macOS): a unix socket `run/control.sock` in the data directory. The `run`
  folder is 0700 and the socket 0600; on Linux the server also checks the caller's user id
  (SO_PEERCRED). A data directory whose path is too long for a unix socket (about 100
  bytes) gets its socket in a 0700 folder `flooding-<uid>` in the temporary directory
  instead, named after a hash of the data directory, so both sides find it.
- Windows (no unix sockets for Python's asyncio there): request and reply files. The client
  writes `run/requests/<id>.json` (atomically: written aside, then renamed); the monitor
  looks for requests twice a second, answers in `run/replies/<id>.json`, and the client
  picks the reply up and deletes it. Whether a monitor runs is told by the instance lock.
  Tests run this transport on Linux too (`transport="files"`).

The single-instance lock is `run/monitor.lock` (fcntl.flock on POSIX, msvcrt.locking on
Windows); it holds the running monitor's pid, and the operating system releases it when
the process ends, however it ends.

Protocol, version 1: JSON lines. The client sends one JSON object per line and reads one
line back.

    {"v": 1, "cmd": "status"}
    {"v": 1, "cmd": "pause", "minutes": 25}    minutes optional (default: pause.minutes)
    {"v": 1, "cmd": "resume"}
    {"v": 1, "cmd": "ok", "session": 3}        session optional (default: the current one)
    {"v": 1, "cmd": "workout", "on": true}

    {"ok": true, ...fields of the command}
    {"ok": false, "code": "no-session", "error": "plain words for the person"}

Client side: `send_command("pause", minutes=25)` returns the reply as a dict, or None when
no monitor runs; it raises `ControlError` when a monitor runs but does not answer sensibly.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import struct
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flooding.io.folders import data_dir as default_data_dir

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
COMMANDS = ("status", "pause", "resume", "ok", "workout")
RUN_DIR_NAME = "run"
SOCKET_NAME = "control.sock"
LOCK_NAME = "monitor.lock"
MAX_SOCKET_PATH_BYTES = 100  # sun_path is 108 bytes on Linux, 104 on macOS
MAX_LINE_BYTES = 64 * 1024  # a request is a few dozen bytes; anything near this is abuse
IDLE_TIMEOUT_S = 10.0  # a client that connects and says nothing is dropped after this
DEFAULT_TIMEOUT_S = 5.0  # how long a command waits for the monitor's answer
FILE_POLL_INTERVAL_S = 0.5  # Windows fallback: how often the monitor looks for requests
REPLY_POLL_INTERVAL_S = 0.05  # Windows fallback: how often a command looks for the answer
LOCK_ATTEMPTS = 3  # a command probing the lock (Windows fallback) holds it for a moment
LOCK_RETRY_S = 0.1
WINDOWS_LOCK_OFFSET = 4096  # lock a byte past the pid, so others can still read the pid
PAUSE_MINUTES_RANGE = (1.0, 1440.0)

Handler = Callable[[dict[str, Any]], dict[str, Any]]
"""Answers one (validated) request with a reply dict; runs on the monitor's event loop."""


class ControlError(Exception):
    """A monitor runs but the exchange with it failed; the message says what happened."""


class ControlRequestError(ValueError):
    """A request that is not valid under the protocol."""


class AlreadyRunningError(Exception):
    """Another monitor holds the instance lock for this data directory."""

    def __init__(self, pid: int | None, lock_path: Path) -> None:
        self.pid = pid
        self.lock_path = lock_path
        who = f"pid {pid}" if pid else "pid unknown"
        super().__init__(f"another flooding monitor is already running ({who}; lock {lock_path})")


# -- places ---------------------------------------------------------------------------------


def default_transport() -> str:
    """'socket' where unix sockets work with asyncio (POSIX), else 'files' (Windows)."""
    return "socket" if os.name == "posix" and hasattr(socket, "AF_UNIX") else "files"


def run_dir(data_dir: Path) -> Path:
    """The monitor's private folder inside the data directory."""
    return data_dir / RUN_DIR_NAME


def prepare_run_dir(data_dir: Path) -> Path:
    """Create the data directory and its `run` folder, the latter owner-only (0700)."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = run_dir(data_dir)
    folder.mkdir(mode=0o700, exist_ok=True)
    if os.name == "posix":
        os.chmod(folder, 0o700)
    return folder


def socket_path(data_dir: Path) -> Path:
    """Where the control socket of the monitor for `data_dir` lives."""
    path = run_dir(data_dir.absolute()) / SOCKET_NAME
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH_BYTES:
        return path
    digest = hashlib.sha256(os.fsencode(data_dir.absolute())).hexdigest()[:16]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"flooding-{uid}" / f"{digest}.sock"


def _private_dir(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ControlError(f"{folder} belongs to another user; not using it for the control socket")
    os.chmod(folder, 0o700)


# -- single instance ------------------------------------------------------------------------


class InstanceLock:
    """One monitor per data directory: an OS lock on `run/monitor.lock`, holding the pid."""

    def __init__(self, data_dir: Path) -> None:
        self.path = run_dir(data_dir) / LOCK_NAME
        self._data_dir = data_dir
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        """Take the lock, or raise `AlreadyRunningError` naming the holder's pid."""
        prepare_run_dir(self._data_dir)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        for attempt in range(LOCK_ATTEMPTS):
            if _try_lock(fd):
                break
            if attempt + 1 < LOCK_ATTEMPTS:
                time.sleep(LOCK_RETRY_S)
        else:
            os.close(fd)
            raise AlreadyRunningError(read_pid(self.path), self.path)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        return self

    def release(self) -> None:
        """Give the lock back (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        _unlock(fd)
        os.close(fd)

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()


def read_pid(lock_path: Path) -> int | None:
    """The pid written in a lock file, if any."""
    try:
        text = lock_path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def lock_is_held(data_dir: Path) -> bool:
    """Whether a monitor holds the lock (probes it for a moment; the files transport uses it)."""
    path = run_dir(data_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        if _try_lock(fd):
            _unlock(fd)
            return False
        return True
    finally:
        os.close(fd)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)


# -- the protocol ---------------------------------------------------------------------------


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_request(raw: object) -> dict[str, Any]:
    """Check a request against the protocol; returns it normalised, or raises."""
    if not isinstance(raw, dict):
        raise ControlRequestError("a request is a JSON object")
    version = raw.get("v", PROTOCOL_VERSION)
    if version != PROTOCOL_VERSION:
        raise ControlRequestError(
            f"protocol version {version!r} is not spoken here (this monitor speaks "
            f"{PROTOCOL_VERSION}); use the same flooding for the monitor and the command"
        )
    command = raw.get("cmd")
    if command not in COMMANDS:
        raise ControlRequestError(f"unknown command {command!r}; known: {', '.join(COMMANDS)}")
    allowed = {"v", "cmd"} | {
        "pause": {"minutes"},
        "ok": {"session"},
        "workout": {"on"},
    }.get(command, set())
    extra = sorted(set(raw) - allowed)
    if extra:
        raise ControlRequestError(f"{command}: unexpected field(s) {', '.join(extra)}")
    request: dict[str, Any] = {"cmd": command}
    if command == "pause" and raw.get("minutes") is not None:
        minutes = raw["minutes"]
        low, high = PAUSE_MINUTES_RANGE
        if not _number(minutes) or not low <= minutes <= high:
            raise ControlRequestError(f"pause: minutes must be a number from {low:g} to {high:g}")
        request["minutes"] = float(minutes)
    if command == "ok" and raw.get("session") is not None:
        session = raw["session"]
        if not isinstance(session, int) or isinstance(session, bool) or session < 1:
            raise ControlRequestError("ok: session must be a session number (1, 2, ...)")
        request["session"] = session
    if command == "workout":
        on = raw.get("on")
        if not isinstance(on, bool):
            raise ControlRequestError("workout: on must be true or false")
        request["on"] = on
    return request


def error_reply(code: str, text: str) -> dict[str, Any]:
    """A reply saying a request could not be done."""
    return {"ok": False, "code": code, "error": text}


def answer(handler: Handler, line: bytes) -> dict[str, Any]:
    """The reply to one request line (never raises)."""
    try:
        request = parse_request(json.loads(line))
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        return error_reply("bad-request", str(exc))
    except RecursionError:  # a request nested thousands deep
        return error_reply("bad-request", "the request is nested too deeply")
    try:
        return handler(request)
    except Exception as exc:
        log.exception("control command %s failed", request["cmd"])
        return error_reply("internal", f"the monitor could not do {request['cmd']!r}: {exc}")


def _encode(reply: dict[str, Any]) -> bytes:
    return json.dumps(reply, separators=(",", ":")).encode("utf-8") + b"\n"


# -- server (in the monitor) ----------------------------------------------------------------


class ControlServer:
    """Answers control requests for the monitor of `data_dir`, on its event loop.

    Start it after taking the `InstanceLock` (a leftover socket is then known to be stale
    and is replaced); `close()` removes the socket.
    """

    def __init__(self, data_dir: Path, handler: Handler, *, transport: str | None = None) -> None:
        self.data_dir = data_dir
        self.handler = handler
        self.transport = transport or default_transport()
        self.path: Path | None = None
        self._server: asyncio.AbstractServer | None = None
        self._poller: asyncio.Task[None] | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> ControlServer:
        """Listen for commands."""
        prepare_run_dir(self.data_dir)
        if self.transport == "socket":
            await self._start_socket()
        elif self.transport == "files":
            for name in ("requests", "replies"):
                (run_dir(self.data_dir) / name).mkdir(mode=0o700, exist_ok=True)
            self._poller = asyncio.create_task(self._poll_files(), name="control files")
        else:
            raise ValueError(f"unknown control transport {self.transport!r}")
        return self

    async def _start_socket(self) -> None:
        path = socket_path(self.data_dir)
        _private_dir(path.parent)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # stale: the lock says no other monitor runs
        self._server = await asyncio.start_unix_server(
            self._connection, path=str(path), limit=MAX_LINE_BYTES
        )
        os.chmod(path, 0o600)
        self.path = path
        log.debug("control socket at %s", path)

    async def close(self) -> None:
        """Stop listening and remove the socket (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 1.0)
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self.path = None
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)

    async def __aenter__(self) -> ControlServer:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            if not _same_user(writer):
                log.warning("refused a control connection from another user")
                return
            while True:
                try:
                    line = await asyncio.wait_for(reader.readline(), IDLE_TIMEOUT_S)
                except (ValueError, asyncio.LimitOverrunError):
                    writer.write(_encode(error_reply("bad-request", "request line too long")))
                    await writer.drain()
                    return
                except TimeoutError:
                    return
                if not line:
                    return
                writer.write(_encode(answer(self.handler, line)))
                await writer.drain()
        except (ConnectionError, OSError) as exc:
            log.debug("control connection ended: %r", exc)
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _poll_files(self) -> None:
        requests = run_dir(self.data_dir) / "requests"
        replies = run_dir(self.data_dir) / "replies"
        while True:
            for path in sorted(requests.glob("*.json")):
                try:
                    line = path.read_bytes()
                    path.unlink()
                except OSError:
                    continue
                reply = replies / path.name
                aside = reply.with_suffix(".tmp")
                try:
                    aside.write_bytes(_encode(answer(self.handler, line)))
                    os.replace(aside, reply)
                except OSError as exc:  # one reply lost must not stop the channel
                    log.warning("could not write the reply %s: %s", reply, exc)
            await asyncio.sleep(FILE_POLL_INTERVAL_S)


def _same_user(writer: asyncio.StreamWriter) -> bool:
    """On Linux, whether the peer runs as this user (elsewhere the 0700 folder decides)."""
    peercred = getattr(socket, "SO_PEERCRED", None)
    sock = writer.get_extra_info("socket")
    if peercred is None or sock is None or not hasattr(os, "getuid"):
        return True
    try:
        _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, peercred, 12))
    except OSError:
        return False
    return bool(uid == os.getuid())


# -- client (in the commands) ---------------------------------------------------------------


def send_command(
    command: str,
    *,
    data_dir: Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    transport: str | None = None,
    **arguments: Any,
) -> dict[str, Any] | None:
    """Send one command to the running monitor; its reply, or None when no monitor runs.

    `arguments` are the command's fields (`minutes=25`, `on=True`, `session=3`). Raises
    `ControlRequestError` for a malformed command (before sending anything) and
    `ControlError` when a monitor runs but gives no usable answer in `timeout_s`.
    """
    request = parse_request({"v": PROTOCOL_VERSION, "cmd": command, **arguments})
    line = _encode({"v": PROTOCOL_VERSION, **request})
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
        reply = json.loads(raw)
    except ValueError:
        raise ControlError(f"the monitor gave an answer that is not JSON: {raw[:200]!r}") from None
    if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
        raise ControlError(f"the monitor gave an unexpected answer: {raw[:200]!r}")
    return reply


def _ask_socket(path: Path, line: bytes, timeout_s: float) -> bytes | None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            return None  # no socket, or a stale one: no monitor
        except OSError as exc:
            raise ControlError(f"cannot reach the monitor at {path}: {exc}") from None
        try:
            sock.sendall(line)
            with sock.makefile("rb") as stream:
                raw = stream.readline(MAX_LINE_BYTES)
        except TimeoutError:
            raise ControlError(f"the monitor did not answer within {timeout_s:g} s") from None
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
    aside = request.with_suffix(".tmp")
    try:
        aside.write_bytes(line)
        os.replace(aside, request)
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
    raise ControlError(f"the monitor did not answer within {timeout_s:g} s")
