-- T8: attachment contents kept beside the store; these wait to be uploaded to the server.
CREATE TABLE pending_blobs (
    sha256   TEXT PRIMARY KEY NOT NULL,
    scope    TEXT NOT NULL,
    added_at TEXT NOT NULL
) STRICT;
