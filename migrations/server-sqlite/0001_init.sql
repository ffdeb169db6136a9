-- Duly server, SQLite. Ids are UUID text; instants are RFC 3339 UTC text.
-- A scope is (scope_kind, scope_id) with scope_id '' for the team and settings scopes.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'member', 'guest')),
    active        INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT NOT NULL,
    colleague_id  TEXT,
    created_at    TEXT NOT NULL
);

-- Only the SHA-256 of a token is kept: a stolen database does not log anybody in.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE grants (
    user_id     TEXT NOT NULL REFERENCES users (id),
    customer_id TEXT NOT NULL,
    PRIMARY KEY (user_id, customer_id)
);
CREATE INDEX grants_by_customer ON grants (customer_id);

-- Customers the log has seen, with their creator (granted the scope on first sight).
CREATE TABLE customers (
    customer_id TEXT PRIMARY KEY,
    created_by  TEXT NOT NULL
);

-- Where each entity lives now, so an op cannot reach into a scope its author may not write.
CREATE TABLE entities (
    entity_id  TEXT PRIMARY KEY,
    scope_kind TEXT NOT NULL,
    scope_id   TEXT NOT NULL
);

CREATE TABLE ops (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   TEXT NOT NULL,
    client_seq  INTEGER NOT NULL,
    author      TEXT NOT NULL,
    scope_kind  TEXT NOT NULL,
    scope_id    TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    field       TEXT,
    value       TEXT NOT NULL,
    hlc         TEXT NOT NULL,
    base        TEXT,
    received_at TEXT NOT NULL,
    UNIQUE (client_id, client_seq)
);
CREATE INDEX ops_by_scope ON ops (scope_kind, scope_id, seq);

CREATE TABLE blob_scopes (
    sha256     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    scope_kind TEXT NOT NULL,
    scope_id   TEXT NOT NULL,
    PRIMARY KEY (sha256, scope_kind, scope_id)
);
