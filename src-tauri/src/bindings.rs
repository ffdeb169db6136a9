//! The TypeScript side of the IPC contract, generated from these Rust types into
//! `ui/src/lib/api/bindings/` (committed). `cargo xtask gen-types` rewrites them; the test
//! below fails when the committed files differ from a fresh generation.

use std::path::Path;

use ts_rs::{Config, ExportError, TS};

/// Exports every type the window sends or receives, with the types they use.
pub fn export(dir: &Path) -> Result<(), ExportError> {
    // JSON numbers: none of these integers come near 2^53.
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    macro_rules! export_all {
        ($($ty:ty),* $(,)?) => { $( <$ty as TS>::export_all(&cfg)?; )* };
    }
    export_all!(
        crate::error::IpcError,
        duly_core::model::ChangeEvent,
        crate::commands::app::Bootstrap,
        crate::commands::app::Startup,
        crate::commands::app::Preferences,
        duly_core::model::ColleagueInput,
        duly_core::demo::DemoCounts,
        crate::commands::tasks::TaskView,
        crate::commands::tasks::TaskDetail,
        duly_core::views::TaskFilter,
        duly_core::views::TaskSummary,
        duly_core::model::TaskInput,
        duly_core::model::StatusChange,
        duly_core::model::CommentInput,
        duly_core::store::CustomerFilter,
        duly_core::store::CustomerSummary,
        duly_core::views::CustomerPage,
        duly_core::model::CustomerInput,
        duly_core::model::ProjectInput,
        duly_core::search::SearchQuery,
        crate::commands::search::SearchResults,
        duly_core::model::CustomerStatusInput,
        duly_core::store::TrashItem,
        crate::sync_service::SyncView,
        duly_core::sync::Abilities,
        duly_core::sync::RejectedOp,
        duly_core::sync::Conflict,
        duly_protocol::User,
        duly_protocol::NewUser,
        duly_protocol::CustomerShares,
        duly_core::schedule::NotifySettings,
        duly_core::schedule::NoticeTarget,
        duly_core::schedule::TrayModel,
        duly_core::schedule::DayOverride,
        crate::commands::reminders::CalendarYear,
        duly_core::model::Availability,
        duly_core::model::RecurrenceRule,
        duly_core::store::AbsenceWarning,
        duly_core::store::Reschedule,
        crate::desktop::DesktopOptions,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    fn committed_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/api/bindings")
    }

    /// Every file under `dir`, by path relative to it.
    fn read_all(dir: &Path) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(folder) = pending.pop() {
            for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else if let Ok(relative) = path.strip_prefix(dir) {
                    files.insert(
                        relative.to_string_lossy().into_owned(),
                        std::fs::read_to_string(&path).unwrap_or_default(),
                    );
                }
            }
        }
        files
    }

    /// With DULY_WRITE_BINDINGS=1 (`cargo xtask gen-types`) this writes the committed files.
    #[test]
    fn committed_typescript_bindings_match_the_rust_types() {
        let fresh = tempfile::tempdir().expect("temp dir");
        super::export(fresh.path()).expect("export");
        let generated = read_all(fresh.path());
        assert!(generated.len() > 20, "{} files", generated.len());
        if std::env::var_os("DULY_WRITE_BINDINGS").is_some() {
            let dir = committed_dir();
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("create");
            for (name, text) in &generated {
                let path = dir.join(name);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("create");
                std::fs::write(path, text).expect("write");
            }
        }
        let committed = read_all(&committed_dir());
        assert!(
            committed == generated,
            "ui/src/lib/api/bindings is stale: run `cargo xtask gen-types` and commit"
        );
    }
}
