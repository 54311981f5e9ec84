"""The store's old schemas, exactly as earlier versions of flooding created them.

Copies, not imports from flooding.io.store: a change to the module must not quietly change
what "an old file" means in the upgrade tests.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

# Version 1, as flooding 0.1 created it.
SCHEMA_V1_DDL = """
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
INSERT INTO meta(key, value) VALUES ('schema_version', '1');
"""

# Version 2, as a fresh database of flooding 0.2 was: version 1 plus the session summaries,
# the sessions_by_start index and the false_alarms view.
SCHEMA_V2_DDL = (
    SCHEMA_V1_DDL.replace("'schema_version', '1'", "'schema_version', '2'")
    + """
ALTER TABLE sessions ADD COLUMN sample_count INTEGER;
ALTER TABLE sessions ADD COLUMN peak_bpm REAL;
ALTER TABLE sessions ADD COLUMN last_sample_s REAL;
CREATE INDEX IF NOT EXISTS sessions_by_start ON sessions(started_s, id);
CREATE VIEW IF NOT EXISTS false_alarms AS
SELECT mark.id AS id,
       mark.session_id AS session_id,
       mark.t_s AS marked_s,
       alert.id AS alert_event_id,
       alert.t_s AS alert_s
FROM events AS mark
LEFT JOIN events AS alert
       ON alert.id = json_extract(mark.data_json, '$.alert_event_id')
WHERE mark.kind = 'false-alarm';
"""
)

# Version 3, as a fresh database of flooding 0.3 was: version 2 plus each sample's and event's
# person (couple sessions) and the session_people table.
SCHEMA_V3_DDL = (
    SCHEMA_V2_DDL.replace("'schema_version', '2'", "'schema_version', '3'")
    + """
ALTER TABLE samples ADD COLUMN person TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN person TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS session_people (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    person TEXT NOT NULL,
    strap_name TEXT,
    strap_address TEXT,
    mode TEXT NOT NULL,
    settings_json TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (session_id, person)
);
CREATE INDEX IF NOT EXISTS samples_by_person ON samples(session_id, person, t_s);
"""
)

# Version 4, as a fresh database of flooding 0.4 was: version 3 plus each sample's activity
# level (the strap's accelerometer).
SCHEMA_V4_DDL = (
    SCHEMA_V3_DDL.replace("'schema_version', '3'", "'schema_version', '4'")
    + """
ALTER TABLE samples ADD COLUMN activity_g REAL;
"""
)

# Version 5, as a fresh database was before replays' alerts were kept: version 4 plus the ended
# sessions' samples kept as packed columns.
SCHEMA_V5_DDL = (
    SCHEMA_V4_DDL.replace("'schema_version', '4'", "'schema_version', '5'")
    + """
CREATE TABLE IF NOT EXISTS sample_columns (
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    sample_count INTEGER NOT NULL,
    last_sample_s REAL,
    format INTEGER NOT NULL,
    data BLOB NOT NULL
);
"""
)


# Version 6, as a fresh database was before its second index on samples was dropped: version 5
# plus the replays' alerts (`samples_by_person` came with version 3).
SCHEMA_V6_DDL = (
    SCHEMA_V5_DDL.replace("'schema_version', '5'", "'schema_version', '6'")
    + """
CREATE TABLE IF NOT EXISTS replayed_alerts (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    used INTEGER NOT NULL,
    alert_s BLOB NOT NULL,
    PRIMARY KEY (session_id, key)
);
"""
)


# Version 7, as a fresh database was before session ids were remembered: version 6 without the
# second index on samples.
SCHEMA_V7_DDL = (
    SCHEMA_V6_DDL.replace("'schema_version', '6'", "'schema_version', '7'")
    + """
DROP INDEX IF EXISTS samples_by_person;
"""
)

# Version 8, as a fresh database was while the highest session id ever given was kept by a
# trigger that refused a session at or under it.
SCHEMA_V8_DDL = (
    SCHEMA_V7_DDL.replace("'schema_version', '7'", "'schema_version', '8'")
    + """
INSERT OR REPLACE INTO meta(key, value)
SELECT 'last_session_id', COALESCE(MAX(id), 0) FROM sessions;
CREATE TRIGGER IF NOT EXISTS sessions_keep_last_id AFTER INSERT ON sessions
BEGIN
    SELECT RAISE(ABORT, 'a session id is never given twice')
    WHERE NEW.id <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_session_id');
    INSERT OR REPLACE INTO meta(key, value) VALUES ('last_session_id', NEW.id);
END;
"""
)

# Version 9, as a fresh database was while the settings kept with each session held the remote
# targets' URLs whole: version 8 with a trigger that keeps the highest id and refuses none.
SCHEMA_V9_DDL = (
    SCHEMA_V8_DDL.replace("'schema_version', '8'", "'schema_version', '9'")
    + """
DROP TRIGGER IF EXISTS sessions_keep_last_id;
CREATE TRIGGER IF NOT EXISTS sessions_remember_last_id AFTER INSERT ON sessions
BEGIN
    INSERT OR REPLACE INTO meta(key, value) VALUES ('last_session_id', MAX(NEW.id,
        COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_session_id'), 0)));
END;
"""
)


def old_database(data_dir: Path, ddl: str) -> sqlite3.Connection:
    """A new owner-only `flooding.db` in `data_dir` made with `ddl`; returns it open."""
    data_dir.mkdir(mode=0o700, exist_ok=True)
    db = sqlite3.connect(data_dir / "flooding.db")
    db.executescript(ddl)
    return db


def rows_after_a_false_alarm(
    db: sqlite3.Connection, t_s: float
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Mark session 1's first alert in `db` as a false alarm at `t_s`, commit and close it;
    returns every sample row and event row as written."""
    alert_id = db.execute("SELECT id FROM events WHERE session_id=1 AND kind='alert'").fetchone()[0]
    db.execute(
        "INSERT INTO events(session_id, t_s, kind, data_json) VALUES (1, ?, 'false-alarm', ?)",
        (t_s, json.dumps({"alert_event_id": alert_id})),
    )
    db.commit()
    rows = (
        db.execute("SELECT * FROM samples ORDER BY rowid").fetchall(),
        db.execute("SELECT * FROM events ORDER BY id").fetchall(),
    )
    db.close()
    return rows
