//! T12, C12: the lists, in Europe/Budapest, across midnight and summer-time changes.

use chrono::{Duration, NaiveDate};
use chrono_tz::Europe::Budapest;
use duly_core::model::{
    CommentInput, CommentTarget, Due, Priority, ProjectInput, StatusChange, TaskInput, TaskStatus,
};
use duly_core::views::{TaskFilter, TaskSort, TimelineEntry, Viewer};
use uuid::Uuid;

use crate::support::{Fixture, budapest, fixture, fixture_at};

async fn task_due(f: &Fixture, title: &str, due: Due) -> Uuid {
    let mut input = TaskInput::new(title, f.me.id);
    input.due = Some(due);
    f.store.create_task(f.ctx(), input).await.expect("task").id
}

fn titles(tasks: &[duly_core::views::TaskSummary]) -> Vec<&str> {
    tasks.iter().map(|t| t.title.as_str()).collect()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[tokio::test]
async fn a_task_due_at_23_30_in_budapest_is_today_not_tomorrow() {
    let f = fixture_at(budapest(2026, 1, 15, 9, 0)).await;
    task_due(&f, "late tonight", Due::At(budapest(2026, 1, 15, 23, 30))).await;
    task_due(&f, "just after midnight", Due::At(budapest(2026, 1, 16, 0, 30))).await;
    task_due(&f, "tomorrow's day", Due::Day(day(2026, 1, 16))).await;
    task_due(&f, "today's day", Due::Day(day(2026, 1, 15))).await;
    let today = f.store.today(&f.viewer()).await.expect("today");
    assert_eq!(titles(&today), vec!["late tonight", "today's day"]);
    assert!(today.iter().all(|t| !t.overdue));
}

#[tokio::test]
async fn just_after_local_midnight_today_is_the_local_day_and_yesterday_is_overdue() {
    // 00:15 in Budapest is still the previous day in UTC.
    let f = fixture_at(budapest(2026, 1, 16, 0, 15)).await;
    task_due(&f, "yesterday", Due::Day(day(2026, 1, 15))).await;
    task_due(&f, "today", Due::Day(day(2026, 1, 16))).await;
    task_due(&f, "an hour ago", Due::At(budapest(2026, 1, 15, 23, 15))).await;
    let today = f.store.today(&f.viewer()).await.expect("today");
    assert_eq!(titles(&today), vec!["an hour ago", "yesterday", "today"]);
    assert_eq!(today.iter().map(|t| t.overdue).collect::<Vec<_>>(), vec![true, true, false]);
}

#[tokio::test]
async fn the_day_summer_time_starts_has_23_hours_and_today_ends_at_local_midnight() {
    // 29 March 2026: 02:00 becomes 03:00 in Budapest.
    let f = fixture_at(budapest(2026, 3, 29, 10, 0)).await;
    task_due(&f, "before the change", Due::At(budapest(2026, 3, 29, 1, 30))).await;
    task_due(&f, "23:30 CEST", Due::At(budapest(2026, 3, 29, 23, 30))).await;
    task_due(&f, "00:30 next day", Due::At(budapest(2026, 3, 30, 0, 30))).await;
    let viewer = f.viewer();
    assert_eq!(viewer.start_of(day(2026, 3, 30)) - viewer.start_of(day(2026, 3, 29)), Duration::hours(23));
    let today = f.store.today(&viewer).await.expect("today");
    assert_eq!(titles(&today), vec!["before the change", "23:30 CEST"]);
    assert!(today[0].overdue);
}

#[tokio::test]
async fn the_day_summer_time_ends_has_25_hours_and_today_ends_at_local_midnight() {
    // 25 October 2026: 03:00 becomes 02:00 in Budapest.
    let f = fixture_at(budapest(2026, 10, 25, 12, 0)).await;
    task_due(&f, "23:30 CET", Due::At(budapest(2026, 10, 25, 23, 30))).await;
    task_due(&f, "00:30 next day", Due::At(budapest(2026, 10, 26, 0, 30))).await;
    task_due(&f, "the day", Due::Day(day(2026, 10, 25))).await;
    let viewer = f.viewer();
    assert_eq!(viewer.start_of(day(2026, 10, 26)) - viewer.start_of(day(2026, 10, 25)), Duration::hours(25));
    let today = f.store.today(&viewer).await.expect("today");
    assert_eq!(titles(&today), vec!["23:30 CET", "the day"]);
}

#[tokio::test]
async fn today_puts_overdue_first_then_due_then_priority_and_skips_finished_and_others() {
    let f = fixture().await;
    let other = f.colleague("Tóth Gábor").await;
    let now_day = f.viewer().today();
    for (title, due, priority) in [
        ("today low", Due::Day(now_day), Priority::Low),
        ("today urgent", Due::Day(now_day), Priority::Urgent),
        ("two days late", Due::Day(now_day - Duration::days(2)), Priority::Normal),
        ("this afternoon", Due::At(budapest(2026, 3, 10, 15, 0)), Priority::Normal),
    ] {
        let mut input = TaskInput::new(title, f.me.id);
        input.due = Some(due);
        input.priority = priority;
        f.store.create_task(f.ctx(), input).await.expect("task");
    }
    let done = task_due(&f, "finished", Due::Day(now_day)).await;
    f.store
        .set_task_status(
            f.ctx(),
            done,
            StatusChange { status: TaskStatus::Done, outcome: Some("ok".into()), reason: None },
        )
        .await
        .expect("done");
    let mut theirs = TaskInput::new("someone else's", other.id);
    theirs.due = Some(Due::Day(now_day));
    f.store.create_task(f.ctx(), theirs).await.expect("task");
    task_due(&f, "next week", Due::Day(now_day + Duration::days(7))).await;

    let today = f.store.today(&f.viewer()).await.expect("today");
    assert_eq!(titles(&today), vec!["two days late", "this afternoon", "today urgent", "today low"]);
}

#[tokio::test]
async fn my_tasks_delegated_watching_by_colleague_by_customer_and_by_status() {
    let f = fixture().await;
    let gabor = f.colleague("Tóth Gábor").await;
    let customer = f.customer("Kovács Kft").await;
    let mine = task_due(&f, "mine", Due::Day(day(2026, 3, 20))).await;
    let mut delegated = TaskInput::new("for Gábor", gabor.id);
    delegated.customer_id = Some(customer.id);
    let delegated = f.store.create_task(f.ctx(), delegated).await.expect("task");
    let gabor_ctx = duly_core::model::WriteCtx::window(gabor.id);
    let mut watched = TaskInput::new("Gábor's, I watch", gabor.id);
    watched.watchers = vec![f.me.id];
    watched.customer_id = Some(customer.id);
    let watched = f.store.create_task(gabor_ctx, watched).await.expect("task");

    let viewer = f.viewer();
    assert_eq!(titles(&f.store.my_tasks(&viewer).await.expect("mine")), vec!["mine"]);
    assert_eq!(titles(&f.store.delegated(&viewer).await.expect("delegated")), vec!["for Gábor"]);
    assert_eq!(titles(&f.store.watching(&viewer).await.expect("watching")), vec!["Gábor's, I watch"]);
    let mut by_gabor = titles(&f.store.by_colleague(&viewer, gabor.id).await.expect("by colleague"))
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    by_gabor.sort();
    assert_eq!(by_gabor, vec!["Gábor's, I watch".to_owned(), "for Gábor".to_owned()]);
    let by_customer = f.store.by_customer(&viewer, customer.id).await.expect("by customer");
    assert_eq!(by_customer.len(), 2);
    assert!(by_customer.iter().all(|t| t.customer_name.as_deref() == Some("Kovács Kft")));

    f.store
        .set_task_status(
            f.ctx(),
            delegated.id,
            StatusChange { status: TaskStatus::Waiting, outcome: None, reason: None },
        )
        .await
        .expect("waiting");
    let waiting = f.store.by_status(&viewer, TaskStatus::Waiting, 50).await.expect("by status");
    assert_eq!(waiting.iter().map(|t| t.id).collect::<Vec<_>>(), vec![delegated.id]);
    // Unwatching takes it off the list.
    let mut input = f.store.task(watched.id).await.expect("task").fields;
    input.watchers.clear();
    f.store.update_task(gabor_ctx, watched.id, input).await.expect("unwatch");
    assert!(f.store.watching(&viewer).await.expect("watching").is_empty());
    let _ = mine;
}

#[tokio::test]
async fn lists_can_be_filtered_and_sorted() {
    let f = fixture().await;
    let now_day = f.viewer().today();
    for (title, days, priority) in
        [("Bravo", 1, Priority::High), ("alpha", 3, Priority::Low), ("Charlie", -1, Priority::Normal)]
    {
        let mut input = TaskInput::new(title, f.me.id);
        input.due = Some(Due::Day(now_day + Duration::days(days)));
        input.priority = priority;
        f.store.create_task(f.ctx(), input).await.expect("task");
    }
    let viewer = f.viewer();
    let tasks = f.store.my_tasks(&viewer).await.expect("mine");
    let by_title = TaskFilter { sort: TaskSort::Title, ..Default::default() }.apply(&viewer, tasks.clone());
    assert_eq!(titles(&by_title), vec!["alpha", "Bravo", "Charlie"]);
    let urgent =
        TaskFilter { min_priority: Some(Priority::Normal), sort: TaskSort::Priority, ..Default::default() }
            .apply(&viewer, tasks.clone());
    assert_eq!(titles(&urgent), vec!["Bravo", "Charlie"]);
    let overdue = TaskFilter { overdue_only: true, ..Default::default() }.apply(&viewer, tasks.clone());
    assert_eq!(titles(&overdue), vec!["Charlie"]);
    let text = TaskFilter { text: Some("ALP".into()), ..Default::default() }.apply(&viewer, tasks);
    assert_eq!(titles(&text), vec!["alpha"]);
}

#[tokio::test]
async fn the_customer_page_shows_contacts_project_tree_tasks_and_a_timeline_in_time_order() {
    let f = fixture().await;
    let customer = f.customer("Kovács Kft").await;
    let root = f
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
        .expect("root");
    let child = f
        .store
        .create_project(
            f.ctx(),
            ProjectInput {
                customer_id: Some(customer.id),
                parent_id: Some(root.id),
                name: "Tervezés".into(),
                archived: false,
                milestones: vec![],
            },
        )
        .await
        .expect("child");
    let mut input = TaskInput::new("Ajánlat küldése", f.me.id);
    input.project_id = Some(child.id);
    let task = f.store.create_task(f.ctx(), input).await.expect("task");
    f.clock.advance(Duration::minutes(1));
    f.store
        .add_comment(f.ctx(), CommentInput::on(CommentTarget::Customer(customer.id), "Első hívás"))
        .await
        .expect("comment");
    f.clock.advance(Duration::minutes(1));
    let offer = f.store.customer_statuses().await.expect("statuses")[1].clone();
    let mut comment = CommentInput::on(CommentTarget::Task(task.id), "Ajánlat elküldve e-mailben");
    comment.customer_status_change = Some(offer.id);
    f.store.add_comment(f.ctx(), comment).await.expect("comment");
    f.clock.advance(Duration::minutes(1));
    f.store
        .set_task_status(
            f.ctx(),
            task.id,
            StatusChange { status: TaskStatus::Done, outcome: Some("Elfogadták".into()), reason: None },
        )
        .await
        .expect("done");

    let page = f.store.customer_page(&f.viewer(), customer.id, 100).await.expect("page");
    assert_eq!(page.customer.fields.name, "Kovács Kft");
    assert_eq!(page.status.map(|s| s.id), Some(offer.id));
    assert_eq!(page.projects.iter().map(|p| p.id).collect::<Vec<_>>(), vec![root.id, child.id]);
    assert_eq!(page.tasks.len(), 1);
    let kinds: Vec<&str> = page
        .timeline
        .iter()
        .map(|e| match e {
            TimelineEntry::Comment { .. } => "comment",
            TimelineEntry::StatusChanged { .. } => "status",
            TimelineEntry::TaskFinished { .. } => "finished",
        })
        .collect();
    assert_eq!(kinds, vec!["finished", "comment", "status", "comment"], "{:#?}", page.timeline);
    assert!(page.timeline.windows(2).all(|w| w[0].at() >= w[1].at()));
    match &page.timeline[0] {
        TimelineEntry::TaskFinished { outcome, by, .. } => {
            assert_eq!(outcome.as_deref(), Some("Elfogadták"));
            assert_eq!(*by, Some(f.me.id));
        }
        other => panic!("{other:?}"),
    }
    match &page.timeline[1] {
        TimelineEntry::Comment { task_title, .. } => {
            assert_eq!(task_title.as_deref(), Some("Ajánlat küldése"))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn another_time_zone_sees_another_today() {
    let f = fixture_at(budapest(2026, 1, 15, 23, 0)).await;
    task_due(&f, "on the 16th", Due::Day(day(2026, 1, 16))).await;
    let tokyo = Viewer { tz: chrono_tz::Asia::Tokyo, ..f.viewer() };
    assert_eq!(f.store.today(&f.viewer()).await.expect("budapest").len(), 0);
    assert_eq!(f.store.today(&tokyo).await.expect("tokyo").len(), 1);
    let _ = Budapest;
}
