"""The control channel: the typed protocol, both transports, owner-only places, checked peers,
bounded connections, the instance lock."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import stat
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from flooding.io.control import (
    AlreadyRunningError,
    ControlError,
    ControlRequestError,
    ControlServer,
    ErrorReply,
    InstanceLock,
    MonitorStatus,
    OkRequest,
    PauseReply,
    PauseRequest,
    Reply,
    Request,
    ResumeReply,
    ResumeRequest,
    StatusReply,
    StatusRequest,
    StrapStatus,
    UnsafeFolderError,
    WorkoutReply,
    WorkoutRequest,
    lock_is_held,
    parse_request,
    read_pid,
    run_dir,
    send_command,
    socket_path,
)
from flooding.io.control.protocol import answer, build_request, decode_reply

T = TypeVar("T")
OTHER_UID = 4242  # a user id that is not ours (the tests run as root to hand folders to it)
needs_root = pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0, reason="chown to another user needs root"
)


@pytest.fixture(autouse=True)
def no_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test chooses where the socket lives: by default the data folder's `run/`."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A runtime dir (XDG_RUNTIME_DIR) with a path short enough for a socket in it."""
    folder = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))  # pytest's tmp paths run long
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def a_status(state: str = "calm") -> MonitorStatus:
    """A status as a monitor with no session would give it."""
    strap = StrapStatus(
        chosen="C0:FF:EE:00:00:01",
        name=None,
        address=None,
        link="searching",
        connected=False,
        battery_percent=None,
    )
    return MonitorStatus(
        pid=1,
        headless=True,
        started_at=0.0,
        strap=strap,
        session_id=None,
        mode="talk",
        state=state,
        heart_bpm=None,
        baseline_bpm=None,
        pause=None,
    )


class RecordingHandler:
    """A fake monitor: remembers requests and answers with a canned reply."""

    def __init__(self, reply: Reply | None = None, error: Exception | None = None):
        self.requests: list[Request] = []
        self.reply: Reply = reply or StatusReply(status=a_status())
        self.error = error

    def __call__(self, request: Request) -> Reply:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return self.reply


def with_server(
    data_dir: Path,
    handler: RecordingHandler,
    body: Callable[[ControlServer], Awaitable[T]],
    transport: str = "socket",
    **options: Any,
) -> T:
    """Run `body(server)` with a control server listening for `data_dir`."""

    async def main() -> T:
        async with ControlServer(data_dir, handler, transport=transport, **options) as server:
            return await body(server)

    return asyncio.run(main())


def ask(data_dir: Path, request: Request, transport: str = "socket") -> Any:
    """send_command from a worker thread, so the server's loop keeps running."""
    return asyncio.to_thread(
        send_command,
        request,
        data_dir=data_dir,
        transport=transport,
        timeout_s=5,
    )


def raw_exchange(path: Path, lines: list[bytes]) -> list[bytes]:
    """Send raw lines on one connection and read one line back for each."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        stream = sock.makefile("rwb")
        replies = []
        for line in lines:
            stream.write(line)
            stream.flush()
            replies.append(stream.readline())
        return replies


class TestProtocol:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ({"cmd": "status"}, StatusRequest()),
            ({"v": 1, "cmd": "pause"}, PauseRequest()),
            ({"cmd": "pause", "minutes": 25}, PauseRequest(minutes=25.0)),
            ({"cmd": "resume"}, ResumeRequest()),
            ({"cmd": "ok", "session": 3}, OkRequest(session=3)),
            ({"cmd": "workout", "on": False}, WorkoutRequest(on=False)),
        ],
    )
    def test_valid_requests_become_their_typed_request(self, raw: Any, expected: Request) -> None:
        """Each documented request form is accepted as its own request model."""
        request = parse_request(raw)
        assert request == expected
        assert type(request) is type(expected)

    @pytest.mark.parametrize(
        ("raw", "words"),
        [
            ([], "a request is a JSON object"),
            ({}, "names its command in cmd"),
            ({"cmd": "reboot"}, "unknown command 'reboot'; known: status, pause"),
            ({"v": 2, "cmd": "status"}, "protocol version 2 is not spoken here"),
            ({"cmd": "pause", "minutes": 0}, "pause: minutes must be a number from 1 to 1440"),
            ({"cmd": "pause", "minutes": True}, "pause: minutes must be a number"),
            ({"cmd": "pause", "minutes": "20"}, "pause: minutes must be a number"),
            ({"cmd": "pause", "minutes": float("nan")}, "pause: minutes must be a number"),
            ({"cmd": "ok", "session": True}, "ok: session must be a session number"),
            ({"cmd": "ok", "session": 0}, "ok: session must be a session number"),
            ({"cmd": "workout"}, "workout: on must be true or false"),
            ({"cmd": "workout", "on": 1}, "workout: on must be true or false"),
            ({"cmd": "status", "minutes": 3}, "status: unexpected field minutes"),
        ],
    )
    def test_invalid_requests_are_refused_naming_what_is_wrong(self, raw: Any, words: str) -> None:
        """A malformed request raises an error that names the field and the rule."""
        with pytest.raises(ControlRequestError, match=words):
            parse_request(raw)

    def test_the_wire_format_of_version_1_is_kept(self) -> None:
        """Requests go out as before: the version, the command, and only the fields given."""
        from flooding.io.control.protocol import encode

        assert encode(StatusRequest()) == b'{"v":1,"cmd":"status"}\n'
        assert encode(PauseRequest()) == b'{"v":1,"cmd":"pause"}\n'
        assert encode(PauseRequest(minutes=25)) == b'{"v":1,"cmd":"pause","minutes":25.0}\n'
        assert encode(WorkoutRequest(on=True)) == b'{"v":1,"cmd":"workout","on":true}\n'

    def test_a_deeply_nested_request_gets_an_error_reply(self) -> None:
        """A request nested far too deep is answered as a bad request, not with a crash."""
        handler = RecordingHandler()
        for line in (b"[" * 300, b'{"cmd": "ok", "session": ' + b"[" * 300 + b"}"):
            reply = answer(handler, line)
            assert isinstance(reply, ErrorReply)
            assert reply.code == "bad-request"
            assert "nested too deeply" in reply.error
        assert handler.requests == []

    def test_a_request_over_the_size_limit_gets_an_error_reply(self) -> None:
        """A request line larger than the limit is refused without being parsed."""
        reply = answer(RecordingHandler(), b'{"cmd": "status", "x": "' + b"a" * 10_000 + b'"}')
        assert isinstance(reply, ErrorReply)
        assert "longer than 4096 bytes" in reply.error

    def test_build_request_names_the_bad_argument(self) -> None:
        """A command's arguments are checked into a typed request, or refused in words."""
        assert build_request(PauseRequest, minutes=30) == PauseRequest(minutes=30.0)
        assert build_request(OkRequest, session=None) == OkRequest()
        with pytest.raises(ControlRequestError, match="pause: minutes must be a number from 1"):
            build_request(PauseRequest, minutes=-5)

    def test_a_reply_without_cmd_from_an_earlier_monitor_is_read_as_the_answer_asked_for(
        self,
    ) -> None:
        """A monitor of the earlier version does not echo cmd; its answers still read."""
        reply = decode_reply(b'{"ok": true, "session_id": 4}\n', ResumeRequest())
        assert reply == ResumeReply(session_id=4)

    def test_a_reply_says_a_couple_only_to_a_couple_and_reads_without_it(self) -> None:
        """Pause, resume, workout and refusal replies say `couple` only when the monitor
        watches two partners (one person's replies are as before); a reply without it, from
        an earlier monitor, reads as one person's."""
        from flooding.io.control.protocol import encode, error_reply

        one = PauseReply(already=False, session_id=4, until_s=1.0, minutes_left=20.0)
        assert b"couple" not in encode(one)
        assert b"couple" not in encode(error_reply("not-pausing", "no pause"))
        for reply, request in (
            (one.model_copy(update={"couple": True}), PauseRequest()),
            (ResumeReply(session_id=4, couple=True), ResumeRequest()),
            (WorkoutReply(mode="talk", session_id=4, couple=True), WorkoutRequest(on=False)),
            (error_reply("not-pausing", "no pause", couple=True), ResumeRequest()),
        ):
            assert b'"couple":true' in encode(reply)
            assert decode_reply(encode(reply), request) == reply
        earlier = decode_reply(b'{"ok": true, "cmd": "resume", "session_id": 4}\n', ResumeRequest())
        assert earlier == ResumeReply(session_id=4, couple=False)

    def test_an_answer_to_another_command_is_refused(self) -> None:
        """A reply that answers another question than the one asked is not believed."""
        pause = b'{"ok":true,"cmd":"workout","mode":"talk","session_id":null}\n'
        with pytest.raises(ValueError, match="'workout', not 'pause'"):
            decode_reply(pause, PauseRequest())


class TestSocketTransport:
    def test_round_trip_passes_the_request_and_returns_the_reply(self, tmp_path: Path) -> None:
        """A command reaches the handler as its typed request, and its reply comes back."""
        handler = RecordingHandler(WorkoutReply(mode="workout", session_id=None))

        async def body(_server: ControlServer) -> Any:
            return await ask(tmp_path, WorkoutRequest(on=True))

        assert with_server(tmp_path, handler, body) == WorkoutReply(mode="workout", session_id=None)
        assert handler.requests == [WorkoutRequest(on=True)]

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
        assert send_command(StatusRequest(), data_dir=tmp_path, transport="socket") is None

    def test_a_stale_socket_file_means_no_monitor(self, tmp_path: Path) -> None:
        """A socket file left by a killed monitor is recognised as no monitor."""
        path = socket_path(tmp_path)
        path.parent.mkdir(parents=True, mode=0o700)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
            dead.bind(str(path))
        assert path.exists()
        assert send_command(StatusRequest(), data_dir=tmp_path, transport="socket") is None

    def test_a_stale_socket_file_is_replaced_by_a_new_server(self, tmp_path: Path) -> None:
        """A new monitor takes over the socket path a killed one left behind."""
        path = socket_path(tmp_path)
        path.parent.mkdir(parents=True, mode=0o700)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
            dead.bind(str(path))

        async def body(_server: ControlServer) -> Any:
            return await ask(tmp_path, StatusRequest())

        assert isinstance(with_server(tmp_path, RecordingHandler(), body), StatusReply)

    def test_garbage_bad_fields_and_handler_failures_get_error_replies_and_serving_goes_on(
        self, tmp_path: Path
    ) -> None:
        """Non-JSON and a bad field get bad-request naming the problem, a failing handler gets
        internal, and the connection goes on answering."""
        handler = RecordingHandler(error=RuntimeError("boom"))

        async def body(_server: ControlServer) -> list[bytes]:
            return await asyncio.to_thread(
                raw_exchange,
                socket_path(tmp_path),
                [
                    b"not json\n",
                    b'{"cmd": "pause", "minutes": "soon"}\n',
                    b'{"cmd": "status"}\n',
                    b'{"cmd": "nope"}\n',
                ],
            )

        garbage, bad_field, failing, unknown = with_server(tmp_path, handler, body)
        assert b'"code":"bad-request"' in garbage
        assert b"not valid JSON" in garbage
        assert b"pause: minutes must be a number from 1 to 1440" in bad_field
        assert b'"code":"internal"' in failing
        assert b"boom" in failing
        assert b"unknown command 'nope'" in unknown
        assert handler.requests == [StatusRequest()]

    def test_a_data_folder_with_a_long_path_still_gets_a_working_socket(
        self, tmp_path: Path
    ) -> None:
        """A path too long for a unix socket moves the socket to a private temp folder."""
        deep = tmp_path / ("very-long-folder-name-" * 6)
        path = socket_path(deep)
        assert not path.is_relative_to(deep)

        async def body(_server: ControlServer) -> Any:
            return await ask(deep, StatusRequest())

        assert isinstance(with_server(deep, RecordingHandler(), body), StatusReply)

    def test_the_runtime_dir_holds_the_socket_when_the_session_has_one(
        self, tmp_path: Path, runtime: Path
    ) -> None:
        """With XDG_RUNTIME_DIR set, the socket lives in its owner-only `flooding` folder."""
        data = tmp_path / "data"

        async def body(server: ControlServer) -> Any:
            assert server.path is not None
            assert server.path.parent == runtime / "flooding"
            assert stat.S_IMODE(server.path.parent.stat().st_mode) == 0o700
            return await ask(data, StatusRequest())

        assert isinstance(with_server(data, RecordingHandler(), body), StatusReply)
        assert not (run_dir(data) / "control.sock").exists()


@needs_root
class TestSquattedPlaces:
    def test_a_runtime_folder_made_by_someone_else_is_refused_by_monitor_and_command(
        self, tmp_path: Path, runtime: Path
    ) -> None:
        """A socket folder owned by another user: the monitor will not listen there and the
        command will not ask there, both naming the folder and what to do."""
        squatted = runtime / "flooding"
        squatted.mkdir(mode=0o777)
        os.chown(squatted, OTHER_UID, OTHER_UID)
        data = tmp_path / "data"

        async def start() -> None:
            await ControlServer(data, RecordingHandler()).start()

        with pytest.raises(UnsafeFolderError, match=f"{squatted} belongs to another user"):
            asyncio.run(start())
        with pytest.raises(ControlError, match=f"{squatted} belongs to another user"):
            send_command(StatusRequest(), data_dir=data)
        assert list(squatted.iterdir()) == []

    def test_a_temp_folder_made_by_someone_else_is_refused(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The long-path fallback `flooding-<uid>` in the temp folder is refused when another
        user made it first, with the words saying what to do."""
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        deep = tmp_path / ("very-long-folder-name-" * 6)
        squatted = socket_path(deep).parent
        assert squatted == tmp_path / f"flooding-{os.getuid()}"
        squatted.mkdir(mode=0o777)
        os.chown(squatted, OTHER_UID, OTHER_UID)

        async def start() -> None:
            await ControlServer(deep, RecordingHandler()).start()

        with pytest.raises(UnsafeFolderError, match="shorter path") as refused:
            asyncio.run(start())
        assert str(squatted) in str(refused.value)

    def test_a_link_in_place_of_the_socket_folder_is_refused(
        self, tmp_path: Path, runtime: Path
    ) -> None:
        """A symbolic link planted where the socket folder goes is not followed."""
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(mode=0o700)
        (runtime / "flooding").symlink_to(elsewhere)

        async def start() -> None:
            await ControlServer(tmp_path / "data", RecordingHandler()).start()

        with pytest.raises(UnsafeFolderError, match="is not a folder"):
            asyncio.run(start())
        assert list(elsewhere.iterdir()) == []

    def test_an_answer_from_another_user_is_not_believed(self, tmp_path: Path) -> None:
        """A socket held by a process of another user is refused by the client, whatever
        it answers."""
        path = socket_path(tmp_path)
        path.parent.mkdir(parents=True, mode=0o700)
        ready = os.pipe()
        child = os.fork()
        if child == 0:  # the impostor: another user, answering "calm" to everything
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
                    server.bind(str(path))
                    os.chmod(path, 0o666)
                    os.setgid(OTHER_UID)
                    os.setuid(OTHER_UID)
                    server.listen(1)
                    os.write(ready[1], b"x")
                    connection, _ = server.accept()
                    connection.recv(4096)
                    connection.sendall(b'{"ok":true,"cmd":"status","status":{}}\n')
                    connection.close()
            finally:
                os._exit(0)
        try:
            os.read(ready[0], 1)
            with pytest.raises(ControlError, match="held by another user"):
                send_command(StatusRequest(), data_dir=tmp_path, timeout_s=5)
        finally:
            os.kill(child, 9)
            os.waitpid(child, 0)


class TestConnectionLimits:
    def test_too_many_idle_connections_do_not_stop_status_from_answering(
        self, tmp_path: Path
    ) -> None:
        """Far more idle connections than the limit: the oldest are closed, status answers,
        and the server never holds more than the limit."""

        async def body(server: ControlServer) -> tuple[Any, int, int]:
            path = socket_path(tmp_path)
            idle = []
            for _ in range(60):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.setblocking(False)
                await asyncio.get_running_loop().sock_connect(sock, str(path))
                idle.append(sock)
            await asyncio.sleep(0.2)  # let the server accept them all
            most = server.open_connections
            reply = await ask(tmp_path, StatusRequest())
            for sock in idle:
                sock.close()
            return reply, most, server.pushed_out

        reply, most, pushed_out = with_server(tmp_path, RecordingHandler(), body)
        assert isinstance(reply, StatusReply)
        assert most <= 16
        assert pushed_out >= 60 - 16

    def test_idle_connections_are_dropped_and_their_memory_returned(self, tmp_path: Path) -> None:
        """A connection that sends nothing is closed after the request timeout, and the
        server holds nothing for it afterwards."""

        async def body(server: ControlServer) -> tuple[int, bytes, int]:
            loop = asyncio.get_running_loop()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.setblocking(False)
            await loop.sock_connect(sock, str(socket_path(tmp_path)))
            for _ in range(100):
                if server.open_connections:
                    break
                await asyncio.sleep(0.01)
            held = server.open_connections
            ending = await asyncio.wait_for(loop.sock_recv(sock, 100), 10)  # b"": closed
            sock.close()
            for _ in range(100):
                if not server.open_connections:
                    break
                await asyncio.sleep(0.01)
            return held, ending, server.open_connections

        held, ending, left = with_server(tmp_path, RecordingHandler(), body, request_timeout_s=0.2)
        assert (held, ending, left) == (1, b"", 0)


class TestFileTransport:
    def test_round_trip_through_request_and_reply_files(self, tmp_path: Path) -> None:
        """The Windows fallback carries a command and its reply through files."""
        handler = RecordingHandler(
            PauseReply(already=False, session_id=4, until_s=100.0, minutes_left=30.0)
        )

        async def body(_server: ControlServer) -> Any:
            with InstanceLock(tmp_path):
                return await ask(tmp_path, PauseRequest(minutes=30), transport="files")

        reply = with_server(tmp_path, handler, body, transport="files")
        assert reply == PauseReply(already=False, session_id=4, until_s=100.0, minutes_left=30.0)
        assert handler.requests == [PauseRequest(minutes=30.0)]
        assert list((run_dir(tmp_path) / "requests").iterdir()) == []
        assert list((run_dir(tmp_path) / "replies").iterdir()) == []

    def test_without_the_lock_held_there_is_no_monitor(self, tmp_path: Path) -> None:
        """With no monitor holding the lock, the files client returns None at once."""
        assert send_command(StatusRequest(), data_dir=tmp_path, transport="files") is None


class TestInstanceLock:
    def test_second_lock_is_refused_naming_the_first_holders_pid(self, tmp_path: Path) -> None:
        """While one lock is held a second acquire fails with the holder's pid."""
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

    @needs_root
    def test_a_run_folder_made_by_someone_else_is_refused(self, tmp_path: Path) -> None:
        """A `run` folder in the data folder owned by another user stops the lock, naming it."""
        squatted = run_dir(tmp_path)
        squatted.mkdir(mode=0o777)
        os.chown(squatted, OTHER_UID, OTHER_UID)
        with pytest.raises(UnsafeFolderError, match=f"{squatted} belongs to another user"):
            InstanceLock(tmp_path).acquire()
