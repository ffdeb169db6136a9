//! Push, pull and the live poke.

use std::collections::HashSet;
use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use duly_protocol::{
    ErrorBody, MAX_PUSH_OPS, Poke, PullResponse, PushRequest, PushResponse, Scope, SnapshotResponse,
};
use futures_util::Stream;
use serde::Deserialize;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use uuid::Uuid;

use crate::auth::Authed;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::rules;
use crate::state::{AppState, Audience, Ended, Poked};
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
) -> ApiResult<ApiJson<PullResponse>> {
    let user = &authed.user;
    let (scopes, readable) =
        readable_scopes(&state, user, query.scope_kind.as_deref(), query.scope_id).await?;
    // Read the newest seq first: ops logged while we read are fetched next time, never skipped.
    let latest_seq = state.storage.latest_seq().await?;
    let limit = page_limit(&state, query.limit);
    let ops = state.storage.pull(&readable, query.since, limit).await?;
    let (ops, more, last) = page(&state, user, ops, limit, query.since);
    // Every op up to `latest_seq` was visible before the read, so a read that was not cut
    // short has seen all of them that the user may read.
    let next = if more { last } else { last.max(latest_seq) };
    Ok(ApiJson(PullResponse { ops, next, more, scopes, latest_seq }))
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
    let (scopes, readable) =
        readable_scopes(&state, user, query.scope_kind.as_deref(), query.scope_id).await?;
    let latest_seq = state.storage.latest_seq().await?;
    if query.since < 0 || query.upto.is_some_and(|upto| upto < 0 || upto > latest_seq) {
        return Err(ApiError::bad_request(
            "since and upto are seqs this server answered, upto at most the newest",
        ));
    }
    let upto = query.upto.unwrap_or(latest_seq);
    let total =
        if query.since == 0 { Some(state.storage.snapshot_size(&readable, upto).await?) } else { None };
    let limit = page_limit(&state, query.limit);
    let ops = state.storage.snapshot(&readable, query.since, upto, limit).await?;
    let (ops, more, last) = page(&state, user, ops, limit, query.since);
    let next = if more { last } else { upto.max(query.since) };
    Ok(ApiJson(SnapshotResponse { ops, next, more, upto, total, scopes, latest_seq }))
}

/// The scopes the user holds now, and those this read covers: all of them, or the one asked
/// for (404 when the user does not read it).
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
    // The same grants that list the held scopes say what is read: never an op of a scope
    // the response does not list.
    let readable = only.map_or_else(|| scopes.clone(), |scope| vec![scope]);
    Ok((scopes, readable))
}

fn page_limit(state: &AppState, asked: Option<u32>) -> u32 {
    // A configured limit of 0 would make `clamp` panic on every pull: one op is the least.
    let most = state.config.pull_limit.max(1);
    asked.unwrap_or(most).clamp(1, most)
}

/// Cuts a read to the page's byte budget as well as its count (a page of large ops stops early
/// and says there is more) and leaves what the user may see of each op. Gives the ops, whether
/// more wait, and the last seq read.
fn page(
    state: &AppState,
    user: &duly_protocol::User,
    mut ops: Vec<duly_protocol::LoggedOp>,
    limit: u32,
    since: i64,
) -> (Vec<duly_protocol::LoggedOp>, bool, i64) {
    let mut bytes = 0;
    let fits = ops
        .iter()
        .position(|logged| {
            bytes += duly_protocol::limits::encoded_len(&logged.op.value) + OP_FRAME_BYTES;
            bytes > state.config.pull_page_bytes
        })
        .map_or(ops.len(), |over| over.max(1));
    let cut = fits < ops.len();
    ops.truncate(fits);
    let more = cut || ops.len() == limit as usize;
    let last = ops.last().map_or(since, |op| op.seq);
    let ops = ops.into_iter().filter_map(|logged| rules::disclosed(user, logged)).collect();
    (ops, more, last)
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
    let granted = std::sync::Arc::new(tokio::sync::Mutex::new(granted));
    let (storage, user) = (state.storage.clone(), authed.user.clone());
    // Only pokes about scopes this user reads; a change of their grants reloads what they read.
    let pokes =
        futures_util::StreamExt::filter_map(BroadcastStream::new(state.pokes.subscribe()), move |poke| {
            let (granted, storage, user) = (granted.clone(), storage.clone(), user.clone());
            async move {
                let poke = poke.ok()?;
                match &poke.audience {
                    Audience::User(id) if *id == user.id => {
                        let fresh = storage.grants_of(user.id).await.ok()?;
                        *granted.lock().await = fresh.into_iter().collect();
                        Some(if guest { 0 } else { poke.latest_seq })
                    }
                    Audience::User(_) => None,
                    Audience::Scopes(scopes) => {
                        let granted = granted.lock().await;
                        let readable =
                            scopes.iter().filter(|(scope, _)| rules::may_read(&user, &granted, scope));
                        let last = readable.map(|(_, seq)| *seq).max()?;
                        Some(if guest { last } else { poke.latest_seq })
                    }
                }
            }
        });
    let stream = tokio_stream::once(first).chain(pokes).map(move |latest_seq| {
        let body = serde_json::to_string(&Poke { latest_seq }).unwrap_or_default();
        Ok(Event::default().event("poke").data(body))
    });
    let over = Box::pin(session_over(state, authed));
    Sse::new(futures_util::StreamExt::take_until(stream, over)).keep_alive(KeepAlive::default())
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
