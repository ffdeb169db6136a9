use duly_core::model::{Comment, CommentInput, HistoryEntry, StatusChange, Task, TaskInput, TaskStatus};
use duly_core::views::{TaskFilter, TaskSummary};
use serde::{Deserialize, Serialize};
use tauri::State;
use uuid::Uuid;

use crate::error::IpcResult;
use crate::state::{AppState, Services};

/// Which list (T12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum TaskView {
    Today,
    Mine,
    Delegated,
    Watching,
    Colleague(Uuid),
    Customer(Uuid),
    Status(TaskStatus),
}

/// The task page: the task, its thread and its history (T4, T11).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct TaskDetail {
    pub task: Task,
    pub customer_name: Option<String>,
    pub comments: Vec<Comment>,
    pub history: Vec<HistoryEntry>,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_tasks(
    state: State<'_, AppState>,
    view: TaskView,
    filter: Option<TaskFilter>,
) -> IpcResult<Vec<TaskSummary>> {
    list(state.ready().await?, view, filter).await
}

/// One list as the window shows it (also the first list of `startup`).
pub async fn list(
    state: &Services,
    view: TaskView,
    filter: Option<TaskFilter>,
) -> IpcResult<Vec<TaskSummary>> {
    let viewer = state.viewer().await?;
    let store = &state.store;
    let tasks = match view {
        TaskView::Today => store.today(&viewer).await?,
        TaskView::Mine => store.my_tasks(&viewer).await?,
        TaskView::Delegated => store.delegated(&viewer).await?,
        TaskView::Watching => store.watching(&viewer).await?,
        TaskView::Colleague(id) => store.by_colleague(&viewer, id).await?,
        TaskView::Customer(id) => store.by_customer(&viewer, id).await?,
        TaskView::Status(status) => store.by_status(&viewer, status, 500).await?,
    };
    Ok(match filter {
        Some(filter) => filter.apply(&viewer, tasks),
        None => tasks,
    })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn task_detail(state: State<'_, AppState>, id: Uuid) -> IpcResult<TaskDetail> {
    let state = state.ready().await?;
    let store = &state.store;
    let task = store.task(id).await?;
    let customer_name = match task.fields.customer_id {
        Some(customer) => Some(store.customer(customer).await?.fields.name),
        None => None,
    };
    Ok(TaskDetail {
        customer_name,
        comments: store.task_comments(id).await?,
        history: store.history(id).await?,
        task,
    })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn create_task(state: State<'_, AppState>, input: TaskInput) -> IpcResult<Task> {
    let state = state.ready().await?;
    Ok(state.store.create_task(state.ctx().await?, input).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn update_task(state: State<'_, AppState>, id: Uuid, input: TaskInput) -> IpcResult<Task> {
    let state = state.ready().await?;
    Ok(state.store.update_task(state.ctx().await?, id, input).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_task_status(state: State<'_, AppState>, id: Uuid, change: StatusChange) -> IpcResult<Task> {
    let state = state.ready().await?;
    Ok(state.store.set_task_status(state.ctx().await?, id, change).await?)
}

/// Moves the task (and its thread) to the trash; returns the batch to restore.
#[tauri::command(rename_all = "snake_case")]
pub async fn delete_task(state: State<'_, AppState>, id: Uuid) -> IpcResult<Uuid> {
    let state = state.ready().await?;
    Ok(state.store.delete_task(state.ctx().await?, id).await?)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_comment(state: State<'_, AppState>, input: CommentInput) -> IpcResult<Comment> {
    let state = state.ready().await?;
    Ok(state.store.add_comment(state.ctx().await?, input).await?)
}
