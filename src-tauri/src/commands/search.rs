use duly_core::search::{CustomerMatch, SearchHit, SearchQuery};
use serde::Serialize;
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// The customers the hits belong to ("which customers got an offer in March").
    pub customers: Vec<CustomerMatch>,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn search(state: State<'_, AppState>, query: SearchQuery) -> IpcResult<SearchResults> {
    let state = state.ready().await?;
    let viewer = state.viewer().await?;
    Ok(SearchResults {
        hits: state.store.search(&viewer, &query).await?,
        customers: state.store.search_customers(&viewer, &query).await?,
    })
}
