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
}
