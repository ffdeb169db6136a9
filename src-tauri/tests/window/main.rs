//! The real Duly window under Xvfb, driven over WebDriver (tauri-driver + WebKitWebDriver), on
//! the app binary Cargo built for this test.
//!
//! The tests are `#[ignore]`d for plain `cargo test`; `cargo xtask test` runs them with
//! `--ignored` inside `xvfb-run … dbus-run-session`.

mod driver;
mod guest;
mod reminders;
mod scenario;
