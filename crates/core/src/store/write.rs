//! The one way to write: a transaction that carries history, outbox and events with it.

use chrono::{DateTime, Utc};
use duly_protocol::{EntityKind, Scope};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::writer::WriterTx;
use super::{Store, codec};
use crate::error::Result;
use crate::model::{ChangeEvent, HistoryKind, WriteCtx};

pub(crate) struct Write<'s> {
    pub tx: WriterTx,
    pub ctx: WriteCtx,
    pub now: DateTime<Utc>,
    store: &'s Store,
    events: Vec<ChangeEvent>,
    /// History entries (each also the sync operation it describes), written in one statement
    /// just before the commit: one round trip to SQLite however many fields changed.
    journal: Vec<Value>,
}

impl Store {
    /// Starts a write. `BEGIN IMMEDIATE` takes the write lock up front, so a transaction never
    /// fails half-way for a lock another connection holds.
    pub(crate) async fn begin(&self, ctx: WriteCtx) -> Result<Write<'_>> {
        let tx = self.inner.writer.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Write { tx, ctx, now: self.now(), store: self, events: Vec::new(), journal: Vec::new() })
    }
}

impl<'s> Write<'s> {
    /// A fresh hybrid-logical-clock stamp for an operation.
    pub fn hlc(&self) -> String {
        self.store.new_stamp()
    }

    /// The store this write belongs to.
    pub fn store(&self) -> &'s Store {
        self.store
    }

    pub fn now_text(&self) -> String {
        codec::ts(self.now)
    }

    /// Records a new entity: one history entry with the initial values, which is also its
    /// `create` operation.
    pub fn created(&mut self, scope: Scope, entity: EntityKind, id: Uuid, record: &Value) -> Result<()> {
        self.journal(scope, entity, id, HistoryKind::Created, None, None, Some(record))?;
        self.touch(entity, Some(id));
        Ok(())
    }

    /// Records the fields that differ between two serialisations of an entity: one history
    /// entry (and `set` operation) per changed field. Returns the changed field names.
    pub fn changed(
        &mut self,
        scope: Scope,
        entity: EntityKind,
        id: Uuid,
        old: &Value,
        new: &Value,
    ) -> Result<Vec<String>> {
        let empty = Map::new();
        let old_fields = old.as_object().unwrap_or(&empty);
        let mut changed = Vec::new();
        for (field, new_value) in new.as_object().unwrap_or(&empty) {
            if is_bookkeeping(field) {
                continue;
            }
            let old_value = old_fields.get(field).unwrap_or(&Value::Null);
            if old_value == new_value {
                continue;
            }
            self.journal(
                scope,
                entity,
                id,
                HistoryKind::Changed,
                Some(field),
                Some(old_value),
                Some(new_value),
            )?;
            changed.push(field.clone());
        }
        if !changed.is_empty() {
            self.touch(entity, Some(id));
        }
        Ok(changed)
    }

    pub fn trashed(&mut self, scope: Scope, entity: EntityKind, id: Uuid, batch: Uuid) -> Result<()> {
        let batch = Value::String(batch.to_string());
        self.journal(scope, entity, id, HistoryKind::Deleted, None, None, Some(&batch))?;
        self.touch(entity, Some(id));
        Ok(())
    }

    pub fn restored(&mut self, scope: Scope, entity: EntityKind, id: Uuid) -> Result<()> {
        self.journal(scope, entity, id, HistoryKind::Restored, None, None, None)?;
        self.touch(entity, Some(id));
        Ok(())
    }

    pub fn touch(&mut self, entity: EntityKind, id: Option<Uuid>) {
        let event = ChangeEvent { entity, id, source: self.ctx.source };
        if !self.events.contains(&event) {
            self.events.push(event);
        }
    }

    /// Writes the journal, commits, then announces the change.
    pub async fn commit(mut self) -> Result<()> {
        if self.journal.is_empty() {
            self.tx.commit().await?;
        } else {
            let entries = codec::json(&self.journal)?;
            let actor = self.ctx.actor.to_string();
            let at = self.now_text();
            let source = self.ctx.source.as_str();
            // The journal and the COMMIT in one round trip to SQLite's thread.
            sqlx::query(JOURNAL_AND_COMMIT)
                .bind(actor)
                .bind(at)
                .bind(source)
                .bind(entries)
                .execute(&mut *self.tx)
                .await?;
            self.tx.committed();
        }
        self.store.note_write();
        self.store.note_search_writes(&self.events);
        for event in self.events {
            // Nobody listening is fine: the window may not be open.
            let _ = self.store.inner.events.send(event);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn journal(
        &mut self,
        scope: Scope,
        entity: EntityKind,
        id: Uuid,
        kind: HistoryKind,
        field: Option<&str>,
        old: Option<&Value>,
        new: Option<&Value>,
    ) -> Result<()> {
        // The server's limits, checked here with the same constants: what this device keeps
        // it can also share. Synced values were checked by the server already.
        if self.ctx.source != crate::model::Source::Sync
            && let Some(value) = new
            && let Err(problem) = duly_protocol::limits::check_value(value)
        {
            return Err(crate::error::CoreError::Invalid {
                field: "record",
                reason: match problem {
                    duly_protocol::limits::ValueProblem::TooLarge { .. } => {
                        "larger than the server accepts (256 KiB as sent)"
                    }
                    duly_protocol::limits::ValueProblem::TooDeep { .. } => {
                        "nested deeper than the server accepts"
                    }
                },
            });
        }
        // Values are stored as JSON text; nested here as strings so `->>` returns them verbatim.
        self.journal.push(json!({
            "entity": entity.as_str(),
            "entity_id": id,
            "kind": codec::enum_text(&kind)?,
            "field": field,
            "old": old.map(codec::json).transpose()?,
            "new": new.map(codec::json).transpose()?,
            "scope": codec::json(&scope)?,
            "hlc": self.hlc(),
        }));
        Ok(())
    }
}

/// The history rows of a write's journal (`?4`, a JSON array), then the commit. Statements
/// after the first see the same bound values (`?N` is by number).
const JOURNAL_AND_COMMIT: &str = "
INSERT INTO history (entity, entity_id, kind, field, old_value, new_value, actor_id, at, source, scope, hlc, base_hlc)
SELECT value ->> 'entity', value ->> 'entity_id', value ->> 'kind', value ->> 'field',
       value ->> 'old', value ->> 'new', ?1, ?2, ?3, value ->> 'scope', value ->> 'hlc',
       CASE WHEN value ->> 'kind' = 'changed' THEN COALESCE(
           (SELECT h.hlc FROM history h
            WHERE h.entity_id = value ->> 'entity_id' AND (h.field = value ->> 'field' OR h.kind = 'created')
            ORDER BY h.seq DESC LIMIT 1),
           -- Came by snapshot and unchanged here since: the stamp it came with.
           (SELECT COALESCE(s.stamps -> (value ->> 'field') ->> 0, s.stamps -> '*' ->> 0)
            FROM synced_state s WHERE s.entity_id = value ->> 'entity_id'))
       END
FROM json_each(?4);
COMMIT;";

/// Fields that change on every write and carry no meaning of their own.
fn is_bookkeeping(field: &str) -> bool {
    matches!(field, "updated_at")
}

pub(crate) fn scope_of(customer_id: Option<Uuid>) -> Scope {
    customer_id.map_or(Scope::Team, Scope::Customer)
}
