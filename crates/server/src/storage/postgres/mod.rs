//! The shared database: many connections, pushes serialised by one advisory lock so that seqs
//! become visible in the order they were assigned.

use async_trait::async_trait;
use duly_protocol::{LoggedOp, Role, Scope, User};
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use uuid::Uuid;

use super::{
    Credentials, OpRow, PushTransaction, Storage, StorageError, StorageResult, WireOp, op_columns,
    parse_role, parse_uuid, scope_columns, scope_from_columns, scope_keys,
};

mod push;

use push::PgPush;

/// The advisory lock every push holds until it commits (`pg_advisory_xact_lock`): a number of
/// Duly's own ("DulyPush" in ASCII), so no other user of the database takes it by chance.
const PUSH_LOCK: i64 = 0x4475_6c79_5075_7368;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/server-postgres");

#[derive(Debug, Clone)]
pub struct PostgresStorage {
    pool: PgPool,
}

impl PostgresStorage {
    pub async fn connect(url: &str) -> StorageResult<Self> {
        let pool = PgPoolOptions::new().max_connections(16).connect(url).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }
}

fn user_from(row: &PgRow) -> StorageResult<User> {
    let colleague: Option<String> = row.try_get("colleague_id")?;
    Ok(User {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        login: row.try_get("login")?,
        name: row.try_get("name")?,
        role: parse_role(&row.try_get::<String, _>("role")?)?,
        active: row.try_get("active")?,
        colleague_id: colleague.as_deref().map(parse_uuid).transpose()?,
    })
}

fn scope_from_row(row: &PgRow) -> StorageResult<Scope> {
    scope_from_columns(&row.try_get::<String, _>(0)?, &row.try_get::<String, _>(1)?)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The pull's statements for a select list (a macro so `concat!` keeps the fixed one static).
/// The scope filter is the key list; the shapes only steer the planner: up to
/// [`MOST_MERGED_SCOPES`] scopes (a bootstrap's one, a member's few) read each scope's
/// ops_by_scope range after `since`, merged in seq order up to the limit (a Merge Append), so
/// a member far behind reads the ops they may see, not the whole log after their cursor; a
/// manager's thousands of customers walk the seq order.
macro_rules! pull_sql {
    ($($select:tt)+) => {
        PullSql {
            select: concat!($($select)+),
            several: concat!(
                "SELECT ",
                $($select)+,
                " FROM ops
                 WHERE seq > $1
                   AND scope_kind || ':' || scope_id IN (SELECT json_array_elements_text($2::json))
                 ORDER BY seq LIMIT $3"
            ),
        }
    };
}

/// A pull's statements for one select list (see [`pull_sql!`]).
struct PullSql {
    select: &'static str,
    several: &'static str,
}

/// The most scopes read as a merge of their ranges.
const MOST_MERGED_SCOPES: usize = 64;

impl PullSql {
    /// One ops_by_scope range per scope, `UNION ALL`ed under one `ORDER BY seq LIMIT`. $1 is
    /// `since`, $2 the limit, then each scope's kind and id.
    fn merged(&self, scopes: usize) -> String {
        let branches: Vec<String> = (0..scopes)
            .map(|n| {
                format!(
                    "SELECT {} FROM ops WHERE scope_kind = ${} AND scope_id = ${} AND seq > $1 ORDER BY seq LIMIT $2",
                    self.select,
                    2 * n + 3,
                    2 * n + 4
                )
            })
            .collect();
        match branches.as_slice() {
            // One branch is the page already.
            [only] => only.clone(),
            _ => format!("({}) ORDER BY seq LIMIT $2", branches.join(") UNION ALL (")),
        }
    }
}

/// A [`WireOp`]'s columns: the op's JSON built from its stored columns, the value text spliced
/// in as logged (the server's own serde_json text), free text quoted by `to_json` (serde_json's
/// escapes). `concat` skips NULLs, so an absent field or base is left out, as serde leaves it.
macro_rules! wire_columns {
    () => {
        r#"seq, octet_length(value)::bigint AS value_bytes, concat(
            '{"seq":', seq, ',"author":"', author, '","op":{"op_id":{"client_id":"', client_id,
            '","client_seq":', client_seq, '},"scope":{"kind":"', scope_kind, '"',
            CASE WHEN scope_id <> '' THEN ',"id":"' || scope_id || '"' END,
            '},"entity":"', entity, '","entity_id":"', entity_id, '","kind":"', kind, '"',
            ',"field":' || to_json(field)::text,
            ',"value":', value, ',"hlc":', to_json(hlc)::text,
            ',"base":' || to_json(base)::text,
            '}}') AS json"#
    };
}

impl PostgresStorage {
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
        O: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
    {
        if scopes.is_empty() {
            return Ok(Vec::new());
        }
        if scopes.len() > MOST_MERGED_SCOPES {
            return Ok(sqlx::query_as::<_, O>(sql.several)
                .bind(since)
                .bind(scope_keys(scopes))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?);
        }
        let mut few = scopes.to_vec();
        few.sort();
        few.dedup();
        // Built from the select list and numbered parameters only: nothing of the request is
        // in the text.
        let text = sqlx::AssertSqlSafe(sql.merged(few.len()));
        let mut query = sqlx::query_as::<_, O>(text).bind(since).bind(i64::from(limit));
        for scope in &few {
            let (kind, id) = scope_columns(scope);
            query = query.bind(kind).bind(id);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn add_user(&self, user: &User, password_hash: &str) -> StorageResult<()> {
        let result = sqlx::query(
            "INSERT INTO users (id, login, name, role, active, password_hash, colleague_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(user.id.to_string())
        .bind(&user.login)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(user.active)
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
            "SELECT id, login, name, role, active, colleague_id, password_hash FROM users WHERE login = $1",
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
        let row = sqlx::query("SELECT id, login, name, role, active, colleague_id FROM users WHERE id = $1")
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
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        // A new password ends the sessions the old one opened.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_active(&self, id: Uuid, active: bool) -> StorageResult<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(active)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_role(&self, id: Uuid, role: Role) -> StorageResult<bool> {
        let done = sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
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
            "UPDATE users SET colleague_id = $1 WHERE id = $2 AND colleague_id IS NULL
             AND NOT EXISTS (SELECT 1 FROM users WHERE colleague_id = $1)
             AND NOT EXISTS (SELECT 1 FROM entities WHERE entity_id = $1
                 AND (entity IS NULL OR entity <> 'colleague' OR creator IS NULL OR creator <> $2))",
        )
        .bind(colleague_id.to_string())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(self.user(id).await?.and_then(|u| u.colleague_id))
    }

    async fn set_colleague(&self, id: Uuid, colleague_id: Option<Uuid>) -> StorageResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET colleague_id = $1 WHERE id = $2
             AND ($1 IS NULL OR EXISTS (SELECT 1 FROM entities WHERE entity_id = $1 AND entity = 'colleague'))",
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
        let mut tx = self.pool.begin().await?;
        let at = now();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_used_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id.to_string())
        .bind(&at)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        // The newest `keep` stay; a forgotten device's session goes first.
        sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND token_hash NOT IN
                (SELECT token_hash FROM sessions WHERE user_id = $2 ORDER BY created_at DESC, token_hash LIMIT $3)",
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
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.active",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let times = super::SessionTimes { created_at: row.try_get(6)?, last_used_at: row.try_get(7)? };
        Ok(Some((user_from(&row)?, times)))
    }

    async fn touch_session(&self, token_hash: &str, at: &str) -> StorageResult<()> {
        sqlx::query("UPDATE sessions SET last_used_at = $1 WHERE token_hash = $2")
            .bind(at)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn end_session(&self, token_hash: &str) -> StorageResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn grant(&self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()> {
        let mut tx = self.pool.begin().await?;
        for customer in customers {
            sqlx::query("INSERT INTO grants (user_id, customer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(user_id.to_string())
                .bind(customer.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn revoke(&self, user_id: Uuid, customers: &[Uuid]) -> StorageResult<()> {
        let mut tx = self.pool.begin().await?;
        for customer in customers {
            sqlx::query("DELETE FROM grants WHERE user_id = $1 AND customer_id = $2")
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
            sqlx::query_scalar("SELECT customer_id FROM grants WHERE user_id = $1 ORDER BY customer_id")
                .bind(user_id.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|id| parse_uuid(id)).collect()
    }

    async fn shares_of(&self, customer_id: Uuid) -> StorageResult<Vec<User>> {
        let rows = sqlx::query(
            "SELECT u.id, u.login, u.name, u.role, u.active, u.colleague_id
             FROM grants g JOIN users u ON u.id = g.user_id WHERE g.customer_id = $1 ORDER BY u.login",
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
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT customer_id FROM customers WHERE customer_id = ANY($1)")
                .bind(ids)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|id| parse_uuid(id)).collect()
    }

    async fn entity_scope(&self, entity_id: Uuid) -> StorageResult<Option<Scope>> {
        let row = sqlx::query("SELECT scope_kind, scope_id FROM entities WHERE entity_id = $1")
            .bind(entity_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(scope_from_row).transpose()
    }

    async fn begin_push(&self) -> StorageResult<Box<dyn PushTransaction>> {
        let mut tx = self.pool.begin().await?;
        // The push lock: pushes run one at a time, and it is held to commit (a transaction-level
        // advisory lock is released only after the commit is visible), so a seq drawn here is
        // never overtaken by a later one becoming visible first. Taken before reading any fact,
        // so each statement's snapshot (READ COMMITTED) includes every earlier batch. Unlike a
        // table lock it stops nothing else: no autovacuum, no other statement on the log.
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(PUSH_LOCK).execute(&mut *tx).await?;
        Ok(Box::new(PgPush { tx }))
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
        let rows: Vec<OpRow> = sqlx::query_as(concat!(
            "SELECT ",
            op_columns!(),
            " FROM ops WHERE seq IN (
                SELECT seq FROM current_ops WHERE seq > $1 AND seq <= $4
                   AND scope_kind || ':' || scope_id IN (SELECT json_array_elements_text($2::json))
                 ORDER BY seq LIMIT $3)
             ORDER BY seq"
        ))
        .bind(since)
        .bind(scope_keys(scopes))
        .bind(i64::from(limit))
        .bind(upto)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(OpRow::into_logged).collect()
    }

    async fn snapshot_size(&self, scopes: &[Scope], upto: i64) -> StorageResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM current_ops WHERE seq <= $2
               AND scope_kind || ':' || scope_id IN (SELECT json_array_elements_text($1::json))",
        )
        .bind(scope_keys(scopes))
        .bind(upto)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn current_ops_empty(&self) -> StorageResult<bool> {
        let any: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM current_ops LIMIT 1").fetch_optional(&self.pool).await?;
        Ok(any.is_none())
    }

    async fn log_after(&self, since: i64, limit: u32) -> StorageResult<Vec<LoggedOp>> {
        let rows: Vec<OpRow> = sqlx::query_as(concat!(
            "SELECT ",
            op_columns!(),
            " FROM ops WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(since)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(OpRow::into_logged).collect()
    }

    async fn latest_seq(&self) -> StorageResult<i64> {
        Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM ops")
            .fetch_one(&self.pool)
            .await?
            .unwrap_or(0))
    }

    async fn logged_seqs(&self, client_id: Uuid) -> StorageResult<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT client_seq FROM ops WHERE client_id = $1 ORDER BY client_seq")
            .bind(client_id.to_string())
            .fetch_all(&self.pool)
            .await?)
    }

    async fn add_blob(&self, user_id: Uuid, sha256: &str, size: i64, scope: Scope) -> StorageResult<bool> {
        // The scope and the uploader in one transaction.
        let mut tx = self.pool.begin().await?;
        let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM blob_scopes WHERE sha256 = $1)")
            .bind(sha256)
            .fetch_one(&mut *tx)
            .await?;
        let (kind, id) = scope_columns(&scope);
        sqlx::query(
            "INSERT INTO blob_scopes (sha256, size, scope_kind, scope_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(sha256)
        .bind(size)
        .bind(kind)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO blob_uploads (user_id, sha256, size) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(user_id.to_string())
        .bind(sha256)
        .bind(size)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(!known)
    }

    async fn blob_usage(&self, user_id: Uuid, except: &str) -> StorageResult<i64> {
        let used: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(size) AS BIGINT) FROM blob_uploads WHERE user_id = $1 AND sha256 <> $2",
        )
        .bind(user_id.to_string())
        .bind(except)
        .fetch_one(&self.pool)
        .await?;
        Ok(used.unwrap_or(0))
    }

    async fn blob_scopes(&self, sha256: &str) -> StorageResult<Vec<Scope>> {
        let rows = sqlx::query("SELECT scope_kind, scope_id FROM blob_scopes WHERE sha256 = $1")
            .bind(sha256)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(scope_from_row).collect()
    }
}
