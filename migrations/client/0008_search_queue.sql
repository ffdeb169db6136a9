-- Issue 15: search indexing leaves the write path. A write used to tokenise its text and add
-- an FTS5 segment inside its own commit (about 8 of the 19 pages it dirtied, and a crisis merge
-- every 64 writes). Now the triggers only note which entity changed and how, on the rightmost
-- page of one small table; the indexer (crates/core/src/store/search_queue.rs) drains the queue in
-- batches, one transaction and so one FTS segment per batch, and a search drains it first.
-- What the indexer writes is what the old triggers wrote: the entity's current row, or nothing
-- while it is in the trash.
DROP TRIGGER customers_index_insert;
DROP TRIGGER customers_index_update;
DROP TRIGGER tasks_index_insert;
DROP TRIGGER tasks_index_update;
DROP TRIGGER comments_index_insert;
DROP TRIGGER comments_index_update;

-- op: 'insert' (a new entity), 'update' (its text or dating changed, or it left the trash),
-- 'delete' (it went to the trash). The indexer rebuilds each queued entity's document from its
-- row whatever the op says, so the order of the entries of one entity does not matter.
CREATE TABLE search_queue (
    seq       INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('customer', 'task', 'comment')),
    entity_id TEXT NOT NULL,
    op        TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete'))
) STRICT;

CREATE TRIGGER customers_search_insert AFTER INSERT ON customers WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO search_queue (kind, entity_id, op) VALUES ('customer', NEW.id, 'insert');
END;
-- Only the indexed columns: a change of status or account owner leaves the document as it is.
-- A row that stays in the trash has no document to change.
CREATE TRIGGER customers_search_update AFTER UPDATE OF name, contacts, emails, phones, address, tax_number,
    website, notes, created_at, deleted_at ON customers
    WHEN NOT (OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NOT NULL)
BEGIN
    INSERT INTO search_queue (kind, entity_id, op)
        VALUES ('customer', NEW.id, CASE WHEN NEW.deleted_at IS NULL THEN 'update' ELSE 'delete' END);
END;

CREATE TRIGGER tasks_search_insert AFTER INSERT ON tasks WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO search_queue (kind, entity_id, op) VALUES ('task', NEW.id, 'insert');
END;
CREATE TRIGGER tasks_search_update AFTER UPDATE OF title, description, checklist, outcome, due_date, due_at,
    customer_id, deleted_at ON tasks
    WHEN NOT (OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NOT NULL)
BEGIN
    INSERT INTO search_queue (kind, entity_id, op)
        VALUES ('task', NEW.id, CASE WHEN NEW.deleted_at IS NULL THEN 'update' ELSE 'delete' END);
END;

CREATE TRIGGER comments_search_insert AFTER INSERT ON comments WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO search_queue (kind, entity_id, op) VALUES ('comment', NEW.id, 'insert');
END;
CREATE TRIGGER comments_search_update AFTER UPDATE OF body, deleted_at ON comments
    WHEN NOT (OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NOT NULL)
BEGIN
    INSERT INTO search_queue (kind, entity_id, op)
        VALUES ('comment', NEW.id, CASE WHEN NEW.deleted_at IS NULL THEN 'update' ELSE 'delete' END);
END;
