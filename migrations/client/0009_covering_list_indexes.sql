-- Issue 15: My tasks (and Today, and a colleague's list) and Delegated read their rows from
-- these indexes alone, a few dozen leaf pages in order, instead of one table row per task
-- scattered over the file. Each holds every column a list row needs (views/rows.rs) and the
-- columns of its own WHERE, so `EXPLAIN QUERY PLAN` says USING COVERING INDEX. A write still
-- changes one entry of each, as with the two indexes they replace.
DROP INDEX tasks_open_by_responsible;
DROP INDEX tasks_open_by_creator;
CREATE INDEX tasks_open_mine ON tasks (responsible_id, due_date, due_at, priority, status, deleted_at,
    creator_id, customer_id, project_id, created_at, title, id)
    WHERE status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL;
-- Delegated is "I created it, someone else is responsible": the responsible is the second
-- column, so the tasks I gave myself are skipped inside the index.
CREATE INDEX tasks_open_delegated ON tasks (creator_id, responsible_id, due_date, due_at, priority, status,
    deleted_at, customer_id, project_id, created_at, title, id)
    WHERE status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL;
