//! Errors cross IPC as `{code, message, field}`; the window branches on `code` (a closed set
//! shared with the core) and names `field` in its own words; the message is for logs and
//! developers.

use duly_core::{CoreError, ErrorCode};
use serde::Serialize;

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    /// The input field a refusal is about (`date`, `recurrence`, `title`, …).
    #[ts(optional = nullable)]
    pub field: Option<String>,
}

impl From<CoreError> for IpcError {
    fn from(error: CoreError) -> Self {
        let (code, field) = (error.code(), error.field().map(str::to_owned));
        let message = match code {
            // Internals are logged, not shown: they mean nothing to a user and may leak paths.
            ErrorCode::Storage | ErrorCode::Internal => {
                tracing::error!(%error, "command failed");
                eprintln!("[duly] {error}");
                "internal error".to_owned()
            }
            _ => error.to_string(),
        };
        Self { code, message, field }
    }
}

impl IpcError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self { code: ErrorCode::InvalidInput, message: message.into(), field: None }
    }
}

pub type IpcResult<T> = Result<T, IpcError>;
