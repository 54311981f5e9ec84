"""The recording store: one SQLite file (`flooding.db`) in the data directory.

- WAL journal, so review can read while the monitor writes; `synchronous=NORMAL`, which in
  WAL mode survives a crash of the program (not of the machine) with every commit intact.
- Samples are buffered and committed by `flush()`, which the session runner calls every
  second: a `kill -9` loses at most the last second. A live session's writes go to a writer
  thread (`writer`), so a busy database (another program holding the lock) never stops the
  event loop and never costs a sample; an import commits all at once or not at all
  (`Store.all_or_nothing`).
- Read commands open it read-only (`Store.open_read_only`): they work on a read-only folder.
- The data directory is created owner-only (0700) and the database file 0600: heart data is
  private health data.
- Schema versioned in `meta.schema_version` (`schema`); errors name their real cause (`errors`).

Schema 2 adds:
- per-session summary columns (`sample_count`, `peak_bpm`, `last_sample_s`), written when a
  session ends, so `flooding sessions` reads one row per session instead of scanning every
  sample (NULL while a session is recording, or if it never ended cleanly: then they are
  computed on the fly);
- `sessions_by_start`, the index for "the latest session" and the list in time order;
- the `false_alarms` view: each false-alarm mark joined to the alert it marks.

Schema 3 (couple mode: one conversation, two hearts) adds:
- a `person` column to `samples` and `events` (NOT NULL, default `''`). `''` is the
  session's own track: the single person of an ordinary session, or in a couple session
  the conversation's shared events (the one alert, the pause for both, ready-to-return);
  each partner's samples and their own events (episodes, contact, link) carry their
  profile name. Older rows upgrade to `''`, so every earlier query means what it did;
- `session_people`: one row per partner of a couple session (name, strap, mode, the
  person's own settings), in the order of the conversation; ordinary sessions have none;
- `samples_by_person`, the index for one person's track.

Schema 4 adds each sample's activity level (`samples.activity_g`). Schema 5 adds
`sample_columns`: an ended session's samples packed as columns (`columns`), one row a
session, kept when it ends (or at the first read by a store that can write) and used only
while its sample count and last sample time are the session's; ON DELETE CASCADE, so no copy
of the heart data outlives its session. Schema 6 adds `replayed_alerts`: the alert times of
sessions' replays (tune, the app's what-if) by a key of all they depend on (`replays`), at
most a few keys a session, so that a new process replays only what none replayed before;
deleted with the session too.
Schema 7 drops `samples_by_person`: `samples_by_session` (session, time) serves a person's
track as well, and every sample saved updates one index fewer.
Schema 8 keeps the highest session id ever given (`meta.last_session_id`, kept by a
trigger): a deleted session's id is never given again, so nothing that named it (a link, a
note, a chart file) ever names another talk. Schema 9 keeps that id without refusing any
session: schema 8's trigger refused a lower id, and with it the whole session of an older
flooding still running during an upgrade (it gives the highest id + 1).
"""

from flooding.core.models import SOLO
from flooding.io.store.deletion import DeletedCounts, Deletion
from flooding.io.store.errors import StillWaitingError, StoreError
from flooding.io.store.schema import DB_NAME, SCHEMA_VERSION
from flooding.io.store.store import (
    ALERT_KINDS,
    BUSY_TIMEOUT_MS,
    EventRow,
    PersonRow,
    SessionRow,
    SessionStats,
    Store,
    event_data,
    event_kind,
    stored_kind,
)

__all__ = [
    "ALERT_KINDS",
    "BUSY_TIMEOUT_MS",
    "DB_NAME",
    "SCHEMA_VERSION",
    "SOLO",
    "DeletedCounts",
    "Deletion",
    "EventRow",
    "PersonRow",
    "SessionRow",
    "SessionStats",
    "StillWaitingError",
    "Store",
    "StoreError",
    "event_data",
    "event_kind",
    "stored_kind",
]
