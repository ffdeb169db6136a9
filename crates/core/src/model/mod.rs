//! The model: plain data with serde, no IO. Field names here are the field names of history
//! entries and sync operations, so renaming one is a protocol change.

mod comment;
mod customer;
mod history;
mod recurrence;
mod settings;
mod task;
pub mod validate;

pub use comment::*;
pub use customer::*;
pub use history::*;
pub use recurrence::*;
pub use settings::*;
pub use task::*;

use uuid::Uuid;

/// Ids are UUIDv7 made on the client, so anything can be created offline.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
