//! Sync figures: a new client bootstrapping a large shared history, one client's round trip
//! (push 10 ops + pull), and the server under many clients pushing and pulling every second.
//! Everything on loopback against the real server on SQLite.

use std::sync::Arc;
use std::time::{Duration, Instant};

use duly_core::Store;
use duly_core::demo::DemoSpec;
use duly_core::model::{ColleagueInput, Role as ColleagueRole, WriteCtx};
use duly_core::sync::{SyncClient, sync_once};
use duly_protocol::{EntityKind, NewUser, OpId, OpKind, OpOutcome, Operation, Role, Scope};
use duly_server::Config;
use serde_json::{Map, Value, json};
use sqlx::Connection;
use tokio::sync::Mutex;
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
    let bootstrap_s = started.elapsed().as_secs_f64();
    let mut file = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}?mode=ro",
        dir.path().join("reader.db").display()
    ))
    .await?;
    let arrived: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tasks").fetch_one(&mut file).await?;
    anyhow::ensure!(arrived as usize >= tasks, "bootstrap brought {arrived} of {tasks} tasks");
    log(format!("sync: bootstrap of {} ops in {bootstrap_s:.1} s", outcome.pulled));

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
    let (p99, ops_per_s, requests) =
        load(&server.state, &url, clients, Duration::from_secs(seconds as u64)).await?;

    let mut figures = Map::new();
    figures.insert("bootstrap_tasks".into(), json!(tasks));
    figures.insert("bootstrap_comments".into(), json!(comments));
    figures.insert("bootstrap_ops".into(), json!(outcome.pulled));
    figures.insert("bootstrap_s".into(), json!(round(bootstrap_s)));
    figures.insert("push_all_s".into(), json!(round(push_all_s)));
    figures.insert("sync_roundtrip_p50_ms".into(), json!(round(roundtrip_p50)));
    figures.insert("sync_roundtrip_p95_ms".into(), json!(round(roundtrip_p95)));
    figures.insert("server_clients".into(), json!(clients));
    figures.insert("server_requests".into(), json!(requests));
    figures.insert("server_p99_ms".into(), json!(round(p99)));
    figures.insert("server_ops_per_s".into(), json!(round(ops_per_s)));
    server.shutdown().await;
    Ok(figures)
}

/// Simulated clients: each pushes a few new tasks and pulls, once a second.
async fn load(
    state: &duly_server::AppState,
    url: &str,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<(f64, f64, usize)> {
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let applied = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start_seq = state.storage.latest_seq().await?;
    let mut handles = Vec::new();
    for n in 0..clients {
        let login = format!("load{n}");
        user(state, &login, Role::Member).await?;
        let session = SyncClient::new(url)?.login(&login, PASSWORD, Some(Uuid::now_v7())).await?;
        let client = SyncClient::new(url)?.with_token(session.token);
        let (latencies, applied) = (latencies.clone(), applied.clone());
        handles.push(tokio::spawn(async move {
            let hlc = uhlc::HLCBuilder::new().build();
            let client_id = Uuid::now_v7();
            let mut seq = 0;
            let mut since = start_seq;
            // Spread the clients over the second, as real ones would be.
            tokio::time::sleep(Duration::from_millis((n as u64 * 1000) / clients as u64)).await;
            let deadline = Instant::now() + duration;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            while Instant::now() < deadline {
                tick.tick().await;
                let ops: Vec<Operation> = (0..5)
                    .map(|_| {
                        seq += 1;
                        Operation {
                            op_id: OpId { client_id, client_seq: seq },
                            scope: Scope::Team,
                            entity: EntityKind::Task,
                            entity_id: Uuid::now_v7(),
                            kind: OpKind::Create,
                            field: None,
                            value: json!({"title": "load"}),
                            hlc: hlc.new_timestamp().to_string(),
                            base: None,
                        }
                    })
                    .collect();
                let started = Instant::now();
                let Ok(pushed) = client.push(client_id, ops).await else { continue };
                let push_ms = ms(started.elapsed());
                let done =
                    pushed.results.iter().filter(|r| matches!(r.outcome, OpOutcome::Applied { .. })).count();
                applied.fetch_add(done, std::sync::atomic::Ordering::Relaxed);
                let started = Instant::now();
                let Ok(page) = client.pull(since, None).await else { continue };
                since = page.next;
                let pull_ms = ms(started.elapsed());
                latencies.lock().await.extend([push_ms, pull_ms]);
            }
        }));
    }
    let started = Instant::now();
    for handle in handles {
        handle.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut samples = latencies.lock().await.clone();
    let requests = samples.len();
    let applied = applied.load(std::sync::atomic::Ordering::Relaxed) as f64;
    Ok((percentile(&mut samples, 99.0), applied / elapsed, requests))
}
