//! The push primitives on SQLite. Every list goes in as one JSON array bound once and read
//! back with `json_each`, so each primitive is one or two statements however long the batch.

use async_trait::async_trait;
use duly_protocol::{Operation, User};
use serde_json::{Value, json};
use sqlx::{Sqlite, Transaction};
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use super::now;
use crate::rules::PushFacts;
use crate::storage::{
    CurrentOp, LogEntry, LoggedRow, PushTransaction, Registration, RegistryRow, StorageResult, facts_ids,
    parse_uuid, scope_columns, seqs_in_order,
};

/// Holds the writer's turn and a `BEGIN IMMEDIATE` transaction. Fields drop in order: an
/// uncommitted transaction rolls back before the next writer is let in.
#[derive(Debug)]
pub(super) struct SqlitePush {
    pub tx: Transaction<'static, Sqlite>,
    pub _writing: OwnedMutexGuard<()>,
}

/// 13 values a row, well under SQLite's 32,766 bound variables a statement.
const LOG_ROWS_PER_STATEMENT: usize = 1000;

fn texts(items: impl IntoIterator<Item = String>) -> String {
    Value::Array(items.into_iter().map(Value::String).collect()).to_string()
}

#[async_trait]
impl PushTransaction for SqlitePush {
    async fn facts(&mut self, user: &User, ops: &[Operation]) -> StorageResult<PushFacts> {
        let mut facts = PushFacts::default();
        let uid = user.id.to_string();
        for id in sqlx::query_scalar::<_, String>("SELECT customer_id FROM grants WHERE user_id = ?")
            .bind(&uid)
            .fetch_all(&mut *self.tx)
            .await?
        {
            facts.granted.insert(parse_uuid(&id)?);
        }
        let ids = facts_ids(ops);
        let rows: Vec<RegistryRow> = sqlx::query_as(
            "SELECT entity_id, scope_kind, scope_id, entity, creator FROM entities
             WHERE entity_id IN (SELECT value FROM json_each(?))",
        )
        .bind(texts(ids.entities))
        .fetch_all(&mut *self.tx)
        .await?;
        for row in rows {
            row.note(&mut facts)?;
        }
        crate::storage::note_batch_creates(&mut facts, ops);
        // The comments the log holds on each task the batch moves.
        let moved: Vec<String> = ops
            .iter()
            .filter(|op| crate::rules::moves_a_task(op, &facts))
            .map(|op| op.entity_id.to_string())
            .collect();
        if !moved.is_empty() {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT DISTINCT json_extract(value, '$.task_id'), entity_id FROM ops
                 WHERE entity = 'comment' AND kind = 'create'
                   AND json_extract(value, '$.task_id') IN (SELECT value FROM json_each(?))",
            )
            .bind(texts(moved))
            .fetch_all(&mut *self.tx)
            .await?;
            for (task, comment) in rows {
                facts.task_comments.entry(parse_uuid(&task)?).or_default().insert(parse_uuid(&comment)?);
            }
            // Which of them are in the trash: a move carries that along.
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT entity_id, kind, hlc FROM ops
                 WHERE kind IN ('delete', 'restore') AND entity_id IN (SELECT value FROM json_each(?))",
            )
            .bind(texts(crate::storage::moved_entities(&facts, ops)))
            .fetch_all(&mut *self.tx)
            .await?;
            crate::storage::note_trashed(&mut facts, rows)?;
        }
        // What the log says of each comment the batch sends again.
        let again: Vec<String> = ops
            .iter()
            .filter(|op| crate::rules::needs_logged_record(op, &facts))
            .map(|op| op.entity_id.to_string())
            .collect();
        if !again.is_empty() {
            let rows: Vec<crate::storage::EntityOpRow> = sqlx::query_as(
                "SELECT entity_id, kind, field, value, hlc FROM ops
                 WHERE entity_id IN (SELECT value FROM json_each(?)) ORDER BY seq",
            )
            .bind(texts(again))
            .fetch_all(&mut *self.tx)
            .await?;
            crate::storage::note_logged_records(&mut facts, rows)?;
        }
        for id in sqlx::query_scalar::<_, String>(
            "SELECT customer_id FROM customers WHERE customer_id IN (SELECT value FROM json_each(?))",
        )
        .bind(texts(ids.customers))
        .fetch_all(&mut *self.tx)
        .await?
        {
            facts.known_customers.insert(parse_uuid(&id)?);
        }
        // A client id is the user's who first pushed with it.
        let clients = texts(ids.clients);
        sqlx::query(
            "INSERT INTO clients (client_id, user_id, first_seen)
             SELECT value, ?2, ?3 FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING",
        )
        .bind(&clients)
        .bind(&uid)
        .bind(now())
        .execute(&mut *self.tx)
        .await?;
        facts.client_of_other_user = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM clients
                WHERE client_id IN (SELECT value FROM json_each(?1)) AND user_id <> ?2)",
        )
        .bind(&clients)
        .bind(&uid)
        .fetch_one(&mut *self.tx)
        .await?;
        let op_ids = Value::Array(
            ops.iter().map(|op| json!([op.op_id.client_id.to_string(), op.op_id.client_seq])).collect(),
        );
        let rows: Vec<LoggedRow> = sqlx::query_as(
            "SELECT o.client_id, o.client_seq, o.seq, o.entity_id, o.hlc
             FROM json_each(?) AS b JOIN ops o ON o.client_id = b.value ->> 0 AND o.client_seq = b.value ->> 1",
        )
        .bind(op_ids.to_string())
        .fetch_all(&mut *self.tx)
        .await?;
        for row in rows {
            row.note(&mut facts)?;
        }
        Ok(facts)
    }

    async fn grant_creator(&mut self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()> {
        let customers = texts(customers.iter().map(Uuid::to_string));
        sqlx::query(
            "INSERT OR IGNORE INTO customers (customer_id, created_by) SELECT value, ?2 FROM json_each(?1)",
        )
        .bind(&customers)
        .bind(user_id.to_string())
        .execute(&mut *self.tx)
        .await?;
        sqlx::query(
            "INSERT OR IGNORE INTO grants (user_id, customer_id) SELECT ?2, value FROM json_each(?1)",
        )
        .bind(&customers)
        .bind(user_id.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn register(&mut self, entities: &[Registration]) -> StorageResult<()> {
        let rows = Value::Array(
            entities
                .iter()
                .map(|r| {
                    let (kind, id) = scope_columns(&r.scope);
                    json!([
                        r.entity_id.to_string(),
                        kind,
                        id,
                        r.entity.as_str(),
                        r.creator.map(|c| c.to_string())
                    ])
                })
                .collect(),
        );
        sqlx::query(
            "INSERT INTO entities (entity_id, scope_kind, scope_id, entity, creator)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?) WHERE true
             ON CONFLICT (entity_id) DO UPDATE SET scope_kind = excluded.scope_kind, scope_id = excluded.scope_id,
                entity = COALESCE(entities.entity, excluded.entity),
                creator = COALESCE(entities.creator, excluded.creator)",
        )
        .bind(rows.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn log(&mut self, author: Uuid, entries: &[LogEntry<'_>]) -> StorageResult<Vec<i64>> {
        // Rows bound as they are, many to a statement: the op values are long JSON texts, and
        // wrapping them in one more JSON array cost an escape and a parse of each. Rows go in
        // in order, and AUTOINCREMENT draws seqs in insertion order.
        let (author, at) = (author.to_string(), now());
        let mut logged: Vec<(String, i64, i64)> = Vec::with_capacity(entries.len());
        for chunk in entries.chunks(LOG_ROWS_PER_STATEMENT) {
            let mut insert = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT INTO ops (client_id, client_seq, author, scope_kind, scope_id, entity, entity_id, kind,
                    field, value, hlc, base, received_at) ",
            );
            insert.push_values(chunk, |mut row, LogEntry { op, value }| {
                let (kind, id) = scope_columns(&op.scope);
                row.push_bind(op.op_id.client_id.to_string())
                    .push_bind(op.op_id.client_seq)
                    .push_bind(&author)
                    .push_bind(kind)
                    .push_bind(id)
                    .push_bind(op.entity.as_str())
                    .push_bind(op.entity_id.to_string())
                    .push_bind(crate::storage::op_kind_text(op.kind))
                    .push_bind(op.field.as_deref())
                    .push_bind(value.as_str())
                    .push_bind(op.hlc.as_str())
                    .push_bind(op.base.as_deref())
                    .push_bind(&at);
            });
            insert.push(" RETURNING client_id, client_seq, seq");
            logged.extend(insert.build_query_as::<(String, i64, i64)>().fetch_all(&mut *self.tx).await?);
        }
        seqs_in_order(entries, logged)
    }

    async fn keep_current(&mut self, current: &[CurrentOp]) -> StorageResult<()> {
        if current.is_empty() {
            return Ok(());
        }
        let rows = Value::Array(
            current
                .iter()
                .map(|row| {
                    let (kind, id) = scope_columns(&row.scope);
                    json!([row.entity_id.to_string(), kind, id, row.slot, row.stamp_key, row.seq])
                })
                .collect(),
        );
        sqlx::query(
            "INSERT INTO current_ops (entity_id, scope_kind, scope_id, slot, stamp_key, seq)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
             FROM json_each(?) WHERE true
             ON CONFLICT (entity_id, scope_kind, scope_id, slot) DO UPDATE
                SET stamp_key = excluded.stamp_key, seq = excluded.seq
                WHERE excluded.stamp_key > current_ops.stamp_key",
        )
        .bind(rows.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> StorageResult<()> {
        let Self { tx, _writing } = *self;
        tx.commit().await?;
        Ok(())
    }
}
