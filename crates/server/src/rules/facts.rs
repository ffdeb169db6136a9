//! What the rules know about a batch before deciding it: read by the storage in the push
//! transaction, then kept up to date by each decision so later ops of the batch see it.

use std::collections::{HashMap, HashSet};

use duly_protocol::{EntityKind, OpId, Scope};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct PushFacts {
    /// The server's clock when the push is decided (milliseconds since 1970 UTC).
    pub now_ms: i64,
    /// Every op id of the batch that is already in the log, or accepted earlier in the batch.
    pub existing: HashMap<OpId, Logged>,
    /// The pushing client id is registered to another user: every op of the push is refused.
    pub client_of_other_user: bool,
    /// The scope each entity of the batch lives in now, for entities the log has seen.
    pub entity_scopes: HashMap<Uuid, Scope>,
    /// Customers of the batch that the log has seen (so a first sight is a creation).
    pub known_customers: HashSet<Uuid>,
    /// Customers granted to the pushing user.
    pub granted: HashSet<Uuid>,
    /// The kind each entity of the batch was created as, for entities the log has seen.
    pub entity_kinds: HashMap<Uuid, EntityKind>,
    /// The colleague who created each entity of the batch (the author of its create).
    pub entity_creators: HashMap<Uuid, Uuid>,
    /// The record the log holds of each comment the batch creates again (a move), folded
    /// from its logged ops (`rules::fold_logged`), to hold the copy to.
    pub logged_records: HashMap<Uuid, serde_json::Map<String, serde_json::Value>>,
    /// The comments the log holds on each task the batch moves, so a move that leaves one
    /// behind (written while the mover had not seen it) is refused rather than split.
    pub task_comments: HashMap<Uuid, HashSet<Uuid>>,
    /// Every (entity, scope) the batch creates, so a move can see its comments come along.
    pub batch_creates: HashSet<(Uuid, Scope)>,
    /// Of each task the batch moves and the comments the log holds on it, those the log holds
    /// in the trash (the last of their deletes and restores, by stamp, is a delete).
    pub trashed: HashSet<Uuid>,
    /// Every (entity, scope) the batch moves to the trash, so a move can carry the trash along.
    pub batch_trashes: HashSet<(Uuid, Scope)>,
}

impl Default for PushFacts {
    /// Facts with nothing known yet, at the server's present time.
    fn default() -> Self {
        Self {
            now_ms: chrono::Utc::now().timestamp_millis(),
            existing: HashMap::new(),
            client_of_other_user: false,
            entity_scopes: HashMap::new(),
            known_customers: HashSet::new(),
            granted: HashSet::new(),
            entity_kinds: HashMap::new(),
            entity_creators: HashMap::new(),
            logged_records: HashMap::new(),
            task_comments: HashMap::new(),
            batch_creates: HashSet::new(),
            trashed: HashSet::new(),
            batch_trashes: HashSet::new(),
        }
    }
}

/// What the log holds under an op id: enough to tell a retry of the same op from another op
/// that reuses its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// `None` for an op accepted earlier in the same batch: its seq is drawn when the batch is
    /// logged, and its repeats are answered with that one.
    pub seq: Option<i64>,
    pub entity_id: Uuid,
    pub hlc: String,
}
