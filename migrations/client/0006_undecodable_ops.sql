-- Pulled operations this client could not read (a value past the protocol's limits, a kind
-- from a newer version): kept as the server sent them and reported, while the rest of their
-- page still applies. Keyed by the server's seq, so a page pulled twice keeps one copy.
CREATE TABLE undecodable_ops (
    seq         INTEGER PRIMARY KEY NOT NULL,
    body        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    received_at TEXT NOT NULL
) STRICT;
