-- The operations that still decide the state, for the snapshot a new device starts from:
-- for every entity in every scope, each create, and for each field and for the trash flag
-- the op that wins by stamp (`stamp_key` sorts as the stamps do, byte by byte: collation C).
-- Kept by every push, in its transaction; a log written before this table is folded in once
-- when the server starts.
CREATE TABLE current_ops (
    entity_id  TEXT NOT NULL,
    scope_kind TEXT NOT NULL,
    scope_id   TEXT NOT NULL,
    slot       TEXT NOT NULL,
    stamp_key  TEXT COLLATE "C" NOT NULL,
    seq        BIGINT NOT NULL,
    PRIMARY KEY (entity_id, scope_kind, scope_id, slot)
);
CREATE INDEX current_ops_by_seq ON current_ops (seq);
