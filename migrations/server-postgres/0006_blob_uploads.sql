-- Who added which blob (M4): each user's stored files count against their quota, a file once
-- however often it is sent again.
CREATE TABLE blob_uploads (
    user_id TEXT NOT NULL,
    sha256  TEXT NOT NULL,
    size    BIGINT NOT NULL,
    PRIMARY KEY (user_id, sha256)
);
