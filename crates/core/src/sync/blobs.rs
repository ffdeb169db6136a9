//! T8: attachments are content-addressed blobs. The contents stay on this device (so a file
//! once added or fetched opens offline); only their metadata travels in the operations. New
//! ones wait in `pending_blobs` until a sync round uploads them, before the operations that
//! name them. M6: a file is flushed to disk before it counts as kept, and one that cannot go
//! up (too large for the server, or damaged here) is set aside with the reason instead of
//! stopping the round; keeping the same content again clears that.

use std::path::PathBuf;

use duly_protocol::Scope;
use sha2::{Digest, Sha256};

use super::client::{SyncClient, SyncError};
use crate::error::{CoreError, Result};
use crate::model::AttachmentMeta;
use crate::store::{Store, codec};

/// The largest attachment accepted here (the server has its own limit).
pub const MAX_ATTACHMENT_BYTES: usize = 50 * 1024 * 1024;

/// The reason kept for a file whose copy here no longer hashes to its name.
pub const DAMAGED_HERE: &str = "the file on this computer is damaged";

/// The reason kept for a file whose upload broke off in [`CUT_OFF_ROUNDS`] rounds while the
/// server answered otherwise. A server over its limit answers 413 and closes the
/// connection; with a large file still on its way, the client often sees only the closing.
pub const CUT_OFF: &str =
    "the server broke off the upload again and again (the file is probably over its size limit)";

/// Rounds a file's upload may break off, with the server up, before it is set aside.
pub const CUT_OFF_ROUNDS: i64 = 3;

/// An attachment set aside instead of uploaded, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedBlob {
    pub sha256: String,
    /// The server's words (too large, malformed), [`CUT_OFF`] or [`DAMAGED_HERE`].
    pub reason: String,
    pub refused_at: String,
}

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
        // Kept again: a refusal of the same content is lifted (the file may be whole again, or
        // the server's limit raised), and the next round tries it once more.
        sqlx::query!(
            "INSERT INTO pending_blobs (sha256, scope, added_at) VALUES (?, ?, ?)
             ON CONFLICT (sha256) DO UPDATE SET refused = NULL, refused_at = NULL, cut_off = 0",
            sha256,
            scope,
            at
        )
        .execute(&mut *self.writer().lock().await?)
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

    /// Written aside, flushed, renamed into place and the folder flushed, so a crash or power
    /// cut never leaves half a file (or an empty one) under the real name. A file already
    /// there is kept only when it holds these very bytes: a torn or damaged one is written
    /// again.
    async fn write_blob(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        use tokio::io::AsyncWriteExt;
        let io = |e: std::io::Error| CoreError::Internal(format!("writing attachment {sha256}: {e}"));
        let path = self.blob_path(sha256);
        match tokio::fs::metadata(&path).await {
            Ok(meta) if meta.len() == bytes.len() as u64 => {
                if tokio::fs::read(&path).await.map_err(io)? == bytes {
                    return Ok(());
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let dir = self.blob_dir();
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
        let partial = dir.join(format!("{sha256}.{}.part", uuid::Uuid::now_v7()));
        let written = async {
            let mut file = tokio::fs::File::create(&partial).await?;
            file.write_all(bytes).await?;
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&partial, &path).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(io(e));
        }
        sync_dir(dir).await.map_err(io)
    }

    /// Attachments waiting to go up, set-aside ones included.
    pub async fn pending_blob_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar!("SELECT COUNT(*) FROM pending_blobs").fetch_one(self.reader()).await?)
    }

    /// Attachments set aside: the server refused them (or kept breaking their upload off), or
    /// the copy here is damaged.
    pub async fn refused_blob_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar!("SELECT COUNT(*) FROM pending_blobs WHERE refused IS NOT NULL")
            .fetch_one(self.reader())
            .await?)
    }

    /// The attachments set aside, oldest refusal first, with why.
    pub async fn refused_blobs(&self) -> Result<Vec<RefusedBlob>> {
        let rows = sqlx::query!(
            r#"SELECT sha256, refused AS "reason!", refused_at AS "refused_at!" FROM pending_blobs
               WHERE refused IS NOT NULL ORDER BY refused_at, sha256"#
        )
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| RefusedBlob { sha256: r.sha256, reason: r.reason, refused_at: r.refused_at })
            .collect())
    }

    /// One more round in which the file's upload broke off; returns how many so far.
    async fn count_cut_off(&self, sha256: &str) -> Result<i64> {
        Ok(sqlx::query_scalar!(
            "UPDATE pending_blobs SET cut_off = cut_off + 1 WHERE sha256 = ? RETURNING cut_off",
            sha256
        )
        .fetch_optional(&mut *self.writer().lock().await?)
        .await?
        .unwrap_or(0))
    }

    async fn refuse_blob(&self, sha256: &str, reason: &str) -> Result<()> {
        let at = codec::ts(self.now());
        sqlx::query!(
            "UPDATE pending_blobs SET refused = ?, refused_at = ? WHERE sha256 = ?",
            reason,
            at,
            sha256
        )
        .execute(&mut *self.writer().lock().await?)
        .await?;
        tracing::warn!(sha256, reason, "attachment set aside, not uploaded");
        Ok(())
    }
}

/// Flushes a folder, so a file renamed into it is there after a power cut (Unix; elsewhere
/// a folder cannot be opened as a file and the rename is left to the file system).
async fn sync_dir(dir: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    tokio::fs::File::open(dir).await?.sync_all().await?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Uploads every blob waiting here. Returns how many went up. A blob the server refuses as
/// too large (413) or malformed (400), or whose copy here does not hash to its name, is set
/// aside with the reason and not tried again until it is kept anew: it never stops the round.
/// An upload that breaks off while the server still answers skips the blob for this round
/// (set aside after [`CUT_OFF_ROUNDS`] such rounds). Offline, an ended session and other
/// errors end the round (it is tried again).
pub async fn upload_blobs(store: &Store, client: &SyncClient) -> Result<usize, SyncError> {
    let pending =
        sqlx::query!("SELECT sha256, scope FROM pending_blobs WHERE refused IS NULL ORDER BY added_at")
            .fetch_all(store.reader())
            .await
            .map_err(CoreError::from)?;
    let mut sent = 0;
    for row in pending {
        let scope: Scope = codec::from_json(&row.scope)?;
        if let Some(bytes) = store.attachment(&row.sha256).await? {
            let (hash, bytes) = hashed(bytes).await?;
            if hash != row.sha256 {
                store.refuse_blob(&row.sha256, DAMAGED_HERE).await?;
                continue;
            }
            match client.put_blob(bytes, scope).await {
                Ok(_) => sent += 1,
                // A customer created here is not the server's until its operations are pushed;
                // the contents wait for the next attempt (they are never dropped).
                Err(SyncError::Refused { status: 403 | 404, .. }) => continue,
                // Over the server's limit, or not what the server accepts: asking again will
                // not change the answer.
                Err(SyncError::Refused { status: 400 | 413, message, .. }) => {
                    store.refuse_blob(&row.sha256, &message).await?;
                    continue;
                }
                // Broken off: if the server still answers, it was this file (most likely one
                // over the limit, whose 413 was lost as the server closed the connection); the
                // round goes on without it, and after a few such rounds it is set aside.
                Err(SyncError::Offline(error)) => {
                    if client.health().await.is_err() {
                        return Err(SyncError::Offline(error));
                    }
                    tracing::info!(sha256 = row.sha256, %error, "attachment upload broke off; the server answers");
                    if store.count_cut_off(&row.sha256).await? >= CUT_OFF_ROUNDS {
                        store.refuse_blob(&row.sha256, CUT_OFF).await?;
                    }
                    continue;
                }
                Err(error) => return Err(error),
            }
        }
        sqlx::query!("DELETE FROM pending_blobs WHERE sha256 = ?", row.sha256)
            .execute(&mut *store.writer().lock().await?)
            .await
            .map_err(CoreError::from)?;
    }
    Ok(sent)
}

/// An attachment's contents: from this device when it has them whole, else from the server
/// (checked against its hash and kept here for offline use; a torn or damaged copy here is
/// replaced).
pub async fn fetch_attachment(
    store: &Store,
    client: &SyncClient,
    sha256: &str,
) -> Result<Vec<u8>, SyncError> {
    if let Some(bytes) = store.attachment(sha256).await? {
        let (hash, bytes) = hashed(bytes).await?;
        if hash == sha256 {
            return Ok(bytes);
        }
        // Torn or damaged here: the server's copy replaces it.
        tracing::warn!(sha256, "the attachment's copy here is damaged; fetching it again");
    }
    let (hash, bytes) = hashed(client.get_blob(sha256).await?).await?;
    if hash != sha256 {
        return Err(SyncError::Protocol(format!("blob {sha256} does not match its hash")));
    }
    store.write_blob(sha256, &bytes).await?;
    Ok(bytes)
}

/// The SHA-256 of a file's contents, in lowercase hex. Hashing up to 50 MiB is CPU work: it
/// runs off the async threads.
async fn hashed(bytes: Vec<u8>) -> Result<(String, Vec<u8>)> {
    tokio::task::spawn_blocking(move || (hex::encode(Sha256::digest(&bytes)), bytes))
        .await
        .map_err(|e| CoreError::Internal(format!("hashing an attachment: {e}")))
}
