-- Reminders (issue 5): when colleagues work and who stands in for them, what the scheduler
-- has already shown, and the indexes its pass reads.

-- T14: working days and hours, absences, deputy; JSON of model::Availability, synced with
-- the colleague record. '{}' reads as the default week.
ALTER TABLE colleagues ADD COLUMN availability TEXT NOT NULL DEFAULT '{}';

-- The scheduler's ledger: one row per notice it decided on, keyed by the event, so nothing is
-- shown twice, across restarts too. delivered = 0: decided while that kind was switched off.
CREATE TABLE notices (
    key        TEXT PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL,
    task_id    TEXT,
    decided_at TEXT NOT NULL,
    delivered  INTEGER NOT NULL
) STRICT;

-- N1: open tasks by reminder instant and by timed due, for the scheduler's window queries.
CREATE INDEX tasks_open_by_reminder ON tasks (reminder_at) WHERE reminder_at IS NOT NULL AND status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL;
CREATE INDEX tasks_open_by_due_at ON tasks (due_at) WHERE due_at IS NOT NULL AND status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL;

-- T9: the few open tasks of series, for the scheduler's create-ahead check.
CREATE INDEX tasks_open_repeating ON tasks (id)
    WHERE recurrence IS NOT NULL AND status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL;
