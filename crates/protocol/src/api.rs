//! Request and response bodies of the server's HTTP API.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{OpId, Operation, Scope};

/// Every error the server answers with: a code from a closed set and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body or a parameter is malformed or breaks a rule.
    BadRequest,
    /// No token, or a token that is unknown or ended.
    Unauthorized,
    /// The user is known but may not do this.
    Forbidden,
    NotFound,
    /// The thing exists already (a login name, a blob with other content).
    Conflict,
    TooLarge,
    UnsupportedProtocol,
    RateLimited,
    InvalidCredentials,
    /// An operation names a scope the user may not write, or an entity that lives elsewhere.
    ForbiddenScope,
    /// An operation that cannot be applied as sent (its value does not fit its kind).
    InvalidOperation,
    /// The op id is taken: the client id belongs to another user, or the server logged another
    /// op under this id (a store restored from a backup). The client takes a new client id and
    /// pushes the op again; nothing is lost.
    OpIdTaken,
    /// The op's clock stamp is further ahead of the server's clock than the protocol allows
    /// (`limits::MAX_CLOCK_AHEAD_SECS`). The client corrects its clock by the push answer's
    /// `server_time_ms`, stamps the op again and pushes it again; nothing is lost.
    ClockAhead,
    /// A new password that is among the commonest or is easily guessed (from the login or the
    /// name, a keyboard row, a date): choose a longer one.
    WeakPassword,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::TooLarge => "too_large",
            Self::UnsupportedProtocol => "unsupported_protocol",
            Self::RateLimited => "rate_limited",
            Self::InvalidCredentials => "invalid_credentials",
            Self::ForbiddenScope => "forbidden_scope",
            Self::InvalidOperation => "invalid_operation",
            Self::OpIdTaken => "op_id_taken",
            Self::ClockAhead => "clock_ahead",
            Self::WeakPassword => "weak_password",
            Self::Internal => "internal",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::BadRequest,
            Self::Unauthorized,
            Self::Forbidden,
            Self::NotFound,
            Self::Conflict,
            Self::TooLarge,
            Self::UnsupportedProtocol,
            Self::RateLimited,
            Self::InvalidCredentials,
            Self::ForbiddenScope,
            Self::InvalidOperation,
            Self::OpIdTaken,
            Self::ClockAhead,
            Self::WeakPassword,
            Self::Internal,
        ]
        .into_iter()
        .find(|code| code.as_str() == text)
    }
}

/// P3: what a user may see and do. Admins and managers manage users and sharing and see every
/// customer; members see the customers shared with them, the team scope and their own private
/// scope; guests (C10) see only the customers shared with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Manager,
    Member,
    Guest,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::Member => "member",
            Self::Guest => "guest",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Admin, Self::Manager, Self::Member, Self::Guest].into_iter().find(|r| r.as_str() == text)
    }

    /// Manages users and sharing, and sees every customer.
    pub fn manages(self) -> bool {
        matches!(self, Self::Admin | Self::Manager)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    /// The colleague record that stands for this user in the shared data; bound at the first
    /// login from a device (the device's own profile) unless an admin set it.
    pub colleague_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::login_name))]
    pub login: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::given_password))]
    pub password: String,
    /// The device's profile colleague, offered for binding when the user has none yet.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::optional_uuid))]
    pub colleague_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    /// Opaque bearer token; the server keeps only its hash.
    pub token: String,
    pub user: User,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewUser {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::new_login_name))]
    pub login: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::user_name))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::new_password))]
    pub password: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::new_password))]
    pub password: String,
}

/// An admin says which colleague record a user stands for (H1), or that they stand for none:
/// for a colleague someone else entered before the person had an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColleagueBinding {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::optional_uuid))]
    pub colleague_id: Option<Uuid>,
}

/// C6: shares customers with a user (many at once) or takes them back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantRequest {
    pub user_id: Uuid,
    pub customer_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerShares {
    pub customer_id: Uuid,
    pub users: Vec<User>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub client_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::push_ops))]
    pub ops: Vec<Operation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OpOutcome {
    Applied {
        seq: i64,
    },
    /// Sent before (a retried push): acknowledged, nothing written twice.
    Duplicate {
        seq: i64,
    },
    Rejected {
        code: ErrorCode,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpResult {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sent_op_id))]
    pub op_id: OpId,
    #[serde(flatten)]
    pub outcome: OpOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub results: Vec<OpResult>,
    pub latest_seq: i64,
    /// The server's clock when it decided the push (milliseconds since 1970 UTC): a client
    /// whose stamps were refused as `clock_ahead` corrects its own clock by it.
    #[serde(default)]
    pub server_time_ms: i64,
}

/// An operation as the server logged it: its place in the global order and who sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoggedOp {
    pub seq: i64,
    pub author: Uuid,
    pub op: Operation,
}

/// `GET /api/sync/pull?since=N[&scope=…]`: operations after `since` in the user's scopes, and
/// the scopes the user holds now, so the client can bootstrap new grants and purge revoked ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse {
    pub ops: Vec<LoggedOp>,
    /// Pull again from here.
    pub next: i64,
    /// More operations wait after `next`.
    pub more: bool,
    pub scopes: Vec<Scope>,
    pub latest_seq: i64,
}

/// `GET /api/sync/snapshot?since=N[&upto=M][&scope=…]`: how a new device (or a new grant) starts
/// from the state instead of the whole history. A page holds the operations that still decide
/// the state of the scopes the user holds: every create, and for each field, and for the trash
/// flag, the one that wins by stamp in its scope, in seq order up to `upto`. Applying them gives
/// what applying the whole log up to `upto` gives; then the client pulls from `upto`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapshotResponse {
    pub ops: Vec<LoggedOp>,
    /// Ask for the next page from here (as `since`, with the same `upto`).
    pub next: i64,
    pub more: bool,
    /// The seq the snapshot is consistent at: pull from here once the last page is applied.
    pub upto: i64,
    /// On the first page (`since` 0): how many operations the whole snapshot holds, for the
    /// progress the window shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    pub scopes: Vec<Scope>,
    pub latest_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    pub protocol: u32,
}

/// The live channel's message: the newest seq; the client pulls when it is past its cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Poke {
    pub latest_seq: i64,
}
