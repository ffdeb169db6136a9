//! The snapshot's reads: the ops that still decide the state (`current_ops`), and the log
//! those are folded from at start-up.

use duly_protocol::{LoggedOp, Scope};

use super::SqliteStorage;
use crate::storage::{OpRow, StorageResult, op_columns, scope_keys};

impl SqliteStorage {
    pub(super) async fn snapshot_page(
        &self,
        scopes: &[Scope],
        since: i64,
        upto: i64,
        limit: u32,
    ) -> StorageResult<Vec<LoggedOp>> {
        // Walks the table in seq order, filtering by scope: one pass over it for the whole
        // snapshot, since each page starts where the last ended.
        let rows: Vec<OpRow> = sqlx::query_as(concat!(
            "SELECT ",
            op_columns!(),
            " FROM ops WHERE seq IN (
                SELECT seq FROM current_ops WHERE seq > ?1 AND seq <= ?4
                   AND scope_kind || ':' || scope_id IN (SELECT value FROM json_each(?2))
                 ORDER BY seq LIMIT ?3)
             ORDER BY seq"
        ))
        .bind(since)
        .bind(scope_keys(scopes))
        .bind(i64::from(limit))
        .bind(upto)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(OpRow::into_logged).collect()
    }

    pub(super) async fn snapshot_count(&self, scopes: &[Scope], upto: i64) -> StorageResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM current_ops WHERE seq <= ?2
               AND scope_kind || ':' || scope_id IN (SELECT value FROM json_each(?1))",
        )
        .bind(scope_keys(scopes))
        .bind(upto)
        .fetch_one(&self.pool)
        .await?)
    }

    pub(super) async fn no_current_ops(&self) -> StorageResult<bool> {
        let any: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM current_ops LIMIT 1").fetch_optional(&self.pool).await?;
        Ok(any.is_none())
    }

    pub(super) async fn log_page_after(&self, since: i64, limit: u32) -> StorageResult<Vec<LoggedOp>> {
        let rows: Vec<OpRow> =
            sqlx::query_as(concat!("SELECT ", op_columns!(), " FROM ops WHERE seq > ? ORDER BY seq LIMIT ?"))
                .bind(since)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(OpRow::into_logged).collect()
    }
}
