use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{AttachmentMeta, StatusChange};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum CommentTarget {
    Task(Uuid),
    Customer(Uuid),
}

/// T4, C4, C9: a comment can carry keywords and set the task's and the customer's status in
/// the same write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CommentInput {
    pub target: CommentTarget,
    pub body: String,
    #[serde(default)]
    pub keyword_ids: Vec<Uuid>,
    #[serde(default)]
    pub task_status_change: Option<StatusChange>,
    #[serde(default)]
    pub customer_status_change: Option<Uuid>,
    #[serde(default)]
    pub attachments: Vec<AttachmentMeta>,
}

impl CommentInput {
    pub fn on(target: CommentTarget, body: impl Into<String>) -> Self {
        Self {
            target,
            body: body.into(),
            keyword_ids: Vec::new(),
            task_status_change: None,
            customer_status_change: None,
            attachments: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Comment {
    pub id: Uuid,
    pub task_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub author_id: Uuid,
    pub body: String,
    pub keyword_ids: Vec<Uuid>,
    pub task_status_change: Option<super::TaskStatus>,
    pub customer_status_change: Option<Uuid>,
    pub attachments: Vec<AttachmentMeta>,
    /// Written by Duly itself (e.g. an edit that lost a concurrent merge), not by a person.
    pub system: bool,
    pub created_at: DateTime<Utc>,
}
