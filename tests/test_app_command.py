"""`flooding app` run as a person runs it (a subprocess): what it refuses, said on stderr with
its exit code, and nothing of it on stdout."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.session_factory import flooding


def test_a_taken_port_is_refused_on_stderr(tmp_path: Path) -> None:
    """`app --port P` with P already taken on 127.0.0.1 says so on stderr (its own
    `flooding app:` once) and how to choose another, exit 1, with no link on stdout."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = flooding("app", "--no-browser", "--port", str(port), "--data-dir", str(tmp_path))
    assert (result.returncode, result.stdout) == (1, "")
    refusal = f"flooding app: could not serve on port {port} of 127.0.0.1; choose another"
    assert refusal in result.stderr
    assert result.stderr.count("flooding app:") == 1


def test_a_port_out_of_range_is_refused_on_stderr(tmp_path: Path) -> None:
    """`app --port 70000` names the ports that work on stderr, exit 2, nothing on stdout."""
    result = flooding("app", "--no-browser", "--port", "70000", "--data-dir", str(tmp_path))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "flooding app: --port must be from 1 to 65535 (or 0 for a free one)\n"
