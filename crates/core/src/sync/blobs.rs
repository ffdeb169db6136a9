//! T8: attachments are content-addressed blobs. The contents stay on this device (so a file
//! once added or fetched opens offline); only their metadata travels in the operations. New
//! ones wait in `pending_blobs` until a sync round uploads them, before the operations that
//! name them.

use std::path::PathBuf;

use duly_protocol::Scope;
use sha2::{Digest, Sha256};

use super::client::{SyncClient, SyncError};
use crate::error::{CoreError, Result};
use crate::model::AttachmentMeta;
use crate::store::{Store, codec};

/// The largest attachment accepted here (the server has its own limit).
pub const MAX_ATTACHMENT_BYTES: usize = 50 * 1024 * 1024;

impl Store {
    fn blob_path(&self, sha256: &str) -> PathBuf {
        self.blob_dir().join(sha256)
    }

    /// Keeps a file's contents and queues them for upload to readers of `scope`; the returned
    /// metadata goes into a task's or comment's `attachments`.
    pub async fn keep_attachment(
        &self,
        bytes: &[u8],
        file_name: &str,
        media_type: &str,
        scope: Scope,
    ) -> Result<AttachmentMeta> {
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(CoreError::TooLong { field: "attachment", max: MAX_ATTACHMENT_BYTES });
        }
        if file_name.trim().is_empty() {
            return Err(CoreError::Invalid { field: "file_name", reason: "a file has a name" });
        }
        let sha256 = hex::encode(Sha256::digest(bytes));
        self.write_blob(&sha256, bytes).await?;
        let (scope, at) = (codec::json(&scope)?, codec::ts(self.now()));
        sqlx::query!(
            "INSERT OR IGNORE INTO pending_blobs (sha256, scope, added_at) VALUES (?, ?, ?)",
            sha256,
            scope,
            at
        )
        .execute(self.writer())
        .await?;
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        Ok(AttachmentMeta {
            sha256,
            file_name: file_name.trim().to_owned(),
            media_type: media_type.to_owned(),
            size,
        })
    }

    /// The contents of an attachment if this device has them.
    pub async fn attachment(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        if !is_sha256(sha256) {
            return Err(CoreError::Invalid { field: "sha256", reason: "not a SHA-256 in lowercase hex" });
        }
        match tokio::fs::read(self.blob_path(sha256)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(CoreError::Internal(format!("reading attachment {sha256}: {e}"))),
        }
    }

    /// Written aside and renamed, so a crash never leaves half a file under the real name.
    async fn write_blob(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        let io = |e: std::io::Error| CoreError::Internal(format!("writing attachment {sha256}: {e}"));
        let path = self.blob_path(sha256);
        if tokio::fs::try_exists(&path).await.map_err(io)? {
            return Ok(());
        }
        tokio::fs::create_dir_all(self.blob_dir()).await.map_err(io)?;
        let partial = self.blob_dir().join(format!("{sha256}.{}.part", uuid::Uuid::now_v7()));
        tokio::fs::write(&partial, bytes).await.map_err(io)?;
        tokio::fs::rename(&partial, &path).await.map_err(io)
    }

    pub async fn pending_blob_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar!("SELECT COUNT(*) FROM pending_blobs").fetch_one(self.reader()).await?)
    }
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Uploads every blob waiting here. Returns how many went up.
pub async fn upload_blobs(store: &Store, client: &SyncClient) -> Result<usize, SyncError> {
    let pending = sqlx::query!("SELECT sha256, scope FROM pending_blobs ORDER BY added_at")
        .fetch_all(store.reader())
        .await
        .map_err(CoreError::from)?;
    let mut sent = 0;
    for row in pending {
        let scope: Scope = codec::from_json(&row.scope)?;
        if let Some(bytes) = store.attachment(&row.sha256).await? {
            match client.put_blob(bytes, scope).await {
                Ok(_) => sent += 1,
                // A customer created here is not the server's until its operations are pushed;
                // the contents wait for the next attempt (they are never dropped).
                Err(SyncError::Refused { status: 403 | 404, .. }) => continue,
                Err(error) => return Err(error),
            }
        }
        sqlx::query!("DELETE FROM pending_blobs WHERE sha256 = ?", row.sha256)
            .execute(store.writer())
            .await
            .map_err(CoreError::from)?;
    }
    Ok(sent)
}

/// An attachment's contents: from this device when it has them, else from the server (checked
/// against its hash and kept here for offline use).
pub async fn fetch_attachment(
    store: &Store,
    client: &SyncClient,
    sha256: &str,
) -> Result<Vec<u8>, SyncError> {
    if let Some(bytes) = store.attachment(sha256).await? {
        return Ok(bytes);
    }
    let bytes = client.get_blob(sha256).await?;
    if hex::encode(Sha256::digest(&bytes)) != sha256 {
        return Err(SyncError::Protocol(format!("blob {sha256} does not match its hash")));
    }
    store.write_blob(sha256, &bytes).await?;
    Ok(bytes)
}
