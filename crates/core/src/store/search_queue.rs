//! The search indexer: builds search documents off the write path.
//!
//! A write's triggers only queue which customer, task or comment changed (migration 0008). The
//! indexer turns queued entries into `search_docs` rows and FTS5 documents in batches, one
//! transaction (so one FTS segment) per batch, rebuilding each entity's document from its
//! current row: nothing while it is in the trash, as the old triggers did.
//!
//! When: in the background, once the store has seen no write for [`INDEX_WHEN_IDLE`], or at
//! once when [`INDEX_WHEN_WRITTEN`] entities are waiting (a long burst still gets indexed as it
//! goes, in batches too large to cost each write much). And before every search: a search
//! drains the whole queue first, so it never misses what was written before it, and in the
//! common case (the indexer kept up) that costs one read of an empty table.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use duly_protocol::EntityKind;

use super::Store;
use crate::error::Result;

/// How long the store must have seen no write before queued documents are indexed.
const INDEX_WHEN_IDLE: Duration = Duration::from_millis(200);
/// How many written entities make a batch worth indexing at once, idle or not.
const INDEX_WHEN_WRITTEN: usize = 500;
/// Queue entries per transaction in the background: one FTS segment for about 500 writes
/// (each write made one before), and a few milliseconds of the writer at a time.
const BACKGROUND_BATCH: i64 = 500;
/// Queue entries per transaction when someone waits for all of it (a search, a bootstrap):
/// fewer commits and segments; FTS5 still flushes its 1 MB of pending text on its own.
const CATCH_UP_BATCH: i64 = 5_000;

/// Indexes the queue entries up to `?1` and removes them, then commits: one round trip. Every
/// entity's old document goes and its current row, unless trashed, comes back, dated and
/// worded as the triggers of migration 0001 did. Documents are numbered in the order of their
/// latest write (the unfiltered search lists the newest first), and FTS rows are written in
/// rising rowid order, so FTS5 keeps them in one segment.
const INDEX_BATCH: &str = r#"
DELETE FROM search_index WHERE rowid IN
    (SELECT d.doc FROM search_queue q JOIN search_docs d ON d.entity_id = q.entity_id WHERE q.seq <= ?1);
DELETE FROM search_docs WHERE entity_id IN (SELECT entity_id FROM search_queue WHERE seq <= ?1);
WITH q AS (SELECT entity_id, kind, MAX(seq) AS last FROM search_queue WHERE seq <= ?1 GROUP BY entity_id)
INSERT INTO search_docs (kind, entity_id, customer_id, task_id, at)
SELECT kind, entity_id, customer_id, task_id, at FROM (
    SELECT q.last, 'customer' AS kind, c.id AS entity_id, c.id AS customer_id, NULL AS task_id, c.created_at AS at
    FROM q JOIN customers c ON c.id = q.entity_id WHERE q.kind = 'customer' AND c.deleted_at IS NULL
    UNION ALL
    SELECT q.last, 'task', t.id, t.customer_id, t.id, coalesce(t.due_at, t.due_date || 'T00:00:00.000000Z', t.created_at)
    FROM q JOIN tasks t ON t.id = q.entity_id WHERE q.kind = 'task' AND t.deleted_at IS NULL
    UNION ALL
    SELECT q.last, 'comment', m.id, m.customer_id, m.task_id, m.created_at
    FROM q JOIN comments m ON m.id = q.entity_id WHERE q.kind = 'comment' AND m.deleted_at IS NULL
) ORDER BY last;
INSERT INTO search_index (rowid, title, body)
SELECT d.doc,
    CASE d.kind WHEN 'customer' THEN c.name WHEN 'task' THEN t.title ELSE '' END,
    CASE d.kind
        WHEN 'customer' THEN concat_ws(char(10),
            (SELECT group_concat(concat_ws(' ', value ->> 'name', value ->> 'role', value ->> 'email', value ->> 'phone'), char(10))
             FROM json_each(c.contacts)),
            (SELECT group_concat(value, ' ') FROM json_each(c.emails)),
            (SELECT group_concat(value, ' ') FROM json_each(c.phones)),
            c.address, c.tax_number, c.website, c.notes)
        WHEN 'task' THEN concat_ws(char(10),
            t.description,
            (SELECT group_concat(value ->> 'text', char(10)) FROM json_each(t.checklist)),
            t.outcome)
        ELSE m.body
    END
FROM search_docs d
LEFT JOIN customers c ON d.kind = 'customer' AND c.id = d.entity_id
LEFT JOIN tasks t ON d.kind = 'task' AND t.id = d.entity_id
LEFT JOIN comments m ON d.kind = 'comment' AND m.id = d.entity_id
WHERE d.entity_id IN (SELECT entity_id FROM search_queue WHERE seq <= ?1)
ORDER BY d.doc;
DELETE FROM search_queue WHERE seq <= ?1;
COMMIT;
"#;

impl Store {
    /// How many search-queue entries wait to be indexed (an entity written twice counts twice).
    pub async fn search_backlog(&self) -> Result<usize> {
        let queued: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM search_queue").fetch_one(self.reader()).await?;
        Ok(usize::try_from(queued).unwrap_or(0))
    }

    /// Indexes everything queued now, in batches; returns how many queue entries it took.
    /// After a bulk load (a sync bootstrap) this is when search is complete.
    pub async fn drain_search_queue(&self) -> Result<usize> {
        self.index_queue(CATCH_UP_BATCH).await
    }

    /// Before a search: whatever was written before it is searchable.
    pub(crate) async fn catch_up_search(&self) -> Result<()> {
        let queued: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM search_queue)").fetch_one(self.reader()).await?;
        if queued {
            self.drain_search_queue().await?;
        }
        Ok(())
    }

    /// Tells the indexer what a committed write changed.
    pub(super) fn note_search_writes(&self, events: &[crate::model::ChangeEvent]) {
        let written = events
            .iter()
            .filter(|e| matches!(e.entity, EntityKind::Customer | EntityKind::Task | EntityKind::Comment))
            .count();
        if written > 0 {
            self.inner.search_written.fetch_add(written, Ordering::Relaxed);
            self.inner.search_wake.notify_one();
        }
    }

    async fn index_queue(&self, batch: i64) -> Result<usize> {
        let mut total = 0;
        loop {
            let indexed = self.index_batch(batch).await?;
            if indexed == 0 {
                return Ok(total);
            }
            total += indexed;
        }
    }

    /// One transaction: the oldest `limit` queue entries. Returns how many there were.
    async fn index_batch(&self, limit: i64) -> Result<usize> {
        let mut tx = self.writer().begin_with("BEGIN IMMEDIATE").await?;
        let (last, count): (Option<i64>, i64) = sqlx::query_as(
            "SELECT MAX(seq), COUNT(*) FROM (SELECT seq FROM search_queue ORDER BY seq LIMIT ?)",
        )
        .bind(limit)
        .fetch_one(&mut *tx)
        .await?;
        let Some(last) = last else {
            tx.commit().await?;
            return Ok(0);
        };
        sqlx::query(INDEX_BATCH).bind(last).execute(&mut *tx).await?;
        tx.committed();
        Ok(usize::try_from(count).unwrap_or(0))
    }

    pub(super) fn spawn_search_indexer(&self) {
        let weak = Arc::downgrade(&self.inner);
        let wake = self.inner.search_wake.clone();
        tokio::spawn(async move {
            loop {
                // Woken by a write; the timeout only notices a closed store.
                let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
                loop {
                    let Some(inner) = weak.upgrade() else { return };
                    if inner.search_written.load(Ordering::Relaxed) == 0
                        || inner.bulk_loading.load(Ordering::Relaxed)
                    {
                        break;
                    }
                    let idle =
                        chrono::Utc::now().timestamp_millis() - inner.last_write_ms.load(Ordering::Relaxed);
                    let wait = INDEX_WHEN_IDLE.as_millis() as i64 - idle;
                    if wait <= 0 || inner.search_written.load(Ordering::Relaxed) >= INDEX_WHEN_WRITTEN {
                        inner.search_written.store(0, Ordering::Relaxed);
                        let store = Store { inner };
                        if let Err(error) = store.index_queue(BACKGROUND_BATCH).await {
                            tracing::warn!(%error, "search indexing failed");
                        }
                        continue;
                    }
                    drop(inner);
                    // Until the store has been quiet long enough, or another write comes in.
                    let quiet = tokio::time::sleep(Duration::from_millis(wait.unsigned_abs()));
                    tokio::select! {
                        () = quiet => {}
                        () = wake.notified() => {}
                    }
                }
            }
        });
    }
}
