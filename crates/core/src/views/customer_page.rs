//! C12: one page with everything about a customer, its communication as one timeline.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{TaskSummary, Viewer};
use crate::error::Result;
use crate::model::{Comment, Customer, CustomerStatus, Project, TaskStatus};
use crate::store::{CommentRow, Store, codec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CustomerPage {
    pub customer: Customer,
    pub status: Option<CustomerStatus>,
    /// Parents before their children.
    pub projects: Vec<Project>,
    pub tasks: Vec<TaskSummary>,
    /// Newest first.
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineEntry {
    Comment {
        at: DateTime<Utc>,
        comment: Comment,
        task_title: Option<String>,
    },
    StatusChanged {
        at: DateTime<Utc>,
        by: Uuid,
        from: Option<Uuid>,
        to: Option<Uuid>,
    },
    TaskFinished {
        at: DateTime<Utc>,
        by: Option<Uuid>,
        task_id: Uuid,
        title: String,
        status: TaskStatus,
        outcome: Option<String>,
    },
}

impl TimelineEntry {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Comment { at, .. } | Self::StatusChanged { at, .. } | Self::TaskFinished { at, .. } => *at,
        }
    }
}

impl Store {
    /// The customer page; the timeline holds the newest `timeline_limit` comments together
    /// with every status change and finished task in the same span.
    pub async fn customer_page(
        &self,
        viewer: &Viewer,
        id: Uuid,
        timeline_limit: u32,
    ) -> Result<CustomerPage> {
        let customer = self.customer(id).await?;
        let status = match customer.fields.status_id {
            Some(status) => self.customer_statuses().await?.into_iter().find(|s| s.id == status),
            None => None,
        };
        let projects = self.projects(Some(id)).await?;
        let tasks = self.by_customer(viewer, id).await?;
        let key = id.to_string();
        let limit = i64::from(timeline_limit);
        let comments = sqlx::query_as!(
            CommentRow,
            "SELECT id, task_id, customer_id, author_id, body, keywords, task_status_change,
                    customer_status_change, attachments, system, created_at
             FROM comments WHERE customer_id = ? AND deleted_at IS NULL
             ORDER BY created_at DESC LIMIT ?",
            key,
            limit
        )
        .fetch_all(self.reader())
        .await?;
        let full = comments.len() as i64 == limit;
        let titles: HashMap<Uuid, &str> = tasks.iter().map(|t| (t.id, t.title.as_str())).collect();
        let mut timeline = Vec::with_capacity(comments.len() + tasks.len());
        for row in comments {
            let comment = row.into_comment()?;
            let task_title = comment.task_id.and_then(|t| titles.get(&t)).map(|t| (*t).to_owned());
            timeline.push(TimelineEntry::Comment { at: comment.created_at, comment, task_title });
        }
        let changes = sqlx::query!(
            "SELECT old_value, new_value, actor_id, at FROM history
             WHERE entity_id = ? AND field = 'status_id' ORDER BY seq",
            key
        )
        .fetch_all(self.reader())
        .await?;
        for r in changes {
            let from = r.old_value.as_deref().map(codec::from_json::<Option<Uuid>>).transpose()?.flatten();
            let to = r.new_value.as_deref().map(codec::from_json::<Option<Uuid>>).transpose()?.flatten();
            timeline.push(TimelineEntry::StatusChanged {
                at: codec::parse_ts(&r.at)?,
                by: codec::id(&r.actor_id)?,
                from,
                to,
            });
        }
        let finished = sqlx::query!(
            r#"SELECT id, title, status, completed_by, completed_at AS "completed_at!: String",
                      COALESCE(outcome, cancel_reason) AS "outcome?: String"
               FROM tasks WHERE customer_id = ? AND completed_at IS NOT NULL AND deleted_at IS NULL"#,
            key
        )
        .fetch_all(self.reader())
        .await?;
        for r in finished {
            timeline.push(TimelineEntry::TaskFinished {
                at: codec::parse_ts(&r.completed_at)?,
                by: codec::opt_id(r.completed_by.as_deref())?,
                task_id: codec::id(&r.id)?,
                title: r.title,
                status: codec::word(&r.status, TaskStatus::parse)?,
                outcome: r.outcome,
            });
        }
        timeline.sort_by_key(|entry| std::cmp::Reverse(entry.at()));
        if full {
            // Older status changes and completions belong to pages the comments have not reached.
            let oldest = timeline
                .iter()
                .filter(|e| matches!(e, TimelineEntry::Comment { .. }))
                .map(TimelineEntry::at)
                .min();
            if let Some(oldest) = oldest {
                timeline.retain(|e| e.at() >= oldest);
            }
        }
        Ok(CustomerPage { customer, status, projects, tasks, timeline })
    }
}
