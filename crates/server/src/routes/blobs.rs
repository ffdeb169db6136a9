//! T8: attachments as content-addressed blobs; only metadata travels in the op stream.

use std::collections::HashSet;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use duly_protocol::{ErrorBody, Scope};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::Authed;
use crate::error::{ApiError, ApiPath, ApiQuery, ApiResult};
use crate::rules;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct BlobName {
    /// The blob's SHA-256 in lowercase hex.
    #[param(min_length = 64, max_length = 64, pattern = "^[0-9a-f]{64}$")]
    sha256: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlobScope {
    /// The scope whose readers may fetch the blob.
    #[param(value_type = duly_protocol::openapi::ScopeKind, inline)]
    scope_kind: String,
    /// The customer's or the private scope's id.
    scope_id: Option<Uuid>,
}

/// A blob's bytes, for the document only (the handler reads the raw body).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
struct BlobBytes(Vec<u8>);

fn scope_of(query: &BlobScope) -> ApiResult<Scope> {
    match (query.scope_kind.as_str(), query.scope_id) {
        ("customer", Some(id)) => Ok(Scope::Customer(id)),
        ("private", Some(id)) => Ok(Scope::Private(id)),
        ("team", None) => Ok(Scope::Team),
        ("settings", None) => Ok(Scope::Settings),
        _ => Err(ApiError::bad_request(
            "scope_kind is customer, private (both with scope_id), team or settings",
        )),
    }
}

fn check_hash(sha256: &str) -> ApiResult<()> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(ApiError::bad_request("a blob is named by its SHA-256 in lowercase hex"))
    }
}

/// Stores a blob; refused when its content does not hash to its name or it is too large.
#[utoipa::path(put, path = "/api/blobs/{sha256}", tag = "blobs", params(BlobName, BlobScope),
    request_body(content = inline(BlobBytes), content_type = "application/octet-stream",
        description = "The file; at most the server's blob limit (50 MiB unless configured), and its SHA-256 is its name"),
    responses((status = 201, description = "stored (also when the server had it already)"),
        (status = 400, description = "a malformed name or scope, or content that does not hash to the name", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "a scope the user may not add files to", body = ErrorBody),
        (status = 413, description = "over the blob limit", body = ErrorBody)))]
pub async fn put_blob(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(BlobName { sha256 }): ApiPath<BlobName>,
    ApiQuery(query): ApiQuery<BlobScope>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<axum::response::Response, ApiError> {
    check_hash(&sha256)?;
    let scope = scope_of(&query)?;
    let granted: HashSet<Uuid> = state.storage.grants_of(authed.user.id).await?.into_iter().collect();
    // Permission before the body: a refused upload costs the server nothing.
    if !rules::may_read(&authed.user, &granted, &scope)
        || (scope == Scope::Settings && authed.user.role == duly_protocol::Role::Guest)
    {
        return Ok(unread_body(ApiError::forbidden("you may not add files to that scope")));
    }
    // A quota per user (M4): what they added so far, this blob aside (sent again, it counts once).
    let quota = if authed.user.role == duly_protocol::Role::Guest {
        state.config.guest_blob_quota_bytes
    } else {
        state.config.user_blob_quota_bytes
    };
    let used = u64::try_from(state.storage.blob_usage(authed.user.id, &sha256).await?).unwrap_or(0);
    let room = quota.saturating_sub(used);
    let limit = u64::try_from(state.config.max_blob_bytes).unwrap_or(u64::MAX).min(room);
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit) {
        return Ok(unread_body(over_limit(room, state.config.max_blob_bytes)));
    }
    // Streamed to a file beside its final name while hashing: the server never holds a whole
    // file in memory, however many arrive at once.
    let dir = state.config.blob_dir.clone();
    let received = match receive(&dir, &sha256, body, limit).await {
        Ok(received) => received,
        Err(Receive::TooLarge) => return Ok(unread_body(over_limit(room, state.config.max_blob_bytes))),
        Err(Receive::Mismatch) => {
            return Err(ApiError::bad_request("the content does not match its SHA-256"));
        }
        Err(Receive::Io(error)) => return Err(ApiError::internal(error)),
    };
    let size = i64::try_from(received.size).map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || received.keep())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    state.storage.add_blob(authed.user.id, &sha256, size, scope).await?;
    // The same answer whether or not the server had the file already (in any scope), so an
    // upload cannot tell what else the company keeps.
    Ok(StatusCode::CREATED.into_response())
}

fn over_limit(room: u64, max_blob_bytes: usize) -> ApiError {
    if room < max_blob_bytes as u64 {
        ApiError::too_large("your storage quota for files on the server is used up")
    } else {
        ApiError::too_large("the file is over the size limit")
    }
}

enum Receive {
    TooLarge,
    Mismatch,
    Io(std::io::Error),
}

/// A blob written to a part file, flushed, whose content hashes to its name.
struct Received {
    partial: std::path::PathBuf,
    path: std::path::PathBuf,
    dir: std::path::PathBuf,
    size: u64,
}

impl Received {
    /// Renames it into place and flushes the folder, so an acknowledged blob survives a power
    /// cut. A file already in place is kept only when it is whole (its size matches): a torn
    /// one from before is replaced.
    fn keep(self) -> std::io::Result<()> {
        if std::fs::metadata(&self.path).is_ok_and(|m| m.len() == self.size) {
            return std::fs::remove_file(&self.partial);
        }
        std::fs::rename(&self.partial, &self.path)?;
        std::fs::File::open(&self.dir)?.sync_all()
    }
}

async fn receive(
    dir: &std::path::Path,
    sha256: &str,
    body: axum::body::Body,
    limit: u64,
) -> Result<Received, Receive> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    tokio::fs::create_dir_all(dir).await.map_err(Receive::Io)?;
    let partial = dir.join(format!("{sha256}.{}.part", Uuid::now_v7()));
    let written = async {
        let mut file = tokio::fs::File::create(&partial).await.map_err(Receive::Io)?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Receive::Io(std::io::Error::other(e)))?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(Receive::TooLarge);
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(Receive::Io)?;
        }
        if hex::encode(hasher.finalize()) != sha256 {
            return Err(Receive::Mismatch);
        }
        file.sync_all().await.map_err(Receive::Io)?;
        Ok(size)
    }
    .await;
    match written {
        Ok(size) => Ok(Received { partial, path: dir.join(sha256), dir: dir.to_path_buf(), size }),
        Err(error) => {
            let _ = tokio::fs::remove_file(&partial).await;
            Err(error)
        }
    }
}

/// A refusal sent before the body was read (all of it): the rest of the body is still on the
/// connection, so the answer closes it, and the client opens a fresh one for its next request.
fn unread_body(error: ApiError) -> axum::response::Response {
    let mut response = error.into_response();
    response.headers_mut().insert(header::CONNECTION, axum::http::HeaderValue::from_static("close"));
    response
}

/// A blob, to a user who may read one of the scopes it was added to.
#[utoipa::path(get, path = "/api/blobs/{sha256}", tag = "blobs", params(BlobName),
    responses((status = 200, content_type = "application/octet-stream", body = inline(BlobBytes)),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "no such blob in a scope the user reads", body = ErrorBody)))]
pub async fn get_blob(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(BlobName { sha256 }): ApiPath<BlobName>,
) -> ApiResult<impl IntoResponse> {
    check_hash(&sha256)?;
    let granted: HashSet<Uuid> = state.storage.grants_of(authed.user.id).await?.into_iter().collect();
    let scopes = state.storage.blob_scopes(&sha256).await?;
    if !scopes.iter().any(|scope| rules::may_read(&authed.user, &granted, scope)) {
        return Err(ApiError::not_found("blob"));
    }
    // Streamed from the file: a large attachment costs the server a buffer, not its size.
    let file =
        tokio::fs::File::open(state.config.blob_dir.join(&sha256)).await.map_err(ApiError::internal)?;
    let length = file.metadata().await.map_err(ApiError::internal)?.len();
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, length.to_string()),
        ],
        body,
    ))
}
