//! What the commands share: the store and this installation's preferences.
//!
//! The store opens on the async runtime while the window and WebKit start, not in the setup
//! hook on the main thread (which would hold back the page's first load). Commands wait for it
//! through [`AppState::ready`]; the first caller (usually the opener spawned at setup) opens
//! it, the others wait for that one.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use duly_core::model::WriteCtx;
use duly_core::views::Viewer;
use duly_core::{ErrorCode, Store, StoreOptions};
use tauri::{AppHandle, Manager};
use tokio::sync::OnceCell;

use crate::error::{IpcError, IpcResult};

/// Managed from setup on; the store inside may still be opening.
pub struct AppState {
    dir: PathBuf,
    services: OnceCell<Services>,
}

/// The opened store and what lives on it.
pub struct Services {
    pub store: Store,
    pub sync: crate::sync_service::SyncService,
}

impl AppState {
    /// Where the store lives: the OS app-data folder (`DULY_DATA_DIR` overrides it, for tests
    /// and benchmarks). Nothing is opened yet.
    pub fn new(app: &AppHandle) -> tauri::Result<Self> {
        let dir = match std::env::var_os("DULY_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => app.path().app_data_dir()?,
        };
        Ok(Self { dir, services: OnceCell::new() })
    }

    /// The opened store, once it is open (opens it when nobody has started to).
    pub async fn ready(&self) -> IpcResult<&Services> {
        self.services.get_or_try_init(|| Services::open(&self.dir)).await.map_err(|message| IpcError {
            code: ErrorCode::Internal,
            message,
            field: None,
        })
    }
}

impl Services {
    async fn open(dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // Idle maintenance (search-index merges, checkpoints) starts after the first paint
        // (see `background`), not while the window is loading.
        let options = StoreOptions { background_maintenance: false, ..StoreOptions::default() };
        let store = Store::open_with(dir.join("duly.db"), options).await.map_err(|e| e.to_string())?;
        let sync = crate::sync_service::SyncService::new(store.clone());
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
