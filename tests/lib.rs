//! Shared helpers of the system tests live in `system/`; this crate has no code of its own.
