//! What the commands share: the store and this installation's preferences.

use std::path::PathBuf;

use chrono_tz::Tz;
use duly_core::Store;
use duly_core::model::WriteCtx;
use duly_core::views::Viewer;
use tauri::{AppHandle, Manager};

use crate::error::{IpcError, IpcResult};

pub struct AppState {
    pub store: Store,
    pub sync: crate::sync_service::SyncService,
}

impl AppState {
    /// Opens the store in the OS app-data folder (`DULY_DATA_DIR` overrides it, for tests and
    /// benchmarks).
    pub async fn open(app: &AppHandle) -> Result<Self, Box<dyn std::error::Error>> {
        let dir = match std::env::var_os("DULY_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => app.path().app_data_dir()?,
        };
        std::fs::create_dir_all(&dir)?;
        let store = Store::open(dir.join("duly.db")).await?;
        let sync = crate::sync_service::SyncService::new(store.clone(), crate::vault::Vault::platform());
        Ok(Self { store, sync })
    }

    /// The colleague at the keyboard; every write is theirs.
    pub async fn ctx(&self) -> IpcResult<WriteCtx> {
        let profile = self.store.profile_id().await?.ok_or_else(|| IpcError::invalid("no profile yet"))?;
        Ok(WriteCtx::window(profile))
    }

    pub async fn time_zone(&self) -> IpcResult<Tz> {
        Ok(self.store.time_zone().await?)
    }

    pub async fn viewer(&self) -> IpcResult<Viewer> {
        let ctx = self.ctx().await?;
        Ok(Viewer { colleague: ctx.actor, tz: self.time_zone().await?, now: self.store.now() })
    }
}
