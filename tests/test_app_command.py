"""`flooding app` run as a person runs it (a subprocess): what it refuses, said on stderr with
its exit code, and nothing of it on stdout."""

from __future__ import annotations

import socket
import stat
import time
from pathlib import Path
from typing import Any

from tests.browser import AppProcess, RecordingBrowser
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


LAUNCHER = """#!/bin/sh
echo "$1" > "{folder}/launched"
i=0
while [ ! -e "{folder}/release" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
"""
SERVED_WITHIN_S = 10.0  # the page answers at once; a server held up by the launcher never does


def test_the_app_answers_while_the_browser_launcher_waits(tmp_path: Path) -> None:
    """`flooding app` serves its pages while a browser launcher that waits (as a browser
    started by it does, until it is closed) has not returned."""
    launcher = tmp_path / "browser.sh"
    launcher.write_text(LAUNCHER.format(folder=tmp_path))
    launcher.chmod(0o700)
    app = AppProcess("app", "--data-dir", str(tmp_path / "data"), env={"BROWSER": f"{launcher} %s"})
    try:
        deadline = time.monotonic() + SERVED_WITHIN_S
        while not (tmp_path / "launched").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (tmp_path / "launched").read_text().startswith("file://")
        with socket.create_connection(("127.0.0.1", int(app.base.rsplit(":", 1)[1]))) as conn:
            conn.settimeout(SERVED_WITHIN_S)
            conn.sendall(f"GET /sessions HTTP/1.1\r\nHost: {app.base[7:]}\r\n\r\n".encode())
            assert conn.recv(100).startswith(b"HTTP/1.1 401")
    finally:
        (tmp_path / "release").touch()
        app.stop()
    assert app.process.returncode == 0


def test_the_browser_is_handed_an_owner_only_page_not_the_code(
    tmp_path: Path, chromium: Any
) -> None:
    """`flooding app` starts the browser (whose command line every account can read) with no
    code on it, but with an owner-only page in an owner-only folder that logs a real browser
    in and is removed once its code is used; the link is still printed to click."""
    browser = RecordingBrowser(tmp_path)
    app = AppProcess("app", "--data-dir", str(tmp_path / "data"), env=browser.env)
    try:
        code = app.link.split("code=", 1)[1]
        assert code not in browser.argv()
        opened = browser.opened_file()
        assert stat.S_IMODE(opened.stat().st_mode) == 0o600
        assert stat.S_IMODE(opened.parent.stat().st_mode) == 0o700
        page = chromium.new_page()
        page.goto(opened.as_uri())
        page.wait_for_url(app.base + "/")
        page.wait_for_selector("form.logout")  # the app's own page, not a refusal
        assert not opened.exists()
        page.close()
    finally:
        app.stop()
