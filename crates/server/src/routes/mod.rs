//! The HTTP surface: routes, the protocol-version check and the OpenAPI document.

mod admin;
mod blobs;
mod openapi;
pub(crate) mod session;
mod sync;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use duly_protocol::{ErrorCode, PROTOCOL_HEADER, PROTOCOL_VERSION};
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;

use crate::error::ApiError;
use crate::state::AppState;

pub use admin::create_user;
pub use openapi::{ApiDoc, openapi_document};

pub fn router(state: AppState) -> Router {
    let config = &state.config;
    let login_limit = GovernorConfigBuilder::default()
        .period(Duration::from_millis(config.login_refill_ms.max(1)))
        .burst_size(config.login_burst.max(1))
        .finish()
        .map(|conf| {
            GovernorLayer::new(conf).error_handler(|_| {
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::RateLimited,
                    "too many login attempts from this address",
                )
                .into_response_body()
            })
        });
    let mut login = Router::new().route("/api/auth/login", post(session::login));
    // Behind a proxy every login comes from the proxy's address: one bucket would let one
    // attacker hold everyone back, so that limit is the proxy's there.
    if let Some(layer) = login_limit.filter(|_| !config.trusted_proxy) {
        login = login.layer(layer);
    }
    let blob_limit = config.max_blob_bytes + 1024;
    let blob_routes = Router::new()
        .route("/api/blobs/{sha256}", axum::routing::put(blobs::put_blob).get(blobs::get_blob))
        .layer(DefaultBodyLimit::max(blob_limit));
    Router::new()
        .route("/health", get(session::health))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route("/api/auth/logout", post(session::logout))
        .route("/api/me", get(session::me))
        .route("/api/sync/push", post(sync::push))
        .route("/api/sync/pull", get(sync::pull))
        .route("/api/sync/snapshot", get(sync::snapshot))
        .route("/api/sync/events", get(sync::events))
        .route("/api/admin/users", get(admin::list_users).post(admin::add_user))
        .route("/api/admin/users/{id}/disable", post(admin::disable_user))
        .route("/api/admin/users/{id}/enable", post(admin::enable_user))
        .route("/api/admin/users/{id}/password", post(admin::reset_password))
        .route("/api/admin/users/{id}/colleague", axum::routing::put(admin::bind_colleague))
        .route("/api/admin/grants", post(admin::grant))
        .route("/api/admin/revokes", post(admin::revoke))
        .route("/api/customers/{id}/shares", get(admin::customer_shares))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .merge(login)
        .merge(blob_routes)
        .fallback(|| async { ApiError::not_found("endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::BadRequest, "method not allowed here")
        })
        .layer(middleware::from_fn_with_state(state.clone(), check_protocol))
        .with_state(state)
}

/// A client that names a protocol version must name ours; sync calls must name one.
async fn check_protocol(
    State(_state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = request.headers().get(PROTOCOL_HEADER).map(|v| v.to_str().unwrap_or("?").to_owned());
    let needs = request.uri().path().starts_with("/api/sync/");
    match header {
        Some(version) if version != PROTOCOL_VERSION.to_string() => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::UnsupportedProtocol,
            format!("protocol version {version} is not supported; this server speaks {PROTOCOL_VERSION}"),
        )),
        None if needs => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::UnsupportedProtocol,
            format!("send the {PROTOCOL_HEADER} header (this server speaks {PROTOCOL_VERSION})"),
        )),
        _ => Ok(next.run(request).await),
    }
}

impl ApiError {
    fn into_response_body(self) -> axum::response::Response {
        axum::response::IntoResponse::into_response(self)
    }
}
