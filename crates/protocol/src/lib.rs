//! Wire types shared by the Duly sync client (in `duly-core`) and the server.
//!
//! The outbox of a local store holds [`Operation`]s exactly as they will be pushed, so the
//! format written today is the format the server reads. No IO lives here.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod api;
pub mod limits;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod permissions;
pub mod stamp;

pub use api::*;

/// Sent as the `Duly-Protocol` header; a server refuses versions it does not know.
pub const PROTOCOL_VERSION: u32 = 1;
pub const PROTOCOL_HEADER: &str = "duly-protocol";

/// The most operations one push carries; a longer outbox goes in several pushes.
pub const MAX_PUSH_OPS: usize = 500;
/// The most bytes of operations a client puts in one push (the server's body limit is larger).
pub const MAX_PUSH_BYTES: usize = 512 * 1024;

/// Identifies an operation across every replica: the client that made it and its sequence
/// number there. The server keeps `UNIQUE(client_id, client_seq)`, which makes push idempotent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpId {
    pub client_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::client_seq))]
    pub client_seq: i64,
}

/// What a scope is shared as. A customer scope carries the customer with its projects, tasks,
/// comments and attachments; internal work lives in the team scope; personal tasks in the
/// owner's private scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    Customer(Uuid),
    Team,
    Private(Uuid),
    /// Company settings: statuses, keywords, colleagues, the working calendar.
    Settings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Colleague,
    Customer,
    CustomerStatus,
    Project,
    Task,
    Comment,
    Keyword,
    TaskStatusLabel,
    /// The company's working-day changes: one record, a field per day.
    WorkCalendar,
}

impl EntityKind {
    /// Lives in the settings scope: the company's lists and calendar, its colleagues.
    pub fn is_setting(self) -> bool {
        matches!(
            self,
            Self::Colleague
                | Self::CustomerStatus
                | Self::Keyword
                | Self::TaskStatusLabel
                | Self::WorkCalendar
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Colleague => "colleague",
            Self::Customer => "customer",
            Self::CustomerStatus => "customer_status",
            Self::Project => "project",
            Self::Task => "task",
            Self::Comment => "comment",
            Self::Keyword => "keyword",
            Self::TaskStatusLabel => "task_status_label",
            Self::WorkCalendar => "work_calendar",
        }
    }
}

/// The shape of a change. Merge rules (DESIGN.md, Sync): `Set` is last-writer-wins per field
/// by HLC; `Delete` wins over a concurrent `Set`; `Create` of an append-only entity (comments)
/// is never overwritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// The whole initial record in `value`; `field` is absent.
    Create,
    /// One field set to `value`.
    Set,
    /// Moved to the trash; `value` holds the trash batch id.
    Delete,
    /// Brought back from the trash.
    Restore,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Operation {
    pub op_id: OpId,
    pub scope: Scope,
    pub entity: EntityKind,
    pub entity_id: Uuid,
    pub kind: OpKind,
    /// The field a `Set` changes: required there, not empty, and never an identity field (`id`,
    /// `author_id`, `creator_id`, `created_by`, `created_at`, `system`); no NUL in it, for any
    /// kind. Else the op is rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[^\\u0000]*$"))]
    pub field: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::op_value))]
    pub value: serde_json::Value,
    /// Hybrid logical clock timestamp (uhlc's text form), the merge order of concurrent writes.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::hlc))]
    pub hlc: String,
    /// For a `Set`: the stamp of the value the writer replaced. A receiver whose current
    /// stamp differs knows the two edits were concurrent and keeps the loser visible. No NUL
    /// in it, else the op is rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[^\\u0000]*$"))]
    pub base: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_round_trips_through_json_with_snake_case_tags() {
        let op = Operation {
            op_id: OpId { client_id: Uuid::nil(), client_seq: 7 },
            scope: Scope::Customer(Uuid::nil()),
            entity: EntityKind::CustomerStatus,
            entity_id: Uuid::nil(),
            kind: OpKind::Set,
            field: Some("name".into()),
            value: serde_json::json!("Ajánlat"),
            hlc: "1/1".into(),
            base: None,
        };
        let text = serde_json::to_string(&op).expect("serialize");
        assert!(text.contains(r#""entity":"customer_status""#), "{text}");
        assert!(text.contains(r#""scope":{"kind":"customer""#), "{text}");
        let back: Operation = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, op);
    }

    #[test]
    fn create_omits_field() {
        let op = Operation {
            op_id: OpId { client_id: Uuid::nil(), client_seq: 1 },
            scope: Scope::Team,
            entity: EntityKind::Task,
            entity_id: Uuid::nil(),
            kind: OpKind::Create,
            field: None,
            value: serde_json::json!({"title": "x"}),
            hlc: "1/1".into(),
            base: None,
        };
        let text = serde_json::to_string(&op).expect("serialize");
        assert!(!text.contains("field"), "{text}");
    }
}
