-- Sync with a Duly server (DESIGN.md, Sync).

-- The stamp of the value a write replaced: with it a receiver tells a concurrent edit (the
-- writer had not seen the current value) from a sequential one.
ALTER TABLE history ADD COLUMN base_hlc TEXT;

-- Operations the server refused, kept for the user to see and export: nothing vanishes.
CREATE TABLE rejected_ops (
    client_seq  INTEGER PRIMARY KEY NOT NULL,
    operation   TEXT NOT NULL,
    code        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    rejected_at TEXT NOT NULL
) STRICT;

-- Remote operations that arrived before the entity they change (kept, retried after every pull).
CREATE TABLE parked_ops (
    seq       INTEGER PRIMARY KEY NOT NULL,
    entity_id TEXT NOT NULL,
    operation TEXT NOT NULL
) STRICT;
CREATE INDEX parked_by_entity ON parked_ops (entity_id);

-- Concurrent edits of one field: the value that lost the merge, shown in the entity's thread.
CREATE TABLE conflicts (
    id          INTEGER PRIMARY KEY,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    lost_value  TEXT,
    lost_actor  TEXT NOT NULL,
    lost_hlc    TEXT NOT NULL,
    kept_value  TEXT,
    kept_actor  TEXT NOT NULL,
    kept_hlc    TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (entity_id, field, lost_hlc)
) STRICT;
CREATE INDEX conflicts_by_entity ON conflicts (entity_id);
