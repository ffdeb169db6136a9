//! The one way to write: a transaction that carries history, outbox and events with it.

use chrono::{DateTime, Utc};
use duly_protocol::{EntityKind, OpKind, Scope};
use serde_json::{Map, Value};
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

use super::{Store, codec};
use crate::error::Result;
use crate::model::{ChangeEvent, HistoryKind, WriteCtx};

pub(crate) struct Write<'s> {
    pub tx: Transaction<'static, Sqlite>,
    pub ctx: WriteCtx,
    pub now: DateTime<Utc>,
    store: &'s Store,
    events: Vec<ChangeEvent>,
}

impl Store {
    /// Starts a write. `BEGIN IMMEDIATE` takes the write lock up front, so a transaction never
    /// fails half-way for a lock another connection holds.
    pub(crate) async fn begin(&self, ctx: WriteCtx) -> Result<Write<'_>> {
        let tx = self.inner.writer.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Write { tx, ctx, now: self.now(), store: self, events: Vec::new() })
    }
}

impl Write<'_> {
    /// A fresh hybrid-logical-clock stamp for an operation.
    pub fn hlc(&self) -> String {
        self.store.inner.hlc.new_timestamp().to_string()
    }

    pub fn now_text(&self) -> String {
        codec::ts(self.now)
    }

    /// Records a new entity: one history entry with the initial values and one `create` op.
    pub async fn created(&mut self, scope: Scope, entity: EntityKind, id: Uuid, record: &Value) -> Result<()> {
        self.history(entity, id, HistoryKind::Created, None, None, Some(record)).await?;
        self.op(scope, entity, id, OpKind::Create, None, record).await?;
        self.touch(entity, Some(id));
        Ok(())
    }

    /// Records the fields that differ between two serialisations of an entity: one history
    /// entry and one `set` op per changed field. Returns the changed field names.
    pub async fn changed(
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
            self.history(entity, id, HistoryKind::Changed, Some(field), Some(old_value), Some(new_value)).await?;
            self.op(scope, entity, id, OpKind::Set, Some(field), new_value).await?;
            changed.push(field.clone());
        }
        if !changed.is_empty() {
            self.touch(entity, Some(id));
        }
        Ok(changed)
    }

    pub async fn trashed(&mut self, scope: Scope, entity: EntityKind, id: Uuid, batch: Uuid) -> Result<()> {
        let batch = Value::String(batch.to_string());
        self.history(entity, id, HistoryKind::Deleted, None, None, Some(&batch)).await?;
        self.op(scope, entity, id, OpKind::Delete, None, &batch).await?;
        self.touch(entity, Some(id));
        Ok(())
    }

    pub async fn restored(&mut self, scope: Scope, entity: EntityKind, id: Uuid) -> Result<()> {
        self.history(entity, id, HistoryKind::Restored, None, None, None).await?;
        self.op(scope, entity, id, OpKind::Restore, None, &Value::Null).await?;
        self.touch(entity, Some(id));
        Ok(())
    }

    pub fn touch(&mut self, entity: EntityKind, id: Option<Uuid>) {
        let event = ChangeEvent { entity, id, source: self.ctx.source };
        if !self.events.contains(&event) {
            self.events.push(event);
        }
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        self.store.note_write();
        for event in self.events {
            // Nobody listening is fine: the window may not be open.
            let _ = self.store.inner.events.send(event);
        }
        Ok(())
    }

    async fn history(
        &mut self,
        entity: EntityKind,
        id: Uuid,
        kind: HistoryKind,
        field: Option<&str>,
        old: Option<&Value>,
        new: Option<&Value>,
    ) -> Result<()> {
        let entity = entity.as_str();
        let id = id.to_string();
        let kind = codec::enum_text(&kind)?;
        let old = old.map(codec::json).transpose()?;
        let new = new.map(codec::json).transpose()?;
        let actor = self.ctx.actor.to_string();
        let at = self.now_text();
        let source = self.ctx.source.as_str();
        sqlx::query!(
            "INSERT INTO history (entity, entity_id, kind, field, old_value, new_value, actor_id, at, source)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            entity, id, kind, field, old, new, actor, at, source
        )
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn op(
        &mut self,
        scope: Scope,
        entity: EntityKind,
        id: Uuid,
        kind: OpKind,
        field: Option<&str>,
        value: &Value,
    ) -> Result<()> {
        if self.ctx.source == crate::model::Source::Sync {
            // What arrived by sync is already in the server's log.
            return Ok(());
        }
        let scope = codec::json(&scope)?;
        let entity = entity.as_str();
        let id = id.to_string();
        let kind = codec::enum_text(&kind)?;
        let value = codec::json(value)?;
        let hlc = self.hlc();
        sqlx::query!(
            "INSERT INTO outbox (scope, entity, entity_id, kind, field, value, hlc) VALUES (?, ?, ?, ?, ?, ?, ?)",
            scope, entity, id, kind, field, value, hlc
        )
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

/// Fields that change on every write and carry no meaning of their own.
fn is_bookkeeping(field: &str) -> bool {
    matches!(field, "updated_at")
}

pub(crate) fn scope_of(customer_id: Option<Uuid>) -> Scope {
    customer_id.map_or(Scope::Team, Scope::Customer)
}
