//! The push primitives on PostgreSQL. Every list goes in as arrays bound once and read back
//! with `UNNEST`, so each primitive is one or two statements however long the batch.

use async_trait::async_trait;
use duly_protocol::{Operation, User};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::now;
use crate::rules::PushFacts;
use crate::storage::{
    CurrentOp, LogEntry, LoggedRow, PushTransaction, Registration, RegistryRow, StorageResult, facts_ids,
    op_kind_text, parse_uuid, scope_columns, seqs_in_order,
};

/// A transaction that took the log's push lock first.
#[derive(Debug)]
pub(super) struct PgPush {
    pub tx: Transaction<'static, Postgres>,
}

#[async_trait]
impl PushTransaction for PgPush {
    async fn facts(&mut self, user: &User, ops: &[Operation]) -> StorageResult<PushFacts> {
        let mut facts = PushFacts::default();
        let uid = user.id.to_string();
        for id in sqlx::query_scalar::<_, String>("SELECT customer_id FROM grants WHERE user_id = $1")
            .bind(&uid)
            .fetch_all(&mut *self.tx)
            .await?
        {
            facts.granted.insert(parse_uuid(&id)?);
        }
        let ids = facts_ids(ops);
        let rows: Vec<RegistryRow> = sqlx::query_as(
            "SELECT entity_id, scope_kind, scope_id, entity, creator FROM entities WHERE entity_id = ANY($1)",
        )
        .bind(ids.entities)
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
                "SELECT DISTINCT (value::jsonb) ->> 'task_id', entity_id FROM ops
                 WHERE entity = 'comment' AND kind = 'create' AND (value::jsonb) ->> 'task_id' = ANY($1)",
            )
            .bind(moved)
            .fetch_all(&mut *self.tx)
            .await?;
            for (task, comment) in rows {
                facts.task_comments.entry(parse_uuid(&task)?).or_default().insert(parse_uuid(&comment)?);
            }
            // Which of them are in the trash: a move carries that along.
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT entity_id, kind, hlc FROM ops WHERE kind IN ('delete', 'restore') AND entity_id = ANY($1)",
            )
            .bind(crate::storage::moved_entities(&facts, ops))
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
                "SELECT entity_id, kind, field, value, hlc FROM ops WHERE entity_id = ANY($1) ORDER BY seq",
            )
            .bind(again)
            .fetch_all(&mut *self.tx)
            .await?;
            crate::storage::note_logged_records(&mut facts, rows)?;
        }
        for id in
            sqlx::query_scalar::<_, String>("SELECT customer_id FROM customers WHERE customer_id = ANY($1)")
                .bind(ids.customers)
                .fetch_all(&mut *self.tx)
                .await?
        {
            facts.known_customers.insert(parse_uuid(&id)?);
        }
        // A client id is the user's who first pushed with it.
        sqlx::query(
            "INSERT INTO clients (client_id, user_id, first_seen)
             SELECT c, $2, $3 FROM UNNEST($1::text[]) AS c ON CONFLICT DO NOTHING",
        )
        .bind(&ids.clients)
        .bind(&uid)
        .bind(now())
        .execute(&mut *self.tx)
        .await?;
        facts.client_of_other_user = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM clients WHERE client_id = ANY($1) AND user_id <> $2)",
        )
        .bind(&ids.clients)
        .bind(&uid)
        .fetch_one(&mut *self.tx)
        .await?;
        let clients: Vec<String> = ops.iter().map(|op| op.op_id.client_id.to_string()).collect();
        let client_seqs: Vec<i64> = ops.iter().map(|op| op.op_id.client_seq).collect();
        let rows: Vec<LoggedRow> = sqlx::query_as(
            "SELECT o.client_id, o.client_seq, o.seq, o.entity_id, o.hlc
             FROM UNNEST($1::text[], $2::bigint[]) AS b(client_id, client_seq)
             JOIN ops o ON o.client_id = b.client_id AND o.client_seq = b.client_seq",
        )
        .bind(clients)
        .bind(client_seqs)
        .fetch_all(&mut *self.tx)
        .await?;
        for row in rows {
            row.note(&mut facts)?;
        }
        Ok(facts)
    }

    async fn grant_creator(&mut self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()> {
        let customers: Vec<String> = customers.iter().map(Uuid::to_string).collect();
        sqlx::query(
            "INSERT INTO customers (customer_id, created_by)
             SELECT c, $2 FROM UNNEST($1::text[]) AS c ON CONFLICT DO NOTHING",
        )
        .bind(&customers)
        .bind(user_id.to_string())
        .execute(&mut *self.tx)
        .await?;
        sqlx::query(
            "INSERT INTO grants (user_id, customer_id)
             SELECT $2, c FROM UNNEST($1::text[]) AS c ON CONFLICT DO NOTHING",
        )
        .bind(&customers)
        .bind(user_id.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn register(&mut self, entities: &[Registration]) -> StorageResult<()> {
        let (mut ids, mut kinds, mut scope_ids, mut entity, mut creators) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for registration in entities {
            let (kind, id) = scope_columns(&registration.scope);
            ids.push(registration.entity_id.to_string());
            kinds.push(kind);
            scope_ids.push(id);
            entity.push(registration.entity.as_str());
            creators.push(registration.creator.map(|c| c.to_string()));
        }
        sqlx::query(
            "INSERT INTO entities (entity_id, scope_kind, scope_id, entity, creator)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
             ON CONFLICT (entity_id) DO UPDATE SET scope_kind = excluded.scope_kind, scope_id = excluded.scope_id,
                entity = COALESCE(entities.entity, excluded.entity),
                creator = COALESCE(entities.creator, excluded.creator)",
        )
        .bind(ids)
        .bind(kinds)
        .bind(scope_ids)
        .bind(entity)
        .bind(creators)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn log(&mut self, author: Uuid, entries: &[LogEntry<'_>]) -> StorageResult<Vec<i64>> {
        let mut columns = LogColumns::default();
        for entry in entries {
            columns.push(entry);
        }
        // Inserted in the batch's order, so the seqs are drawn in it too.
        let logged: Vec<(String, i64, i64)> = sqlx::query_as(
            "INSERT INTO ops (client_id, client_seq, author, scope_kind, scope_id, entity, entity_id, kind,
                field, value, hlc, base, received_at)
             SELECT b.client_id, b.client_seq, $1, b.scope_kind, b.scope_id, b.entity, b.entity_id, b.kind,
                b.field, b.value, b.hlc, b.base, $2
             FROM UNNEST($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                    $10::text[], $11::text[], $12::text[], $13::text[])
                WITH ORDINALITY AS b(client_id, client_seq, scope_kind, scope_id, entity, entity_id, kind,
                    field, value, hlc, base, position)
             ORDER BY b.position
             RETURNING client_id, client_seq, seq",
        )
        .bind(author.to_string())
        .bind(now())
        .bind(columns.client_id)
        .bind(columns.client_seq)
        .bind(columns.scope_kind)
        .bind(columns.scope_id)
        .bind(columns.entity)
        .bind(columns.entity_id)
        .bind(columns.kind)
        .bind(columns.field)
        .bind(columns.value)
        .bind(columns.hlc)
        .bind(columns.base)
        .fetch_all(&mut *self.tx)
        .await?;
        seqs_in_order(entries, logged)
    }

    async fn keep_current(&mut self, current: &[CurrentOp]) -> StorageResult<()> {
        if current.is_empty() {
            return Ok(());
        }
        let (mut ids, mut kinds, mut scope_ids, mut slots, mut keys, mut seqs) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for row in current {
            let (kind, id) = scope_columns(&row.scope);
            ids.push(row.entity_id.to_string());
            kinds.push(kind);
            scope_ids.push(id);
            slots.push(row.slot.as_str());
            keys.push(row.stamp_key.as_str());
            seqs.push(row.seq);
        }
        sqlx::query(
            "INSERT INTO current_ops (entity_id, scope_kind, scope_id, slot, stamp_key, seq)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
             ON CONFLICT (entity_id, scope_kind, scope_id, slot) DO UPDATE
                SET stamp_key = excluded.stamp_key, seq = excluded.seq
                WHERE excluded.stamp_key > current_ops.stamp_key",
        )
        .bind(ids)
        .bind(kinds)
        .bind(scope_ids)
        .bind(slots)
        .bind(keys)
        .bind(seqs)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> StorageResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// The log's columns as one array each, for `UNNEST`.
#[derive(Default)]
struct LogColumns {
    client_id: Vec<String>,
    client_seq: Vec<i64>,
    scope_kind: Vec<&'static str>,
    scope_id: Vec<String>,
    entity: Vec<&'static str>,
    entity_id: Vec<String>,
    kind: Vec<&'static str>,
    field: Vec<Option<String>>,
    value: Vec<String>,
    hlc: Vec<String>,
    base: Vec<Option<String>>,
}

impl LogColumns {
    fn push(&mut self, LogEntry { op, value }: &LogEntry<'_>) {
        let (kind, id) = scope_columns(&op.scope);
        self.client_id.push(op.op_id.client_id.to_string());
        self.client_seq.push(op.op_id.client_seq);
        self.scope_kind.push(kind);
        self.scope_id.push(id);
        self.entity.push(op.entity.as_str());
        self.entity_id.push(op.entity_id.to_string());
        self.kind.push(op_kind_text(op.kind));
        self.field.push(op.field.clone());
        self.value.push(value.clone());
        self.hlc.push(op.hlc.clone());
        self.base.push(op.base.clone());
    }
}
