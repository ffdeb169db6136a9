//! T4, C4, C9: the written thread of a task or a customer. Comments are append-only.

use duly_protocol::EntityKind;
use uuid::Uuid;

use super::write::scope_of;
use super::{Store, Write, codec};
use crate::error::{CoreError, Result};
use crate::model::{Comment, CommentInput, CommentTarget, TaskStatus, WriteCtx, new_id, validate};

#[derive(sqlx::FromRow)]
pub(crate) struct CommentRow {
    pub id: String,
    pub task_id: Option<String>,
    pub customer_id: Option<String>,
    pub author_id: String,
    pub body: String,
    pub keywords: String,
    pub task_status_change: Option<String>,
    pub customer_status_change: Option<String>,
    pub attachments: String,
    pub system: i64,
    pub created_at: String,
}

impl CommentRow {
    pub fn into_comment(self) -> Result<Comment> {
        Ok(Comment {
            id: codec::id(&self.id)?,
            task_id: codec::opt_id(self.task_id.as_deref())?,
            customer_id: codec::opt_id(self.customer_id.as_deref())?,
            author_id: codec::id(&self.author_id)?,
            body: self.body,
            keyword_ids: codec::from_json(&self.keywords)?,
            task_status_change: self
                .task_status_change
                .as_deref()
                .map(|s| codec::word(s, TaskStatus::parse))
                .transpose()?,
            customer_status_change: codec::opt_id(self.customer_status_change.as_deref())?,
            attachments: codec::from_json(&self.attachments)?,
            system: self.system != 0,
            created_at: codec::parse_ts(&self.created_at)?,
        })
    }
}

impl Store {
    /// Adds a comment; its keywords must exist, and a status change it carries follows the
    /// same rules as one made directly. All of it commits together or not at all.
    pub async fn add_comment(&self, ctx: WriteCtx, input: CommentInput) -> Result<Comment> {
        validate::required("body", &input.body, validate::TEXT_MAX)?;
        if input.keyword_ids.len() > validate::LIST_MAX {
            return Err(CoreError::TooLong { field: "keyword_ids", max: validate::LIST_MAX });
        }
        let mut w = self.begin(ctx).await?;
        let (task_id, customer_id) = match input.target {
            CommentTarget::Task(task_id) => {
                let task = super::tasks::load(&mut w, task_id).await?;
                if let Some(change) = &input.task_status_change {
                    super::tasks::change_status(&mut w, &task, change).await?;
                }
                (Some(task_id), task.fields.customer_id)
            }
            CommentTarget::Customer(customer_id) => {
                if input.task_status_change.is_some() {
                    return Err(CoreError::Invalid {
                        field: "task_status_change",
                        reason: "the comment is not on a task",
                    });
                }
                (None, Some(customer_id))
            }
        };
        if let Some(customer_id) = customer_id {
            let customer = super::customers::load(&mut w, customer_id).await?;
            if let Some(status) = input.customer_status_change {
                super::customers::set_status_in(&mut w, &customer, Some(status)).await?;
            }
        } else if input.customer_status_change.is_some() {
            return Err(CoreError::Invalid {
                field: "customer_status_change",
                reason: "the task has no customer",
            });
        }
        let mut keyword_ids = input.keyword_ids.clone();
        keyword_ids.sort();
        keyword_ids.dedup();
        for keyword in &keyword_ids {
            super::settings::ensure_keyword(&mut w, *keyword).await?;
        }
        let comment = Comment {
            id: new_id(),
            task_id,
            customer_id,
            author_id: ctx.actor,
            body: input.body,
            keyword_ids,
            task_status_change: input.task_status_change.map(|c| c.status),
            customer_status_change: input.customer_status_change,
            attachments: input.attachments,
            system: false,
            created_at: w.now,
        };
        insert(&mut w, &comment).await?;
        w.created(scope_of(customer_id), EntityKind::Comment, comment.id, &codec::value(&comment)?)?;
        w.commit().await?;
        Ok(comment)
    }

    /// The thread of a task, oldest first.
    pub async fn task_comments(&self, task_id: Uuid) -> Result<Vec<Comment>> {
        let key = task_id.to_string();
        let rows = sqlx::query_as!(
            CommentRow,
            "SELECT id, task_id, customer_id, author_id, body, keywords, task_status_change,
                    customer_status_change, attachments, system, created_at
             FROM comments WHERE task_id = ? AND deleted_at IS NULL ORDER BY created_at, id",
            key
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(CommentRow::into_comment).collect()
    }
}

pub(crate) async fn insert(w: &mut Write<'_>, comment: &Comment) -> Result<()> {
    let key = comment.id.to_string();
    let task = comment.task_id.map(|t| t.to_string());
    let customer = comment.customer_id.map(|c| c.to_string());
    let author = comment.author_id.to_string();
    let keywords = codec::json(&comment.keyword_ids)?;
    let status_change = comment.task_status_change.map(TaskStatus::as_str);
    let customer_status = comment.customer_status_change.map(|s| s.to_string());
    let attachments = codec::json(&comment.attachments)?;
    let at = codec::ts(comment.created_at);
    sqlx::query!(
        "INSERT INTO comments (id, task_id, customer_id, author_id, body, keywords, task_status_change,
            customer_status_change, attachments, system, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        key,
        task,
        customer,
        author,
        comment.body,
        keywords,
        status_change,
        customer_status,
        attachments,
        comment.system,
        at
    )
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// A task moved to another customer (H5): its comments move with it, here and, as a create
/// of each in the scope the task joins, for the readers there. Trashed ones go too, so a
/// restore finds them where their task is.
pub(crate) async fn follow_task(w: &mut Write<'_>, task_id: Uuid, customer_id: Option<Uuid>) -> Result<()> {
    let (task, customer) = (task_id.to_string(), customer_id.map(|c| c.to_string()));
    sqlx::query!("UPDATE comments SET customer_id = ? WHERE task_id = ?", customer, task)
        .execute(&mut *w.tx)
        .await?;
    let rows = sqlx::query_as!(
        CommentRow,
        "SELECT id, task_id, customer_id, author_id, body, keywords, task_status_change,
                customer_status_change, attachments, system, created_at
         FROM comments WHERE task_id = ? ORDER BY created_at, id",
        task
    )
    .fetch_all(&mut *w.tx)
    .await?;
    // A comment in the trash goes there in the new scope too: its readers there see what
    // everyone else sees (the server refuses a move whose trash does not agree with its log).
    let trashed = sqlx::query!(
        r#"SELECT id AS "id!: String", trash_batch FROM comments WHERE task_id = ? AND deleted_at IS NOT NULL"#,
        task
    )
    .fetch_all(&mut *w.tx)
    .await?;
    let trashed: std::collections::HashMap<String, Option<String>> =
        trashed.into_iter().map(|row| (row.id, row.trash_batch)).collect();
    for row in rows {
        let comment = row.into_comment()?;
        let scope = scope_of(customer_id);
        w.created(scope, EntityKind::Comment, comment.id, &codec::value(&comment)?)?;
        if let Some(batch) = trashed.get(&comment.id.to_string()) {
            let batch = batch.as_deref().map(codec::id).transpose()?.unwrap_or_else(new_id);
            w.trashed(scope, EntityKind::Comment, comment.id, batch)?;
        }
    }
    Ok(())
}

/// A comment as stored, trashed or not, with whether it is in the trash (for the sync merge).
pub(crate) async fn stored(conn: &mut sqlx::SqliteConnection, id: Uuid) -> Result<Option<(Comment, bool)>> {
    let key = id.to_string();
    #[derive(sqlx::FromRow)]
    struct Stored {
        #[sqlx(flatten)]
        row: CommentRow,
        deleted_at: Option<String>,
    }
    let row: Option<Stored> = sqlx::query_as(
        "SELECT id, task_id, customer_id, author_id, body, keywords, task_status_change,
                customer_status_change, attachments, system, created_at, deleted_at
         FROM comments WHERE id = ?",
    )
    .bind(key)
    .fetch_optional(conn)
    .await?;
    let Some(Stored { row, deleted_at }) = row else { return Ok(None) };
    Ok(Some((row.into_comment()?, deleted_at.is_some())))
}
