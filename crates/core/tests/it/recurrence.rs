//! T9 in the store: finishing an occurrence writes the next one, under an id derived from the
//! series and the day, with the series' fields copied and its checklist unticked.

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Budapest;
use duly_core::model::{
    ChecklistItem, Due, Recurrence, RecurrenceEnd, RecurrenceRule, Repeat, StatusChange, Task, TaskInput,
    TaskStatus,
};
use duly_core::schedule::Scheduler;
use duly_core::schedule::recurrence::occurrence_id;
use duly_core::store::Reschedule;

use crate::schedule::day;
use crate::support::{Fixture, budapest, fixture_at};

fn rule(repeat: Repeat, ends: RecurrenceEnd) -> Recurrence {
    Recurrence::new(RecurrenceRule { repeat, interval: 1, ends, create_ahead_days: None })
}

async fn series(f: &Fixture, due: Due, recurrence: Recurrence) -> Task {
    let watcher = f.colleague("Szabó Cili").await;
    let customer = f.customer("Kovács Kft").await;
    let input = TaskInput {
        due: Some(due),
        customer_id: Some(customer.id),
        watchers: vec![watcher.id],
        checklist: vec![ChecklistItem { text: "Bizonylatok".into(), done: false }],
        recurrence: Some(recurrence),
        ..TaskInput::new("Havi ÁFA-bevallás", f.me.id)
    };
    f.store.create_task(f.ctx(), input).await.expect("series")
}

/// Completes `task` (ticking its checklist first) and returns the next occurrence, if any.
async fn finish(f: &Fixture, task: &Task) -> Option<Task> {
    let mut input = task.fields.clone();
    input.checklist.iter_mut().for_each(|item| item.done = true);
    f.store.update_task(f.ctx(), task.id, input).await.expect("the store answers");
    let done = StatusChange { status: TaskStatus::Done, outcome: Some("Beküldve".into()), reason: None };
    f.store.set_task_status(f.ctx(), task.id, done).await.expect("the store answers");
    let series = task.fields.recurrence.as_ref()?.series_id?;
    let tasks = f.store.my_tasks(&f.viewer()).await.expect("the store answers");
    let next = tasks.iter().find(|t| t.id != task.id && t.title == task.fields.title)?;
    let next = f.store.task(next.id).await.expect("the store answers");
    assert_eq!(next.fields.recurrence.as_ref().and_then(|r| r.series_id), Some(series));
    Some(next)
}

fn due_day(task: &Task) -> NaiveDate {
    match task.fields.due {
        Some(Due::Day(day)) => day,
        other => panic!("expected a due day, got {other:?}"),
    }
}

#[tokio::test]
async fn monthly_on_the_31st_falls_on_the_last_day_of_february() {
    let f = fixture_at(budapest(2027, 1, 31, 10, 0)).await;
    let first =
        series(&f, Due::Day(day(2027, 1, 31)), rule(Repeat::MonthlyOnDay { day: 31 }, RecurrenceEnd::Never))
            .await;
    let february = finish(&f, &first).await.expect("a February occurrence");
    assert_eq!(due_day(&february), day(2027, 2, 28));
    assert_eq!(
        february.id,
        occurrence_id(first.id, &Repeat::MonthlyOnDay { day: 31 }, day(2027, 2, 28)),
        "the id comes from the series and the day"
    );
    assert_eq!(february.fields.customer_id, first.fields.customer_id);
    assert_eq!(february.fields.watchers, first.fields.watchers);
    assert_eq!(february.fields.responsible_id, Some(f.me.id));
    assert_eq!(february.creator_id, first.creator_id);
    assert!(february.fields.checklist.iter().all(|item| !item.done), "the plan starts unticked");
    assert_eq!(february.fields.recurrence.as_ref().expect("valid").occurrence, 2);
    let march = finish(&f, &february).await.expect("a March occurrence");
    assert_eq!(due_day(&march), day(2027, 3, 31));

    let leap = fixture_at(budapest(2028, 1, 31, 10, 0)).await;
    let first = series(
        &leap,
        Due::Day(day(2028, 1, 31)),
        rule(Repeat::MonthlyOnDay { day: 31 }, RecurrenceEnd::Never),
    )
    .await;
    assert_eq!(due_day(&finish(&leap, &first).await.expect("the store answers")), day(2028, 2, 29));
}

#[tokio::test]
async fn last_working_day_steps_around_good_friday_and_a_count_ends_the_series() {
    let f = fixture_at(budapest(2029, 2, 28, 10, 0)).await;
    let recurrence = rule(Repeat::MonthlyWorkingDay { nth: -1 }, RecurrenceEnd::AfterCount { count: 2 });
    let first = series(&f, Due::Day(day(2029, 2, 28)), recurrence).await;
    let second = finish(&f, &first).await.expect("the second of two");
    assert_eq!(due_day(&second), day(2029, 3, 29), "30 March 2029 is Good Friday, the 31st a Saturday");
    assert!(finish(&f, &second).await.is_none(), "the count is reached");
}

#[tokio::test]
async fn a_moved_occurrence_neither_skips_nor_shifts_the_series() {
    let f = fixture_at(budapest(2027, 1, 31, 10, 0)).await;
    let monthly = Repeat::MonthlyOnDay { day: 31 };
    let first = series(&f, Due::Day(day(2027, 1, 31)), rule(monthly.clone(), RecurrenceEnd::Never)).await;
    let february = finish(&f, &first).await.expect("a February occurrence");
    // The review moves February's occurrence past March's day; it is still February's.
    f.clock.set(budapest(2027, 2, 28, 16, 30));
    let moved = f
        .store
        .reschedule_task(f.ctx(), february.id, Reschedule::Day(day(2027, 4, 2)), Budapest)
        .await
        .expect("moved");
    assert_eq!(due_day(&moved), day(2027, 4, 2));
    let march = finish(&f, &moved).await.expect("a March occurrence");
    assert_eq!(due_day(&march), day(2027, 3, 31), "March is not skipped");
    assert_eq!(
        march.id,
        occurrence_id(first.id, &monthly, day(2027, 3, 31)),
        "the id another device derives too"
    );
    let april = finish(&f, &march).await.expect("an April occurrence");
    assert_eq!(due_day(&april), day(2027, 4, 30));
}

#[tokio::test]
async fn a_series_without_a_zone_keeps_the_writers_zone() {
    let f = fixture_at(budapest(2026, 12, 1, 10, 0)).await;
    f.store.set_preferences(&[("time_zone", "Asia/Tokyo")]).await.expect("saved");
    let first = series(&f, Due::Day(day(2026, 12, 1)), rule(Repeat::Daily, RecurrenceEnd::Never)).await;
    let recurrence = first.fields.recurrence.expect("a rule");
    assert_eq!(recurrence.time_zone.as_deref(), Some("Asia/Tokyo"));
    assert_eq!(recurrence.starts_on, Some(day(2026, 12, 1)));
}

#[tokio::test]
async fn until_a_date_and_cancelling_also_continue_the_series() {
    let f = fixture_at(budapest(2026, 12, 1, 10, 0)).await;
    let recurrence = rule(
        Repeat::Weekly { days: vec![duly_core::model::Weekday::Tue] },
        RecurrenceEnd::OnDate { date: day(2026, 12, 10) },
    );
    let first = series(&f, Due::Day(day(2026, 12, 1)), recurrence).await;
    let cancel =
        StatusChange { status: TaskStatus::Cancelled, outcome: None, reason: Some("Elmaradt".into()) };
    f.store.set_task_status(f.ctx(), first.id, cancel).await.expect("the store answers");
    let second = f
        .store
        .task(occurrence_id(
            first.id,
            &Repeat::Weekly { days: vec![duly_core::model::Weekday::Tue] },
            day(2026, 12, 8),
        ))
        .await
        .expect("cancelled still continues");
    assert!(finish(&f, &second).await.is_none(), "15 December is after the end date");
}

#[tokio::test]
async fn a_timed_daily_series_keeps_its_wall_clock_time_across_summer_time() {
    let f = fixture_at(budapest(2026, 3, 28, 8, 0)).await;
    let mut recurrence = rule(Repeat::Daily, RecurrenceEnd::Never);
    recurrence.time_zone = Some("Europe/Budapest".into());
    let nine = budapest(2026, 3, 28, 9, 0);
    let first = series(&f, Due::At(nine), recurrence).await;
    let next = finish(&f, &first).await.expect("the store answers");
    let expected =
        Budapest.with_ymd_and_hms(2026, 3, 29, 9, 0, 0).single().expect("valid").with_timezone(&Utc);
    assert_eq!(next.fields.due, Some(Due::At(expected)));
    assert_eq!(expected - nine, chrono::Duration::hours(23), "the short day");
}

#[tokio::test]
async fn a_series_that_creates_ahead_writes_the_next_occurrence_while_this_one_is_open() {
    let f = fixture_at(budapest(2026, 6, 1, 10, 0)).await;
    let mut recurrence = rule(Repeat::MonthlyOnDay { day: 10 }, RecurrenceEnd::Never);
    recurrence.rule.create_ahead_days = Some(5);
    let first = series(&f, Due::Day(day(2026, 6, 10)), recurrence).await;
    let next_id = occurrence_id(first.id, &Repeat::MonthlyOnDay { day: 10 }, day(2026, 7, 10));
    f.clock.set(budapest(2026, 7, 4, 10, 0));
    Scheduler::new(f.store.clone(), Budapest).tick().await.expect("the store answers");
    assert!(f.store.task(next_id).await.is_err(), "6 days ahead is too early");
    f.clock.set(budapest(2026, 7, 5, 10, 0));
    Scheduler::new(f.store.clone(), Budapest).tick().await.expect("the store answers");
    let next = f.store.task(next_id).await.expect("created 5 days ahead");
    assert_eq!(next.status, TaskStatus::Open);
    assert_eq!(f.store.task(first.id).await.expect("the store answers").status, TaskStatus::Open);
    finish(&f, &first).await;
    let all = f.store.my_tasks(&f.viewer()).await.expect("the store answers");
    assert_eq!(
        all.iter().filter(|t| t.title == "Havi ÁFA-bevallás").count(),
        1,
        "finishing it adds no second July task"
    );
}

/// A store from before structured rules: the RRULE text Duly wrote becomes a monthly rule;
/// other text moves into the description.
#[tokio::test]
async fn rules_written_as_text_by_an_older_duly_survive_the_upgrade() {
    use sqlx::{ConnectOptions, Connection};
    let dir = tempfile::tempdir().expect("valid");
    let path = dir.path().join("duly.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
    let mut conn = options.connect().await.expect("the store answers");
    let mut older = sqlx::migrate::Migrator::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/client"),
    )
    .await
    .expect("the store answers");
    older.migrations = older.migrations.iter().filter(|m| m.version < 4).cloned().collect::<Vec<_>>().into();
    older.run(&mut conn).await.expect("the store answers");
    let anna = uuid::Uuid::now_v7().to_string();
    sqlx::query("INSERT INTO colleagues (id, name, email, role, active, created_at) VALUES (?, 'Kiss Anna', '', 'admin', 1, '2026-01-01T00:00:00.000000Z')")
        .bind(&anna).execute(&mut conn).await.expect("the store answers");
    sqlx::query("INSERT INTO meta (key, value) VALUES ('profile_id', ?)")
        .bind(&anna)
        .execute(&mut conn)
        .await
        .expect("the store answers");
    let (monthly, yearly) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    for (id, title, rule) in
        [(monthly, "Havi ÁFA", "FREQ=MONTHLY;BYMONTHDAY=10"), (yearly, "Éves zárás", "FREQ=YEARLY;BYMONTH=5")]
    {
        sqlx::query(
            "INSERT INTO tasks (id, title, description, responsible_id, creator_id, status, priority, due_date, recurrence, created_at, updated_at)
             VALUES (?, ?, 'Leírás', ?, ?, 'open', 'normal', '2026-02-10', ?, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
        )
        .bind(id.to_string()).bind(title).bind(&anna).bind(&anna).bind(rule)
        .execute(&mut conn).await.expect("the store answers");
    }
    conn.close().await.expect("the store answers");

    let store = duly_core::Store::open(&path).await.expect("the upgrade opens the store");
    let task = store.task(monthly).await.expect("the store answers");
    let recurrence = task.fields.recurrence.expect("a monthly rule");
    assert_eq!(recurrence.rule.repeat, Repeat::MonthlyOnDay { day: 10 });
    assert_eq!((recurrence.series_id, recurrence.starts_on), (Some(monthly), Some(day(2026, 2, 10))));
    let other = store.task(yearly).await.expect("the store answers");
    assert_eq!(other.fields.recurrence, None);
    assert_eq!(other.fields.description, "Leírás\n\nRRULE: FREQ=YEARLY;BYMONTH=5");
}
