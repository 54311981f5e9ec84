"""A real browser for the app's tests: Debian's chromium, driven by Playwright (no download).

`chromium` is a module fixture; tests that need it are skipped with the reason when the
browser or Playwright is not installed. `AppProcess` runs a `flooding` command that serves
the app and gives its printed `App:` link. `RecordingBrowser` is a browser launcher for the
`BROWSER` variable that only writes down the command line it was started with.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

CHROMIUM = os.environ.get("FLOODING_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APP_LINE_TIMEOUT_S = 30.0  # a loaded machine takes a while to import numpy and start
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless chromium (module-wide: starting one takes a second)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class AppProcess:
    """A `flooding` command that serves the app, with the link it printed."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        """Run `flooding ARGS`, with `env`'s variables set too."""
        env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flooding", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self.link = ""
        found = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))
                if line.startswith("App: "):
                    self.link = line[len("App: ") :].strip()
                    found.set()
            found.set()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        if not found.wait(APP_LINE_TIMEOUT_S) or not self.link:
            self.stop()
            raise AssertionError("no App: line\n" + "\n".join(self.lines))

    @property
    def base(self) -> str:
        """The app's origin, e.g. http://127.0.0.1:41234."""
        return self.link.split("/open", 1)[0]

    def wait(self, timeout_s: float) -> int:
        """Wait for the command to end; its exit code."""
        code = self.process.wait(timeout_s)
        self._reader.join(5)
        return code

    def stop(self) -> None:
        """End it (SIGTERM: the session is saved) and wait."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)


RECORDING_LAUNCHER = """#!/bin/sh
printf '%s\\n' "$@" >> "{record}"
"""
LAUNCHED_WITHIN_S = 30.0  # the launcher is started once the app serves


class RecordingBrowser:
    """A browser launcher, named in the `BROWSER` variable of a command's environment, that
    opens nothing: it writes down its arguments, one a line, as every account on the computer
    could read them in /proc/PID/cmdline."""

    def __init__(self, folder: Path) -> None:
        """The launcher and its record in `folder`."""
        self.record = folder / "browser-argv"
        self.launcher = folder / "browser.sh"
        self.launcher.write_text(RECORDING_LAUNCHER.format(record=self.record))
        self.launcher.chmod(0o700)

    @property
    def env(self) -> dict[str, str]:
        """The variable that has a command start this launcher as its browser."""
        return {"BROWSER": f"{self.launcher} %s"}

    def argv(self) -> str:
        """Every argument it was started with so far, one a line (waits for a first start)."""
        deadline = time.monotonic() + LAUNCHED_WITHIN_S
        while not self.record.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.record.read_text()

    def opened_file(self) -> Path:
        """The one file it was asked to open (a `file://` argument)."""
        (url,) = self.argv().split()
        assert url.startswith("file://"), url
        return Path(url2pathname(urlsplit(url).path))


def summary_linked_to(page: Any, summary_id: str, field_id: str, hints: list[str]) -> str:
    """Check a refused form as every form page shows one: the summary `#summary_id` has the
    focus and links to `#field_id`, which is marked invalid and described by `hints` and then
    its problem, and Tab and Enter on the link move the focus to the field; the link's words."""
    page.wait_for_selector(f"#{summary_id}")
    assert page.evaluate("document.activeElement.id") == summary_id
    link = page.locator(f"#{summary_id} a")
    assert link.get_attribute("href") == f"#{field_id}"
    field = page.locator(f"#{field_id}")
    assert field.get_attribute("aria-invalid") == "true"
    assert (field.get_attribute("aria-describedby") or "").split() == [*hints, f"{field_id}-error"]
    words = str(link.inner_text())
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == field_id
    return words
