//! The bulk path and the demo generator.

use duly_core::ErrorCode;
use duly_core::demo::DemoSpec;
use duly_core::model::{Task, TaskInput, TaskStatus};
use duly_core::search::SearchQuery;
use duly_core::store::bulk::ImportBatch;

use crate::support::fixture;

#[tokio::test]
async fn the_demo_is_deterministic_and_leaves_history_outbox_and_index_for_every_record() {
    let f = fixture().await;
    let spec = DemoSpec {
        seed: 3,
        colleagues: 4,
        customers: 12,
        tasks: 120,
        comments: 400,
        now: f.store.now(),
        me: Some(f.me.clone()),
    };
    let counts = f.store.load_demo(f.ctx(), spec.clone()).await.expect("demo");
    assert_eq!((counts.customers, counts.tasks, counts.comments), (12, 120, 400));
    let rows: std::collections::HashMap<String, i64> = f.counts().await.into_iter().collect();
    assert_eq!(rows["customers"], 12);
    assert_eq!(rows["tasks"], 120);
    assert_eq!(rows["comments"], 400);
    // Every record has its create entry and operation; the search index has every document.
    let records = 3 + 12 + rows["projects"] + 120 + 400;
    assert_eq!(rows["history"], records + 1, "profile + demo");
    assert_eq!(rows["outbox"], records + 1);
    assert_eq!(rows["search_docs"], 12 + 120 + 400);
    assert!(!f.store.today(&f.viewer()).await.expect("today").is_empty(), "the profile has work today");
    let hits = f
        .store
        .search(&f.viewer(), &SearchQuery { text: Some("ajanlat".into()), ..Default::default() })
        .await
        .expect("search");
    assert!(!hits.is_empty());

    let g = fixture().await;
    let again = DemoSpec { me: Some(g.me.clone()), now: g.store.now(), ..spec };
    g.store.load_demo(g.ctx(), again).await.expect("demo");
    let names = |list: Vec<duly_core::store::CustomerSummary>| {
        list.into_iter().map(|c| (c.id, c.name)).collect::<Vec<_>>()
    };
    assert_eq!(
        names(f.store.list_customers(&Default::default()).await.expect("f")),
        names(g.store.list_customers(&Default::default()).await.expect("g")),
    );
}

#[tokio::test]
async fn one_bad_record_refuses_the_whole_batch() {
    let f = fixture().await;
    let now = f.store.now();
    let task = |title: &str| Task {
        id: uuid::Uuid::now_v7(),
        fields: TaskInput::new(title, f.me.id),
        creator_id: f.me.id,
        status: TaskStatus::Open,
        outcome: None,
        completed_by: None,
        completed_at: None,
        cancel_reason: None,
        created_at: now,
        updated_at: now,
    };
    let before = f.counts().await;
    let done_without_outcome = Task { status: TaskStatus::Done, ..task("kész") };
    let batch = ImportBatch { tasks: vec![task("jó"), done_without_outcome], ..Default::default() };
    assert_eq!(
        f.store.import(f.ctx(), &batch).await.expect_err("refused").code(),
        ErrorCode::OutcomeRequired
    );
    let mut orphan = task("árva");
    orphan.fields.customer_id = Some(uuid::Uuid::now_v7());
    let batch = ImportBatch { tasks: vec![task("jó"), orphan], ..Default::default() };
    assert_eq!(f.store.import(f.ctx(), &batch).await.expect_err("refused").code(), ErrorCode::NotFound);
    assert_eq!(f.counts().await, before);
    let ok = ImportBatch { tasks: vec![task("jó")], ..Default::default() };
    f.store.import(f.ctx(), &ok).await.expect("imported");
    assert_eq!(f.store.my_tasks(&f.viewer()).await.expect("mine").len(), 1);
}

/// The indexes of the tables a snapshot loads, as SQLite keeps them.
async fn index_sql(path: &std::path::Path) -> Vec<String> {
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open store file");
    sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
           AND tbl_name IN ('customers', 'projects', 'tasks', 'comments', 'comment_keywords') ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .expect("indexes")
}

/// A snapshot into an empty store goes without the secondary indexes; broken off by a crash,
/// the store builds them again when it next opens, before anything reads it.
#[tokio::test]
async fn indexes_a_snapshot_went_without_come_back_at_the_next_opening() {
    let f = fixture().await;
    let path = f.dir.path().join("duly.db");
    let before = index_sql(&path).await;
    assert!(before.len() >= 10, "{before:?}");
    f.store.begin_snapshot().await.expect("begin");
    assert!(index_sql(&path).await.is_empty(), "a fresh load writes without them");
    f.store.close().await;
    let store = duly_core::Store::open(&path).await.expect("reopen");
    assert_eq!(index_sql(&path).await, before);
    // And a load that ends builds them too.
    store.begin_snapshot().await.expect("begin");
    store.end_snapshot().await.expect("end");
    assert_eq!(index_sql(&path).await, before);
}
