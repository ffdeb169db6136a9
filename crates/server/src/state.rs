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
    /// Bytes of operations each guest pushed today (M4): guests are outside the company, and
    /// what they send lands in every colleague's pulls.
    pub guest_pushes: Arc<GuestPushBudget>,
    /// The one writer of pushes, which commits what arrives together as one group.
    pub pusher: crate::sync::Pusher,
}

/// A day's push budget per guest, kept in memory (a restart forgives; the limit is against
/// floods, not an account of use).
#[derive(Debug, Default)]
pub struct GuestPushBudget {
    spent: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, (chrono::NaiveDate, u64)>>,
}

impl GuestPushBudget {
    /// Spends `bytes` of the guest's budget for today; false (and nothing spent) when that
    /// would pass `daily`.
    pub fn spend(&self, guest: uuid::Uuid, bytes: u64, daily: u64) -> bool {
        let today = chrono::Utc::now().date_naive();
        let mut spent = self.spent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Yesterday's entries go, so the map holds only today's guests.
        spent.retain(|_, (day, _)| *day == today);
        let used = spent.get(&guest).map_or(0, |(_, used)| *used);
        if used.saturating_add(bytes) > daily {
            return false;
        }
        spent.insert(guest, (today, used + bytes));
        true
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poked {
    pub latest_seq: i64,
    pub audience: Audience,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Readers of any of these scopes (the scopes of the ops just logged), each with the seq
    /// of its last op just logged: a guest is told that one, never the log's length (L1).
    Scopes(Arc<Vec<(duly_protocol::Scope, i64)>>),
    /// One user, whose grants just changed.
    User(uuid::Uuid),
}

/// A session, or every session of a user, that has just ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    Session(String),
    User(uuid::Uuid),
}
