//! A working day on a real store file, through the public API only, the way the window will
//! drive it: nothing is forgotten, and everything survives closing and reopening.

use chrono::{Duration, Utc};
use chrono_tz::Europe::Budapest;
use duly_core::Store;
use duly_core::model::{
    ColleagueInput, CommentInput, CommentTarget, CustomerInput, CustomerKind, Due, ProjectInput, Role,
    StatusChange, TaskInput, TaskStatus, WriteCtx,
};
use duly_core::search::SearchQuery;
use duly_core::views::Viewer;
use duly_protocol::OpKind;

#[tokio::test]
async fn a_task_goes_from_today_through_its_thread_to_done_and_everything_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("duly.db");
    let store = Store::open(&path).await.expect("open");
    let me = store
        .create_profile(ColleagueInput {
            name: "Kiss Anna".into(),
            email: String::new(),
            role: Role::Admin,
            active: true,
        })
        .await
        .expect("profile");
    let ctx = WriteCtx::window(me.id);
    let customer = store
        .create_customer(ctx, CustomerInput::named("Kovács Kft", CustomerKind::Company))
        .await
        .expect("customer");
    let project = store
        .create_project(
            ctx,
            ProjectInput {
                customer_id: Some(customer.id),
                parent_id: None,
                name: "Irodafelújítás".into(),
                archived: false,
                milestones: vec![],
            },
        )
        .await
        .expect("project");
    let mut input = TaskInput::new("Ajánlat küldése", me.id);
    input.project_id = Some(project.id);
    input.due = Some(Due::Day(Utc::now().with_timezone(&Budapest).date_naive()));
    let task = store.create_task(ctx, input).await.expect("task");
    let viewer = || Viewer { colleague: me.id, tz: Budapest, now: Utc::now() };
    assert_eq!(
        store.today(&viewer()).await.expect("today").iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![task.id]
    );

    let offer = store
        .keywords()
        .await
        .expect("keywords")
        .into_iter()
        .find(|k| k.name == "Ajánlat elküldve")
        .expect("keyword");
    let mut comment =
        CommentInput::on(CommentTarget::Task(task.id), "Elküldtem az ajánlatot, jövő héten hívnak.");
    comment.keyword_ids = vec![offer.id];
    store.add_comment(ctx, comment).await.expect("comment");
    let today = viewer().now.with_timezone(&Budapest).date_naive();
    let query = SearchQuery {
        keyword_id: Some(offer.id),
        from: Some(today - Duration::days(1)),
        to: Some(today),
        ..Default::default()
    };
    let found = store.search_customers(&viewer(), &query).await.expect("search");
    assert_eq!(found.iter().map(|m| m.customer_id).collect::<Vec<_>>(), vec![customer.id]);

    let change = StatusChange {
        status: TaskStatus::Done,
        outcome: Some("Megrendelést kaptunk.".into()),
        reason: None,
    };
    store.set_task_status(ctx, task.id, change).await.expect("done");
    assert!(store.today(&viewer()).await.expect("today").is_empty());
    let pending = store.pending_op_count().await.expect("outbox");
    store.close().await;

    let store = Store::open(&path).await.expect("reopen");
    let done = store.task(task.id).await.expect("task");
    assert_eq!(
        (done.status, done.completed_by, done.outcome.as_deref()),
        (TaskStatus::Done, Some(me.id), Some("Megrendelést kaptunk."))
    );
    let history = store.history(task.id).await.expect("history");
    assert!(history.iter().any(|h| h.field.as_deref() == Some("outcome")));
    assert_eq!(store.pending_op_count().await.expect("outbox"), pending);
    let ops = store.pending_ops(1_000).await.expect("ops");
    assert_eq!(
        ops.iter().filter(|o| o.kind == OpKind::Create).count(),
        5,
        "profile, customer, project, task, comment"
    );
    let page = store.customer_page(&viewer(), customer.id, 50).await.expect("page");
    assert_eq!(page.timeline.len(), 2, "the comment and the completion");
}
