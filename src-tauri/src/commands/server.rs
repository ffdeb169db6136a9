//! The Server page (P2, P3, C6): log in and out, sync state, rejected operations, users and
//! sharing for managers.

use duly_core::sync::{Conflict, RejectedOp};
use duly_protocol::{CustomerShares, NewUser, User};
use tauri::{AppHandle, Manager, State};
use uuid::Uuid;

use crate::error::{IpcError, IpcResult};
use crate::state::AppState;
use crate::sync_service::{SyncView, sync_error};

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_view(state: State<'_, AppState>) -> IpcResult<SyncView> {
    let state = state.ready().await?;
    Ok(state.sync.view().await)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn log_in(
    app: AppHandle,
    state: State<'_, AppState>,
    server: String,
    login: String,
    password: String,
) -> IpcResult<SyncView> {
    let state = state.ready().await?;
    state.sync.log_in(&app, &server, &login, &password).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn log_out(state: State<'_, AppState>) -> IpcResult<SyncView> {
    let state = state.ready().await?;
    state.sync.log_out().await;
    Ok(state.sync.view().await)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_now(state: State<'_, AppState>) -> IpcResult<()> {
    let state = state.ready().await?;
    state.sync.sync_now().await;
    Ok(())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn rejected_ops(state: State<'_, AppState>) -> IpcResult<Vec<RejectedOp>> {
    let state = state.ready().await?;
    Ok(state.store.rejected_ops().await?)
}

/// Writes the rejected operations as JSON into the Downloads folder; returns the file's path.
#[tauri::command(rename_all = "snake_case")]
pub async fn export_rejected_ops(app: AppHandle, state: State<'_, AppState>) -> IpcResult<String> {
    let state = state.ready().await?;
    let ops = state.store.rejected_ops().await?;
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| IpcError::invalid(e.to_string()))?;
    let name = format!("duly-rejected-{}.json", state.store.now().format("%Y%m%d-%H%M%S"));
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(&ops).map_err(|e| IpcError::invalid(e.to_string()))?;
    std::fs::write(&path, text)
        .map_err(|e| IpcError::invalid(format!("cannot write {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

/// The refused ops about one task or customer, for the notice on its page.
#[tauri::command(rename_all = "snake_case")]
pub async fn rejected_about(state: State<'_, AppState>, entity_id: Uuid) -> IpcResult<Vec<RejectedOp>> {
    let state = state.ready().await?;
    Ok(state.store.rejected_about(entity_id).await?)
}

/// The person has copied what they needed of a refused op: it leaves the list.
#[tauri::command(rename_all = "snake_case")]
pub async fn dismiss_rejected(state: State<'_, AppState>, client_seq: i64) -> IpcResult<()> {
    let state = state.ready().await?;
    Ok(state.store.dismiss_rejected(client_seq).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn task_conflicts(state: State<'_, AppState>, task_id: Uuid) -> IpcResult<Vec<Conflict>> {
    let state = state.ready().await?;
    Ok(state.store.conflicts(task_id).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn server_users(state: State<'_, AppState>) -> IpcResult<Vec<User>> {
    let state = state.ready().await?;
    let (client, _) = state.sync.client().await?;
    client.users().await.map_err(sync_error)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_server_user(state: State<'_, AppState>, user: NewUser) -> IpcResult<User> {
    let state = state.ready().await?;
    let (client, _) = state.sync.client().await?;
    client.add_user(&user).await.map_err(sync_error)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_server_user_active(state: State<'_, AppState>, id: Uuid, active: bool) -> IpcResult<User> {
    let state = state.ready().await?;
    let (client, _) = state.sync.client().await?;
    client.set_user_active(id, active).await.map_err(sync_error)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn customer_shares(state: State<'_, AppState>, customer_id: Uuid) -> IpcResult<CustomerShares> {
    let state = state.ready().await?;
    let (client, _) = state.sync.client().await?;
    client.shares(customer_id).await.map_err(sync_error)
}

/// C6: shares customers with a user (many at once), or takes them back.
#[tauri::command(rename_all = "snake_case")]
pub async fn share_customers(
    state: State<'_, AppState>,
    user_id: Uuid,
    customer_ids: Vec<Uuid>,
    shared: bool,
) -> IpcResult<()> {
    let state = state.ready().await?;
    let (client, _) = state.sync.client().await?;
    let result = if shared {
        client.grant(user_id, customer_ids).await
    } else {
        client.revoke(user_id, customer_ids).await
    };
    result.map_err(sync_error)?;
    state.sync.sync_now().await;
    Ok(())
}
