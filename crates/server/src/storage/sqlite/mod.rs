//! The embedded database (P6): one file, WAL, one writer at a time (`BEGIN IMMEDIATE`).

use std::str::FromStr;

use async_trait::async_trait;
use duly_protocol::{LoggedOp, Role, Scope, User};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use uuid::Uuid;

use super::{
    Credentials, OpRow, PushTransaction, Storage, StorageError, StorageResult, WireOp, op_columns,
    parse_role, parse_uuid, scope_columns, scope_from_columns, scope_keys,
};

mod push;
mod snapshot;

use push::SqlitePush;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/server-sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStorage {
    pool: SqlitePool,
    /// One writer at a time, queued here in order: left to SQLite, waiting writers poll with
    /// growing sleeps (the busy handler) and a busy second's tail latency runs to seconds.
    writing: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// The background checkpointer, stopped when the last handle on this storage goes.
    _checkpointer: std::sync::Arc<StopOnDrop>,
}

#[derive(Debug)]
struct StopOnDrop(tokio::task::AbortHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl SqliteStorage {
    pub async fn connect(url: &str) -> StorageResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(30))
            // Checkpoints run in the background (`checkpoint_in_background`), never inside the
            // commit of the push that happens to cross SQLite's threshold.
            .pragma("wal_autocheckpoint", "0");
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        let checkpointer = tokio::spawn(checkpoint_in_background(pool.clone())).abort_handle();
        Ok(Self {
            pool,
            writing: std::sync::Arc::new(tokio::sync::Mutex::new(())),
            _checkpointer: std::sync::Arc::new(StopOnDrop(checkpointer)),
        })
    }
}

/// The pull's statements for a select list (a macro so `concat!` keeps the fixed ones static).
/// The scope filter is the key list; the shapes only steer the planner:
/// - one scope (a bootstrap) walks ops_by_scope;
/// - a few scopes (a member's) read each scope's ops_by_scope range after `since` and merge
///   them in seq order up to the limit ([`PullSql::merged`]): a member far behind reads the
///   ops they may see, not the whole log after their cursor;
/// - many (a manager's thousands of customers) walk the seq order, the key being an expression
///   that no index serves (one range per customer would be thousands of index seeks).
macro_rules! pull_sql {
    ($($select:tt)+) => {
        PullSql {
            select: concat!($($select)+),
            one_scope: concat!(
                "SELECT ",
                $($select)+,
                " FROM ops WHERE scope_kind = ?4 AND scope_id = ?5 AND seq > ?1
                   AND scope_kind || ':' || scope_id IN (SELECT value FROM json_each(?2))
                 ORDER BY seq LIMIT ?3"
            ),
            several: concat!(
                "SELECT ",
                $($select)+,
                " FROM ops WHERE seq > ?1
                   AND scope_kind || ':' || scope_id IN (SELECT value FROM json_each(?2))
                 ORDER BY seq LIMIT ?3"
            ),
        }
    };
}

/// A pull's statements for one select list (see [`pull_sql!`]).
struct PullSql {
    select: &'static str,
    one_scope: &'static str,
    several: &'static str,
}

/// The most scopes read as a merge of their ranges; SQLite allows 500 terms in a compound
/// select, and a manager's thousands of customers are better read in seq order.
const MOST_MERGED_SCOPES: usize = 64;

impl PullSql {
    /// One ops_by_scope range per scope, `UNION ALL`ed under one `ORDER BY seq LIMIT`: SQLite
    /// merges the branches, each already in seq order, and stops at the limit. ?1 is `since`,
    /// ?2 the limit, then each scope's kind and id.
    fn merged(&self, scopes: usize) -> String {
        let branches: Vec<String> = (0..scopes)
            .map(|n| {
                format!(
                    "SELECT {} FROM ops WHERE scope_kind = ?{} AND scope_id = ?{} AND seq > ?1",
                    self.select,
                    2 * n + 3,
                    2 * n + 4
                )
            })
            .collect();
        format!("{} ORDER BY seq LIMIT ?2", branches.join(" UNION ALL "))
    }
}

/// A [`WireOp`]'s columns: the op's JSON built from its stored columns, the value text spliced
/// in as logged (it is the server's own serde_json text), free text quoted by `json_quote`
/// (serde_json's escapes). Optional members are left out when NULL, as serde leaves them.
macro_rules! wire_columns {
    () => {
        r#"seq, octet_length(value) AS value_bytes, concat(
            '{"seq":', seq, ',"author":"', author, '","op":{"op_id":{"client_id":"', client_id,
            '","client_seq":', client_seq, '},"scope":{"kind":"', scope_kind, '"',
            CASE WHEN scope_id <> '' THEN concat(',"id":"', scope_id, '"') END,
            '},"entity":"', entity, '","entity_id":"', entity_id, '","kind":"', kind, '"',
            CASE WHEN field IS NOT NULL THEN concat(',"field":', json_quote(field)) END,
            ',"value":', value, ',"hlc":', json_quote(hlc),
            CASE WHEN base IS NOT NULL THEN concat(',"base":', json_quote(base)) END,
            '}}') AS json"#
    };
}

impl SqliteStorage {
    /// Reads one page of the log in the scopes after `since` with one of [`pull_sql!`]'s
    /// shapes: the read every pull shape shares.
    async fn read_page<O>(
        &self,
        scopes: &[Scope],
        since: i64,
        limit: u32,
        sql: PullSql,
    ) -> StorageResult<Vec<O>>
    where
        O: for<'r> sqlx::FromRow<'r, SqliteRow> + Send + Unpin,
    {
        let rows = match scopes {
            [] => Vec::new(),
            [only] => {
                let (kind, id) = scope_columns(only);
                sqlx::query_as::<_, O>(sql.one_scope)
                    .bind(since)
                    .bind(scope_keys(scopes))
                    .bind(i64::from(limit))
                    .bind(kind)
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?
            }
            few if few.len() <= MOST_MERGED_SCOPES => {
                // Built from the select list and numbered parameters only: nothing of the
                // request is in the text.
                let mut few = few.to_vec();
                few.sort();
                few.dedup();
                let text = sqlx::AssertSqlSafe(sql.merged(few.len()));
                let mut query = sqlx::query_as::<_, O>(text).bind(since).bind(i64::from(limit));
                for scope in &few {
                    let (kind, id) = scope_columns(scope);
                    query = query.bind(kind).bind(id);
                }
                query.fetch_all(&self.pool).await?
            }
            _ => {
                sqlx::query_as::<_, O>(sql.several)
                    .bind(since)
                    .bind(scope_keys(scopes))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(rows)
    }
}

/// How often the log is copied from the WAL into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Copies the WAL into the database file once a second, while pushes go on: a passive
/// checkpoint waits for no reader or writer, and the WAL is reused from its start once a
/// checkpoint has caught up. Ends when the pool closes or the storage is dropped.
async fn checkpoint_in_background(pool: SqlitePool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(%error, "background checkpoint");
        }
    }
}

fn user_from(row: &SqliteRow) -> StorageResult<User> {
    let colleague: Option<String> = row.try_get("colleague_id")?;
    Ok(User {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        login: row.try_get("login")?,
        name: row.try_get("name")?,
        role: parse_role(&row.try_get::<String, _>("role")?)?,
        active: row.try_get::<i64, _>("active")? != 0,
        colleague_id: colleague.as_deref().map(parse_uuid).transpose()?,
    })
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn add_user(&self, user: &User, password_hash: &str) -> StorageResult<()> {
        let result = sqlx::query(
            "INSERT INTO users (id, login, name, role, active, password_hash, colleague_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(user.id.to_string())
        .bind(&user.login)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(i64::from(user.active))
        .bind(password_hash)
        .bind(user.colleague_id.map(|c| c.to_string()))
        .bind(now())
        .execute(&self.pool)
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StorageError::Conflict(user.login.clone()))
            }
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    async fn credentials(&self, login: &str) -> StorageResult<Option<Credentials>> {
        let row = sqlx::query(
            "SELECT id, login, name, role, active, colleague_id, password_hash FROM users WHERE login = ?",
        )
        .bind(login)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Credentials { user: user_from(&row)?, password_hash: row.try_get("password_hash")? })
        })
        .transpose()
    }

    async fn user(&self, id: Uuid) -> StorageResult<Option<User>> {
        let row = sqlx::query("SELECT id, login, name, role, active, colleague_id FROM users WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn user_by_login(&self, login: &str) -> StorageResult<Option<User>> {
        Ok(self.credentials(login).await?.map(|c| c.user))
    }

    async fn users(&self) -> StorageResult<Vec<User>> {
        let rows =
            sqlx::query("SELECT id, login, name, role, active, colleague_id FROM users ORDER BY login")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(user_from).collect()
    }

    async fn set_password(&self, id: Uuid, password_hash: &str) -> StorageResult<bool> {
        let _writing = self.writing.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        // A new password ends the sessions the old one opened.
        sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(id.to_string()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_active(&self, id: Uuid, active: bool) -> StorageResult<bool> {
        let _writing = self.writing.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query("UPDATE users SET active = ? WHERE id = ?")
            .bind(i64::from(active))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_role(&self, id: Uuid, role: Role) -> StorageResult<bool> {
        let done = sqlx::query("UPDATE users SET role = ? WHERE id = ?")
            .bind(role.as_str())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn bind_colleague(&self, id: Uuid, colleague_id: Uuid) -> StorageResult<Option<Uuid>> {
        // Only a colleague no other user stands for, and that nobody but this user created:
        // a record the server has seen from someone else is theirs (H1).
        sqlx::query(
            "UPDATE users SET colleague_id = ?1 WHERE id = ?2 AND colleague_id IS NULL
             AND NOT EXISTS (SELECT 1 FROM users WHERE colleague_id = ?1)
             AND NOT EXISTS (SELECT 1 FROM entities WHERE entity_id = ?1
                 AND (entity IS NULL OR entity <> 'colleague' OR creator IS NULL OR creator <> ?2))",
        )
        .bind(colleague_id.to_string())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(self.user(id).await?.and_then(|u| u.colleague_id))
    }

    async fn set_colleague(&self, id: Uuid, colleague_id: Option<Uuid>) -> StorageResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET colleague_id = ?1 WHERE id = ?2
             AND (?1 IS NULL OR EXISTS (SELECT 1 FROM entities WHERE entity_id = ?1 AND entity = 'colleague'))",
        )
        .bind(colleague_id.map(|c| c.to_string()))
        .bind(id.to_string())
        .execute(&self.pool)
        .await;
        match done {
            Ok(done) => Ok(done.rows_affected() == 1),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StorageError::Conflict("a user standing for that colleague".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn add_session(&self, token_hash: &str, user_id: Uuid, keep: u32) -> StorageResult<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let at = now();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_used_at) VALUES (?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(user_id.to_string())
        .bind(&at)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        // The newest `keep` stay; a forgotten device's session goes first.
        sqlx::query(
            "DELETE FROM sessions WHERE user_id = ? AND token_hash NOT IN
                (SELECT token_hash FROM sessions WHERE user_id = ? ORDER BY created_at DESC, token_hash LIMIT ?)",
        )
        .bind(user_id.to_string())
        .bind(user_id.to_string())
        .bind(i64::from(keep.max(1)))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str) -> StorageResult<Option<(User, super::SessionTimes)>> {
        let row = sqlx::query(
            "SELECT u.id, u.login, u.name, u.role, u.active, u.colleague_id, s.created_at,
                    COALESCE(s.last_used_at, s.created_at)
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND u.active = 1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let times = super::SessionTimes { created_at: row.try_get(6)?, last_used_at: row.try_get(7)? };
        Ok(Some((user_from(&row)?, times)))
    }

    async fn touch_session(&self, token_hash: &str, at: &str) -> StorageResult<()> {
        sqlx::query("UPDATE sessions SET last_used_at = ? WHERE token_hash = ?")
            .bind(at)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn end_session(&self, token_hash: &str) -> StorageResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn grant(&self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()> {
        let _writing = self.writing.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for customer in customers {
            sqlx::query("INSERT OR IGNORE INTO grants (user_id, customer_id) VALUES (?, ?)")
                .bind(user_id.to_string())
                .bind(customer.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn revoke(&self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()> {
        let _writing = self.writing.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for customer in customers {
            sqlx::query("DELETE FROM grants WHERE user_id = ? AND customer_id = ?")
                .bind(user_id.to_string())
                .bind(customer.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn grants_of(&self, user_id: Uuid) -> StorageResult<Vec<Uuid>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT customer_id FROM grants WHERE user_id = ? ORDER BY customer_id")
                .bind(user_id.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|id| parse_uuid(id)).collect()
    }

    async fn shares_of(&self, customer_id: Uuid) -> StorageResult<Vec<User>> {
        let rows = sqlx::query(
            "SELECT u.id, u.login, u.name, u.role, u.active, u.colleague_id
             FROM grants g JOIN users u ON u.id = g.user_id WHERE g.customer_id = ? ORDER BY u.login",
        )
        .bind(customer_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from).collect()
    }

    async fn customers(&self) -> StorageResult<Vec<Uuid>> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT customer_id FROM customers ORDER BY customer_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|id| parse_uuid(id)).collect()
    }

    async fn known_customers(&self, ids: &[Uuid]) -> StorageResult<std::collections::HashSet<Uuid>> {
        let ids = serde_json::to_string(&ids.iter().map(Uuid::to_string).collect::<Vec<_>>())
            .unwrap_or_else(|_| "[]".into());
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT customer_id FROM customers WHERE customer_id IN (SELECT value FROM json_each(?))",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|id| parse_uuid(id)).collect()
    }

    async fn entity_scope(&self, entity_id: Uuid) -> StorageResult<Option<Scope>> {
        let row = sqlx::query("SELECT scope_kind, scope_id FROM entities WHERE entity_id = ?")
            .bind(entity_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| scope_from_columns(&r.try_get::<String, _>(0)?, &r.try_get::<String, _>(1)?)).transpose()
    }

    async fn begin_push(&self) -> StorageResult<Box<dyn PushTransaction>> {
        let writing = self.writing.clone().lock_owned().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Box::new(SqlitePush { tx, _writing: writing }))
    }

    async fn pull(&self, scopes: &[Scope], since: i64, limit: u32) -> StorageResult<Vec<LoggedOp>> {
        let rows: Vec<OpRow> = self.read_page(scopes, since, limit, pull_sql!(op_columns!())).await?;
        rows.into_iter().map(OpRow::into_logged).collect()
    }

    async fn pull_wire(&self, scopes: &[Scope], since: i64, limit: u32) -> StorageResult<Vec<WireOp>> {
        self.read_page(scopes, since, limit, pull_sql!(wire_columns!())).await
    }

    async fn snapshot(
        &self,
        scopes: &[Scope],
        since: i64,
        upto: i64,
        limit: u32,
    ) -> StorageResult<Vec<LoggedOp>> {
        self.snapshot_page(scopes, since, upto, limit).await
    }

    async fn snapshot_size(&self, scopes: &[Scope], upto: i64) -> StorageResult<i64> {
        self.snapshot_count(scopes, upto).await
    }

    async fn current_ops_empty(&self) -> StorageResult<bool> {
        self.no_current_ops().await
    }

    async fn log_after(&self, since: i64, limit: u32) -> StorageResult<Vec<LoggedOp>> {
        self.log_page_after(since, limit).await
    }

    async fn latest_seq(&self) -> StorageResult<i64> {
        Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM ops")
            .fetch_one(&self.pool)
            .await?
            .unwrap_or(0))
    }

    async fn logged_seqs(&self, client_id: Uuid) -> StorageResult<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT client_seq FROM ops WHERE client_id = ? ORDER BY client_seq")
            .bind(client_id.to_string())
            .fetch_all(&self.pool)
            .await?)
    }

    async fn add_blob(&self, user_id: Uuid, sha256: &str, size: i64, scope: Scope) -> StorageResult<bool> {
        // The scope and the uploader in one transaction.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM blob_scopes WHERE sha256 = ? LIMIT 1")
            .bind(sha256)
            .fetch_optional(&mut *tx)
            .await?;
        let (kind, id) = scope_columns(&scope);
        sqlx::query(
            "INSERT OR IGNORE INTO blob_scopes (sha256, size, scope_kind, scope_id) VALUES (?, ?, ?, ?)",
        )
        .bind(sha256)
        .bind(size)
        .bind(kind)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT OR IGNORE INTO blob_uploads (user_id, sha256, size) VALUES (?, ?, ?)")
            .bind(user_id.to_string())
            .bind(sha256)
            .bind(size)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(known.is_none())
    }

    async fn blob_usage(&self, user_id: Uuid, except: &str) -> StorageResult<i64> {
        let used: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(size) AS BIGINT) FROM blob_uploads WHERE user_id = ? AND sha256 <> ?",
        )
        .bind(user_id.to_string())
        .bind(except)
        .fetch_one(&self.pool)
        .await?;
        Ok(used.unwrap_or(0))
    }

    async fn blob_scopes(&self, sha256: &str) -> StorageResult<Vec<Scope>> {
        let rows = sqlx::query("SELECT scope_kind, scope_id FROM blob_scopes WHERE sha256 = ?")
            .bind(sha256)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| scope_from_columns(&r.try_get::<String, _>(0)?, &r.try_get::<String, _>(1)?))
            .collect()
    }
}
