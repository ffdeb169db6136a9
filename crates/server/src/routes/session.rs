//! Health, login and logout.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use duly_protocol::limits::MAX_LOGIN_BYTES;
use duly_protocol::{ErrorCode, Health, LoginRequest, LoginResponse, PROTOCOL_VERSION, User};

use crate::auth::{self, Authed};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::state::AppState;

/// Answers once the database is open and migrated.
#[utoipa::path(get, path = "/health", tag = "session", security(()),
    responses((status = 200, body = Health)))]
pub async fn health() -> ApiJson<Health> {
    ApiJson(Health { status: "ok".into(), protocol: PROTOCOL_VERSION })
}

/// Logs in; the token is shown once and only its hash is kept.
#[utoipa::path(post, path = "/api/auth/login", tag = "session", security(()), request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 400, body = duly_protocol::ErrorBody),
        (status = 401, body = duly_protocol::ErrorBody), (status = 429, body = duly_protocol::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<ApiJson<LoginResponse>> {
    // Lengths first: nothing is hashed or remembered for a body no account could match.
    if request.login.len() > MAX_LOGIN_BYTES || request.password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::bad_request(format!(
            "a login name has at most {MAX_LOGIN_BYTES} bytes and a password at most {MAX_PASSWORD_BYTES}"
        )));
    }
    let from = peer.ip();
    let login = request.login.trim().to_lowercase();
    state.throttle.check(&login, from)?;
    let refused = || {
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials, "wrong login name or password")
    };
    let Some(credentials) = state.storage.credentials(&login).await? else {
        // Same work whether or not the account exists, so timing does not tell.
        let _ = auth::verify_password(request.password, DUMMY_HASH.into()).await;
        state.throttle.failed(&login, from);
        return Err(refused());
    };
    if !auth::verify_password(request.password, credentials.password_hash).await {
        state.throttle.failed(&login, from);
        return Err(refused());
    }
    let mut user = credentials.user;
    if !user.active {
        return Err(ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "this account is disabled"));
    }
    state.throttle.succeeded(&login, from);
    if let (None, Some(colleague)) = (user.colleague_id, request.colleague_id) {
        user.colleague_id = state.storage.bind_colleague(user.id, colleague).await?;
    }
    let token = auth::new_token();
    state.storage.add_session(&auth::token_hash(&token), user.id, state.config.sessions_per_user).await?;
    Ok(ApiJson(LoginResponse { token, user }))
}

/// Ends this session at once.
#[utoipa::path(post, path = "/api/auth/logout", tag = "session",
    responses((status = 204), (status = 401, body = duly_protocol::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, authed: Authed) -> ApiResult<StatusCode> {
    state.storage.end_session(&authed.token_hash).await?;
    let _ = state.ended.send(crate::state::Ended::Session(authed.token_hash.clone()));
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/me", tag = "session",
    responses((status = 200, body = User), (status = 401, body = duly_protocol::ErrorBody)))]
pub async fn me(authed: Authed) -> ApiJson<User> {
    ApiJson(authed.user)
}

/// Longer than any passphrase anyone types; bounds the hashing work of one attempt.
const MAX_PASSWORD_BYTES: usize = 1024;

/// An argon2id hash of a random password, verified against when the login is unknown.
pub(crate) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$WbY0rtbZK7MZ8cjeNIdyW6LfG5fgAAeWb3FMfXAsrXc";
