//! T1–T10: tasks, their lifecycle and their references.

use duly_protocol::EntityKind;
use uuid::Uuid;

use super::write::scope_of;
use super::{Store, Write, codec};
use crate::error::{CoreError, Result};
use crate::model::{Due, StatusChange, Task, TaskInput, TaskStatus, WriteCtx, new_id, validate};

pub(crate) struct TaskRow {
    pub id: String,
    pub title: String,
    pub description: String,
    pub customer_id: Option<String>,
    pub project_id: Option<String>,
    pub responsible_id: String,
    pub creator_id: String,
    pub watchers: String,
    pub status: String,
    pub priority: String,
    pub start_date: Option<String>,
    pub due_date: Option<String>,
    pub due_at: Option<String>,
    pub reminder_at: Option<String>,
    pub checklist: String,
    pub attachments: String,
    pub outcome: Option<String>,
    pub completed_by: Option<String>,
    pub completed_at: Option<String>,
    pub cancel_reason: Option<String>,
    pub recurrence: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

impl TaskRow {
    pub fn into_task(self) -> Result<Task> {
        let due = match (self.due_at.as_deref(), self.due_date.as_deref()) {
            (Some(at), _) => Some(Due::At(codec::parse_ts(at)?)),
            (None, Some(day)) => Some(Due::Day(codec::parse_day(day)?)),
            (None, None) => None,
        };
        Ok(Task {
            id: codec::id(&self.id)?,
            fields: TaskInput {
                title: self.title,
                description: self.description,
                customer_id: codec::opt_id(self.customer_id.as_deref())?,
                project_id: codec::opt_id(self.project_id.as_deref())?,
                responsible_id: Some(codec::id(&self.responsible_id)?),
                watchers: codec::from_json(&self.watchers)?,
                priority: codec::parse_enum(&self.priority)?,
                start_date: codec::opt_day(self.start_date.as_deref())?,
                due,
                reminder_at: codec::opt_ts(self.reminder_at.as_deref())?,
                checklist: codec::from_json(&self.checklist)?,
                attachments: codec::from_json(&self.attachments)?,
                recurrence: self.recurrence.as_deref().map(codec::from_json).transpose()?,
            },
            creator_id: codec::id(&self.creator_id)?,
            status: codec::word(&self.status, TaskStatus::parse)?,
            outcome: self.outcome,
            completed_by: codec::opt_id(self.completed_by.as_deref())?,
            completed_at: codec::opt_ts(self.completed_at.as_deref())?,
            cancel_reason: self.cancel_reason,
            created_at: codec::parse_ts(&self.created_at)?,
            updated_at: codec::parse_ts(&self.updated_at)?,
        })
    }
}

impl Store {
    /// T2: refused without a responsible colleague; the creator is the writer.
    pub async fn create_task(&self, ctx: WriteCtx, mut input: TaskInput) -> Result<Task> {
        validate::task(&input)?;
        let mut w = self.begin(ctx).await?;
        input.watchers.sort();
        input.watchers.dedup();
        if input.project_id.is_some() {
            check_references(&mut w, &mut input).await?;
        }
        let id = new_id();
        super::series::seat(&mut w, id, &mut input).await?;
        let task = Task::open(id, input, ctx.actor, w.now);
        if !insert(&mut w, &task).await? {
            // The guarded insert found a reference missing, inactive or trashed: say which.
            check_references(&mut w, &mut task.fields.clone()).await?;
            return Err(CoreError::Internal("task references changed during the write".into()));
        }
        w.created(scope_of(task.fields.customer_id), EntityKind::Task, task.id, &codec::value(&task)?)?;
        w.commit().await?;
        Ok(task)
    }

    /// Replaces the editable fields (reassigning included); history keeps every old value.
    pub async fn update_task(&self, ctx: WriteCtx, id: Uuid, mut input: TaskInput) -> Result<Task> {
        validate::task(&input)?;
        let mut w = self.begin(ctx).await?;
        let old = load(&mut w, id).await?;
        check_references(&mut w, &mut input).await?;
        super::series::seat(&mut w, id, &mut input).await?;
        let new = Task { fields: input, updated_at: w.now, ..old.clone() };
        save(&mut w, &old, &new).await?;
        w.commit().await?;
        Ok(new)
    }

    /// T3, T10: moves a task in its lifecycle.
    pub async fn set_task_status(&self, ctx: WriteCtx, id: Uuid, change: StatusChange) -> Result<Task> {
        let mut w = self.begin(ctx).await?;
        let old = load(&mut w, id).await?;
        let new = change_status(&mut w, &old, &change).await?;
        w.commit().await?;
        Ok(new)
    }

    pub async fn task(&self, id: Uuid) -> Result<Task> {
        let key = id.to_string();
        let row = sqlx::query_as!(
            TaskRow,
            "SELECT id, title, description, customer_id, project_id, responsible_id,
                creator_id, watchers, status, priority, start_date, due_date, due_at, reminder_at, checklist,
                attachments, outcome, completed_by, completed_at, cancel_reason, recurrence, created_at,
                updated_at, deleted_at
             FROM tasks WHERE id = ?",
            key
        )
        .fetch_optional(self.reader())
        .await?;
        live(row, id)?.into_task()
    }
}

pub(crate) async fn load(w: &mut Write<'_>, id: Uuid) -> Result<Task> {
    let key = id.to_string();
    let row = sqlx::query_as!(
        TaskRow,
        "SELECT id, title, description, customer_id, project_id, responsible_id,
            creator_id, watchers, status, priority, start_date, due_date, due_at, reminder_at, checklist,
            attachments, outcome, completed_by, completed_at, cancel_reason, recurrence, created_at,
            updated_at, deleted_at
         FROM tasks WHERE id = ?",
        key
    )
    .fetch_optional(&mut *w.tx)
    .await?;
    live(row, id)?.into_task()
}

fn live(row: Option<TaskRow>, id: Uuid) -> Result<TaskRow> {
    match row {
        None => Err(CoreError::NotFound { entity: "task", id }),
        Some(row) if row.deleted_at.is_some() => Err(CoreError::Deleted { entity: "task", id }),
        Some(row) => Ok(row),
    }
}

/// Applies a lifecycle move inside a write (also used by a comment that changes status).
pub(crate) async fn change_status(w: &mut Write<'_>, old: &Task, change: &StatusChange) -> Result<Task> {
    if !old.status.can_become(change.status) {
        return Err(CoreError::InvalidStatusTransition { from: old.status, to: change.status });
    }
    let mut new = old.clone();
    new.status = change.status;
    new.updated_at = w.now;
    match change.status {
        TaskStatus::Done => {
            let outcome = non_empty(change.outcome.as_deref()).ok_or(CoreError::OutcomeRequired)?;
            validate::limit("outcome", outcome, validate::TEXT_MAX)?;
            new.outcome = Some(outcome.to_owned());
            new.completed_by = Some(w.ctx.actor);
            new.completed_at = Some(w.now);
        }
        TaskStatus::Cancelled => {
            let reason = non_empty(change.reason.as_deref()).ok_or(CoreError::ReasonRequired)?;
            validate::limit("reason", reason, validate::TEXT_MAX)?;
            new.cancel_reason = Some(reason.to_owned());
            new.completed_by = Some(w.ctx.actor);
            new.completed_at = Some(w.now);
        }
        // Reopening clears the result; the history keeps what it was.
        _ if !old.status.is_open() => {
            new.outcome = None;
            new.cancel_reason = None;
            new.completed_by = None;
            new.completed_at = None;
        }
        _ => {}
    }
    save(w, old, &new).await?;
    if old.status.is_open() && !new.status.is_open() {
        super::series::continue_series(w, &new).await?;
    }
    Ok(new)
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// References must exist and not be in the trash. A project given without a customer brings
/// its customer; a project of another customer is refused.
async fn check_references(w: &mut Write<'_>, input: &mut TaskInput) -> Result<()> {
    let responsible = input.responsible_id.ok_or(CoreError::ResponsibleRequired)?;
    input.watchers.sort();
    input.watchers.dedup();
    if input.project_id.is_none() && all_live(w, responsible, input).await? {
        return Ok(());
    }
    // Something is missing, inactive or trashed: find out what, for a precise error.
    super::settings::ensure_colleague(w, responsible, "responsible_id").await?;
    for watcher in &input.watchers {
        super::settings::ensure_colleague(w, *watcher, "watchers").await?;
    }
    if let Some(project_id) = input.project_id {
        let project = super::projects::load(w, project_id).await?;
        match (input.customer_id, project.fields.customer_id) {
            (None, owner) => input.customer_id = owner,
            (Some(given), Some(owner)) if given != owner => {
                return Err(CoreError::Invalid {
                    field: "project_id",
                    reason: "belongs to another customer",
                });
            }
            _ => {}
        }
    }
    if let Some(customer_id) = input.customer_id {
        super::customers::load(w, customer_id).await?;
    }
    Ok(())
}

/// The common case in one round trip: responsible and watchers active, customer live.
async fn all_live(w: &mut Write<'_>, responsible: Uuid, input: &TaskInput) -> Result<bool> {
    let (responsible, watchers) = (responsible.to_string(), codec::json(&input.watchers)?);
    let customer = input.customer_id.map(|c| c.to_string());
    let row = sqlx::query!(
        r#"SELECT
             (SELECT active FROM colleagues WHERE id = ?1) AS "responsible_active?: i64",
             (SELECT COUNT(*) FROM json_each(?2) j JOIN colleagues c ON c.id = j.value WHERE c.active = 1)
                 AS "watchers_active!: i64",
             (SELECT deleted_at IS NULL FROM customers WHERE id = ?3) AS "customer_live?: i64""#,
        responsible,
        watchers,
        customer
    )
    .fetch_one(&mut *w.tx)
    .await?;
    Ok(row.responsible_active == Some(1)
        && row.watchers_active == input.watchers.len() as i64
        && (input.customer_id.is_none() || row.customer_live == Some(1)))
}

/// The day a due falls on for the index: the day itself, or the UTC day of the instant.
pub(crate) fn due_columns(due: Option<Due>) -> (Option<String>, Option<String>) {
    match due {
        None => (None, None),
        Some(Due::Day(day)) => (Some(codec::day(day)), None),
        Some(Due::At(at)) => (Some(codec::day(at.date_naive())), Some(codec::ts(at))),
    }
}

pub(crate) struct TaskColumns {
    pub id: String,
    pub customer: Option<String>,
    pub project: Option<String>,
    pub responsible: String,
    pub creator: String,
    pub watchers: String,
    pub status: &'static str,
    pub priority: &'static str,
    pub start: Option<String>,
    pub due_date: Option<String>,
    pub due_at: Option<String>,
    pub reminder: Option<String>,
    pub checklist: String,
    pub attachments: String,
    pub recurrence: Option<String>,
    pub completed_by: Option<String>,
    pub completed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl TaskColumns {
    pub fn of(task: &Task) -> Result<Self> {
        let f = &task.fields;
        let (due_date, due_at) = due_columns(f.due);
        Ok(Self {
            id: task.id.to_string(),
            customer: f.customer_id.map(|c| c.to_string()),
            project: f.project_id.map(|p| p.to_string()),
            responsible: f.responsible_id.ok_or(CoreError::ResponsibleRequired)?.to_string(),
            creator: task.creator_id.to_string(),
            watchers: codec::json(&f.watchers)?,
            status: task.status.as_str(),
            priority: f.priority.as_str(),
            start: f.start_date.map(codec::day),
            due_date,
            due_at,
            reminder: f.reminder_at.map(codec::ts),
            checklist: codec::json(&f.checklist)?,
            attachments: codec::json(&f.attachments)?,
            recurrence: f.recurrence.as_ref().map(codec::json).transpose()?,
            completed_by: task.completed_by.map(|c| c.to_string()),
            completed_at: task.completed_at.map(codec::ts),
            created_at: codec::ts(task.created_at),
            updated_at: codec::ts(task.updated_at),
        })
    }
}

/// Inserts a task only if its responsible and watchers are active colleagues and its customer
/// is live, checked in the same statement: one round trip for the common case. Returns whether
/// it was written.
pub(crate) async fn insert(w: &mut Write<'_>, task: &Task) -> Result<bool> {
    let c = TaskColumns::of(task)?;
    let f = &task.fields;
    let written = sqlx::query!(
        "INSERT INTO tasks (id, title, description, customer_id, project_id, responsible_id, creator_id,
            watchers, status, priority, start_date, due_date, due_at, reminder_at, checklist, attachments,
            outcome, completed_by, completed_at, cancel_reason, recurrence, created_at, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23
         WHERE (SELECT active FROM colleagues WHERE id = ?6) = 1
           AND (SELECT COUNT(*) FROM json_each(?8) j JOIN colleagues k ON k.id = j.value WHERE k.active = 1)
               = json_array_length(?8)
           AND (?4 IS NULL OR (SELECT deleted_at IS NULL FROM customers WHERE id = ?4) = 1)",
        c.id, f.title, f.description, c.customer, c.project, c.responsible, c.creator, c.watchers, c.status,
        c.priority, c.start, c.due_date, c.due_at, c.reminder, c.checklist, c.attachments, task.outcome,
        c.completed_by, c.completed_at, task.cancel_reason, c.recurrence, c.created_at, c.updated_at
    )
    .execute(&mut *w.tx)
    .await?;
    Ok(written.rows_affected() == 1)
}

pub(crate) async fn save(w: &mut Write<'_>, old: &Task, new: &Task) -> Result<()> {
    // A move to another customer is explicit (H5): the changes go to the scope the task
    // leaves, so its readers there learn where it went and let it go; then the whole task and
    // its comments are created again in the scope it joins, so its readers there get all of it.
    let (from, to) = (scope_of(old.fields.customer_id), scope_of(new.fields.customer_id));
    let changed = w.changed(from, EntityKind::Task, new.id, &codec::value(old)?, &codec::value(new)?)?;
    if changed.is_empty() {
        return Ok(());
    }
    let c = TaskColumns::of(new)?;
    let f = &new.fields;
    sqlx::query!(
        "UPDATE tasks SET title = ?, description = ?, customer_id = ?, project_id = ?, responsible_id = ?,
            watchers = ?, status = ?, priority = ?, start_date = ?, due_date = ?, due_at = ?, reminder_at = ?,
            checklist = ?, attachments = ?, outcome = ?, completed_by = ?, completed_at = ?, cancel_reason = ?,
            recurrence = ?, updated_at = ?
         WHERE id = ?",
        f.title, f.description, c.customer, c.project, c.responsible, c.watchers, c.status, c.priority, c.start,
        c.due_date, c.due_at, c.reminder, c.checklist, c.attachments, new.outcome, c.completed_by,
        c.completed_at, new.cancel_reason, c.recurrence, c.updated_at, c.id
    )
    .execute(&mut *w.tx)
    .await?;
    if from != to {
        w.created(to, EntityKind::Task, new.id, &codec::value(new)?)?;
        super::comments::follow_task(w, new.id, new.fields.customer_id).await?;
    }
    Ok(())
}

/// A task as stored, trashed or not, with whether it is in the trash (for the sync merge).
pub(crate) async fn stored(conn: &mut sqlx::SqliteConnection, id: Uuid) -> Result<Option<(Task, bool)>> {
    let key = id.to_string();
    let row = sqlx::query_as!(
        TaskRow,
        "SELECT id, title, description, customer_id, project_id, responsible_id,
            creator_id, watchers, status, priority, start_date, due_date, due_at, reminder_at, checklist,
            attachments, outcome, completed_by, completed_at, cancel_reason, recurrence, created_at,
            updated_at, deleted_at
         FROM tasks WHERE id = ?",
        key
    )
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let deleted = row.deleted_at.is_some();
        row.into_task().map(|task| (task, deleted))
    })
    .transpose()
}
