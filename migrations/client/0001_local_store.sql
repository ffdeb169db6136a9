-- Duly local store, first schema. Never edit this file once released: add a new migration.
-- Ids are UUIDv7 text; instants are UTC RFC 3339 text ("2026-03-01T09:00:00Z"), which sorts
-- as time; a day without time is "YYYY-MM-DD". Lists that always travel whole (contacts,
-- phones, checklist) are JSON text. Nothing is ever hard-deleted: `deleted_at` marks the trash.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE colleagues (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'member', 'guest')),
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE customer_statuses (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    color      TEXT NOT NULL,
    position   INTEGER NOT NULL,
    category   TEXT NOT NULL CHECK (category IN ('open', 'won', 'lost')),
    deleted_at TEXT
) STRICT;

-- The meaning of a task status is fixed; only its label is the company's.
CREATE TABLE task_status_labels (
    status TEXT PRIMARY KEY NOT NULL
        CHECK (status IN ('open', 'in_progress', 'waiting', 'done', 'cancelled')),
    label  TEXT NOT NULL
) STRICT;

CREATE TABLE keywords (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    deleted_at TEXT
) STRICT;

CREATE TABLE customers (
    id               TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('company', 'person')),
    contacts         TEXT NOT NULL DEFAULT '[]',
    emails           TEXT NOT NULL DEFAULT '[]',
    phones           TEXT NOT NULL DEFAULT '[]',
    address          TEXT NOT NULL DEFAULT '',
    tax_number       TEXT NOT NULL DEFAULT '',
    website          TEXT NOT NULL DEFAULT '',
    notes            TEXT NOT NULL DEFAULT '',
    account_owner_id TEXT REFERENCES colleagues (id),
    status_id        TEXT REFERENCES customer_statuses (id),
    created_by       TEXT NOT NULL REFERENCES colleagues (id),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT,
    trash_batch      TEXT
) STRICT;
CREATE INDEX customers_by_name ON customers (name COLLATE NOCASE) WHERE deleted_at IS NULL;
CREATE INDEX customers_by_status ON customers (status_id) WHERE deleted_at IS NULL;

CREATE TABLE projects (
    id          TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT REFERENCES customers (id),
    parent_id   TEXT REFERENCES projects (id),
    name        TEXT NOT NULL,
    archived    INTEGER NOT NULL DEFAULT 0,
    milestones  TEXT NOT NULL DEFAULT '[]',
    created_by  TEXT NOT NULL REFERENCES colleagues (id),
    created_at  TEXT NOT NULL,
    deleted_at  TEXT,
    trash_batch TEXT
) STRICT;
CREATE INDEX projects_by_customer ON projects (customer_id);

CREATE TABLE tasks (
    id             TEXT PRIMARY KEY NOT NULL,
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    customer_id    TEXT REFERENCES customers (id),
    project_id     TEXT REFERENCES projects (id),
    responsible_id TEXT NOT NULL REFERENCES colleagues (id),
    creator_id     TEXT NOT NULL REFERENCES colleagues (id),
    watchers       TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL
        CHECK (status IN ('open', 'in_progress', 'waiting', 'done', 'cancelled')),
    priority       TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    start_date     TEXT,
    -- The due day. For a timed due it is the UTC day of due_at, so "due by the end of a local
    -- day" is always a range on (due_date) followed by an exact check on due_at.
    due_date       TEXT,
    due_at         TEXT,
    reminder_at    TEXT,
    checklist      TEXT NOT NULL DEFAULT '[]',
    attachments    TEXT NOT NULL DEFAULT '[]',
    outcome        TEXT,
    completed_by   TEXT REFERENCES colleagues (id),
    completed_at   TEXT,
    cancel_reason  TEXT,
    recurrence     TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deleted_at     TEXT,
    trash_batch    TEXT,
    is_open        INTEGER GENERATED ALWAYS AS
        (status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL) VIRTUAL
) STRICT;
CREATE INDEX tasks_open_by_responsible ON tasks (responsible_id, due_date)
    WHERE status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL;
CREATE INDEX tasks_open_by_creator ON tasks (creator_id, due_date)
    WHERE status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL;
CREATE INDEX tasks_by_customer ON tasks (customer_id, due_date);
CREATE INDEX tasks_by_status ON tasks (status, due_date) WHERE deleted_at IS NULL;

CREATE TABLE task_watchers (
    task_id       TEXT NOT NULL REFERENCES tasks (id),
    colleague_id  TEXT NOT NULL REFERENCES colleagues (id),
    PRIMARY KEY (colleague_id, task_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE comments (
    id                     TEXT PRIMARY KEY NOT NULL,
    task_id                TEXT REFERENCES tasks (id),
    -- Denormalised from the task so the customer timeline and scope need no join.
    customer_id            TEXT REFERENCES customers (id),
    author_id              TEXT NOT NULL REFERENCES colleagues (id),
    body                   TEXT NOT NULL,
    keywords               TEXT NOT NULL DEFAULT '[]',
    task_status_change     TEXT,
    customer_status_change TEXT REFERENCES customer_statuses (id),
    attachments            TEXT NOT NULL DEFAULT '[]',
    -- A comment the system wrote (e.g. a lost concurrent edit), not a colleague.
    system                 INTEGER NOT NULL DEFAULT 0,
    created_at             TEXT NOT NULL,
    deleted_at             TEXT,
    trash_batch            TEXT,
    CHECK (task_id IS NOT NULL OR customer_id IS NOT NULL)
) STRICT;
CREATE INDEX comments_by_task ON comments (task_id, created_at);
CREATE INDEX comments_by_customer ON comments (customer_id, created_at);

CREATE TABLE comment_keywords (
    keyword_id  TEXT NOT NULL REFERENCES keywords (id),
    created_at  TEXT NOT NULL,
    comment_id  TEXT NOT NULL REFERENCES comments (id),
    customer_id TEXT,
    PRIMARY KEY (keyword_id, created_at, comment_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX comment_keywords_by_comment ON comment_keywords (comment_id);

-- T11: one row per create (new_value = the initial record), per changed field, per delete and
-- per restore. Append-only. Each row is also the sync operation it describes: its scope and
-- hybrid-logical-clock stamp travel with it (duly_protocol::Operation).
CREATE TABLE history (
    seq        INTEGER PRIMARY KEY,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('created', 'changed', 'deleted', 'restored')),
    field      TEXT,
    old_value  TEXT,
    new_value  TEXT,
    actor_id   TEXT NOT NULL,
    at         TEXT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('window', 'sync', 'scheduler', 'import')),
    scope      TEXT NOT NULL,
    hlc        TEXT NOT NULL
) STRICT;
CREATE INDEX history_by_entity ON history (entity_id, seq);

-- Operations waiting to be pushed: every history row this replica wrote itself. The trigger
-- appends in the same transaction as the history row, so neither exists without the other.
-- AUTOINCREMENT: a client_seq is never reused after acknowledged rows are removed.
CREATE TABLE outbox (
    client_seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    history_seq INTEGER NOT NULL REFERENCES history (seq)
);
CREATE TRIGGER history_to_outbox AFTER INSERT ON history WHEN NEW.source <> 'sync'
BEGIN
    INSERT INTO outbox (history_seq) VALUES (NEW.seq);
END;

-- The watcher index follows tasks.watchers (a JSON array of colleague ids).
CREATE TRIGGER tasks_watchers_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO task_watchers (task_id, colleague_id) SELECT NEW.id, value FROM json_each(NEW.watchers);
END;
CREATE TRIGGER tasks_watchers_update AFTER UPDATE OF watchers ON tasks WHEN OLD.watchers <> NEW.watchers
BEGIN
    DELETE FROM task_watchers WHERE task_id = NEW.id;
    INSERT INTO task_watchers (task_id, colleague_id) SELECT NEW.id, value FROM json_each(NEW.watchers);
END;

-- C5: diacritic-insensitive full text ("ajanlat" finds "ajánlat"). search_docs maps an entity
-- to its FTS row and carries what the filters need, so no filter scans the FTS table. The
-- triggers below keep both in step with the rows: what is in the trash is not searchable.
CREATE TABLE search_docs (
    doc         INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('customer', 'task', 'comment')),
    entity_id   TEXT NOT NULL UNIQUE,
    customer_id TEXT,
    task_id     TEXT,
    at          TEXT NOT NULL
) STRICT;
CREATE INDEX search_docs_by_customer ON search_docs (customer_id, at);

CREATE VIRTUAL TABLE search_index USING fts5 (
    title,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- Merging is done in idle time by Store::maintain, not inside a user's write; only a pile of
-- 64 unmerged segments forces one.
INSERT INTO search_index (search_index, rank) VALUES ('automerge', 0);
INSERT INTO search_index (search_index, rank) VALUES ('crisismerge', 64);

CREATE TRIGGER customers_index_insert AFTER INSERT ON customers WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO search_docs (kind, entity_id, customer_id, at) VALUES ('customer', NEW.id, NEW.id, NEW.created_at);
    INSERT INTO search_index (rowid, title, body) VALUES (last_insert_rowid(), NEW.name, concat_ws(char(10),
        (SELECT group_concat(concat_ws(' ', value ->> 'name', value ->> 'role', value ->> 'email', value ->> 'phone'), char(10))
         FROM json_each(NEW.contacts)),
        (SELECT group_concat(value, ' ') FROM json_each(NEW.emails)),
        (SELECT group_concat(value, ' ') FROM json_each(NEW.phones)),
        NEW.address, NEW.tax_number, NEW.website, NEW.notes));
END;
CREATE TRIGGER customers_index_update AFTER UPDATE ON customers
BEGIN
    DELETE FROM search_index WHERE rowid = (SELECT doc FROM search_docs WHERE entity_id = OLD.id);
    DELETE FROM search_docs WHERE entity_id = OLD.id;
    INSERT INTO search_docs (kind, entity_id, customer_id, at)
        SELECT 'customer', NEW.id, NEW.id, NEW.created_at WHERE NEW.deleted_at IS NULL;
    INSERT INTO search_index (rowid, title, body) SELECT last_insert_rowid(), NEW.name, concat_ws(char(10),
        (SELECT group_concat(concat_ws(' ', value ->> 'name', value ->> 'role', value ->> 'email', value ->> 'phone'), char(10))
         FROM json_each(NEW.contacts)),
        (SELECT group_concat(value, ' ') FROM json_each(NEW.emails)),
        (SELECT group_concat(value, ' ') FROM json_each(NEW.phones)),
        NEW.address, NEW.tax_number, NEW.website, NEW.notes)
        WHERE NEW.deleted_at IS NULL;
END;

-- A task is dated by its due when it has one ("tasks due in March"), else by its creation.
CREATE TRIGGER tasks_index_insert AFTER INSERT ON tasks WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO search_docs (kind, entity_id, customer_id, task_id, at) VALUES ('task', NEW.id, NEW.customer_id, NEW.id,
        coalesce(NEW.due_at, NEW.due_date || 'T00:00:00.000000Z', NEW.created_at));
    INSERT INTO search_index (rowid, title, body) VALUES (last_insert_rowid(), NEW.title, concat_ws(char(10),
        NEW.description,
        (SELECT group_concat(value ->> 'text', char(10)) FROM json_each(NEW.checklist)),
        NEW.outcome));
END;
CREATE TRIGGER tasks_index_update AFTER UPDATE OF title, description, checklist, outcome, due_date, due_at, customer_id,
    deleted_at ON tasks
BEGIN
    DELETE FROM search_index WHERE rowid = (SELECT doc FROM search_docs WHERE entity_id = OLD.id);
    DELETE FROM search_docs WHERE entity_id = OLD.id;
    INSERT INTO search_docs (kind, entity_id, customer_id, task_id, at)
        SELECT 'task', NEW.id, NEW.customer_id, NEW.id, coalesce(NEW.due_at, NEW.due_date || 'T00:00:00.000000Z', NEW.created_at)
        WHERE NEW.deleted_at IS NULL;
    INSERT INTO search_index (rowid, title, body) SELECT last_insert_rowid(), NEW.title, concat_ws(char(10),
        NEW.description,
        (SELECT group_concat(value ->> 'text', char(10)) FROM json_each(NEW.checklist)),
        NEW.outcome)
        WHERE NEW.deleted_at IS NULL;
END;

CREATE TRIGGER comments_index_insert AFTER INSERT ON comments WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO search_docs (kind, entity_id, customer_id, task_id, at)
        VALUES ('comment', NEW.id, NEW.customer_id, NEW.task_id, NEW.created_at);
    INSERT INTO search_index (rowid, title, body) VALUES (last_insert_rowid(), '', NEW.body);
END;
CREATE TRIGGER comments_index_update AFTER UPDATE OF body, deleted_at ON comments
BEGIN
    DELETE FROM search_index WHERE rowid = (SELECT doc FROM search_docs WHERE entity_id = OLD.id);
    DELETE FROM search_docs WHERE entity_id = OLD.id;
    INSERT INTO search_docs (kind, entity_id, customer_id, task_id, at)
        SELECT 'comment', NEW.id, NEW.customer_id, NEW.task_id, NEW.created_at WHERE NEW.deleted_at IS NULL;
    INSERT INTO search_index (rowid, title, body) SELECT last_insert_rowid(), '', NEW.body WHERE NEW.deleted_at IS NULL;
END;

-- The keyword index follows comments.keywords, dated by the comment.
CREATE TRIGGER comments_keywords_insert AFTER INSERT ON comments
BEGIN
    INSERT INTO comment_keywords (keyword_id, created_at, comment_id, customer_id)
        SELECT value, NEW.created_at, NEW.id, NEW.customer_id FROM json_each(NEW.keywords);
END;

INSERT INTO task_status_labels (status, label) VALUES
    ('open', 'Nyitott'),
    ('in_progress', 'Folyamatban'),
    ('waiting', 'Várakozik'),
    ('done', 'Kész'),
    ('cancelled', 'Visszavonva');

-- Defaults every new store starts with. Their ids are fixed so that two stores that later
-- sync to one server hold the same rows, not two copies of the pipeline.
INSERT INTO customer_statuses (id, name, color, position, category) VALUES
    ('00000000-0000-7000-8000-000000000101', 'Első kapcsolatfelvétel', '#64748b', 1, 'open'),
    ('00000000-0000-7000-8000-000000000102', 'Ajánlat', '#0ea5e9', 2, 'open'),
    ('00000000-0000-7000-8000-000000000103', 'Megrendelés', '#8b5cf6', 3, 'open'),
    ('00000000-0000-7000-8000-000000000104', 'Teljesítés', '#f59e0b', 4, 'open'),
    ('00000000-0000-7000-8000-000000000105', 'Számlázás', '#10b981', 5, 'won'),
    ('00000000-0000-7000-8000-000000000106', 'Utókövetés', '#14b8a6', 6, 'won'),
    ('00000000-0000-7000-8000-000000000107', 'Elveszett', '#ef4444', 7, 'lost');

INSERT INTO keywords (id, name) VALUES
    ('00000000-0000-7000-8000-000000000201', 'Ajánlat elküldve'),
    ('00000000-0000-7000-8000-000000000202', 'Visszahívást kért'),
    ('00000000-0000-7000-8000-000000000203', 'Megrendelve'),
    ('00000000-0000-7000-8000-000000000204', 'Számla kiküldve'),
    ('00000000-0000-7000-8000-000000000205', 'Panasz');
