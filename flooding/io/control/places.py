"""Where the control channel lives, checked before use, and who is at the other end.

The socket goes where only the person can create it: `$XDG_RUNTIME_DIR/flooding/` when the
session has a runtime dir; else `run/` in the data folder; else (a data path too long for a
unix socket) `flooding-<uid>` in the temporary folder. Every such folder must be a real
folder owned by this user; one made by someone else is refused, never used.
"""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import struct
import sys
import tempfile
from pathlib import Path

from flooding.io.files import PRIVATE_DIR_MODE, make_private_dir, tighten_private

RUN_DIR_NAME = "run"
SOCKET_NAME = "control.sock"
RUNTIME_SUBDIR = "flooding"
ENV_RUNTIME_DIR = "XDG_RUNTIME_DIR"
MAX_SOCKET_PATH_BYTES = 100  # sun_path is 108 bytes on Linux, 104 on macOS
DIGEST_CHARS = 16  # one socket per data folder in a shared folder, named by its hash
XUCRED_BYTES = 76  # macOS struct xucred: version, uid, ngroups, 16 groups
XUCRED_VERSION = 0


class UnsafeFolderError(OSError):
    """A folder for the control channel that someone else made or could change."""


def default_transport() -> str:
    """'socket' where unix sockets work with asyncio (POSIX), else 'files' (Windows)."""
    return "socket" if os.name == "posix" and hasattr(socket, "AF_UNIX") else "files"


def run_dir(data_dir: Path) -> Path:
    """The monitor's private folder inside the data directory."""
    return data_dir / RUN_DIR_NAME


def check_private_dir(folder: Path) -> None:
    """Refuse a folder that is a link, not a folder, or not this user's; tighten our own
    to 0700. Raises `UnsafeFolderError` naming the folder and what to do."""
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolderError(
            f"{folder} is not a folder (a link or a file is in its place), so the control "
            f"channel cannot live there safely. Remove {folder} and start the monitor again."
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise UnsafeFolderError(
            f"{folder} belongs to another user (uid {info.st_uid}), so the control channel "
            f"cannot live there safely: whoever made it could answer in the monitor's place. "
            f"Have it removed (by that user or an administrator), or give the data folder a "
            f"shorter path (--data-dir), and start the monitor again."
        )
    tighten_private(folder, PRIVATE_DIR_MODE)


def prepare_private_dir(folder: Path) -> Path:
    """Create `folder` owner-only if missing, then check it (see `check_private_dir`)."""
    make_private_dir(folder)
    check_private_dir(folder)
    return folder


def prepare_run_dir(data_dir: Path) -> Path:
    """The data directory's `run` folder, created owner-only (0700) and checked (the data
    directory too, when missing)."""
    return prepare_private_dir(run_dir(data_dir))


def _digest(data_dir: Path) -> str:
    return hashlib.sha256(os.fsencode(data_dir.absolute())).hexdigest()[:DIGEST_CHARS]


def socket_path(data_dir: Path) -> Path:
    """Where the control socket of the monitor for `data_dir` lives (see the module doc)."""
    runtime = os.environ.get(ENV_RUNTIME_DIR, "")
    if runtime and os.path.isabs(runtime):
        path = Path(runtime) / RUNTIME_SUBDIR / f"{_digest(data_dir)}.sock"
        if len(os.fsencode(path)) <= MAX_SOCKET_PATH_BYTES:
            return path
    path = run_dir(data_dir.absolute()) / SOCKET_NAME
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH_BYTES:
        return path
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"flooding-{uid}" / f"{_digest(data_dir)}.sock"


def peer_uid(sock: socket.socket) -> int | None:
    """The user id of the process at the other end of a unix socket.

    Linux: SO_PEERCRED. macOS: LOCAL_PEERCRED (struct xucred; not exercised by the tests,
    which run on Linux). Elsewhere None: the owner-only folder is then the only guard.
    Raises OSError when the platform has a way to ask and asking fails.
    """
    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is not None:
        layout = "=iII"  # struct ucred: pid, uid, gid
        _pid, uid, _gid = struct.unpack(
            layout, sock.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize(layout))
        )
        return int(uid)
    if sys.platform == "darwin":
        sol_local = 0  # SOL_LOCAL
        local_peercred = getattr(socket, "LOCAL_PEERCRED", 0x001)
        raw = sock.getsockopt(sol_local, local_peercred, XUCRED_BYTES)
        version, uid = struct.unpack_from("=II", raw)
        return int(uid) if version == XUCRED_VERSION else None
    return None


def is_own_user(uid: int | None) -> bool:
    """Whether a peer's uid is this process's user (an unknown uid counts as ours)."""
    return uid is None or not hasattr(os, "getuid") or uid == os.getuid()
