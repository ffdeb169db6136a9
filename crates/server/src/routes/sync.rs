//! Push, pull and the live poke.

use std::collections::HashSet;
use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use duly_protocol::{
    ErrorBody, MAX_PUSH_OPS, Poke, PullResponse, PushRequest, PushResponse, Scope, SnapshotResponse,
};
use futures_util::Stream;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Authed;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::rules;
use crate::state::{AppState, Audience, Ended, Poked};
use crate::storage::WireOp;
use tokio::sync::broadcast;

/// Logs the operations the user may write; one result per op, in order. Idempotent.
#[utoipa::path(post, path = "/api/sync/push", tag = "sync", request_body = PushRequest,
    responses((status = 200, description = "one result per op, in order: applied, duplicate or rejected", body = PushResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, description = "over the op count or the body limit", body = ErrorBody),
        (status = 429, description = "a guest over their day's budget of operation bytes", body = ErrorBody)))]
pub async fn push(
    State(state): State<AppState>,
    authed: Authed,
    ApiJson(request): ApiJson<PushRequest>,
) -> ApiResult<ApiJson<PushResponse>> {
    if request.ops.len() > MAX_PUSH_OPS {
        return Err(ApiError::too_large(format!("at most {MAX_PUSH_OPS} operations per push")));
    }
    if request.ops.iter().any(|op| op.op_id.client_id != request.client_id) {
        return Err(ApiError::bad_request("every operation must carry the pushing client's id"));
    }
    if authed.user.role == duly_protocol::Role::Guest {
        let bytes: usize = request.ops.iter().map(|op| op.value.to_string().len()).sum();
        let daily = state.config.guest_daily_push_bytes;
        if !state.guest_pushes.spend(authed.user.id, bytes as u64, daily) {
            return Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                duly_protocol::ErrorCode::RateLimited,
                format!("a guest sends at most {} KB of changes a day: the rest goes tomorrow", daily / 1024),
            ));
        }
    }
    let (ops, results) = state.pusher.push(authed.user.clone(), request.ops).await?;
    let latest_seq = state.storage.latest_seq().await?;
    // The last seq logged in each scope the push touched.
    let mut touched: Vec<(Scope, i64)> = Vec::new();
    for (op, outcome) in ops.iter().zip(&results) {
        if let duly_protocol::OpOutcome::Applied { seq } = outcome {
            match touched.iter_mut().find(|(scope, _)| *scope == op.scope) {
                Some((_, last)) => *last = (*last).max(*seq),
                None => touched.push((op.scope, *seq)),
            }
        }
    }
    if !touched.is_empty() {
        let _ =
            state.pokes.send(Poked { latest_seq, audience: Audience::Scopes(std::sync::Arc::new(touched)) });
    }
    let results: Vec<duly_protocol::OpResult> = ops
        .iter()
        .zip(results)
        .map(|(op, outcome)| duly_protocol::OpResult { op_id: op.op_id, outcome })
        .collect();
    // A guest is not told how far the company's log has grown (L1): only their own ops' seqs.
    let latest_seq = if authed.user.role == duly_protocol::Role::Guest {
        results.iter().filter_map(|r| applied_seq(&r.outcome)).max().unwrap_or(0)
    } else {
        latest_seq
    };
    Ok(ApiJson(PushResponse { results, latest_seq, server_time_ms: chrono::Utc::now().timestamp_millis() }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// Operations after this seq (0 when absent).
    #[serde(default)]
    since: i64,
    /// Most operations in the page: 0 counts as 1, more than the server's page size (5000
    /// unless configured) as that size. Any 32-bit unsigned number.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295u32)]
    limit: Option<u32>,
    /// Only this scope: how a new grant is bootstrapped.
    #[param(value_type = Option<duly_protocol::openapi::ScopeKind>, inline)]
    scope_kind: Option<String>,
    /// The customer's or the private scope's id.
    scope_id: Option<Uuid>,
}

/// Operations after `since` in the user's scopes, and the scopes the user holds now.
#[utoipa::path(get, path = "/api/sync/pull", tag = "sync", params(PullQuery),
    responses((status = 200, body = PullResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "a scope the user does not read", body = ErrorBody)))]
pub async fn pull(
    State(state): State<AppState>,
    authed: Authed,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> ApiResult<Response> {
    let user = &authed.user;
    let (scopes, readable) =
        readable_scopes(&state, user, query.scope_kind.as_deref(), query.scope_id).await?;
    // Read the newest seq first: ops logged while we read are fetched next time, never skipped.
    let latest_seq = state.storage.latest_seq().await?;
    // A configured limit of 0 would make `clamp` panic on every pull: one op is the least.
    let most = state.config.pull_limit.max(1);
    let limit = query.limit.unwrap_or(most).clamp(1, most);
    let budget = state.config.pull_page_bytes;
    if user.role == duly_protocol::Role::Guest {
        // A guest's ops pass through `disclosed`, which may rewrite a value: parsed, then
        // written again.
        let mut ops = state.storage.pull(&readable, query.since, limit).await?;
        let fits =
            fitting(ops.iter().map(|logged| duly_protocol::limits::encoded_len(&logged.op.value)), budget);
        let page = Page::of(&mut ops, fits, limit, query.since, latest_seq, |op| op.seq);
        let ops = ops.into_iter().filter_map(|logged| rules::disclosed(user, logged)).collect();
        let (next, more) = (page.next, page.more);
        return Ok(ApiJson(PullResponse { ops, next, more, scopes, latest_seq }).into_response());
    }
    // Everyone else reads the ops as logged: their JSON text goes out as the database built it.
    let mut ops = state.storage.pull_wire(&readable, query.since, limit).await?;
    let fits = fitting(ops.iter().map(|op| usize::try_from(op.value_bytes).unwrap_or(usize::MAX)), budget);
    let page = Page::of(&mut ops, fits, limit, query.since, latest_seq, |op| op.seq);
    Ok(wire_response(&ops, page, &scopes, latest_seq))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SnapshotQuery {
    /// Operations after this seq (0 when absent: the first page).
    #[serde(default)]
    #[param(minimum = 0)]
    since: i64,
    /// The seq the first page answered as `upto`; absent on the first page (the newest seq).
    /// At most the newest seq.
    #[param(minimum = 0)]
    upto: Option<i64>,
    /// Most operations in the page, as for a pull.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295u32)]
    limit: Option<u32>,
    /// Only this scope: how a new grant is bootstrapped.
    #[param(value_type = Option<duly_protocol::openapi::ScopeKind>, inline)]
    scope_kind: Option<String>,
    /// The customer's or the private scope's id.
    scope_id: Option<Uuid>,
}

/// The operations that still decide the state of the user's scopes, up to `upto`: how a new
/// device starts without replaying the whole history. Then it pulls from `upto`.
#[utoipa::path(get, path = "/api/sync/snapshot", tag = "sync", params(SnapshotQuery),
    responses((status = 200, body = SnapshotResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "a scope the user does not read", body = ErrorBody)))]
pub async fn snapshot(
    State(state): State<AppState>,
    authed: Authed,
    ApiQuery(query): ApiQuery<SnapshotQuery>,
) -> ApiResult<ApiJson<SnapshotResponse>> {
    let user = &authed.user;
    // An id without its kind names no scope: the whole snapshot.
    let scope_id = query.scope_kind.as_ref().and(query.scope_id);
    let (scopes, readable) = readable_scopes(&state, user, query.scope_kind.as_deref(), scope_id).await?;
    let latest_seq = state.storage.latest_seq().await?;
    if query.since < 0 || query.upto.is_some_and(|upto| upto < 0) {
        return Err(ApiError::bad_request("since and upto are seqs, never negative"));
    }
    // No snapshot reaches past the newest seq.
    let upto = query.upto.map_or(latest_seq, |upto| upto.min(latest_seq));
    let since = query.since;
    let total = if since == 0 { Some(state.storage.snapshot_size(&readable, upto).await?) } else { None };
    let most = state.config.snapshot_limit.max(1);
    let limit = query.limit.unwrap_or(most).clamp(1, most);
    let mut ops = state.storage.snapshot(&readable, since, upto, limit).await?;
    let fits = fitting(
        ops.iter().map(|logged| duly_protocol::limits::encoded_len(&logged.op.value)),
        state.config.snapshot_page_bytes,
    );
    // Past the last page the client pulls from `upto`, whatever the newest seq is by then.
    let page = Page::of(&mut ops, fits, limit, since, upto.max(since), |op| op.seq);
    let ops = ops.into_iter().filter_map(|logged| rules::disclosed(user, logged)).collect();
    Ok(ApiJson(SnapshotResponse { ops, next: page.next, more: page.more, upto, total, scopes, latest_seq }))
}

/// The scopes the user holds now, and those this read covers: all of them, or the one asked
/// for (404 when the user does not read it). The same grants that list the held scopes say
/// what is read: never an op of a scope the response does not list.
async fn readable_scopes(
    state: &AppState,
    user: &duly_protocol::User,
    scope_kind: Option<&str>,
    scope_id: Option<Uuid>,
) -> ApiResult<(Vec<Scope>, Vec<Scope>)> {
    let granted = state.storage.grants_of(user.id).await?;
    let every = if user.role.manages() { state.storage.customers().await? } else { Vec::new() };
    let scopes = rules::held_scopes(user, &granted, &every);
    let only = match (scope_kind, scope_id) {
        (None, None) => None,
        (Some("customer"), Some(id)) => Some(Scope::Customer(id)),
        (Some("private"), Some(id)) => Some(Scope::Private(id)),
        (Some("team"), None) => Some(Scope::Team),
        (Some("settings"), None) => Some(Scope::Settings),
        _ => {
            return Err(ApiError::bad_request(
                "scope_kind is customer, private (both with scope_id), team or settings",
            ));
        }
    };
    if let Some(scope) = &only
        && !rules::may_read(user, &granted.iter().copied().collect::<HashSet<_>>(), scope)
    {
        return Err(ApiError::not_found("scope"));
    }
    let readable = only.map_or_else(|| scopes.clone(), |scope| vec![scope]);
    Ok((scopes, readable))
}

/// How many ops of a page fit the byte budget, from their values' lengths: a page of large
/// ops stops early and says there is more (at least one op goes, however large).
fn fitting(value_lengths: impl Iterator<Item = usize>, budget: usize) -> Option<usize> {
    let mut bytes: usize = 0;
    value_lengths
        .enumerate()
        .find(|(_, length)| {
            bytes = bytes.saturating_add(length.saturating_add(OP_FRAME_BYTES));
            bytes > budget
        })
        .map(|(over, _)| over.max(1))
}

/// Where a pull page ends and goes on.
#[derive(Debug, Clone, Copy)]
struct Page {
    next: i64,
    more: bool,
}

impl Page {
    /// Cuts `ops` to the ops that fit, and says where the next pull starts.
    fn of<T>(
        ops: &mut Vec<T>,
        fits: Option<usize>,
        limit: u32,
        since: i64,
        latest_seq: i64,
        seq: impl Fn(&T) -> i64,
    ) -> Self {
        let cut = fits.is_some_and(|fits| fits < ops.len());
        ops.truncate(fits.unwrap_or(ops.len()));
        let more = cut || ops.len() == limit as usize;
        let last = ops.last().map_or(since, seq);
        // Every op up to `latest_seq` was visible before the read, so a read that was not cut
        // short has seen all of them that the user may read.
        Self { next: if more { last } else { last.max(latest_seq) }, more }
    }
}

/// A `PullResponse` written around the ops' JSON texts: the same bytes serde writes for it
/// (members in declaration order), without taking each op apart and putting it together again.
fn wire_response(ops: &[WireOp], page: Page, scopes: &[Scope], latest_seq: i64) -> Response {
    let texts: usize = ops.iter().map(|op| op.json.len() + 1).sum();
    let mut body = Vec::with_capacity(texts + 64 + scopes.len() * 64);
    body.extend_from_slice(b"{\"ops\":[");
    for (n, op) in ops.iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        body.extend_from_slice(op.json.as_bytes());
    }
    body.extend_from_slice(format!("],\"next\":{},\"more\":{},\"scopes\":", page.next, page.more).as_bytes());
    if let Err(error) = serde_json::to_writer(&mut body, scopes) {
        return ApiError::internal(error).into_response();
    }
    body.extend_from_slice(format!(",\"latest_seq\":{latest_seq}}}").as_bytes());
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn applied_seq(outcome: &duly_protocol::OpOutcome) -> Option<i64> {
    match outcome {
        duly_protocol::OpOutcome::Applied { seq } | duly_protocol::OpOutcome::Duplicate { seq } => Some(*seq),
        duly_protocol::OpOutcome::Rejected { .. } => None,
    }
}

/// What an op takes around its value in a page (ids, scope, stamp, field): an estimate, so
/// the budget needs no second serialisation.
const OP_FRAME_BYTES: usize = 320;

/// Server-sent events: a `Poke` with the newest seq after every push. Pulling is still what
/// syncs; this only says when.
#[utoipa::path(get, path = "/api/sync/events", tag = "sync",
    responses((status = 200, description = "`poke` events, each a JSON Poke", content_type = "text/event-stream"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    authed: Authed,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // A poke tells a guest the seq of the last op they may read, never the log's length (L1).
    let guest = authed.user.role == duly_protocol::Role::Guest;
    let first = if guest { 0 } else { state.storage.latest_seq().await.unwrap_or_default() };
    let granted: HashSet<Uuid> =
        state.storage.grants_of(authed.user.id).await.unwrap_or_default().into_iter().collect();
    let pending = std::sync::Arc::new(PendingPoke::default());
    pending.put(first);
    let watcher = Watcher { state: state.clone(), user: authed.user.clone(), granted, guest };
    let forwarding =
        StopOnDrop(tokio::spawn(watcher.forward(state.pokes.subscribe(), pending.clone())).abort_handle());
    // The first poke goes at once; each after it at least `POKE_EVERY` after the one before,
    // carrying the newest seq of everything that came meanwhile.
    let stream = futures_util::stream::unfold(
        (pending, forwarding, false),
        |(pending, forwarding, sent)| async move {
            if sent {
                tokio::time::sleep(POKE_EVERY).await;
            }
            let latest_seq = pending.take().await;
            let body = serde_json::to_string(&Poke { latest_seq }).unwrap_or_default();
            Some((Ok(Event::default().event("poke").data(body)), (pending, forwarding, true)))
        },
    );
    let over = Box::pin(session_over(state, authed));
    Sse::new(futures_util::StreamExt::take_until(stream, over)).keep_alive(KeepAlive::default())
}

/// At most one poke per this long on each event stream: with many writers, every push poked
/// every stream, and each poke is a pull.
const POKE_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// The poke an event stream owes its client: the newest seq of those put since the last one
/// was taken.
#[derive(Debug, Default)]
struct PendingPoke {
    seq: std::sync::Mutex<Option<i64>>,
    ready: tokio::sync::Notify,
}

impl PendingPoke {
    fn put(&self, seq: i64) {
        let mut pending = self.seq.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *pending = Some(pending.map_or(seq, |before| before.max(seq)));
        self.ready.notify_one();
    }

    async fn take(&self) -> i64 {
        loop {
            if let Some(seq) = self.seq.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
                return seq;
            }
            // `notify_one` keeps a permit when nobody waits, so a put between the look and
            // the wait is not missed.
            self.ready.notified().await;
        }
    }
}

/// Aborts a task when the stream that owns it goes (the client hung up).
struct StopOnDrop(tokio::task::AbortHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One event stream's view of the pokes: only those about scopes its user reads.
struct Watcher {
    state: AppState,
    user: duly_protocol::User,
    granted: HashSet<Uuid>,
    guest: bool,
}

impl Watcher {
    async fn forward(mut self, mut pokes: broadcast::Receiver<Poked>, pending: std::sync::Arc<PendingPoke>) {
        loop {
            let seq = match pokes.recv().await {
                Ok(poke) => self.concerns(&poke).await,
                // Missed pokes: say that something changed (a guest learns no seq from it).
                Err(broadcast::error::RecvError::Lagged(_)) if self.guest => Some(0),
                Err(broadcast::error::RecvError::Lagged(_)) => self.state.storage.latest_seq().await.ok(),
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if let Some(seq) = seq {
                pending.put(seq);
            }
        }
    }

    /// The seq to tell this stream's user of a poke, if it concerns them; a change of their
    /// grants reloads what they read.
    async fn concerns(&mut self, poke: &Poked) -> Option<i64> {
        match &poke.audience {
            Audience::User(id) if *id == self.user.id => {
                self.granted = self.state.storage.grants_of(self.user.id).await.ok()?.into_iter().collect();
                Some(if self.guest { 0 } else { poke.latest_seq })
            }
            Audience::User(_) => None,
            Audience::Scopes(scopes) => {
                let readable =
                    scopes.iter().filter(|(scope, _)| rules::may_read(&self.user, &self.granted, scope));
                let last = readable.map(|(_, seq)| *seq).max()?;
                Some(if self.guest { last } else { poke.latest_seq })
            }
        }
    }
}

/// How often an open event stream looks at its session again (an expiry, or a change made
/// by the admin command in another process).
const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(60);

/// Resolves when the stream's session ends: at once for a logout, disable or password reset
/// made through this server, within a minute otherwise.
async fn session_over(state: AppState, authed: Authed) {
    let mut ended = state.ended.subscribe();
    let mut recheck = tokio::time::interval(SESSION_RECHECK);
    recheck.tick().await;
    loop {
        let look_again = tokio::select! {
            message = ended.recv() => match message {
                Ok(Ended::Session(hash)) => hash == authed.token_hash,
                Ok(Ended::User(id)) => id == authed.user.id,
                Err(broadcast::error::RecvError::Lagged(_)) => true,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = recheck.tick() => true,
        };
        if look_again && !matches!(crate::auth::live_session(&state, &authed.token_hash).await, Ok(Some(_))) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use duly_protocol::{EntityKind, LoggedOp, OpId, OpKind, Operation};

    use super::*;

    #[tokio::test]
    async fn a_page_written_around_op_texts_is_what_serde_writes_for_it() {
        let op = |seq: i64, scope: Scope| LoggedOp {
            seq,
            author: Uuid::now_v7(),
            op: Operation {
                op_id: OpId { client_id: Uuid::now_v7(), client_seq: seq },
                scope,
                entity: EntityKind::Task,
                entity_id: Uuid::now_v7(),
                kind: OpKind::Set,
                field: Some("title".into()),
                value: serde_json::json!("\"ő\"\n"),
                hlc: "7/1".into(),
                base: None,
            },
        };
        let ops = vec![op(4, Scope::Team), op(9, Scope::Customer(Uuid::now_v7()))];
        let scopes = vec![Scope::Customer(Uuid::now_v7()), Scope::Team, Scope::Settings];
        let texts: Vec<WireOp> = ops
            .iter()
            .map(|logged| WireOp {
                seq: logged.seq,
                value_bytes: 0,
                json: serde_json::to_string(logged).expect("json"),
            })
            .collect();
        for (ops, texts, more) in [(ops.clone(), texts.clone(), true), (Vec::new(), Vec::new(), false)] {
            let page = Page { next: 9, more };
            let response = wire_response(&texts, page, &scopes, 12);
            assert_eq!(
                response.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
                Some("application/json")
            );
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
            let wanted = PullResponse { ops, next: 9, more, scopes: scopes.clone(), latest_seq: 12 };
            assert_eq!(body, serde_json::to_vec(&wanted).expect("json"));
        }
    }

    #[test]
    fn a_page_stops_at_its_byte_budget_but_never_empty() {
        let budget = 3 * OP_FRAME_BYTES + 100;
        assert_eq!(fitting([10, 10, 10].into_iter(), budget), None, "all fit");
        assert_eq!(fitting([10, 10, 10, 10].into_iter(), budget), Some(3));
        assert_eq!(fitting([budget, 1].into_iter(), budget), Some(1), "one op however large");
        let mut ops = vec![1, 2, 3, 4];
        let page = Page::of(&mut ops, Some(3), 5000, 0, 40, |seq| *seq);
        assert_eq!((ops.len(), page.next, page.more), (3, 3, true), "cut short: more from the last");
        let mut ops = vec![1, 2];
        let page = Page::of(&mut ops, None, 5000, 0, 40, |seq| *seq);
        assert_eq!((page.next, page.more), (40, false), "read to the end: next is the newest seq");
    }
}
