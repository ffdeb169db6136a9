//! A push, written once for every backend over the storage's push primitives
//! ([`PushTransaction`]): read the batch's facts, decide each op with the rules, then write
//! what the decisions say (creator grants, the entity registry, the log) and commit.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use duly_protocol::{OpId, OpKind, OpOutcome, Operation, User};
use uuid::Uuid;

use crate::rules::{Decision, PushRules, logged_value};
use crate::storage::{
    CurrentOp, LogEntry, PushTransaction, Registration, Storage, StorageError, StorageResult,
};

/// Decides every op of one client's batch against facts read in the push transaction, logs
/// the accepted ones and returns one outcome per op, in order. All or nothing.
pub async fn push(
    storage: &dyn Storage,
    user: &User,
    ops: &[Operation],
    rules: &PushRules,
) -> StorageResult<Vec<OpOutcome>> {
    if ops.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = storage.begin_push().await?;
    let outcomes = decide_and_write(tx.as_mut(), user, ops, rules).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// Most operations one group of pushes takes (group commit, see [`Pusher`]).
const MAX_GROUP_OPS: usize = 2_000;

/// Several clients' pushes, in the order they came, in one transaction: one turn of the writer
/// and one commit (one flush to disk) for all of them. Each push reads the facts the ones
/// before it left, as if it ran alone after them. When the group fails, each push is tried
/// again on its own, so one push's failure never becomes its neighbours'.
pub async fn push_group(
    storage: &dyn Storage,
    batch: &[(User, Vec<Operation>)],
    rules: &PushRules,
) -> Vec<StorageResult<Vec<OpOutcome>>> {
    if let [(user, ops)] = batch {
        return vec![push(storage, user, ops, rules).await];
    }
    let grouped = async {
        let mut tx = storage.begin_push().await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (user, ops) in batch {
            let decided = if ops.is_empty() {
                Vec::new()
            } else {
                decide_and_write(tx.as_mut(), user, ops, rules).await?
            };
            outcomes.push(decided);
        }
        tx.commit().await?;
        Ok::<_, StorageError>(outcomes)
    }
    .await;
    match grouped {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(error) => {
            tracing::warn!(%error, pushes = batch.len(), "a group of pushes failed; each goes alone");
            let mut alone = Vec::with_capacity(batch.len());
            for (user, ops) in batch {
                alone.push(push(storage, user, ops, rules).await);
            }
            alone
        }
    }
}

/// The one writer of pushes: routes hand their push over and await its outcome, and the
/// writer takes every push waiting when it comes round, up to [`MAX_GROUP_OPS`], as one group
/// (group commit). A busy second's pushes share commits instead of queueing for one each.
#[derive(Debug, Clone)]
pub struct Pusher {
    jobs: tokio::sync::mpsc::Sender<PushJob>,
}

#[derive(Debug)]
struct PushJob {
    user: User,
    ops: Vec<Operation>,
    /// The ops go back with their outcomes: the route still needs them, and a copy would cost.
    done: tokio::sync::oneshot::Sender<(Vec<Operation>, StorageResult<Vec<OpOutcome>>)>,
}

impl Pusher {
    pub fn start(storage: std::sync::Arc<dyn Storage>, rules: std::sync::Arc<PushRules>) -> Self {
        let (jobs, mut waiting) = tokio::sync::mpsc::channel::<PushJob>(4096);
        tokio::spawn(async move {
            while let Some(first) = waiting.recv().await {
                let mut ops_in_group = first.ops.len();
                let mut group = vec![first];
                while ops_in_group < MAX_GROUP_OPS {
                    let Ok(next) = waiting.try_recv() else { break };
                    ops_in_group += next.ops.len();
                    group.push(next);
                }
                let (batch, answers): (Vec<_>, Vec<_>) =
                    group.into_iter().map(|job| ((job.user, job.ops), job.done)).unzip();
                // A task of its own: a fault (a panic) in one group fails that group's pushes
                // with an error, and the writer goes on with the next.
                let (storage, rules) = (storage.clone(), rules.clone());
                let pushes = batch.len();
                let written = tokio::spawn(async move {
                    let outcomes = push_group(storage.as_ref(), &batch, &rules).await;
                    (batch, outcomes)
                })
                .await;
                let Ok((batch, outcomes)) = written else {
                    tracing::error!(pushes, "a group of pushes failed inside the writer");
                    continue;
                };
                for ((answer, (_, ops)), outcome) in answers.into_iter().zip(batch).zip(outcomes) {
                    // A client that went away still had its push logged; nobody to tell.
                    let _ = answer.send((ops, outcome));
                }
            }
        });
        Self { jobs }
    }

    /// Logs one client's push with the next group; gives back its ops and their outcomes.
    pub async fn push(
        &self,
        user: User,
        ops: Vec<Operation>,
    ) -> StorageResult<(Vec<Operation>, Vec<OpOutcome>)> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let gone = || StorageError::Corrupt("the push could not be written (see the server log)".into());
        self.jobs.send(PushJob { user, ops, done }).await.map_err(|_| gone())?;
        let (ops, outcome) = answer.await.map_err(|_| gone())?;
        Ok((ops, outcome?))
    }
}

async fn decide_and_write(
    tx: &mut dyn PushTransaction,
    user: &User,
    ops: &[Operation],
    rules: &PushRules,
) -> StorageResult<Vec<OpOutcome>> {
    let mut facts = tx.facts(user, ops).await?;
    let decisions: Vec<Decision> = ops.iter().map(|op| rules.decide(user, &mut facts, op)).collect();
    let created: Vec<Uuid> = decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::Accept { grant_customer } => *grant_customer,
            _ => None,
        })
        .collect();
    if !created.is_empty() {
        tx.grant_creator(user.id, &created).await?;
    }
    let accepted: Vec<&Operation> = ops
        .iter()
        .zip(&decisions)
        .filter(|(_, decision)| matches!(decision, Decision::Accept { .. }))
        .map(|(op, _)| op)
        .collect();
    let mut logged_at: HashMap<OpId, i64> = HashMap::new();
    if !accepted.is_empty() {
        // History on every replica names the colleague who wrote, not the login.
        let author = user.colleague_id.unwrap_or(user.id);
        tx.register(&registrations(author, &accepted)).await?;
        let entries: Vec<LogEntry<'_>> = accepted
            .iter()
            .map(|op| {
                let creator = facts.entity_creators.get(&op.entity_id).copied();
                LogEntry { op, value: logged_value(user, op, creator).to_string() }
            })
            .collect();
        let seqs = tx.log(author, &entries).await?;
        tx.keep_current(&current_ops(&accepted, &seqs)).await?;
        logged_at = accepted.iter().map(|op| op.op_id).zip(seqs).collect();
    }
    let seq_of = |op: &Operation| {
        logged_at
            .get(&op.op_id)
            .copied()
            .ok_or_else(|| StorageError::Corrupt(format!("accepted op {} got no seq", op.op_id.client_seq)))
    };
    ops.iter()
        .zip(decisions)
        .map(|(op, decision)| match decision {
            Decision::Accept { .. } => Ok(OpOutcome::Applied { seq: seq_of(op)? }),
            Decision::Duplicate(Some(seq)) => Ok(OpOutcome::Duplicate { seq }),
            Decision::Duplicate(None) => Ok(OpOutcome::Duplicate { seq: seq_of(op)? }),
            Decision::Reject(code, reason) => Ok(OpOutcome::Rejected { code, reason }),
        })
        .collect()
}

/// The part of an entity's state an op decides: every create is kept (a create after a move
/// starts the record again in its new scope), a set decides its field, a delete or restore
/// the trash flag.
fn slot(op: &Operation, seq: i64) -> String {
    match op.kind {
        OpKind::Create => format!("create:{seq}"),
        OpKind::Set => format!("set:{}", op.field.as_deref().unwrap_or_default()),
        OpKind::Delete | OpKind::Restore => "trash".to_owned(),
    }
}

/// The rows `keep_current` is given for logged ops: within the batch, the op whose stamp sorts
/// highest for each entity, scope and slot (a stamp that does not parse was refused before).
fn current_ops(logged: &[&Operation], seqs: &[i64]) -> Vec<CurrentOp> {
    let mut rows: Vec<CurrentOp> = Vec::with_capacity(logged.len());
    let mut row_of: HashMap<(Uuid, duly_protocol::Scope, String), usize> = HashMap::new();
    for (op, seq) in logged.iter().zip(seqs) {
        let Some(stamp_key) = duly_protocol::stamp::sort_key(&op.hlc) else { continue };
        let row = CurrentOp {
            entity_id: op.entity_id,
            scope: op.scope,
            slot: slot(op, *seq),
            stamp_key,
            seq: *seq,
        };
        match row_of.entry((row.entity_id, row.scope, row.slot.clone())) {
            Entry::Occupied(at) => {
                let kept = &mut rows[*at.get()];
                if row.stamp_key > kept.stamp_key {
                    *kept = row;
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(rows.len());
                rows.push(row);
            }
        }
    }
    rows
}

/// Folds a log written before `current_ops` existed into it, once, before the server serves:
/// page by page, each in its own push transaction (so no push runs meanwhile).
pub async fn fold_current_ops(storage: &dyn Storage) -> StorageResult<()> {
    if !storage.current_ops_empty().await? || storage.latest_seq().await? == 0 {
        return Ok(());
    }
    tracing::info!("folding the log into the snapshot table (once)");
    let mut since = 0;
    loop {
        let page = storage.log_after(since, 10_000).await?;
        let Some(last) = page.last().map(|logged| logged.seq) else { break };
        let ops: Vec<&Operation> = page.iter().map(|logged| &logged.op).collect();
        let seqs: Vec<i64> = page.iter().map(|logged| logged.seq).collect();
        let mut tx = storage.begin_push().await?;
        tx.keep_current(&current_ops(&ops, &seqs)).await?;
        tx.commit().await?;
        since = last;
    }
    Ok(())
}

/// One registry row per entity the accepted ops touch: the scope of its last op, the kind of
/// its first, and `author` as its creator when the batch creates it.
fn registrations(author: Uuid, accepted: &[&Operation]) -> Vec<Registration> {
    let mut rows: Vec<Registration> = Vec::new();
    let mut row_of: HashMap<Uuid, usize> = HashMap::new();
    for op in accepted {
        let creator = (op.kind == OpKind::Create).then_some(author);
        match row_of.entry(op.entity_id) {
            Entry::Occupied(at) => {
                let row = &mut rows[*at.get()];
                row.scope = op.scope;
                row.creator = row.creator.or(creator);
            }
            Entry::Vacant(slot) => {
                slot.insert(rows.len());
                rows.push(Registration {
                    entity_id: op.entity_id,
                    scope: op.scope,
                    entity: op.entity,
                    creator,
                });
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use async_trait::async_trait;
    use duly_protocol::{EntityKind, ErrorCode, Role, Scope};
    use serde_json::json;

    use super::*;
    use crate::rules::{Logged, PushFacts};

    /// The push primitives over plain collections: what the algorithm asks of a backend.
    #[derive(Debug, Default)]
    struct Memory {
        log: Vec<(OpId, Uuid, String, String)>,
        registry: HashMap<Uuid, Registration>,
        customers: HashSet<Uuid>,
        grants: HashSet<(Uuid, Uuid)>,
        current: HashMap<(Uuid, Scope, String), CurrentOp>,
    }

    #[async_trait]
    impl PushTransaction for Memory {
        async fn facts(&mut self, user: &User, ops: &[Operation]) -> StorageResult<PushFacts> {
            let mut facts = PushFacts {
                granted: self.grants.iter().filter(|(u, _)| *u == user.id).map(|(_, c)| *c).collect(),
                known_customers: self.customers.clone(),
                ..PushFacts::default()
            };
            for (seq, (op_id, entity_id, hlc, _)) in (1..).zip(&self.log) {
                if ops.iter().any(|op| op.op_id == *op_id) {
                    let logged = Logged { seq: Some(seq), entity_id: *entity_id, hlc: hlc.clone() };
                    facts.existing.insert(*op_id, logged);
                }
            }
            for row in self.registry.values() {
                facts.entity_scopes.insert(row.entity_id, row.scope);
                facts.entity_kinds.insert(row.entity_id, row.entity);
                if let Some(creator) = row.creator {
                    facts.entity_creators.insert(row.entity_id, creator);
                }
            }
            Ok(facts)
        }

        async fn grant_creator(&mut self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()> {
            self.customers.extend(customers);
            self.grants.extend(customers.iter().map(|c| (user_id, *c)));
            Ok(())
        }

        async fn register(&mut self, entities: &[Registration]) -> StorageResult<()> {
            for row in entities {
                let kept = self.registry.entry(row.entity_id).or_insert_with(|| row.clone());
                kept.scope = row.scope;
                kept.creator = kept.creator.or(row.creator);
            }
            Ok(())
        }

        async fn log(&mut self, _author: Uuid, entries: &[LogEntry<'_>]) -> StorageResult<Vec<i64>> {
            let mut seqs = Vec::new();
            for LogEntry { op, value } in entries {
                self.log.push((op.op_id, op.entity_id, op.hlc.clone(), value.clone()));
                seqs.push(i64::try_from(self.log.len()).unwrap_or(i64::MAX));
            }
            Ok(seqs)
        }

        async fn keep_current(&mut self, current: &[CurrentOp]) -> StorageResult<()> {
            for row in current {
                let key = (row.entity_id, row.scope, row.slot.clone());
                match self.current.get(&key) {
                    Some(kept) if kept.stamp_key >= row.stamp_key => {}
                    _ => {
                        self.current.insert(key, row.clone());
                    }
                }
            }
            Ok(())
        }

        async fn commit(self: Box<Self>) -> StorageResult<()> {
            Ok(())
        }
    }

    fn create(seq: i64, scope: Scope, entity: EntityKind, id: Uuid, value: serde_json::Value) -> Operation {
        Operation {
            op_id: OpId { client_id: Uuid::nil(), client_seq: seq },
            scope,
            entity,
            entity_id: id,
            kind: OpKind::Create,
            field: None,
            value,
            hlc: uhlc::HLCBuilder::new().build().new_timestamp().to_string(),
            base: None,
        }
    }

    #[tokio::test]
    async fn one_batch_is_decided_against_its_own_effects_and_a_retry_writes_nothing() {
        let anna = User {
            id: Uuid::now_v7(),
            login: "anna".into(),
            name: "Anna".into(),
            role: Role::Member,
            active: true,
            colleague_id: Some(Uuid::now_v7()),
        };
        let (customer, task) = (Uuid::now_v7(), Uuid::now_v7());
        let scope = Scope::Customer(customer);
        let opened = create(1, scope, EntityKind::Customer, customer, json!({"name": "Kft"}));
        let work = create(2, scope, EntityKind::Task, task, json!({"title": "x", "customer_id": customer}));
        let mut reused = work.clone();
        reused.entity_id = Uuid::now_v7();
        let batch = [opened.clone(), opened, work, reused];
        let mut memory = Memory::default();
        let outcomes = decide_and_write(&mut memory, &anna, &batch, &PushRules::default()).await;
        let outcomes = outcomes.expect("push");
        assert_eq!(outcomes[0], OpOutcome::Applied { seq: 1 });
        assert_eq!(outcomes[1], OpOutcome::Duplicate { seq: 1 }, "a repeat in the batch answers the first");
        assert_eq!(outcomes[2], OpOutcome::Applied { seq: 2 }, "the customer created first is granted");
        assert!(matches!(outcomes[3], OpOutcome::Rejected { code: ErrorCode::OpIdTaken, .. }));
        assert_eq!(memory.log.len(), 2);
        assert!(memory.grants.contains(&(anna.id, customer)));
        let creator = anna.colleague_id;
        assert_eq!(memory.registry.get(&task).map(|row| (row.scope, row.creator)), Some((scope, creator)));
        let logged: serde_json::Value = serde_json::from_str(&memory.log[1].3).expect("json");
        assert_eq!(logged["creator_id"], json!(creator), "the server says who created it");

        let retry = decide_and_write(&mut memory, &anna, &batch[..3], &PushRules::default()).await;
        let expected = [1, 1, 2].map(|seq| OpOutcome::Duplicate { seq });
        assert_eq!(retry.expect("retry"), expected);
        assert_eq!(memory.log.len(), 2, "a retry logs nothing");
    }

    fn stamp_at(time: u64) -> String {
        let id = uhlc::ID::try_from(7u128).expect("id");
        uhlc::Timestamp::new(uhlc::NTP64(time), id).to_string()
    }

    #[tokio::test]
    async fn the_snapshot_table_keeps_the_winner_of_each_field_whatever_order_ops_come_in() {
        let anna = User {
            id: Uuid::now_v7(),
            login: "anna".into(),
            name: "Anna".into(),
            role: Role::Member,
            active: true,
            colleague_id: Some(Uuid::now_v7()),
        };
        let task = Uuid::now_v7();
        let mut opened = create(1, Scope::Team, EntityKind::Task, task, json!({"title": "a"}));
        opened.hlc = stamp_at(100);
        let template = opened.clone();
        let set = |seq: i64, time: u64, title: &str| Operation {
            kind: OpKind::Set,
            field: Some("title".into()),
            value: json!(title),
            hlc: stamp_at(time),
            op_id: OpId { client_id: Uuid::nil(), client_seq: seq },
            ..template.clone()
        };
        let trash = |seq: i64, time: u64, kind: OpKind| Operation {
            kind,
            field: None,
            value: json!(Uuid::nil()),
            hlc: stamp_at(time),
            op_id: OpId { client_id: Uuid::nil(), client_seq: seq },
            ..template.clone()
        };
        let mut memory = Memory::default();
        // The newer title and the restore come first; the older ones, later (an offline device).
        let batches = [
            vec![opened, set(2, 300, "newest")],
            vec![set(3, 200, "older"), trash(4, 500, OpKind::Restore)],
            vec![trash(5, 400, OpKind::Delete), set(6, 250, "old"), set(7, 260, "in between")],
        ];
        for batch in &batches {
            decide_and_write(&mut memory, &anna, batch, &PushRules::default()).await.expect("push");
        }
        let seq_of =
            |slot: &str| memory.current.get(&(task, Scope::Team, slot.to_owned())).map(|row| row.seq);
        assert_eq!(seq_of("create:1"), Some(1));
        assert_eq!(seq_of("set:title"), Some(2), "the newest title, logged first, stays");
        assert_eq!(
            seq_of("trash"),
            Some(4),
            "the restore stamped later wins over the delete logged after it"
        );
        assert_eq!(memory.current.len(), 3);
    }
}
