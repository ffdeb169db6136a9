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
        let mut entries = Vec::with_capacity(rows.len() + 1);
        if !rows.iter().any(|r| r.kind == "created")
            && let Some(arrived) = arrived_by_snapshot(self, &key, entity_id).await?
        {
            entries.push(arrived);
        }
        let read: Vec<HistoryEntry> = rows
            .into_iter()
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
            .collect::<Result<_>>()?;
        entries.extend(read);
        Ok(entries)
    }
}

/// An entity that arrived by snapshot has no history of its own before it: its entry says
/// who made the values it came with, and when (the stamp's time), as its creation.
async fn arrived_by_snapshot(store: &Store, key: &str, entity_id: Uuid) -> Result<Option<HistoryEntry>> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT entity, stamps FROM synced_state WHERE entity_id = ?")
            .bind(key)
            .fetch_optional(store.reader())
            .await?;
    let Some((entity, stamps)) = row else { return Ok(None) };
    let stamps: serde_json::Value = codec::from_json(&stamps)?;
    let (Some(hlc), Some(actor)) = (stamps["*"][0].as_str(), stamps["*"][1].as_str()) else {
        return Ok(None);
    };
    let at = duly_protocol::stamp::time_ms(hlc).and_then(chrono::DateTime::from_timestamp_millis);
    Ok(Some(HistoryEntry {
        seq: 0,
        entity: entity_kind(&entity)?,
        entity_id,
        kind: crate::model::HistoryKind::Created,
        field: None,
        old_value: None,
        new_value: None,
        actor_id: codec::id(actor)?,
        at: at.unwrap_or_default(),
        source: Source::Sync,
    }))
}

pub(crate) fn entity_kind(text: &str) -> Result<EntityKind> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(CoreError::corrupt)
}
