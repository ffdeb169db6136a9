use duly_core::model::{Colleague, ColleagueInput, CustomerStatus, CustomerStatusInput, Keyword, TaskStatus};
use duly_core::store::TrashItem;
use tauri::State;
use uuid::Uuid;

use crate::error::IpcResult;
use crate::state::AppState;

#[tauri::command(rename_all = "snake_case")]
pub async fn create_customer_status(
    state: State<'_, AppState>,
    input: CustomerStatusInput,
) -> IpcResult<CustomerStatus> {
    let state = state.ready().await?;
    Ok(state.store.create_customer_status(state.ctx().await?, input).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn update_customer_status(
    state: State<'_, AppState>,
    id: Uuid,
    input: CustomerStatusInput,
) -> IpcResult<CustomerStatus> {
    let state = state.ready().await?;
    Ok(state.store.update_customer_status(state.ctx().await?, id, input).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn create_keyword(state: State<'_, AppState>, name: String) -> IpcResult<Keyword> {
    let state = state.ready().await?;
    Ok(state.store.create_keyword(state.ctx().await?, &name).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn rename_keyword(state: State<'_, AppState>, id: Uuid, name: String) -> IpcResult<Keyword> {
    let state = state.ready().await?;
    Ok(state.store.rename_keyword(state.ctx().await?, id, &name).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_task_status_label(
    state: State<'_, AppState>,
    status: TaskStatus,
    label: String,
) -> IpcResult<()> {
    let state = state.ready().await?;
    Ok(state.store.set_task_status_label(state.ctx().await?, status, &label).await?)
}

/// A local list of colleagues until the server brings them (sync issue).
#[tauri::command(rename_all = "snake_case")]
pub async fn create_colleague(state: State<'_, AppState>, input: ColleagueInput) -> IpcResult<Colleague> {
    let state = state.ready().await?;
    Ok(state.store.create_colleague(state.ctx().await?, input).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn update_colleague(
    state: State<'_, AppState>,
    id: Uuid,
    input: ColleagueInput,
) -> IpcResult<Colleague> {
    let state = state.ready().await?;
    Ok(state.store.update_colleague(state.ctx().await?, id, input).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn trash(state: State<'_, AppState>) -> IpcResult<Vec<TrashItem>> {
    let state = state.ready().await?;
    Ok(state.store.trash().await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn restore(state: State<'_, AppState>, batch: Uuid) -> IpcResult<()> {
    let state = state.ready().await?;
    Ok(state.store.restore(state.ctx().await?, batch).await?)
}
