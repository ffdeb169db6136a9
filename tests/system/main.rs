//! End-to-end tests across crates, one binary.

mod bounds;
mod clocks;
mod daily_work;
mod hostile;
mod hostile_records;
mod migrations;
mod moves;
mod openapi_fuzz;
mod refused;
mod server_api;
mod snapshots;
mod sync_random;
mod sync_recurrence;
mod sync_scenarios;
pub mod sync_support;
