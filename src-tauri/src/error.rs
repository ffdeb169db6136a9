//! Errors cross IPC as `{code, message}`; the window branches on `code` (a closed set shared
//! with the core), the message is for logs and developers.

use duly_core::{CoreError, ErrorCode};
use serde::Serialize;

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

impl From<CoreError> for IpcError {
    fn from(error: CoreError) -> Self {
        let code = error.code();
        let message = match code {
            // Internals are logged, not shown: they mean nothing to a user and may leak paths.
            ErrorCode::Storage | ErrorCode::Internal => {
                tracing::error!(%error, "command failed");
                eprintln!("[duly] {error}");
                "internal error".to_owned()
            }
            _ => error.to_string(),
        };
        Self { code, message }
    }
}

impl IpcError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self { code: ErrorCode::InvalidInput, message: message.into() }
    }
}

pub type IpcResult<T> = Result<T, IpcError>;
