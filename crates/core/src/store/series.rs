//! T9 in the store: a repeating task's next occurrence is written in the same transaction that
//! finishes the current one, under an id derived from the series and the day.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use duly_protocol::EntityKind;
use uuid::Uuid;

use super::write::scope_of;
use super::{Store, Write, codec};
use crate::error::Result;
use crate::model::{ChecklistItem, Due, Recurrence, Task, TaskInput, WriteCtx};
use crate::schedule::recurrence::{next_occurrence, occurrence_id};

/// A task that gets a rule becomes the first occurrence of its own series, kept in the
/// writer's zone unless the rule names one.
pub(crate) async fn seat(w: &mut Write<'_>, task_id: Uuid, input: &mut TaskInput) -> Result<()> {
    let due = input.due;
    let Some(recurrence) = &mut input.recurrence else { return Ok(()) };
    if recurrence.time_zone.is_none() {
        recurrence.time_zone = Some(profile_zone(w).await?.name().to_owned());
    }
    recurrence.series_id.get_or_insert(task_id);
    if recurrence.starts_on.is_none() {
        recurrence.starts_on = due.map(|due| local_day(due, zone(recurrence.time_zone.as_deref())));
    }
    Ok(())
}

/// The zone the person chose in the preferences, else the computer's.
async fn profile_zone(w: &mut Write<'_>) -> Result<Tz> {
    let key = "pref.time_zone";
    let chosen =
        sqlx::query_scalar!("SELECT value FROM meta WHERE key = ?", key).fetch_optional(&mut *w.tx).await?;
    Ok(crate::clock::chosen_zone(chosen.as_deref()))
}

/// Writes the occurrence after `task` unless it exists already (made ahead of time, or by
/// another device and synced here).
pub(crate) async fn continue_series(w: &mut Write<'_>, task: &Task) -> Result<Option<Uuid>> {
    let Some(next) = next_task(w, task).await? else { return Ok(None) };
    let key = next.id.to_string();
    let exists = sqlx::query_scalar!("SELECT 1 AS \"one!: i64\" FROM tasks WHERE id = ?", key)
        .fetch_optional(&mut *w.tx)
        .await?
        .is_some();
    if exists {
        return Ok(None);
    }
    let mut next = next;
    if !super::tasks::insert(w, &next).await? {
        // The responsible left or a watcher was deactivated since: the series goes on with the
        // one who finished this occurrence, and nobody is lost silently: history shows both.
        next.fields.responsible_id = Some(w.ctx.actor);
        next.fields.watchers.clear();
        if !super::tasks::insert(w, &next).await? {
            return Ok(None);
        }
    }
    w.created(scope_of(next.fields.customer_id), EntityKind::Task, next.id, &codec::value(&next)?)?;
    Ok(Some(next.id))
}

async fn next_task(w: &mut Write<'_>, task: &Task) -> Result<Option<Task>> {
    let (Some(recurrence), Some(due)) = (&task.fields.recurrence, task.fields.due) else { return Ok(None) };
    let Some(series_id) = recurrence.series_id else { return Ok(None) };
    let tz = zone(recurrence.time_zone.as_deref());
    let calendar = super::calendar::calendar_in(&mut w.tx).await?;
    let Some((day, number)) = next_occurrence(recurrence, nominal_day(recurrence, due, tz), &calendar) else {
        return Ok(None);
    };
    // Start, due and reminder keep their places relative to each other; the due lands on `day`.
    let shift = Duration::days((day - local_day(due, tz)).num_days());
    let f = &task.fields;
    let mut next_recurrence = recurrence.clone();
    next_recurrence.occurrence = number;
    next_recurrence.occurrence_day = Some(day);
    let fields = TaskInput {
        title: f.title.clone(),
        description: f.description.clone(),
        customer_id: f.customer_id,
        project_id: f.project_id,
        responsible_id: f.responsible_id,
        watchers: f.watchers.clone(),
        priority: f.priority,
        start_date: f.start_date.map(|start| start + shift),
        due: Some(match due {
            Due::Day(_) => Due::Day(day),
            Due::At(at) => Due::At(shift_local(at, shift, tz)),
        }),
        reminder_at: f.reminder_at.map(|at| shift_local(at, shift, tz)),
        checklist: f
            .checklist
            .iter()
            .map(|item| ChecklistItem { text: item.text.clone(), done: false })
            .collect(),
        attachments: Vec::new(),
        recurrence: Some(next_recurrence),
    };
    Ok(Some(Task::open(
        occurrence_id(series_id, &recurrence.rule.repeat, day),
        fields,
        task.creator_id,
        w.now,
    )))
}

impl Store {
    /// Series that create ahead of time: writes every next occurrence whose day, less the
    /// series' lead, has come. Returns the new tasks' ids.
    pub async fn create_due_occurrences(&self, actor: Uuid) -> Result<Vec<Uuid>> {
        let rows = sqlx::query_scalar!(
            "SELECT id FROM tasks INDEXED BY tasks_open_creating_ahead
             WHERE json_extract(recurrence, '$.rule.create_ahead_days') IS NOT NULL
               AND status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL"
        )
        .fetch_all(self.reader())
        .await?;
        let mut due_now = Vec::new();
        if !rows.is_empty() {
            let calendar = self.work_calendar().await?;
            for id in rows {
                let task = self.task(codec::id(&id)?).await?;
                let (Some(recurrence), Some(due)) = (&task.fields.recurrence, task.fields.due) else {
                    continue;
                };
                let (Some(ahead), Some(series)) = (recurrence.rule.create_ahead_days, recurrence.series_id)
                else {
                    continue;
                };
                let tz = zone(recurrence.time_zone.as_deref());
                let today = self.now().with_timezone(&tz).date_naive();
                let Some((day, _)) = next_occurrence(recurrence, nominal_day(recurrence, due, tz), &calendar)
                else {
                    continue;
                };
                let next = occurrence_id(series, &recurrence.rule.repeat, day).to_string();
                let exists = sqlx::query_scalar!("SELECT 1 AS \"one!: i64\" FROM tasks WHERE id = ?", next)
                    .fetch_optional(self.reader())
                    .await?
                    .is_some();
                if !exists && day - Duration::days(i64::from(ahead)) <= today {
                    due_now.push(task);
                }
            }
        }
        if due_now.is_empty() {
            return Ok(Vec::new());
        }
        let mut w = self.begin(WriteCtx { actor, source: crate::model::Source::Scheduler }).await?;
        let mut created = Vec::new();
        for task in due_now {
            if let Some(next) = continue_series(&mut w, &task).await? {
                created.push(next);
            }
        }
        w.commit().await?;
        Ok(created)
    }
}

/// The day the rule gave this occurrence, whatever its due says now.
fn nominal_day(recurrence: &Recurrence, due: Due, tz: Tz) -> NaiveDate {
    let first = recurrence.starts_on.filter(|_| recurrence.occurrence <= 1);
    recurrence.occurrence_day.or(first).unwrap_or_else(|| local_day(due, tz))
}

pub(crate) fn zone(name: Option<&str>) -> Tz {
    name.and_then(|n| n.parse().ok()).unwrap_or(Tz::UTC)
}

/// The day a due falls on for someone in `tz`.
pub(crate) fn local_day(due: Due, tz: Tz) -> NaiveDate {
    match due {
        Due::Day(day) => day,
        Due::At(at) => at.with_timezone(&tz).date_naive(),
    }
}

/// The same wall-clock time `days` later; a time that falls into a summer-time gap moves to
/// just after it.
pub(crate) fn shift_local(at: DateTime<Utc>, days: Duration, tz: Tz) -> DateTime<Utc> {
    let wall = at.with_timezone(&tz).naive_local() + days;
    tz.from_local_datetime(&wall)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(wall + Duration::hours(1))).earliest())
        .map_or(at + days, |local| local.with_timezone(&Utc))
}

/// Where the end-of-day review moves a task (T13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "kind", content = "date", rename_all = "snake_case")]
pub enum Reschedule {
    Tomorrow,
    NextWorkingDay,
    Day(NaiveDate),
}

impl Store {
    /// Moves a task's due (and its reminder with it) to another day, keeping a timed due's
    /// wall-clock time in `tz`. Refused for a day already past.
    pub async fn reschedule_task(&self, ctx: WriteCtx, id: Uuid, to: Reschedule, tz: Tz) -> Result<Task> {
        let mut w = self.begin(ctx).await?;
        let old = super::tasks::load(&mut w, id).await?;
        let today = w.now.with_timezone(&tz).date_naive();
        let day = match to {
            Reschedule::Tomorrow => today + Duration::days(1),
            Reschedule::NextWorkingDay => {
                super::calendar::calendar_in(&mut w.tx).await?.next_working_day(today)
            }
            Reschedule::Day(day) => day,
        };
        if day < today {
            return Err(crate::error::CoreError::Invalid {
                field: "date",
                reason: "the new due day is already past",
            });
        }
        let mut new = old.clone();
        let shift = Duration::days((day - old.fields.due.map_or(today, |due| local_day(due, tz))).num_days());
        new.fields.due = Some(match old.fields.due {
            Some(Due::At(at)) => Due::At(shift_local(at, shift, tz)),
            _ => Due::Day(day),
        });
        new.fields.reminder_at = old.fields.reminder_at.map(|at| shift_local(at, shift, tz));
        new.updated_at = w.now;
        super::tasks::save(&mut w, &old, &new).await?;
        w.commit().await?;
        Ok(new)
    }
}
