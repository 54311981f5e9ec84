"""Saying that a change made on a page waits to be saved.

While another program holds the database, the app's writes are kept (in memory, then on disk
beside it) and saved once it lets go (`Store.held_elsewhere`). A page that made a change (a
note, a false-alarm mark or its undo) waits off the event loop until the change is saved or
found waiting; from then on every page says so in one calm line, until it is saved.
"""

from __future__ import annotations

import asyncio

from flooding.core.catalogue import Catalogue
from flooding.io.store import Store

# a change is saved within milliseconds; a database held elsewhere is found within this
# (the writer thread's first try gives up after a tenth of a second)
TRIED_WITHIN_S = 2.0


class Waiting:
    """Whether a change made on the app's pages waits to be saved."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._changed = False  # a page made a change since nothing last waited

    async def after_change(self) -> None:
        """After a page handed the store a change: wait, off the event loop, until it is
        saved or the database is found held (so the next page says which)."""
        self._changed = True
        await asyncio.to_thread(self.store.wait_tried, TRIED_WITHIN_S)

    def now(self) -> bool:
        """Whether a change made on a page waits to be saved now."""
        if not self.store.held_elsewhere:
            self._changed = False
        return self._changed

    def words(self, say: Catalogue) -> str:
        """The line every page shows while a change waits ('' while none does)."""
        return say("web.waiting") if self.now() else ""
