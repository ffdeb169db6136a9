//! The local side of sync bookkeeping: the pull cursor and held scopes, acknowledging pushed
//! operations, the rejected list, lost concurrent edits, and purging a revoked customer.

use chrono::{DateTime, Utc};
use duly_protocol::{ErrorCode, OpId, OpOutcome, OpResult, Operation, Scope, stamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Result;
use crate::model::{Source, WriteCtx};
use crate::store::{Store, codec};

/// An operation the server refused, kept so the user can see and export what it said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RejectedOp {
    pub client_seq: i64,
    pub operation: Operation,
    pub code: String,
    pub reason: String,
    pub rejected_at: DateTime<Utc>,
}

struct RejectedRow {
    client_seq: i64,
    operation: String,
    code: String,
    reason: String,
    rejected_at: String,
}

impl RejectedRow {
    fn into_op(self) -> Result<RejectedOp> {
        Ok(RejectedOp {
            client_seq: self.client_seq,
            operation: codec::from_json(&self.operation)?,
            code: self.code,
            reason: self.reason,
            rejected_at: codec::parse_ts(&self.rejected_at)?,
        })
    }
}

/// Two edits of one field crossed; `lost_value` is the one that did not stay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Conflict {
    pub entity_id: Uuid,
    pub field: String,
    pub lost_value: serde_json::Value,
    pub lost_actor: Uuid,
    pub kept_value: serde_json::Value,
    pub kept_actor: Uuid,
    pub recorded_at: DateTime<Utc>,
}

impl Store {
    /// Keeps pulled ops this client could not read (once per seq), before their page's
    /// cursor moves: none is skipped silently, and the rest of the page still applies.
    pub async fn keep_undecodable(&self, ops: &[crate::sync::UndecodableOp]) -> Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer().begin().await?;
        let now = codec::ts(Utc::now());
        for op in ops {
            // An op whose seq is unreadable is keyed below every real seq, one row each.
            let seq = match op.seq {
                Some(seq) => seq,
                None => {
                    let lowest: Option<i64> = sqlx::query_scalar("SELECT MIN(seq) FROM undecodable_ops")
                        .fetch_one(&mut *tx)
                        .await?;
                    lowest.unwrap_or(0).min(0) - 1
                }
            };
            sqlx::query(
                "INSERT INTO undecodable_ops (seq, body, reason, received_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (seq) DO NOTHING",
            )
            .bind(seq)
            .bind(&op.body)
            .bind(&op.reason)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ties this store to one account on one server at its first login (M9). Another account
    /// later is refused: its token would push this device's pending work in the other
    /// person's name, and its window would show what the first account was shown.
    pub async fn claim_sync_account(&self, server: &str, user_id: Uuid, login: &str) -> Result<()> {
        let mine = format!("{}|{user_id}", server.trim_end_matches('/'));
        // One value (server, user, login), so the claim is one write.
        match self.meta("sync_account").await? {
            None => self.set_meta("sync_account", &format!("{mine}|{login}")).await,
            Some(held) => {
                // The login comes last and may hold anything; server and id never hold a `|`.
                let mut parts = held.splitn(3, '|');
                let account =
                    format!("{}|{}", parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
                if account == mine {
                    Ok(())
                } else {
                    Err(crate::error::CoreError::OtherAccount(parts.next().unwrap_or_default().to_owned()))
                }
            }
        }
    }

    /// How many pulled ops could not be read (shown with the sync state).
    pub async fn undecodable_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM undecodable_ops").fetch_one(self.reader()).await?)
    }

    pub(crate) async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar!("SELECT value FROM meta WHERE key = ?", key)
            .fetch_optional(self.reader())
            .await?)
    }

    pub(crate) async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query!(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            key,
            value
        )
        .execute(&mut *self.writer().lock().await?)
        .await?;
        Ok(())
    }

    /// The server seq this replica has pulled up to.
    pub async fn sync_cursor(&self) -> Result<i64> {
        Ok(self.meta("sync_cursor").await?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// The scopes the server last said this replica holds.
    pub async fn sync_scopes(&self) -> Result<Option<Vec<Scope>>> {
        self.meta("sync_scopes").await?.map(|text| codec::from_json(&text)).transpose()
    }

    pub async fn set_sync_scopes(&self, scopes: &[Scope]) -> Result<()> {
        self.set_meta("sync_scopes", &codec::json(scopes)?).await
    }

    /// Acknowledges pushed operations: applied and duplicate ones leave the outbox, refused
    /// ones move to the rejected list. An op whose id the server has for something else stays
    /// in the outbox, and the store takes a new client id to push it under; one whose stamp
    /// is ahead of the server's clock stays too, to be stamped again. The highest stamp the
    /// server acknowledged becomes a floor for this replica's clock (`hlc_high`). One
    /// transaction. Returns whether any op was refused for a clock ahead of the server's.
    pub async fn settle_push(&self, ops: &[Operation], results: &[OpResult]) -> Result<bool> {
        let sent: std::collections::HashMap<OpId, &Operation> = ops.iter().map(|op| (op.op_id, op)).collect();
        let refusal = |outcome: &OpOutcome| match outcome {
            OpOutcome::Rejected { code: ErrorCode::OpIdTaken | ErrorCode::ClockAhead, .. } => false,
            OpOutcome::Rejected { .. } => true,
            _ => false,
        };
        // Only undoing a refused op writes history, in the profile's name.
        let me = if results.iter().any(|r| refusal(&r.outcome)) {
            self.profile_id().await?.unwrap_or_else(Uuid::nil)
        } else {
            Uuid::nil()
        };
        let mut w = self.begin(WriteCtx { actor: me, source: Source::Sync }).await?;
        let at = codec::ts(self.now());
        let mut id_taken = false;
        let mut clock_ahead = false;
        let mut acknowledged: Option<&str> = None;
        let mut refused = Vec::new();
        let mut settled = Vec::new();
        for result in results {
            match (&result.outcome, sent.get(&result.op_id)) {
                (OpOutcome::Rejected { code: ErrorCode::OpIdTaken, .. }, Some(_)) => id_taken = true,
                (OpOutcome::Rejected { code: ErrorCode::ClockAhead, .. }, Some(_)) => clock_ahead = true,
                (OpOutcome::Rejected { code, reason }, Some(op)) => {
                    reject(&mut w.tx, op, code.as_str(), reason, &at).await?;
                    refused.push((op.entity, op.entity_id));
                }
                (_, found) => {
                    if let Some(op) = found
                        && stamp::wins(&op.hlc, acknowledged)
                    {
                        acknowledged = Some(&op.hlc);
                    }
                    settled.push(result.op_id.client_seq);
                }
            }
        }
        if !settled.is_empty() {
            let settled = codec::json(&settled)?;
            sqlx::query!("DELETE FROM outbox WHERE client_seq IN (SELECT value FROM json_each(?))", settled)
                .execute(&mut *w.tx)
                .await?;
        }
        if let Some(high) = acknowledged {
            raise_stamp_floor(&mut w.tx, high).await?;
        }
        if !refused.is_empty() {
            super::revert::revert(&mut w, &refused, &at).await?;
        }
        let fresh = if id_taken { Some(self.take_new_client_id(&mut w.tx).await?) } else { None };
        w.commit().await?;
        if let Some(fresh) = fresh {
            tracing::warn!(%fresh, "the server has this client's op ids for other ops; pushing under a new id");
            self.use_client_id(fresh);
        }
        Ok(clock_ahead)
    }

    pub async fn rejected_ops(&self) -> Result<Vec<RejectedOp>> {
        let rows = sqlx::query_as!(
            RejectedRow,
            "SELECT client_seq, operation, code, reason, rejected_at FROM rejected_ops ORDER BY client_seq"
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(RejectedRow::into_op).collect()
    }

    /// The refused ops about one task or customer, oldest first: its own edits, and the
    /// comments, tasks and projects created on it. Its page shows them with their text.
    pub async fn rejected_about(&self, entity_id: Uuid) -> Result<Vec<RejectedOp>> {
        let key = entity_id.to_string();
        let rows = sqlx::query_as!(
            RejectedRow,
            "SELECT client_seq, operation, code, reason, rejected_at FROM rejected_ops
             WHERE operation ->> '$.entity_id' = ?1
                OR (operation ->> '$.kind' = 'create'
                    AND (operation ->> '$.value.task_id' = ?1 OR operation ->> '$.value.customer_id' = ?1))
             ORDER BY client_seq",
            key
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(RejectedRow::into_op).collect()
    }

    /// The person has kept what they needed of a refused op: it leaves the list.
    pub async fn dismiss_rejected(&self, client_seq: i64) -> Result<()> {
        sqlx::query!("DELETE FROM rejected_ops WHERE client_seq = ?", client_seq)
            .execute(&mut *self.writer().lock().await?)
            .await?;
        self.announce(duly_protocol::EntityKind::Task, None);
        Ok(())
    }

    /// Pulled ops still waiting for the entity they change (shown with the sync state).
    pub async fn parked_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar!("SELECT COUNT(*) FROM parked_ops").fetch_one(self.reader()).await?)
    }

    pub async fn rejected_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar!("SELECT COUNT(*) FROM rejected_ops").fetch_one(self.reader()).await?)
    }

    /// Lost concurrent edits of an entity, newest first: the thread shows them as system entries.
    pub async fn conflicts(&self, entity_id: Uuid) -> Result<Vec<Conflict>> {
        let key = entity_id.to_string();
        let rows = sqlx::query!(
            "SELECT field, lost_value, lost_actor, kept_value, kept_actor, recorded_at FROM conflicts
             WHERE entity_id = ? ORDER BY id DESC",
            key
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Conflict {
                    entity_id,
                    field: r.field,
                    lost_value: r
                        .lost_value
                        .as_deref()
                        .map(codec::from_json)
                        .transpose()?
                        .unwrap_or_default(),
                    lost_actor: codec::id(&r.lost_actor).unwrap_or_default(),
                    kept_value: r
                        .kept_value
                        .as_deref()
                        .map(codec::from_json)
                        .transpose()?
                        .unwrap_or_default(),
                    kept_actor: codec::id(&r.kept_actor).unwrap_or_default(),
                    recorded_at: codec::parse_ts(&r.recorded_at)?,
                })
            })
            .collect()
    }

    /// A customer is no longer shared with this user: its pending operations go to the
    /// rejected list (nothing the user wrote vanishes), then its data leaves this device.
    pub async fn purge_customer(&self, customer_id: Uuid) -> Result<()> {
        // The pending ops are read after the write lock is taken: an edit committed in between
        // would otherwise leave the outbox without reaching the rejected list (L7).
        let mut tx = self.writer().begin_with("BEGIN IMMEDIATE").await?;
        let pending = pending_under_customer(self, &mut tx, customer_id).await?;
        let at = codec::ts(self.now());
        let code = ErrorCode::ForbiddenScope.as_str();
        let reason = "the customer is no longer shared with you";
        for op in &pending {
            reject(&mut tx, op, code, reason, &at).await?;
        }
        purge_rows(&mut tx, customer_id, &at).await?;
        tx.commit().await?;
        self.announce(duly_protocol::EntityKind::Customer, Some(customer_id));
        Ok(())
    }
}

/// Removes a customer and everything under it from this device, with its history and its
/// waiting ops (the caller has put those in the rejected list first), in the caller's
/// transaction.
pub(crate) async fn purge_rows(tx: &mut sqlx::SqliteConnection, customer_id: Uuid, at: &str) -> Result<()> {
    let key = customer_id.to_string();
    // Every entity under the customer leaves with all its history, also rows from a scope it
    // lived in before a move: history that stayed would fold into a record with no row, and
    // the entity, sent again later, would never be written back.
    let ids = under_customer(tx, customer_id).await?;
    sqlx::query!(
        "DELETE FROM outbox WHERE history_seq IN
            (SELECT seq FROM history WHERE entity_id IN (SELECT value FROM json_each(?)))",
        ids
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM history WHERE entity_id IN (SELECT value FROM json_each(?))", ids)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM synced_state WHERE entity_id IN (SELECT value FROM json_each(?))")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    // Trash first so the search index lets go of them (its triggers follow deleted_at).
    sqlx::query!(
        "UPDATE comments SET deleted_at = COALESCE(deleted_at, ?1)
                  WHERE customer_id = ?2 OR task_id IN (SELECT id FROM tasks WHERE customer_id = ?2)",
        at,
        key
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("UPDATE tasks SET deleted_at = COALESCE(deleted_at, ?) WHERE customer_id = ?", at, key)
        .execute(&mut *tx)
        .await?;
    sqlx::query!("UPDATE customers SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?", at, key)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "DELETE FROM comment_keywords WHERE comment_id IN (SELECT id FROM comments
                  WHERE customer_id = ?1 OR task_id IN (SELECT id FROM tasks WHERE customer_id = ?1))",
        key
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM comments WHERE customer_id = ?1 OR task_id IN (SELECT id FROM tasks WHERE customer_id = ?1)", key)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "DELETE FROM task_watchers WHERE task_id IN (SELECT id FROM tasks WHERE customer_id = ?)",
        key
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM tasks WHERE customer_id = ?", key).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM projects WHERE customer_id = ?", key).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM customers WHERE id = ?", key).execute(&mut *tx).await?;
    // History is removed by entity, never by scope: a task that moved out of this customer
    // keeps the rows it gathered here, or its record would fold back to an older state.
    Ok(())
}

/// The ids of a customer and everything under it, as a JSON array.
async fn under_customer(tx: &mut sqlx::SqliteConnection, customer_id: Uuid) -> Result<String> {
    let key = customer_id.to_string();
    let ids: Vec<String> = sqlx::query_scalar!(
        "SELECT id AS \"id!: String\" FROM tasks WHERE customer_id = ?1
         UNION SELECT id FROM comments WHERE customer_id = ?1 OR task_id IN (SELECT id FROM tasks WHERE customer_id = ?1)
         UNION SELECT id FROM projects WHERE customer_id = ?1
         UNION SELECT ?1",
        key
    )
    .fetch_all(&mut *tx)
    .await?;
    codec::json(&ids)
}

/// The waiting ops on a customer and everything under it, whatever scope they were made in.
pub(crate) async fn pending_under_customer(
    store: &Store,
    tx: &mut sqlx::SqliteConnection,
    customer_id: Uuid,
) -> Result<Vec<Operation>> {
    let ids = under_customer(tx, customer_id).await?;
    let scope = codec::json(&Scope::Customer(customer_id))?;
    let seqs: Vec<i64> = sqlx::query_scalar!(
        "SELECT o.client_seq FROM outbox o JOIN history h ON h.seq = o.history_seq
         WHERE h.scope = ? OR h.entity_id IN (SELECT value FROM json_each(?)) ORDER BY o.client_seq",
        scope,
        ids
    )
    .fetch_all(&mut *tx)
    .await?;
    store.pending_ops_by_seq(tx, &seqs).await
}

/// Keeps the highest stamp the server holds (`meta.hlc_high`), in the caller's transaction.
pub(crate) async fn raise_stamp_floor(tx: &mut sqlx::SqliteConnection, high: &str) -> Result<()> {
    let current =
        sqlx::query_scalar!("SELECT value FROM meta WHERE key = 'hlc_high'").fetch_optional(&mut *tx).await?;
    if stamp::wins(high, current.as_deref()) {
        sqlx::query!(
            "INSERT INTO meta (key, value) VALUES ('hlc_high', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            high
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Moves an operation from the outbox to the rejected list, inside the caller's transaction.
/// Its history row goes too: the server never took it, and the entity is folded again
/// without it.
pub(crate) async fn reject(
    tx: &mut sqlx::SqliteConnection,
    op: &Operation,
    code: &str,
    reason: &str,
    at: &str,
) -> Result<()> {
    let (seq, text) = (op.op_id.client_seq, codec::json(op)?);
    sqlx::query!(
        "INSERT OR REPLACE INTO rejected_ops (client_seq, operation, code, reason, rejected_at) VALUES (?, ?, ?, ?, ?)",
        seq, text, code, reason, at
    )
    .execute(&mut *tx)
    .await?;
    let history = sqlx::query_scalar!("SELECT history_seq FROM outbox WHERE client_seq = ?", seq)
        .fetch_optional(&mut *tx)
        .await?;
    sqlx::query!("DELETE FROM outbox WHERE client_seq = ?", seq).execute(&mut *tx).await?;
    if let Some(history) = history {
        sqlx::query!("DELETE FROM history WHERE seq = ?", history).execute(&mut *tx).await?;
    }
    Ok(())
}

impl Store {
    /// After logging in: the colleague that stands for the user on the server becomes this
    /// device's profile, once sync has brought it. Returns whether it was adopted.
    pub async fn adopt_profile(&self, colleague_id: Uuid) -> Result<bool> {
        if self.profile_id().await? == Some(colleague_id) {
            return Ok(true);
        }
        let key = colleague_id.to_string();
        let known = sqlx::query_scalar!("SELECT 1 AS \"one!: i64\" FROM colleagues WHERE id = ?", key)
            .fetch_optional(self.reader())
            .await?
            .is_some();
        if known {
            self.set_meta("profile_id", &key).await?;
            self.announce(duly_protocol::EntityKind::Colleague, Some(colleague_id));
        }
        Ok(known)
    }
}
