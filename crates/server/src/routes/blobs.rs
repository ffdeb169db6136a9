//! T8: attachments as content-addressed blobs; only metadata travels in the op stream.

use std::collections::HashSet;

use axum::body::Bytes;
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
    let Ok(body) = axum::body::to_bytes(body, state.config.max_blob_bytes).await else {
        return Ok(unread_body(ApiError::too_large("the file is over the size limit")));
    };
    let body: Bytes = body;
    if hex::encode(Sha256::digest(&body)) != sha256 {
        return Err(ApiError::bad_request("the content does not match its SHA-256"));
    }
    let dir = state.config.blob_dir.clone();
    let name = sha256.clone();
    let content = body.clone();
    tokio::task::spawn_blocking(move || store_durably(&dir, &name, &content))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let size = i64::try_from(body.len()).map_err(ApiError::internal)?;
    state.storage.add_blob(&sha256, size, scope).await?;
    // The same answer whether or not the server had the file already (in any scope), so an
    // upload cannot tell what else the company keeps.
    Ok(StatusCode::CREATED.into_response())
}

/// A refusal sent before the body was read (all of it): the rest of the body is still on the
/// connection, so the answer closes it, and the client opens a fresh one for its next request.
fn unread_body(error: ApiError) -> axum::response::Response {
    let mut response = error.into_response();
    response.headers_mut().insert(header::CONNECTION, axum::http::HeaderValue::from_static("close"));
    response
}

/// Writes a blob aside, flushes it, renames it into place and flushes the folder, so an
/// acknowledged blob survives a power cut. A file already in place is kept only when it is
/// whole (its size matches): a torn one from before is written again.
fn store_durably(dir: &std::path::Path, sha256: &str, content: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let path = dir.join(sha256);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() == content.len() as u64) {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let partial = dir.join(format!("{sha256}.{}.part", Uuid::now_v7()));
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(content)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&partial, &path)?;
    std::fs::File::open(dir)?.sync_all()
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
    let bytes = tokio::fs::read(state.config.blob_dir.join(&sha256)).await.map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}
