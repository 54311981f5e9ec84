"""After a delete, the deleted session's old pages stay in the database file until its
write-ahead log is copied in and emptied (`Store.scrub_log`); another program reading the
file then (a backup, a database browser) holds that off. A long-running app or service
tries again soon after, a few times, then says once that a copy stays until that program
lets go (the next time flooding starts, it removes it: `Store.open`)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from flooding.io.locale_files import load_catalogue
from flooding.io.store import Store

log = logging.getLogger(__name__)

FIRST_RETRY_S = 1.0  # most readers (a page load, a quick query) are done within a second
RETRY_FACTOR = 2.0  # one held longer (a backup) is asked less and less often
RETRIES = 9  # 1 + 2 + ... + 256 s: about eight and a half minutes of trying in all

_running: set[asyncio.Task[bool]] = set()  # kept referenced until done


def scrub_soon(store: Store) -> asyncio.Task[bool]:
    """Try `scrub_log` again in the background (from the event loop), after a delete whose
    own try a reader held off."""
    task = asyncio.get_running_loop().create_task(scrub(store))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task


async def scrub(store: Store) -> bool:
    """Try to empty the log `RETRIES` times, waiting longer each time; whether it was done.
    Said once (a warning) when it never was."""
    wait_s = FIRST_RETRY_S
    for _ in range(RETRIES):
        await asyncio.sleep(wait_s)
        try:
            if store.scrub_log():
                return True
        except sqlite3.Error:  # the store was closed meanwhile: closing emptied the log
            return False
        wait_s *= RETRY_FACTOR
    log.warning(load_catalogue()("store.log_kept", path=store.path))
    return False
