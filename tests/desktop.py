"""A real, private desktop for notification tests: D-Bus session bus, Xvfb and dunst.

Use it as a pytest plugin (`pytest_plugins = ["tests.desktop"]` in conftest.py). Fixtures:

- `desktop`: a running dunst on a private session bus and X display, with the process
  environment (`DBUS_SESSION_BUS_ADDRESS`, `DISPLAY`) pointing at them for the test.
  `desktop.notifications()` returns what dunst received; `desktop.choose(action_id)`
  presses a notification button through dunst's own context menu.
- `empty_bus`: a private session bus with no notification server on it (and nothing that
  could be started on demand), with the environment pointing at it.

The bus and display are shared by a test session; dunst is started afresh for each test,
so its history holds only that test's notifications. Tests skip only when the programs
are missing, and fail instead when `CI` is set (CI installs them).
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PROGRAMS = ("dbus-daemon", "dbus-send", "Xvfb", "dunst", "dunstctl", "notify-send")
NOTIFICATIONS = "org.freedesktop.Notifications"
START_TIMEOUT_S = 15.0

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
# No <servicedir> and no <standard_session_servicedirs/>: nothing is started on demand, so
# "no notification server" really means none, whatever is installed on the machine.

# dunst pipes the actions of shown notifications to its `dmenu` program, one per line as
# "#<label> (<summary>) [<id>,<action id>]", and invokes the line the program prints.
DMENU_SCRIPT = """#!/bin/sh
here="$(dirname "$0")"
cat > "$here/menu.part"
mv "$here/menu.part" "$here/menu.txt"  # appears whole: the test reads it once it exists
[ -f "$here/choice.txt" ] || exit 0
grep -F ",$(cat "$here/choice.txt")]" "$here/menu.txt" | head -n 1
"""

DUNSTRC = """[global]
    dmenu = {dmenu}
    history_length = 200
    idle_threshold = 0
    sticky_history = yes
    # Keep identical notifications apart, so a test sees a message that was sent twice.
    stack_duplicates = false
"""


def missing_programs() -> list[str]:
    """The programs a real desktop needs that are not installed here."""
    return [name for name in PROGRAMS if shutil.which(name) is None]


def require_programs() -> None:
    """Skip the test when programs are missing, unless in CI, where that is a failure."""
    missing = missing_programs()
    if not missing:
        return
    why = (
        f"needs {', '.join(missing)} "
        "(Debian: apt-get install xvfb dunst libnotify-bin dbus dbus-x11)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the desktop tests but it {why}", pytrace=False)
    pytest.skip(why)


def _read_line(proc: subprocess.Popen[bytes], stream: Any, what: str) -> str:
    """A full line from a child's pipe, or a clear failure if it ends or stays silent."""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    buffer = b""
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while b"\n" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"{what} did not report within {START_TIMEOUT_S} s")
            if not selector.select(left):
                continue
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"{what} exited early (status {proc.poll()})")
            buffer += chunk
    finally:
        selector.close()
    return buffer.split(b"\n", 1)[0].decode().strip()


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    """End a child and its process group: politely, then firmly."""
    if proc is None or proc.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def start_bus(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A private session bus with its socket in `directory`; returns it and its address."""
    config = directory / "bus.conf"
    config.write_text(BUS_CONFIG.format(dir=directory), encoding="utf-8")
    proc = subprocess.Popen(
        ["dbus-daemon", "--nofork", f"--config-file={config}", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        address = _read_line(proc, proc.stdout, "dbus-daemon")
    except BaseException:
        _stop(proc)
        raise
    return proc, address


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """A headless X server on a free display; returns it and its DISPLAY value."""
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-nolisten", "tcp", "-screen", "0", "800x600x24"],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(write_fd)
        write_fd = -1
        with os.fdopen(read_fd, "rb", buffering=0) as reader:
            read_fd = -1
            try:
                number = _read_line(proc, reader, "Xvfb")
            except BaseException:
                _stop(proc)
                raise
    finally:
        for fd in (read_fd, write_fd):
            if fd >= 0:
                os.close(fd)
    return proc, f":{number}"


def name_has_owner(env: dict[str, str], name: str = NOTIFICATIONS) -> bool:
    """Whether `name` has an owner on the bus in `env`."""
    result = subprocess.run(
        [
            "dbus-send",
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            f"string:{name}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return result.returncode == 0 and "boolean true" in result.stdout


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    """Poll until `condition()` holds; fail naming `what` when it never does."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)


MENU_ATTEMPTS = 5  # a busy machine can show the notification a moment after the count says so
MENU_RETRY_S = 0.2


@dataclass
class Display:
    """A private session bus and X display, shared by the tests of a session."""

    directory: Path
    bus_address: str
    display: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """The process environment with the bus and display of this desktop."""
        return {**os.environ, "DBUS_SESSION_BUS_ADDRESS": self.bus_address, "DISPLAY": self.display}


@dataclass
class Desktop:
    """A running dunst on a private bus and display; read what arrived, press buttons."""

    display: Display
    directory: Path
    dunst: subprocess.Popen[bytes]

    @property
    def env(self) -> dict[str, str]:
        """The process environment with the bus and display of this desktop."""
        return self.display.env

    def dunstctl(self, *args: str) -> str:
        """Run `dunstctl` against this desktop's dunst and return its output."""
        result = subprocess.run(
            ["dunstctl", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return result.stdout

    def displayed_count(self) -> int:
        """How many notifications dunst shows now."""
        return int(self.dunstctl("count", "displayed").strip() or 0)

    def notifications(self) -> list[dict[str, Any]]:
        """Every notification dunst received, oldest first (closes the shown ones)."""
        self.dunstctl("close-all")
        history = json.loads(self.dunstctl("history"))
        items = [
            {key: value["data"] for key, value in entry.items()} for entry in history["data"][0]
        ]
        return sorted(items, key=lambda item: item["id"])

    def wait_for_notifications(self, count: int, timeout_s: float = 10.0) -> list[dict[str, Any]]:
        """Wait until dunst has shown at least `count` notifications, then return them all."""
        wait_until(
            lambda: self.displayed_count() >= count,
            f"{count} notification(s) on dunst",
            timeout_s,
        )
        return self.notifications()

    def choose(self, action_id: str) -> list[str]:
        """Press the button `action_id` through dunst's context menu; returns the menu offered.

        This is what a person does with dunst's context menu: dunst sends the
        `ActionInvoked` signal from its own bus name, so the app sees a real press.
        """
        # dunst accepts a notification before it shows it; its menu is empty until then
        wait_until(lambda: self.displayed_count() >= 1, "a notification on dunst")
        (self.directory / "choice.txt").write_text(action_id, encoding="utf-8")
        menu = self.directory / "menu.txt"
        lines: list[str] = []
        for _attempt in range(MENU_ATTEMPTS):
            menu.unlink(missing_ok=True)
            self.dunstctl("context")
            wait_until(menu.exists, "dunst's context menu")
            lines = menu.read_text(encoding="utf-8").splitlines()
            if lines:
                break
            time.sleep(MENU_RETRY_S)
        return lines


def _start_desktop_display() -> Display:
    directory = Path(tempfile.mkdtemp(prefix="flooding-desktop-"))
    display: Display | None = None
    bus: subprocess.Popen[bytes] | None = None
    try:
        bus, address = start_bus(directory)
        xvfb, number = start_xvfb()
        display = Display(directory, address, number, [bus, xvfb])
        return display
    except BaseException:
        _stop(bus)
        shutil.rmtree(directory, ignore_errors=True)
        raise


@pytest.fixture(scope="session")
def desktop_display() -> Iterator[Display]:
    """A private session bus and Xvfb display for the whole test session."""
    require_programs()
    display = _start_desktop_display()
    try:
        yield display
    finally:
        for proc in reversed(display.processes):
            _stop(proc)
        shutil.rmtree(display.directory, ignore_errors=True)


def start_dunst(directory: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """dunst with a minimal config in `directory`, on the bus and display in `env`.

    Returns once dunst owns org.freedesktop.Notifications; fails with dunst's log if not.
    """
    dmenu = directory / "dmenu.sh"
    dmenu.write_text(DMENU_SCRIPT, encoding="utf-8")
    dmenu.chmod(0o755)
    rc = directory / "dunstrc"
    rc.write_text(DUNSTRC.format(dmenu=dmenu), encoding="utf-8")
    log_path = directory / "dunst.log"
    with log_path.open("wb") as log:
        dunst = subprocess.Popen(
            ["dunst", "-config", str(rc)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def ready() -> bool:
        if dunst.poll() is not None:
            raise AssertionError(
                f"dunst exited ({dunst.returncode}): {log_path.read_text(errors='replace')}"
            )
        return name_has_owner(env)

    try:
        wait_until(ready, f"dunst to own {NOTIFICATIONS}", START_TIMEOUT_S)
    except BaseException:
        _stop(dunst)
        raise
    return dunst


def stop_dunst(dunst: subprocess.Popen[bytes], env: dict[str, str]) -> None:
    """Stop dunst and wait until its name has left the bus."""
    _stop(dunst)
    wait_until(lambda: not name_has_owner(env), "dunst to leave the bus")


@pytest.fixture
def desktop(desktop_display: Display, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    """dunst serving notifications on the private desktop; the environment points at it."""
    directory = Path(tempfile.mkdtemp(prefix="dunst-", dir=desktop_display.directory))
    try:
        dunst = start_dunst(directory, desktop_display.env)
        try:
            monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop_display.bus_address)
            monkeypatch.setenv("DISPLAY", desktop_display.display)
            yield Desktop(desktop_display, directory, dunst)
        finally:
            stop_dunst(dunst, desktop_display.env)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def empty_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private session bus where no notification server runs or can be started."""
    require_programs()
    directory = Path(tempfile.mkdtemp(prefix="flooding-bus-"))
    bus: subprocess.Popen[bytes] | None = None
    try:
        bus, address = start_bus(directory)
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address
    finally:
        _stop(bus)
        shutil.rmtree(directory, ignore_errors=True)
