//! Where the server keeps users, sessions, grants, the operation log and blob metadata.
//!
//! # Consistency contract (every implementation keeps it; the shared test suite checks it)
//! - `push` is atomic: the whole batch's decisions, log rows, entity scopes and creator grants
//!   are committed together or not at all. Batches are serialised (one writer at a time), so
//!   the rules see the effect of every earlier batch.
//! - `seq` is assigned in commit order, strictly increasing, never reused: a reader that has
//!   seen seq N will never later find a new operation below N. (SQLite: one writer; PostgreSQL:
//!   the push transaction takes a table lock on the log before assigning seqs.)
//! - `(client_id, client_seq)` is unique in the log: a retried push gets `Duplicate` with the
//!   first seq and writes nothing.
//! - `pull` returns operations in seq order, only from scopes the user may read at the time of
//!   the call.
//! - Disabling a user and ending their sessions happen in one transaction.

mod postgres;
mod sqlite;

use async_trait::async_trait;
use duly_protocol::{LoggedOp, OpOutcome, Operation, Role, Scope, User};
use uuid::Uuid;

use crate::rules::PushRules;

pub use postgres::PostgresStorage;
pub use sqlite::SqliteStorage;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
}

pub type StorageResult<T> = Result<T, StorageError>;

/// A user row with its password hash, for login only.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

/// What the rules need to know about a batch before deciding, loaded by the storage in the
/// push transaction.
#[derive(Debug, Clone)]
pub struct PushFacts {
    /// The server's clock when the push is decided (milliseconds since 1970 UTC).
    pub now_ms: i64,
    /// Every op of the batch whose id is already in the log: its seq and what it was.
    pub existing: std::collections::HashMap<duly_protocol::OpId, Logged>,
    /// The pushing client id is registered to another user: every op of the push is refused.
    pub client_of_other_user: bool,
    /// The scope each entity of the batch lives in now, for entities the log has seen.
    pub entity_scopes: std::collections::HashMap<Uuid, Scope>,
    /// Customers of the batch that the log has seen (so a first sight is a creation).
    pub known_customers: std::collections::HashSet<Uuid>,
    /// Customers granted to the pushing user.
    pub granted: std::collections::HashSet<Uuid>,
    /// The kind each entity of the batch was created as, for entities the log has seen.
    pub entity_kinds: std::collections::HashMap<Uuid, duly_protocol::EntityKind>,
    /// The colleague who created each entity of the batch (the author of its create).
    pub entity_creators: std::collections::HashMap<Uuid, Uuid>,
    /// The record the log holds of each comment the batch creates again (a move), folded
    /// from its logged ops (`rules::fold_logged`), to hold the copy to.
    pub logged_records: std::collections::HashMap<Uuid, serde_json::Map<String, serde_json::Value>>,
    /// The comments the log holds on each task the batch moves, so a move that leaves one
    /// behind (written while the mover had not seen it) is refused rather than split.
    pub task_comments: std::collections::HashMap<Uuid, std::collections::HashSet<Uuid>>,
    /// Every (entity, scope) the batch creates, so a move can see its comments come along.
    pub batch_creates: std::collections::HashSet<(Uuid, Scope)>,
}

impl Default for PushFacts {
    /// Facts with nothing known yet, at the server's present time.
    fn default() -> Self {
        Self {
            now_ms: chrono::Utc::now().timestamp_millis(),
            existing: Default::default(),
            client_of_other_user: false,
            entity_scopes: Default::default(),
            known_customers: Default::default(),
            granted: Default::default(),
            entity_kinds: Default::default(),
            entity_creators: Default::default(),
            logged_records: Default::default(),
            task_comments: Default::default(),
            batch_creates: Default::default(),
        }
    }
}

/// When a session began and when it was last used (RFC 3339 UTC text, fixed width).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTimes {
    pub created_at: String,
    pub last_used_at: String,
}

/// What the log holds under an op id: enough to tell a retry of the same op from another op
/// that reuses its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub seq: i64,
    pub entity_id: Uuid,
    pub hlc: String,
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

    /// Decides every op with `rules` against facts read in the same transaction, logs the
    /// accepted ones and returns one outcome per op, in order.
    async fn push(&self, user: &User, ops: &[Operation], rules: &PushRules) -> StorageResult<Vec<OpOutcome>>;
    /// Operations after `since` that `user` may read (only `scope`'s when given), at most
    /// `limit`, in seq order.
    async fn pull(
        &self,
        user: &User,
        since: i64,
        limit: u32,
        scope: Option<Scope>,
    ) -> StorageResult<Vec<LoggedOp>>;
    async fn latest_seq(&self) -> StorageResult<i64>;
    /// The client seqs of one client that are in the log (for audits: nothing went missing).
    async fn logged_seqs(&self, client_id: Uuid) -> StorageResult<Vec<i64>>;

    /// Records that a blob may be read by readers of `scope`; true when the blob was new.
    async fn add_blob(&self, sha256: &str, size: i64, scope: Scope) -> StorageResult<bool>;
    async fn blob_scopes(&self, sha256: &str) -> StorageResult<Vec<Scope>>;
}

/// Opens the database named by `url` (`sqlite://…`, created if missing, or `postgres://…`)
/// and brings its schema up to date.
pub async fn connect(url: &str) -> anyhow::Result<std::sync::Arc<dyn Storage>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PostgresStorage::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(SqliteStorage::connect(url).await?))
    } else {
        anyhow::bail!("unsupported database URL (use sqlite://PATH or postgres://…): {url}")
    }
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

/// The registry's record of an entity: what it was created as and who created it (columns
/// `entity` and `creator` of `entities`, empty for an entity only ever seen in sets).
pub(crate) fn note_registry(
    facts: &mut PushFacts,
    id: Uuid,
    entity: Option<&str>,
    creator: Option<&str>,
) -> StorageResult<()> {
    if let Some(text) = entity {
        let kind = serde_json::from_value(serde_json::Value::String(text.to_owned()))
            .map_err(|e| StorageError::Corrupt(format!("entity kind {text}: {e}")))?;
        facts.entity_kinds.insert(id, kind);
    }
    if let Some(text) = creator {
        facts.entity_creators.insert(id, parse_uuid(text)?);
    }
    Ok(())
}

/// One logged op of an entity whose record a push needs: entity id, kind, field, value, stamp.
pub(crate) type LoggedRow = (String, String, Option<String>, String, String);

/// Folds the logged ops of each entity (in log order) into the record the rules hold a
/// comment sent again to.
pub(crate) fn note_logged_records(facts: &mut PushFacts, rows: Vec<LoggedRow>) -> StorageResult<()> {
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

/// Readers of a customer scope: every manager, plus those it is granted to.
pub(crate) fn sees_every_customer(user: &User) -> bool {
    user.role.manages()
}

pub(crate) fn op_kind_text(kind: duly_protocol::OpKind) -> &'static str {
    match kind {
        duly_protocol::OpKind::Create => "create",
        duly_protocol::OpKind::Set => "set",
        duly_protocol::OpKind::Delete => "delete",
        duly_protocol::OpKind::Restore => "restore",
    }
}

/// Rebuilds a logged op from its columns (the same names in both databases).
pub(crate) struct OpColumns {
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

impl OpColumns {
    pub fn into_logged(self) -> StorageResult<LoggedOp> {
        let corrupt = |what: &str| StorageError::Corrupt(what.to_owned());
        let entity: duly_protocol::EntityKind =
            serde_json::from_value(serde_json::Value::String(self.entity.clone()))
                .map_err(|_| corrupt(&self.entity))?;
        let kind = match self.kind.as_str() {
            "create" => duly_protocol::OpKind::Create,
            "set" => duly_protocol::OpKind::Set,
            "delete" => duly_protocol::OpKind::Delete,
            "restore" => duly_protocol::OpKind::Restore,
            other => return Err(corrupt(other)),
        };
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
                value: serde_json::from_str(&self.value).map_err(|e| corrupt(&e.to_string()))?,
                hlc: self.hlc,
                base: self.base,
            },
        })
    }
}

pub(crate) fn logged_op_from_sqlite(row: &sqlx::sqlite::SqliteRow) -> StorageResult<LoggedOp> {
    use sqlx::Row;
    OpColumns {
        seq: row.try_get("seq")?,
        author: row.try_get("author")?,
        client_id: row.try_get("client_id")?,
        client_seq: row.try_get("client_seq")?,
        scope_kind: row.try_get("scope_kind")?,
        scope_id: row.try_get("scope_id")?,
        entity: row.try_get("entity")?,
        entity_id: row.try_get("entity_id")?,
        kind: row.try_get("kind")?,
        field: row.try_get("field")?,
        value: row.try_get("value")?,
        hlc: row.try_get("hlc")?,
        base: row.try_get("base")?,
    }
    .into_logged()
}
