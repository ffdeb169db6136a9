//! Where the server keeps users, sessions, grants, the operation log and blob metadata.
//!
//! # Consistency contract (every implementation keeps it; the shared test suite checks it)
//! A push is written once, in `crate::sync::push`, over the primitives of [`PushTransaction`]:
//! `begin_push` → `facts` → (the rules decide every op) → `grant_creator` → `register` → `log`
//! → `commit`. Each primitive is a few statements for the whole batch, never one per op.
//! - `begin_push` serialises batches (SQLite: one writer, `BEGIN IMMEDIATE`; PostgreSQL: one
//!   transaction-level advisory lock, `pg_advisory_xact_lock`, taken before any fact is read
//!   and held to commit; only pushes write the log, the entity registry and the customers),
//!   so the facts see the effect of every earlier batch and nothing changes them until
//!   `commit`.
//! - `pull` and `pull_wire` read the same operations; `pull_wire` gives each as the JSON text
//!   serialising `pull`'s [`LoggedOp`] gives, byte for byte.
//! - A push is atomic: the client claim, creator grants, entity registry and log rows are
//!   committed together or not at all (a transaction dropped before `commit` writes nothing).
//! - `seq` is assigned in commit order, strictly increasing, never reused: a reader that has
//!   seen seq N will never later find a new operation below N. Within a batch, `log` draws
//!   seqs in the order of the ops given.
//! - `(client_id, client_seq)` is unique in the log: a retried push gets `Duplicate` with the
//!   first seq and writes nothing; a repeat within one batch is a duplicate of its first copy.
//! - `pull` returns operations in seq order, only from the scopes it is given (the caller's
//!   readable scopes at the time of the call).
//! - `keep_current` runs in the push that logs the ops it names: after it, `current_ops` holds,
//!   for every entity in every scope, each create and, for each field and for the trash flag,
//!   the logged op whose stamp sorts highest. `snapshot` reads those ops, in seq order, only
//!   from the scopes it is given and at most up to `upto`: applying them gives the state that
//!   applying the whole log of those scopes up to `upto` gives (last writer wins per field).
//! - Disabling a user and ending their sessions happen in one transaction.

mod cached;
mod postgres;
mod sqlite;
mod tail;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use duly_protocol::{EntityKind, LoggedOp, Operation, Role, Scope, User};
use uuid::Uuid;

use crate::rules::{Logged, PushFacts};

pub use cached::{Cached, FRESH_FOR};
pub use postgres::PostgresStorage;
pub use sqlite::SqliteStorage;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("database: {0}")]
    Database(sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
}

pub type StorageResult<T> = Result<T, StorageError>;

impl From<sqlx::Error> for StorageError {
    /// A stored row that does not decode is damaged data, whichever backend read it.
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => Self::Corrupt(error.to_string()),
            other => Self::Database(other),
        }
    }
}

/// A user row with its password hash, for login only.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

/// A logged op as its JSON text in a pull response, with what the page's byte budget counts.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WireOp {
    pub seq: i64,
    /// Bytes of the op's value as logged (what `limits::encoded_len` gives for it).
    pub value_bytes: i64,
    /// `{"seq":…,"author":…,"op":{…}}`, byte for byte what serialising the [`LoggedOp`] gives.
    pub json: String,
}

/// When a session began and when it was last used (RFC 3339 UTC text, fixed width).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTimes {
    pub created_at: String,
    pub last_used_at: String,
}

/// One push's transaction: the primitives `crate::sync::push` is written over. It holds the
/// push lock from `Storage::begin_push` until `commit`; dropped uncommitted, it writes nothing.
#[async_trait]
pub trait PushTransaction: Send {
    /// What the rules need about `ops`: which of their op ids are logged already, whether their
    /// client id is another user's (claiming it for `user` if nobody has), the registry's record
    /// of every entity the ops name or reference, which of their customers the log has seen,
    /// and the user's grants.
    async fn facts(&mut self, user: &User, ops: &[Operation]) -> StorageResult<PushFacts>;
    /// Records customers seen for the first time as created by `user_id`, and grants them to them.
    async fn grant_creator(&mut self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()>;
    /// Writes where each entity lives now; its kind and creator only where none is recorded
    /// yet. At most one registration per entity.
    async fn register(&mut self, entities: &[Registration]) -> StorageResult<()>;
    /// Appends the ops to the log as written by `author`; returns their seqs, drawn in the
    /// order given.
    async fn log(&mut self, author: Uuid, entries: &[LogEntry<'_>]) -> StorageResult<Vec<i64>>;
    /// Keeps each op in `current` where it beats the op kept for its entity, scope and slot
    /// (or where none is kept). At most one row per entity, scope and slot.
    async fn keep_current(&mut self, current: &[CurrentOp]) -> StorageResult<()>;
    async fn commit(self: Box<Self>) -> StorageResult<()>;
}

/// A logged op that may decide part of an entity's state: its create, its value of one field,
/// or its trash flag (the slot), with the text its stamp sorts by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentOp {
    pub entity_id: Uuid,
    pub scope: Scope,
    pub slot: String,
    pub stamp_key: String,
    pub seq: i64,
}

/// An entity's row in the registry after a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub entity_id: Uuid,
    pub scope: Scope,
    pub entity: EntityKind,
    /// The author of its create, when the batch holds one.
    pub creator: Option<Uuid>,
}

/// An accepted op and the value the server logs for it (`rules::logged_value`, as JSON text).
#[derive(Debug, Clone)]
pub struct LogEntry<'a> {
    pub op: &'a Operation,
    pub value: String,
}

#[async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug + 'static {
    async fn add_user(&self, user: &User, password_hash: &str) -> StorageResult<()>;
    async fn credentials(&self, login: &str) -> StorageResult<Option<Credentials>>;
    async fn user(&self, id: Uuid) -> StorageResult<Option<User>>;
    async fn user_by_login(&self, login: &str) -> StorageResult<Option<User>>;
    async fn users(&self) -> StorageResult<Vec<User>>;
    async fn set_password(&self, id: Uuid, password_hash: &str) -> StorageResult<bool>;
    /// Disabling also ends every session of the user, in the same transaction.
    async fn set_active(&self, id: Uuid, active: bool) -> StorageResult<bool>;
    async fn set_role(&self, id: Uuid, role: Role) -> StorageResult<bool>;
    /// Binds the user's colleague record if none is bound yet; returns the bound one.
    /// Binds an unbound user to a colleague record that no other user stands for and that no
    /// one else created; returns the user's binding afterwards (unchanged when refused).
    async fn bind_colleague(&self, id: Uuid, colleague_id: Uuid) -> StorageResult<Option<Uuid>>;
    /// An admin's binding (H1): the user stands for this colleague record, which the log holds
    /// as a colleague, or for none. False when there is no such record; `Conflict` when another
    /// user stands for it.
    async fn set_colleague(&self, id: Uuid, colleague_id: Option<Uuid>) -> StorageResult<bool>;

    /// Adds a session and ends the user's oldest ones beyond `keep`, in one transaction.
    async fn add_session(&self, token_hash: &str, user_id: Uuid, keep: u32) -> StorageResult<()>;
    /// The active user a session belongs to, with the session's login and last use.
    async fn session_user(&self, token_hash: &str) -> StorageResult<Option<(User, SessionTimes)>>;
    /// Records a use of the session (the caller does it at most once an hour).
    async fn touch_session(&self, token_hash: &str, at: &str) -> StorageResult<()>;
    async fn end_session(&self, token_hash: &str) -> StorageResult<()>;

    async fn grant(&self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()>;
    async fn revoke(&self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()>;
    async fn grants_of(&self, user_id: Uuid) -> StorageResult<Vec<Uuid>>;
    async fn shares_of(&self, customer_id: Uuid) -> StorageResult<Vec<User>>;
    /// Every customer the log has seen.
    async fn customers(&self) -> StorageResult<Vec<Uuid>>;
    /// Which of these customers the log has seen: one query however many are asked about.
    async fn known_customers(&self, ids: &[Uuid]) -> StorageResult<std::collections::HashSet<Uuid>>;
    /// The scope an entity lives in now.
    async fn entity_scope(&self, entity_id: Uuid) -> StorageResult<Option<Scope>>;

    /// Starts a push: waits for the batches before it, then holds the log until `commit`.
    async fn begin_push(&self) -> StorageResult<Box<dyn PushTransaction>>;
    /// Operations after `since` in any of `scopes`, at most `limit`, in seq order.
    async fn pull(&self, scopes: &[Scope], since: i64, limit: u32) -> StorageResult<Vec<LoggedOp>>;
    /// The same operations as `pull`, each as the JSON text a pull response carries (a
    /// [`LoggedOp`] as serde writes it), built by the database from the stored text: nothing
    /// is parsed or serialised again on the way out.
    async fn pull_wire(&self, scopes: &[Scope], since: i64, limit: u32) -> StorageResult<Vec<WireOp>>;
    async fn latest_seq(&self) -> StorageResult<i64>;
    /// The ops of `current_ops` in `scopes` with a seq in `(since, upto]`, in seq order.
    async fn snapshot(
        &self,
        scopes: &[Scope],
        since: i64,
        upto: i64,
        limit: u32,
    ) -> StorageResult<Vec<LoggedOp>>;
    /// How many ops `snapshot` would give in all, from the start up to `upto`.
    async fn snapshot_size(&self, scopes: &[Scope], upto: i64) -> StorageResult<i64>;
    /// Whether `current_ops` holds nothing yet (a log written before it existed is folded in).
    async fn current_ops_empty(&self) -> StorageResult<bool>;
    /// Every logged op after `since`, whatever its scope, in seq order: for that one fold.
    async fn log_after(&self, since: i64, limit: u32) -> StorageResult<Vec<LoggedOp>>;
    /// The client seqs of one client that are in the log (for audits: nothing went missing).
    async fn logged_seqs(&self, client_id: Uuid) -> StorageResult<Vec<i64>>;

    /// Records that a blob may be read by readers of `scope`, added by `user_id` (it counts
    /// against their quota); true when the blob was new.
    async fn add_blob(&self, user_id: Uuid, sha256: &str, size: i64, scope: Scope) -> StorageResult<bool>;
    /// Bytes of the blobs a user has added, but for `except` (the one being sent again).
    async fn blob_usage(&self, user_id: Uuid, except: &str) -> StorageResult<i64>;
    async fn blob_scopes(&self, sha256: &str) -> StorageResult<Vec<Scope>>;
}

/// Opens the database named by `url` (`sqlite://…`, created if missing, or `postgres://…`)
/// and brings its schema up to date.
/// The request path's look-ups (sessions, grants, customers, the newest seq) are answered from
/// memory in front of it ([`Cached`]).
pub async fn connect(url: &str) -> anyhow::Result<std::sync::Arc<dyn Storage>> {
    let database: std::sync::Arc<dyn Storage> =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            std::sync::Arc::new(PostgresStorage::connect(url).await?)
        } else if url.starts_with("sqlite:") {
            std::sync::Arc::new(SqliteStorage::connect(url).await?)
        } else {
            anyhow::bail!("unsupported database URL (use sqlite://PATH or postgres://…): {url}")
        };
    Ok(std::sync::Arc::new(Cached::new(database).await?))
}

/// Scopes are stored as two text columns so they can be compared and indexed plainly.
pub(crate) fn scope_columns(scope: &Scope) -> (&'static str, String) {
    match scope {
        Scope::Customer(id) => ("customer", id.to_string()),
        Scope::Team => ("team", String::new()),
        Scope::Private(id) => ("private", id.to_string()),
        Scope::Settings => ("settings", String::new()),
    }
}

pub(crate) fn scope_from_columns(kind: &str, id: &str) -> StorageResult<Scope> {
    let uuid = || Uuid::parse_str(id).map_err(|e| StorageError::Corrupt(format!("scope id {id}: {e}")));
    Ok(match kind {
        "customer" => Scope::Customer(uuid()?),
        "team" => Scope::Team,
        "private" => Scope::Private(uuid()?),
        "settings" => Scope::Settings,
        other => return Err(StorageError::Corrupt(format!("scope kind {other}"))),
    })
}

pub(crate) fn parse_uuid(text: &str) -> StorageResult<Uuid> {
    Uuid::parse_str(text).map_err(|e| StorageError::Corrupt(format!("id {text}: {e}")))
}

/// The ids a batch's facts are read for, as text: every entity the ops name or reference
/// (`rules::references`), the customers they go to, and the clients they come from.
pub(crate) struct BatchIds {
    pub entities: Vec<String>,
    pub customers: Vec<String>,
    pub clients: Vec<String>,
}

pub(crate) fn facts_ids(ops: &[Operation]) -> BatchIds {
    let distinct = |ids: &mut dyn Iterator<Item = Uuid>| {
        ids.collect::<std::collections::BTreeSet<_>>().iter().map(Uuid::to_string).collect()
    };
    BatchIds {
        entities: distinct(
            &mut ops.iter().flat_map(|op| std::iter::once(op.entity_id).chain(crate::rules::references(op))),
        ),
        customers: distinct(&mut ops.iter().filter_map(|op| match op.scope {
            Scope::Customer(id) => Some(id),
            _ => None,
        })),
        clients: distinct(&mut ops.iter().map(|op| op.op_id.client_id)),
    }
}

/// An entity's row in the registry: where it lives, and what it was created as and by whom
/// (empty for an entity only ever seen in sets).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct RegistryRow {
    pub entity_id: String,
    pub scope_kind: String,
    pub scope_id: String,
    pub entity: Option<String>,
    pub creator: Option<String>,
}

impl RegistryRow {
    pub fn note(self, facts: &mut PushFacts) -> StorageResult<()> {
        let id = parse_uuid(&self.entity_id)?;
        facts.entity_scopes.insert(id, scope_from_columns(&self.scope_kind, &self.scope_id)?);
        if let Some(text) = self.entity {
            let kind = serde_json::from_value(serde_json::Value::String(text.clone()))
                .map_err(|e| StorageError::Corrupt(format!("entity kind {text}: {e}")))?;
            facts.entity_kinds.insert(id, kind);
        }
        if let Some(text) = self.creator {
            facts.entity_creators.insert(id, parse_uuid(&text)?);
        }
        Ok(())
    }
}

/// An op of the batch already in the log.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct LoggedRow {
    pub client_id: String,
    pub client_seq: i64,
    pub seq: i64,
    pub entity_id: String,
    pub hlc: String,
}

impl LoggedRow {
    pub fn note(self, facts: &mut PushFacts) -> StorageResult<()> {
        let op_id =
            duly_protocol::OpId { client_id: parse_uuid(&self.client_id)?, client_seq: self.client_seq };
        let logged = Logged { seq: Some(self.seq), entity_id: parse_uuid(&self.entity_id)?, hlc: self.hlc };
        facts.existing.insert(op_id, logged);
        Ok(())
    }
}

/// The seqs `log` drew, in the order of its entries, from `(client_id, client_seq, seq)` rows
/// in whatever order the database returned them.
pub(crate) fn seqs_in_order(
    entries: &[LogEntry<'_>],
    rows: Vec<(String, i64, i64)>,
) -> StorageResult<Vec<i64>> {
    let seqs: std::collections::HashMap<(String, i64), i64> =
        rows.into_iter().map(|(client, client_seq, seq)| ((client, client_seq), seq)).collect();
    entries
        .iter()
        .map(|LogEntry { op, .. }| {
            seqs.get(&(op.op_id.client_id.to_string(), op.op_id.client_seq)).copied().ok_or_else(|| {
                StorageError::Corrupt(format!("op {} of the batch was not logged", op.op_id.client_seq))
            })
        })
        .collect()
}

/// One logged op of an entity whose record a push needs: entity id, kind, field, value, stamp.
pub(crate) type EntityOpRow = (String, String, Option<String>, String, String);

/// Every (entity, scope) the batch creates or trashes: a move must bring its comments along,
/// and its trash.
pub(crate) fn note_batch_creates(facts: &mut PushFacts, ops: &[Operation]) {
    for op in ops {
        match op.kind {
            duly_protocol::OpKind::Create => facts.batch_creates.insert((op.entity_id, op.scope)),
            duly_protocol::OpKind::Delete => facts.batch_trashes.insert((op.entity_id, op.scope)),
            _ => false,
        };
    }
}

/// The entities of the batch's moves, the tasks and the comments the log holds on them.
pub(crate) fn moved_entities(facts: &PushFacts, ops: &[Operation]) -> Vec<String> {
    let tasks = ops.iter().filter(|op| crate::rules::moves_a_task(op, facts)).map(|op| op.entity_id);
    let comments =
        tasks.clone().flat_map(|task| facts.task_comments.get(&task).into_iter().flatten().copied());
    let ids: std::collections::HashSet<Uuid> = tasks.chain(comments).collect();
    ids.into_iter().map(|id| id.to_string()).collect()
}

/// Notes which of them the log holds in the trash, from their deletes and restores (entity
/// id, kind, stamp): the one with the highest stamp decides, as on every replica.
pub(crate) fn note_trashed(facts: &mut PushFacts, rows: Vec<(String, String, String)>) -> StorageResult<()> {
    let mut last: std::collections::HashMap<Uuid, (String, bool)> = std::collections::HashMap::new();
    for (id, kind, hlc) in rows {
        let id = parse_uuid(&id)?;
        let newer = last.get(&id).is_none_or(|(stamp, _)| duly_protocol::stamp::wins(&hlc, Some(stamp)));
        if newer {
            last.insert(id, (hlc, kind == "delete"));
        }
    }
    facts.trashed.extend(last.into_iter().filter(|(_, (_, deleted))| *deleted).map(|(id, _)| id));
    Ok(())
}

/// Folds the logged ops of each entity (in log order) into the record the rules hold a
/// comment sent again to.
pub(crate) fn note_logged_records(facts: &mut PushFacts, rows: Vec<EntityOpRow>) -> StorageResult<()> {
    type Ops = Vec<(duly_protocol::OpKind, Option<String>, serde_json::Value, String)>;
    let mut by_entity: std::collections::HashMap<Uuid, Ops> = std::collections::HashMap::new();
    for (id, kind, field, value, hlc) in rows {
        let kind = match kind.as_str() {
            "create" => duly_protocol::OpKind::Create,
            "set" => duly_protocol::OpKind::Set,
            "delete" => duly_protocol::OpKind::Delete,
            "restore" => duly_protocol::OpKind::Restore,
            other => return Err(StorageError::Corrupt(format!("op kind {other}"))),
        };
        let value = serde_json::from_str(&value).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        by_entity.entry(parse_uuid(&id)?).or_default().push((kind, field, value, hlc));
    }
    for (id, ops) in by_entity {
        facts.logged_records.insert(id, crate::rules::fold_logged(ops));
    }
    Ok(())
}

pub(crate) fn parse_role(text: &str) -> StorageResult<Role> {
    Role::parse(text).ok_or_else(|| StorageError::Corrupt(format!("role {text}")))
}

/// The scopes a pull reads, as the one JSON array both dialects bind: `kind:id` per scope, the
/// text their SQL builds from an op's two scope columns.
pub(crate) fn scope_keys(scopes: &[Scope]) -> String {
    let keys: Vec<serde_json::Value> = scopes
        .iter()
        .map(|scope| {
            let (kind, id) = scope_columns(scope);
            format!("{kind}:{id}").into()
        })
        .collect();
    serde_json::Value::Array(keys).to_string()
}

pub(crate) fn op_kind_text(kind: duly_protocol::OpKind) -> &'static str {
    match kind {
        duly_protocol::OpKind::Create => "create",
        duly_protocol::OpKind::Set => "set",
        duly_protocol::OpKind::Delete => "delete",
        duly_protocol::OpKind::Restore => "restore",
    }
}

/// A logged op's columns (the same names and types in both databases).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct OpRow {
    pub seq: i64,
    pub author: String,
    pub client_id: String,
    pub client_seq: i64,
    pub scope_kind: String,
    pub scope_id: String,
    pub entity: String,
    pub entity_id: String,
    pub kind: String,
    pub field: Option<String>,
    pub value: String,
    pub hlc: String,
    pub base: Option<String>,
}

/// The columns `OpRow` reads, for a select list (a macro so `concat!` keeps queries static).
macro_rules! op_columns {
    () => {
        "seq, author, client_id, client_seq, scope_kind, scope_id, entity, entity_id, kind, field, value, hlc, base"
    };
}
pub(crate) use op_columns;

impl OpRow {
    pub fn into_logged(self) -> StorageResult<LoggedOp> {
        let corrupt = |what: String| StorageError::Corrupt(format!("op {}: {what}", self.seq));
        let entity: EntityKind = serde_json::from_value(serde_json::Value::String(self.entity.clone()))
            .map_err(|_| corrupt(format!("entity kind {}", self.entity)))?;
        let kind = match self.kind.as_str() {
            "create" => duly_protocol::OpKind::Create,
            "set" => duly_protocol::OpKind::Set,
            "delete" => duly_protocol::OpKind::Delete,
            "restore" => duly_protocol::OpKind::Restore,
            other => return Err(corrupt(format!("op kind {other}"))),
        };
        let value = serde_json::from_str(&self.value).map_err(|e| corrupt(format!("value: {e}")))?;
        Ok(LoggedOp {
            seq: self.seq,
            author: parse_uuid(&self.author)?,
            op: Operation {
                op_id: duly_protocol::OpId {
                    client_id: parse_uuid(&self.client_id)?,
                    client_seq: self.client_seq,
                },
                scope: scope_from_columns(&self.scope_kind, &self.scope_id)?,
                entity,
                entity_id: parse_uuid(&self.entity_id)?,
                kind,
                field: self.field,
                value,
                hlc: self.hlc,
                base: self.base,
            },
        })
    }
}
