//! Applies operations pulled from the server (DESIGN.md, Sync): last writer wins per field by
//! HLC; a set never touches the trash flag, so a delete wins over a concurrent update; creates
//! merge field by field; an operation applied twice, or out of order, gives the same state.
//! A concurrent edit that loses is kept in `conflicts` and shown in the entity's thread.

use std::collections::HashMap;

use duly_protocol::{EntityKind, LoggedOp, OpKind, stamp};
use serde_json::Value;
use uuid::Uuid;

use super::replica::{self, Replica};
use super::write_rows;
use crate::error::{CoreError, Result};
use crate::model::{Source, WriteCtx};
use crate::store::{Store, codec};

/// What one apply did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ApplyReport {
    pub applied: usize,
    pub parked: usize,
    pub conflicts: usize,
}

/// One history row (source sync) and, for a lost concurrent edit, one conflict row.
pub(crate) struct Effects {
    pub history: Vec<HistoryRow>,
    pub conflicts: Vec<ConflictRow>,
    pub parked: Vec<LoggedOp>,
}

pub(crate) struct HistoryRow {
    pub entity: EntityKind,
    pub id: Uuid,
    pub kind: &'static str,
    pub field: Option<String>,
    pub old: Option<Value>,
    pub new: Option<Value>,
    pub actor: Uuid,
    pub scope: duly_protocol::Scope,
    pub hlc: String,
}

pub(crate) struct ConflictRow {
    pub entity: EntityKind,
    pub id: Uuid,
    pub field: String,
    pub lost: (Value, String, String),
    pub kept: (Value, String, String),
}

impl Store {
    /// Applies a page of pulled operations in one transaction and moves the cursor with them
    /// (`None` for a bootstrap page, which must not move it). A page that cannot be applied
    /// whole is applied one operation at a time; an operation that still fails is parked.
    pub async fn apply_remote(&self, ops: &[LoggedOp], cursor: Option<i64>) -> Result<ApplyReport> {
        for logged in ops {
            if let Ok(ts) = logged.op.hlc.parse::<uhlc::Timestamp>() {
                // Later local writes must stamp after everything seen, or they would lose.
                self.observe_stamp(&ts);
            }
        }
        match self.apply_page(ops, cursor).await {
            Ok(report) => Ok(report),
            Err(CoreError::Storage(_) | CoreError::Internal(_)) => {
                let mut total = ApplyReport::default();
                for logged in ops {
                    let single = if ops.len() > 1 {
                        self.apply_page(std::slice::from_ref(logged), None).await
                    } else {
                        Err(CoreError::Internal(String::new()))
                    };
                    let report = match single {
                        Ok(report) => report,
                        Err(error) => {
                            tracing::warn!(seq = logged.seq, %error, "remote operation parked");
                            self.park(logged).await?;
                            ApplyReport { parked: 1, ..ApplyReport::default() }
                        }
                    };
                    total.applied += report.applied;
                    total.parked += report.parked;
                    total.conflicts += report.conflicts;
                }
                if let Some(cursor) = cursor {
                    self.set_meta("sync_cursor", &cursor.to_string()).await?;
                }
                Ok(total)
            }
            Err(error) => Err(error),
        }
    }

    async fn apply_page(&self, ops: &[LoggedOp], cursor: Option<i64>) -> Result<ApplyReport> {
        let me = self.profile_id().await?.unwrap_or_else(Uuid::nil);
        let mut w = self.begin(WriteCtx { actor: me, source: Source::Sync }).await?;
        let mut replicas: HashMap<Uuid, Replica> = HashMap::new();
        let mut effects = Effects { history: Vec::new(), conflicts: Vec::new(), parked: Vec::new() };
        let mut report = ApplyReport::default();
        let mut wanted: Vec<(EntityKind, Uuid)> = ops.iter().map(|l| (l.op.entity, l.op.entity_id)).collect();
        wanted.sort_by_key(|(_, id)| *id);
        wanted.dedup_by_key(|(_, id)| *id);
        replicas.extend(replica::load_many(&mut w.tx, &wanted).await?);
        for logged in ops {
            let op = &logged.op;
            let id = op.entity_id;
            let changed = match replicas.get_mut(&id) {
                Some(current) => merge(current, logged, &mut effects),
                None if op.kind == OpKind::Create => {
                    let mut fresh = Replica::new(op.entity, op.scope);
                    create(&mut fresh, logged, &mut effects);
                    replicas.insert(id, fresh);
                    true
                }
                None => {
                    effects.parked.push(logged.clone());
                    false
                }
            };
            if changed {
                report.applied += 1;
            }
        }
        report.parked = effects.parked.len();
        report.conflicts = effects.conflicts.len();
        let away = super::revert::out_of_reach(&mut w.tx, &replicas).await?;
        for (_, id) in &away {
            replicas.remove(id);
        }
        write_rows::records(&mut w, &replicas).await?;
        write_rows::effects(&mut w, &effects).await?;
        if !away.is_empty() {
            let at = w.now_text();
            super::revert::let_go(&mut w, &away, &at).await?;
        }
        let high = ops
            .iter()
            .map(|l| l.op.hlc.as_str())
            .filter(|s| stamp::is_valid(s))
            .max_by(|a, b| stamp::compare(a, b));
        if let Some(high) = high {
            super::ledger::raise_stamp_floor(&mut w.tx, high).await?;
        }
        if let Some(cursor) = cursor {
            let text = cursor.to_string();
            sqlx::query!("INSERT INTO meta (key, value) VALUES ('sync_cursor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", text)
                .execute(&mut *w.tx)
                .await?;
        }
        for replica in replicas.values().filter(|r| r.record_dirty || r.trash_dirty) {
            let id = replica.record.get("id").and_then(Value::as_str).and_then(|t| Uuid::parse_str(t).ok());
            w.touch(replica.entity, id);
        }
        w.commit().await?;
        Ok(report)
    }

    async fn park(&self, logged: &LoggedOp) -> Result<()> {
        let text = codec::json(logged)?;
        let (seq, entity) = (logged.seq, logged.op.entity_id.to_string());
        sqlx::query!(
            "INSERT OR IGNORE INTO parked_ops (seq, entity_id, operation) VALUES (?, ?, ?)",
            seq,
            entity,
            text
        )
        .execute(&mut *self.writer().lock().await?)
        .await?;
        Ok(())
    }

    /// Tries parked operations again: creates (parked when something they name had not
    /// arrived yet), and changes whose entity has arrived since (M5): a change for an entity
    /// that never comes costs nothing each round. They go as one page, one op at
    /// a time only if the page fails; an op that still cannot apply stays parked and counted.
    pub async fn retry_parked(&self) -> Result<ApplyReport> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT p.operation FROM parked_ops p
             WHERE p.operation ->> '$.op.kind' = 'create'
                OR EXISTS (SELECT 1 FROM history h WHERE h.entity_id = p.entity_id)
                OR EXISTS (SELECT 1 FROM synced_state s WHERE s.entity_id = p.entity_id)
             ORDER BY p.seq",
        )
        .fetch_all(self.reader())
        .await?;
        let mut total = ApplyReport::default();
        let logged: Vec<LoggedOp> = rows.iter().map(|row| codec::from_json(row)).collect::<Result<_>>()?;
        let mut settled = Vec::new();
        let mut singles = Vec::new();
        if !logged.is_empty() {
            match self.apply_page(&logged, None).await {
                Ok(report) if report.parked == 0 => {
                    settled.extend(logged.iter().map(|op| op.seq));
                    total.applied += report.applied;
                    total.conflicts += report.conflicts;
                }
                // Some still cannot apply: find which, one at a time.
                _ => singles = logged.into_iter().map(|op| vec![op]).collect(),
            }
        }
        for page in singles {
            let Ok(report) = self.apply_page(&page, None).await else { continue };
            if report.parked == 0 {
                settled.push(page[0].seq);
                total.applied += report.applied;
                total.conflicts += report.conflicts;
            }
        }
        if !settled.is_empty() {
            let settled = codec::json(&settled)?;
            sqlx::query!("DELETE FROM parked_ops WHERE seq IN (SELECT value FROM json_each(?))", settled)
                .execute(&mut *self.writer().lock().await?)
                .await?;
        }
        total.parked = usize::try_from(
            sqlx::query_scalar!("SELECT COUNT(*) FROM parked_ops").fetch_one(self.reader()).await?,
        )
        .unwrap_or_default();
        Ok(total)
    }
}

/// Merges one op into an entity that exists here. Returns whether anything changed.
pub(crate) fn merge(current: &mut Replica, logged: &LoggedOp, effects: &mut Effects) -> bool {
    let op = &logged.op;
    if !current.seen.insert(op.hlc.clone()) {
        return false;
    }
    match op.kind {
        OpKind::Create => {
            let Value::Object(fields) = &op.value else { return false };
            let mut changed = false;
            // The id is the op's entity, never what a record says (H2).
            for (field, value) in fields.iter().filter(|(field, _)| *field != "id") {
                changed |= set_field(current, logged, field, value, None, effects);
            }
            changed
        }
        OpKind::Set => {
            let Some(field) = op.field.as_deref().filter(|field| *field != "id") else { return false };
            let base = Some(op.base.as_deref());
            set_field(current, logged, field, &op.value, base, effects)
        }
        OpKind::Delete | OpKind::Restore => {
            if !stamp::wins(&op.hlc, current.trash_stamp.as_deref()) {
                return false;
            }
            current.trash_stamp = Some(op.hlc.clone());
            let deleted = op.kind == OpKind::Delete;
            if current.deleted == deleted {
                return false;
            }
            current.deleted = deleted;
            current.batch = if deleted { op.value.as_str().map(str::to_owned) } else { None };
            current.trash_dirty = true;
            let kind = if deleted { "deleted" } else { "restored" };
            let new = deleted.then(|| op.value.clone());
            effects.history.push(history(current, logged, kind, None, None, new));
            true
        }
    }
}

/// An entity first seen: the create's record, every field stamped with it.
pub(crate) fn create(fresh: &mut Replica, logged: &LoggedOp, effects: &mut Effects) {
    let op = &logged.op;
    fresh.seen.insert(op.hlc.clone());
    if let Value::Object(fields) = &op.value {
        for (field, value) in fields {
            fresh.stamps.insert(field.clone(), (op.hlc.clone(), logged.author.to_string()));
            // The id is the op's entity, never what a record says (H2).
            let value = if field == "id" { Value::String(op.entity_id.to_string()) } else { value.clone() };
            fresh.record.insert(field.clone(), value);
        }
    }
    fresh.record_dirty = true;
    effects.history.push(history(fresh, logged, "created", None, None, Some(op.value.clone())));
}

/// Last writer wins for one field. `base` is `Some` for a set (the stamp its writer replaced)
/// and `None` for a create's field, which is never reported as a conflict.
fn set_field(
    current: &mut Replica,
    logged: &LoggedOp,
    field: &str,
    value: &Value,
    base: Option<Option<&str>>,
    effects: &mut Effects,
) -> bool {
    let op = &logged.op;
    let author = logged.author.to_string();
    let current_stamp = current.stamp(field).map(str::to_owned);
    let current_actor = current.actor(field).unwrap_or_default().to_owned();
    let current_value = current.record.get(field).cloned().unwrap_or(Value::Null);
    // The writer had not seen the value here: two edits crossed.
    let concurrent = match (base, current_stamp.as_deref()) {
        (Some(base), Some(here)) => base != Some(here),
        _ => false,
    };
    let differs = current_value != *value;
    if stamp::wins(&op.hlc, current_stamp.as_deref()) {
        current.stamps.insert(field.to_owned(), (op.hlc.clone(), author.clone()));
        if !differs {
            return false;
        }
        if concurrent {
            effects.conflicts.push(ConflictRow {
                entity: current.entity,
                id: op.entity_id,
                field: field.to_owned(),
                lost: (current_value.clone(), current_stamp.unwrap_or_default(), current_actor),
                kept: (value.clone(), op.hlc.clone(), author),
            });
        }
        current.record.insert(field.to_owned(), value.clone());
        current.record_dirty = true;
        effects.history.push(history(
            current,
            logged,
            "changed",
            Some(field),
            Some(current_value),
            Some(value.clone()),
        ));
        true
    } else {
        if concurrent && differs {
            effects.conflicts.push(ConflictRow {
                entity: current.entity,
                id: op.entity_id,
                field: field.to_owned(),
                lost: (value.clone(), op.hlc.clone(), author),
                kept: (current_value, current_stamp.unwrap_or_default(), current_actor),
            });
        }
        false
    }
}

fn history(
    replica: &Replica,
    logged: &LoggedOp,
    kind: &'static str,
    field: Option<&str>,
    old: Option<Value>,
    new: Option<Value>,
) -> HistoryRow {
    HistoryRow {
        entity: replica.entity,
        id: logged.op.entity_id,
        kind,
        field: field.map(str::to_owned),
        old,
        new,
        actor: logged.author,
        scope: logged.op.scope,
        hlc: logged.op.hlc.clone(),
    }
}
