//! T14: the absence warning with its deputy, the hand-over with history; T13's reschedule
//! over a holiday; N4's tray model.

use chrono_tz::Europe::Budapest;
use duly_core::ErrorCode;
use duly_core::model::{Absence, Due, StatusChange, TaskInput, TaskStatus, Weekday};
use duly_core::schedule::{Lang, TrayModel};
use duly_core::store::Reschedule;

use crate::schedule::day;
use crate::support::{budapest, fixture_at};

#[tokio::test]
async fn assigning_to_an_absent_colleague_warns_and_offers_the_deputy() {
    let f = fixture_at(budapest(2026, 7, 1, 9, 0)).await;
    let bela = f.colleague("Nagy Béla").await;
    let cili = f.colleague("Szabó Cili").await;
    let mut availability = bela.availability.clone();
    availability.absences.push(Absence {
        from: day(2026, 7, 13),
        to: day(2026, 7, 24),
        note: "Nyári szabadság".into(),
    });
    availability.deputy_id = Some(cili.id);
    f.store.set_availability(f.ctx(), bela.id, availability.clone()).await.expect("the store answers");

    let warning = f
        .store
        .absence_warning(bela.id, day(2026, 7, 15))
        .await
        .expect("the store answers")
        .expect("away on the 15th");
    assert_eq!(warning.absence.map(|a| a.to), Some(day(2026, 7, 24)));
    assert_eq!(warning.deputy.map(|d| d.id), Some(cili.id));
    assert!(f.store.absence_warning(bela.id, day(2026, 7, 27)).await.expect("the store answers").is_none());

    // Béla works Monday to Wednesday from now on: a Thursday warns too, with no absence; a
    // deputy who does not work that day is not offered.
    let mut part_time = availability.clone();
    part_time.work_days = vec![Weekday::Mon, Weekday::Tue, Weekday::Wed];
    f.store.set_availability(f.ctx(), bela.id, part_time).await.expect("the store answers");
    let thursday = f
        .store
        .absence_warning(bela.id, day(2026, 7, 30))
        .await
        .expect("the store answers")
        .expect("not his day");
    assert_eq!(thursday.absence, None);
    assert_eq!(thursday.deputy.map(|d| d.id), Some(cili.id));
    assert!(
        f.store.absence_warning(bela.id, day(2026, 7, 29)).await.expect("the store answers").is_none(),
        "a Wednesday"
    );
    let mut cili_part_time = cili.availability.clone();
    cili_part_time.work_days = vec![Weekday::Mon];
    f.store.set_availability(f.ctx(), cili.id, cili_part_time).await.expect("the store answers");
    let thursday = f
        .store
        .absence_warning(bela.id, day(2026, 7, 30))
        .await
        .expect("the store answers")
        .expect("not his day");
    assert_eq!(thursday.deputy, None, "the deputy does not work on Thursdays either");

    let before = f.counts().await;
    let mut backwards = availability.clone();
    backwards.absences[0].to = day(2026, 7, 1);
    assert_eq!(
        f.store.set_availability(f.ctx(), bela.id, backwards).await.expect_err("refused").code(),
        ErrorCode::InvalidInput
    );
    let own_deputy = duly_core::model::Availability { deputy_id: Some(bela.id), ..availability };
    assert_eq!(
        f.store.set_availability(f.ctx(), bela.id, own_deputy).await.expect_err("refused").code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(f.counts().await, before, "refused writes change nothing");
    let history = f.store.history(bela.id).await.expect("the store answers");
    assert!(history.iter().any(|h| h.field.as_deref() == Some("availability") && h.actor_id == f.me.id));
}

#[tokio::test]
async fn hand_over_moves_every_open_task_with_a_history_entry() {
    let f = fixture_at(budapest(2026, 7, 1, 9, 0)).await;
    let bela = f.colleague("Nagy Béla").await;
    let cili = f.colleague("Szabó Cili").await;
    let mut open = Vec::new();
    for title in ["Árajánlat", "Visszahívás", "Szállítás egyeztetése"] {
        open.push(
            f.store.create_task(f.ctx(), TaskInput::new(title, bela.id)).await.expect("the store answers"),
        );
    }
    let finished =
        f.store.create_task(f.ctx(), TaskInput::new("Lezárt ügy", bela.id)).await.expect("the store answers");
    let done = StatusChange { status: TaskStatus::Done, outcome: Some("Kész".into()), reason: None };
    f.store.set_task_status(f.ctx(), finished.id, done).await.expect("the store answers");

    assert_eq!(f.store.hand_over(f.ctx(), bela.id, cili.id).await.expect("the store answers"), 3);
    for task in &open {
        assert_eq!(
            f.store.task(task.id).await.expect("the store answers").fields.responsible_id,
            Some(cili.id)
        );
        let moves: Vec<_> = f
            .store
            .history(task.id)
            .await
            .expect("the store answers")
            .into_iter()
            .filter(|h| h.field.as_deref() == Some("responsible_id"))
            .collect();
        assert_eq!(moves.len(), 1);
        assert_eq!(moves[0].old_value, Some(serde_json::json!(bela.id)));
        assert_eq!(moves[0].new_value, Some(serde_json::json!(cili.id)));
        assert_eq!(moves[0].actor_id, f.me.id);
    }
    assert_eq!(
        f.store.task(finished.id).await.expect("the store answers").fields.responsible_id,
        Some(bela.id),
        "finished work keeps its doer"
    );
    assert_eq!(
        f.store.hand_over(f.ctx(), bela.id, bela.id).await.expect_err("refused").code(),
        ErrorCode::InvalidInput
    );
}

#[tokio::test]
async fn reschedule_to_the_next_working_day_steps_over_a_holiday() {
    // Thursday 22 October 2026; the 23rd is a national holiday (Friday).
    let f = fixture_at(budapest(2026, 10, 22, 16, 30)).await;
    let task = f
        .store
        .create_task(
            f.ctx(),
            TaskInput { due: Some(Due::Day(day(2026, 10, 20))), ..TaskInput::new("Számla", f.me.id) },
        )
        .await
        .expect("the store answers");
    let moved = f
        .store
        .reschedule_task(f.ctx(), task.id, Reschedule::NextWorkingDay, Budapest)
        .await
        .expect("the store answers");
    assert_eq!(moved.fields.due, Some(Due::Day(day(2026, 10, 26))));
    let moved = f
        .store
        .reschedule_task(f.ctx(), task.id, Reschedule::Tomorrow, Budapest)
        .await
        .expect("the store answers");
    assert_eq!(moved.fields.due, Some(Due::Day(day(2026, 10, 23))));
    let past = f.store.reschedule_task(f.ctx(), task.id, Reschedule::Day(day(2026, 10, 21)), Budapest).await;
    assert_eq!(past.expect_err("refused").code(), ErrorCode::InvalidInput);
    assert_eq!(
        f.store.task(task.id).await.expect("the store answers").fields.due,
        Some(Due::Day(day(2026, 10, 23)))
    );
}

#[tokio::test]
async fn the_tray_lists_ten_tasks_overdue_first() {
    let f = fixture_at(budapest(2026, 7, 1, 9, 0)).await;
    for n in 0..9 {
        f.store
            .create_task(
                f.ctx(),
                TaskInput {
                    due: Some(Due::Day(day(2026, 7, 1))),
                    ..TaskInput::new(format!("Mai {n}"), f.me.id)
                },
            )
            .await
            .expect("the store answers");
    }
    for n in 0..3 {
        f.store
            .create_task(
                f.ctx(),
                TaskInput {
                    due: Some(Due::Day(day(2026, 6, 29))),
                    ..TaskInput::new(format!("Régi {n}"), f.me.id)
                },
            )
            .await
            .expect("the store answers");
    }
    let model = TrayModel::build(&f.store, f.me.id, Budapest, Lang::Hu).await.expect("the store answers");
    assert_eq!((model.count, model.overdue, model.items.len()), (12, 3, 10));
    assert!(model.items[..3].iter().all(|i| i.overdue && i.label.ends_with("(lejárt)")));
    assert!(model.items[3..].iter().all(|i| !i.overdue));
    assert_eq!(model.tooltip, "Duly – 12 mai feladat (3 lejárt)");
    let english = TrayModel::build(&f.store, f.me.id, Budapest, Lang::En).await.expect("the store answers");
    assert_eq!((english.quit.as_str(), english.pause.as_str()), ("Quit", "Pause notifications for 1 hour"));
}
