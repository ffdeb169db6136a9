//! The core's figures on a full-size store (issue: core benchmark).

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use chrono::{Duration, Utc};
use duly_core::demo::DemoSpec;
use duly_core::model::{ColleagueInput, Due, Role, TaskInput, WriteCtx};
use duly_core::search::SearchQuery;
use duly_core::views::Viewer;
use duly_core::{Store, StoreOptions};
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value};
use sqlx::{ConnectOptions, Connection};

use crate::size::Size;
use crate::stats::{log, ms, percentile, round};

/// Words people type: frequent ones ("ajánlat" is in a fifth of all comments), rarer ones,
/// prefixes, names and two-word queries.
const QUERIES: &[&str] = &[
    "ajanlat",
    "ajánlat",
    "szamla",
    "számla kiállítása",
    "visszahivas",
    "karbantartas",
    "szerzodes",
    "kovacs",
    "nagy",
    "fizetes kesik",
    "munkalap",
    "szam",
    "helyszini felmeres",
    "garancialis",
    "nav",
    "ablak",
    "pekseg",
    "szallitasi hatarido",
    "panaszt",
    "kedvezmeny",
    "Budapest",
    "tóth",
    "adoeloleg",
    "megrendeles",
];

/// A demo store of the run's size in `dir`, for the profile
/// "Bench Elek". Returns the store, the profile, the counts and the seconds it took.
pub async fn demo_store(
    dir: &Path,
    size: Size,
) -> anyhow::Result<(Store, duly_core::model::Colleague, duly_core::demo::DemoCounts, f64)> {
    let store = Store::open_with(dir.join("duly.db"), StoreOptions::default()).await?;
    let me = store
        .create_profile(ColleagueInput {
            name: "Bench Elek".into(),
            email: "bench@example.hu".into(),
            role: Role::Admin,
            active: true,
        })
        .await?;
    let ctx = WriteCtx::window(me.id);
    let spec = DemoSpec {
        seed: 42,
        colleagues: 50,
        customers: size.of(5_000),
        tasks: size.of(200_000),
        comments: size.of(1_000_000),
        now: Utc::now(),
        me: Some(me.clone()),
    };
    log(format!(
        "generating {} customers, {} tasks, {} comments in {}",
        spec.customers,
        spec.tasks,
        spec.comments,
        dir.display()
    ));
    let started = Instant::now();
    let counts = store.load_demo(ctx, spec).await?;
    store.maintain().await?;
    let seconds = started.elapsed().as_secs_f64();
    log(format!("demo store written in {seconds:.1} s"));
    Ok((store, me, counts, seconds))
}

pub async fn run(size: Size, demo: &crate::demo::DemoStore) -> anyhow::Result<Map<String, Value>> {
    let dir = bench_dir()?;
    let path = dir.path().join("duly.db");
    let store = demo.open_copy(dir.path()).await?;
    let (me, counts, demo_seconds) = (demo.me.clone(), demo.counts, demo.seconds);

    let mut figures = Map::new();
    let singles = size.of(1_000);
    let mut samples = create_vs_floor(&store, dir.path(), &me, singles).await?;
    for (name, samples) in [
        ("create_task", &mut samples.creates),
        ("fsync_floor", &mut samples.floors),
        ("rusqlite_floor", &mut samples.rusqlite_floors),
    ] {
        for p in [50, 99] {
            figures.insert(format!("{name}_p{p}_ms"), round(percentile(samples, f64::from(p))).into());
        }
    }
    for p in [50, 99] {
        let ratio = |a: &str, b: &str| {
            let (a, b) = (figures[a].as_f64().unwrap_or(f64::NAN), figures[b].as_f64().unwrap_or(f64::NAN));
            round(a / b)
        };
        let vs_sqlx = ratio(&format!("create_task_p{p}_ms"), &format!("fsync_floor_p{p}_ms"));
        let vs_rusqlite = ratio(&format!("create_task_p{p}_ms"), &format!("rusqlite_floor_p{p}_ms"));
        figures.insert(format!("create_vs_floor_p{p}"), vs_sqlx.into());
        figures.insert(format!("create_vs_rusqlite_floor_p{p}"), vs_rusqlite.into());
    }
    // The queued search documents are indexed and the WAL checkpointed before the reads; the
    // reads then run with no background maintenance that could land inside a sample.
    store.maintain().await?;
    store.close().await;
    let quiet = StoreOptions { background_maintenance: false, ..StoreOptions::default() };
    let store = Store::open_with(&path, quiet).await?;

    views(&store, &mut figures).await?;

    let bytes = ["duly.db", "duly.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
        .map(|m| m.len())
        .sum::<u64>();
    figures.insert("db_bytes".into(), bytes.into());
    figures.insert("customers".into(), counts.customers.into());
    figures.insert("tasks".into(), (counts.tasks + singles).into());
    figures.insert("comments".into(), counts.comments.into());
    figures.insert("demo_load_s".into(), round(demo_seconds).into());
    store.close().await;

    figures.extend(crate::raw::bulk_figures(dir.path(), size).await?);
    Ok(figures)
}

/// The temporary store lives where the user's data would: the same disk as the data folder.
pub fn bench_dir() -> anyhow::Result<tempfile::TempDir> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".local/share")))
        .context("no HOME")?;
    std::fs::create_dir_all(&base)?;
    Ok(tempfile::Builder::new().prefix("duly-bench-").tempdir_in(base)?)
}

/// The fsync floor's table, in a file of its own beside the store (`floor.db`).
pub const FLOOR_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, value TEXT NOT NULL)";

/// Milliseconds per sample of each kind of write.
struct WriteSamples {
    creates: Vec<f64>,
    /// A one-row commit through a bare sqlx connection: three round trips to its thread.
    floors: Vec<f64>,
    /// The same commit on a thread that owns a rusqlite connection: one hand-off.
    rusqlite_floors: Vec<f64>,
}

/// Single creates through the core, in blocks alternating with bare one-row commits (sqlx's,
/// then rusqlite's), so all see the same disk at about the same moment. The floors write files
/// of their own beside the store: a commit by another connection on the store's file would
/// empty the writer's page cache and charge the core for the floor's writes. One untimed
/// block of each comes first (page cache, prepared statements, the first WAL frames).
async fn create_vs_floor(
    store: &Store,
    dir: &Path,
    me: &duly_core::model::Colleague,
    count: usize,
) -> anyhow::Result<WriteSamples> {
    let mut floor = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.join("floor.db"))
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
        .pragma("wal_autocheckpoint", "0")
        .connect()
        .await?;
    sqlx::query(FLOOR_TABLE).execute(&mut floor).await?;
    let rusqlite_floor = crate::rusqlite_floor::Floor::open(&dir.join("floor-rusqlite.db"))?;
    let customers = store
        .list_customers(&duly_core::store::CustomerFilter { limit: Some(5_000), ..Default::default() })
        .await?;
    let colleagues = store.colleagues().await?;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let ctx = WriteCtx::window(me.id);
    let mut samples = WriteSamples {
        creates: Vec::with_capacity(count),
        floors: Vec::with_capacity(count),
        rusqlite_floors: Vec::with_capacity(count),
    };
    const BLOCK: usize = 50;
    let warm_up = BLOCK.min(count);
    for block in 0..(warm_up + count).div_ceil(BLOCK) {
        let indexes = block * BLOCK..((block + 1) * BLOCK).min(warm_up + count);
        let measured = |index: usize| index >= warm_up;
        for index in indexes.clone() {
            let started = Instant::now();
            let mut tx = floor.begin().await?;
            sqlx::query("INSERT INTO bench_floor (value) VALUES (?)")
                .bind(format!("row {index}"))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            if measured(index) {
                samples.floors.push(ms(started.elapsed()));
            }
        }
        for index in indexes.clone() {
            let started = Instant::now();
            rusqlite_floor.commit_row(format!("row {index}")).await?;
            if measured(index) {
                samples.rusqlite_floors.push(ms(started.elapsed()));
            }
        }
        for index in indexes {
            let responsible = colleagues.choose(&mut rng).map_or(me.id, |c| c.id);
            let mut input = TaskInput::new(format!("Visszahívás #{index}"), responsible);
            input.customer_id = customers.choose(&mut rng).map(|c| c.id);
            input.description = "Egyeztetni a szállítási határidőt és a számlázást.".into();
            input.due = Some(Due::Day(Utc::now().date_naive() + Duration::days(rng.random_range(0..14))));
            input.watchers = vec![me.id];
            let started = Instant::now();
            store.create_task(ctx, input).await?;
            if measured(index) {
                samples.creates.push(ms(started.elapsed()));
            }
        }
    }
    floor.close().await?;
    Ok(samples)
}

async fn views(store: &Store, figures: &mut Map<String, Value>) -> anyhow::Result<()> {
    let colleagues = store.colleagues().await?;
    let customers = store
        .list_customers(&duly_core::store::CustomerFilter { limit: Some(5_000), ..Default::default() })
        .await?;
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let tz = chrono_tz::Europe::Budapest;
    // One untimed pass: every colleague's lists, some customer pages and every query, so the
    // samples measure the views, not the first touch of each page by each reader connection.
    for colleague in &colleagues {
        let viewer = Viewer { colleague: colleague.id, tz, now: Utc::now() };
        store.today(&viewer).await?;
        store.my_tasks(&viewer).await?;
        store.delegated(&viewer).await?;
    }
    let viewer = Viewer { colleague: colleagues.first().context("colleagues")?.id, tz, now: Utc::now() };
    for customer in customers.iter().take(50) {
        store.customer_page(&viewer, customer.id, 100).await?;
    }
    for text in QUERIES {
        let query = SearchQuery { text: Some((*text).into()), limit: Some(50), ..Default::default() };
        store.search(&viewer, &query).await?;
    }
    let samples = 200;
    let (mut today, mut mine, mut delegated, mut page, mut search) = (vec![], vec![], vec![], vec![], vec![]);
    let mut rows = 0usize;
    for _ in 0..samples {
        let who = colleagues.choose(&mut rng).context("colleagues")?.id;
        let viewer = Viewer { colleague: who, tz, now: Utc::now() };
        let started = Instant::now();
        rows += store.today(&viewer).await?.len();
        today.push(ms(started.elapsed()));
        let started = Instant::now();
        rows += store.my_tasks(&viewer).await?.len();
        mine.push(ms(started.elapsed()));
        let started = Instant::now();
        rows += store.delegated(&viewer).await?.len();
        delegated.push(ms(started.elapsed()));
        let customer = customers.choose(&mut rng).context("customers")?.id;
        let started = Instant::now();
        rows += store.customer_page(&viewer, customer, 100).await?.timeline.len();
        page.push(ms(started.elapsed()));
        let text = QUERIES.choose(&mut rng).copied().unwrap_or("ajanlat");
        let started = Instant::now();
        rows += store
            .search(&viewer, &SearchQuery { text: Some(text.into()), limit: Some(50), ..Default::default() })
            .await?
            .len();
        search.push(ms(started.elapsed()));
    }
    log(format!("views read {rows} rows"));
    for (key, samples) in [
        ("today_p95_ms", &mut today),
        ("my_tasks_p95_ms", &mut mine),
        ("delegated_p95_ms", &mut delegated),
        ("customer_page_p95_ms", &mut page),
        ("search_p95_ms", &mut search),
    ] {
        figures.insert(key.into(), round(percentile(samples, 95.0)).into());
    }
    Ok(())
}
