-- Entities that arrived by a snapshot (a new device, a new grant) instead of op by op: they
-- have no history here, so the merge reads their field stamps from this row. `stamps` maps a
-- field to [stamp, writer]; the key "*" stands for every field not named (usually all of
-- them: one create). `trash` is the stamp of the delete or restore that decided the trash
-- flag, `deleted` that flag. `seq` is the server's seq of the newest op folded in: history
-- begins after it. `kept` holds, for each field changed here since, the value it had before
-- the first change (the trigger below), so a refused change can be undone without history.
CREATE TABLE synced_state (
    entity_id TEXT PRIMARY KEY,
    entity    TEXT NOT NULL,
    scope     TEXT NOT NULL,
    stamps    TEXT NOT NULL,
    trash     TEXT,
    deleted   INTEGER NOT NULL DEFAULT 0,
    seq       INTEGER NOT NULL,
    kept      TEXT
) WITHOUT ROWID;

CREATE TRIGGER synced_state_keeps_the_first_value AFTER INSERT ON history
WHEN NEW.kind = 'changed' AND NEW.source <> 'sync'
BEGIN
    UPDATE synced_state
    SET kept = json_set(coalesce(kept, '{}'), '$."' || NEW.field || '"', json(coalesce(NEW.old_value, 'null')))
    WHERE entity_id = NEW.entity_id
      AND json_type(coalesce(kept, '{}'), '$."' || NEW.field || '"') IS NULL;
END;
