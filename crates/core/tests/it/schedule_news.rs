//! The scheduler's other half: due soon and the review on the summer-time days, and the news
//! of what colleagues did (reassigned to me, finished or commented a task I watch, a burst of
//! it at once, a series' next occurrence that is no news).

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Budapest;
use duly_core::model::{
    CommentInput, CommentTarget, Due, Recurrence, RecurrenceEnd, RecurrenceRule, Repeat, StatusChange,
    TaskInput, TaskStatus, WriteCtx,
};
use duly_core::schedule::{DayOverride, Notice, NoticeKind, NoticeTarget, Scheduler};

use crate::schedule::day;
use crate::support::{Fixture, budapest, fixture_at};

async fn tick_at(f: &Fixture, at: DateTime<Utc>) -> Vec<Notice> {
    f.clock.set(at);
    Scheduler::new(f.store.clone(), Budapest).tick().await.expect("scheduler pass").notices
}

async fn kinds_at(f: &Fixture, at: DateTime<Utc>) -> Vec<NoticeKind> {
    tick_at(f, at).await.iter().map(|n| n.kind).collect()
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().expect("valid")
}

fn comment(task: uuid::Uuid, body: &str) -> CommentInput {
    CommentInput {
        target: CommentTarget::Task(task),
        body: body.into(),
        keyword_ids: vec![],
        task_status_change: None,
        customer_status_change: None,
        attachments: vec![],
    }
}

#[tokio::test]
async fn due_soon_and_the_review_keep_local_time_when_summer_time_starts_and_ends() {
    let f = fixture_at(budapest(2026, 3, 28, 12, 0)).await;
    let sundays = [
        DayOverride { date: day(2026, 3, 29), working: true },
        DayOverride { date: day(2026, 10, 25), working: true },
    ];
    f.store.set_calendar_overrides(f.ctx(), &sundays).await.expect("the store answers");
    // 29 March: 02:00 CET becomes 03:00 CEST. The lead before a 03:30 CEST due is an hour
    // of real time, so "due soon" comes at 01:30 CET (00:30Z), not at the wall clock's 02:30.
    let short_day = utc("2026-03-29T01:30:00Z");
    assert_eq!(short_day.with_timezone(&Budapest).format("%H:%M").to_string(), "03:30");
    let input = TaskInput { due: Some(Due::At(short_day)), ..TaskInput::new("Szerverfrissítés", f.me.id) };
    f.store.create_task(f.ctx(), input).await.expect("the store answers");
    assert!(kinds_at(&f, utc("2026-03-29T00:29:00Z")).await.is_empty());
    assert_eq!(
        kinds_at(&f, utc("2026-03-29T00:30:00Z")).await,
        [NoticeKind::DueSoon],
        "an hour of real time before"
    );
    assert!(kinds_at(&f, utc("2026-03-29T14:29:00Z")).await.contains(&NoticeKind::MorningDigest));
    let review = tick_at(&f, utc("2026-03-29T14:30:00Z")).await;
    assert_eq!(review.iter().map(|n| n.kind).collect::<Vec<_>>(), [NoticeKind::EndOfDayReview], "16:30 CEST");
    assert_eq!(review[0].count, 1, "the 03:30 task is still open");

    // 25 October: 03:00 CEST becomes 02:00 CET; the review is at 16:30 CET = 15:30Z.
    let evening = utc("2026-10-25T16:00:00Z");
    let input = TaskInput { due: Some(Due::At(evening)), ..TaskInput::new("Heti zárás", f.me.id) };
    f.store.create_task(f.ctx(), input).await.expect("the store answers");
    assert!(
        kinds_at(&f, utc("2026-10-25T07:30:00Z")).await.contains(&NoticeKind::MorningDigest),
        "08:30 CET"
    );
    assert!(kinds_at(&f, utc("2026-10-25T14:59:00Z")).await.is_empty());
    assert_eq!(
        kinds_at(&f, utc("2026-10-25T15:00:00Z")).await,
        [NoticeKind::DueSoon],
        "17:00 CET less an hour"
    );
    assert!(kinds_at(&f, utc("2026-10-25T15:29:00Z")).await.is_empty(), "15:29Z is 16:29 CET");
    assert_eq!(kinds_at(&f, utc("2026-10-25T15:30:00Z")).await, [NoticeKind::EndOfDayReview]);
}

#[tokio::test]
async fn a_reassignment_and_what_happens_to_a_task_i_watch_reach_me() {
    let f = fixture_at(budapest(2026, 6, 2, 10, 0)).await;
    let bela = f.colleague("Nagy Béla").await;
    let cili = f.colleague("Szabó Cili").await;
    let as_bela = WriteCtx::window(bela.id);
    tick_at(&f, budapest(2026, 6, 2, 10, 0)).await;

    // Béla gives me a task Cili had.
    let task = f
        .store
        .create_task(as_bela, TaskInput::new("Reklamáció kivizsgálása", cili.id))
        .await
        .expect("the store answers");
    assert!(kinds_at(&f, budapest(2026, 6, 2, 10, 1)).await.is_empty(), "not mine, not watched");
    let mut input = task.fields.clone();
    input.responsible_id = Some(f.me.id);
    f.store.update_task(as_bela, task.id, input).await.expect("the store answers");
    let news = tick_at(&f, budapest(2026, 6, 2, 10, 2)).await;
    assert_eq!(news.iter().map(|n| n.kind).collect::<Vec<_>>(), [NoticeKind::Assigned]);
    assert_eq!(
        (news[0].actor_name.as_deref(), news[0].target),
        (Some("Nagy Béla"), NoticeTarget::Task { id: task.id })
    );

    // A task of Cili's that I watch: Béla comments, Cili finishes it.
    let watched =
        TaskInput { watchers: vec![f.me.id], ..TaskInput::new("Szállítás egyeztetése", cili.id) };
    let watched = f.store.create_task(as_bela, watched).await.expect("the store answers");
    assert!(kinds_at(&f, budapest(2026, 6, 2, 10, 3)).await.is_empty(), "watching is not being assigned");
    f.store
        .add_comment(as_bela, comment(watched.id, "Pénteken jön a kamion."))
        .await
        .expect("the store answers");
    let done = StatusChange { status: TaskStatus::Done, outcome: Some("Egyeztetve".into()), reason: None };
    f.store.set_task_status(WriteCtx::window(cili.id), watched.id, done).await.expect("the store answers");
    let news = tick_at(&f, budapest(2026, 6, 2, 10, 4)).await;
    assert_eq!(
        news.iter().map(|n| n.kind).collect::<Vec<_>>(),
        [NoticeKind::Commented, NoticeKind::Completed]
    );
    assert_eq!(news[1].actor_name.as_deref(), Some("Szabó Cili"));
    assert!(kinds_at(&f, budapest(2026, 6, 2, 10, 5)).await.is_empty(), "once");
}

#[tokio::test]
async fn a_burst_of_news_is_one_notice_that_counts_it() {
    let f = fixture_at(budapest(2026, 6, 2, 10, 0)).await;
    let bela = f.colleague("Nagy Béla").await;
    tick_at(&f, budapest(2026, 6, 2, 10, 0)).await;
    for n in 0..12 {
        let input = TaskInput::new(format!("Visszahívás {n}"), f.me.id);
        f.store.create_task(WriteCtx::window(bela.id), input).await.expect("the store answers");
    }
    let news = tick_at(&f, budapest(2026, 6, 2, 10, 1)).await;
    assert_eq!(news.len(), 1, "{news:?}");
    assert_eq!(
        (news[0].kind, news[0].count, news[0].target),
        (NoticeKind::NewsBurst, 12, NoticeTarget::MyTasks)
    );
    assert!(tick_at(&f, budapest(2026, 6, 2, 10, 2)).await.is_empty());
}

#[tokio::test]
async fn the_next_occurrence_written_by_a_colleague_is_no_assignment() {
    let f = fixture_at(budapest(2026, 6, 2, 10, 0)).await;
    let bela = f.colleague("Nagy Béla").await;
    let rule = RecurrenceRule {
        repeat: Repeat::Weekly { days: vec![duly_core::model::Weekday::Tue] },
        interval: 1,
        ends: RecurrenceEnd::Never,
        create_ahead_days: None,
    };
    let input = TaskInput {
        due: Some(Due::Day(day(2026, 6, 2))),
        recurrence: Some(Recurrence::new(rule)),
        ..TaskInput::new("Heti riport", f.me.id)
    };
    let first = f.store.create_task(f.ctx(), input).await.expect("the store answers");
    tick_at(&f, budapest(2026, 6, 2, 10, 0)).await;
    let done = StatusChange { status: TaskStatus::Done, outcome: Some("Elküldve".into()), reason: None };
    f.store.set_task_status(WriteCtx::window(bela.id), first.id, done).await.expect("the store answers");
    let mine = f.store.my_tasks(&f.viewer()).await.expect("the store answers");
    assert!(
        mine.iter().any(|t| t.due == Some(Due::Day(day(2026, 6, 9)))),
        "the next Tuesday's occurrence is mine"
    );
    assert_eq!(
        kinds_at(&f, budapest(2026, 6, 2, 10, 1)).await,
        [NoticeKind::Completed],
        "Béla finished my task; the next is no news"
    );
}

#[tokio::test]
async fn the_review_comes_after_the_digest_and_the_ledger_forgets_what_no_window_reaches() {
    use chrono::NaiveTime;
    use duly_core::ErrorCode;
    use duly_core::schedule::NotifySettings;
    use sqlx::{ConnectOptions, Connection};
    let f = fixture_at(budapest(2026, 6, 2, 9, 0)).await;
    let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid");
    let backwards =
        NotifySettings { digest_time: at(16, 0), review_time: at(8, 30), ..NotifySettings::default() };
    let refused = f.store.set_notify_settings(&backwards).await.expect_err("refused");
    assert_eq!((refused.code(), refused.field()), (ErrorCode::InvalidInput, Some("review_time")));
    assert_eq!(
        f.store.notify_settings().await.expect("the store answers"),
        NotifySettings::default(),
        "nothing saved"
    );

    let input = TaskInput {
        reminder_at: Some(budapest(2026, 6, 2, 9, 30)),
        ..TaskInput::new("Visszahívás", f.me.id)
    };
    f.store.create_task(f.ctx(), input).await.expect("the store answers");
    assert_eq!(
        kinds_at(&f, budapest(2026, 6, 2, 9, 30)).await,
        [NoticeKind::Reminder, NoticeKind::MorningDigest]
    );
    let ledger = || async {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(f.dir.path().join("duly.db"));
        let mut conn = options.connect().await.expect("the store's file");
        let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM notices ORDER BY key")
            .fetch_all(&mut conn)
            .await
            .expect("notices");
        conn.close().await.expect("closed");
        keys
    };
    f.store.maintain().await.expect("the store answers");
    assert_eq!(ledger().await.len(), 2, "the digest and the reminder are remembered");
    f.clock.set(budapest(2026, 9, 2, 9, 0));
    f.store.maintain().await.expect("the store answers");
    assert!(ledger().await.is_empty(), "three months on, nothing can be decided again");
}
