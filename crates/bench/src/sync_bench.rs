//! Sync figures: a new client bootstrapping a large shared history, one client's round trip
//! (push 10 ops + pull), and the server under many clients pushing and pulling every second.
//! Everything on loopback against the real server on SQLite; the load also on PostgreSQL when
//! one is named (`server_pg_*`).

use std::time::{Duration, Instant};

use duly_core::Store;
use duly_core::demo::DemoSpec;
use duly_core::model::{ColleagueInput, Role as ColleagueRole, WriteCtx};
use duly_core::sync::{SyncClient, sync_once};
use duly_protocol::{NewUser, Role};
use duly_server::Config;
use serde_json::{Map, Value, json};
use sqlx::Connection;
use uuid::Uuid;

use crate::stats::{log, ms, percentile, round};

const PASSWORD: &str = "bench password";

async fn user(state: &duly_server::AppState, login: &str, role: Role) -> anyhow::Result<()> {
    let new = NewUser { login: login.into(), name: login.into(), password: PASSWORD.into(), role };
    duly_server::routes::create_user(state, new).await.map_err(|e| anyhow::anyhow!("{}", e.message))?;
    Ok(())
}

async fn device(dir: &std::path::Path, url: &str, login: &str) -> anyhow::Result<(Store, SyncClient, Uuid)> {
    let store = Store::open(dir.join(format!("{login}.db"))).await?;
    let me = store
        .create_profile(ColleagueInput {
            name: login.into(),
            email: String::new(),
            role: ColleagueRole::Manager,
            active: true,
        })
        .await?;
    let client = SyncClient::new(url)?;
    let session = client.login(login, PASSWORD, Some(me.id)).await?;
    Ok((store, client.with_token(session.token), me.id))
}

pub async fn run(size: crate::size::Size) -> anyhow::Result<Map<String, Value>> {
    let (tasks, comments) = (size.of(100_000), size.of(500_000));
    let (clients, seconds) = (size.rounds(200, 50), size.rounds(30, 10));
    let dir = tempfile::tempdir()?;
    let database = format!("sqlite://{}", dir.path().join("server.db").display());
    let server = duly_server::start(Config::local(database, dir.path().join("blobs"))).await?;
    let url = server.url();
    user(&server.state, "writer", Role::Manager).await?;
    user(&server.state, "reader", Role::Manager).await?;

    log(format!("sync: writing {tasks} tasks and {comments} comments and pushing them"));
    let (writer, writer_client, me) = device(dir.path(), &url, "writer").await?;
    let spec = DemoSpec {
        seed: 11,
        colleagues: 20,
        customers: tasks / 40,
        tasks,
        comments,
        now: chrono::Utc::now(),
        me: None,
    };
    writer.load_demo(WriteCtx::window(me), spec).await?;
    let started = Instant::now();
    sync_once(&writer, &writer_client).await?;
    let push_all_s = started.elapsed().as_secs_f64();
    log(format!("sync: pushed in {push_all_s:.1} s"));

    let (reader, reader_client, _) = device(dir.path(), &url, "reader").await?;
    let started = Instant::now();
    let outcome = sync_once(&reader, &reader_client).await?;
    // Ready: every row is in and the lists read them. Search: the documents queued by the load
    // are indexed too (the background indexer may have taken some of them already).
    let bootstrap_s = started.elapsed().as_secs_f64();
    let search_left = reader.search_backlog().await?;
    reader.drain_search_queue().await?;
    let bootstrap_search_s = started.elapsed().as_secs_f64();
    log(format!(
        "sync: ready in {bootstrap_s:.1} s, {search_left} search entries left, searchable in {bootstrap_search_s:.1} s"
    ));
    let mut file = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}?mode=ro",
        dir.path().join("reader.db").display()
    ))
    .await?;
    let arrived: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tasks").fetch_one(&mut file).await?;
    anyhow::ensure!(arrived as usize >= tasks, "bootstrap brought {arrived} of {tasks} tasks");
    log(format!("sync: bootstrap of {} ops in {bootstrap_s:.1} s", outcome.pulled));
    // What the bootstrap leaves behind (hot-paths review §6): the WAL it grew, and the time a
    // full checkpoint of it takes, which the device pays later if not here.
    let wal = dir.path().join("reader.db-wal");
    let bootstrap_wal_mb = std::fs::metadata(&wal).map_or(0.0, |m| m.len() as f64 / 1_048_576.0);
    let started = Instant::now();
    let mut writer_file =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", dir.path().join("reader.db").display()))
            .await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut writer_file).await?;
    drop(writer_file);
    let bootstrap_checkpoint_s = started.elapsed().as_secs_f64();
    log(format!(
        "sync: the bootstrap left a {bootstrap_wal_mb:.0} MB WAL, checkpointed in {bootstrap_checkpoint_s:.1} s"
    ));

    // Round trip: 10 local edits pushed, then a pull.
    let ids: Vec<Uuid> =
        sqlx::query_scalar::<_, String>("SELECT id FROM tasks WHERE deleted_at IS NULL LIMIT 10")
            .fetch_all(&mut file)
            .await?
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect();
    let ctx = WriteCtx::window(reader.profile_id().await?.unwrap_or_default());
    let mut samples = Vec::new();
    for round_no in 0..size.rounds(100, 40) {
        for id in &ids {
            let mut fields = reader.task(*id).await?.fields;
            fields.title = format!("round {round_no}");
            reader.update_task(ctx, *id, fields).await?;
        }
        let started = Instant::now();
        sync_once(&reader, &reader_client).await?;
        samples.push(ms(started.elapsed()));
    }
    let roundtrip_p50 = percentile(&mut samples, 50.0);
    let roundtrip_p95 = percentile(&mut samples, 95.0);

    // The two stores would spend the next minute merging their search indexes in idle time on
    // the same two cores: closed, so the load figures are the server's.
    reader.close().await;
    writer.close().await;
    drop((reader, writer));
    if size != crate::size::Size::Smoke {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    log(format!("sync: {clients} clients pushing and pulling every second for {seconds} s"));
    let load = crate::load::run(&server.state, &url, PASSWORD, clients, seconds as u64).await?;

    let mut figures = Map::new();
    figures.insert("bootstrap_tasks".into(), json!(tasks));
    figures.insert("bootstrap_comments".into(), json!(comments));
    figures.insert("bootstrap_ops".into(), json!(outcome.pulled));
    figures.insert("bootstrap_s".into(), json!(round(bootstrap_s)));
    figures.insert("bootstrap_ready_s".into(), json!(round(bootstrap_s)));
    figures.insert("bootstrap_search_s".into(), json!(round(bootstrap_search_s)));
    figures.insert("bootstrap_wal_mb".into(), json!(round(bootstrap_wal_mb)));
    figures.insert("bootstrap_checkpoint_s".into(), json!(round(bootstrap_checkpoint_s)));
    figures.insert("push_all_s".into(), json!(round(push_all_s)));
    figures.insert("sync_roundtrip_p50_ms".into(), json!(round(roundtrip_p50)));
    figures.insert("sync_roundtrip_p95_ms".into(), json!(round(roundtrip_p95)));
    figures.insert("server_clients".into(), json!(clients));
    figures.insert("server_requests".into(), json!(load.requests));
    figures.insert("server_p99_ms".into(), json!(load.pooled_p99_ms));
    figures.insert("server_push_p99_ms".into(), json!(load.push_p99_ms));
    figures.insert("server_pull_p99_ms".into(), json!(load.pull_p99_ms));
    figures.insert("server_ops_per_s".into(), json!(load.ops_per_s));
    server.shutdown().await;
    figures.extend(postgres_load(clients, seconds as u64).await?);
    Ok(figures)
}

/// The same load against the server on PostgreSQL (`server_pg_*`), when a PostgreSQL server is
/// named: DULY_BENCH_POSTGRES, else DULY_TEST_POSTGRES (what `cargo xtask test` starts), an
/// URL of a role that may create databases. A fresh database each run, so the log holds only
/// what the load writes; the database server shares the machine's cores. Skipped, with a note,
/// when none is named, so these keys are not always there.
async fn postgres_load(clients: usize, seconds: u64) -> anyhow::Result<Map<String, Value>> {
    let Some(admin) =
        std::env::var("DULY_BENCH_POSTGRES").or_else(|_| std::env::var("DULY_TEST_POSTGRES")).ok()
    else {
        log("sync: no PostgreSQL named (DULY_BENCH_POSTGRES or DULY_TEST_POSTGRES): server_pg_* skipped");
        return Ok(Map::new());
    };
    let name = format!("duly_bench_{}", Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await?;
    // The name is ours (hex digits), never input.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
    let (base, _) = admin.rsplit_once('/').ok_or_else(|| anyhow::anyhow!("no database path in {admin}"))?;
    let dir = tempfile::tempdir()?;
    let server =
        duly_server::start(Config::local(format!("{base}/{name}"), dir.path().join("blobs"))).await?;
    log(format!("sync: {clients} clients pushing and pulling every second for {seconds} s, on PostgreSQL"));
    let load = crate::load::run(&server.state, &server.url(), PASSWORD, clients, seconds).await;
    server.shutdown().await;
    // The server's pool may still hold connections: FORCE ends them.
    let dropped = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
        .execute(&mut conn)
        .await;
    if let Err(error) = dropped {
        log(format!("sync: could not drop the bench database {name}: {error}"));
    }
    let load = load?;
    let mut figures = Map::new();
    figures.insert("server_pg_p99_ms".into(), json!(load.pooled_p99_ms));
    figures.insert("server_pg_push_p99_ms".into(), json!(load.push_p99_ms));
    figures.insert("server_pg_pull_p99_ms".into(), json!(load.pull_p99_ms));
    figures.insert("server_pg_ops_per_s".into(), json!(load.ops_per_s));
    Ok(figures)
}
