use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Recurrence;

/// T3: the meaning of each status is fixed; its label is the company's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    InProgress,
    Waiting,
    Done,
    Cancelled,
}

impl TaskStatus {
    pub const ALL: [Self; 5] = [Self::Open, Self::InProgress, Self::Waiting, Self::Done, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InProgress => "in_progress",
            Self::Waiting => "waiting",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_open(self) -> bool {
        matches!(self, Self::Open | Self::InProgress | Self::Waiting)
    }

    /// The lifecycle: open work moves freely between the open states and can be finished;
    /// finished work can only be reopened.
    pub fn can_become(self, next: Self) -> bool {
        if self == next {
            return false;
        }
        if self.is_open() {
            return true;
        }
        next == Self::Open
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Low, Self::Normal, Self::High, Self::Urgent].into_iter().find(|p| p.as_str() == text)
    }
}

/// T6: a task is due on a day, or at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    Day(NaiveDate),
    At(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ChecklistItem {
    pub text: String,
    #[serde(default)]
    pub done: bool,
}

/// T8: metadata of a content-addressed file; the blob itself travels with sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AttachmentMeta {
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
}

/// The fields of a task a person edits. Status and completion have their own write
/// ([`StatusChange`]) because they carry rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TaskInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub customer_id: Option<Uuid>,
    #[serde(default)]
    pub project_id: Option<Uuid>,
    /// Required (T2); `Option` only so that a missing one is a typed refusal, not a parse error.
    pub responsible_id: Option<Uuid>,
    #[serde(default)]
    pub watchers: Vec<Uuid>,
    pub priority: Priority,
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    #[serde(default)]
    pub due: Option<Due>,
    #[serde(default)]
    pub reminder_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub checklist: Vec<ChecklistItem>,
    #[serde(default)]
    pub attachments: Vec<AttachmentMeta>,
    /// T9: how the task repeats; needs a due date.
    #[serde(default, deserialize_with = "super::recurrence::lenient")]
    pub recurrence: Option<Recurrence>,
}

impl TaskInput {
    pub fn new(title: impl Into<String>, responsible_id: Uuid) -> Self {
        Self {
            title: title.into(),
            description: String::new(),
            customer_id: None,
            project_id: None,
            responsible_id: Some(responsible_id),
            watchers: Vec::new(),
            priority: Priority::Normal,
            start_date: None,
            due: None,
            reminder_at: None,
            checklist: Vec::new(),
            attachments: Vec::new(),
            recurrence: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Task {
    pub id: Uuid,
    #[serde(flatten)]
    pub fields: TaskInput,
    pub creator_id: Uuid,
    pub status: TaskStatus,
    /// T10: what came of it.
    pub outcome: Option<String>,
    pub completed_by: Option<Uuid>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Task {
    /// A new task as its creator writes it: open, nothing completed yet.
    pub fn open(id: Uuid, fields: TaskInput, creator_id: Uuid, at: DateTime<Utc>) -> Self {
        Self {
            id,
            fields,
            creator_id,
            status: TaskStatus::Open,
            outcome: None,
            completed_by: None,
            completed_at: None,
            cancel_reason: None,
            created_at: at,
            updated_at: at,
        }
    }
}

/// A move in the lifecycle. Done needs an outcome, cancelled a reason (T10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct StatusChange {
    pub status: TaskStatus,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}
