"""A monitor's control socket that misbehaves, for the commands that ask a monitor."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

from flooding.io.control import socket_path


@contextlib.contextmanager
def hanging_up_monitor(folder: Path) -> Iterator[None]:
    """A control socket in `folder` that takes one question and hangs up without an answer."""
    path = socket_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.bind(str(path))
        silent.listen(1)

        def take_and_close() -> None:
            with contextlib.suppress(OSError):  # shut down unasked: nobody came
                connection, _ = silent.accept()
                with connection:
                    connection.recv(4096)

        taker = threading.Thread(target=take_and_close, daemon=True)
        taker.start()
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                silent.shutdown(socket.SHUT_RDWR)  # wakes an accept still waiting
            taker.join(timeout=10)
    path.unlink(missing_ok=True)
