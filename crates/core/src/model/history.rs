use chrono::{DateTime, Utc};
use duly_protocol::EntityKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who caused a write. Every change event and history entry carries it, so a window can tell
/// its own writes from those that arrived by sync or came from the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Window,
    Sync,
    Scheduler,
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Window => "window",
            Self::Sync => "sync",
            Self::Scheduler => "scheduler",
            Self::Import => "import",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "window" => Self::Window,
            "sync" => Self::Sync,
            "scheduler" => Self::Scheduler,
            "import" => Self::Import,
            _ => return None,
        })
    }
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    /// `new_value` holds the whole initial record.
    Created,
    /// One field went from `old_value` to `new_value`.
    Changed,
    Deleted,
    Restored,
}

/// T11: one entry of an entity's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct HistoryEntry {
    pub seq: i64,
    pub entity: EntityKind,
    pub entity_id: Uuid,
    pub kind: HistoryKind,
    pub field: Option<String>,
    pub old_value: Option<serde_json::Value>,
    pub new_value: Option<serde_json::Value>,
    pub actor_id: Uuid,
    pub at: DateTime<Utc>,
    pub source: Source,
}

/// Announced on every committed write. `id` is `None` for a bulk write of many records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ChangeEvent {
    pub entity: EntityKind,
    pub id: Option<Uuid>,
    pub source: Source,
}

/// The author of a write and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteCtx {
    pub actor: Uuid,
    pub source: Source,
}

impl WriteCtx {
    pub fn window(actor: Uuid) -> Self {
        Self { actor, source: Source::Window }
    }
}
