//! Nothing a user deletes is destroyed.

use duly_core::ErrorCode;
use duly_core::model::{CommentInput, CommentTarget, HistoryKind, ProjectInput, TaskInput};
use duly_core::search::SearchQuery;
use duly_protocol::OpKind;

use crate::support::fixture;

#[tokio::test]
async fn a_deleted_customer_goes_to_the_trash_with_its_tree_and_comes_back_whole() {
    let f = fixture().await;
    let customer = f.customer("Fehér Ablak Kft.").await;
    let project = f
        .store
        .create_project(
            f.ctx(),
            ProjectInput {
                customer_id: Some(customer.id),
                parent_id: None,
                name: "Felújítás".into(),
                archived: false,
                milestones: vec![],
            },
        )
        .await
        .expect("project");
    let mut input = TaskInput::new("Helyszíni felmérés", f.me.id);
    input.project_id = Some(project.id);
    input.due = Some(duly_core::model::Due::Day(f.store.now().date_naive()));
    let task = f.store.create_task(f.ctx(), input).await.expect("task");
    let comment = f
        .store
        .add_comment(f.ctx(), CommentInput::on(CommentTarget::Task(task.id), "Felmérés kedden"))
        .await
        .expect("comment");

    let batch = f.store.delete_customer(f.ctx(), customer.id).await.expect("delete");
    assert_eq!(f.store.customer(customer.id).await.expect_err("gone").code(), ErrorCode::Deleted);
    assert!(f.store.today(&f.viewer()).await.expect("today").is_empty());
    let query = SearchQuery { text: Some("kedden".into()), ..Default::default() };
    assert!(f.store.search(&f.viewer(), &query).await.expect("search").is_empty());
    let trash = f.store.trash().await.expect("trash");
    assert_eq!(trash.len(), 4);
    assert!(trash.iter().all(|item| item.batch == batch));
    let ops = f.store.pending_ops(1_000).await.expect("ops");
    assert_eq!(ops.iter().filter(|o| o.kind == OpKind::Delete).count(), 4);

    f.store.restore(f.ctx(), batch).await.expect("restore");
    assert_eq!(f.store.customer(customer.id).await.expect("back").fields.name, "Fehér Ablak Kft.");
    assert_eq!(f.store.today(&f.viewer()).await.expect("today").len(), 1);
    assert_eq!(f.store.task_comments(task.id).await.expect("thread")[0].id, comment.id);
    assert_eq!(f.store.search(&f.viewer(), &query).await.expect("search").len(), 1);
    assert!(f.store.trash().await.expect("trash").is_empty());
    let kinds: Vec<_> =
        f.store.history(task.id).await.expect("history").into_iter().map(|h| h.kind).collect();
    assert_eq!(kinds, vec![HistoryKind::Created, HistoryKind::Deleted, HistoryKind::Restored]);
}

#[tokio::test]
async fn a_task_cannot_be_restored_alone_while_its_customer_is_in_the_trash() {
    let f = fixture().await;
    let customer = f.customer("Varga Bt.").await;
    let mut input = TaskInput::new("Visszahívás", f.me.id);
    input.customer_id = Some(customer.id);
    let task = f.store.create_task(f.ctx(), input).await.expect("task");
    let task_batch = f.store.delete_task(f.ctx(), task.id).await.expect("delete task");
    f.store.delete_customer(f.ctx(), customer.id).await.expect("delete customer");
    let before = f.counts().await;
    assert_eq!(f.store.restore(f.ctx(), task_batch).await.expect_err("refused").code(), ErrorCode::Deleted);
    assert_eq!(f.counts().await, before);
    assert_eq!(f.store.task(task.id).await.expect_err("still trashed").code(), ErrorCode::Deleted);
}
