"""The control channel: protocol checks, both transports, owner-only files, the instance lock."""

from __future__ import annotations

import asyncio
import socket
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from flooding.io.control import (
    AlreadyRunningError,
    ControlRequestError,
    ControlServer,
    InstanceLock,
    answer,
    lock_is_held,
    parse_request,
    read_pid,
    run_dir,
    send_command,
    socket_path,
)

T = TypeVar("T")


class RecordingHandler:
    """A fake monitor: remembers requests and answers with a canned reply."""

    def __init__(self, reply: dict[str, Any] | None = None, error: Exception | None = None):
        self.requests: list[dict[str, Any]] = []
        self.reply = reply or {"ok": True, "status": {"state": "calm"}}
        self.error = error

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return self.reply


def with_server(
    data_dir: Path,
    handler: RecordingHandler,
    body: Callable[[ControlServer], Awaitable[T]],
    transport: str = "socket",
) -> T:
    """Run `body(server)` with a control server listening for `data_dir`."""

    async def main() -> T:
        async with ControlServer(data_dir, handler, transport=transport) as server:
            return await body(server)

    return asyncio.run(main())


def ask(data_dir: Path, command: str, transport: str = "socket", **arguments: Any) -> Any:
    """send_command from a worker thread, so the server's loop keeps running."""
    return asyncio.to_thread(
        send_command, command, data_dir=data_dir, transport=transport, timeout_s=5, **arguments
    )


class TestProtocol:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ({"cmd": "status"}, {"cmd": "status"}),
            ({"v": 1, "cmd": "pause"}, {"cmd": "pause"}),
            ({"cmd": "pause", "minutes": 25}, {"cmd": "pause", "minutes": 25.0}),
            ({"cmd": "resume"}, {"cmd": "resume"}),
            ({"cmd": "ok", "session": 3}, {"cmd": "ok", "session": 3}),
            ({"cmd": "workout", "on": False}, {"cmd": "workout", "on": False}),
        ],
    )
    def test_valid_requests_are_normalised(self, raw: Any, expected: dict[str, Any]) -> None:
        """Each documented request form is accepted and normalised."""
        assert parse_request(raw) == expected

    @pytest.mark.parametrize(
        ("raw", "words"),
        [
            ([], "JSON object"),
            ({"cmd": "reboot"}, "unknown command"),
            ({"v": 2, "cmd": "status"}, "protocol version"),
            ({"cmd": "pause", "minutes": 0}, "minutes"),
            ({"cmd": "pause", "minutes": True}, "minutes"),
            ({"cmd": "pause", "minutes": "20"}, "minutes"),
            ({"cmd": "ok", "session": True}, "session"),
            ({"cmd": "workout"}, "on must be"),
            ({"cmd": "status", "minutes": 3}, "unexpected field"),
        ],
    )
    def test_invalid_requests_are_refused_with_a_reason(self, raw: Any, words: str) -> None:
        """A malformed request raises an error that names what is wrong."""
        with pytest.raises(ControlRequestError, match=words):
            parse_request(raw)

    def test_a_deeply_nested_request_gets_an_error_reply(self) -> None:
        """A request nested far too deep is answered as a bad request, not with a crash."""
        reply = answer(lambda request: {"ok": True}, b"[" * 50_000)
        assert reply["ok"] is False
        assert reply["code"] == "bad-request"

    def test_client_refuses_a_malformed_command_before_sending(self, tmp_path: Path) -> None:
        """send_command checks its arguments itself, even with no monitor to ask."""
        with pytest.raises(ControlRequestError):
            send_command("pause", data_dir=tmp_path, minutes=-5)


class TestSocketTransport:
    def test_round_trip_passes_the_request_and_returns_the_reply(self, tmp_path: Path) -> None:
        """A command reaches the handler, and its reply comes back to the client."""
        handler = RecordingHandler({"ok": True, "mode": "workout"})

        async def body(_server: ControlServer) -> Any:
            return await ask(tmp_path, "workout", on=True)

        assert with_server(tmp_path, handler, body) == {"ok": True, "mode": "workout"}
        assert handler.requests == [{"cmd": "workout", "on": True}]

    def test_socket_is_owner_only_in_an_owner_only_folder_and_removed_on_close(
        self, tmp_path: Path
    ) -> None:
        """The socket is 0600 inside a 0700 folder, and gone after the server closes."""

        async def body(server: ControlServer) -> tuple[int, int]:
            assert server.path is not None
            return (
                stat.S_IMODE(server.path.stat().st_mode),
                stat.S_IMODE(server.path.parent.stat().st_mode),
            )

        modes = with_server(tmp_path, RecordingHandler(), body)
        assert modes == (0o600, 0o700)
        assert not socket_path(tmp_path).exists()

    def test_no_socket_means_no_monitor(self, tmp_path: Path) -> None:
        """With nothing listening, send_command returns None instead of raising."""
        assert send_command("status", data_dir=tmp_path, transport="socket") is None

    def test_a_stale_socket_file_means_no_monitor(self, tmp_path: Path) -> None:
        """A socket file left by a killed monitor is recognised as no monitor."""
        path = socket_path(tmp_path)
        path.parent.mkdir(parents=True)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
            dead.bind(str(path))
        assert path.exists()
        assert send_command("status", data_dir=tmp_path, transport="socket") is None

    def test_a_stale_socket_file_is_replaced_by_a_new_server(self, tmp_path: Path) -> None:
        """A new monitor takes over the socket path a killed one left behind."""
        path = socket_path(tmp_path)
        path.parent.mkdir(parents=True)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
            dead.bind(str(path))

        async def body(_server: ControlServer) -> Any:
            return await ask(tmp_path, "status")

        assert with_server(tmp_path, RecordingHandler(), body)["ok"] is True

    def test_garbage_and_handler_failures_get_error_replies_and_serving_goes_on(
        self, tmp_path: Path
    ) -> None:
        """Non-JSON gets bad-request, a failing handler gets internal, the next request works."""
        handler = RecordingHandler(error=RuntimeError("boom"))

        def raw_exchange(lines: list[bytes]) -> list[bytes]:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(5)
                sock.connect(str(socket_path(tmp_path)))
                stream = sock.makefile("rwb")
                replies = []
                for line in lines:
                    stream.write(line)
                    stream.flush()
                    replies.append(stream.readline())
                return replies

        async def body(_server: ControlServer) -> list[bytes]:
            return await asyncio.to_thread(
                raw_exchange, [b"not json\n", b'{"cmd": "status"}\n', b'{"cmd": "nope"}\n']
            )

        garbage, failing, unknown = with_server(tmp_path, handler, body)
        assert b'"code":"bad-request"' in garbage
        assert b'"code":"internal"' in failing
        assert b"boom" in failing
        assert b"unknown command" in unknown

    def test_a_data_folder_with_a_long_path_still_gets_a_working_socket(
        self, tmp_path: Path
    ) -> None:
        """A path too long for a unix socket moves the socket to a private temp folder."""
        deep = tmp_path / ("very-long-folder-name-" * 6)
        path = socket_path(deep)
        assert not path.is_relative_to(deep)

        async def body(_server: ControlServer) -> Any:
            return await ask(deep, "status")

        assert with_server(deep, RecordingHandler(), body)["ok"] is True


class TestFileTransport:
    def test_round_trip_through_request_and_reply_files(self, tmp_path: Path) -> None:
        """The Windows fallback carries a command and its reply through files."""
        handler = RecordingHandler({"ok": True, "session_id": 4})

        async def body(_server: ControlServer) -> Any:
            with InstanceLock(tmp_path):
                return await ask(tmp_path, "pause", transport="files", minutes=30)

        reply = with_server(tmp_path, handler, body, transport="files")
        assert reply == {"ok": True, "session_id": 4}
        assert handler.requests == [{"cmd": "pause", "minutes": 30.0}]
        assert list((run_dir(tmp_path) / "requests").iterdir()) == []
        assert list((run_dir(tmp_path) / "replies").iterdir()) == []

    def test_without_the_lock_held_there_is_no_monitor(self, tmp_path: Path) -> None:
        """With no monitor holding the lock, the files client returns None at once."""
        assert send_command("status", data_dir=tmp_path, transport="files") is None


class TestInstanceLock:
    def test_second_lock_is_refused_naming_the_first_holders_pid(self, tmp_path: Path) -> None:
        """While one lock is held a second acquire fails with the holder's pid."""
        import os

        with InstanceLock(tmp_path) as first:
            assert read_pid(first.path) == os.getpid()
            assert lock_is_held(tmp_path)
            with pytest.raises(AlreadyRunningError) as refused:
                InstanceLock(tmp_path).acquire()
        assert refused.value.pid == os.getpid()
        assert str(os.getpid()) in str(refused.value)

    def test_released_lock_can_be_taken_again(self, tmp_path: Path) -> None:
        """After release the lock is free for the next monitor."""
        InstanceLock(tmp_path).acquire().release()
        assert not lock_is_held(tmp_path)
        second = InstanceLock(tmp_path).acquire()
        assert second.held
        second.release()

    def test_lock_lives_in_an_owner_only_folder(self, tmp_path: Path) -> None:
        """The run folder holding the lock is 0700 and the lock file 0600."""
        with InstanceLock(tmp_path) as lock:
            assert stat.S_IMODE(lock.path.parent.stat().st_mode) == 0o700
            assert stat.S_IMODE(lock.path.stat().st_mode) == 0o600
