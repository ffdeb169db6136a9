//! End-to-end tests across crates, one binary.

mod daily_work;
mod hostile;
mod migrations;
mod openapi_fuzz;
mod server_api;
mod sync_random;
mod sync_recurrence;
mod sync_scenarios;
pub mod sync_support;
