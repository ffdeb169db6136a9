//! The demo store of the run's size, written once and copied for each section that works on
//! one (core, schedule, app): writing it takes minutes at full size, a copy takes seconds, and
//! every section still changes a store of its own.

use std::path::Path;

use duly_core::demo::DemoCounts;
use duly_core::model::Colleague;
use duly_core::{Store, StoreOptions};

use crate::size::Size;

pub struct DemoStore {
    dir: tempfile::TempDir,
    pub me: Colleague,
    pub counts: DemoCounts,
    /// How long writing it took (`demo_load_s`).
    pub seconds: f64,
}

impl DemoStore {
    pub async fn write(size: Size) -> anyhow::Result<Self> {
        let dir = crate::core_bench::bench_dir()?;
        let (store, me, counts, seconds) = crate::core_bench::demo_store(dir.path(), size).await?;
        // Closing checkpoints the WAL into the one file the copies are made from. (The fsync
        // floor writes a file of its own, so the copies need no table of it.)
        store.close().await;
        Ok(Self { dir, me, counts, seconds })
    }

    /// A copy of the store as `duly.db` in `dir`, opened.
    pub async fn open_copy(&self, dir: &Path) -> anyhow::Result<Store> {
        std::fs::create_dir_all(dir)?;
        std::fs::copy(self.dir.path().join("duly.db"), dir.join("duly.db"))?;
        Ok(Store::open_with(dir.join("duly.db"), StoreOptions::default()).await?)
    }
}
