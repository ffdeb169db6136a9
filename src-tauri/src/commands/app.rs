use std::collections::BTreeMap;
use std::str::FromStr;

use duly_core::demo::{DemoCounts, DemoSpec};
use duly_core::model::{Colleague, ColleagueInput, CustomerStatus, Keyword};
use duly_core::views::{TaskFilter, TaskSummary};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::commands::tasks::TaskView;
use crate::error::{IpcError, IpcResult};
use crate::state::{AppState, Services};
use crate::sync_service::SyncView;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Hu,
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Preferences {
    pub language: Language,
    /// An IANA zone name, e.g. "Europe/Budapest".
    pub time_zone: String,
    pub theme: Theme,
}

/// Everything the window needs to start: who I am, my preferences and the company's lists.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Bootstrap {
    pub profile: Option<Colleague>,
    pub preferences: Preferences,
    pub colleagues: Vec<Colleague>,
    pub customer_statuses: Vec<CustomerStatus>,
    pub keywords: Vec<Keyword>,
    /// Status (`open`, `in_progress`, …) → the company's label for it.
    pub task_status_labels: BTreeMap<String, String>,
}

async fn preferences(state: &Services) -> IpcResult<Preferences> {
    let store = &state.store;
    let language = match store.preference("language").await?.as_deref() {
        Some("en") => Language::En,
        _ => Language::Hu,
    };
    let theme = match store.preference("theme").await?.as_deref() {
        Some("light") => Theme::Light,
        Some("dark") => Theme::Dark,
        _ => Theme::System,
    };
    Ok(Preferences { language, time_zone: state.time_zone().await?.name().to_owned(), theme })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn bootstrap(state: State<'_, AppState>) -> IpcResult<Bootstrap> {
    bootstrap_of(state.ready().await?).await
}

async fn bootstrap_of(state: &Services) -> IpcResult<Bootstrap> {
    let store = &state.store;
    let colleagues = store.colleagues().await?;
    let profile_id = store.profile_id().await?;
    Ok(Bootstrap {
        profile: colleagues.iter().find(|c| Some(c.id) == profile_id).cloned(),
        preferences: preferences(state).await?,
        colleagues,
        customer_statuses: store.customer_statuses().await?,
        keywords: store.keywords().await?,
        task_status_labels: store.task_status_labels().await?,
    })
}

/// The window's first screen in one call: the bootstrap, the sync state it needs to know what
/// to offer, and the first list (none before there is a profile).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Startup {
    pub bootstrap: Bootstrap,
    pub sync: SyncView,
    pub first_list: Option<Vec<TaskSummary>>,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn startup(
    state: State<'_, AppState>,
    view: TaskView,
    filter: Option<TaskFilter>,
) -> IpcResult<Startup> {
    let state = state.ready().await?;
    let list = async {
        // First run: no profile, so no list yet; the window shows the first-run page.
        if state.store.profile_id().await?.is_none() {
            return Ok(None);
        }
        crate::commands::tasks::list(state, view, filter).await.map(Some)
    };
    let (bootstrap, sync, first_list) =
        tokio::try_join!(bootstrap_of(state), async { Ok(state.sync.startup_view().await) }, list)?;
    Ok(Startup { bootstrap, sync, first_list })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn create_profile(state: State<'_, AppState>, input: ColleagueInput) -> IpcResult<Colleague> {
    let state = state.ready().await?;
    if state.store.profile_id().await?.is_some() {
        return Err(IpcError::invalid("the profile exists already"));
    }
    Ok(state.store.create_profile(input).await?)
}

/// First run: a small office's worth of realistic data, with work for me today.
#[tauri::command(rename_all = "snake_case")]
pub async fn load_demo(state: State<'_, AppState>) -> IpcResult<DemoCounts> {
    let state = state.ready().await?;
    let ctx = state.ctx().await?;
    let me = state.store.colleagues().await?.into_iter().find(|c| c.id == ctx.actor);
    Ok(state.store.load_demo(ctx, DemoSpec::small(state.store.now(), me)).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_preferences(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    preferences: Preferences,
) -> IpcResult<Preferences> {
    let state = state.ready().await?;
    chrono_tz::Tz::from_str(&preferences.time_zone).map_err(|_| IpcError::invalid("unknown time zone"))?;
    let store = &state.store;
    let language = if preferences.language == Language::En { "en" } else { "hu" };
    let theme = match preferences.theme {
        Theme::System => "system",
        Theme::Light => "light",
        Theme::Dark => "dark",
    };
    store
        .set_preferences(&[("language", language), ("time_zone", &preferences.time_zone), ("theme", theme)])
        .await?;
    // The tray speaks the language and counts the days of the zone just chosen.
    crate::tray::refresh(&app).await;
    self::preferences(state).await
}

/// The window's first real paint (the Today list after two animation frames): what can
/// wait until the window shows its data starts now (see `background`). The desktop benchmark
/// also listens: it sets `DULY_PAINT_FILE`.
#[tauri::command(rename_all = "snake_case")]
pub fn mark_painted(app: tauri::AppHandle, at: f64) {
    if let Some(path) = std::env::var_os("DULY_PAINT_FILE") {
        let _ = std::fs::write(path, format!("{at}"));
    }
    crate::background::start(&app);
}
