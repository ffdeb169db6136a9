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
    /// Tells live listeners the newest seq after every push that logged something.
    pub pokes: broadcast::Sender<i64>,
    pub throttle: Arc<AccountThrottle>,
    /// Sessions that ended here (logout, disable, password reset): open event streams of
    /// theirs close at once.
    pub ended: broadcast::Sender<Ended>,
}

/// A session, or every session of a user, that has just ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    Session(String),
    User(uuid::Uuid),
}
