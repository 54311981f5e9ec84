"""The recordings database's schema: the version-1 tables and the migrations after it.

`MIGRATIONS[n]` upgrades version n to n + 1. A new database is made by running `SCHEMA_V1`
and then every migration, so a fresh file and an upgraded one are the same.
"""

from __future__ import annotations

from collections.abc import Callable

from flooding.core.models import PLAUSIBLE_MAX_BPM, PLAUSIBLE_MIN_BPM
from flooding.core.settings import masked_settings_json

DB_NAME = "flooding.db"
SCHEMA_VERSION = 10
COLUMNS_SCHEMA = 5  # the first to keep sessions' columns: a file upgraded to it has them kept
# every table, schema 10
TABLES = (
    "meta",
    "sessions",
    "samples",
    "events",
    "session_people",
    "sample_columns",
    "replayed_alerts",
)

SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    started_s REAL NOT NULL,
    ended_s REAL,
    source TEXT NOT NULL,
    strap_name TEXT,
    strap_address TEXT,
    mode TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    settings_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS samples (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    t_s REAL NOT NULL,
    bpm REAL NOT NULL,
    rr_s TEXT NOT NULL DEFAULT '',
    contact INTEGER,
    energy_kj INTEGER
);
CREATE INDEX IF NOT EXISTS samples_by_session ON samples(session_id, t_s);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    t_s REAL NOT NULL,
    kind TEXT NOT NULL,
    data_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_session ON events(session_id, kind, t_s);
"""

# What counts as a real reading (`Sample.usable`: skin contact not lost, the detector's default
# plausible range): a dropped contact reports 0 and a glitch can report 250, neither is the
# person's heart.

USABLE = f"contact IS NOT 0 AND bpm BETWEEN {PLAUSIBLE_MIN_BPM} AND {PLAUSIBLE_MAX_BPM}"
USABLE_PEAK = f"MAX(CASE WHEN {USABLE} THEN bpm END)"  # the highest usable reading

SESSION_STATS = f"""
    COUNT(*),
    {USABLE_PEAK},
    MAX(t_s)
"""

_MIGRATION_1_TO_2 = (
    "ALTER TABLE sessions ADD COLUMN sample_count INTEGER",
    "ALTER TABLE sessions ADD COLUMN peak_bpm REAL",
    "ALTER TABLE sessions ADD COLUMN last_sample_s REAL",
    "CREATE INDEX IF NOT EXISTS sessions_by_start ON sessions(started_s, id)",
    """
    CREATE VIEW IF NOT EXISTS false_alarms AS
    SELECT mark.id AS id,
           mark.session_id AS session_id,
           mark.t_s AS marked_s,
           alert.id AS alert_event_id,
           alert.t_s AS alert_s
    FROM events AS mark
    LEFT JOIN events AS alert
           ON alert.id = json_extract(mark.data_json, '$.alert_event_id')
    WHERE mark.kind = 'false-alarm'
    """,
    # backfill the summaries of sessions that ended
    f"""
    UPDATE sessions SET (sample_count, peak_bpm, last_sample_s) = (
        SELECT {SESSION_STATS} FROM samples WHERE samples.session_id = sessions.id
    ) WHERE ended_s IS NOT NULL
    """,
)

_MIGRATION_2_TO_3 = (
    "ALTER TABLE samples ADD COLUMN person TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE events ADD COLUMN person TEXT NOT NULL DEFAULT ''",
    """
    CREATE TABLE IF NOT EXISTS session_people (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        person TEXT NOT NULL,
        strap_name TEXT,
        strap_address TEXT,
        mode TEXT NOT NULL,
        settings_json TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (session_id, person)
    )
    """,
    "CREATE INDEX IF NOT EXISTS samples_by_person ON samples(session_id, person, t_s)",
)

# the strap's activity level (g) with each sample; NULL: no accelerometer (every older sample)
_MIGRATION_3_TO_4 = ("ALTER TABLE samples ADD COLUMN activity_g REAL",)

# an ended session's samples as columns, packed (`columns.pack`): replays that repeat (tune,
# the app's what-if) read one row instead of every sample. Kept only while sample_count and
# last_sample_s match the session's samples; deleted with the session (no copy outlives it).
_MIGRATION_4_TO_5 = (
    """
    CREATE TABLE IF NOT EXISTS sample_columns (
        session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        sample_count INTEGER NOT NULL,
        last_sample_s REAL,
        format INTEGER NOT NULL,
        data BLOB NOT NULL
    )
    """,
)

# the alert times of a session's replays (tune, the app's what-if), packed (`replays.pack`), by a
# key of everything they depend on (the detector's code, the settings that matter, the mode, the
# samples): a new process replays only settings no process replayed before. `used` orders a
# session's rows for dropping the least recently used; deleted with the session.
_MIGRATION_5_TO_6 = (
    """
    CREATE TABLE IF NOT EXISTS replayed_alerts (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        used INTEGER NOT NULL,
        alert_s BLOB NOT NULL,
        PRIMARY KEY (session_id, key)
    )
    """,
)

# one index on samples, not two: `samples_by_session` (session, time) also serves a person's
# track (a couple session's rows of the other partner are passed over, in time order, no sort),
# and each index more is one more B-tree to update with every sample (a month's import: 9 %).
_MIGRATION_6_TO_7 = ("DROP INDEX IF EXISTS samples_by_person",)

# a session's id is never given again once it was given, even after that session is deleted:
# a link (/sessions/12), a note or notification that said "session 12", a file named by the id
# (a chart, an export) would point at another talk. SQLite gives a new row the highest id + 1,
# which after deleting the newest session is its id again; AUTOINCREMENT would remember, but
# only a rebuild of `sessions` (which the other tables point at) can add it. So the highest id
# ever given is kept in `meta`: a trigger keeps it with every session stored, by any writer;
# `NEXT_SESSION_ID` is the id after it (`Store` gives only that one, or a higher one it handed
# out). A file upgraded keeps its highest id; ids deleted before the upgrade cannot be known.
LAST_SESSION_ID_KEY = "last_session_id"
_LAST_SESSION_ID = f"(SELECT CAST(value AS INTEGER) FROM meta WHERE key = '{LAST_SESSION_ID_KEY}')"
NEXT_SESSION_ID = (
    f"(SELECT MAX(COALESCE(MAX(id), 0), COALESCE({_LAST_SESSION_ID}, 0)) + 1 FROM sessions)"
)
SESSION_ID_REUSED = "a session id is never given twice"  # schema 8's refusal (gone in 9)
_MIGRATION_7_TO_8 = (
    f"""
    INSERT OR REPLACE INTO meta(key, value)
    SELECT '{LAST_SESSION_ID_KEY}', COALESCE(MAX(id), 0) FROM sessions
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS sessions_keep_last_id AFTER INSERT ON sessions
    BEGIN
        SELECT RAISE(ABORT, '{SESSION_ID_REUSED}') WHERE NEW.id <= {_LAST_SESSION_ID};
        INSERT OR REPLACE INTO meta(key, value) VALUES ('{LAST_SESSION_ID_KEY}', NEW.id);
    END
    """,
)

# schema 8's trigger also refused a session at or under that id, and so lost whole talks: an
# older flooding still running during an upgrade (the background service) gives a new session
# the highest id + 1, which after the newest session was deleted is under it, and every sample
# of that session then had no session to belong to. Losing a recording is far worse than an id
# given twice, so schema 9's trigger refuses nothing: it only keeps the highest id ever stored
# (by any writer, in any order), and this code still never gives an id twice. Only an older
# flooding may, and only an id whose session was deleted.
_MIGRATION_8_TO_9 = (
    "DROP TRIGGER IF EXISTS sessions_keep_last_id",
    f"""
    CREATE TRIGGER IF NOT EXISTS sessions_remember_last_id AFTER INSERT ON sessions
    BEGIN
        INSERT OR REPLACE INTO meta(key, value)
        VALUES ('{LAST_SESSION_ID_KEY}', MAX(NEW.id, COALESCE({_LAST_SESSION_ID}, 0)));
    END
    """,
)

# the settings kept with each session (and each partner of a couple) held the remote targets'
# URLs whole, with their passwords, tokens and private topics, and so did every JSON export of
# it: schema 10 keeps them masked as `flooding config show` masks them (nothing sends from a
# stored snapshot; a session sends to the live settings' targets). The rows written before are
# rewritten here, on a connection with secure_delete on (`Store._migrate`), so the old bytes
# are overwritten, not left in the file.
MASKED_SETTINGS = "masked_settings"  # the SQL function: `masked_settings_json`
SQL_FUNCTIONS: dict[str, Callable[[str], str]] = {MASKED_SETTINGS: masked_settings_json}
_MIGRATION_9_TO_10 = tuple(
    f"UPDATE {table} SET settings_json = {MASKED_SETTINGS}(settings_json)"
    f" WHERE settings_json IS NOT {MASKED_SETTINGS}(settings_json)"
    for table in ("sessions", "session_people")
)

# MIGRATIONS[n]: the statements that upgrade schema n to n + 1 (run in one transaction)
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: _MIGRATION_1_TO_2,
    2: _MIGRATION_2_TO_3,
    3: _MIGRATION_3_TO_4,
    4: _MIGRATION_4_TO_5,
    5: _MIGRATION_5_TO_6,
    6: _MIGRATION_6_TO_7,
    7: _MIGRATION_7_TO_8,
    8: _MIGRATION_8_TO_9,
    9: _MIGRATION_9_TO_10,
}


def statements(script: str) -> list[str]:
    """The statements of a DDL script without triggers (split on semicolons)."""
    return [part.strip() for part in script.split(";") if part.strip()]
