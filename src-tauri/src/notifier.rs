//! Delivers the scheduler's notices as desktop notifications (notify-rust: D-Bus on Linux,
//! the notification centre on macOS, toasts on Windows). A click opens the task or view where
//! the platform reports it.

use duly_core::schedule::text::render;
use duly_core::schedule::{Lang, Notice, Notifier};
use tauri::{AppHandle, Manager};

use crate::state::AppState;

pub struct DesktopNotifier {
    app: AppHandle,
}

impl DesktopNotifier {
    pub fn new(app: AppHandle) -> Self {
        Self { app }
    }
}

impl Notifier for DesktopNotifier {
    fn deliver(&self, notice: &Notice) {
        let app = self.app.clone();
        let notice = notice.clone();
        // Showing talks to the desktop synchronously: keep it off the async runtime.
        std::thread::spawn(move || {
            let (lang, tz) = tauri::async_runtime::block_on(async {
                let state = app.state::<AppState>();
                let Ok(state) = state.ready().await else {
                    return (Lang::parse(""), chrono_tz::Europe::Budapest);
                };
                let lang = state.store.preference("language").await.ok().flatten().unwrap_or_default();
                (Lang::parse(&lang), state.time_zone().await.unwrap_or(chrono_tz::Europe::Budapest))
            });
            let text = render(&notice, lang, tz);
            show(&app, &notice, lang, &text.summary, &text.body);
        });
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
fn show(app: &AppHandle, notice: &Notice, lang: Lang, summary: &str, body: &str) {
    let shown = notify_rust::Notification::new()
        .appname("Duly")
        .summary(summary)
        .body(&duly_core::schedule::text::escape_markup(body))
        .action("default", duly_core::schedule::text::open_action(lang))
        .show();
    match shown {
        Ok(handle) => handle.wait_for_action(|action| {
            if action == "default" {
                crate::tray::open_target(app, notice.target);
            }
        }),
        Err(error) => tracing::warn!(%error, "desktop notification"),
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn show(_app: &AppHandle, _notice: &Notice, _lang: Lang, summary: &str, body: &str) {
    if let Err(error) = notify_rust::Notification::new().appname("Duly").summary(summary).body(body).show() {
        tracing::warn!(%error, "desktop notification");
    }
}
