use std::sync::Arc;

use tokio::sync::broadcast;

use crate::auth::AccountThrottle;
use crate::config::Config;
use crate::rules::PushRules;
use crate::storage::Storage;

#[derive(Debug, Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub rules: Arc<PushRules>,
    pub config: Arc<Config>,
    /// Tells live listeners the newest seq after every push that logged something, and whom
    /// it concerns: each stream passes on only what its user may read (L1).
    pub pokes: broadcast::Sender<Poked>,
    pub throttle: Arc<AccountThrottle>,
    /// Sessions that ended here (logout, disable, password reset): open event streams of
    /// theirs close at once.
    pub ended: broadcast::Sender<Ended>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poked {
    pub latest_seq: i64,
    pub audience: Audience,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Readers of any of these scopes (the scopes of the ops just logged).
    Scopes(Arc<Vec<duly_protocol::Scope>>),
    /// One user, whose grants just changed.
    User(uuid::Uuid),
}

/// A session, or every session of a user, that has just ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    Session(String),
    User(uuid::Uuid),
}
