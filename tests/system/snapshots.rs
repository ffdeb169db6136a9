//! A new device starts from the server's snapshot (issue 15): the ops that still decide the
//! state, not the whole history. It ends where a device that replayed every op ends, it gets
//! fewer ops than the log holds when fields were edited, and what it holds merges with later
//! edits from both sides as if it had the history: no lost edit is reported where none crossed.

use duly_core::demo::DemoSpec;
use duly_core::model::{CommentInput, CommentTarget, CustomerInput, CustomerKind, TaskInput};
use duly_protocol::Role;

use sqlx::Connection;

use crate::on_both_backends;
use crate::sync_support::{Backend, Device, TestServer, snapshot};

on_both_backends!(a_new_device_starts_from_the_snapshot_and_ends_where_the_log_ends);
async fn a_new_device_starts_from_the_snapshot_and_ends_where_the_log_ends(backend: Backend) {
    let server = TestServer::start(backend).await;
    let boss = Device::join(&server, "boss", Role::Manager).await;
    // Follows the log op by op from the start.
    let early = Device::join(&server, "early", Role::Manager).await;
    early.sync().await;
    let alfa = boss
        .store
        .create_customer(boss.ctx(), CustomerInput::named("Alfa Kft", CustomerKind::Company))
        .await
        .expect("customer");
    let beta = boss
        .store
        .create_customer(boss.ctx(), CustomerInput::named("Béta Bt", CustomerKind::Company))
        .await
        .expect("customer");
    let mut input = TaskInput::new("Ajánlat", boss.me.id);
    input.customer_id = Some(alfa.id);
    let offer = boss.store.create_task(boss.ctx(), input).await.expect("task");
    let internal =
        boss.store.create_task(boss.ctx(), TaskInput::new("Leltár", boss.me.id)).await.expect("task");
    let gone =
        boss.store.create_task(boss.ctx(), TaskInput::new("Régi ügy", boss.me.id)).await.expect("task");
    boss.sync().await;
    for round in 0..5 {
        let mut fields = boss.store.task(internal.id).await.expect("task").fields;
        fields.title = format!("Leltár, {round}. kör");
        boss.store.update_task(boss.ctx(), internal.id, fields).await.expect("rename");
        boss.sync().await;
    }
    boss.store
        .add_comment(boss.ctx(), CommentInput::on(CommentTarget::Task(offer.id), "Elküldve"))
        .await
        .expect("comment");
    boss.store.delete_task(boss.ctx(), gone.id).await.expect("trash");
    let mut moved = boss.store.task(offer.id).await.expect("task").fields;
    moved.customer_id = Some(beta.id);
    boss.store.update_task(boss.ctx(), offer.id, moved).await.expect("move");
    boss.sync().await;
    early.sync().await;

    let late = Device::join(&server, "late", Role::Manager).await;
    let outcome = late.sync().await;
    let logged = server.server.state.storage.latest_seq().await.expect("seq");
    assert!(
        (outcome.pulled as i64) < logged,
        "the snapshot leaves out the renames that lost: {} of {logged} ops",
        outcome.pulled
    );
    // The late device's own profile reaches the others.
    for device in [&boss, &early, &late] {
        device.sync().await;
    }
    let state = snapshot(&boss.path, None).await;
    assert_eq!(snapshot(&early.path, None).await, state, "the replaying device");
    assert_eq!(snapshot(&late.path, None).await, state, "the snapshot device ends where the log ends");
    assert!(state.iter().any(|row| row.contains("Leltár, 4. kör")), "{state:?}");
    assert!(state.iter().any(|row| row.contains(&gone.id.to_string()) && row.ends_with("deleted=true")));

    // Later edits from both sides merge as with history: the late device's edit replaced the
    // value the boss holds, so the boss sees no lost edit; the boss's edit reaches the late one.
    let mut fields = late.store.task(internal.id).await.expect("task").fields;
    fields.title = "Leltár, a késői eszközről".into();
    late.store.update_task(late.ctx(), internal.id, fields).await.expect("late edits");
    let mut fields = boss.store.task(offer.id).await.expect("task").fields;
    fields.description = "Az ügyfél kérte".into();
    boss.store.update_task(boss.ctx(), offer.id, fields).await.expect("boss edits");
    for device in [&late, &boss, &late, &early] {
        device.sync().await;
    }
    assert_eq!(boss.store.task(internal.id).await.expect("task").fields.title, "Leltár, a késői eszközről");
    assert_eq!(late.store.task(offer.id).await.expect("task").fields.description, "Az ügyfél kérte");
    let crossed = boss.store.conflicts(internal.id).await.expect("conflicts");
    assert!(crossed.is_empty(), "no edit crossed: {crossed:?}");
    let crossed = late.store.conflicts(offer.id).await.expect("conflicts");
    assert!(crossed.is_empty(), "no edit crossed: {crossed:?}");
    let state = snapshot(&boss.path, None).await;
    assert_eq!(snapshot(&late.path, None).await, state);
    assert_eq!(snapshot(&early.path, None).await, state);
}

on_both_backends!(a_customer_shared_later_arrives_by_its_snapshot);
async fn a_customer_shared_later_arrives_by_its_snapshot(backend: Backend) {
    let server = TestServer::start(backend).await;
    let boss = Device::join(&server, "boss", Role::Manager).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    anna.sync().await;
    let alfa = boss
        .store
        .create_customer(boss.ctx(), CustomerInput::named("Alfa Kft", CustomerKind::Company))
        .await
        .expect("customer");
    let mut input = TaskInput::new("Szerződés", boss.me.id);
    input.customer_id = Some(alfa.id);
    let task = boss.store.create_task(boss.ctx(), input).await.expect("task");
    for n in 0..3 {
        let mut fields = boss.store.task(task.id).await.expect("task").fields;
        fields.title = format!("Szerződés v{n}");
        boss.store.update_task(boss.ctx(), task.id, fields).await.expect("rename");
    }
    boss.sync().await;
    admin.grant(anna.user.id, vec![alfa.id]).await.expect("grant");
    let outcome = anna.sync().await;
    assert_eq!(outcome.bootstrapped, vec![alfa.id]);
    assert_eq!(anna.store.task(task.id).await.expect("task arrived").fields.title, "Szerződés v2");
    assert_eq!(snapshot(&anna.path, Some(&[alfa.id])).await, snapshot(&boss.path, Some(&[alfa.id])).await);
}

/// The fast path is the point of the snapshot: a demo office arrives as rows written in bulk,
/// one `synced_state` row per entity, and no history of its own (the folded path and the
/// ordinary apply write history; only the bulk write does not).
#[tokio::test]
async fn an_office_arrives_in_bulk_without_history() {
    let server = TestServer::start(Backend::Sqlite).await;
    let boss = Device::join(&server, "boss", Role::Manager).await;
    let spec = DemoSpec {
        seed: 3,
        colleagues: 5,
        customers: 10,
        tasks: 200,
        comments: 600,
        now: chrono::Utc::now(),
        me: Some(boss.me.clone()),
    };
    let counts = boss.store.load_demo(boss.ctx(), spec).await.expect("demo");
    boss.sync().await;
    let late = Device::join(&server, "late", Role::Manager).await;
    late.sync().await;

    let url = format!("sqlite://{}?mode=ro", late.path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open store file");
    let synced: i64 =
        sqlx::query_scalar("SELECT count(*) FROM synced_state").fetch_one(&mut conn).await.expect("count");
    let entities = counts.customers + counts.tasks + counts.comments;
    assert!(synced as usize >= entities, "{synced} synced_state rows for {entities} entities");
    let history: Vec<(String, i64)> = sqlx::query_as(
        "SELECT entity, count(*) FROM history WHERE entity IN ('task', 'comment', 'customer')
         GROUP BY entity",
    )
    .fetch_all(&mut conn)
    .await
    .expect("history");
    assert!(history.is_empty(), "the bulk path writes no history: {history:?}");
    // The indexes it went without are built again, as the boss's store has them.
    let indexes = "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name";
    let late_indexes: Vec<String> = sqlx::query_scalar(indexes).fetch_all(&mut conn).await.expect("indexes");
    let boss_url = format!("sqlite://{}?mode=ro", boss.path.display());
    let mut boss_conn = sqlx::SqliteConnection::connect(&boss_url).await.expect("open store file");
    let boss_indexes: Vec<String> =
        sqlx::query_scalar(indexes).fetch_all(&mut boss_conn).await.expect("indexes");
    assert_eq!(late_indexes, boss_indexes);
    // The late device's own profile reaches the boss.
    boss.sync().await;
    let (late_state, boss_state) = (snapshot(&late.path, None).await, snapshot(&boss.path, None).await);
    assert!(late_state == boss_state, "the late device ends where the boss is");
}
