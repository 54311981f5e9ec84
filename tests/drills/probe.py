"""Runs the `flooding` command with probes, for the fault drills.

    python -m tests.drills.probe [flooding arguments...]

Probes, each switched on by an environment variable naming a file:
- `FLOODING_PROBE_SAMPLES`: the time of the first and of the latest sample handed to the
  store, written in place (two doubles, `pwrite`) as each sample arrives, so that after a
  `kill -9` the file holds the session clock at the moment of the kill;
- `FLOODING_PROBE_NET`: one line per internet socket the process creates, connects, binds or
  resolves (an audit hook; Unix sockets, used by asyncio and D-Bus, are not recorded).
Nothing else changes: the command runs exactly as `flooding ...` would.
"""

from __future__ import annotations

import os
import socket
import struct
import sys
from typing import Any

INTERNET = (socket.AF_INET, socket.AF_INET6)


def _samples_probe(path: str) -> None:
    from flooding.io.store import Store

    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    first: list[float] = []
    add_sample = Store.add_sample

    def probed(self: Store, session_id: int, sample: Any, *rest: Any, **named: Any) -> None:
        add_sample(self, session_id, sample, *rest, **named)  # whatever else the store takes
        if not first:
            first.append(sample.t_s)
        os.pwrite(fd, struct.pack("<dd", first[0], sample.t_s), 0)

    Store.add_sample = probed  # type: ignore[method-assign]


def _network_probe(path: str) -> None:
    log = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives with the process

    def family_of(sock: Any) -> int | None:
        return getattr(sock, "family", None)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.__new__" and args[1] in INTERNET:
            log.write(f"{event} family={socket.AddressFamily(args[1]).name}\n")
        elif event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
            if family_of(args[0]) in INTERNET:
                log.write(f"{event} {args[1]!r}\n")
        elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
            log.write(f"{event} {args[0]!r}\n")

    sys.addaudithook(hook)


def main() -> int:
    if os.environ.get("FLOODING_PROBE_NET"):
        _network_probe(os.environ["FLOODING_PROBE_NET"])
    if os.environ.get("FLOODING_PROBE_SAMPLES"):
        _samples_probe(os.environ["FLOODING_PROBE_SAMPLES"])
    from flooding.cli.main import main as flooding_main

    return flooding_main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
