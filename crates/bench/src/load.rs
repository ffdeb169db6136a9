//! The server under many clients: each pushes five new tasks and pulls, once a second. The
//! clients run in a process of their own (`duly-bench load-generator`, this binary), pinned to
//! other cores than the server where the machine has them, so their queueing is not the
//! server's tail. Every client is logged in before the clock starts; a tick that falls behind
//! waits rather than firing in a burst.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use duly_core::sync::SyncClient;
use duly_protocol::{EntityKind, NewUser, OpId, OpKind, OpOutcome, Operation, Role, Scope};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::stats::{log, ms, percentile, round};

/// What the generator process is told on its standard input.
#[derive(Debug, Serialize, Deserialize)]
pub struct Spec {
    pub url: String,
    pub tokens: Vec<String>,
    pub seconds: u64,
    pub start_seq: i64,
}

/// What it answers on its standard output.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Samples {
    pub push_ms: Vec<f64>,
    pub pull_ms: Vec<f64>,
    pub applied: usize,
    pub elapsed_s: f64,
}

/// The figures of one load run.
#[derive(Debug)]
pub struct Load {
    pub pooled_p99_ms: f64,
    pub push_p99_ms: f64,
    pub pull_p99_ms: f64,
    pub ops_per_s: f64,
    pub requests: usize,
}

/// Creates `clients` members and logs each in (argon2 work, before the clock starts), then
/// runs the generator process against the server for `seconds`.
pub async fn run(
    state: &duly_server::AppState,
    url: &str,
    password: &str,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<Load> {
    let mut tokens = Vec::with_capacity(clients);
    for n in 0..clients {
        let login = format!("load{n}");
        let new = NewUser {
            login: login.clone(),
            name: login.clone(),
            password: password.into(),
            role: Role::Member,
        };
        duly_server::routes::create_user(state, new).await.map_err(|e| anyhow::anyhow!("{}", e.message))?;
        tokens.push(SyncClient::new(url)?.login(&login, password, Some(Uuid::now_v7())).await?.token);
    }
    let spec = Spec { url: url.to_owned(), tokens, seconds, start_seq: state.storage.latest_seq().await? };
    let samples = tokio::task::spawn_blocking(move || generate_apart(&spec)).await??;
    let mut pooled: Vec<f64> = samples.push_ms.iter().chain(&samples.pull_ms).copied().collect();
    let (mut push, mut pull) = (samples.push_ms.clone(), samples.pull_ms.clone());
    Ok(Load {
        pooled_p99_ms: round(percentile(&mut pooled, 99.0)),
        push_p99_ms: round(percentile(&mut push, 99.0)),
        pull_p99_ms: round(percentile(&mut pull, 99.0)),
        ops_per_s: round(samples.applied as f64 / samples.elapsed_s.max(f64::MIN_POSITIVE)),
        requests: pooled.len(),
    })
}

/// Starts this binary as the generator, on the last core when there are two or more (this
/// process, the server's, keeps the others for the time), and reads its samples.
fn generate_apart(spec: &Spec) -> anyhow::Result<Samples> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let exe = std::env::current_exe()?;
    let pinned = cores >= 2 && Command::new("taskset").arg("--version").output().is_ok();
    let mut command = if pinned {
        let mut c = Command::new("taskset");
        c.args(["--cpu-list", &(cores - 1).to_string()]).arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    let server_cores = if cores <= 2 { "0".to_owned() } else { format!("0-{}", cores - 2) };
    let all_cores = format!("0-{}", cores - 1);
    if pinned {
        set_own_cores(&server_cores);
    }
    log(format!(
        "sync: load generator in its own process{}",
        if pinned { format!(" on core {}, the server on {server_cores}", cores - 1) } else { String::new() }
    ));
    let mut child = command
        .arg("load-generator")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    serde_json::to_writer(child.stdin.take().ok_or_else(|| anyhow::anyhow!("no stdin"))?, spec)?;
    let output = child.wait_with_output()?;
    if pinned {
        set_own_cores(&all_cores);
    }
    anyhow::ensure!(output.status.success(), "the load generator failed");
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Every thread of this process onto `cores` (`taskset -a -p`).
fn set_own_cores(cores: &str) {
    let pid = std::process::id().to_string();
    let _ = Command::new("taskset").args(["--all-tasks", "--cpu-list", "--pid", cores, &pid]).output();
}

/// The generator process: reads a [`Spec`] on stdin, prints [`Samples`] on stdout.
pub fn generator_main() -> anyhow::Result<()> {
    let spec: Spec = serde_json::from_reader(std::io::stdin())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let samples = runtime.block_on(generate(spec))?;
    println!("{}", serde_json::to_string(&samples)?);
    Ok(())
}

async fn generate(spec: Spec) -> anyhow::Result<Samples> {
    let clients = spec.tokens.len().max(1);
    let duration = Duration::from_secs(spec.seconds);
    let started = Instant::now();
    let mut handles = Vec::new();
    for (n, token) in spec.tokens.into_iter().enumerate() {
        let client = SyncClient::new(&spec.url)?.with_token(token);
        let since = spec.start_seq;
        handles.push(tokio::spawn(async move {
            let mut samples = Samples::default();
            let (hlc, client_id) = (uhlc::HLCBuilder::new().build(), Uuid::now_v7());
            let (mut seq, mut since) = (0, since);
            // Spread over the second, as real clients would be.
            tokio::time::sleep(Duration::from_millis((n as u64 * 1000) / clients as u64)).await;
            let deadline = Instant::now() + duration;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while Instant::now() < deadline {
                tick.tick().await;
                let ops: Vec<Operation> = (0..5)
                    .map(|_| {
                        seq += 1;
                        let id = Uuid::now_v7();
                        Operation {
                            op_id: OpId { client_id, client_seq: seq },
                            scope: Scope::Team,
                            entity: EntityKind::Task,
                            entity_id: id,
                            kind: OpKind::Create,
                            field: None,
                            value: json!({"id": id, "title": "load"}),
                            hlc: hlc.new_timestamp().to_string(),
                            base: None,
                        }
                    })
                    .collect();
                let sent = Instant::now();
                let Ok(pushed) = client.push(client_id, ops).await else { continue };
                samples.push_ms.push(ms(sent.elapsed()));
                samples.applied +=
                    pushed.results.iter().filter(|r| matches!(r.outcome, OpOutcome::Applied { .. })).count();
                let sent = Instant::now();
                let Ok(page) = client.pull(since, None).await else { continue };
                samples.pull_ms.push(ms(sent.elapsed()));
                since = page.next;
            }
            samples
        }));
    }
    let mut all = Samples::default();
    for handle in handles {
        let samples = handle.await?;
        all.push_ms.extend(samples.push_ms);
        all.pull_ms.extend(samples.pull_ms);
        all.applied += samples.applied;
    }
    all.elapsed_s = started.elapsed().as_secs_f64();
    Ok(all)
}
