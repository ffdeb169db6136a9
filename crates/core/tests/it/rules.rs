//! Each working rule refuses a bad write with a typed error and leaves every table as it was.

use duly_core::ErrorCode;
use duly_core::model::{CommentInput, CommentTarget, Due, ProjectInput, StatusChange, TaskInput, TaskStatus};
use uuid::Uuid;

use crate::support::fixture;

#[tokio::test]
async fn a_task_without_a_responsible_is_refused_and_nothing_changes() {
    let f = fixture().await;
    let before = f.counts().await;
    let mut input = TaskInput::new("Ajánlat küldése", f.me.id);
    input.responsible_id = None;
    let error = f.store.create_task(f.ctx(), input).await.expect_err("refused");
    assert_eq!(error.code(), ErrorCode::ResponsibleRequired);
    assert_eq!(f.counts().await, before);
}

/// The server counts its limit in bytes of the value as sent; so does the store, with the same
/// constant: 90,000 euro signs are under the character limit but 270 KB, and are refused here
/// rather than kept on this device and refused by the server.
#[tokio::test]
async fn a_record_larger_than_the_server_takes_is_refused_before_it_is_written() {
    let f = fixture().await;
    let before = f.counts().await;
    let mut input = TaskInput::new("Árajánlat", f.me.id);
    input.description = "€".repeat(90_000);
    let error = f.store.create_task(f.ctx(), input.clone()).await.expect_err("refused");
    assert_eq!(error.code(), ErrorCode::InvalidInput);
    assert_eq!(f.counts().await, before);
    input.description = "e".repeat(90_000);
    f.store.create_task(f.ctx(), input).await.expect("the same length in one-byte letters fits");
}

#[tokio::test]
async fn an_update_that_removes_the_responsible_is_refused() {
    let f = fixture().await;
    let task = f.store.create_task(f.ctx(), TaskInput::new("Visszahívás", f.me.id)).await.expect("task");
    let before = f.counts().await;
    let mut input = task.fields.clone();
    input.responsible_id = None;
    input.title = "Changed too".into();
    let error = f.store.update_task(f.ctx(), task.id, input).await.expect_err("refused");
    assert_eq!(error.code(), ErrorCode::ResponsibleRequired);
    assert_eq!(f.counts().await, before);
    assert_eq!(f.store.task(task.id).await.expect("task").fields.title, "Visszahívás");
}

#[tokio::test]
async fn completing_needs_an_outcome_and_cancelling_a_reason() {
    let f = fixture().await;
    let task =
        f.store.create_task(f.ctx(), TaskInput::new("Számla kiállítása", f.me.id)).await.expect("task");
    let before = f.counts().await;
    for (change, code) in [
        (StatusChange { status: TaskStatus::Done, outcome: None, reason: None }, ErrorCode::OutcomeRequired),
        (
            StatusChange { status: TaskStatus::Done, outcome: Some("   ".into()), reason: None },
            ErrorCode::OutcomeRequired,
        ),
        (
            StatusChange { status: TaskStatus::Cancelled, outcome: None, reason: None },
            ErrorCode::ReasonRequired,
        ),
    ] {
        let error = f.store.set_task_status(f.ctx(), task.id, change).await.expect_err("refused");
        assert_eq!(error.code(), code);
    }
    assert_eq!(f.counts().await, before);
    assert_eq!(f.store.task(task.id).await.expect("task").status, TaskStatus::Open);

    let done = f
        .store
        .set_task_status(
            f.ctx(),
            task.id,
            StatusChange { status: TaskStatus::Done, outcome: Some("Kiszámlázva.".into()), reason: None },
        )
        .await
        .expect("done");
    assert_eq!(done.completed_by, Some(f.me.id));
    assert_eq!(done.completed_at, Some(f.store.now()));
    assert_eq!(done.outcome.as_deref(), Some("Kiszámlázva."));
}

#[tokio::test]
async fn only_valid_status_changes_are_taken() {
    let f = fixture().await;
    let task = f.store.create_task(f.ctx(), TaskInput::new("Anyagrendelés", f.me.id)).await.expect("task");
    let done = StatusChange { status: TaskStatus::Done, outcome: Some("Megrendelve.".into()), reason: None };
    f.store.set_task_status(f.ctx(), task.id, done.clone()).await.expect("done");
    let before = f.counts().await;
    for status in [TaskStatus::InProgress, TaskStatus::Waiting, TaskStatus::Cancelled, TaskStatus::Done] {
        let change = StatusChange { status, outcome: Some("x".into()), reason: Some("x".into()) };
        let error = f.store.set_task_status(f.ctx(), task.id, change).await.expect_err("refused");
        assert_eq!(error.code(), ErrorCode::InvalidStatusTransition, "{status:?}");
    }
    assert_eq!(f.counts().await, before);
    let reopened = f
        .store
        .set_task_status(
            f.ctx(),
            task.id,
            StatusChange { status: TaskStatus::Open, outcome: None, reason: None },
        )
        .await
        .expect("reopen");
    assert_eq!(reopened.outcome, None);
    assert_eq!(reopened.completed_at, None);
}

#[tokio::test]
async fn a_comment_with_an_unknown_keyword_changes_nothing_not_even_its_status_change() {
    let f = fixture().await;
    let customer = f.customer("Kovács Kft").await;
    let mut input = TaskInput::new("Ajánlat küldése", f.me.id);
    input.customer_id = Some(customer.id);
    let task = f.store.create_task(f.ctx(), input).await.expect("task");
    let before = f.counts().await;
    let mut comment = CommentInput::on(CommentTarget::Task(task.id), "Elküldtem az ajánlatot.");
    comment.keyword_ids = vec![Uuid::now_v7()];
    comment.task_status_change =
        Some(StatusChange { status: TaskStatus::Done, outcome: Some("Elküldve.".into()), reason: None });
    let statuses = f.store.customer_statuses().await.expect("statuses");
    comment.customer_status_change = Some(statuses[1].id);
    let error = f.store.add_comment(f.ctx(), comment).await.expect_err("refused");
    assert_eq!(error.code(), ErrorCode::UnknownKeyword);
    assert_eq!(f.counts().await, before);
    assert_eq!(f.store.task(task.id).await.expect("task").status, TaskStatus::Open);
    assert_eq!(f.store.customer(customer.id).await.expect("customer").fields.status_id, None);
}

#[tokio::test]
async fn references_must_exist_and_not_be_in_the_trash() {
    let f = fixture().await;
    let customer = f.customer("Törölt Bt.").await;
    f.store.delete_customer(f.ctx(), customer.id).await.expect("trash");
    let before = f.counts().await;

    let mut input = TaskInput::new("Visszahívás", f.me.id);
    input.customer_id = Some(customer.id);
    let error = f.store.create_task(f.ctx(), input.clone()).await.expect_err("refused");
    assert_eq!(error.code(), ErrorCode::Deleted);

    input.customer_id = Some(Uuid::now_v7());
    assert_eq!(
        f.store.create_task(f.ctx(), input.clone()).await.expect_err("refused").code(),
        ErrorCode::NotFound
    );

    input.customer_id = None;
    input.responsible_id = Some(Uuid::now_v7());
    assert_eq!(
        f.store.create_task(f.ctx(), input.clone()).await.expect_err("refused").code(),
        ErrorCode::NotFound
    );

    input.responsible_id = Some(f.me.id);
    input.watchers = vec![Uuid::now_v7()];
    assert_eq!(f.store.create_task(f.ctx(), input).await.expect_err("refused").code(), ErrorCode::NotFound);

    let project = ProjectInput {
        customer_id: Some(customer.id),
        parent_id: None,
        name: "Weboldal".into(),
        archived: false,
        milestones: vec![],
    };
    assert_eq!(
        f.store.create_project(f.ctx(), project).await.expect_err("refused").code(),
        ErrorCode::Deleted
    );
    assert_eq!(f.counts().await, before);
}

#[tokio::test]
async fn a_project_of_another_customer_is_refused_and_a_lone_project_brings_its_customer() {
    let f = fixture().await;
    let (a, b) = (f.customer("A Kft").await, f.customer("B Kft").await);
    let project = f
        .store
        .create_project(
            f.ctx(),
            ProjectInput {
                customer_id: Some(a.id),
                parent_id: None,
                name: "Weboldal".into(),
                archived: false,
                milestones: vec![],
            },
        )
        .await
        .expect("project");
    let before = f.counts().await;
    let mut input = TaskInput::new("Tervezés", f.me.id);
    input.customer_id = Some(b.id);
    input.project_id = Some(project.id);
    assert_eq!(
        f.store.create_task(f.ctx(), input.clone()).await.expect_err("refused").code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(f.counts().await, before);
    input.customer_id = None;
    let task = f.store.create_task(f.ctx(), input).await.expect("task");
    assert_eq!(task.fields.customer_id, Some(a.id));
}

#[tokio::test]
async fn text_fields_have_limits_and_titles_cannot_be_blank() {
    let f = fixture().await;
    let before = f.counts().await;
    let long = TaskInput::new("x".repeat(301), f.me.id);
    assert_eq!(f.store.create_task(f.ctx(), long).await.expect_err("refused").code(), ErrorCode::TooLong);
    let blank = TaskInput::new("   ", f.me.id);
    assert_eq!(
        f.store.create_task(f.ctx(), blank).await.expect_err("refused").code(),
        ErrorCode::InvalidInput
    );
    let mut customer =
        duly_core::model::CustomerInput::named("Hosszú", duly_core::model::CustomerKind::Person);
    customer.notes = "n".repeat(100_001);
    assert_eq!(
        f.store.create_customer(f.ctx(), customer).await.expect_err("refused").code(),
        ErrorCode::TooLong
    );
    let comment = CommentInput::on(CommentTarget::Customer(Uuid::now_v7()), "");
    assert_eq!(
        f.store.add_comment(f.ctx(), comment).await.expect_err("refused").code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(f.counts().await, before);
}

#[tokio::test]
async fn an_inactive_colleague_gets_no_new_task() {
    let f = fixture().await;
    let away = f.colleague("Nagy Péter").await;
    let mut input = duly_core::model::ColleagueInput {
        name: away.name.clone(),
        email: String::new(),
        role: away.role,
        active: false,
    };
    f.store.update_colleague(f.ctx(), away.id, input.clone()).await.expect("deactivate");
    let before = f.counts().await;
    let mut task = TaskInput::new("Visszahívás", away.id);
    task.due = Some(Due::Day(f.store.now().date_naive()));
    assert_eq!(
        f.store.create_task(f.ctx(), task).await.expect_err("refused").code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(f.counts().await, before);
    input.active = true;
    f.store.update_colleague(f.ctx(), away.id, input).await.expect("reactivate");
}

/// M9: a store syncs as one account. Logging in as another would push this device's pending
/// work in that person's name and show them the first account's data.
#[tokio::test]
async fn a_store_syncs_as_the_account_it_first_synced_as() {
    let f = fixture().await;
    let (anna, bela) = (Uuid::now_v7(), Uuid::now_v7());
    f.store.claim_sync_account("https://duly.example/", anna, "anna").await.expect("first login");
    f.store.claim_sync_account("https://duly.example", anna, "anna").await.expect("the same account again");
    let refused =
        f.store.claim_sync_account("https://duly.example", bela, "bela").await.expect_err("refused");
    assert_eq!(refused.code(), ErrorCode::OtherAccount);
    assert!(refused.to_string().contains("anna"), "{refused}");
    let other_server = f.store.claim_sync_account("https://other.example", anna, "anna").await;
    assert_eq!(other_server.expect_err("refused").code(), ErrorCode::OtherAccount);
}
