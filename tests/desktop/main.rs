//! The real Duly window under Xvfb, driven over WebDriver (tauri-driver + WebKitWebDriver).
//!
//! The test is `#[ignore]`d for plain `cargo test`; `cargo xtask test` builds the app and runs
//! it with `--ignored` inside `xvfb-run … dbus-run-session`.

mod driver;
mod reminders;
mod scenario;
