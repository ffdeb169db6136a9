//! A hostile member's records against the real server: a record is the entity it is sent as,
//! belongs where its op goes, names its author as the server knows them, and carries no stamp
//! from the future (H2, H3).

use duly_core::model::{CustomerInput, CustomerKind, TaskInput};
use duly_protocol::{EntityKind, OpKind, OpOutcome, Role, Scope};
use serde_json::json;
use uuid::Uuid;

use crate::hostile::{Forger, refusal};
use crate::on_both_backends;
use crate::sync_support::{Backend, Device, TestServer};

on_both_backends!(a_record_says_who_wrote_it_and_where_it_belongs_as_the_server_knows_it);
async fn a_record_says_who_wrote_it_and_where_it_belongs_as_the_server_knows_it(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let bela = Device::join(&server, "bela", Role::Member).await;
    let boss = Device::join(&server, "boss", Role::Manager).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let mut tasks = Vec::new();
    let mut customers = Vec::new();
    for name in ["Alfa Kft", "Béta Bt"] {
        let customer = anna
            .store
            .create_customer(anna.ctx(), CustomerInput::named(name, CustomerKind::Company))
            .await
            .expect("customer");
        let mut input = TaskInput::new(format!("Ajánlat: {name}"), anna.me.id);
        input.customer_id = Some(customer.id);
        tasks.push(anna.store.create_task(anna.ctx(), input).await.expect("task"));
        customers.push(customer.id);
    }
    anna.sync().await;
    admin.grant(bela.user.id, customers.clone()).await.expect("grant");
    // Béla's own colleague record reaches the server the honest way.
    bela.sync().await;
    let (a, b) = (Scope::Customer(customers[0]), Scope::Customer(customers[1]));
    let (task_a, task_b) = (tasks[0].id, tasks[1].id);

    let mut forger = Forger::new();
    let (other, project) = (Uuid::now_v7(), Uuid::now_v7());
    let far = "18446744073709551615/ffffffffffffffffffffffffffffffff";
    let hour_ahead = {
        let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time")
            + std::time::Duration::from_secs(3600);
        uhlc::Timestamp::new(uhlc::NTP64::from(at), uhlc::ID::rand()).to_string()
    };
    let mut refused = vec![
        // A record whose id is another entity would be written into that row everywhere.
        (
            forger.op(
                a,
                EntityKind::Task,
                Uuid::now_v7(),
                OpKind::Create,
                None,
                json!({"id": other, "customer_id": customers[0]}),
            ),
            "invalid_operation",
        ),
        // Work of customer A that says it is B's would land on B's pages.
        (
            forger.op(
                a,
                EntityKind::Project,
                project,
                OpKind::Create,
                None,
                json!({"id": project, "customer_id": customers[1]}),
            ),
            "invalid_operation",
        ),
        // A comment pushed to A hanging on a task of B.
        (
            forger.op(
                a,
                EntityKind::Comment,
                Uuid::now_v7(),
                OpKind::Create,
                None,
                json!({"customer_id": customers[0], "task_id": task_b, "body": "x"}),
            ),
            "invalid_operation",
        ),
        (forger.op(a, EntityKind::Task, task_a, OpKind::Set, Some("title"), json!("HACKED")), "clock_ahead"),
        (forger.op(b, EntityKind::Task, task_b, OpKind::Delete, None, json!(Uuid::now_v7())), "clock_ahead"),
    ];
    refused[3].0.hlc = far.into();
    refused[4].0.hlc = hour_ahead;
    let (ops, expected): (Vec<_>, Vec<_>) = refused.into_iter().unzip();
    let answer = bela.client.push(forger.client_id, ops).await.expect("push answered");
    let codes: Vec<Option<&str>> = answer.results.iter().map(|r| refusal(&r.outcome)).collect();
    assert_eq!(codes, expected.into_iter().map(Some).collect::<Vec<_>>());

    // Authorship the record claims is replaced by the session's colleague.
    let forged_task = Uuid::now_v7();
    let mut record = serde_json::to_value(duly_core::model::Task::open(
        forged_task,
        TaskInput::new("Kész munka", anna.me.id),
        anna.me.id,
        chrono::Utc::now(),
    ))
    .expect("record");
    record["completed_by"] = json!(anna.me.id);
    record["status"] = json!("done");
    let accepted = vec![
        forger.op(Scope::Team, EntityKind::Task, forged_task, OpKind::Create, None, record),
        forger.op(a, EntityKind::Task, task_a, OpKind::Set, Some("completed_by"), json!(anna.me.id)),
    ];
    let answer = bela.client.push(forger.client_id, accepted).await.expect("push answered");
    assert!(answer.results.iter().all(|r| matches!(r.outcome, OpOutcome::Applied { .. })), "{answer:?}");

    // Anna renames her task after the stamp from the future was refused: hers stands.
    let mut renamed = tasks[0].fields.clone();
    renamed.title = "Ajánlat: Alfa Kft (javítva)".into();
    anna.store.update_task(anna.ctx(), task_a, renamed).await.expect("rename");
    anna.sync().await;
    boss.sync().await;
    let seen = boss.store.task(task_a).await.expect("task");
    assert_eq!(seen.fields.title, "Ajánlat: Alfa Kft (javítva)");
    assert_eq!(seen.completed_by, Some(bela.me.id), "completed by whoever sent it, not anna");
    assert!(boss.store.task(task_b).await.is_ok(), "not deleted");
    let forged = boss.store.task(forged_task).await.expect("the task arrived");
    assert_eq!((forged.creator_id, forged.completed_by), (bela.me.id, Some(bela.me.id)));
    assert!(boss.store.task(other).await.is_err(), "nothing was written under another id");
}
