//! T11: reading the history of any record.

use duly_protocol::EntityKind;
use uuid::Uuid;

use super::{Store, codec};
use crate::error::{CoreError, Result};
use crate::model::{HistoryEntry, Source};

impl Store {
    /// Every change of one record, oldest first.
    pub async fn history(&self, entity_id: Uuid) -> Result<Vec<HistoryEntry>> {
        let key = entity_id.to_string();
        let rows = sqlx::query!(
            "SELECT seq, entity, entity_id, kind, field, old_value, new_value, actor_id, at, source
             FROM history WHERE entity_id = ? ORDER BY seq",
            key
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(HistoryEntry {
                    seq: r.seq,
                    entity: entity_kind(&r.entity)?,
                    entity_id: codec::id(&r.entity_id)?,
                    kind: codec::parse_enum(&r.kind)?,
                    field: r.field,
                    old_value: r.old_value.as_deref().map(codec::from_json).transpose()?,
                    new_value: r.new_value.as_deref().map(codec::from_json).transpose()?,
                    actor_id: codec::id(&r.actor_id)?,
                    at: codec::parse_ts(&r.at)?,
                    source: codec::word(&r.source, Source::parse)?,
                })
            })
            .collect()
    }
}

pub(crate) fn entity_kind(text: &str) -> Result<EntityKind> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(CoreError::corrupt)
}
