//! The databases, and the cache in memory in front of them as the routes use them, on SQLite,
//! and on PostgreSQL too when DULY_TEST_POSTGRES names a server.

use std::sync::Arc;

use duly_protocol::{EntityKind, OpId, OpKind, OpOutcome, Operation, Role, Scope, User};
use serde_json::json;
use uuid::Uuid;

use super::{Cached, PostgresStorage, SessionTimes, SqliteStorage, Storage};
use crate::rules::PushRules;

/// Every backend the machine has: SQLite always; PostgreSQL when DULY_TEST_POSTGRES is set
/// (a fresh database there).
async fn backends(dir: &tempfile::TempDir) -> Vec<Arc<dyn Storage>> {
    let sqlite = format!("sqlite://{}", dir.path().join("server.db").display());
    let mut all: Vec<Arc<dyn Storage>> =
        vec![Arc::new(SqliteStorage::connect(&sqlite).await.expect("sqlite"))];
    if let Ok(admin) = std::env::var("DULY_TEST_POSTGRES") {
        use sqlx::Connection;
        let name = format!("duly_test_{}", Uuid::now_v7().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to PostgreSQL");
        // The name is ours (hex digits), never input.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create database");
        let (base, _) = admin.rsplit_once('/').expect("URL with a database path");
        all.push(Arc::new(PostgresStorage::connect(&format!("{base}/{name}")).await.expect("postgres")));
    }
    all
}

async fn member(storage: &dyn Storage, login: &str, role: Role) -> User {
    let user = User {
        id: Uuid::now_v7(),
        login: login.into(),
        name: login.into(),
        role,
        active: true,
        colleague_id: Some(Uuid::now_v7()),
    };
    storage.add_user(&user, "not a real hash").await.expect("user");
    user
}

fn op(client_seq: i64, scope: Scope, entity: EntityKind, entity_id: Uuid, kind: OpKind) -> Operation {
    Operation {
        op_id: OpId { client_id: Uuid::from_u128(7), client_seq },
        scope,
        entity,
        entity_id,
        kind,
        field: None,
        value: json!(null),
        hlc: uhlc::HLCBuilder::new().build().new_timestamp().to_string(),
        base: None,
    }
}

async fn push(storage: &dyn Storage, user: &User, ops: &[Operation]) -> Vec<OpOutcome> {
    crate::sync::push(storage, user, ops, &PushRules::default()).await.expect("push")
}

#[tokio::test]
async fn a_pulled_page_as_text_is_byte_for_byte_what_serialising_the_parsed_page_gives() {
    let dir = tempfile::tempdir().expect("dir");
    for database in backends(&dir).await {
        let cached: Arc<dyn Storage> = Arc::new(Cached::new(database.clone()).await.expect("cache"));
        let storage = cached.clone();
        let anna = member(storage.as_ref(), "anna", Role::Member).await;
        let (customer, task, note) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let awkward =
            "Árvíztűrő \"tükörfúrógép\" \\ / \n\t\r\u{8}\u{c}\u{1}\u{1f}\u{7f} 😀 </script> \u{2028}";
        let mut opened = op(1, Scope::Customer(customer), EntityKind::Customer, customer, OpKind::Create);
        opened.value = json!({"id": customer, "name": awkward, "status": null});
        let mut created = op(2, Scope::Customer(customer), EntityKind::Task, task, OpKind::Create);
        created.value = json!({
            "id": task, "customer_id": customer, "title": awkward, "priority": 2,
            "estimate": 1.5, "tiny": 1e-7, "huge": 12_345_678_901_234_567_890u64, "negative": -3,
            "nested": {"z": [null, true, false, {"ű": "ő"}], "a": {}},
        });
        let mut titled = op(3, Scope::Customer(customer), EntityKind::Task, task, OpKind::Set);
        titled.field = Some("title".into());
        titled.value = json!(awkward);
        titled.base = Some(created.hlc.clone());
        let mut own = op(4, Scope::Team, EntityKind::Task, note, OpKind::Create);
        own.value = json!({"id": note, "title": "csapat"});
        let mut trashed = op(5, Scope::Team, EntityKind::Task, note, OpKind::Delete);
        trashed.value = json!(Uuid::from_u128(9));
        let ops = [opened, created, titled, own, trashed];
        let outcomes = push(storage.as_ref(), &anna, &ops).await;
        assert!(outcomes.iter().all(|o| matches!(o, OpOutcome::Applied { .. })), "{outcomes:?}");

        let scopes =
            crate::rules::held_scopes(&anna, &storage.grants_of(anna.id).await.expect("grants"), &[]);
        let parsed = database.pull(&scopes, 0, 100).await.expect("pull");
        assert_eq!(parsed.len(), ops.len());
        // The database's texts, and the tail's in memory (what this server just logged).
        for texts in [
            database.pull_wire(&scopes, 0, 100).await.expect("pull_wire"),
            cached.pull_wire(&scopes, 0, 100).await.expect("tail"),
        ] {
            assert_eq!(texts.len(), parsed.len());
            for (logged, wire) in parsed.iter().zip(&texts) {
                assert_eq!(wire.json, serde_json::to_string(logged).expect("json"), "op {}", logged.seq);
                assert_eq!(wire.seq, logged.seq);
                let value_bytes = duly_protocol::limits::encoded_len(&logged.op.value);
                assert_eq!(usize::try_from(wire.value_bytes).ok(), Some(value_bytes), "op {}", logged.seq);
            }
        }
        // One scope (the bootstrap's statement) and a page cut short read alike.
        let only = [Scope::Customer(customer)];
        let parsed = database.pull(&only, 1, 2).await.expect("pull");
        let wanted: Vec<String> = parsed.iter().map(|op| serde_json::to_string(op).expect("json")).collect();
        for storage in [&database, &cached] {
            let texts = storage.pull_wire(&only, 1, 2).await.expect("pull_wire");
            assert_eq!(texts.iter().map(|op| op.json.clone()).collect::<Vec<_>>(), wanted);
            assert_eq!(texts.len(), 2);
        }
        // A cache started on a log it did not write reads it from the database.
        let later: Arc<dyn Storage> = Arc::new(Cached::new(database.clone()).await.expect("cache"));
        let texts = later.pull_wire(&scopes, 0, 100).await.expect("pull_wire");
        assert_eq!(texts.len(), ops.len());
    }
}

#[tokio::test]
async fn changes_through_this_server_take_effect_at_once_on_remembered_look_ups() {
    let dir = tempfile::tempdir().expect("dir");
    for database in backends(&dir).await {
        let storage: Arc<dyn Storage> = Arc::new(Cached::new(database).await.expect("cache"));
        let anna = member(storage.as_ref(), "anna", Role::Member).await;
        let boss = member(storage.as_ref(), "boss", Role::Manager).await;
        let customer = Uuid::now_v7();
        let opened = op(1, Scope::Customer(customer), EntityKind::Customer, customer, OpKind::Create);
        let mut opened = opened;
        opened.value = json!({"id": customer, "name": "Kft"});
        assert_eq!(storage.customers().await.expect("customers"), Vec::<Uuid>::new(), "remembered empty");
        let outcomes = push(storage.as_ref(), &boss, &[opened]).await;
        let OpOutcome::Applied { seq } = outcomes[0] else { panic!("{outcomes:?}") };
        assert_eq!(storage.latest_seq().await.expect("latest"), seq, "the newest seq is the commit's");
        assert_eq!(storage.customers().await.expect("customers"), vec![customer], "a new customer is listed");
        assert_eq!(storage.grants_of(boss.id).await.expect("grants"), vec![customer], "its creator's grant");

        // Remembered, then changed: each look-up sees the change at once.
        let role_of = |storage: Arc<dyn Storage>, hash: &'static str| async move {
            storage
                .session_user(hash)
                .await
                .expect("session")
                .map(|(user, _): (User, SessionTimes)| user.role)
        };
        storage.add_session("anna-laptop", anna.id, 5).await.expect("session");
        assert_eq!(role_of(storage.clone(), "anna-laptop").await, Some(Role::Member));
        storage.set_role(anna.id, Role::Guest).await.expect("role");
        assert_eq!(role_of(storage.clone(), "anna-laptop").await, Some(Role::Guest), "a changed role");

        assert_eq!(storage.grants_of(anna.id).await.expect("grants"), Vec::<Uuid>::new());
        storage.grant(anna.id, &[customer]).await.expect("grant");
        assert_eq!(storage.grants_of(anna.id).await.expect("grants"), vec![customer], "a grant");
        storage.revoke(anna.id, &[customer]).await.expect("revoke");
        assert_eq!(storage.grants_of(anna.id).await.expect("grants"), Vec::<Uuid>::new(), "a revoke");

        storage.end_session("anna-laptop").await.expect("logout");
        assert_eq!(role_of(storage.clone(), "anna-laptop").await, None, "an ended session");

        storage.add_session("anna-phone", anna.id, 5).await.expect("session");
        assert!(role_of(storage.clone(), "anna-phone").await.is_some());
        storage.set_active(anna.id, false).await.expect("disable");
        assert_eq!(role_of(storage.clone(), "anna-phone").await, None, "a disabled user's session");
        storage.set_active(anna.id, true).await.expect("enable");

        storage.add_session("anna-desk", anna.id, 5).await.expect("session");
        assert!(role_of(storage.clone(), "anna-desk").await.is_some());
        storage.set_password(anna.id, "another hash").await.expect("password");
        assert_eq!(role_of(storage.clone(), "anna-desk").await, None, "a new password ends sessions");

        // A new session beyond the user's limit ends the oldest, remembered or not.
        storage.add_session("anna-1", anna.id, 1).await.expect("session");
        assert!(role_of(storage.clone(), "anna-1").await.is_some());
        storage.add_session("anna-2", anna.id, 1).await.expect("session");
        assert_eq!(role_of(storage.clone(), "anna-1").await, None, "the oldest session went");
        assert!(role_of(storage.clone(), "anna-2").await.is_some());
    }
}
