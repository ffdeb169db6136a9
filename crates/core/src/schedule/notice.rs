//! What the scheduler decided to say. The shell turns a notice into a desktop notification
//! through a [`Notifier`]; tests observe the same calls.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// N1, C8: the task's own reminder time.
    Reminder,
    /// N1: a timed due is near.
    DueSoon,
    /// T13: today's tasks in the morning; opens Today.
    MorningDigest,
    /// T13, rule 6: what is still open at the end of the day; opens the review.
    EndOfDayReview,
    /// N3: a task given to me by someone else (new or reassigned).
    Assigned,
    /// N2: a task I set or watch was completed.
    Completed,
    /// N3: a new comment on a task I am responsible for or watch.
    Commented,
    /// N2, N3: more news at once than is worth showing one by one (a large sync); opens My tasks.
    NewsBurst,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reminder => "reminder",
            Self::DueSoon => "due_soon",
            Self::MorningDigest => "morning_digest",
            Self::EndOfDayReview => "end_of_day_review",
            Self::Assigned => "assigned",
            Self::Completed => "completed",
            Self::Commented => "commented",
            Self::NewsBurst => "news_burst",
        }
    }
}

/// Where a click on the notice leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoticeTarget {
    Task { id: Uuid },
    Today,
    Review,
    MyTasks,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Notice {
    /// The event it is about; the ledger's key, so it is shown once.
    pub key: String,
    pub kind: NoticeKind,
    pub target: NoticeTarget,
    pub task_title: Option<String>,
    /// Who did it (assigned, completed, commented).
    pub actor_name: Option<String>,
    /// The instant it is about (reminder, due).
    pub at: Option<DateTime<Utc>>,
    /// Digest: due today; review: still open; a burst: how many pieces of news.
    pub count: u32,
    /// Digest: overdue.
    pub overdue: u32,
}

/// Delivers notices (a desktop notification in the app; a recording in tests).
pub trait Notifier: Send + Sync {
    fn deliver(&self, notice: &Notice);
}
