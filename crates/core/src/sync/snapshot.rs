//! A snapshot applied in bulk: how a new device, or a new grant, starts from the state the
//! server holds instead of replaying its history (DESIGN.md, Sync; issue 15).
//!
//! The server sends, in seq order, the ops that still decide each entity (its creates, the
//! winning set of each field, the winning delete or restore). An entity this device has never
//! seen is folded from them in memory with the same merge as a pull, and written as a whole
//! row, with one `synced_state` row keeping its field stamps in place of history: no history
//! row, no conflict row, one change event per kind. Everything else (settings, entities that
//! are here already or came in an earlier page) goes through the ordinary apply, which gives
//! the same state, only slower. A page that the bulk write cannot take whole is applied the
//! ordinary way, so a snapshot never does worse than a pull.

use std::collections::{HashMap, HashSet};

use duly_protocol::{EntityKind, LoggedOp, OpKind, stamp};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::apply::{ApplyReport, Effects};
use super::replica::Replica;
use super::write_rows::{self, NewRecords};
use crate::error::Result;
use crate::model::{Comment, Customer, Project, Source, Task, WriteCtx};
use crate::store::bulk::{Cell, Rows};
use crate::store::{Store, codec};

/// The kinds a snapshot writes in bulk: the many. Settings are few and merge into the rows
/// every store ships with, so they take the ordinary path.
fn in_bulk(kind: EntityKind) -> bool {
    matches!(kind, EntityKind::Customer | EntityKind::Project | EntityKind::Task | EntityKind::Comment)
}

/// What a snapshot being applied remembers between its pages.
#[derive(Debug, Default)]
pub struct SnapshotLoad {
    /// The store held no customer, project, task or comment when the snapshot began, so an
    /// entity not written by an earlier page is new here without asking the store.
    fresh: bool,
    /// Entities written by earlier pages: a later op for one of them merges the ordinary way.
    written: HashSet<Uuid>,
    pub applied: i64,
}

impl Store {
    /// Begins applying a snapshot.
    pub async fn begin_snapshot(&self) -> Result<SnapshotLoad> {
        let any: Option<i64> = sqlx::query_scalar(
            "SELECT 1 WHERE EXISTS (SELECT 1 FROM customers) OR EXISTS (SELECT 1 FROM tasks)
                OR EXISTS (SELECT 1 FROM projects) OR EXISTS (SELECT 1 FROM comments)",
        )
        .fetch_optional(self.reader())
        .await?;
        let fresh = any.is_none();
        if fresh {
            self.defer_indexes().await?;
        }
        Ok(SnapshotLoad { fresh, ..SnapshotLoad::default() })
    }

    /// Ends a snapshot (whole or broken off): the indexes its load went without are built.
    pub async fn end_snapshot(&self) -> Result<()> {
        self.restore_indexes().await
    }

    /// Applies one snapshot page: settings the ordinary way first (everything refers to
    /// them), then new entities in bulk in one transaction, then the rest through
    /// [`Store::apply_remote`]. The cursor does not move (the caller sets it to `upto` at the end).
    pub async fn apply_snapshot(&self, load: &mut SnapshotLoad, ops: &[LoggedOp]) -> Result<ApplyReport> {
        let known = if load.fresh { HashSet::new() } else { self.present(ops).await? };
        let (bulk, ordinary): (Vec<&LoggedOp>, Vec<&LoggedOp>) = ops.iter().partition(|logged| {
            let id = logged.op.entity_id;
            in_bulk(logged.op.entity) && !load.written.contains(&id) && !known.contains(&id)
        });
        let (settings, changes): (Vec<LoggedOp>, Vec<LoggedOp>) =
            ordinary.into_iter().cloned().partition(|logged| logged.op.entity.is_setting());
        let mut report = ApplyReport::default();
        if !settings.is_empty() {
            add(&mut report, self.apply_remote(&settings, None).await?);
        }
        if !bulk.is_empty() {
            match self.write_new(&bulk).await {
                Ok((written, applied)) => {
                    load.written.extend(written);
                    report.applied += applied;
                }
                Err(error) => {
                    // Something in the page does not fit a bulk write (a reference not here
                    // yet): the ordinary apply parks what must wait and takes the rest.
                    tracing::info!(%error, "a snapshot page goes the ordinary way");
                    let ops: Vec<LoggedOp> = bulk.into_iter().cloned().collect();
                    add(&mut report, self.apply_remote(&ops, None).await?);
                    load.written.extend(ops.iter().map(|l| l.op.entity_id));
                }
            }
        }
        if !changes.is_empty() {
            add(&mut report, self.apply_remote(&changes, None).await?);
        }
        load.applied += i64::try_from(ops.len()).unwrap_or(i64::MAX);
        Ok(report)
    }

    /// Which entities of the page this store holds already (a row, or history).
    async fn present(&self, ops: &[LoggedOp]) -> Result<HashSet<Uuid>> {
        let ids: Vec<String> = ops.iter().map(|l| l.op.entity_id.to_string()).collect();
        let ids = codec::json(&ids)?;
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT j.value FROM json_each(?1) j
             WHERE EXISTS (SELECT 1 FROM customers WHERE id = j.value) OR EXISTS (SELECT 1 FROM tasks WHERE id = j.value)
                OR EXISTS (SELECT 1 FROM projects WHERE id = j.value) OR EXISTS (SELECT 1 FROM comments WHERE id = j.value)
                OR EXISTS (SELECT 1 FROM history WHERE entity_id = j.value)",
        )
        .bind(ids)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|id| codec::id(id)).collect()
    }

    /// Writes entities new to this store; returns their ids and how many ops took. An entity
    /// with one op, its create, is read straight into its model; the others are folded.
    async fn write_new(&self, ops: &[&LoggedOp]) -> Result<(Vec<Uuid>, usize)> {
        let mut count: HashMap<Uuid, usize> = HashMap::new();
        for logged in ops {
            *count.entry(logged.op.entity_id).or_default() += 1;
        }
        let mut new = NewRecords::default();
        let mut fast: Vec<(Uuid, EntityKind, String, String, i64)> = Vec::with_capacity(count.len());
        let mut replicas: HashMap<Uuid, Replica> = HashMap::new();
        let mut newest: HashMap<Uuid, i64> = HashMap::new();
        let mut effects = Effects { history: Vec::new(), conflicts: Vec::new(), parked: Vec::new() };
        let mut applied = 0;
        let mut folded: Vec<&LoggedOp> = Vec::new();
        for logged in ops {
            let op = &logged.op;
            if op.kind != OpKind::Create || count.get(&op.entity_id) != Some(&1) {
                folded.push(logged);
                continue;
            }
            // One create: the record as sent is the state; every field has its stamp.
            match op.entity {
                EntityKind::Customer => new.customers.push(model(&op.value, op.entity_id)?),
                EntityKind::Project => new.projects.push(model(&op.value, op.entity_id)?),
                EntityKind::Task => new.tasks.push(model(&op.value, op.entity_id)?),
                EntityKind::Comment => new.comments.push(model(&op.value, op.entity_id)?),
                _ => continue,
            }
            let stamps = format!(r#"{{"*":[{},"{}"]}}"#, Value::String(op.hlc.clone()), logged.author);
            fast.push((op.entity_id, op.entity, codec::json(&op.scope)?, stamps, logged.seq));
            applied += 1;
        }
        // Creates first, in stamp order, so the sets and trash ops fold into a record.
        folded.sort_by(|a, b| {
            let create = |l: &LoggedOp| l.op.kind != OpKind::Create;
            create(a).cmp(&create(b)).then_with(|| stamp::compare(&a.op.hlc, &b.op.hlc))
        });
        for logged in folded {
            let id = logged.op.entity_id;
            let changed = match replicas.get_mut(&id) {
                Some(current) => super::apply::merge(current, logged, &mut effects),
                None if logged.op.kind == OpKind::Create => {
                    let mut fresh = Replica::new(logged.op.entity, logged.op.scope);
                    super::apply::create(&mut fresh, logged, &mut effects);
                    replicas.insert(id, fresh);
                    true
                }
                // A change whose entity's create is not in this snapshot: the ordinary apply parks it.
                None => {
                    effects.parked.push(logged.clone());
                    false
                }
            };
            applied += usize::from(changed);
            let seq = newest.entry(id).or_default();
            *seq = (*seq).max(logged.seq);
        }
        // Later local writes must stamp after everything seen, or they would lose.
        let high = ops
            .iter()
            .filter_map(|l| stamp::sort_key(&l.op.hlc).map(|key| (key, l.op.hlc.as_str())))
            .max()
            .map(|(_, stamp)| stamp);
        if let Some(high) = high {
            self.observe_stamp_text(high);
        }
        let me = self.profile_id().await?.unwrap_or_else(Uuid::nil);
        let mut w = self.begin(WriteCtx { actor: me, source: Source::Sync }).await?;
        if let Some(high) = high {
            super::ledger::raise_stamp_floor(&mut w.tx, high).await?;
        }
        // Work that moved to a customer this device does not hold never lands here, nor do
        // the comments on it. A customer this page brings counts as held.
        let arriving: HashSet<Uuid> = new.customers.iter().map(|c| c.id).collect();
        let mut away = HashSet::new();
        for (_, id) in super::revert::out_of_reach(&mut w.tx, &replicas).await? {
            let customer =
                replicas.get(&id).and_then(|r| r.record.get("customer_id")).and_then(Value::as_str);
            if customer.and_then(|c| Uuid::parse_str(c).ok()).is_none_or(|c| !arriving.contains(&c)) {
                away.insert(id);
            }
        }
        if !away.is_empty() {
            replicas.retain(|id, r| {
                let task =
                    r.record.get("task_id").and_then(Value::as_str).and_then(|t| Uuid::parse_str(t).ok());
                !away.contains(id) && task.is_none_or(|t| !away.contains(&t))
            });
            let gone: HashSet<Uuid> = new
                .comments
                .iter()
                .filter(|c| c.task_id.is_some_and(|t| away.contains(&t)))
                .map(|c| c.id)
                .collect();
            new.comments.retain(|c| !gone.contains(&c.id));
            fast.retain(|(id, ..)| !gone.contains(id));
        }
        let mut states = Rows::new(SYNCED_STATE_INSERT, 7);
        let mut written = Vec::with_capacity(fast.len() + replicas.len());
        for (id, entity, scope, stamps, seq) in fast {
            states.push([
                id.to_string().into(),
                entity.as_str().into(),
                scope.into(),
                stamps.into(),
                Cell::Text(None),
                Cell::Int(0),
                Cell::Int(seq),
            ]);
            written.push(id);
        }
        let kinds: HashSet<EntityKind> = replicas
            .values()
            .map(|r| r.entity)
            .chain(ops.iter().map(|l| l.op.entity).filter(|kind| in_bulk(*kind)))
            .collect();
        for (id, replica) in &replicas {
            states.push([
                id.to_string().into(),
                replica.entity.as_str().into(),
                codec::json(&replica.scope)?.into(),
                codec::json(&stamps(replica))?.into(),
                replica.trash_stamp.clone().into(),
                Cell::Int(i64::from(replica.deleted)),
                Cell::Int(newest.get(id).copied().unwrap_or_default()),
            ]);
        }
        // References are checked at the commit: rows of one page refer to each other in any order.
        sqlx::query("PRAGMA defer_foreign_keys = ON").execute(&mut *w.tx).await?;
        write_rows::records_with(&mut w, &replicas, new).await?;
        states.flush(&mut w.tx).await?;
        // One event per kind: the views reload once, not once per row.
        for kind in kinds {
            w.touch(kind, None);
        }
        w.commit().await?;
        if !effects.parked.is_empty() {
            self.apply_remote(&effects.parked, None).await?;
        }
        written.extend(replicas.into_keys());
        Ok((written, applied))
    }
}

/// A create's record read into its model. The id is the op's entity, never what a record
/// says (H2).
fn model<T: serde::de::DeserializeOwned + HasId>(record: &Value, id: Uuid) -> Result<T> {
    let mut model: T = serde::Deserialize::deserialize(record)
        .map_err(|e| crate::error::CoreError::Internal(format!("a snapshot record does not fit: {e}")))?;
    model.set_id(id);
    Ok(model)
}

fn add(report: &mut ApplyReport, more: ApplyReport) {
    report.applied += more.applied;
    report.parked += more.parked;
    report.conflicts += more.conflicts;
}

/// A row is replaced whole: an entity's snapshot state is written once per load.
const SYNCED_STATE_INSERT: &str =
    "INSERT OR REPLACE INTO synced_state (entity_id, entity, scope, stamps, trash, deleted, seq)";

/// The models a snapshot writes in bulk, whose id it sets from the op.
trait HasId {
    fn set_id(&mut self, id: Uuid);
}

macro_rules! has_id {
    ($($model:ty),*) => {$(
        impl HasId for $model {
            fn set_id(&mut self, id: Uuid) {
                self.id = id;
            }
        }
    )*};
}
has_id!(Customer, Project, Task, Comment);

/// The field stamps in their short form: the most common stamp under "*", the others by name.
fn stamps(replica: &Replica) -> Map<String, Value> {
    let mut counts: HashMap<&(String, String), usize> = HashMap::new();
    for stamp in replica.stamps.values() {
        *counts.entry(stamp).or_default() += 1;
    }
    let common = counts.into_iter().max_by_key(|(_, n)| *n).map(|(stamp, _)| stamp.clone());
    let mut out = Map::new();
    if let Some((hlc, actor)) = &common {
        out.insert("*".into(), json!([hlc, actor]));
    }
    for (field, stamp) in &replica.stamps {
        if Some(stamp) != common.as_ref() {
            out.insert(field.clone(), json!([stamp.0, stamp.1]));
        }
    }
    out
}

/// The replica of an entity that arrived by snapshot: its row (read by the caller as the
/// model's JSON) with the stamps its `synced_state` row keeps.
pub(crate) fn synced_replica(
    entity: EntityKind,
    record: Map<String, Value>,
    scope: &str,
    stamps: &str,
    trash: Option<String>,
    deleted: bool,
) -> Result<Replica> {
    let mut replica = Replica::new(entity, codec::from_json(scope)?);
    let stamps: Map<String, Value> = codec::from_json(stamps)?;
    let pair = |value: &Value| -> Option<(String, String)> {
        Some((value.get(0)?.as_str()?.to_owned(), value.get(1)?.as_str()?.to_owned()))
    };
    let common = stamps.get("*").and_then(pair);
    for field in record.keys() {
        if let Some(stamp) = stamps.get(field).and_then(pair).or_else(|| common.clone()) {
            replica.stamps.insert(field.clone(), stamp);
        }
    }
    for stamp in stamps.values().filter_map(pair) {
        replica.seen.insert(stamp.0);
    }
    if let Some(trash) = &trash {
        replica.seen.insert(trash.clone());
    }
    replica.record = record;
    replica.deleted = deleted;
    replica.trash_stamp = trash;
    Ok(replica)
}
