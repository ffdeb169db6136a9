-- Reminders (issue 5): when colleagues work and who stands in for them, what the scheduler
-- has already shown, and the indexes its pass reads.

-- T9: rules were RRULE text before; now they are JSON (model::Recurrence). The one shape Duly
-- wrote becomes its structured form (the task starts its own series); any other text is kept
-- in the description, so nothing written is lost.
UPDATE tasks SET recurrence = json_object(
        'rule', json_object(
            'repeat', json_object('kind', 'monthly_on_day', 'day', CAST(substr(recurrence, 25) AS INTEGER)),
            'interval', 1, 'ends', json_object('kind', 'never'), 'create_ahead_days', NULL),
        'series_id', id, 'starts_on', due_date, 'occurrence', 1, 'time_zone', NULL)
    WHERE recurrence LIKE 'FREQ=MONTHLY;BYMONTHDAY=%'
      AND CAST(substr(recurrence, 25) AS INTEGER) BETWEEN 1 AND 31;
UPDATE tasks SET description = description || char(10) || char(10) || 'RRULE: ' || recurrence, recurrence = NULL
    WHERE recurrence IS NOT NULL AND NOT json_valid(recurrence);

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

-- N1: a colleague's open tasks by reminder instant and by timed due, for the scheduler's
-- window queries and its "when next" minimum, each a seek into one person's range.
CREATE INDEX tasks_open_by_reminder ON tasks (responsible_id, reminder_at)
    WHERE reminder_at IS NOT NULL AND status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL;
CREATE INDEX tasks_open_by_due_at ON tasks (responsible_id, due_at)
    WHERE due_at IS NOT NULL AND status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL;

-- T9: the few open tasks of series that create ahead of time, for the scheduler's check.
CREATE INDEX tasks_open_creating_ahead ON tasks (id)
    WHERE json_extract(recurrence, '$.rule.create_ahead_days') IS NOT NULL
      AND status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL;
