//! Time is the server's: a computer whose clock runs an hour fast has its stamps refused,
//! corrects its clock by the server's, stamps its waiting work again and loses nothing, and
//! its edits do not win merges they should lose.

use std::sync::Arc;

use duly_core::clock::{Clock, OffsetClock};
use duly_core::model::TaskInput;
use duly_protocol::{Role, stamp};

use crate::on_both_backends;
use crate::sync_support::{Backend, Device, TestServer};

on_both_backends!(a_computer_an_hour_fast_corrects_its_clock_and_loses_nothing);
async fn a_computer_an_hour_fast_corrects_its_clock_and_loses_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let fast: Arc<dyn Clock> = Arc::new(OffsetClock(chrono::Duration::hours(1)));
    let anna = Device::join_with_clock(&server, "anna", Role::Member, fast).await;
    let bela = Device::join(&server, "bela", Role::Member).await;

    let task = anna.store.create_task(anna.ctx(), TaskInput::new("Számla", anna.me.id)).await.expect("task");
    let mut renamed = task.fields.clone();
    renamed.title = "Számla kiküldése".into();
    anna.store.update_task(anna.ctx(), task.id, renamed).await.expect("rename");
    let outcome = anna.sync().await;
    assert!(outcome.restamped >= 3, "her profile, the task and the rename were stamped again: {outcome:?}");
    assert_eq!(anna.store.pending_op_count().await.expect("pending"), 0, "nothing stays behind");
    assert_eq!(anna.store.rejected_count().await.expect("rejected"), 0, "nothing is refused for good");

    // Every stamp the server logged is within its five minutes, Anna's included.
    let page = bela.client.pull(0, None).await.expect("pull");
    let bound = chrono::Utc::now().timestamp_millis() + 5 * 60 * 1000;
    for logged in &page.ops {
        let at = stamp::time_ms(&logged.op.hlc).expect("a stamp");
        assert!(at <= bound, "a stamp {} s ahead was logged", (at - bound) / 1000 + 300);
    }

    // Béla renames the task after her: his edit is the later one and must win everywhere,
    // although Anna's computer still shows a time an hour ahead.
    bela.sync().await;
    let mut his = bela.store.task(task.id).await.expect("arrived").fields;
    his.title = "Számla kiküldése (Béla)".into();
    bela.store.update_task(bela.ctx(), task.id, his).await.expect("bela renames");
    bela.sync().await;
    anna.sync().await;
    assert_eq!(anna.store.task(task.id).await.expect("task").fields.title, "Számla kiküldése (Béla)");

    // Her next edit needs no correction: the clock stays corrected, also after a restart.
    let anna = anna.reopen().await;
    let mut hers = anna.store.task(task.id).await.expect("task").fields;
    hers.title = "Számla kiküldve".into();
    anna.store.update_task(anna.ctx(), task.id, hers).await.expect("anna renames");
    assert_eq!(anna.sync().await.restamped, 0, "the correction was kept");
    bela.sync().await;
    assert_eq!(bela.store.task(task.id).await.expect("task").fields.title, "Számla kiküldve");
}
