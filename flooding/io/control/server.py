"""The monitor's side of the control channel: answers requests on its event loop.

At most `MAX_CONNECTIONS` at once: a new one pushes out the oldest, so idle connections can
never lock out `flooding status`. A connection has `REQUEST_TIMEOUT_S` to send each request
and may hold one line of `MAX_REQUEST_BYTES`; what it holds is freed when it goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from flooding.io.control.places import (
    default_transport,
    is_own_user,
    peer_uid,
    prepare_private_dir,
    prepare_run_dir,
    run_dir,
    socket_path,
)
from flooding.io.control.protocol import (
    MAX_REQUEST_BYTES,
    Handler,
    answer,
    encode,
    error_reply,
)
from flooding.io.files import write_private

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 16  # commands are one quick exchange each; more at once is a runaway script
REQUEST_TIMEOUT_S = 3.0  # a client that connects and says nothing is dropped after this
FILE_POLL_INTERVAL_S = 0.5  # Windows fallback: how often the monitor looks for requests


class ControlServer:
    """Answers control requests for the monitor of `data_dir`, on its event loop.

    Start it after taking the `InstanceLock` (a leftover socket is then known to be stale
    and is replaced); `close()` removes the socket. `start()` raises `UnsafeFolderError`
    when the socket's folder is not the person's own.
    """

    def __init__(
        self,
        data_dir: Path,
        handler: Handler,
        *,
        transport: str | None = None,
        max_connections: int = MAX_CONNECTIONS,
        request_timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self.data_dir = data_dir
        self.handler = handler
        self.transport = transport or default_transport()
        self.max_connections = max_connections
        self.request_timeout_s = request_timeout_s
        self.path: Path | None = None
        self._server: asyncio.AbstractServer | None = None
        self._poller: asyncio.Task[None] | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}  # oldest first
        self.pushed_out = 0  # connections closed to make room for newer ones

    @property
    def open_connections(self) -> int:
        """How many connections are being served right now."""
        return len(self._connections)

    async def start(self) -> ControlServer:
        """Listen for commands."""
        prepare_run_dir(self.data_dir)
        if self.transport == "socket":
            await self._start_socket()
        elif self.transport == "files":
            for name in ("requests", "replies"):
                prepare_private_dir(run_dir(self.data_dir) / name)
            self._poller = asyncio.create_task(self._poll_files(), name="control files")
        else:
            raise ValueError(f"unknown control transport {self.transport!r}")
        return self

    async def _start_socket(self) -> None:
        path = socket_path(self.data_dir)
        prepare_private_dir(path.parent)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # stale: the lock says no other monitor runs
        self._server = await asyncio.start_unix_server(
            self._connection, path=str(path), limit=MAX_REQUEST_BYTES
        )
        os.chmod(path, 0o600)
        self.path = path
        log.debug("control socket at %s", path)

    async def close(self) -> None:
        """Stop listening and remove the socket (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            tasks = list(self._connections)
            for writer in self._connections.values():
                writer.transport.abort()  # the connection's task then ends by itself
            await asyncio.gather(*tasks, return_exceptions=True)
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

    def _make_room(self) -> None:
        """Close the oldest connections until a new one fits under the limit.

        Closed, not cancelled: its reader sees the end and its task ends by itself (a
        cancelled connection task is reported by asyncio as an error, once per connection).
        """
        while len(self._connections) >= self.max_connections:
            oldest = next(iter(self._connections))
            self._connections.pop(oldest).transport.abort()
            self.pushed_out += 1
            if self.pushed_out == 1 or self.pushed_out % 1000 == 0:
                log.warning(
                    "more than %d control connections at once (%d closed so far): "
                    "something keeps connecting without asking",
                    self.max_connections,
                    self.pushed_out,
                )

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._make_room()
            self._connections[task] = writer
        try:
            sock = writer.get_extra_info("socket")
            try:
                uid = peer_uid(sock) if sock is not None else None
            except OSError:
                uid = -1
            if not is_own_user(uid):
                log.warning("refused a control connection from another user (uid %s)", uid)
                return
            await self._serve(reader, writer)
        except (ConnectionError, OSError) as exc:
            log.debug("control connection ended: %r", exc)
        finally:
            if task is not None:
                self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                line = await asyncio.wait_for(reader.readline(), self.request_timeout_s)
            except (ValueError, asyncio.LimitOverrunError):
                too_long = f"the request is longer than {MAX_REQUEST_BYTES} bytes"
                writer.write(encode(error_reply("bad-request", too_long)))
                await writer.drain()
                return
            except TimeoutError:
                return
            if not line:
                return
            writer.write(encode(answer(self.handler, line)))
            await writer.drain()

    async def _poll_files(self) -> None:
        requests = run_dir(self.data_dir) / "requests"
        replies = run_dir(self.data_dir) / "replies"
        while True:
            for path in sorted(requests.glob("*.json")):
                try:
                    line = path.read_bytes()[: MAX_REQUEST_BYTES + 1]
                    path.unlink()
                except OSError:
                    continue
                reply = replies / path.name
                try:
                    write_private(reply, encode(answer(self.handler, line)))
                except OSError as exc:  # one reply lost must not stop the channel
                    log.warning("could not write the reply %s: %s", reply, exc)
            await asyncio.sleep(FILE_POLL_INTERVAL_S)
