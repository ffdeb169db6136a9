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
mod write_rows;

pub use abilities::Abilities;
pub use apply::ApplyReport;
pub use blobs::{
    CUT_OFF, CUT_OFF_ROUNDS, DAMAGED_HERE, MAX_ATTACHMENT_BYTES, RefusedBlob, fetch_attachment, upload_blobs,
};
pub use client::{PulledPage, SyncClient, SyncError, UndecodableOp, install_crypto};
pub use engine::{SyncLoop, SyncOutcome, SyncPhase, SyncState, sync_once};
pub use ledger::{Conflict, RejectedOp};
