//! Nothing a user deletes is destroyed: it goes to the trash with everything under it, as one
//! batch that can be restored together. Deletion and restoration are in history.

use chrono::{DateTime, Utc};
use duly_protocol::EntityKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::write::scope_of;
use super::{Store, Write, codec};
use crate::error::{CoreError, Result};
use crate::model::{WriteCtx, new_id};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TrashItem {
    pub batch: Uuid,
    pub entity: EntityKind,
    pub id: Uuid,
    pub title: String,
    pub deleted_at: DateTime<Utc>,
}

struct Trashed {
    entity: EntityKind,
    id: String,
    customer: Option<String>,
}

impl Store {
    /// Trashes a customer with its projects, tasks and comments. Returns the batch id.
    pub async fn delete_customer(&self, ctx: WriteCtx, id: Uuid) -> Result<Uuid> {
        let mut w = self.begin(ctx).await?;
        super::customers::load(&mut w, id).await?;
        let key = id.to_string();
        let mut items =
            vec![Trashed { entity: EntityKind::Customer, id: key.clone(), customer: Some(key.clone()) }];
        for project in
            sqlx::query_scalar!("SELECT id FROM projects WHERE customer_id = ? AND deleted_at IS NULL", key)
                .fetch_all(&mut *w.tx)
                .await?
        {
            items.push(Trashed { entity: EntityKind::Project, id: project, customer: Some(key.clone()) });
        }
        for task in
            sqlx::query_scalar!("SELECT id FROM tasks WHERE customer_id = ? AND deleted_at IS NULL", key)
                .fetch_all(&mut *w.tx)
                .await?
        {
            items.push(Trashed { entity: EntityKind::Task, id: task, customer: Some(key.clone()) });
        }
        for comment in
            sqlx::query_scalar!("SELECT id FROM comments WHERE customer_id = ? AND deleted_at IS NULL", key)
                .fetch_all(&mut *w.tx)
                .await?
        {
            items.push(Trashed { entity: EntityKind::Comment, id: comment, customer: Some(key.clone()) });
        }
        trash(w, items).await
    }

    /// Trashes a project with its sub-projects, their tasks and the tasks' comments.
    pub async fn delete_project(&self, ctx: WriteCtx, id: Uuid) -> Result<Uuid> {
        let mut w = self.begin(ctx).await?;
        let project = super::projects::load(&mut w, id).await?;
        let customer = project.fields.customer_id.map(|c| c.to_string());
        let key = id.to_string();
        let subtree = sqlx::query_scalar!(
            r#"WITH RECURSIVE sub(id) AS (
                   SELECT ? UNION SELECT p.id FROM projects p JOIN sub ON p.parent_id = sub.id
                   WHERE p.deleted_at IS NULL)
               SELECT id AS "id!: String" FROM sub"#,
            key
        )
        .fetch_all(&mut *w.tx)
        .await?;
        let mut items = Vec::new();
        for project in subtree {
            for task in sqlx::query_scalar!(
                "SELECT id FROM tasks WHERE project_id = ? AND deleted_at IS NULL",
                project
            )
            .fetch_all(&mut *w.tx)
            .await?
            {
                task_with_comments(&mut w, task, customer.clone(), &mut items).await?;
            }
            items.push(Trashed { entity: EntityKind::Project, id: project, customer: customer.clone() });
        }
        trash(w, items).await
    }

    /// Trashes a task with its comments.
    pub async fn delete_task(&self, ctx: WriteCtx, id: Uuid) -> Result<Uuid> {
        let mut w = self.begin(ctx).await?;
        let task = super::tasks::load(&mut w, id).await?;
        let mut items = Vec::new();
        let customer = task.fields.customer_id.map(|c| c.to_string());
        task_with_comments(&mut w, id.to_string(), customer, &mut items).await?;
        trash(w, items).await
    }

    pub async fn delete_comment(&self, ctx: WriteCtx, id: Uuid) -> Result<Uuid> {
        let mut w = self.begin(ctx).await?;
        let key = id.to_string();
        let row = sqlx::query!("SELECT customer_id, deleted_at FROM comments WHERE id = ?", key)
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or(CoreError::NotFound { entity: "comment", id })?;
        if row.deleted_at.is_some() {
            return Err(CoreError::Deleted { entity: "comment", id });
        }
        trash(w, vec![Trashed { entity: EntityKind::Comment, id: key, customer: row.customer_id }]).await
    }

    /// Everything in the trash, newest first.
    pub async fn trash(&self) -> Result<Vec<TrashItem>> {
        let rows = sqlx::query!(
            r#"SELECT 'customer' AS "entity!: String", id, name AS title, trash_batch AS "batch!: String",
                      deleted_at AS "deleted_at!: String" FROM customers WHERE deleted_at IS NOT NULL
               UNION ALL SELECT 'project', id, name, trash_batch, deleted_at FROM projects WHERE deleted_at IS NOT NULL
               UNION ALL SELECT 'task', id, title, trash_batch, deleted_at FROM tasks WHERE deleted_at IS NOT NULL
               UNION ALL SELECT 'comment', id, substr(body, 1, 80), trash_batch, deleted_at FROM comments
                   WHERE deleted_at IS NOT NULL
               ORDER BY 5 DESC"#
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(TrashItem {
                    batch: codec::id(&r.batch)?,
                    entity: super::history::entity_kind(&r.entity)?,
                    id: codec::id(&r.id)?,
                    title: r.title,
                    deleted_at: codec::parse_ts(&r.deleted_at)?,
                })
            })
            .collect()
    }

    /// Brings a whole batch back. Refused while what it belongs to is itself in the trash.
    pub async fn restore(&self, ctx: WriteCtx, batch: Uuid) -> Result<()> {
        let mut w = self.begin(ctx).await?;
        let key = batch.to_string();
        let customers = sqlx::query_scalar!(
            "UPDATE customers SET deleted_at = NULL, trash_batch = NULL WHERE trash_batch = ? RETURNING id",
            key
        )
        .fetch_all(&mut *w.tx)
        .await?;
        let projects = sqlx::query_scalar!(
            "UPDATE projects SET deleted_at = NULL, trash_batch = NULL WHERE trash_batch = ? RETURNING id",
            key
        )
        .fetch_all(&mut *w.tx)
        .await?;
        let tasks = sqlx::query_scalar!(
            "UPDATE tasks SET deleted_at = NULL, trash_batch = NULL WHERE trash_batch = ? RETURNING id",
            key
        )
        .fetch_all(&mut *w.tx)
        .await?;
        let comments = sqlx::query_scalar!(
            "UPDATE comments SET deleted_at = NULL, trash_batch = NULL WHERE trash_batch = ? RETURNING id",
            key
        )
        .fetch_all(&mut *w.tx)
        .await?;
        if customers.is_empty() && projects.is_empty() && tasks.is_empty() && comments.is_empty() {
            return Err(CoreError::NotFound { entity: "trash_batch", id: batch });
        }
        for id in customers {
            let customer = super::customers::load(&mut w, codec::id(&id)?).await?;
            w.restored(scope_of(Some(customer.id)), EntityKind::Customer, customer.id)?;
        }
        for id in projects {
            let project = super::projects::load(&mut w, codec::id(&id)?).await?;
            if let Some(customer) = project.fields.customer_id {
                super::customers::load(&mut w, customer).await?;
            }
            w.restored(scope_of(project.fields.customer_id), EntityKind::Project, project.id)?;
        }
        for id in tasks {
            // Loading checks that the task's customer and project are live again too.
            let task = super::tasks::load(&mut w, codec::id(&id)?).await?;
            if let Some(customer) = task.fields.customer_id {
                super::customers::load(&mut w, customer).await?;
            }
            if let Some(project) = task.fields.project_id {
                super::projects::load(&mut w, project).await?;
            }
            w.restored(scope_of(task.fields.customer_id), EntityKind::Task, task.id)?;
        }
        for id in comments {
            let row = sqlx::query_as!(
                super::comments::CommentRow,
                "SELECT id, task_id, customer_id, author_id, body, keywords, task_status_change,
                        customer_status_change, attachments, system, created_at FROM comments WHERE id = ?",
                id
            )
            .fetch_one(&mut *w.tx)
            .await?;
            let comment = row.into_comment()?;
            if let Some(task) = comment.task_id {
                super::tasks::load(&mut w, task).await?;
            } else if let Some(customer) = comment.customer_id {
                super::customers::load(&mut w, customer).await?;
            }
            w.restored(scope_of(comment.customer_id), EntityKind::Comment, comment.id)?;
        }
        w.commit().await
    }
}

async fn task_with_comments(
    w: &mut Write<'_>,
    task: String,
    customer: Option<String>,
    items: &mut Vec<Trashed>,
) -> Result<()> {
    for comment in
        sqlx::query_scalar!("SELECT id FROM comments WHERE task_id = ? AND deleted_at IS NULL", task)
            .fetch_all(&mut *w.tx)
            .await?
    {
        items.push(Trashed { entity: EntityKind::Comment, id: comment, customer: customer.clone() });
    }
    items.push(Trashed { entity: EntityKind::Task, id: task, customer });
    Ok(())
}

async fn trash(mut w: Write<'_>, items: Vec<Trashed>) -> Result<Uuid> {
    let batch = new_id();
    let (batch_key, now) = (batch.to_string(), w.now_text());
    for item in items {
        let id = item.id.as_str();
        match item.entity {
            EntityKind::Customer => {
                sqlx::query!(
                    "UPDATE customers SET deleted_at = ?, trash_batch = ? WHERE id = ?",
                    now,
                    batch_key,
                    id
                )
                .execute(&mut *w.tx)
                .await?;
            }
            EntityKind::Project => {
                sqlx::query!(
                    "UPDATE projects SET deleted_at = ?, trash_batch = ? WHERE id = ?",
                    now,
                    batch_key,
                    id
                )
                .execute(&mut *w.tx)
                .await?;
            }
            EntityKind::Task => {
                sqlx::query!(
                    "UPDATE tasks SET deleted_at = ?, trash_batch = ? WHERE id = ?",
                    now,
                    batch_key,
                    id
                )
                .execute(&mut *w.tx)
                .await?;
            }
            EntityKind::Comment => {
                sqlx::query!(
                    "UPDATE comments SET deleted_at = ?, trash_batch = ? WHERE id = ?",
                    now,
                    batch_key,
                    id
                )
                .execute(&mut *w.tx)
                .await?;
            }
            other => return Err(CoreError::Internal(format!("{other:?} cannot be trashed"))),
        }
        let uuid = codec::id(id)?;
        let customer = codec::opt_id(item.customer.as_deref())?;
        w.trashed(scope_of(customer), item.entity, uuid, batch)?;
    }
    w.commit().await?;
    Ok(batch)
}
