//! How the app lives on the desktop: start with the system (off by default), start hidden in
//! the tray, and closing the window keeps Duly in the tray (configurable).

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State, WindowEvent};
use tauri_plugin_autostart::ManagerExt;

use crate::error::{IpcError, IpcResult};
use crate::state::{AppState, Services};

/// The argument the system start passes, so Duly opens in the tray.
pub const MINIMIZED_ARG: &str = "--minimized";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DesktopOptions {
    pub autostart: bool,
    pub start_minimized: bool,
    pub close_to_tray: bool,
}

pub fn plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_autostart::init(
        tauri_plugin_autostart::MacosLauncher::LaunchAgent,
        Some(vec![MINIMIZED_ARG]),
    )
}

async fn flag(state: &Services, key: &str, default: bool) -> IpcResult<bool> {
    Ok(state.store.preference(key).await?.map_or(default, |v| v == "true"))
}

async fn options(app: &AppHandle, state: &Services) -> IpcResult<DesktopOptions> {
    Ok(DesktopOptions {
        autostart: app.autolaunch().is_enabled().unwrap_or(false),
        start_minimized: flag(state, "start_minimized", false).await?,
        close_to_tray: flag(state, "close_to_tray", true).await?,
    })
}

/// Launched by the system start (`--minimized`): the window hides before it is shown, without
/// waiting for the store.
pub fn hide_if_launched_minimized(app: &AppHandle) {
    if std::env::args().any(|a| a == MINIMIZED_ARG) {
        hide(app);
    }
}

/// Asked to start in the tray (a preference, so read once the store is open).
pub async fn on_start(app: &AppHandle, state: &Services) {
    if flag(state, "start_minimized", false).await.unwrap_or(false) {
        hide(app);
    }
}

fn hide(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.hide();
    }
}

/// Closing the window hides it while "keep in tray" is on.
pub fn on_window_event(window: &tauri::Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        let state = window.app_handle().state::<AppState>();
        let keep = tauri::async_runtime::block_on(async {
            let state = state.ready().await?;
            flag(state, "close_to_tray", true).await
        })
        .unwrap_or(true);
        if keep {
            api.prevent_close();
            let _ = window.hide();
        }
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn desktop_options(app: AppHandle, state: State<'_, AppState>) -> IpcResult<DesktopOptions> {
    let state = state.ready().await?;
    options(&app, state).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_desktop_options(
    app: AppHandle,
    state: State<'_, AppState>,
    options: DesktopOptions,
) -> IpcResult<DesktopOptions> {
    let state = state.ready().await?;
    let autolaunch = app.autolaunch();
    let switched = if options.autostart { autolaunch.enable() } else { autolaunch.disable() };
    if let Err(error) = switched {
        tracing::warn!(%error, "autostart");
        return Err(IpcError {
            code: duly_core::ErrorCode::Internal,
            message: "the system start could not be changed".into(),
            field: None,
        });
    }
    let yes_no = |b: bool| if b { "true" } else { "false" };
    state
        .store
        .set_preferences(&[
            ("start_minimized", yes_no(options.start_minimized)),
            ("close_to_tray", yes_no(options.close_to_tray)),
        ])
        .await?;
    self::options(&app, state).await
}
