use duly_core::model::{Customer, CustomerInput, Project, ProjectInput};
use duly_core::store::{CustomerFilter, CustomerSummary};
use duly_core::views::CustomerPage;
use tauri::State;
use uuid::Uuid;

use crate::error::IpcResult;
use crate::state::AppState;

/// How many timeline entries the customer page shows.
const TIMELINE: u32 = 200;

#[tauri::command(rename_all = "snake_case")]
pub async fn list_customers(
    state: State<'_, AppState>,
    filter: CustomerFilter,
) -> IpcResult<Vec<CustomerSummary>> {
    let state = state.ready().await?;
    Ok(state.store.list_customers(&filter).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn customer_page(state: State<'_, AppState>, id: Uuid) -> IpcResult<CustomerPage> {
    let state = state.ready().await?;
    Ok(state.store.customer_page(&state.viewer().await?, id, TIMELINE).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn create_customer(state: State<'_, AppState>, input: CustomerInput) -> IpcResult<Customer> {
    let state = state.ready().await?;
    Ok(state.store.create_customer(state.ctx().await?, input).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn update_customer(
    state: State<'_, AppState>,
    id: Uuid,
    input: CustomerInput,
) -> IpcResult<Customer> {
    let state = state.ready().await?;
    Ok(state.store.update_customer(state.ctx().await?, id, input).await?)
}

/// The pipeline board's drag and drop (C3).
#[tauri::command(rename_all = "snake_case")]
pub async fn set_customer_status(
    state: State<'_, AppState>,
    id: Uuid,
    status_id: Option<Uuid>,
) -> IpcResult<Customer> {
    let state = state.ready().await?;
    Ok(state.store.set_customer_status(state.ctx().await?, id, status_id).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn delete_customer(state: State<'_, AppState>, id: Uuid) -> IpcResult<Uuid> {
    let state = state.ready().await?;
    Ok(state.store.delete_customer(state.ctx().await?, id).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn create_project(state: State<'_, AppState>, input: ProjectInput) -> IpcResult<Project> {
    let state = state.ready().await?;
    Ok(state.store.create_project(state.ctx().await?, input).await?)
}
