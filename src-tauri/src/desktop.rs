//! How the app lives on the desktop: start with the system (off by default), start hidden in
//! the tray, and closing the window keeps Duly in the tray (configurable).

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State, WindowEvent};
use tauri_plugin_autostart::ManagerExt;

use crate::error::{IpcError, IpcResult};
use crate::state::AppState;

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

async fn flag(state: &AppState, key: &str, default: bool) -> IpcResult<bool> {
    Ok(state.store.preference(key).await?.map_or(default, |v| v == "true"))
}

async fn options(app: &AppHandle, state: &AppState) -> IpcResult<DesktopOptions> {
    Ok(DesktopOptions {
        autostart: app.autolaunch().is_enabled().unwrap_or(false),
        start_minimized: flag(state, "start_minimized", false).await?,
        close_to_tray: flag(state, "close_to_tray", true).await?,
    })
}

/// Hides the window at start when launched by the system or asked to.
pub async fn on_start(app: &AppHandle) {
    let state = app.state::<AppState>();
    let asked = flag(&state, "start_minimized", false).await.unwrap_or(false);
    if (asked || std::env::args().any(|a| a == MINIMIZED_ARG))
        && let Some(window) = app.get_webview_window("main")
    {
        let _ = window.hide();
    }
}

/// Closing the window hides it while "keep in tray" is on.
pub fn on_window_event(window: &tauri::Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        let state = window.app_handle().state::<AppState>();
        let keep = tauri::async_runtime::block_on(flag(&state, "close_to_tray", true)).unwrap_or(true);
        if keep {
            api.prevent_close();
            let _ = window.hide();
        }
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn desktop_options(app: AppHandle, state: State<'_, AppState>) -> IpcResult<DesktopOptions> {
    options(&app, &state).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_desktop_options(
    app: AppHandle,
    state: State<'_, AppState>,
    options: DesktopOptions,
) -> IpcResult<DesktopOptions> {
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
    self::options(&app, &state).await
}
