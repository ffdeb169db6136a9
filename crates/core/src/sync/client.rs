//! The HTTP side of sync: one typed call per server endpoint, errors sorted into what the
//! loop can act on (offline: retry later; unauthorized: log in again; refused: show it).

use std::time::Duration;

use duly_protocol::{
    CustomerShares, ErrorBody, ErrorCode, GrantRequest, LoggedOp, LoginRequest, LoginResponse, NewUser,
    Operation, PROTOCOL_HEADER, PROTOCOL_VERSION, PushRequest, PushResponse, Scope, User,
};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The server could not be reached (no network, server down, timeout).
    #[error("the server cannot be reached: {0}")]
    Offline(String),
    #[error("the session has ended; log in again")]
    Unauthorized,
    /// The server answered with an error body.
    #[error("{message}")]
    Refused { status: u16, code: ErrorCode, message: String },
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// Not an address the password and session may travel to (L5).
    #[error("{0}")]
    Address(String),
    #[error(transparent)]
    Store(#[from] crate::error::CoreError),
}

impl SyncError {
    /// The closed code the window branches on.
    pub fn code(&self) -> crate::error::ErrorCode {
        use crate::error::ErrorCode as Code;
        match self {
            Self::Offline(_) => Code::Offline,
            Self::Unauthorized => Code::SessionEnded,
            Self::Refused { code, .. } => match code {
                ErrorCode::InvalidCredentials => Code::InvalidCredentials,
                ErrorCode::Forbidden | ErrorCode::ForbiddenScope => Code::Forbidden,
                ErrorCode::NotFound => Code::NotFound,
                ErrorCode::Conflict | ErrorCode::OpIdTaken | ErrorCode::ClockAhead => Code::Conflict,
                ErrorCode::RateLimited => Code::RateLimited,
                ErrorCode::WeakPassword => Code::WeakPassword,
                ErrorCode::BadRequest | ErrorCode::TooLarge | ErrorCode::InvalidOperation => {
                    Code::InvalidInput
                }
                ErrorCode::Unauthorized => Code::SessionEnded,
                ErrorCode::UnsupportedProtocol | ErrorCode::Internal => Code::ServerError,
            },
            Self::Protocol(_) => Code::ServerError,
            Self::Address(_) => Code::InsecureAddress,
            Self::Store(error) => error.code(),
        }
    }
}

/// The password and the session token travel only encrypted (L5): `https://`, or plain
/// `http://` to this computer itself (a server beside the app, or behind a local TLS proxy).
fn check_address(base: &str) -> Result<(), SyncError> {
    let url = reqwest::Url::parse(base)
        .map_err(|_| SyncError::Address(format!("{base:?} is not a server address (https://…)")))?;
    let host = url.host_str().unwrap_or_default();
    let local = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" if !host.is_empty() => Ok(()),
        "http" if local => Ok(()),
        "http" => Err(SyncError::Address(
            "the server address must start with https://: over http:// the password would travel unencrypted"
                .into(),
        )),
        _ => Err(SyncError::Address(format!("{base:?} is not a server address (https://…)"))),
    }
}

/// A client for one server with one session token.
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// reqwest is built without a crypto provider of its own (see Cargo.toml): every HTTP client
/// of the process, this crate's or another's, needs ring installed first. Idempotent.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl SyncClient {
    pub fn new(base_url: &str) -> Result<Self, SyncError> {
        let base = base_url.trim().trim_end_matches('/').to_owned();
        check_address(&base)?;
        install_crypto();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        Ok(Self { http, base, token: None })
    }

    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request
    }

    async fn send<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, SyncError> {
        let response = Self::send_raw(request).await?;
        response.json::<T>().await.map_err(|e| SyncError::Protocol(e.to_string()))
    }

    async fn send_raw(request: RequestBuilder) -> Result<reqwest::Response, SyncError> {
        let response = request.send().await.map_err(|e| SyncError::Offline(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status == StatusCode::UNAUTHORIZED {
            let body: Option<ErrorBody> = response.json().await.ok();
            if let Some(body) = body.filter(|b| b.code == ErrorCode::InvalidCredentials) {
                return Err(SyncError::Refused { status: 401, code: body.code, message: body.message });
            }
            return Err(SyncError::Unauthorized);
        }
        if status.is_server_error() && status != StatusCode::INTERNAL_SERVER_ERROR {
            // A proxy in front of a server that is down or restarting.
            return Err(SyncError::Offline(format!("server answered {status}")));
        }
        match response.json::<ErrorBody>().await {
            Ok(body) => {
                Err(SyncError::Refused { status: status.as_u16(), code: body.code, message: body.message })
            }
            Err(_) => Err(SyncError::Protocol(format!("server answered {status} without an error body"))),
        }
    }

    pub async fn health(&self) -> Result<duly_protocol::Health, SyncError> {
        Self::send(self.request(Method::GET, "/health")).await
    }

    pub async fn login(
        &self,
        login: &str,
        password: &str,
        colleague_id: Option<Uuid>,
    ) -> Result<LoginResponse, SyncError> {
        let body = LoginRequest { login: login.to_owned(), password: password.to_owned(), colleague_id };
        Self::send(self.request(Method::POST, "/api/auth/login").json(&body)).await
    }

    pub async fn logout(&self) -> Result<(), SyncError> {
        Self::send_raw(self.request(Method::POST, "/api/auth/logout")).await.map(|_| ())
    }

    pub async fn me(&self) -> Result<User, SyncError> {
        Self::send(self.request(Method::GET, "/api/me")).await
    }

    pub async fn push(&self, client_id: Uuid, ops: Vec<Operation>) -> Result<PushResponse, SyncError> {
        Self::send(self.request(Method::POST, "/api/sync/push").json(&PushRequest { client_id, ops })).await
    }

    /// One page of operations. Each op is decoded on its own: one this client cannot read is
    /// handed back in `undecodable` instead of failing the page, so it cannot stop sync.
    pub async fn pull(&self, since: i64, scope: Option<Scope>) -> Result<PulledPage, SyncError> {
        let query = scope_query(vec![("since", since.to_string())], scope);
        let response = Self::send_raw(self.request(Method::GET, "/api/sync/pull").query(&query)).await?;
        let body = response.bytes().await.map_err(|e| SyncError::Offline(e.to_string()))?;
        PulledPage::decode(&body)
    }

    /// One page of the snapshot: the ops that still decide the state, up to `upto` (absent on
    /// the first page, which answers it). Decoded as a pull page is.
    pub async fn snapshot(
        &self,
        since: i64,
        upto: Option<i64>,
        scope: Option<Scope>,
    ) -> Result<PulledPage, SyncError> {
        let mut query = vec![("since", since.to_string())];
        if let Some(upto) = upto {
            query.push(("upto", upto.to_string()));
        }
        let query = scope_query(query, scope);
        let response = Self::send_raw(self.request(Method::GET, "/api/sync/snapshot").query(&query)).await?;
        let body = response.bytes().await.map_err(|e| SyncError::Offline(e.to_string()))?;
        PulledPage::decode(&body)
    }

    /// Opens the live channel: a stream of server-sent events; each `poke` says a newer seq exists.
    pub async fn events(&self) -> Result<reqwest::Response, SyncError> {
        let request = self.request(Method::GET, "/api/sync/events").timeout(Duration::from_secs(24 * 3600));
        Self::send_raw(request).await
    }

    pub async fn users(&self) -> Result<Vec<User>, SyncError> {
        Self::send(self.request(Method::GET, "/api/admin/users")).await
    }

    pub async fn add_user(&self, new: &NewUser) -> Result<User, SyncError> {
        Self::send(self.request(Method::POST, "/api/admin/users").json(new)).await
    }

    pub async fn set_user_active(&self, id: Uuid, active: bool) -> Result<User, SyncError> {
        let verb = if active { "enable" } else { "disable" };
        Self::send(self.request(Method::POST, &format!("/api/admin/users/{id}/{verb}"))).await
    }

    /// An admin says which colleague record a user stands for, or none (H1).
    pub async fn bind_colleague(&self, id: Uuid, colleague_id: Option<Uuid>) -> Result<User, SyncError> {
        let body = duly_protocol::ColleagueBinding { colleague_id };
        Self::send(self.request(Method::PUT, &format!("/api/admin/users/{id}/colleague")).json(&body)).await
    }

    pub async fn grant(&self, user_id: Uuid, customer_ids: Vec<Uuid>) -> Result<(), SyncError> {
        let body = GrantRequest { user_id, customer_ids };
        Self::send_raw(self.request(Method::POST, "/api/admin/grants").json(&body)).await.map(|_| ())
    }

    pub async fn revoke(&self, user_id: Uuid, customer_ids: Vec<Uuid>) -> Result<(), SyncError> {
        let body = GrantRequest { user_id, customer_ids };
        Self::send_raw(self.request(Method::POST, "/api/admin/revokes").json(&body)).await.map(|_| ())
    }

    pub async fn shares(&self, customer_id: Uuid) -> Result<CustomerShares, SyncError> {
        Self::send(self.request(Method::GET, &format!("/api/customers/{customer_id}/shares"))).await
    }

    pub async fn put_blob(&self, bytes: Vec<u8>, scope: Scope) -> Result<String, SyncError> {
        use sha2::Digest;
        let sha = hex::encode(sha2::Sha256::digest(&bytes));
        let (kind, id) = match scope {
            Scope::Customer(id) => ("customer", Some(id)),
            Scope::Private(id) => ("private", Some(id)),
            Scope::Team => ("team", None),
            Scope::Settings => ("settings", None),
        };
        let mut query = vec![("scope_kind", kind.to_owned())];
        if let Some(id) = id {
            query.push(("scope_id", id.to_string()));
        }
        let request = self.request(Method::PUT, &format!("/api/blobs/{sha}")).query(&query).body(bytes);
        Self::send_raw(request).await?;
        Ok(sha)
    }

    pub async fn get_blob(&self, sha256: &str) -> Result<Vec<u8>, SyncError> {
        let response = Self::send_raw(self.request(Method::GET, &format!("/api/blobs/{sha256}"))).await?;
        Ok(response.bytes().await.map_err(|e| SyncError::Offline(e.to_string()))?.to_vec())
    }
}

/// Adds the one scope a read is limited to, if any, to a query.
fn scope_query(mut query: Vec<(&'static str, String)>, scope: Option<Scope>) -> Vec<(&'static str, String)> {
    match scope {
        Some(Scope::Customer(id)) => {
            query.extend([("scope_kind", "customer".into()), ("scope_id", id.to_string())])
        }
        Some(Scope::Private(id)) => {
            query.extend([("scope_kind", "private".into()), ("scope_id", id.to_string())])
        }
        Some(Scope::Team) => query.push(("scope_kind", "team".into())),
        Some(Scope::Settings) => query.push(("scope_kind", "settings".into())),
        None => {}
    }
    query
}

/// A pull page as this client read it.
#[derive(Debug, Clone, PartialEq)]
pub struct PulledPage {
    pub ops: Vec<LoggedOp>,
    /// Ops of the page that could not be read, in page order.
    pub undecodable: Vec<UndecodableOp>,
    pub next: i64,
    pub more: bool,
    pub scopes: Vec<Scope>,
    pub latest_seq: i64,
    /// A snapshot page: the seq it is consistent at.
    pub upto: Option<i64>,
    /// A snapshot's first page: how many ops the whole snapshot holds.
    pub total: Option<i64>,
}

/// A pulled op this client could not read, kept as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndecodableOp {
    /// The server's seq, when even that could not be read: `None`.
    pub seq: Option<i64>,
    pub reason: String,
    pub body: String,
}

/// The page's frame; each op stays raw text until it is decoded on its own. Skipping a raw
/// value walks it without recursion, so no nesting in one op breaks the frame.
#[derive(Deserialize)]
struct RawPage {
    ops: Vec<Box<serde_json::value::RawValue>>,
    next: i64,
    more: bool,
    scopes: Vec<Scope>,
    latest_seq: i64,
    #[serde(default)]
    upto: Option<i64>,
    #[serde(default)]
    total: Option<i64>,
}

#[derive(Deserialize)]
struct SeqOnly {
    seq: i64,
}

impl PulledPage {
    pub fn decode(body: &[u8]) -> Result<Self, SyncError> {
        let raw: RawPage = serde_json::from_slice(body).map_err(|e| SyncError::Protocol(e.to_string()))?;
        let mut page = PulledPage {
            ops: Vec::with_capacity(raw.ops.len()),
            undecodable: Vec::new(),
            next: raw.next,
            more: raw.more,
            scopes: raw.scopes,
            latest_seq: raw.latest_seq,
            upto: raw.upto,
            total: raw.total,
        };
        for op in raw.ops {
            let text = op.get();
            let read = serde_json::from_str::<LoggedOp>(text).map_err(|e| e.to_string()).and_then(|logged| {
                duly_protocol::limits::check_value(&logged.op.value)
                    .map(|()| logged)
                    .map_err(|p| p.to_string())
            });
            match read {
                Ok(logged) => page.ops.push(logged),
                Err(reason) => {
                    let seq = serde_json::from_str::<SeqOnly>(text).ok().map(|s| s.seq);
                    tracing::warn!(?seq, %reason, "a pulled operation could not be read; kept aside");
                    page.undecodable.push(UndecodableOp { seq, reason, body: text.to_owned() });
                }
            }
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(seq: i64, value: &str) -> String {
        format!(
            r#"{{"seq":{seq},"author":"{author}","op":{{"op_id":{{"client_id":"{author}","client_seq":{seq}}},
            "scope":{{"kind":"team"}},"entity":"task","entity_id":"{author}","kind":"set","field":"title",
            "value":{value},"hlc":"1/1"}}}}"#,
            author = Uuid::nil()
        )
    }

    #[test]
    fn the_password_travels_only_encrypted_or_within_this_computer() {
        for fine in [
            "https://duly.example.hu",
            "https://10.0.0.5:8720/",
            "http://127.0.0.1:8720",
            "http://localhost:8720",
            "http://[::1]:8720",
        ] {
            assert!(SyncClient::new(fine).is_ok(), "{fine}");
        }
        for refused in [
            "http://192.168.1.10:8720",
            "http://duly.example.hu",
            "ftp://duly.example.hu",
            "duly.example.hu",
            "https://",
            "",
        ] {
            let error = SyncClient::new(refused).expect_err(refused);
            assert_eq!(error.code(), crate::error::ErrorCode::InsecureAddress, "{refused}");
        }
    }

    #[test]
    fn an_op_nested_too_deep_is_kept_aside_and_the_page_still_reads() {
        // 124 levels: within serde_json's 128 for the op alone, past it inside a page.
        let deep = format!("{}{}", "[".repeat(124), "]".repeat(124));
        let body = format!(
            r#"{{"ops":[{},{},{}],"next":3,"more":false,"scopes":[{{"kind":"team"}}],"latest_seq":3}}"#,
            logged(1, r#""Ajánlat""#),
            logged(2, &deep),
            logged(3, r#""Számla""#)
        );
        assert!(
            serde_json::from_str::<duly_protocol::PullResponse>(&body).is_err(),
            "a whole-page read fails"
        );
        let page = PulledPage::decode(body.as_bytes()).expect("the page reads");
        let seqs: Vec<i64> = page.ops.iter().map(|op| op.seq).collect();
        assert_eq!(seqs, [1, 3]);
        assert_eq!(page.undecodable.len(), 1);
        assert_eq!(page.undecodable[0].seq, Some(2));
        assert!(page.undecodable[0].reason.contains("nested"), "{}", page.undecodable[0].reason);
        assert_eq!((page.next, page.more), (3, false));
    }

    #[test]
    fn an_op_of_an_unknown_kind_is_kept_aside() {
        let odd = logged(7, r#""x""#).replace(r#""entity":"task""#, r#""entity":"invoice""#);
        let body = format!(r#"{{"ops":[{odd}],"next":7,"more":false,"scopes":[],"latest_seq":7}}"#);
        let page = PulledPage::decode(body.as_bytes()).expect("the page reads");
        assert!(page.ops.is_empty());
        assert_eq!(page.undecodable[0].seq, Some(7));
        assert_eq!(page.undecodable[0].body, odd);
    }
}
