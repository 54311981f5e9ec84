"""What the app keeps marked in the data folder, one empty owner-only file per mark: the link
codes used and the logins ended (logged out), so that the folder's other app, and the app
started again, know them too.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from flooding.io.files import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, make_private_dir, tighten_private

log = logging.getLogger(__name__)

EPOCH_DIGITS = 12  # whole seconds since 1970 for the next 30,000 years: no longer number


def made_private(path: Path, mode: int) -> int | None:
    """Make `path` exactly `mode` (see `tighten_private`), warning when it was looser; its
    mode before when it was changed."""
    before = tighten_private(path, mode)
    if before is not None:
        log.warning("%s was mode %03o; it is now %03o (owner only)", path, before, mode)
    return before


def keep_mark(
    folder: Path, name: str, *, only_new: bool, old: Callable[[os.DirEntry[str]], bool]
) -> None:
    """Make the mark `name` in `folder` (both owner-only), the marks `old` names removed first.

    `only_new`: FileExistsError when it was there (two processes cannot both take it); any
    other OSError: it cannot be kept. Never follows a link planted in its place.
    """
    make_private_dir(folder)
    made_private(folder, PRIVATE_DIR_MODE)
    for entry in os.scandir(folder):
        with contextlib.suppress(OSError):
            if old(entry):
                os.unlink(entry.path)
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    flags |= os.O_EXCL if only_new else 0
    os.close(os.open(folder / name, flags, PRIVATE_FILE_MODE))


class EndedLogins:
    """The logins ended by logging out (`issued.random`, issued in whole seconds), kept in
    `folder` (None: in memory only) until their cookies could no longer count."""

    def __init__(self, folder: Path | None, clock: Callable[[], float], kept_s: float) -> None:
        """`kept_s`: how long after a login was made its end is kept (its cookie's life and
        as far as a clock set back may make it count again)."""
        self.folder = folder
        self.clock = clock
        self.kept_s = kept_s
        self._here: set[str] = set()

    def __contains__(self, login: str) -> bool:
        """Whether `login` was ended, here or in the folder (one that cannot be read: said in
        the log and taken as ended; a login is easily made again)."""
        if login in self._here:
            return True
        if self.folder is None:
            return False
        try:
            os.lstat(self.folder / login)
        except FileNotFoundError:
            return False
        except OSError as exc:
            log.warning("ended logins could not be read in %s (%s)", self.folder, exc)
            return True
        self._here.add(login)
        return True

    def end(self, login: str) -> bool:
        """End `login` here and in the folder; False when it could not be kept there (it is
        ended in this app only: said in the log)."""
        self._here.add(login)
        if self.folder is None:
            return True
        try:
            keep_mark(self.folder, login, only_new=False, old=self._too_old)
        except OSError as exc:
            log.warning(
                "a login that logged out could not be noted in %s (%s): it is refused until "
                "the app stops",
                self.folder,
                exc,
            )
            return False
        return True

    def _too_old(self, entry: os.DirEntry[str]) -> bool:
        """Whether a kept login's cookie could no longer count: by the time in its name (the
        file's own time says when it was ended, not when the login was made)."""
        issued = entry.name.partition(".")[0]
        if not issued.isdigit() or len(issued) > EPOCH_DIGITS:
            return False
        return int(issued) < self.clock() - self.kept_s
