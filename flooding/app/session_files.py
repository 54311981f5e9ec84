"""Files made from a session inside its data folder (the couple demo's chart), named for the
session: deleting the session deletes them too, so nothing of a deleted talk stays behind,
nor is later taken for the session that gets its number next."""

from __future__ import annotations

import asyncio
from pathlib import Path

from flooding.io.store import DeletedCounts, Store

# a delete asked for on a page waits this long for another program's lock (an import's
# commit, a checkpoint) before the person is told to try again: the page answers by then
DELETE_WAIT_S = 5.0


def chart_path(folder: Path, session_id: int) -> Path:
    """Where a session's chart is written in its data folder."""
    return folder / f"flooding-session-{session_id}.png"


def delete_session(store: Store, folder: Path, session_id: int) -> DeletedCounts:
    """Delete a session from the store and its files from `folder`; how much went."""
    counts = store.delete_session(session_id)
    chart_path(folder, session_id).unlink(missing_ok=True)
    return counts


async def delete_session_aside(
    store: Store, folder: Path, session_id: int, wait_s: float = DELETE_WAIT_S
) -> DeletedCounts:
    """`delete_session` from an event loop: the wait for another program's lock (up to
    `wait_s`) and the delete itself in a worker thread, so that the loop's pages and live
    heart go on meanwhile. The store's refusals as `delete_session`'s; a StoreError (busy:
    another program still holds the database) when it cannot be deleted in that time, and
    then nothing of it is."""
    deletion = store.deletion(session_id)

    def run() -> DeletedCounts:
        counts = deletion.run(wait_s)
        chart_path(folder, session_id).unlink(missing_ok=True)
        return counts

    return await asyncio.to_thread(run)
