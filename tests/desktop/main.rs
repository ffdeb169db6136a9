//! The real Duly window under Xvfb, driven over WebDriver (tauri-driver + WebKitWebDriver).
//!
//! `cargo xtask test` builds the app and runs this with `DULY_E2E=1` inside
//! `xvfb-run … dbus-run-session`; without `DULY_E2E` it says so and checks nothing.

mod driver;
mod scenario;
