//! The operations waiting to be pushed to the server.

use duly_protocol::{OpId, Operation};

use super::{Store, codec};
use crate::error::Result;

impl Store {
    /// The oldest `limit` operations not yet acknowledged by the server.
    pub async fn pending_ops(&self, limit: u32) -> Result<Vec<Operation>> {
        let limit = i64::from(limit);
        let rows = sqlx::query!(
            "SELECT client_seq, scope, entity, entity_id, kind, field, value, hlc
             FROM outbox ORDER BY client_seq LIMIT ?",
            limit
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Operation {
                    op_id: OpId { client_id: self.client_id(), client_seq: r.client_seq },
                    scope: codec::from_json(&r.scope)?,
                    entity: super::history::entity_kind(&r.entity)?,
                    entity_id: codec::id(&r.entity_id)?,
                    kind: codec::parse_enum(&r.kind)?,
                    field: r.field,
                    value: codec::from_json(&r.value)?,
                    hlc: r.hlc,
                })
            })
            .collect()
    }

    pub async fn pending_op_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar!("SELECT COUNT(*) FROM outbox").fetch_one(self.reader()).await?)
    }
}
