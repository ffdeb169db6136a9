//! C5: full-text search over customers, tasks and comments, with filters.
//!
//! Text goes through SQLite FTS5 with `remove_diacritics 2`, so "ajanlat" finds "ajánlat". The
//! filters make the SQL shape vary, so these queries are built at run time (every value bound).

mod query;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::TaskStatus;

pub use query::fts_query;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    Customer,
    Task,
    Comment,
}

impl SearchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Task => "task",
            Self::Comment => "comment",
        }
    }
}

/// What to look for. Every filter narrows; an empty query lists the newest documents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SearchQuery {
    #[serde(default)]
    pub text: Option<String>,
    /// Empty means all kinds.
    #[serde(default)]
    pub kinds: Vec<SearchKind>,
    /// Only comments that carry this keyword.
    #[serde(default)]
    pub keyword_id: Option<Uuid>,
    /// First and last local day (inclusive) of a comment's writing, a task's due day (its
    /// creation when it has none) or a customer's creation.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// Tasks, and comments on tasks, whose responsible is this colleague.
    #[serde(default)]
    pub responsible_id: Option<Uuid>,
    #[serde(default)]
    pub task_status: Option<TaskStatus>,
    #[serde(default)]
    pub customer_status_id: Option<Uuid>,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A piece of a snippet; `hit` pieces are the words that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SearchHit {
    pub kind: SearchKind,
    pub entity_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub customer_name: Option<String>,
    pub task_id: Option<Uuid>,
    pub task_title: Option<String>,
    /// The customer's name, the task's title, or for a comment what it is on.
    pub title: String,
    pub snippet: Vec<SnippetPart>,
    pub at: DateTime<Utc>,
}

/// A customer with matching documents: "which customers got an offer in March".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CustomerMatch {
    pub customer_id: Uuid,
    pub name: String,
    pub status_id: Option<Uuid>,
    pub hits: i64,
    pub last_at: DateTime<Utc>,
}

pub(crate) const HIT_START: char = '\u{2}';
pub(crate) const HIT_END: char = '\u{3}';

/// Splits FTS5 `snippet()` output, whose matches are wrapped in control characters that no
/// stored text contains, into plain and highlighted parts.
pub fn split_snippet(raw: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut hit = false;
    let mut current = String::new();
    for ch in raw.chars() {
        if ch == HIT_START || ch == HIT_END {
            if !current.is_empty() {
                parts.push(SnippetPart { text: std::mem::take(&mut current), hit });
            }
            hit = ch == HIT_START;
        } else {
            current.push(ch);
        }
    }
    if !current.is_empty() {
        parts.push(SnippetPart { text: current, hit });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_marks_only_the_wrapped_words() {
        let parts = split_snippet("az \u{2}ajánlat\u{3} ment");
        assert_eq!(parts.len(), 3);
        assert!(parts[1].hit && parts[1].text == "ajánlat");
        assert!(!parts[0].hit && !parts[2].hit);
    }
}
