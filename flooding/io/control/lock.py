"""One monitor per data folder: an operating-system lock on `run/monitor.lock`.

The lock file holds the running monitor's pid (fcntl.flock on POSIX, msvcrt.locking on
Windows); the operating system releases the lock when the process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from flooding.io.control.places import prepare_run_dir, run_dir

LOCK_NAME = "monitor.lock"
LOCK_ATTEMPTS = 3  # a command probing the lock (Windows fallback) holds it for a moment
LOCK_RETRY_S = 0.1
WINDOWS_LOCK_OFFSET = 4096  # lock a byte past the pid, so others can still read the pid
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # a link in place of the lock is refused, not followed


class AlreadyRunningError(Exception):
    """Another monitor holds the instance lock for this data directory."""

    def __init__(self, pid: int | None, lock_path: Path) -> None:
        self.pid = pid
        self.lock_path = lock_path
        who = f"pid {pid}" if pid else "pid unknown"
        super().__init__(f"another flooding monitor is already running ({who}; lock {lock_path})")


class InstanceLock:
    """One monitor per data directory: an OS lock on `run/monitor.lock`, holding the pid."""

    def __init__(self, data_dir: Path) -> None:
        self.path = run_dir(data_dir) / LOCK_NAME
        self._data_dir = data_dir
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        """Take the lock, or raise `AlreadyRunningError` naming the holder's pid."""
        prepare_run_dir(self._data_dir)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | NOFOLLOW, 0o600)
        for attempt in range(LOCK_ATTEMPTS):
            if _try_lock(fd):
                break
            if attempt + 1 < LOCK_ATTEMPTS:
                time.sleep(LOCK_RETRY_S)
        else:
            os.close(fd)
            raise AlreadyRunningError(read_pid(self.path), self.path)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        return self

    def release(self) -> None:
        """Give the lock back (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        _unlock(fd)
        os.close(fd)

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()


def read_pid(lock_path: Path) -> int | None:
    """The pid written in a lock file, if any."""
    try:
        text = lock_path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def lock_is_held(data_dir: Path) -> bool:
    """Whether a monitor holds the lock (probes it for a moment; the files transport uses it)."""
    path = run_dir(data_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | NOFOLLOW)
    except OSError:
        return False
    try:
        if _try_lock(fd):
            _unlock(fd)
            return False
        return True
    finally:
        os.close(fd)


PROC_LOCKS = Path("/proc/locks")  # Linux: every file lock held, by inode, readable by anyone


def monitor_holds_lock(data_dir: Path) -> bool:
    """Whether a monitor holds this data folder's lock, seen without taking it.

    On Linux the held locks are listed in /proc/locks (matched by the lock file's inode);
    elsewhere the lock is probed for a moment (`lock_is_held`).
    """
    path = run_dir(data_dir) / LOCK_NAME
    try:
        inode = os.stat(path, follow_symlinks=False).st_ino
    except OSError:
        return False
    try:
        table = PROC_LOCKS.read_text(encoding="ascii", errors="replace")
    except OSError:
        return lock_is_held(data_dir)
    for line in table.splitlines():
        fields = line.split()
        # "1: FLOCK ADVISORY WRITE <pid> <major>:<minor>:<inode> 0 EOF"; "->" marks a waiter
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == str(inode):
            return True
    return False


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
