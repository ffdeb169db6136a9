//! One sync round (push the outbox, follow grants and revokes, pull and apply) and the
//! background loop that repeats it: on local writes, on the server's poke, every interval,
//! and with growing pauses while the server cannot be reached.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use duly_protocol::{EntityKind, MAX_PUSH_BYTES, MAX_PUSH_OPS, OpKind, OpOutcome, Operation, Scope, User};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use super::apply::ApplyReport;
use super::client::{SyncClient, SyncError};
use crate::model::Source;
use crate::store::Store;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncOutcome {
    pub pushed: usize,
    pub rejected: usize,
    pub pulled: usize,
    pub applied: usize,
    pub conflicts: usize,
    pub parked: usize,
    /// Pulled ops this client could not read: kept aside, the rest applied.
    pub undecodable: usize,
    pub bootstrapped: Vec<Uuid>,
    pub purged: Vec<Uuid>,
    pub blobs_uploaded: usize,
    /// Ops stamped again after the server said this computer's clock runs ahead of its own.
    pub restamped: usize,
}

/// One full round. Safe to interrupt anywhere: an op leaves the outbox only once the server
/// has answered for it, and the cursor moves in the transaction that applies its page.
pub async fn sync_once(store: &Store, client: &SyncClient) -> Result<SyncOutcome, SyncError> {
    sync_round(store, client, &|_| {}).await
}

/// How far a snapshot being loaded has come: ops applied of all it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SyncProgress {
    pub done: i64,
    pub total: i64,
}

/// [`sync_once`], telling `progress` how a snapshot load goes, page by page.
pub async fn sync_round(
    store: &Store,
    client: &SyncClient,
    progress: &(dyn Fn(SyncProgress) + Sync),
) -> Result<SyncOutcome, SyncError> {
    // Contents first where the server already knows their scope, so an operation that names
    // an attachment finds it; the rest right after the push that creates their customer.
    let mut outcome = SyncOutcome {
        blobs_uploaded: super::blobs::upload_blobs(store, client).await?,
        ..SyncOutcome::default()
    };
    let mut clock_corrected = false;
    loop {
        let pending = store.pending_ops(MAX_PUSH_OPS as u32).await?;
        if pending.is_empty() {
            break;
        }
        let batch = within_bytes(pending, MAX_PUSH_BYTES);
        let response = client.push(store.client_id(), batch.clone()).await?;
        if store.settle_push(&batch, &response.results).await? {
            // This computer's clock runs ahead of the server's: correct it once a round and
            // stamp the waiting ops again; if that is still not enough, say so and try later.
            if clock_corrected {
                return Err(SyncError::Refused {
                    status: 200,
                    code: duly_protocol::ErrorCode::ClockAhead,
                    message: "this computer's clock is ahead of the server's".into(),
                });
            }
            outcome.restamped += store.correct_clock(response.server_time_ms).await?;
            clock_corrected = true;
        }
        outcome.pushed += batch.len();
        outcome.rejected +=
            response.results.iter().filter(|r| matches!(r.outcome, OpOutcome::Rejected { .. })).count();
    }
    outcome.blobs_uploaded += super::blobs::upload_blobs(store, client).await?;
    let mut cursor = store.sync_cursor().await?;
    if cursor == 0 && store.sync_scopes().await?.is_none() {
        // A device that never pulled starts from the state, not the history.
        if let Some(upto) = load_snapshot(store, client, None, &mut outcome, progress).await? {
            store.set_meta("sync_cursor", &upto.to_string()).await?;
            cursor = upto;
        }
    }
    let mut first = true;
    loop {
        let page = client.pull(cursor, None).await?;
        if first {
            first = false;
            follow_scopes(store, client, &page.scopes, &mut outcome).await?;
        }
        outcome.pulled += page.ops.len();
        outcome.undecodable += page.undecodable.len();
        store.keep_undecodable(&page.undecodable).await?;
        add(&mut outcome, store.apply_remote(&page.ops, Some(page.next)).await?);
        cursor = page.next;
        if !page.more {
            break;
        }
    }
    let retried = store.retry_parked().await?;
    outcome.applied += retried.applied;
    outcome.parked = retried.parked;
    Ok(outcome)
}

fn add(outcome: &mut SyncOutcome, report: ApplyReport) {
    outcome.applied += report.applied;
    outcome.conflicts += report.conflicts;
}

/// Purges customers no longer shared and bootstraps newly shared ones from the start of
/// their history (the cursor is past their old operations).
async fn follow_scopes(
    store: &Store,
    client: &SyncClient,
    held: &[Scope],
    outcome: &mut SyncOutcome,
) -> Result<(), SyncError> {
    let customers = |scopes: &[Scope]| -> BTreeSet<Uuid> {
        scopes.iter().filter_map(|s| if let Scope::Customer(id) = s { Some(*id) } else { None }).collect()
    };
    let now_held = customers(held);
    if let Some(known) = store.sync_scopes().await? {
        let known = customers(&known);
        for gone in known.difference(&now_held) {
            store.purge_customer(*gone).await?;
            outcome.purged.push(*gone);
        }
        for new in now_held.difference(&known) {
            let scope = Some(Scope::Customer(*new));
            if load_snapshot(store, client, scope, outcome, &|_| {}).await?.is_none() {
                let mut since = 0;
                loop {
                    let page = client.pull(since, scope).await?;
                    outcome.pulled += page.ops.len();
                    outcome.undecodable += page.undecodable.len();
                    store.keep_undecodable(&page.undecodable).await?;
                    add(outcome, store.apply_remote(&page.ops, None).await?);
                    since = page.next;
                    if !page.more {
                        break;
                    }
                }
            }
            outcome.bootstrapped.push(*new);
        }
    }
    store.set_sync_scopes(held).await?;
    Ok(())
}

/// Loads the snapshot of the user's scopes (or of one), page by page, fetching the next page
/// while this one is applied. Returns the seq it is consistent at, or `None` from a server
/// that has no snapshot (it answers 404): then the caller pulls from the start instead.
async fn load_snapshot(
    store: &Store,
    client: &SyncClient,
    scope: Option<Scope>,
    outcome: &mut SyncOutcome,
    progress: &(dyn Fn(SyncProgress) + Sync),
) -> Result<Option<i64>, SyncError> {
    let page = match client.snapshot(0, None, scope).await {
        Err(SyncError::Refused { status: 404, code: duly_protocol::ErrorCode::NotFound, .. })
            if scope.is_none() =>
        {
            return Ok(None);
        }
        other => other?,
    };
    let upto = page.upto.unwrap_or_default();
    let mut load = store.begin_snapshot().await?;
    let loaded = apply_pages(store, client, scope, page, &mut load, upto, outcome, progress).await;
    // Built whether the load finished or broke off: the lists need them either way.
    store.end_snapshot().await?;
    loaded?;
    Ok(Some(upto))
}

/// The snapshot's pages from `page` on, each applied while the next is fetched.
#[allow(clippy::too_many_arguments)]
async fn apply_pages(
    store: &Store,
    client: &SyncClient,
    scope: Option<Scope>,
    mut page: super::client::PulledPage,
    load: &mut crate::sync::snapshot::SnapshotLoad,
    upto: i64,
    outcome: &mut SyncOutcome,
    progress: &(dyn Fn(SyncProgress) + Sync),
) -> Result<(), SyncError> {
    let total = page.total.unwrap_or_default();
    loop {
        let (more, next) = (page.more, page.next);
        let fetch = async { if more { Some(client.snapshot(next, Some(upto), scope).await) } else { None } };
        let apply = async {
            store.keep_undecodable(&page.undecodable).await?;
            store.apply_snapshot(load, &page.ops).await
        };
        let (applied, fetched) = tokio::join!(apply, fetch);
        outcome.pulled += page.ops.len();
        outcome.undecodable += page.undecodable.len();
        add(outcome, applied?);
        progress(SyncProgress { done: load.applied, total: total.max(load.applied) });
        match fetched {
            Some(fetched) => page = fetched?,
            None => return Ok(()),
        }
    }
}

/// How large a push may grow to keep a move whole (the server's default body limit is 4 MB).
const MOVE_PUSH_BYTES: usize = 3 * 1024 * 1024;

/// The longest prefix of `ops` whose JSON stays under `limit` bytes (at least one op), never
/// cutting a move in two: the server takes a move only whole (a task's `customer_id` set in
/// the scope it leaves, then its create and its comments' in the scope it joins), so the
/// creates that follow such a set go along, up to `MOVE_PUSH_BYTES`.
fn within_bytes(ops: Vec<Operation>, limit: usize) -> Vec<Operation> {
    let mut size = 0;
    let mut keep = 0;
    let mut moving_to: Option<Scope> = None;
    for op in &ops {
        size += serde_json::to_string(op).map_or(limit, |text| text.len() + 1);
        // The creates, and the deletes of what is in the trash, in the scope a task joins.
        let continues_move =
            matches!(op.kind, OpKind::Create | OpKind::Delete) && moving_to == Some(op.scope);
        if !continues_move {
            moving_to = move_target(op);
        }
        let cap = if continues_move { MOVE_PUSH_BYTES } else { limit };
        if keep > 0 && size > cap {
            break;
        }
        keep += 1;
    }
    ops.into_iter().take(keep).collect()
}

/// The scope a task's `customer_id` set moves it to, when it moves it.
fn move_target(op: &Operation) -> Option<Scope> {
    if op.entity != EntityKind::Task || op.kind != OpKind::Set || op.field.as_deref() != Some("customer_id") {
        return None;
    }
    let to = match &op.value {
        serde_json::Value::Null => Scope::Team,
        serde_json::Value::String(id) => Scope::Customer(Uuid::parse_str(id).ok()?),
        _ => return None,
    };
    (to != op.scope).then_some(to)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// No server configured, or logged out.
    LoggedOut,
    Syncing,
    Synced,
    /// The server cannot be reached; work goes on locally and is pushed later.
    Offline,
    /// The server refused the session; log in again.
    SessionEnded,
    Error,
}

/// What the Settings page and the status bar show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SyncState {
    pub phase: SyncPhase,
    pub server_url: Option<String>,
    pub user: Option<User>,
    pub synced_at: Option<DateTime<Utc>>,
    pub pending_ops: i64,
    pub rejected_ops: i64,
    /// Pulled operations this device could not read (kept aside; the rest was applied).
    pub unreadable_ops: i64,
    /// Pulled operations waiting for the entity they change, which has not arrived.
    pub parked_ops: i64,
    /// Attachments set aside instead of uploaded: too large for the server, or damaged here.
    pub refused_blobs: i64,
    pub message: Option<String>,
    /// While a new device loads its first snapshot: how far it has come.
    pub progress: Option<SyncProgress>,
}

impl SyncState {
    pub fn logged_out() -> Self {
        Self {
            phase: SyncPhase::LoggedOut,
            server_url: None,
            user: None,
            synced_at: None,
            pending_ops: 0,
            rejected_ops: 0,
            unreadable_ops: 0,
            parked_ops: 0,
            refused_blobs: 0,
            message: None,
            progress: None,
        }
    }
}

/// A running sync loop; dropping it (or `stop`) ends the loop.
#[derive(Debug)]
pub struct SyncLoop {
    wake: Arc<Notify>,
    state: watch::Receiver<SyncState>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SyncLoop {
    pub fn start(store: Store, client: SyncClient, user: User, interval: Duration) -> Self {
        let wake = Arc::new(Notify::new());
        let initial = SyncState {
            phase: SyncPhase::Syncing,
            server_url: Some(client.base_url().to_owned()),
            user: Some(user),
            ..SyncState::logged_out()
        };
        let (tx, state) = watch::channel(initial);
        let mut tasks = vec![tokio::spawn(run(store.clone(), client.clone(), tx, wake.clone(), interval))];
        tasks.push(tokio::spawn(listen_local(store, wake.clone())));
        tasks.push(tokio::spawn(listen_server(client, wake.clone())));
        Self { wake, state, tasks }
    }

    pub fn sync_now(&self) {
        self.wake.notify_one();
    }

    pub fn state(&self) -> SyncState {
        self.state.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<SyncState> {
        self.state.clone()
    }

    pub fn stop(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Drop for SyncLoop {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn run(
    store: Store,
    client: SyncClient,
    state: watch::Sender<SyncState>,
    wake: Arc<Notify>,
    interval: Duration,
) {
    let mut backoff = Duration::from_secs(1);
    loop {
        state.send_modify(|s| s.phase = SyncPhase::Syncing);
        let report = |progress: SyncProgress| state.send_modify(|s| s.progress = Some(progress));
        let result = sync_round(&store, &client, &report).await;
        let pending = store.pending_op_count().await.unwrap_or_default();
        let rejected = store.rejected_count().await.unwrap_or_default();
        let unreadable = store.undecodable_count().await.unwrap_or_default();
        let parked = store.parked_count().await.unwrap_or_default();
        let refused_blobs = store.refused_blob_count().await.unwrap_or_default();
        let pause = match result {
            Ok(_) => {
                backoff = Duration::from_secs(1);
                state.send_modify(|s| {
                    *s = SyncState {
                        phase: SyncPhase::Synced,
                        synced_at: Some(store.now()),
                        pending_ops: pending,
                        rejected_ops: rejected,
                        unreadable_ops: unreadable,
                        parked_ops: parked,
                        refused_blobs,
                        message: None,
                        progress: None,
                        ..s.clone()
                    };
                });
                interval
            }
            Err(SyncError::Unauthorized) => {
                state.send_modify(|s| {
                    *s = SyncState {
                        phase: SyncPhase::SessionEnded,
                        pending_ops: pending,
                        rejected_ops: rejected,
                        unreadable_ops: unreadable,
                        parked_ops: parked,
                        refused_blobs,
                        message: None,
                        progress: None,
                        ..s.clone()
                    };
                });
                return;
            }
            Err(error) => {
                let phase = if matches!(error, SyncError::Offline(_)) {
                    SyncPhase::Offline
                } else {
                    SyncPhase::Error
                };
                tracing::info!(%error, "sync round did not finish");
                state.send_modify(|s| {
                    *s = SyncState {
                        phase,
                        pending_ops: pending,
                        rejected_ops: rejected,
                        unreadable_ops: unreadable,
                        parked_ops: parked,
                        refused_blobs,
                        message: Some(error.to_string()),
                        progress: None,
                        ..s.clone()
                    };
                });
                let pause = backoff;
                backoff = (backoff * 2).min(Duration::from_secs(60));
                pause
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = wake.notified() => {}
        }
    }
}

/// Local writes wake the loop (after a short pause, so a burst of writes is one push).
async fn listen_local(store: Store, wake: Arc<Notify>) {
    let mut events = store.subscribe();
    loop {
        match events.recv().await {
            Ok(event) if event.source != Source::Sync => {
                tokio::time::sleep(Duration::from_millis(300)).await;
                wake.notify_one();
            }
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// The server's poke wakes the loop; if the channel breaks, polling still syncs.
async fn listen_server(client: SyncClient, wake: Arc<Notify>) {
    loop {
        if let Ok(response) = client.events().await {
            let mut body = response.bytes_stream();
            while let Some(Ok(chunk)) = body.next().await {
                if String::from_utf8_lossy(&chunk).contains("latest_seq") {
                    wake.notify_one();
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
}

#[cfg(test)]
mod tests {
    use duly_protocol::OpId;
    use serde_json::json;

    use super::*;

    fn op(
        seq: i64,
        scope: Scope,
        entity: EntityKind,
        kind: OpKind,
        field: Option<&str>,
        value: serde_json::Value,
    ) -> Operation {
        Operation {
            op_id: OpId { client_id: Uuid::nil(), client_seq: seq },
            scope,
            entity,
            entity_id: Uuid::now_v7(),
            kind,
            field: field.map(str::to_owned),
            value,
            hlc: String::new(),
            base: None,
        }
    }

    #[test]
    fn a_push_is_cut_by_size_but_never_inside_a_move() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let big = json!({"body": "x".repeat(100_000)});
        let mut ops =
            vec![op(1, Scope::Customer(a), EntityKind::Task, OpKind::Set, Some("customer_id"), json!(b))];
        ops.push(op(2, Scope::Customer(b), EntityKind::Task, OpKind::Create, None, json!({})));
        for seq in 3..13 {
            ops.push(op(seq, Scope::Customer(b), EntityKind::Comment, OpKind::Create, None, big.clone()));
        }
        ops.push(op(13, Scope::Team, EntityKind::Comment, OpKind::Create, None, big.clone()));
        let batch = within_bytes(ops.clone(), 512 * 1024);
        assert_eq!(batch.len(), 12, "the move and its ten comments (1 MB) go whole, the next op waits");
        let plain: Vec<Operation> = ops[2..].to_vec();
        assert_eq!(within_bytes(plain, 512 * 1024).len(), 5, "without a move, 512 KB is the cut");
    }
}
