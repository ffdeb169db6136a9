//! T9 across devices: two colleagues finish the same occurrence offline; after sync there is
//! one next occurrence between them, not two (its id comes from the series and the day the
//! rule gave it, even when one of them moved the occurrence first).

use chrono::NaiveDate;
use duly_core::model::{
    CustomerInput, CustomerKind, Due, Recurrence, RecurrenceEnd, RecurrenceRule, Repeat, StatusChange,
    TaskInput, TaskStatus,
};
use duly_core::schedule::recurrence::occurrence_id;
use duly_protocol::Role;

use crate::on_both_backends;
use crate::sync_support::{Backend, Device, TestServer, snapshot};

on_both_backends!(two_devices_finishing_one_occurrence_create_one_next);
async fn two_devices_finishing_one_occurrence_create_one_next(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let bela = Device::join(&server, "bela", Role::Member).await;
    let (admin, _) = server.client("admin", Role::Admin).await;

    let customer = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Kovács Kft", CustomerKind::Company))
        .await
        .expect("customer");
    let rule = RecurrenceRule {
        repeat: Repeat::MonthlyOnDay { day: 31 },
        interval: 1,
        ends: RecurrenceEnd::Never,
        create_ahead_days: None,
    };
    let january = NaiveDate::from_ymd_opt(2027, 1, 31).expect("day");
    let input = TaskInput {
        customer_id: Some(customer.id),
        due: Some(Due::Day(january)),
        recurrence: Some(Recurrence::new(rule)),
        ..TaskInput::new("Havi számla kiállítása", anna.me.id)
    };
    let first = anna.store.create_task(anna.ctx(), input).await.expect("series");
    anna.sync().await;
    admin.grant(bela.user.id, vec![customer.id]).await.expect("grant");
    bela.sync().await;
    assert_eq!(bela.store.task(first.id).await.expect("arrived").fields.recurrence, first.fields.recurrence);

    // Both offline. Anna first moves January's occurrence past February's day (as the
    // end-of-day review may); it stays January's, so both still write February's.
    let moved_to = duly_core::store::Reschedule::Day(NaiveDate::from_ymd_opt(2027, 3, 1).expect("day"));
    anna.store
        .reschedule_task(anna.ctx(), first.id, moved_to, chrono_tz::Europe::Budapest)
        .await
        .expect("moved");
    // Each completes January.
    for (device, outcome) in [(&anna, "Kiállítva (Anna)"), (&bela, "Kiállítva (Béla)")] {
        let done = StatusChange { status: TaskStatus::Done, outcome: Some(outcome.into()), reason: None };
        device.store.set_task_status(device.ctx(), first.id, done).await.expect("complete");
    }
    anna.sync().await;
    bela.sync().await;
    anna.sync().await;

    let repeat = &first.fields.recurrence.as_ref().expect("a rule").rule.repeat;
    let february = occurrence_id(first.id, repeat, NaiveDate::from_ymd_opt(2027, 2, 28).expect("day"));
    for device in [&anna, &bela] {
        let tasks = device.store.by_customer(&viewer(device), customer.id).await.expect("tasks");
        let open: Vec<_> = tasks.iter().filter(|t| t.status == TaskStatus::Open).collect();
        assert_eq!(open.len(), 1, "one next occurrence on {}: {open:?}", device.user.login);
        assert_eq!(open[0].id, february);
        assert_eq!(open[0].due, Some(Due::Day(NaiveDate::from_ymd_opt(2027, 2, 28).expect("day"))));
        let next = device.store.task(february).await.expect("february");
        assert_eq!(next.fields.recurrence.as_ref().map(|r| r.occurrence), Some(2));
    }
    assert_eq!(
        snapshot(&anna.path, Some(&[customer.id])).await,
        snapshot(&bela.path, Some(&[customer.id])).await
    );
}

fn viewer(device: &Device) -> duly_core::views::Viewer {
    duly_core::views::Viewer {
        colleague: device.me.id,
        tz: chrono_tz::Europe::Budapest,
        now: device.store.now(),
    }
}

// N3: an assignment made on another device reaches me by sync and is notified once.
on_both_backends!(an_assignment_arriving_by_sync_is_notified_once);
async fn an_assignment_arriving_by_sync_is_notified_once(backend: Backend) {
    use duly_core::schedule::{NoticeKind, NoticeTarget, Scheduler};
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let bela = Device::join(&server, "bela", Role::Member).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let customer = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Szabó Pékség", CustomerKind::Company))
        .await
        .expect("customer");
    anna.sync().await;
    admin.grant(bela.user.id, vec![customer.id]).await.expect("grant");
    bela.sync().await;
    let scheduler = Scheduler::new(anna.store.clone(), chrono_tz::Europe::Budapest);
    scheduler.tick().await.expect("first pass");

    let input =
        TaskInput { customer_id: Some(customer.id), ..TaskInput::new("Kemence szervize", anna.me.id) };
    let task = bela.store.create_task(bela.ctx(), input).await.expect("Béla assigns Anna");
    bela.sync().await;
    anna.sync().await;
    let news: Vec<_> = scheduler
        .tick()
        .await
        .expect("pass")
        .notices
        .into_iter()
        .filter(|n| n.kind == NoticeKind::Assigned)
        .collect();
    assert_eq!(news.len(), 1, "{news:?}");
    assert_eq!(news[0].target, NoticeTarget::Task { id: task.id });
    assert_eq!(news[0].actor_name.as_deref(), Some("bela"));
    assert_eq!(news[0].task_title.as_deref(), Some("Kemence szervize"));
    assert!(
        scheduler.tick().await.expect("pass").notices.iter().all(|n| n.kind != NoticeKind::Assigned),
        "once"
    );
}

// The company's working days are shared: two colleagues change different days offline and
// both changes reach everyone; a day taken back is taken back everywhere.
on_both_backends!(the_working_calendar_is_the_companys);
async fn the_working_calendar_is_the_companys(backend: Backend) {
    use duly_core::schedule::DayOverride;
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).expect("day");
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let bela = Device::join(&server, "bela", Role::Member).await;
    let new_years_eve = DayOverride { date: day(12, 31), working: false };
    let saturday_worked = DayOverride { date: day(12, 12), working: true };
    anna.store.set_calendar_overrides(anna.ctx(), &[new_years_eve]).await.expect("Anna's day off");
    bela.store.set_calendar_overrides(bela.ctx(), &[saturday_worked]).await.expect("Béla's Saturday");
    for _ in 0..2 {
        anna.sync().await;
        bela.sync().await;
    }
    for device in [&anna, &bela] {
        let calendar = device.store.work_calendar().await.expect("calendar");
        assert_eq!(calendar.overrides(), [saturday_worked, new_years_eve], "on {}", device.user.login);
        assert_eq!(
            calendar.next_working_day(day(12, 30)),
            NaiveDate::from_ymd_opt(2027, 1, 4).expect("day"),
            "31 Dec off, 1 Jan a holiday"
        );
    }
    let history = bela.store.history(duly_core::store::WORK_CALENDAR_ID).await.expect("history");
    assert!(
        history.iter().any(|h| h.field.as_deref() == Some("2026-12-31") && h.actor_id == anna.me.id),
        "{history:?}"
    );

    bela.store
        .set_calendar_overrides(bela.ctx(), &[saturday_worked])
        .await
        .expect("Béla takes New Year's Eve back");
    bela.sync().await;
    anna.sync().await;
    assert_eq!(anna.store.work_calendar().await.expect("calendar").overrides(), [saturday_worked]);
}
