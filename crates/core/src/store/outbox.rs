//! The operations waiting to be pushed to the server: history rows this replica wrote.

use duly_protocol::{OpId, OpKind, Operation};

use super::{Store, codec};
use crate::error::Result;
use crate::model::HistoryKind;

impl Store {
    /// The oldest `limit` operations not yet acknowledged by the server.
    pub async fn pending_ops(&self, limit: u32) -> Result<Vec<Operation>> {
        let limit = i64::from(limit);
        let rows = sqlx::query!(
            "SELECT o.client_seq, h.scope, h.entity, h.entity_id, h.kind, h.field, h.new_value, h.hlc, h.base_hlc
             FROM outbox o JOIN history h ON h.seq = o.history_seq
             ORDER BY o.client_seq LIMIT ?",
            limit
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|r| {
                self.operation(
                    r.client_seq,
                    &r.scope,
                    &r.entity,
                    &r.entity_id,
                    &r.kind,
                    r.field,
                    r.new_value,
                    r.hlc,
                    r.base_hlc,
                )
            })
            .collect()
    }

    /// The unacknowledged operations with these client seqs, read in the caller's transaction.
    pub(crate) async fn pending_ops_by_seq(
        &self,
        conn: &mut sqlx::SqliteConnection,
        seqs: &[i64],
    ) -> Result<Vec<Operation>> {
        let seqs = codec::json(seqs)?;
        let rows = sqlx::query!(
            "SELECT o.client_seq, h.scope, h.entity, h.entity_id, h.kind, h.field, h.new_value, h.hlc, h.base_hlc
             FROM outbox o JOIN history h ON h.seq = o.history_seq
             WHERE o.client_seq IN (SELECT value FROM json_each(?)) ORDER BY o.client_seq",
            seqs
        )
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .map(|r| {
                self.operation(
                    r.client_seq,
                    &r.scope,
                    &r.entity,
                    &r.entity_id,
                    &r.kind,
                    r.field,
                    r.new_value,
                    r.hlc,
                    r.base_hlc,
                )
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn operation(
        &self,
        client_seq: i64,
        scope: &str,
        entity: &str,
        entity_id: &str,
        kind: &str,
        field: Option<String>,
        new_value: Option<String>,
        hlc: String,
        base: Option<String>,
    ) -> Result<Operation> {
        let kind = match codec::parse_enum::<HistoryKind>(kind)? {
            HistoryKind::Created => OpKind::Create,
            HistoryKind::Changed => OpKind::Set,
            HistoryKind::Deleted => OpKind::Delete,
            HistoryKind::Restored => OpKind::Restore,
        };
        Ok(Operation {
            op_id: OpId { client_id: self.client_id(), client_seq },
            scope: codec::from_json(scope)?,
            entity: super::history::entity_kind(entity)?,
            entity_id: codec::id(entity_id)?,
            kind,
            field,
            value: new_value.as_deref().map(codec::from_json).transpose()?.unwrap_or(serde_json::Value::Null),
            hlc,
            base,
        })
    }

    pub async fn pending_op_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar!("SELECT COUNT(*) FROM outbox").fetch_one(self.reader()).await?)
    }
}

impl Store {
    /// The server refused stamps as too far ahead of its clock: take its time, then stamp the
    /// pending operations made while this computer's clock ran fast again, in order, above
    /// every stamp the server holds (`hlc_high`), so each still replaces what it replaced
    /// here. A later op's base that named a re-stamped one follows it. One transaction.
    /// Returns how many operations were stamped again.
    pub async fn correct_clock(&self, server_time_ms: i64) -> Result<usize> {
        let server_now = chrono::DateTime::from_timestamp_millis(server_time_ms)
            .ok_or_else(|| crate::error::CoreError::Internal("the server sent no time".into()))?;
        let mut tx = self.writer().begin_with("BEGIN IMMEDIATE").await?;
        let floor: Option<uhlc::Timestamp> =
            sqlx::query_scalar!("SELECT value FROM meta WHERE key = 'hlc_high'")
                .fetch_optional(&mut *tx)
                .await?
                .and_then(|text| text.parse().ok());
        let correction = self.stamp_clock().correct(server_now, floor.as_ref());
        let text = correction.to_string();
        sqlx::query!(
            "INSERT INTO meta (key, value) VALUES ('clock_correction_ms', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            text
        )
        .execute(&mut *tx)
        .await?;
        let pending = sqlx::query!(
            "SELECT h.seq, h.hlc FROM outbox o JOIN history h ON h.seq = o.history_seq ORDER BY o.client_seq"
        )
        .fetch_all(&mut *tx)
        .await?;
        let now_ms = self.stamp_clock().now_ms();
        let mut restamped = 0;
        for row in pending {
            if duly_protocol::stamp::time_ms(&row.hlc).is_none_or(|at| at <= now_ms) {
                continue;
            }
            let fresh = self.new_stamp();
            sqlx::query!("UPDATE history SET hlc = ? WHERE seq = ?", fresh, row.seq)
                .execute(&mut *tx)
                .await?;
            sqlx::query!(
                "UPDATE history SET base_hlc = ?1 WHERE base_hlc = ?2
                 AND seq IN (SELECT history_seq FROM outbox)",
                fresh,
                row.hlc
            )
            .execute(&mut *tx)
            .await?;
            restamped += 1;
        }
        tx.commit().await?;
        tracing::warn!(
            correction_ms = correction,
            restamped,
            "this computer's clock is off: corrected by the server's"
        );
        Ok(restamped)
    }
}
