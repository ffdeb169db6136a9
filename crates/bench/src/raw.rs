//! The bulk figures: the core's bulk path against the same rows written with plain prepared
//! SQL into the same schema (the store's own ceiling), and against bare one-row inserts.

use std::path::Path;
use std::time::Instant;

use chrono::{Duration, Utc};
use duly_core::model::{
    ColleagueInput, CustomerInput, CustomerKind, Due, Role, Task, TaskInput, TaskStatus, WriteCtx,
};
use duly_core::store::bulk::ImportBatch;
use duly_core::{Store, StoreOptions};
use serde_json::{Map, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, QueryBuilder, Sqlite, SqliteConnection};

use crate::stats::{log, round};

const TASKS_PER_TRANSACTION: usize = 5_000;
const ROWS_PER_STATEMENT: usize = 100;

enum Value2 {
    Text(Option<String>),
}

pub async fn bulk_figures(dir: &Path, size: crate::size::Size) -> anyhow::Result<Map<String, Value>> {
    let count = size.of(50_000);
    let options = || StoreOptions { background_maintenance: false, ..StoreOptions::default() };
    let core = Store::open_with(dir.join("bulk-core.db"), options()).await?;
    let me = core
        .create_profile(ColleagueInput {
            name: "Bench Elek".into(),
            email: String::new(),
            role: Role::Admin,
            active: true,
        })
        .await?;
    let ctx = WriteCtx { actor: me.id, source: duly_core::model::Source::Import };
    let customer =
        core.create_customer(ctx, CustomerInput::named("Bench Kft.", CustomerKind::Company)).await?;
    let raw_store = Store::open_with(dir.join("bulk-raw.db"), options()).await?;
    raw_store
        .import(
            ctx,
            &ImportBatch {
                colleagues: vec![me.clone()],
                customers: vec![customer.clone()],
                ..Default::default()
            },
        )
        .await?;
    raw_store.close().await;

    let now = Utc::now();
    let tasks: Vec<Task> = (0..count)
        .map(|index| Task {
            id: uuid::Uuid::now_v7(),
            fields: TaskInput {
                customer_id: Some(customer.id),
                description:
                    "Egyeztetni a szállítási határidőt, a számlázást és a helyszíni felmérés időpontját."
                        .into(),
                due: Some(Due::Day(now.date_naive() + Duration::days((index % 60) as i64 - 30))),
                ..TaskInput::new(format!("Ajánlat küldése #{index}"), me.id)
            },
            creator_id: me.id,
            status: TaskStatus::Open,
            outcome: None,
            completed_by: None,
            completed_at: None,
            cancel_reason: None,
            created_at: now,
            updated_at: now,
        })
        .collect();

    let batches: Vec<ImportBatch> = tasks
        .chunks(TASKS_PER_TRANSACTION)
        .map(|c| ImportBatch { tasks: c.to_vec(), ..Default::default() })
        .collect();
    let started = Instant::now();
    for batch in &batches {
        core.import(ctx, batch).await?;
    }
    let core_rate = count as f64 / started.elapsed().as_secs_f64();
    core.close().await;
    log(format!("core bulk path: {core_rate:.0} tasks/s"));

    let raw_rate = raw_import(&dir.join("bulk-raw.db"), &tasks, me.id).await?;
    log(format!("plain SQL, same rows: {raw_rate:.0} tasks/s"));
    let bare_rate = bare_rows(&dir.join("bare.db"), count * 4).await?;
    log(format!("bare rows: {bare_rate:.0} rows/s"));

    let mut figures = Map::new();
    figures.insert("bulk_import_tasks_per_s".into(), round(core_rate).into());
    figures.insert("raw_import_tasks_per_s".into(), round(raw_rate).into());
    figures.insert("bare_rows_per_s".into(), round(bare_rate).into());
    Ok(figures)
}

async fn connect(path: &Path) -> anyhow::Result<SqliteConnection> {
    Ok(SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .pragma("wal_autocheckpoint", "0")
        .connect()
        .await?)
}

/// The rows the core writes for a task (the row and its history; the schema's triggers add the
/// outbox, watcher and search rows for both), prepared before the clock starts and written
/// with multi-row statements like the core's.
async fn raw_import(path: &Path, tasks: &[Task], actor: uuid::Uuid) -> anyhow::Result<f64> {
    let mut conn = connect(path).await?;
    let (mut task_rows, mut history) = (vec![], vec![]);
    let text = |s: &str| Value2::Text(Some(s.to_owned()));
    for (index, task) in tasks.iter().enumerate() {
        let f = &task.fields;
        let (id, at) =
            (task.id.to_string(), task.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        let due = match f.due {
            Some(Due::Day(day)) => Some(day.to_string()),
            _ => None,
        };
        let customer = f.customer_id.map(|c| c.to_string());
        let record = serde_json::to_string(task)?;
        task_rows.push(vec![
            text(&id),
            text(&f.title),
            text(&f.description),
            Value2::Text(customer.clone()),
            Value2::Text(None),
            text(&actor.to_string()),
            text(&actor.to_string()),
            text("[]"),
            text("open"),
            text("normal"),
            Value2::Text(None),
            Value2::Text(due.clone()),
            Value2::Text(None),
            Value2::Text(None),
            text("[]"),
            text("[]"),
            Value2::Text(None),
            Value2::Text(None),
            Value2::Text(None),
            Value2::Text(None),
            Value2::Text(None),
            text(&at),
            text(&at),
        ]);
        let scope = format!(r#"{{"kind":"customer","id":"{}"}}"#, customer.unwrap_or_default());
        history.push(vec![
            text("task"),
            text(&id),
            text("created"),
            Value2::Text(None),
            Value2::Text(None),
            text(&record),
            text(&actor.to_string()),
            text(&at),
            text("import"),
            text(&scope),
            text(&format!("{index:016x}/1")),
        ]);
    }
    let started = Instant::now();
    for start in (0..tasks.len()).step_by(TASKS_PER_TRANSACTION) {
        let end = (start + TASKS_PER_TRANSACTION).min(tasks.len());
        let mut tx = conn.begin().await?;
        insert(&mut tx, duly_core_task_insert(), &task_rows[start..end]).await?;
        insert(&mut tx, "INSERT INTO history (entity, entity_id, kind, field, old_value, new_value, actor_id, at, source, scope, hlc)", &history[start..end]).await?;
        tx.commit().await?;
    }
    let rate = tasks.len() as f64 / started.elapsed().as_secs_f64();
    conn.close().await?;
    Ok(rate)
}

fn duly_core_task_insert() -> &'static str {
    "INSERT INTO tasks (id, title, description, customer_id, project_id, responsible_id, creator_id, watchers, status, \
     priority, start_date, due_date, due_at, reminder_at, checklist, attachments, outcome, completed_by, completed_at, \
     cancel_reason, recurrence, created_at, updated_at)"
}

async fn insert(conn: &mut SqliteConnection, head: &'static str, rows: &[Vec<Value2>]) -> anyhow::Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = QueryBuilder::<Sqlite>::new(head);
        sql.push(" VALUES ");
        for (index, row) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.push("(");
            let mut values = sql.separated(", ");
            for value in row {
                match value {
                    Value2::Text(text) => values.push_bind(text.clone()),
                };
            }
            sql.push(")");
        }
        sql.build().persistent(true).execute(&mut *conn).await?;
    }
    Ok(())
}

/// One-row inserts into a bare four-column table, in one transaction.
async fn bare_rows(path: &Path, count: usize) -> anyhow::Result<f64> {
    let mut conn = connect(path).await?;
    sqlx::query(
        "CREATE TABLE bare (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b TEXT NOT NULL, c INTEGER NOT NULL)",
    )
    .execute(&mut conn)
    .await?;
    let started = Instant::now();
    let mut tx = conn.begin().await?;
    for index in 0..count {
        sqlx::query("INSERT INTO bare (id, a, b, c) VALUES (?, ?, ?, ?)")
            .bind(index as i64)
            .bind("Ajánlat küldése")
            .bind("2026-03-01")
            .bind(7_i64)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let rate = count as f64 / started.elapsed().as_secs_f64();
    conn.close().await?;
    Ok(rate)
}
