//! A real server on a loopback port (SQLite or PostgreSQL) and devices with their own store
//! files, logged in as real users, syncing with the real client.

use std::path::PathBuf;
use std::sync::Arc;

use duly_core::clock::{Clock, SystemClock};
use duly_core::model::{Colleague, ColleagueInput, Role as ColleagueRole, WriteCtx};
use duly_core::sync::{SyncClient, SyncOutcome, sync_once};
use duly_core::{Store, StoreOptions};
use duly_protocol::{NewUser, Role, User};
use duly_server::{Config, RunningServer};
use sqlx::Connection;
use tempfile::TempDir;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs one scenario once per backend: the same suite on SQLite and on PostgreSQL. The
/// PostgreSQL run needs a server, which `cargo xtask test` starts (DULY_TEST_POSTGRES).
#[macro_export]
macro_rules! on_both_backends {
    ($scenario:ident) => {
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$scenario($crate::sync_support::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: cargo xtask test starts one and runs ignored tests"]
            async fn postgres() {
                super::$scenario($crate::sync_support::Backend::Postgres).await
            }
        }
    };
}

/// A plain HTTP client for raw calls (reqwest needs the process's TLS provider first).
pub fn http() -> reqwest::ClientBuilder {
    duly_core::sync::install_crypto();
    reqwest::Client::builder()
}

#[derive(Debug)]
pub struct TestServer {
    pub server: RunningServer,
    pub backend: Backend,
    _dir: TempDir,
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    /// A server whose settings the test changes first.
    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("server.db").display()),
            Backend::Postgres => fresh_postgres_database().await,
        };
        let mut config = Config::local(database, dir.path().join("blobs"));
        adjust(&mut config);
        let server = duly_server::start(config).await.expect("server starts");
        Self { server, backend, _dir: dir }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The server's SQLite database file (none on PostgreSQL).
    pub fn database_file(&self) -> Option<std::path::PathBuf> {
        (self.backend == Backend::Sqlite).then(|| self._dir.path().join("server.db"))
    }

    /// Where the server keeps attachment files.
    pub fn blob_dir(&self) -> std::path::PathBuf {
        self.server.state.config.blob_dir.clone()
    }

    pub async fn user(&self, login: &str, role: Role) -> User {
        let new = NewUser { login: login.into(), name: login.into(), password: PASSWORD.into(), role };
        duly_server::routes::create_user(&self.server.state, new).await.expect("user created")
    }

    /// A logged-in client for a new user of `role` (no store: for admin calls and raw API use).
    pub async fn client(&self, login: &str, role: Role) -> (SyncClient, User) {
        self.user(login, role).await;
        let client = SyncClient::new(&self.url()).expect("client");
        let session = client.login(login, PASSWORD, None).await.expect("login");
        (client.with_token(session.token), session.user)
    }
}

/// A database of its own on the PostgreSQL server named by DULY_TEST_POSTGRES.
async fn fresh_postgres_database() -> String {
    let admin = std::env::var("DULY_TEST_POSTGRES")
        .expect("DULY_TEST_POSTGRES names a PostgreSQL server URL (cargo xtask test starts one and sets it)");
    let name = format!("duly_test_{}", Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to PostgreSQL");
    // The name is ours (hex digits), never input: safe to put in the statement.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    let (base, _) = admin.rsplit_once('/').expect("URL with a database path");
    format!("{base}/{name}")
}

/// One colleague's computer: a store file of its own, logged in to the server.
#[derive(Debug)]
pub struct Device {
    pub store: Store,
    /// This computer's clock (the system's, or one set wrong).
    pub clock: Arc<dyn Clock>,
    pub client: SyncClient,
    pub me: Colleague,
    pub user: User,
    pub path: PathBuf,
    _dir: TempDir,
}

impl Device {
    /// A new user of `role` with a fresh store, logged in.
    pub async fn join(server: &TestServer, login: &str, role: Role) -> Self {
        Self::join_with_clock(server, login, role, Arc::new(SystemClock)).await
    }

    /// As [`Device::join`], on a computer whose clock is `clock`.
    pub async fn join_with_clock(
        server: &TestServer,
        login: &str,
        role: Role,
        clock: Arc<dyn Clock>,
    ) -> Self {
        server.user(login, role).await;
        let device = Self::offline_with_clock(login, clock).await;
        device.log_in(server, login).await
    }

    /// A store used alone, before any server.
    pub async fn offline(name: &str) -> Self {
        Self::offline_with_clock(name, Arc::new(SystemClock)).await
    }

    async fn offline_with_clock(name: &str, clock: Arc<dyn Clock>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("duly.db");
        let store = Store::open_with(&path, options(&clock)).await.expect("store");
        let me = store
            .create_profile(ColleagueInput {
                name: name.into(),
                email: String::new(),
                role: ColleagueRole::Member,
                active: true,
            })
            .await
            .expect("profile");
        let client = SyncClient::new("http://127.0.0.1:1").expect("client");
        let user = User {
            id: Uuid::nil(),
            login: name.into(),
            name: name.into(),
            role: Role::Member,
            active: true,
            colleague_id: None,
        };
        Self { store, clock, client, me, user, path, _dir: dir }
    }

    pub async fn log_in(mut self, server: &TestServer, login: &str) -> Self {
        let client = SyncClient::new(&server.url()).expect("client");
        let session = client.login(login, PASSWORD, Some(self.me.id)).await.expect("login");
        assert_eq!(session.user.colleague_id, Some(self.me.id), "the device's profile stands for the user");
        self.client = client.with_token(session.token);
        self.user = session.user;
        self
    }

    pub fn ctx(&self) -> WriteCtx {
        WriteCtx::window(self.me.id)
    }

    pub async fn sync(&self) -> SyncOutcome {
        sync_once(&self.store, &self.client).await.expect("sync round")
    }

    /// Closes the store and opens it again from its file, as after a crash.
    pub async fn reopen(mut self) -> Self {
        self.store.close().await;
        self.store = Store::open_with(&self.path, options(&self.clock)).await.expect("reopen");
        self
    }
}

fn options(clock: &Arc<dyn Clock>) -> StoreOptions {
    StoreOptions { clock: clock.clone(), ..StoreOptions::default() }
}

/// id, title, status, responsible, customer, deleted_at
type TaskRow = (String, String, String, String, Option<String>, Option<String>);

/// What a store holds, read straight from its file: the rows that must agree across replicas.
pub async fn snapshot(path: &std::path::Path, customers: Option<&[Uuid]>) -> Vec<String> {
    snapshot_of(path, customers, true).await
}

/// As [`snapshot`]; `team` says whether work outside any customer is included (guests have none).
pub async fn snapshot_of(path: &std::path::Path, customers: Option<&[Uuid]>, team: bool) -> Vec<String> {
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open store file");
    let visible = |customer: Option<String>| match (customers, customer) {
        (_, None) => team,
        (None, Some(_)) => true,
        (Some(list), Some(c)) => list.iter().any(|id| id.to_string() == c),
    };
    let mut rows = Vec::new();
    let customers_rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT id, name, deleted_at FROM customers")
            .fetch_all(&mut conn)
            .await
            .expect("customers");
    for (id, name, deleted) in customers_rows {
        if visible(Some(id.clone())) {
            rows.push(format!("customer {id} {name} deleted={}", deleted.is_some()));
        }
    }
    let tasks: Vec<TaskRow> =
        sqlx::query_as("SELECT id, title, status, responsible_id, customer_id, deleted_at FROM tasks")
            .fetch_all(&mut conn)
            .await
            .expect("tasks");
    for (id, title, status, responsible, customer, deleted) in tasks {
        if visible(customer) {
            rows.push(format!("task {id} {title} {status} {responsible} deleted={}", deleted.is_some()));
        }
    }
    let comments: Vec<(String, String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT id, body, customer_id, deleted_at FROM comments")
            .fetch_all(&mut conn)
            .await
            .expect("comments");
    for (id, body, customer, deleted) in comments {
        if visible(customer) {
            rows.push(format!("comment {id} {} deleted={}", body.len(), deleted.is_some()));
        }
    }
    let colleagues: Vec<(String, String)> =
        sqlx::query_as("SELECT id, name FROM colleagues").fetch_all(&mut conn).await.expect("colleagues");
    rows.extend(colleagues.into_iter().map(|(id, name)| format!("colleague {id} {name}")));
    rows.sort();
    rows
}

/// The client seqs a replica has ever used (the outbox's AUTOINCREMENT high-water mark).
pub async fn ops_made(path: &std::path::Path) -> i64 {
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open store file");
    sqlx::query_scalar::<_, i64>("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")
        .fetch_optional(&mut conn)
        .await
        .expect("sequence")
        .unwrap_or(0)
}
