//! Writes what a merge decided: whole rows for changed records (upserts, in reference order),
//! trash flags, history entries with source "sync", lost edits and parked operations.

use std::collections::{HashMap, HashSet};

use duly_protocol::EntityKind;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use super::apply::Effects;
use super::replica::{Replica, label_status};
use crate::error::{CoreError, Result};
use crate::model::{Colleague, Comment, Customer, CustomerStatus, Keyword, Project, Task};
use crate::store::bulk::{Cell, Rows, TASK_INSERT, task_cells};
use crate::store::bulk_rows::{
    COLLEAGUE_INSERT, COMMENT_INSERT, CUSTOMER_INSERT, KEYWORD_INSERT, PROJECT_INSERT, STATUS_INSERT,
    colleague_cells, comment_cells, customer_cells, keyword_cells, project_cells, status_cells,
};
use crate::store::{Write, codec};

fn model<T: DeserializeOwned>(replica: &Replica) -> Result<T> {
    serde_json::from_value(Value::Object(replica.record.clone())).map_err(|e| {
        CoreError::Internal(format!("a remote {} record does not fit: {e}", replica.entity.as_str()))
    })
}

/// Whole records to write besides the merged ones: entities a snapshot brings that need no
/// merge (one create each), already in their model.
#[derive(Debug, Default)]
pub(crate) struct NewRecords {
    pub customers: Vec<Customer>,
    pub projects: Vec<Project>,
    pub tasks: Vec<Task>,
    pub comments: Vec<Comment>,
}

pub(crate) async fn records(w: &mut Write<'_>, replicas: &HashMap<Uuid, Replica>) -> Result<()> {
    records_with(w, replicas, NewRecords::default()).await
}

/// Writes the changed records of `replicas` and the `new` ones, kind by kind in reference
/// order, so every row's references exist when its statement ends.
pub(crate) async fn records_with(
    w: &mut Write<'_>,
    replicas: &HashMap<Uuid, Replica>,
    new: NewRecords,
) -> Result<()> {
    let dirty = |kind: EntityKind| replicas.values().filter(move |r| r.record_dirty && r.entity == kind);
    let mut rows = Rows::upsert(COLLEAGUE_INSERT, 7);
    for r in dirty(EntityKind::Colleague) {
        rows.push(colleague_cells(&model::<Colleague>(r)?)?);
    }
    rows.flush(&mut w.tx).await?;
    let mut rows = Rows::upsert(STATUS_INSERT, 5);
    for r in dirty(EntityKind::CustomerStatus) {
        rows.push(status_cells(&model::<CustomerStatus>(r)?)?);
    }
    rows.flush(&mut w.tx).await?;
    let mut rows = Rows::upsert(KEYWORD_INSERT, 2);
    for r in dirty(EntityKind::Keyword) {
        rows.push(keyword_cells(&model::<Keyword>(r)?));
    }
    rows.flush(&mut w.tx).await?;
    let mut rows = Rows::upsert(CUSTOMER_INSERT, 15);
    for customer in &new.customers {
        rows.push(customer_cells(customer)?);
    }
    for r in dirty(EntityKind::Customer) {
        rows.push(customer_cells(&model::<Customer>(r)?)?);
    }
    rows.flush(&mut w.tx).await?;
    // Parents before children, so each row's reference exists when it is written.
    let mut projects: Vec<Project> =
        dirty(EntityKind::Project).map(model::<Project>).collect::<Result<_>>()?;
    projects.extend(new.projects);
    while !projects.is_empty() {
        let pending: HashSet<Uuid> = projects.iter().map(|p| p.id).collect();
        let (ready, waiting): (Vec<Project>, Vec<Project>) = projects
            .into_iter()
            .partition(|p| p.fields.parent_id.is_none_or(|parent| !pending.contains(&parent)));
        if ready.is_empty() {
            return Err(CoreError::Internal("remote projects form a cycle".into()));
        }
        let mut rows = Rows::upsert(PROJECT_INSERT, 8);
        for p in &ready {
            rows.push(project_cells(p)?);
        }
        rows.flush(&mut w.tx).await?;
        projects = waiting;
    }
    let mut rows = Rows::upsert(TASK_INSERT, 23);
    for task in &new.tasks {
        rows.push(task_cells(task)?);
    }
    for r in dirty(EntityKind::Task) {
        rows.push(task_cells(&model::<Task>(r)?)?);
    }
    rows.flush(&mut w.tx).await?;
    let mut rows = Rows::upsert(COMMENT_INSERT, 11);
    for comment in &new.comments {
        rows.push(comment_cells(comment)?);
    }
    for r in dirty(EntityKind::Comment) {
        rows.push(comment_cells(&model::<Comment>(r)?)?);
    }
    rows.flush(&mut w.tx).await?;
    for (id, r) in replicas.iter().filter(|(_, r)| r.record_dirty && r.entity == EntityKind::TaskStatusLabel)
    {
        let (Some(status), Some(label)) = (label_status(*id), r.record.get("label").and_then(Value::as_str))
        else {
            continue;
        };
        sqlx::query!("UPDATE task_status_labels SET label = ? WHERE status = ?", label, status)
            .execute(&mut *w.tx)
            .await?;
    }
    for r in replicas.values().filter(|r| r.record_dirty && r.entity == EntityKind::WorkCalendar) {
        crate::store::calendar::write_record(&mut w.tx, &r.record).await?;
    }
    trash(w, replicas).await
}

async fn trash(w: &mut Write<'_>, replicas: &HashMap<Uuid, Replica>) -> Result<()> {
    let now = w.now_text();
    for (id, r) in replicas.iter().filter(|(_, r)| r.trash_dirty) {
        let key = id.to_string();
        let at = r.deleted.then(|| now.clone());
        let batch = if r.deleted { r.batch.clone() } else { None };
        match r.entity {
            EntityKind::Customer => sqlx::query!(
                "UPDATE customers SET deleted_at = ?, trash_batch = ? WHERE id = ?",
                at,
                batch,
                key
            ),
            EntityKind::Project => sqlx::query!(
                "UPDATE projects SET deleted_at = ?, trash_batch = ? WHERE id = ?",
                at,
                batch,
                key
            ),
            EntityKind::Task => {
                sqlx::query!("UPDATE tasks SET deleted_at = ?, trash_batch = ? WHERE id = ?", at, batch, key)
            }
            EntityKind::Comment => sqlx::query!(
                "UPDATE comments SET deleted_at = ?, trash_batch = ? WHERE id = ?",
                at,
                batch,
                key
            ),
            EntityKind::CustomerStatus => {
                sqlx::query!("UPDATE customer_statuses SET deleted_at = ? WHERE id = ?", at, key)
            }
            EntityKind::Keyword => sqlx::query!("UPDATE keywords SET deleted_at = ? WHERE id = ?", at, key),
            EntityKind::Colleague | EntityKind::TaskStatusLabel | EntityKind::WorkCalendar => continue,
        }
        .execute(&mut *w.tx)
        .await?;
    }
    Ok(())
}

pub(crate) async fn effects(w: &mut Write<'_>, effects: &Effects) -> Result<()> {
    let at = w.now_text();
    let mut rows = Rows::new(
        "INSERT INTO history (entity, entity_id, kind, field, old_value, new_value, actor_id, at, source, scope, hlc)",
        11,
    );
    for h in &effects.history {
        rows.push([
            h.entity.as_str().into(),
            h.id.to_string().into(),
            h.kind.into(),
            h.field.clone().into(),
            h.old.as_ref().map(codec::json).transpose()?.into(),
            h.new.as_ref().map(codec::json).transpose()?.into(),
            h.actor.to_string().into(),
            at.clone().into(),
            "sync".into(),
            codec::json(&h.scope)?.into(),
            h.hlc.clone().into(),
        ]);
    }
    rows.flush(&mut w.tx).await?;
    let mut rows = Rows::new(
        "INSERT OR IGNORE INTO conflicts (entity, entity_id, field, lost_value, lost_actor, lost_hlc, kept_value, \
         kept_actor, kept_hlc, recorded_at)",
        10,
    );
    for c in &effects.conflicts {
        rows.push([
            c.entity.as_str().into(),
            c.id.to_string().into(),
            c.field.clone().into(),
            codec::json(&c.lost.0)?.into(),
            c.lost.2.clone().into(),
            c.lost.1.clone().into(),
            codec::json(&c.kept.0)?.into(),
            c.kept.2.clone().into(),
            c.kept.1.clone().into(),
            at.clone().into(),
        ]);
    }
    rows.flush(&mut w.tx).await?;
    let mut rows = Rows::new("INSERT OR IGNORE INTO parked_ops (seq, entity_id, operation)", 3);
    for logged in &effects.parked {
        rows.push([
            Cell::Int(logged.seq),
            logged.op.entity_id.to_string().into(),
            codec::json(logged)?.into(),
        ]);
    }
    rows.flush(&mut w.tx).await
}
