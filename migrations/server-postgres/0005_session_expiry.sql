-- Sessions end after a while unused and after a longest life (set in the server's config);
-- the last use is written at most once an hour per session.
ALTER TABLE sessions ADD COLUMN last_used_at TEXT;
UPDATE sessions SET last_used_at = created_at;
