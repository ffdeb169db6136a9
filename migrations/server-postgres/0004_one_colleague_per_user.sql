-- One colleague record stands for one user. A colleague bound to two users (possible before
-- this check) stays with the user who had the account first.
UPDATE users SET colleague_id = NULL
WHERE colleague_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM users other
    WHERE other.colleague_id = users.colleague_id
      AND (other.created_at < users.created_at OR (other.created_at = users.created_at AND other.id < users.id))
);
CREATE UNIQUE INDEX users_by_colleague ON users (colleague_id) WHERE colleague_id IS NOT NULL;
