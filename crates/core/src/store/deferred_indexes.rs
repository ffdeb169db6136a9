//! A snapshot into an empty store writes its rows without the secondary indexes and builds
//! them once, sorted, at the end.
//!
//! A page of a snapshot inserts thousands of rows whose keys fall all over each index (ids,
//! responsible colleagues, due dates), so every page's transaction rewrote a leaf page per row
//! in each of a dozen indexes: 292 MB of WAL for 60,000 entities (bench, sync --quick). Built
//! at the end, each index is one sorted pass over its table.
//!
//! The dropped indexes' own `CREATE INDEX` statements are kept in `meta` in the transaction
//! that drops them, so a crash or a failed sync in between loses none: the next snapshot's
//! end, or the next opening of the store (before its migrations, which may name them),
//! creates them again.

use std::sync::atomic::Ordering;

use sqlx::{Connection, SqliteConnection};

use super::Store;
use crate::error::Result;

const KEY: &str = "deferred_indexes";
/// The writer's page cache while a snapshot loads (256 MB), and after it (SQLite's default).
const LOAD_CACHE: &str = "PRAGMA cache_size = -262144";
const USUAL_CACHE: &str = "PRAGMA cache_size = -2000";

/// Tables a snapshot writes in bulk. Only plain indexes go: a unique one is a constraint, and
/// the primary keys are what the snapshot's upserts find rows by.
const SQL_OF_DEFERRABLE: &str = "SELECT sql FROM sqlite_master
    WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'
      AND tbl_name IN ('customers', 'projects', 'tasks', 'comments', 'comment_keywords')
    ORDER BY name";

impl Store {
    /// Drops the secondary indexes of the bulk tables (the store is empty: nothing reads them
    /// but a list the window shows while the first page lands) and keeps how to build them.
    pub(crate) async fn defer_indexes(&self) -> Result<()> {
        let mut conn = self.writer().lock().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        if saved(&mut tx).await?.is_some() {
            return Ok(());
        }
        let statements: Vec<String> = sqlx::query_scalar(SQL_OF_DEFERRABLE).fetch_all(&mut *tx).await?;
        for statement in &statements {
            let name = index_name(statement)?;
            // The name is one SQLite gave back, quoted.
            let drop = sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\""));
            sqlx::query(drop).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?)")
            .bind(KEY)
            .bind(super::codec::json(&statements)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        // A page's transaction touches far more pages than SQLite's 2 MB default cache holds:
        // spilled mid-transaction, they were written to the WAL and read back again.
        sqlx::query(LOAD_CACHE).execute(&mut *conn).await?;
        // The indexer would build search documents page by page; it waits for the end.
        self.inner.bulk_loading.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Builds the indexes [`Store::defer_indexes`] dropped, if it did; then search indexing
    /// resumes on what the load queued.
    pub(crate) async fn restore_indexes(&self) -> Result<()> {
        let mut conn = self.writer().lock().await?;
        restore(&mut conn).await?;
        sqlx::query(USUAL_CACHE).execute(&mut *conn).await?;
        drop(conn);
        self.inner.bulk_loading.store(false, Ordering::Relaxed);
        self.inner.search_wake.notify_one();
        Ok(())
    }
}

/// Creates the kept indexes again and forgets them, in one transaction; nothing when none
/// are kept (or the store has no `meta` yet: a new file).
pub(crate) async fn restore(conn: &mut SqliteConnection) -> Result<()> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let has_meta: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
            .fetch_optional(&mut *tx)
            .await?;
    if has_meta.is_none() {
        return Ok(());
    }
    let Some(statements) = saved(&mut tx).await? else { return Ok(()) };
    for statement in statements {
        // Statements SQLite itself kept for indexes this store had.
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM meta WHERE key = ?").bind(KEY).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn saved(conn: &mut SqliteConnection) -> Result<Option<Vec<String>>> {
    let text: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
        .bind(KEY)
        .fetch_optional(&mut *conn)
        .await?;
    text.map(|text| super::codec::from_json(&text)).transpose()
}

/// `CREATE INDEX name ON …` → `name` (SQLite keeps the statement as it was written).
fn index_name(statement: &str) -> Result<&str> {
    statement
        .strip_prefix("CREATE INDEX ")
        .and_then(|rest| rest.split_whitespace().next())
        .map(|name| name.trim_matches('"'))
        .ok_or_else(|| crate::error::CoreError::Internal(format!("not an index: {statement}")))
}
