//! The sync client (DESIGN.md, Sync): push the outbox, pull and apply, follow grants and
//! revokes; the HTTP side in [`client`], the merge in [`apply`], the loop in [`engine`].

pub mod abilities;
pub mod apply;
pub mod blobs;
pub mod client;
pub mod engine;
pub mod ledger;
mod replica;
mod revert;
pub mod snapshot;
mod write_rows;

pub use abilities::Abilities;
pub use apply::ApplyReport;
pub use blobs::{
    CUT_OFF, CUT_OFF_ROUNDS, DAMAGED_HERE, MAX_ATTACHMENT_BYTES, RefusedBlob, fetch_attachment, upload_blobs,
};
pub use client::{PulledPage, SyncClient, SyncError, UndecodableOp, install_crypto};
pub use engine::{SyncLoop, SyncOutcome, SyncPhase, SyncProgress, SyncState, sync_once, sync_round};
pub use ledger::{Conflict, RejectedOp};
pub use snapshot::SnapshotLoad;
