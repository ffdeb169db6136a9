//! The look-ups every request makes, answered from memory: a session's user, a user's grants,
//! the list of customers (a manager reads them all), the newest seq, and the newest ops as
//! their pull texts ([`Tail`]).
//!
//! Every change made through this server drops what it makes stale, after it is committed, so
//! it takes effect at once. Changes made by another process (the admin command, a second
//! server on the same PostgreSQL) are seen once an entry is older than [`FRESH_FOR`], as the
//! event stream already looks at its session again on its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use duly_protocol::{LoggedOp, Operation, Role, Scope, User};
use uuid::Uuid;

use super::tail::{Tail, TailOp};
use super::{
    Credentials, CurrentOp, LogEntry, PushTransaction, Registration, SessionTimes, Storage, StorageResult,
    WireOp,
};
use crate::rules::PushFacts;

/// How long a remembered answer is trusted without asking the database again: the bound on how
/// late a change made by another process is seen here.
pub const FRESH_FOR: Duration = Duration::from_secs(5);

/// How often the newest seq is read from the database as well (pushes logged by another server
/// on the same database); this server's own commits set it at once.
const LATEST_SEQ_READ_EVERY: Duration = Duration::from_secs(1);

/// The most sessions remembered; past it, the stale ones go, and if that is not enough, all.
const MAX_SESSIONS: usize = 100_000;

/// A storage with the request path's look-ups in memory, in front of the real one.
#[derive(Debug)]
pub struct Cached {
    inner: Arc<dyn Storage>,
    memory: Arc<Memory>,
}

#[derive(Debug)]
struct Fresh<T> {
    value: T,
    at: Instant,
}

impl<T: Clone> Fresh<T> {
    fn new(value: T) -> Self {
        Self { value, at: Instant::now() }
    }

    fn get(&self) -> Option<T> {
        (self.at.elapsed() < FRESH_FOR).then(|| self.value.clone())
    }
}

#[derive(Debug)]
struct Memory {
    sessions: Mutex<HashMap<String, Fresh<(User, SessionTimes)>>>,
    grants: Mutex<HashMap<Uuid, Fresh<Vec<Uuid>>>>,
    customers: Mutex<Option<Fresh<Arc<Vec<Uuid>>>>>,
    /// Counts the changes: an answer read from the database while one was committed may be the
    /// old one, and is not kept.
    generation: AtomicU64,
    latest_seq: AtomicI64,
    latest_seq_read_at: Mutex<Instant>,
    /// The newest ops as their pull texts: a pull near the head is served from here.
    tail: Mutex<Tail>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Memory {
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether nothing changed since `generation` was read.
    fn unchanged_since(&self, generation: u64) -> bool {
        self.generation() == generation
    }

    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Everything remembered about a user: their sessions and grants.
    fn forget_user(&self, id: Uuid) {
        self.changed();
        locked(&self.sessions).retain(|_, fresh| fresh.value.0.id != id);
        locked(&self.grants).remove(&id);
    }

    fn logged(&self, seq: i64) {
        self.latest_seq.fetch_max(seq, Ordering::AcqRel);
    }
}

impl Cached {
    pub async fn new(inner: Arc<dyn Storage>) -> StorageResult<Self> {
        let latest_seq = inner.latest_seq().await?;
        let memory = Memory {
            sessions: Mutex::default(),
            grants: Mutex::default(),
            customers: Mutex::default(),
            generation: AtomicU64::new(0),
            latest_seq: AtomicI64::new(latest_seq),
            latest_seq_read_at: Mutex::new(Instant::now()),
            tail: Mutex::new(Tail::new(latest_seq)),
        };
        Ok(Self { inner, memory: Arc::new(memory) })
    }

    /// The customers the log has seen, shared rather than copied.
    pub async fn customer_list(&self) -> StorageResult<Arc<Vec<Uuid>>> {
        if let Some(list) = locked(&self.memory.customers).as_ref().and_then(Fresh::get) {
            return Ok(list);
        }
        let generation = self.memory.generation();
        let list = Arc::new(self.inner.customers().await?);
        if self.memory.unchanged_since(generation) {
            *locked(&self.memory.customers) = Some(Fresh::new(list.clone()));
        }
        Ok(list)
    }
}

#[async_trait]
impl Storage for Cached {
    async fn add_user(&self, user: &User, password_hash: &str) -> StorageResult<()> {
        self.inner.add_user(user, password_hash).await
    }

    async fn credentials(&self, login: &str) -> StorageResult<Option<Credentials>> {
        self.inner.credentials(login).await
    }

    async fn user(&self, id: Uuid) -> StorageResult<Option<User>> {
        self.inner.user(id).await
    }

    async fn user_by_login(&self, login: &str) -> StorageResult<Option<User>> {
        self.inner.user_by_login(login).await
    }

    async fn users(&self) -> StorageResult<Vec<User>> {
        self.inner.users().await
    }

    async fn set_password(&self, id: Uuid, password_hash: &str) -> StorageResult<bool> {
        let done = self.inner.set_password(id, password_hash).await;
        self.memory.forget_user(id);
        done
    }

    async fn set_active(&self, id: Uuid, active: bool) -> StorageResult<bool> {
        let done = self.inner.set_active(id, active).await;
        self.memory.forget_user(id);
        done
    }

    async fn set_role(&self, id: Uuid, role: Role) -> StorageResult<bool> {
        let done = self.inner.set_role(id, role).await;
        self.memory.forget_user(id);
        done
    }

    async fn bind_colleague(&self, id: Uuid, colleague_id: Uuid) -> StorageResult<Option<Uuid>> {
        let done = self.inner.bind_colleague(id, colleague_id).await;
        self.memory.forget_user(id);
        done
    }

    async fn set_colleague(&self, id: Uuid, colleague_id: Option<Uuid>) -> StorageResult<bool> {
        let done = self.inner.set_colleague(id, colleague_id).await;
        self.memory.forget_user(id);
        done
    }

    async fn add_session(&self, token_hash: &str, user_id: Uuid, keep: u32) -> StorageResult<()> {
        // A new session may end the user's oldest ones.
        let done = self.inner.add_session(token_hash, user_id, keep).await;
        self.memory.forget_user(user_id);
        done
    }

    async fn session_user(&self, token_hash: &str) -> StorageResult<Option<(User, SessionTimes)>> {
        if let Some(known) = locked(&self.memory.sessions).get(token_hash).and_then(Fresh::get) {
            return Ok(Some(known));
        }
        let generation = self.memory.generation();
        let found = self.inner.session_user(token_hash).await?;
        // Only sessions that exist: unknown tokens are anyone's to make up.
        if let Some(found) = &found
            && self.memory.unchanged_since(generation)
        {
            let mut sessions = locked(&self.memory.sessions);
            if sessions.len() >= MAX_SESSIONS {
                sessions.retain(|_, fresh| fresh.get().is_some());
                if sessions.len() >= MAX_SESSIONS {
                    sessions.clear();
                }
            }
            sessions.insert(token_hash.to_owned(), Fresh::new(found.clone()));
        }
        Ok(found)
    }

    async fn touch_session(&self, token_hash: &str, at: &str) -> StorageResult<()> {
        self.inner.touch_session(token_hash, at).await?;
        if let Some(fresh) = locked(&self.memory.sessions).get_mut(token_hash) {
            fresh.value.1.last_used_at = at.to_owned();
        }
        Ok(())
    }

    async fn end_session(&self, token_hash: &str) -> StorageResult<()> {
        let done = self.inner.end_session(token_hash).await;
        self.memory.changed();
        locked(&self.memory.sessions).remove(token_hash);
        done
    }

    async fn grant(&self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()> {
        let done = self.inner.grant(user_id, customers).await;
        self.memory.forget_user(user_id);
        done
    }

    async fn revoke(&self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()> {
        let done = self.inner.revoke(user_id, customers).await;
        self.memory.forget_user(user_id);
        done
    }

    async fn grants_of(&self, user_id: Uuid) -> StorageResult<Vec<Uuid>> {
        if let Some(granted) = locked(&self.memory.grants).get(&user_id).and_then(Fresh::get) {
            return Ok(granted);
        }
        let generation = self.memory.generation();
        let granted = self.inner.grants_of(user_id).await?;
        if self.memory.unchanged_since(generation) {
            let mut grants = locked(&self.memory.grants);
            if grants.len() >= MAX_SESSIONS {
                grants.clear();
            }
            grants.insert(user_id, Fresh::new(granted.clone()));
        }
        Ok(granted)
    }

    async fn shares_of(&self, customer_id: Uuid) -> StorageResult<Vec<User>> {
        self.inner.shares_of(customer_id).await
    }

    async fn customers(&self) -> StorageResult<Vec<Uuid>> {
        Ok(self.customer_list().await?.as_ref().clone())
    }

    async fn known_customers(&self, ids: &[Uuid]) -> StorageResult<std::collections::HashSet<Uuid>> {
        self.inner.known_customers(ids).await
    }

    async fn entity_scope(&self, entity_id: Uuid) -> StorageResult<Option<Scope>> {
        self.inner.entity_scope(entity_id).await
    }

    async fn begin_push(&self) -> StorageResult<Box<dyn PushTransaction>> {
        let inner = self.inner.begin_push().await?;
        Ok(Box::new(CachedPush {
            inner,
            memory: self.memory.clone(),
            granted: Vec::new(),
            last_seq: 0,
            logged: Vec::new(),
        }))
    }

    async fn pull(&self, scopes: &[Scope], since: i64, limit: u32) -> StorageResult<Vec<LoggedOp>> {
        self.inner.pull(scopes, since, limit).await
    }

    async fn pull_wire(&self, scopes: &[Scope], since: i64, limit: u32) -> StorageResult<Vec<WireOp>> {
        // Whole up to the newest seq known (which the caller read before): the page is the
        // one the database would give.
        let latest_seq = self.memory.latest_seq.load(Ordering::Acquire);
        if let Some(page) = locked(&self.memory.tail).page(scopes, since, limit, latest_seq) {
            return Ok(page);
        }
        self.inner.pull_wire(scopes, since, limit).await
    }

    async fn latest_seq(&self) -> StorageResult<i64> {
        let due = {
            let mut read_at = locked(&self.memory.latest_seq_read_at);
            let due = read_at.elapsed() >= LATEST_SEQ_READ_EVERY;
            if due {
                *read_at = Instant::now();
            }
            due
        };
        if due {
            self.memory.logged(self.inner.latest_seq().await?);
        }
        Ok(self.memory.latest_seq.load(Ordering::Acquire))
    }

    async fn logged_seqs(&self, client_id: Uuid) -> StorageResult<Vec<i64>> {
        self.inner.logged_seqs(client_id).await
    }

    async fn add_blob(&self, user_id: Uuid, sha256: &str, size: i64, scope: Scope) -> StorageResult<bool> {
        self.inner.add_blob(user_id, sha256, size, scope).await
    }

    async fn blob_usage(&self, user_id: Uuid, except: &str) -> StorageResult<i64> {
        self.inner.blob_usage(user_id, except).await
    }

    async fn blob_scopes(&self, sha256: &str) -> StorageResult<Vec<Scope>> {
        self.inner.blob_scopes(sha256).await
    }

    async fn snapshot(
        &self,
        scopes: &[Scope],
        since: i64,
        upto: i64,
        limit: u32,
    ) -> StorageResult<Vec<LoggedOp>> {
        self.inner.snapshot(scopes, since, upto, limit).await
    }

    async fn snapshot_size(&self, scopes: &[Scope], upto: i64) -> StorageResult<i64> {
        self.inner.snapshot_size(scopes, upto).await
    }

    async fn current_ops_empty(&self) -> StorageResult<bool> {
        self.inner.current_ops_empty().await
    }

    async fn log_after(&self, since: i64, limit: u32) -> StorageResult<Vec<LoggedOp>> {
        self.inner.log_after(since, limit).await
    }
}

/// A push that, once committed, adds its ops to the tail, sets the newest seq and drops the
/// grants and customer list its creator grants changed.
struct CachedPush {
    inner: Box<dyn PushTransaction>,
    memory: Arc<Memory>,
    granted: Vec<Uuid>,
    last_seq: i64,
    logged: Vec<TailOp>,
}

#[async_trait]
impl PushTransaction for CachedPush {
    async fn facts(&mut self, user: &User, ops: &[Operation]) -> StorageResult<PushFacts> {
        self.inner.facts(user, ops).await
    }

    async fn grant_creator(&mut self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()> {
        self.granted.push(user_id);
        self.inner.grant_creator(user_id, customers).await
    }

    async fn register(&mut self, entities: &[Registration]) -> StorageResult<()> {
        self.inner.register(entities).await
    }

    async fn log(&mut self, author: Uuid, entries: &[LogEntry<'_>]) -> StorageResult<Vec<i64>> {
        let seqs = self.inner.log(author, entries).await?;
        self.last_seq = seqs.iter().copied().fold(self.last_seq, i64::max);
        for (entry, seq) in entries.iter().zip(&seqs) {
            self.logged.push(TailOp::new(*seq, author, entry.op, &entry.value));
        }
        Ok(seqs)
    }

    async fn keep_current(&mut self, current: &[CurrentOp]) -> StorageResult<()> {
        self.inner.keep_current(current).await
    }

    async fn commit(self: Box<Self>) -> StorageResult<()> {
        let Self { inner, memory, granted, last_seq, mut logged } = *self;
        inner.commit().await?;
        // Into the tail before the newest seq says they are there.
        logged.sort_by_key(|op| op.seq);
        locked(&memory.tail).append(logged);
        memory.logged(last_seq);
        if !granted.is_empty() {
            for user in granted {
                memory.forget_user(user);
            }
            *locked(&memory.customers) = None;
        }
        Ok(())
    }
}
