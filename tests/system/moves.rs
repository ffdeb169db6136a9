//! A task given to another customer (H5): the readers of the new customer receive all of it,
//! with its thread; the readers of only the old one let it go; an edit made before the move
//! was seen is refused, undone and kept in its author's rejected list.

use duly_core::model::{CommentInput, CommentTarget, CustomerInput, CustomerKind, TaskInput};
use duly_protocol::Role;

use crate::on_both_backends;
use crate::sync_support::{Backend, Device, TestServer, snapshot_of};

/// «Alfa Kft» and «Béta Bt», made by `boss`, with the task «Ajánlat» under Alfa.
async fn two_customers_and_a_task_of_the_first(
    boss: &Device,
) -> (uuid::Uuid, uuid::Uuid, duly_core::model::Task) {
    let mut customers = Vec::new();
    for name in ["Alfa Kft", "Béta Bt"] {
        let customer = boss
            .store
            .create_customer(boss.ctx(), CustomerInput::named(name, CustomerKind::Company))
            .await
            .expect("customer");
        customers.push(customer.id);
    }
    let mut input = TaskInput::new("Ajánlat", boss.me.id);
    input.customer_id = Some(customers[0]);
    let task = boss.store.create_task(boss.ctx(), input).await.expect("task");
    (customers[0], customers[1], task)
}

on_both_backends!(a_task_moved_to_another_customer_reaches_its_readers_with_its_thread);
async fn a_task_moved_to_another_customer_reaches_its_readers_with_its_thread(backend: Backend) {
    let server = TestServer::start(backend).await;
    let boss = Device::join(&server, "boss", Role::Manager).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let bela = Device::join(&server, "bela", Role::Member).await;
    let cili = Device::join(&server, "cili", Role::Member).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let (a, b, task) = two_customers_and_a_task_of_the_first(&boss).await;
    boss.sync().await;
    admin.grant(anna.user.id, vec![a]).await.expect("grant");
    admin.grant(bela.user.id, vec![b]).await.expect("grant");
    admin.grant(cili.user.id, vec![a, b]).await.expect("grant");
    for device in [&anna, &bela, &cili] {
        device.sync().await;
    }
    anna.store
        .add_comment(anna.ctx(), CommentInput::on(CommentTarget::Task(task.id), "Anna: elküldtem"))
        .await
        .expect("comment");
    anna.sync().await;
    boss.sync().await;
    // Anna edits before she learns of the move.
    let mut hers = task.fields.clone();
    hers.title = "Ajánlat (Anna javítása)".into();
    anna.store.update_task(anna.ctx(), task.id, hers).await.expect("anna edits");

    let mut moved = boss.store.task(task.id).await.expect("task").fields;
    moved.customer_id = Some(b);
    boss.store.update_task(boss.ctx(), task.id, moved).await.expect("move");
    boss.sync().await;
    for device in [&anna, &bela, &cili, &boss] {
        let outcome = device.sync().await;
        assert_eq!(outcome.parked, 0, "nothing waits for ever: {outcome:?}");
    }

    // The readers of Béta have the task and its thread; Anna (Alfa only) let it go.
    for device in [&bela, &cili] {
        let seen = device.store.task(task.id).await.expect("the moved task arrived");
        assert_eq!((seen.fields.customer_id, seen.fields.title.as_str()), (Some(b), "Ajánlat"));
        let thread = device.store.task_comments(task.id).await.expect("thread");
        assert_eq!(thread.len(), 1, "one copy of the thread");
        assert_eq!((thread[0].body.as_str(), thread[0].author_id), ("Anna: elküldtem", anna.me.id));
        assert_eq!(thread[0].customer_id, Some(b));
    }
    assert!(anna.store.task(task.id).await.is_err(), "work given to a customer she does not hold");
    let kept = anna.store.rejected_ops().await.expect("rejected");
    assert!(kept.iter().any(|r| r.operation.value.to_string().contains("Anna javítása")), "her edit is kept");

    // Every device equals the server's state for the customers it holds.
    for (device, held) in [(&anna, vec![a]), (&bela, vec![b]), (&cili, vec![a, b])] {
        assert_eq!(
            snapshot_of(&device.path, Some(&held), true).await,
            snapshot_of(&boss.path, Some(&held), true).await,
            "{} agrees with the server",
            device.user.login
        );
    }

    // Work goes on where the task lives now.
    let mut his = bela.store.task(task.id).await.expect("task").fields;
    his.title = "Ajánlat (Béta)".into();
    bela.store.update_task(bela.ctx(), task.id, his).await.expect("bela edits");
    bela.sync().await;
    cili.sync().await;
    assert_eq!(cili.store.task(task.id).await.expect("task").fields.title, "Ajánlat (Béta)");
}

on_both_backends!(the_trash_travels_with_a_move);
/// A comment in the trash arrives in the trash for the new customer's readers; a move made
/// before its mover saw the task trashed elsewhere is refused, so the task never shows live
/// to readers of the customer it was given to.
async fn the_trash_travels_with_a_move(backend: Backend) {
    let server = TestServer::start(backend).await;
    let boss = Device::join(&server, "boss", Role::Manager).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let bela = Device::join(&server, "bela", Role::Member).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let (a, b, task) = two_customers_and_a_task_of_the_first(&boss).await;
    let mut comments = Vec::new();
    for body in ["Elírás", "Elküldtem"] {
        let target = CommentTarget::Task(task.id);
        comments
            .push(boss.store.add_comment(boss.ctx(), CommentInput::on(target, body)).await.expect("comment"));
    }
    boss.sync().await;
    admin.grant(anna.user.id, vec![a, b]).await.expect("grant");
    admin.grant(bela.user.id, vec![b]).await.expect("grant");
    anna.sync().await;
    bela.sync().await;

    // Anna trashes a comment; the boss sees it, then gives the task to Béta.
    anna.store.delete_comment(anna.ctx(), comments[0].id).await.expect("trash");
    anna.sync().await;
    boss.sync().await;
    let mut moved = boss.store.task(task.id).await.expect("task").fields;
    moved.customer_id = Some(b);
    boss.store.update_task(boss.ctx(), task.id, moved).await.expect("move");
    boss.sync().await;
    bela.sync().await;
    let thread = bela.store.task_comments(task.id).await.expect("thread");
    assert_eq!(thread.iter().map(|c| c.body.as_str()).collect::<Vec<_>>(), ["Elküldtem"], "the trash stays");
    let trash = bela.store.trash().await.expect("trash");
    assert!(trash.iter().any(|item| item.id == comments[0].id), "in the trash for Béla too");

    // Anna trashes the task; the boss, who has not seen that, gives it back to Alfa.
    anna.sync().await;
    anna.store.delete_task(anna.ctx(), task.id).await.expect("trash the task");
    anna.sync().await;
    let mut back = boss.store.task(task.id).await.expect("task").fields;
    back.customer_id = Some(a);
    boss.store.update_task(boss.ctx(), task.id, back).await.expect("move back");
    for device in [&boss, &anna, &bela, &boss] {
        let outcome = device.sync().await;
        assert_eq!(outcome.parked, 0, "nothing waits for ever: {outcome:?}");
    }
    assert!(boss.store.task(task.id).await.is_err(), "the boss sees it in the trash");
    let refused = boss.store.rejected_ops().await.expect("rejected");
    assert!(refused.iter().any(|r| r.operation.entity_id == task.id), "the move is in his rejected list");
    for (device, held) in [(&anna, vec![a, b]), (&bela, vec![b])] {
        assert_eq!(
            snapshot_of(&device.path, Some(&held), true).await,
            snapshot_of(&boss.path, Some(&held), true).await,
            "{} agrees with the server",
            device.user.login
        );
    }
}
