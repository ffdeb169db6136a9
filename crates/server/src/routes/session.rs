//! Health, login and logout.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use duly_protocol::limits::{MAX_LOGIN_BYTES, MAX_PASSWORD_BYTES};
use duly_protocol::{ErrorBody, ErrorCode, Health, LoginRequest, LoginResponse, PROTOCOL_VERSION, User};

use crate::auth::{self, Authed};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::state::AppState;

/// Answers once the database is open and migrated.
#[utoipa::path(get, path = "/health", tag = "session", security(()),
    responses((status = 200, body = Health), (status = 400, body = ErrorBody)))]
pub async fn health() -> ApiJson<Health> {
    ApiJson(Health { status: "ok".into(), protocol: PROTOCOL_VERSION })
}

/// Logs in; the token is shown once and only its hash is kept.
#[utoipa::path(post, path = "/api/auth/login", tag = "session", security(()), request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 400, body = ErrorBody),
        (status = 401, description = "wrong login name or password", body = ErrorBody),
        (status = 403, description = "the account is disabled", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 429, description = "too many attempts from this address or for this account", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<ApiJson<LoginResponse>> {
    // Lengths first: nothing is hashed or remembered for a body no account could match.
    if request.login.len() > MAX_LOGIN_BYTES || request.password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::bad_request(format!(
            "a login name has at most {MAX_LOGIN_BYTES} bytes and a password at most {MAX_PASSWORD_BYTES}"
        )));
    }
    let from = client_address(&headers, peer.ip(), state.config.trusted_proxy);
    let login = request.login.trim().to_lowercase();
    state.throttle.check(&login, from)?;
    let refused = || {
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials, "wrong login name or password")
    };
    // No account has a NUL in its name (`create_user` refuses one, and PostgreSQL could not
    // look one up): such a login is an unknown one, not a 500.
    let known = if login.contains('\0') { None } else { state.storage.credentials(&login).await? };
    let Some(credentials) = known else {
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
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, authed: Authed) -> ApiResult<StatusCode> {
    state.storage.end_session(&authed.token_hash).await?;
    let _ = state.ended.send(crate::state::Ended::Session(authed.token_hash.clone()));
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/me", tag = "session",
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn me(authed: Authed) -> ApiJson<User> {
    ApiJson(authed.user)
}

/// Where a login comes from: the peer, or behind a trusted proxy the last `X-Forwarded-For`
/// entry, which that proxy added (earlier entries are whatever the client sent).
fn client_address(
    headers: &axum::http::HeaderMap,
    peer: std::net::IpAddr,
    trusted_proxy: bool,
) -> std::net::IpAddr {
    if !trusted_proxy {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|entry| entry.trim().parse().ok())
        .next_back()
        .unwrap_or(peer)
}

/// An argon2id hash of a random password, verified against when the login is unknown.
pub(crate) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$WbY0rtbZK7MZ8cjeNIdyW6LfG5fgAAeWb3FMfXAsrXc";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
        let mut headers = axum::http::HeaderMap::new();
        headers.append("x-forwarded-for", "6.6.6.6, 10.0.0.7".parse().expect("header"));
        let proxy: std::net::IpAddr = [127, 0, 0, 1].into();
        assert_eq!(client_address(&headers, proxy, false), proxy, "a client cannot choose its address");
        assert_eq!(client_address(&headers, proxy, true), std::net::IpAddr::from([10, 0, 0, 7]));
        assert_eq!(client_address(&axum::http::HeaderMap::new(), proxy, true), proxy);
    }
}
