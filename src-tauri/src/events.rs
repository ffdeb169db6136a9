//! Every committed write in the core (from the window, sync or the scheduler) reaches the
//! window as a `duly://change` event naming the entity and the source.

use duly_core::model::ChangeEvent;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast;

pub const CHANGE_EVENT: &str = "duly://change";

pub fn forward(app: &AppHandle, mut events: broadcast::Receiver<ChangeEvent>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    let _ = app.emit(CHANGE_EVENT, event);
                }
                // Fell behind: the window refreshes everything it shows.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let _ = app.emit(CHANGE_EVENT, serde_json::Value::Null);
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}
