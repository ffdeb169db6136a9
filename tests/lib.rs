//! Shared helpers of the end-to-end tests live in `it/`; this crate has no code of its own.
