//! duly-core: the model, the working rules and the local store of Duly. No Tauri here.

pub mod clock;
pub mod demo;
pub mod error;
pub mod model;
pub mod schedule;
pub mod search;
pub mod store;
pub mod sync;
pub mod views;

pub use error::{CoreError, ErrorCode, Result};
pub use store::{Store, StoreOptions};
