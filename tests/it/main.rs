//! End-to-end tests across crates, one binary.

mod daily_work;
