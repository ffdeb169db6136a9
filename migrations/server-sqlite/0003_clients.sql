-- Each client id belongs to the user who first pushed with it: an op id is then a user's own,
-- and nobody can log ops under a colleague's client id to make that colleague's later edits
-- look like duplicates. Ids already in the log go to the user whose colleague wrote there.
CREATE TABLE clients (
    client_id  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    first_seen TEXT NOT NULL
);
INSERT INTO clients (client_id, user_id, first_seen)
SELECT o.client_id, MIN(u.id), MIN(o.received_at)
FROM ops o JOIN users u ON u.colleague_id = o.author OR u.id = o.author
GROUP BY o.client_id;
