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

    /// The unacknowledged operations of one scope (its JSON text as history keeps it).
    /// Read in the caller's transaction, so no write slips in between this read and what the
    /// caller does with the ops.
    pub(crate) async fn pending_ops_of_scope(
        &self,
        conn: &mut sqlx::SqliteConnection,
        scope: &str,
    ) -> Result<Vec<Operation>> {
        let rows = sqlx::query!(
            "SELECT o.client_seq, h.scope, h.entity, h.entity_id, h.kind, h.field, h.new_value, h.hlc, h.base_hlc
             FROM outbox o JOIN history h ON h.seq = o.history_seq
             WHERE h.scope = ? ORDER BY o.client_seq",
            scope
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
