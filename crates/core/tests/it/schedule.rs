//! The scheduler with a controllable clock in Europe/Budapest: every kind of notice at its
//! instant and once, summer-time days, restarts, quiet hours, a pause, switched-off kinds.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Europe::Budapest;
use duly_core::model::{CommentInput, CommentTarget, Due, StatusChange, TaskInput, TaskStatus, WriteCtx};
use duly_core::schedule::{DayOverride, Notice, NoticeKind, NoticeTarget, NotifySettings, Scheduler};
use duly_core::{Store, StoreOptions};

use crate::support::{Fixture, budapest, fixture_at};

async fn tick(store: &Store) -> Vec<Notice> {
    Scheduler::new(store.clone(), Budapest).tick().await.expect("scheduler pass").notices
}

fn kinds(notices: &[Notice]) -> Vec<NoticeKind> {
    notices.iter().map(|n| n.kind).collect()
}

/// Moves the clock to `at` and runs a pass there.
async fn at(f: &Fixture, at: DateTime<Utc>) -> Vec<NoticeKind> {
    f.clock.set(at);
    kinds(&tick(&f.store).await)
}

async fn my_task(
    f: &Fixture,
    title: &str,
    due: Option<Due>,
    reminder: Option<DateTime<Utc>>,
) -> duly_core::model::Task {
    let input = TaskInput { due, reminder_at: reminder, ..TaskInput::new(title, f.me.id) };
    f.store.create_task(f.ctx(), input).await.expect("task")
}

#[tokio::test]
async fn each_kind_fires_once_at_its_instant() {
    // Monday 30 March 2026, the first working day of summer time.
    let f = fixture_at(budapest(2026, 3, 30, 6, 0)).await;
    let bela = f.colleague("Nagy Béla").await;
    let as_bela = WriteCtx::window(bela.id);
    my_task(
        &f,
        "Ajánlat a Kovács Kft-nek",
        Some(Due::At(budapest(2026, 3, 30, 11, 0))),
        Some(budapest(2026, 3, 30, 9, 15)),
    )
    .await;
    assert!(tick(&f.store).await.is_empty(), "nothing is due at 06:00");

    assert!(at(&f, budapest(2026, 3, 30, 8, 29)).await.is_empty());
    let digest = tick_at(&f, budapest(2026, 3, 30, 8, 30)).await;
    assert_eq!(kinds(&digest), [NoticeKind::MorningDigest]);
    assert_eq!(
        budapest(2026, 3, 30, 8, 30),
        "2026-03-30T06:30:00Z".parse::<DateTime<Utc>>().expect("valid"),
        "CEST is UTC+2"
    );
    assert_eq!((digest[0].count, digest[0].overdue, digest[0].target), (1, 0, NoticeTarget::Today));
    assert!(at(&f, budapest(2026, 3, 30, 8, 31)).await.is_empty(), "the digest is said once a day");

    assert!(at(&f, budapest(2026, 3, 30, 9, 14)).await.is_empty());
    assert_eq!(at(&f, budapest(2026, 3, 30, 9, 15)).await, [NoticeKind::Reminder]);
    assert!(at(&f, budapest(2026, 3, 30, 9, 59)).await.is_empty(), "the reminder once; due soon not yet");
    assert_eq!(at(&f, budapest(2026, 3, 30, 10, 0)).await, [NoticeKind::DueSoon], "one hour before 11:00");
    assert!(at(&f, budapest(2026, 3, 30, 10, 30)).await.is_empty());

    // Others' work that concerns me, made here (it could as well arrive by sync).
    let given = f
        .store
        .create_task(as_bela, TaskInput::new("Számla kiküldése", f.me.id))
        .await
        .expect("the store answers");
    let news = tick(&f.store).await;
    assert_eq!(kinds(&news), [NoticeKind::Assigned]);
    assert_eq!(news[0].actor_name.as_deref(), Some("Nagy Béla"));
    assert_eq!(news[0].target, NoticeTarget::Task { id: given.id });
    let comment = CommentInput {
        target: CommentTarget::Task(given.id),
        body: "Elküldtem a tervezetet.".into(),
        keyword_ids: vec![],
        task_status_change: None,
        customer_status_change: None,
        attachments: vec![],
    };
    f.store.add_comment(as_bela, comment).await.expect("the store answers");
    let mine_for_bela = f
        .store
        .create_task(f.ctx(), TaskInput::new("Szerződés aláíratása", bela.id))
        .await
        .expect("the store answers");
    let done = StatusChange { status: TaskStatus::Done, outcome: Some("Aláírva".into()), reason: None };
    f.store.set_task_status(as_bela, mine_for_bela.id, done).await.expect("the store answers");
    let my_own = f
        .store
        .create_task(f.ctx(), TaskInput::new("Saját jegyzet", f.me.id))
        .await
        .expect("the store answers");
    let note = CommentInput {
        target: CommentTarget::Task(my_own.id),
        body: "magamnak".into(),
        keyword_ids: vec![],
        task_status_change: None,
        customer_status_change: None,
        attachments: vec![],
    };
    f.store.add_comment(f.ctx(), note).await.expect("the store answers");
    assert_eq!(
        kinds(&tick(&f.store).await),
        [NoticeKind::Commented, NoticeKind::Completed],
        "my own writes say nothing"
    );
    assert!(tick(&f.store).await.is_empty());

    assert!(at(&f, budapest(2026, 3, 30, 16, 29)).await.is_empty());
    let review = tick_at(&f, budapest(2026, 3, 30, 16, 30)).await;
    assert_eq!(kinds(&review), [NoticeKind::EndOfDayReview]);
    assert_eq!(
        (review[0].count, review[0].target),
        (1, NoticeTarget::Review),
        "the 11:00 task is still open"
    );
    assert!(at(&f, budapest(2026, 3, 30, 23, 0)).await.is_empty());
}

async fn tick_at(f: &Fixture, at: DateTime<Utc>) -> Vec<Notice> {
    f.clock.set(at);
    tick(&f.store).await
}

#[tokio::test]
async fn the_routine_keeps_local_time_on_the_days_summer_time_starts_and_ends() {
    let f = fixture_at(budapest(2026, 3, 28, 12, 0)).await;
    // Both change days are Sundays: the company works them here, so the digest is due.
    let sundays = [
        DayOverride { date: day(2026, 3, 29), working: true },
        DayOverride { date: day(2026, 10, 25), working: true },
    ];
    f.store.set_calendar_overrides(f.ctx(), &sundays).await.expect("the store answers");
    tick(&f.store).await;
    assert!(at(&f, utc("2026-03-29T06:29:00Z")).await.is_empty());
    assert_eq!(
        at(&f, utc("2026-03-29T06:30:00Z")).await,
        [NoticeKind::MorningDigest],
        "08:30 CEST on the short day"
    );
    assert!(at(&f, utc("2026-03-30T06:29:00Z")).await.is_empty(), "30 March is a Monday, digest at 06:30Z");
    assert_eq!(at(&f, utc("2026-03-30T06:30:00Z")).await, [NoticeKind::MorningDigest]);

    f.clock.set(utc("2026-10-24T12:00:00Z"));
    tick(&f.store).await;
    assert!(at(&f, utc("2026-10-25T06:30:00Z")).await.is_empty(), "06:30Z is 07:30 CET on the long day");
    assert_eq!(at(&f, utc("2026-10-25T07:30:00Z")).await, [NoticeKind::MorningDigest]);
    // A reminder set in the repeated hour (02:30 CET, the second time) fires at its instant.
    let second_half_past_two = utc("2026-10-25T01:30:00Z");
    my_task(&f, "Éjszakai mentés ellenőrzése", Some(Due::Day(day(2026, 10, 25))), Some(second_half_past_two))
        .await;
    assert!(at(&f, second_half_past_two - Duration::seconds(1)).await.is_empty());
    assert_eq!(at(&f, second_half_past_two).await, [NoticeKind::Reminder]);
}

#[tokio::test]
async fn nothing_fires_twice_after_a_restart() {
    let f = fixture_at(budapest(2026, 5, 4, 9, 0)).await;
    my_task(&f, "Visszahívás", Some(Due::Day(day(2026, 5, 4))), Some(budapest(2026, 5, 4, 9, 30))).await;
    assert_eq!(at(&f, budapest(2026, 5, 4, 9, 30)).await, [NoticeKind::Reminder, NoticeKind::MorningDigest]);
    let path = f.dir.path().join("duly.db");
    f.store.close().await;
    let reopened = Store::open_with(
        &path,
        StoreOptions { clock: f.clock.clone(), background_maintenance: false, ..StoreOptions::default() },
    )
    .await
    .expect("the store answers");
    f.clock.set(budapest(2026, 5, 4, 9, 45));
    assert!(tick(&reopened).await.is_empty(), "the ledger survived the restart");
}

#[tokio::test]
async fn quiet_hours_hold_and_release_what_fell_due() {
    let f = fixture_at(budapest(2026, 5, 4, 6, 0)).await;
    let at7 = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid");
    let settings = NotifySettings {
        quiet_from: Some(at7(22, 0)),
        quiet_to: Some(at7(9, 0)),
        ..NotifySettings::default()
    };
    f.store.set_notify_settings(&settings).await.expect("the store answers");
    my_task(&f, "Korai hívás", Some(Due::Day(day(2026, 5, 4))), Some(budapest(2026, 5, 4, 7, 0))).await;
    assert!(at(&f, budapest(2026, 5, 4, 8, 45)).await.is_empty(), "quiet until 09:00");
    let pass = Scheduler::new(f.store.clone(), Budapest).tick().await.expect("the store answers");
    assert!(pass.next_wake <= budapest(2026, 5, 4, 9, 0));
    assert_eq!(at(&f, budapest(2026, 5, 4, 9, 0)).await, [NoticeKind::Reminder, NoticeKind::MorningDigest]);
}

#[tokio::test]
async fn a_pause_holds_and_switched_off_kinds_stay_silent() {
    let f = fixture_at(budapest(2026, 5, 5, 10, 0)).await;
    tick(&f.store).await;
    my_task(&f, "Ajánlat utánkövetése", Some(Due::Day(day(2026, 5, 6))), Some(budapest(2026, 5, 5, 10, 30)))
        .await;
    f.store.pause_notifications(Some(budapest(2026, 5, 5, 11, 0))).await.expect("the store answers");
    assert!(at(&f, budapest(2026, 5, 5, 10, 30)).await.is_empty(), "paused");
    assert_eq!(
        at(&f, budapest(2026, 5, 5, 11, 0)).await,
        [NoticeKind::Reminder],
        "shown when the pause ends"
    );

    // A settings page opened before the pause saves: the pause stays.
    f.store.pause_notifications(Some(budapest(2026, 5, 5, 13, 0))).await.expect("the store answers");
    let saved = f.store.set_notify_settings(&NotifySettings::default()).await.expect("the store answers");
    assert_eq!(saved.paused_until, Some(budapest(2026, 5, 5, 13, 0)), "saving the switches keeps the pause");
    f.store.pause_notifications(None).await.expect("the store answers");
    let off =
        NotifySettings { reminders: false, ..f.store.notify_settings().await.expect("the store answers") };
    f.store.set_notify_settings(&off).await.expect("the store answers");
    my_task(&f, "Csendes emlékeztető", None, Some(budapest(2026, 5, 5, 12, 0))).await;
    assert!(at(&f, budapest(2026, 5, 5, 12, 0)).await.is_empty());
    f.store.set_notify_settings(&NotifySettings { reminders: true, ..off }).await.expect("the store answers");
    assert!(at(&f, budapest(2026, 5, 5, 12, 1)).await.is_empty(), "decided while off: not shown later");
}

#[tokio::test]
async fn no_digest_on_a_holiday_or_while_absent() {
    // 1 May 2026 is Labour Day (a Friday).
    let f = fixture_at(budapest(2026, 5, 1, 8, 0)).await;
    assert!(at(&f, budapest(2026, 5, 1, 9, 0)).await.is_empty());
    let mut away = f.me.availability.clone();
    away.absences.push(duly_core::model::Absence {
        from: day(2026, 5, 4),
        to: day(2026, 5, 8),
        note: "Szabadság".into(),
    });
    f.store.set_availability(f.ctx(), f.me.id, away).await.expect("the store answers");
    assert!(at(&f, budapest(2026, 5, 4, 9, 0)).await.is_empty(), "on leave");
    assert_eq!(at(&f, budapest(2026, 5, 11, 9, 0)).await, [NoticeKind::MorningDigest]);
    // Part time, Monday to Wednesday: no digest on Thursday.
    let mut part_time = f
        .store
        .colleagues()
        .await
        .expect("the store answers")
        .into_iter()
        .find(|c| c.id == f.me.id)
        .expect("me")
        .availability;
    part_time.work_days =
        vec![duly_core::model::Weekday::Mon, duly_core::model::Weekday::Tue, duly_core::model::Weekday::Wed];
    f.store.set_availability(f.ctx(), f.me.id, part_time).await.expect("the store answers");
    assert_eq!(at(&f, budapest(2026, 5, 13, 9, 0)).await, [NoticeKind::MorningDigest], "Wednesday");
    assert!(at(&f, budapest(2026, 5, 14, 9, 0)).await.is_empty(), "Thursday is not my day");
}

pub fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).expect("valid")
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().expect("valid")
}
