//! N4: the tray icon. Its count, icon and menu come from the core's `TrayModel`; it is rebuilt
//! on every change event (sync included), when notifications are paused or resumed, when the
//! language or zone changes, and every minute (time alone makes tasks overdue).

use duly_core::schedule::{Lang, NoticeTarget, TrayModel};
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Emitter, Manager, Wry};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use uuid::Uuid;

use crate::state::AppState;

const TRAY_ID: &str = "duly";
pub const OPEN_EVENT: &str = "duly://open";
pub const QUICK_ADD_EVENT: &str = "duly://quick-add";

pub fn install(app: &AppHandle) -> tauri::Result<()> {
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(false)?)
        .tooltip("Duly")
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_window(tray.app_handle());
            }
        })
        .build(app)?;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let Ok(services) = state.ready().await else { return };
        let mut changes = services.store.subscribe();
        refresh(&app).await;
        loop {
            tokio::select! {
                change = changes.recv() => match change {
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        // A sync page or an import is a burst of events: one rebuild for all of it.
                        tokio::time::sleep(SETTLE).await;
                        while !matches!(changes.try_recv(), Err(TryRecvError::Empty | TryRecvError::Closed)) {}
                    }
                    Err(RecvError::Closed) => return,
                },
                // Time alone changes the count: a timed due passes, midnight starts another day.
                () = tokio::time::sleep(CLOCK_REFRESH) => {}
            }
            refresh(&app).await;
        }
    });
    Ok(())
}

const SETTLE: std::time::Duration = std::time::Duration::from_millis(250);
const CLOCK_REFRESH: std::time::Duration = std::time::Duration::from_secs(60);

/// Rebuilds the tray from the store; a failure leaves the previous menu (logged).
pub async fn refresh(app: &AppHandle) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    let model = match model(app).await {
        Ok(Some(model)) => model,
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(%error, "tray model");
            return;
        }
    };
    let applied = menu(app, &model).and_then(|menu| {
        tray.set_menu(Some(menu))?;
        tray.set_tooltip(Some(&model.tooltip))?;
        // Shown beside the icon where the platform has a title (macOS, some Linux panels).
        tray.set_title(Some(model.count.to_string()))?;
        tray.set_icon(Some(icon(model.overdue > 0)?))
    });
    if let Err(error) = applied {
        tracing::warn!(%error, "tray update");
    }
}

pub async fn model(app: &AppHandle) -> Result<Option<TrayModel>, duly_core::error::CoreError> {
    let state = app.state::<AppState>();
    let Ok(state) = state.ready().await else { return Ok(None) };
    let Some(me) = state.store.profile_id().await? else { return Ok(None) };
    let tz = state.time_zone().await.unwrap_or(chrono_tz::Europe::Budapest);
    let lang = Lang::parse(&state.store.preference("language").await?.unwrap_or_default());
    TrayModel::build(&state.store, me, tz, lang).await.map(Some)
}

fn menu(app: &AppHandle, model: &TrayModel) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    if model.items.is_empty() {
        menu.append(&MenuItem::with_id(app, "empty", &model.empty, false, None::<&str>)?)?;
    }
    for item in &model.items {
        menu.append(&MenuItem::with_id(
            app,
            format!("task:{}", item.task_id),
            &item.label,
            true,
            None::<&str>,
        )?)?;
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(app, "quick_add", &model.quick_add, true, None::<&str>)?)?;
    menu.append(&MenuItem::with_id(app, "open", &model.open, true, None::<&str>)?)?;
    let pause_id = if model.paused { "resume" } else { "pause" };
    menu.append(&MenuItem::with_id(app, pause_id, &model.pause, true, None::<&str>)?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(app, "quit", &model.quit, true, None::<&str>)?)?;
    Ok(menu)
}

fn on_menu(app: &AppHandle, id: &str) {
    match id {
        "open" => show_window(app),
        "quick_add" => {
            show_window(app);
            let _ = app.emit(QUICK_ADD_EVENT, ());
        }
        "pause" | "resume" => {
            let app = app.clone();
            let minutes = (id == "pause").then_some(60);
            tauri::async_runtime::spawn(async move {
                let until = minutes.map(|m| chrono::Utc::now() + chrono::Duration::minutes(m));
                let state = app.state::<AppState>();
                let paused = match state.ready().await {
                    Ok(services) => {
                        services.store.pause_notifications(until).await.map_err(|e| e.to_string())
                    }
                    Err(error) => Err(error.message),
                };
                if let Err(error) = paused {
                    tracing::warn!(%error, "pause notifications");
                }
                refresh(&app).await;
            });
        }
        "quit" => app.exit(0),
        task => {
            if let Some(id) = task.strip_prefix("task:").and_then(|id| Uuid::parse_str(id).ok()) {
                open_target(app, NoticeTarget::Task { id });
            }
        }
    }
}

/// Brings the window up and tells it where to go (a task, Today, the review).
pub fn open_target(app: &AppHandle, target: NoticeTarget) {
    show_window(app);
    let _ = app.emit(OPEN_EVENT, target);
}

pub fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

fn icon(overdue: bool) -> tauri::Result<Image<'static>> {
    let bytes: &[u8] = if overdue {
        include_bytes!("../../icons/tray-overdue.png")
    } else {
        include_bytes!("../../icons/tray.png")
    };
    Image::from_bytes(bytes)
}
