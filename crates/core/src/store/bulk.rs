//! The bulk path: many records in one transaction, with the same rules, history, outbox and
//! search index as single writes, but written with multi-row statements. The demo generator,
//! CSV import and a sync bootstrap use it.

use std::collections::HashSet;

use duly_protocol::{EntityKind, Scope};
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use super::tasks::TaskColumns;
use super::{Store, Write, codec};
use crate::error::{CoreError, Result};
use crate::model::{Colleague, Comment, Customer, Project, Task, TaskStatus, WriteCtx, validate};

/// Fully formed records (ids and times set) to write together.
#[derive(Debug, Clone, Default)]
pub struct ImportBatch {
    pub colleagues: Vec<Colleague>,
    pub customers: Vec<Customer>,
    pub projects: Vec<Project>,
    pub tasks: Vec<Task>,
    pub comments: Vec<Comment>,
}

impl ImportBatch {
    pub fn len(&self) -> usize {
        self.colleagues.len()
            + self.customers.len()
            + self.projects.len()
            + self.tasks.len()
            + self.comments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A bound value of a multi-row insert.
pub(crate) enum Cell {
    Text(Option<String>),
    Int(i64),
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Self::Text(Some(value))
    }
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Self::Text(Some(value.to_owned()))
    }
}

impl From<Option<String>> for Cell {
    fn from(value: Option<String>) -> Self {
        Self::Text(value)
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

/// SQLite allows 32,766 bound values per statement; stay well under and keep statements of
/// one size so the prepared-statement cache reuses them.
const MAX_ROWS_PER_STATEMENT: usize = 100;

/// Rows for one table, flushed as multi-row `INSERT`s.
pub(crate) struct Rows {
    head: &'static str,
    columns: usize,
    cells: Vec<Cell>,
    /// `ON CONFLICT (id) DO UPDATE …` when rows replace existing ones (remote operations).
    tail: Option<String>,
}

impl Rows {
    pub fn new(head: &'static str, columns: usize) -> Self {
        Self { head, columns, cells: Vec::new(), tail: None }
    }

    /// Rows that insert or, for an existing id, overwrite every other column. An upsert, not
    /// `REPLACE`: a replace deletes first, which the rows referring to this one would feel.
    pub fn upsert(head: &'static str, columns: usize) -> Self {
        let names =
            head.split_once('(').and_then(|(_, rest)| rest.split_once(')')).map_or("", |(names, _)| names);
        let sets: Vec<String> = names
            .split(',')
            .map(str::trim)
            .filter(|name| *name != "id" && *name != "created_at")
            .map(|name| format!("{name} = excluded.{name}"))
            .collect();
        Self {
            head,
            columns,
            cells: Vec::new(),
            tail: Some(format!(" ON CONFLICT (id) DO UPDATE SET {}", sets.join(", "))),
        }
    }

    pub fn push(&mut self, row: impl IntoIterator<Item = Cell>) {
        let before = self.cells.len();
        self.cells.extend(row);
        debug_assert_eq!(self.cells.len() - before, self.columns, "{}", self.head);
    }

    pub async fn flush(&mut self, tx: &mut sqlx::SqliteConnection) -> Result<()> {
        // The cells move into the statements: a bulk load binds each value once, uncopied.
        let mut cells = std::mem::take(&mut self.cells).into_iter().peekable();
        while cells.peek().is_some() {
            let mut sql = QueryBuilder::<Sqlite>::new(self.head);
            sql.push(" VALUES ");
            for index in 0..MAX_ROWS_PER_STATEMENT {
                if cells.peek().is_none() {
                    break;
                }
                if index > 0 {
                    sql.push(", ");
                }
                sql.push("(");
                let mut values = sql.separated(", ");
                for cell in cells.by_ref().take(self.columns) {
                    match cell {
                        Cell::Text(text) => values.push_bind(text),
                        Cell::Int(number) => values.push_bind(number),
                    };
                }
                sql.push(")");
            }
            if let Some(tail) = &self.tail {
                sql.push(tail);
            }
            sql.build().persistent(true).execute(&mut *tx).await?;
        }
        Ok(())
    }
}

/// The history rows that accompany a bulk write; the outbox and the search index follow them
/// by trigger, as they do for single writes.
pub(crate) struct Companions {
    history: Rows,
}

impl Companions {
    pub fn new() -> Self {
        Self {
            history: Rows::new(
                "INSERT INTO history (entity, entity_id, kind, field, old_value, new_value, actor_id, at, source, scope, hlc)",
                11,
            ),
        }
    }

    /// The create entry (and operation) of one record.
    pub fn created(
        &mut self,
        w: &Write<'_>,
        scope: Scope,
        entity: EntityKind,
        id: Uuid,
        record: String,
        at: &str,
    ) -> Result<()> {
        self.history.push([
            entity.as_str().into(),
            id.to_string().into(),
            "created".into(),
            Cell::Text(None),
            Cell::Text(None),
            record.into(),
            w.ctx.actor.to_string().into(),
            at.into(),
            w.ctx.source.as_str().into(),
            codec::json(&scope)?.into(),
            w.hlc().into(),
        ]);
        Ok(())
    }

    pub async fn flush(&mut self, tx: &mut sqlx::SqliteConnection) -> Result<()> {
        self.history.flush(tx).await
    }
}

impl Store {
    /// Writes a batch in one transaction. Every record is checked as a single write would be;
    /// one bad record refuses the whole batch and nothing is written.
    pub async fn import(&self, ctx: WriteCtx, batch: &ImportBatch) -> Result<()> {
        check(batch)?;
        let mut w = self.begin(ctx).await?;
        check_references(&mut w, batch).await?;
        let mut extra = Companions::new();
        super::bulk_rows::colleagues(&mut w, &mut extra, &batch.colleagues).await?;
        super::bulk_rows::customers(&mut w, &mut extra, &batch.customers).await?;
        super::bulk_rows::projects(&mut w, &mut extra, &batch.projects).await?;
        super::bulk_rows::tasks(&mut w, &mut extra, &batch.tasks).await?;
        super::bulk_rows::comments(&mut w, &mut extra, &batch.comments).await?;
        extra.flush(&mut w.tx).await?;
        for (records, entity) in [
            (batch.colleagues.len(), EntityKind::Colleague),
            (batch.customers.len(), EntityKind::Customer),
            (batch.projects.len(), EntityKind::Project),
            (batch.tasks.len(), EntityKind::Task),
            (batch.comments.len(), EntityKind::Comment),
        ] {
            if records > 0 {
                w.touch(entity, None);
            }
        }
        w.commit().await
    }
}

fn check(batch: &ImportBatch) -> Result<()> {
    for customer in &batch.customers {
        validate::customer(&customer.fields)?;
    }
    for project in &batch.projects {
        validate::project(&project.fields)?;
    }
    for task in &batch.tasks {
        validate::task(&task.fields)?;
        match task.status {
            TaskStatus::Done if task.outcome.as_deref().is_none_or(|o| o.trim().is_empty()) => {
                return Err(CoreError::OutcomeRequired);
            }
            TaskStatus::Cancelled if task.cancel_reason.as_deref().is_none_or(|r| r.trim().is_empty()) => {
                return Err(CoreError::ReasonRequired);
            }
            _ => {}
        }
    }
    for comment in &batch.comments {
        validate::required("body", &comment.body, validate::TEXT_MAX)?;
        if comment.task_id.is_none() && comment.customer_id.is_none() {
            return Err(CoreError::Invalid {
                field: "target",
                reason: "a comment is on a task or a customer",
            });
        }
    }
    Ok(())
}

/// Every reference must be in the batch or live in the store.
async fn check_references(w: &mut Write<'_>, batch: &ImportBatch) -> Result<()> {
    let colleagues: HashSet<Uuid> = batch.colleagues.iter().map(|c| c.id).collect();
    let customers: HashSet<Uuid> = batch.customers.iter().map(|c| c.id).collect();
    let projects: HashSet<Uuid> = batch.projects.iter().map(|p| p.id).collect();
    let tasks: HashSet<Uuid> = batch.tasks.iter().map(|t| t.id).collect();
    let mut outside_colleagues = HashSet::new();
    let mut outside_customers = HashSet::new();
    let mut outside_projects = HashSet::new();
    let mut outside_tasks = HashSet::new();
    let mut colleague = |id: Uuid| {
        if !colleagues.contains(&id) {
            outside_colleagues.insert(id);
        }
    };
    for customer in &batch.customers {
        customer.fields.account_owner_id.into_iter().for_each(&mut colleague);
    }
    for task in &batch.tasks {
        task.fields.responsible_id.into_iter().for_each(&mut colleague);
        colleague(task.creator_id);
        task.fields.watchers.iter().copied().for_each(&mut colleague);
    }
    for comment in &batch.comments {
        colleague(comment.author_id);
    }
    let customer_refs = batch
        .projects
        .iter()
        .filter_map(|p| p.fields.customer_id)
        .chain(batch.tasks.iter().filter_map(|t| t.fields.customer_id))
        .chain(batch.comments.iter().filter_map(|c| c.customer_id));
    outside_customers.extend(customer_refs.filter(|id| !customers.contains(id)));
    let project_refs = batch
        .projects
        .iter()
        .filter_map(|p| p.fields.parent_id)
        .chain(batch.tasks.iter().filter_map(|t| t.fields.project_id));
    outside_projects.extend(project_refs.filter(|id| !projects.contains(id)));
    outside_tasks.extend(batch.comments.iter().filter_map(|c| c.task_id).filter(|id| !tasks.contains(id)));
    for id in outside_colleagues {
        super::settings::ensure_colleague(w, id, "colleague").await?;
    }
    for id in outside_customers {
        super::customers::load(w, id).await?;
    }
    for id in outside_projects {
        super::projects::load(w, id).await?;
    }
    for id in outside_tasks {
        super::tasks::load(w, id).await?;
    }
    let keywords: HashSet<Uuid> = batch.comments.iter().flat_map(|c| c.keyword_ids.iter().copied()).collect();
    for keyword in keywords {
        super::settings::ensure_keyword(w, keyword).await?;
    }
    Ok(())
}

pub(crate) fn task_cells(task: &Task) -> Result<Vec<Cell>> {
    let c = TaskColumns::of(task)?;
    let f = &task.fields;
    Ok(vec![
        c.id.into(),
        f.title.clone().into(),
        f.description.clone().into(),
        c.customer.into(),
        c.project.into(),
        c.responsible.into(),
        c.creator.into(),
        c.watchers.into(),
        c.status.into(),
        c.priority.into(),
        c.start.into(),
        c.due_date.into(),
        c.due_at.into(),
        c.reminder.into(),
        c.checklist.into(),
        c.attachments.into(),
        task.outcome.clone().into(),
        c.completed_by.into(),
        c.completed_at.into(),
        task.cancel_reason.clone().into(),
        c.recurrence.into(),
        c.created_at.into(),
        c.updated_at.into(),
    ])
}

pub(crate) const TASK_INSERT: &str = "INSERT INTO tasks (id, title, description, customer_id, project_id, responsible_id, \
    creator_id, watchers, status, priority, start_date, due_date, due_at, reminder_at, checklist, attachments, outcome, \
    completed_by, completed_at, cancel_reason, recurrence, created_at, updated_at)";
