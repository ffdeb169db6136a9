//! A refused op is undone where it was made (H6): the device shows what the server holds, and
//! what the person wrote is kept in the rejected list, shown on the task it was about.

use duly_core::model::{
    CommentInput, CommentTarget, CustomerInput, CustomerKind, StatusChange, TaskInput, TaskStatus,
};
use duly_protocol::{OpKind, Role};

use crate::on_both_backends;
use crate::sync_support::{Backend, Device, TestServer, snapshot_of};

on_both_backends!(a_refused_edit_is_undone_on_its_device_and_its_text_is_kept);
async fn a_refused_edit_is_undone_on_its_device_and_its_text_is_kept(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let guest = Device::join(&server, "partner", Role::Guest).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let customer = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Partner Zrt", CustomerKind::Company))
        .await
        .expect("customer");
    let mut input = TaskInput::new("Szerződés aláírása", anna.me.id);
    input.customer_id = Some(customer.id);
    let task = anna.store.create_task(anna.ctx(), input).await.expect("task");
    anna.sync().await;
    admin.grant(guest.user.id, vec![customer.id]).await.expect("grant");
    guest.sync().await;

    // Things the guest's store lets them write but the server does not take from a guest.
    let mut renamed = task.fields.clone();
    renamed.title = "Szerződés aláírva, kérem a számlát".into();
    guest.store.update_task(guest.ctx(), task.id, renamed).await.expect("local rename");
    let done = StatusChange { status: TaskStatus::Done, outcome: Some("Kész".into()), reason: None };
    guest.store.set_task_status(guest.ctx(), task.id, done).await.expect("local completion");
    let mut own = TaskInput::new("Új feladat a partnertől", guest.me.id);
    own.customer_id = Some(customer.id);
    let created = guest.store.create_task(guest.ctx(), own).await.expect("local task");
    guest
        .store
        .add_comment(guest.ctx(), CommentInput::on(CommentTarget::Task(created.id), "Részletek a feladathoz"))
        .await
        .expect("comment on it");
    // And what a guest may do: a comment on the shared task.
    guest
        .store
        .add_comment(guest.ctx(), CommentInput::on(CommentTarget::Task(task.id), "Holnap aláírjuk."))
        .await
        .expect("comment");
    let outcome = guest.sync().await;
    assert!(outcome.rejected >= 3, "{outcome:?}");

    // Undone here: the task is as the server holds it, the refused new task and its comment
    // are gone, the allowed comment stays.
    let here = guest.store.task(task.id).await.expect("task");
    assert_eq!((here.fields.title.as_str(), here.status), ("Szerződés aláírása", TaskStatus::Open));
    assert!(guest.store.task(created.id).await.is_err(), "a refused create leaves the device");
    let thread = guest.store.task_comments(task.id).await.expect("thread");
    assert!(thread.iter().any(|c| c.body == "Holnap aláírjuk."));
    assert_eq!(guest.store.pending_op_count().await.expect("pending"), 0);

    // Nothing the guest wrote is lost: the rejected list holds every refused op with its text,
    // and the task's notices hold those about it.
    let about = guest.store.rejected_about(task.id).await.expect("notices");
    let texts: Vec<String> = about.iter().map(|r| r.operation.value.to_string()).collect();
    assert!(texts.iter().any(|t| t.contains("kérem a számlát")), "{texts:?}");
    let all = guest.store.rejected_ops().await.expect("rejected");
    assert!(all.iter().any(|r| r.operation.entity_id == created.id && r.operation.kind == OpKind::Create));
    assert!(
        all.iter().any(|r| r.operation.value.to_string().contains("Részletek a feladathoz")),
        "the comment on the refused task is kept with its text"
    );

    // Both devices agree with the server on the shared customer.
    anna.sync().await;
    guest.sync().await;
    let scope = [customer.id];
    assert_eq!(
        snapshot_of(&guest.path, Some(&scope), false).await,
        snapshot_of(&anna.path, Some(&scope), false).await,
        "the guest's device and the server agree"
    );
    // The history of the task no longer shows the refused edits as done.
    let history = guest.store.history(task.id).await.expect("history");
    assert!(!history.iter().any(|h| h.new_value.as_ref().is_some_and(|v| v.to_string().contains("kérem"))));
}
