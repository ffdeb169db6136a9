//! Errors of the core, each with a code from a closed set that IPC and HTTP reuse, so a window
//! or a client branches on [`ErrorCode`], never on the text.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::TaskStatus;

/// The closed set of error codes. Adding one is a protocol change: the UI knows them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    TooLong,
    ResponsibleRequired,
    OutcomeRequired,
    ReasonRequired,
    InvalidStatusTransition,
    UnknownKeyword,
    NotFound,
    Deleted,
    Storage,
    Internal,
    /// The sync server cannot be reached; work goes on locally.
    Offline,
    /// The server ended the session (logged out, disabled, password changed): log in again.
    SessionEnded,
    InvalidCredentials,
    /// The server refused: the user may not do this.
    Forbidden,
    /// The server has this already (a login name).
    Conflict,
    RateLimited,
    /// The server answered with an error of its own, or something unexpected.
    ServerError,
    /// This device's data was synced as another account: logging in as someone else would
    /// push that person's work under a new name and show them the previous account's data.
    OtherAccount,
    /// A server address the password would travel to unencrypted (`http://` to another
    /// computer), or no address at all.
    InsecureAddress,
    /// The server refused a new password as one of the commonest or easily guessed.
    WeakPassword,
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("a task needs exactly one responsible colleague")]
    ResponsibleRequired,
    #[error("completing a task needs its outcome")]
    OutcomeRequired,
    #[error("cancelling a task needs a reason")]
    ReasonRequired,
    #[error("a task cannot go from {from:?} to {to:?}")]
    InvalidStatusTransition { from: TaskStatus, to: TaskStatus },
    #[error("keyword {0} does not exist")]
    UnknownKeyword(Uuid),
    #[error("{entity} {id} does not exist")]
    NotFound { entity: &'static str, id: Uuid },
    #[error("{entity} {id} is in the trash")]
    Deleted { entity: &'static str, id: Uuid },
    #[error("storage error: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("this device syncs as another account ({0})")]
    OtherAccount(String),
}

impl CoreError {
    /// The input field a refusal is about, so a window can name it in the user's language.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } | Self::TooLong { field, .. } => Some(field),
            _ => None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::InvalidInput,
            Self::TooLong { .. } => ErrorCode::TooLong,
            Self::ResponsibleRequired => ErrorCode::ResponsibleRequired,
            Self::OutcomeRequired => ErrorCode::OutcomeRequired,
            Self::ReasonRequired => ErrorCode::ReasonRequired,
            Self::InvalidStatusTransition { .. } => ErrorCode::InvalidStatusTransition,
            Self::UnknownKeyword(_) => ErrorCode::UnknownKeyword,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Deleted { .. } => ErrorCode::Deleted,
            Self::Storage(_) | Self::Migrate(_) => ErrorCode::Storage,
            Self::Internal(_) => ErrorCode::Internal,
            Self::OtherAccount(_) => ErrorCode::OtherAccount,
        }
    }

    /// Stored data that does not parse is a bug or corruption, never the user's input.
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Internal(format!("stored value does not parse: {what}"))
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
