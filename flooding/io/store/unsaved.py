"""Values a live store has set but not saved yet (another program holds the database), read
back as set: a page shows the note the person just saved, not the one before it.

Set on the store's thread; each is forgotten on the writer's thread once the write that set
it is committed, unless it was set again meanwhile (the later write then forgets it).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Unsaved(Generic[K, V]):
    """Values by key, each until the write that set it is saved."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[K, tuple[int, V]] = {}
        self._turns = itertools.count()

    def set(self, key: K, value: V) -> int:
        """`value` for `key` until `saved` is told of the turn returned."""
        with self._lock:
            turn = next(self._turns)
            self._values[key] = (turn, value)
            return turn

    def saved(self, key: K, turn: int) -> None:
        """The write of `turn` is saved: the stored value is the one to read from now on,
        unless `key` was set again since."""
        with self._lock:
            if key in self._values and self._values[key][0] == turn:
                del self._values[key]

    def now(self) -> Mapping[K, V]:
        """Every value not saved yet, by key (a copy)."""
        with self._lock:
            return {key: value for key, (_, value) in self._values.items()}
