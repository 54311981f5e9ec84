"""Telling the person that recorded samples wait to be saved, and when saving works again.

A database that cannot be written (a full disk, a read-only file) keeps a live session's
samples waiting, and saves them once it can be written: nothing is lost meanwhile. So it is
said once, again at most every `WARN_EVERY_S` while it lasts (as the log says a database
that is away), and once more when saving works again; never with every save.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flooding.core.catalogue import Catalogue, SaidError
from flooding.io.store.errors import reason
from flooding.io.store.writer import WARN_EVERY_S

FULL = frozenset({"store.full", "store.os_full"})  # the texts of a disk with no space left


class SavingNotice:
    """Says what keeps samples from being saved (`tell`: a line for the person), at most
    once each `WARN_EVERY_S`, and that saving works again once it does."""

    def __init__(self, tell: Callable[[str], None], say: Catalogue, path: Path) -> None:
        self.tell = tell
        self.say = say
        self.path = path  # the recordings database
        self._told_s: float | None = None  # when the waiting was last said (None: it was not)

    def saw(self, trouble: Exception | None, now_s: float) -> None:
        """After a save at `now_s` (monotonic): why samples wait (None: they do not)."""
        if trouble is None:
            if self._told_s is not None:
                self._told_s = None
                self.tell(self.say("session.info.samples_saved_again"))
            return
        if self._told_s is None or now_s - self._told_s >= WARN_EVERY_S:
            self._told_s = now_s
            self.tell(self._words(trouble))

    def _words(self, trouble: Exception) -> str:
        if isinstance(trouble, SaidError) and trouble.key is not None:
            key, values = trouble.key, trouble.values
        else:
            key, values = reason(trouble, self.path)
        if key in FULL:
            return self.say("session.info.samples_wait_full", folder=values["folder"])
        return self.say("session.info.samples_wait", why=self.say(key, **values))
