//! Start-up in the order the person sees it: the setup hook only starts opening the store, so
//! the main thread is free to show the window and serve the page; the store opens while
//! WebKit starts its processes; what can wait for the window to show its data (the tray, the
//! reminders' scheduler, the sync session, idle maintenance) starts after the first paint.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Manager};

use crate::state::AppState;

/// When the page shows no list (first run, started hidden), the rest starts after this anyway.
const WITHOUT_PAINT: Duration = Duration::from_secs(5);
/// Search-index merges and checkpoints hold the writer: not while the person starts working.
const MAINTENANCE_AFTER_PAINT: Duration = Duration::from_secs(5);

/// From the setup hook: opens the store on the async runtime (it returns at once).
pub fn open_store(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        match state.ready().await {
            Ok(services) => {
                crate::events::forward(&app, services.store.subscribe());
                crate::desktop::on_start(&app, services).await;
            }
            Err(error) => {
                eprintln!("Duly could not start: {}", error.message);
                std::process::exit(1);
            }
        }
        tokio::time::sleep(WITHOUT_PAINT).await;
        start(&app);
    });
}

static STARTED: AtomicBool = AtomicBool::new(false);

/// Starts what waited for the first paint; only the first call does anything.
pub fn start(app: &AppHandle) {
    if STARTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let Ok(services) = state.ready().await else { return };
        let tray = app.clone();
        let installed = app.run_on_main_thread(move || {
            if let Err(error) = crate::tray::install(&tray) {
                tracing::warn!(%error, "tray");
            }
        });
        if let Err(error) = installed {
            tracing::warn!(%error, "tray");
        }
        let scheduler =
            duly_core::schedule::Scheduler::new(services.store.clone(), duly_core::clock::system_zone());
        let notifier = Arc::new(crate::notifier::DesktopNotifier::new(app.clone()));
        duly_core::schedule::SchedulerLoop::new(services.store.clone(), scheduler, notifier).spawn();
        let store = services.store.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(MAINTENANCE_AFTER_PAINT).await;
            store.spawn_idle_maintenance();
        });
        services.sync.resume(&app).await;
    });
}
