//! Reminders (issue 5): notification settings, the working calendar, absences and hand-over,
//! the end-of-day review's reschedule, the tray's model, and the app's start-up options.

use chrono::{NaiveDate, Utc};
use duly_core::model::{Availability, Colleague, Task};
use duly_core::schedule::{DayOverride, HolidayDate, Lang, NotifySettings, TrayModel, WorkCalendar};
use duly_core::store::{AbsenceWarning, Reschedule};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};
use uuid::Uuid;

use crate::error::IpcResult;
use crate::state::AppState;

/// A year of the working calendar: the public holidays and the company's changes.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct CalendarYear {
    pub year: i32,
    pub holidays: Vec<HolidayDate>,
    pub overrides: Vec<DayOverride>,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn notify_settings(state: State<'_, AppState>) -> IpcResult<NotifySettings> {
    let state = state.ready().await?;
    Ok(state.store.notify_settings().await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_notify_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: NotifySettings,
) -> IpcResult<NotifySettings> {
    let state = state.ready().await?;
    let saved = state.store.set_notify_settings(&settings).await?;
    crate::tray::refresh(&app).await;
    Ok(saved)
}

/// Pauses notices for `minutes`, or resumes them when it is `None`.
#[tauri::command(rename_all = "snake_case")]
pub async fn pause_notifications(
    app: AppHandle,
    state: State<'_, AppState>,
    minutes: Option<u32>,
) -> IpcResult<NotifySettings> {
    let state = state.ready().await?;
    let until = minutes.map(|m| Utc::now() + chrono::Duration::minutes(i64::from(m.min(7 * 24 * 60))));
    let settings = state.store.pause_notifications(until).await?;
    crate::tray::refresh(&app).await;
    Ok(settings)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn work_calendar(state: State<'_, AppState>, year: i32) -> IpcResult<CalendarYear> {
    let state = state.ready().await?;
    calendar_year(&state.store.work_calendar().await?, year)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_calendar_overrides(
    state: State<'_, AppState>,
    year: i32,
    overrides: Vec<DayOverride>,
) -> IpcResult<CalendarYear> {
    let state = state.ready().await?;
    let ctx = state.ctx().await?;
    calendar_year(&state.store.set_calendar_overrides(ctx, &overrides).await?, year)
}

fn calendar_year(calendar: &WorkCalendar, year: i32) -> IpcResult<CalendarYear> {
    if !(1900..=2200).contains(&year) {
        return Err(crate::error::IpcError::invalid("year out of range"));
    }
    Ok(CalendarYear { year, holidays: WorkCalendar::holidays_of(year), overrides: calendar.overrides() })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn next_working_day(state: State<'_, AppState>, after: NaiveDate) -> IpcResult<NaiveDate> {
    let state = state.ready().await?;
    Ok(state.store.work_calendar().await?.next_working_day(after))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_availability(
    state: State<'_, AppState>,
    colleague_id: Uuid,
    availability: Availability,
) -> IpcResult<Colleague> {
    let state = state.ready().await?;
    Ok(state.store.set_availability(state.ctx().await?, colleague_id, availability).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn absence_warning(
    state: State<'_, AppState>,
    colleague_id: Uuid,
    day: NaiveDate,
) -> IpcResult<Option<AbsenceWarning>> {
    let state = state.ready().await?;
    Ok(state.store.absence_warning(colleague_id, day).await?)
}

/// Gives an absent colleague's open tasks to another; returns how many moved.
#[tauri::command(rename_all = "snake_case")]
pub async fn hand_over(state: State<'_, AppState>, from: Uuid, to: Uuid) -> IpcResult<u32> {
    let state = state.ready().await?;
    Ok(state.store.hand_over(state.ctx().await?, from, to).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn reschedule_task(state: State<'_, AppState>, id: Uuid, to: Reschedule) -> IpcResult<Task> {
    let state = state.ready().await?;
    let tz = state.time_zone().await?;
    Ok(state.store.reschedule_task(state.ctx().await?, id, to, tz).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn tray_model(state: State<'_, AppState>) -> IpcResult<TrayModel> {
    let state = state.ready().await?;
    let viewer = state.viewer().await?;
    let lang = Lang::parse(&state.store.preference("language").await?.unwrap_or_default());
    Ok(TrayModel::build(&state.store, viewer.colleague, viewer.tz, lang).await?)
}
