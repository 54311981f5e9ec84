"""An HTTP server on loopback that a test runs, standing in for a remote target's service.

Apprise's `json://127.0.0.1:PORT/` target posts each message to it as JSON: a real
delivery over a real socket. The server records what arrived; it can refuse (HTTP 500)
the first requests, hold every request until the test releases it (a hanging service), or
redirect every post elsewhere (HTTP 302, as an http:// address that moved to https:// does;
a get, which a followed redirect becomes, is answered 200 and counted).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

HOLD_LIMIT_S = 30.0  # a held request is let go after this long, so no thread outlives a run


class Target:
    """What arrived at the loopback target, and how it answers."""

    def __init__(self) -> None:
        self.arrived: list[dict[str, Any]] = []
        self.arrived_at: list[float] = []  # time.monotonic() of each arrival
        self.requests = threading.Event()  # set at the first request
        self.refuse_first = 0
        self.hold = False
        self.redirect = False
        self.gets = 0
        self.release = threading.Event()
        self._seen = 0
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """The Apprise URL that posts JSON here."""
        assert self.server is not None
        return f"json://127.0.0.1:{self.server.server_address[1]}/"

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def answer(self, body: bytes) -> int:
        """Record a request; the status to answer with (after holding it, if asked to)."""
        with self._lock:
            self._seen += 1
            seen = self._seen
        self.requests.set()
        if self.hold:
            self.release.wait(HOLD_LIMIT_S)
        if seen <= self.refuse_first:
            return 500
        if self.redirect:
            return 302
        with self._lock:
            self.arrived.append(json.loads(body))
            self.arrived_at.append(time.monotonic())
        return 200

    @property
    def seen(self) -> int:
        """How many requests came, answered or not."""
        return self._seen


def serve() -> Target:
    """A started loopback target (stop it with `stop`)."""
    target = Target()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = target.answer(body)
            self.send_response(status)
            if status == 302:
                self.send_header("Location", "/moved")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            target.gets += 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    target.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    target.server.daemon_threads = True
    threading.Thread(target=target.server.serve_forever, daemon=True).start()
    return target


def stop(target: Target) -> None:
    """Let held requests go and shut the server down."""
    target.release.set()
    if target.server is not None:
        target.server.shutdown()
        target.server.server_close()


@pytest.fixture
def loopback_target() -> Iterator[Target]:
    """A remote target's service on loopback; see the module docstring."""
    target = serve()
    try:
        yield target
    finally:
        stop(target)
