"""Files made from a session inside its data folder (the couple demo's chart), named for the
session: deleting the session deletes them too, so nothing of a deleted talk stays behind,
nor is later taken for the session that gets its number next."""

from __future__ import annotations

from pathlib import Path

from flooding.io.store import DeletedCounts, Store


def chart_path(folder: Path, session_id: int) -> Path:
    """Where a session's chart is written in its data folder."""
    return folder / f"flooding-session-{session_id}.png"


def delete_session(store: Store, folder: Path, session_id: int) -> DeletedCounts:
    """Delete a session from the store and its files from `folder`; how much went."""
    counts = store.delete_session(session_id)
    chart_path(folder, session_id).unlink(missing_ok=True)
    return counts
