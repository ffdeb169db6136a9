//! The scheduler's figure (issue 5): one pass over the full-size store, for the profile, with
//! reminders set on a share of its tasks and colleagues assigning it work between passes.

use std::time::Instant;

use chrono::{Duration, Utc};
use chrono_tz::Europe::Budapest;
use duly_core::model::{TaskInput, WriteCtx};
use duly_core::schedule::Scheduler;
use serde_json::{Map, Value};
use sqlx::{ConnectOptions, Connection};

use crate::core_bench::bench_dir;
use crate::stats::{log, ms, percentile, round};

pub async fn run(
    size: crate::size::Size,
    demo: &crate::demo::DemoStore,
) -> anyhow::Result<Map<String, Value>> {
    let dir = bench_dir()?;
    let store = demo.open_copy(dir.path()).await?;
    let (me, counts) = (demo.me.clone(), demo.counts);
    // The demo sets no reminder times: give a tenth of all open tasks one over the coming
    // week, the profile's among them, so the window queries have rows to step over.
    let now = Utc::now();
    let mut conn =
        sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("duly.db")).connect().await?;
    let reminders = sqlx::query(
        "UPDATE tasks SET reminder_at = strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '+' || (abs(random()) % 10080) || ' minutes')
         WHERE status IN ('open', 'in_progress', 'waiting') AND abs(random()) % 10 = 0",
    )
    .bind(now.to_rfc3339())
    .execute(&mut conn)
    .await?
    .rows_affected();
    conn.close().await?;
    log(format!("{} tasks, {reminders} reminders set", counts.tasks));

    let colleagues = store.colleagues().await?;
    let others: Vec<_> = colleagues.iter().filter(|c| c.id != me.id && c.active).collect();
    let scheduler = Scheduler::new(store.clone(), Budapest);
    scheduler.tick().await?;
    let samples = size.rounds(300, 100);
    let mut passes = Vec::with_capacity(samples);
    let mut shown = 0;
    for n in 0..samples {
        if n % 5 == 0 && !others.is_empty() {
            let from = others[n % others.len()];
            let mut input = TaskInput::new(format!("Visszahívás #{n}"), me.id);
            input.reminder_at = Some(Utc::now() + Duration::minutes(5));
            store.create_task(WriteCtx::window(from.id), input).await?;
        }
        let started = Instant::now();
        let pass = scheduler.tick().await?;
        passes.push(ms(started.elapsed()));
        shown += pass.notices.len();
    }
    log(format!("{samples} scheduler passes, {shown} notices decided"));
    let mut figures = Map::new();
    figures.insert("scheduler_tick_p50_ms".into(), round(percentile(&mut passes.clone(), 50.0)).into());
    figures.insert("scheduler_tick_p95_ms".into(), round(percentile(&mut passes, 95.0)).into());
    figures.insert("scheduler_tasks".into(), counts.tasks.into());
    store.close().await;
    Ok(figures)
}
