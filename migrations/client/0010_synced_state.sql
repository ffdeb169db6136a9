-- Entities that arrived by a snapshot (a new device, a new grant) instead of op by op: they
-- have no history here, so the merge reads their field stamps from this row. `stamps` maps a
-- field to [stamp, writer]; the key "*" stands for every field not named (usually all of
-- them: one create). `trash` is the stamp of the delete or restore that decided the trash
-- flag. `seq` is the server's seq of the newest op folded in: history begins after it.
CREATE TABLE synced_state (
    entity_id TEXT PRIMARY KEY,
    entity    TEXT NOT NULL,
    scope     TEXT NOT NULL,
    stamps    TEXT NOT NULL,
    trash     TEXT,
    seq       INTEGER NOT NULL
) WITHOUT ROWID;
