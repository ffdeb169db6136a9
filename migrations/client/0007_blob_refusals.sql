-- M6: an attachment that cannot go up (the server refused it as too large or malformed, the
-- server cut its upload off round after round, or the copy on this computer no longer hashes
-- to its name) is set aside with the reason, so it neither stops the sync round nor is tried
-- again every round. Keeping the same content again clears that.
ALTER TABLE pending_blobs ADD COLUMN refused TEXT;
ALTER TABLE pending_blobs ADD COLUMN refused_at TEXT;
-- Rounds in which its upload broke off while the server still answered.
ALTER TABLE pending_blobs ADD COLUMN cut_off INTEGER NOT NULL DEFAULT 0;
