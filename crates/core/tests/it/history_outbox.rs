//! T11 and the sync outbox: what a write leaves behind.

use chrono::Duration;
use duly_core::model::{ChangeEvent, HistoryKind, Priority, Source, StatusChange, TaskInput, TaskStatus};
use duly_protocol::{EntityKind, OpKind, Scope};
use serde_json::json;

use crate::support::fixture;

#[tokio::test]
async fn an_update_records_one_entry_per_changed_field_with_old_new_who_when_and_source() {
    let f = fixture().await;
    let customer = f.customer("Kovács Kft").await;
    let colleague = f.colleague("Tóth Gábor").await;
    let mut input = TaskInput::new("Ajánlat küldése", f.me.id);
    input.customer_id = Some(customer.id);
    let task = f.store.create_task(f.ctx(), input.clone()).await.expect("task");

    f.clock.advance(Duration::minutes(5));
    let edited_at = f.store.now();
    input.responsible_id = Some(colleague.id);
    input.priority = Priority::Urgent;
    f.store.update_task(f.ctx(), task.id, input.clone()).await.expect("update");
    // Saving the same values again changes nothing and records nothing.
    f.store.update_task(f.ctx(), task.id, input).await.expect("same");

    let history = f.store.history(task.id).await.expect("history");
    assert_eq!(history.len(), 3, "{history:#?}");
    let created = &history[0];
    assert_eq!(created.kind, HistoryKind::Created);
    assert_eq!(created.new_value.as_ref().and_then(|v| v.get("title")), Some(&json!("Ajánlat küldése")));

    let changes: Vec<_> = history[1..]
        .iter()
        .map(|h| (h.field.clone().unwrap_or_default(), h.old_value.clone(), h.new_value.clone()))
        .collect();
    assert!(
        changes.contains(&("priority".into(), Some(json!("normal")), Some(json!("urgent")))),
        "{changes:?}"
    );
    assert!(
        changes.contains(&("responsible_id".into(), Some(json!(f.me.id)), Some(json!(colleague.id)))),
        "{changes:?}"
    );
    for entry in &history[1..] {
        assert_eq!(entry.kind, HistoryKind::Changed);
        assert_eq!(entry.actor_id, f.me.id);
        assert_eq!(entry.at, edited_at);
        assert_eq!(entry.source, Source::Window);
        assert_eq!(entry.entity, EntityKind::Task);
    }
}

#[tokio::test]
async fn completion_history_shows_who_when_and_the_outcome() {
    let f = fixture().await;
    let task =
        f.store.create_task(f.ctx(), TaskInput::new("Számla kiállítása", f.me.id)).await.expect("task");
    f.clock.advance(Duration::hours(2));
    let change =
        StatusChange { status: TaskStatus::Done, outcome: Some("Kiszámlázva.".into()), reason: None };
    f.store.set_task_status(f.ctx(), task.id, change).await.expect("done");
    let history = f.store.history(task.id).await.expect("history");
    let field = |name: &str| {
        history.iter().find(|h| h.field.as_deref() == Some(name)).and_then(|h| h.new_value.clone())
    };
    assert_eq!(field("status"), Some(json!("done")));
    assert_eq!(field("outcome"), Some(json!("Kiszámlázva.")));
    assert_eq!(field("completed_by"), Some(json!(f.me.id)));
    assert!(field("completed_at").is_some());
}

#[tokio::test]
async fn the_outbox_holds_a_create_then_one_set_per_field_and_nothing_from_a_refused_write() {
    let f = fixture().await;
    let customer = f.customer("Szabó Bt.").await;
    let before = f.store.pending_op_count().await.expect("count");
    let mut input = TaskInput::new("Visszahívás", f.me.id);
    input.customer_id = Some(customer.id);
    let task = f.store.create_task(f.ctx(), input.clone()).await.expect("task");
    input.title = "Visszahívás holnap".into();
    input.description = "Délelőtt".into();
    f.store.update_task(f.ctx(), task.id, input.clone()).await.expect("update");
    input.responsible_id = None;
    f.store.update_task(f.ctx(), task.id, input).await.expect_err("refused");

    let ops = f.store.pending_ops(1_000).await.expect("ops");
    let ops: Vec<_> = ops.into_iter().skip(before as usize).collect();
    assert_eq!(ops.len(), 3, "{ops:#?}");
    assert_eq!(ops[0].kind, OpKind::Create);
    assert_eq!(ops[0].entity, EntityKind::Task);
    assert_eq!(ops[0].scope, Scope::Customer(customer.id));
    assert_eq!(ops[0].value.get("title"), Some(&json!("Visszahívás")));
    let mut fields: Vec<_> =
        ops[1..].iter().map(|o| (o.kind, o.field.clone().unwrap_or_default(), o.value.clone())).collect();
    fields.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        fields,
        vec![
            (OpKind::Set, "description".into(), json!("Délelőtt")),
            (OpKind::Set, "title".into(), json!("Visszahívás holnap")),
        ]
    );
    // Sequence numbers are this client's and increase; clocks increase too.
    assert!(ops.windows(2).all(|w| w[0].op_id.client_seq < w[1].op_id.client_seq));
    assert!(ops.iter().all(|o| o.op_id.client_id == f.store.client_id()));
    assert!(
        ops.windows(2).all(|w| w[0].hlc < w[1].hlc),
        "{:?}",
        ops.iter().map(|o| &o.hlc).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn every_committed_write_announces_itself_with_its_source() {
    let f = fixture().await;
    let mut events = f.store.subscribe();
    let task = f.store.create_task(f.ctx(), TaskInput::new("Visszahívás", f.me.id)).await.expect("task");
    let event = events.try_recv().expect("event");
    assert_eq!(event, ChangeEvent { entity: EntityKind::Task, id: Some(task.id), source: Source::Window });
    f.store.create_task(f.ctx(), TaskInput::new("", f.me.id)).await.expect_err("refused");
    assert!(events.try_recv().is_err(), "a refused write announces nothing");
}

#[tokio::test]
async fn a_store_reopened_from_its_file_keeps_its_client_id_and_outbox() {
    let f = fixture().await;
    f.store.create_task(f.ctx(), TaskInput::new("Visszahívás", f.me.id)).await.expect("task");
    let (client, ops) = (f.store.client_id(), f.store.pending_ops(100).await.expect("ops"));
    f.store.close().await;
    let again = duly_core::Store::open(f.dir.path().join("duly.db")).await.expect("reopen");
    assert_eq!(again.client_id(), client);
    assert_eq!(again.pending_ops(100).await.expect("ops"), ops);
    assert_eq!(again.profile_id().await.expect("profile"), Some(f.me.id));
}
