//! A hostile client against the real server: each attempt from the sync review is refused with
//! its documented code, and the colleagues' data is unchanged afterwards.

use duly_core::model::{CommentInput, CommentTarget, CustomerInput, CustomerKind, TaskInput, TaskStatus};
use duly_protocol::{EntityKind, OpId, OpKind, OpOutcome, Operation, PROTOCOL_HEADER, Role, Scope};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::on_both_backends;
use crate::sync_support::{Backend, Device, PASSWORD, TestServer, http};

/// Ops as a hostile client writes them: any id, any field, stamped now.
pub(crate) struct Forger {
    pub client_id: Uuid,
    seq: i64,
    clock: uhlc::HLC,
}

impl Forger {
    pub fn new() -> Self {
        Self { client_id: Uuid::now_v7(), seq: 0, clock: uhlc::HLCBuilder::new().build() }
    }

    pub fn op(
        &mut self,
        scope: Scope,
        entity: EntityKind,
        id: Uuid,
        kind: OpKind,
        field: Option<&str>,
        value: Value,
    ) -> Operation {
        self.seq += 1;
        Operation {
            op_id: OpId { client_id: self.client_id, client_seq: self.seq },
            scope,
            entity,
            entity_id: id,
            kind,
            field: field.map(str::to_owned),
            value,
            hlc: self.clock.new_timestamp().to_string(),
            base: None,
        }
    }
}

pub(crate) fn refusal(outcome: &OpOutcome) -> Option<&'static str> {
    match outcome {
        OpOutcome::Rejected { code, .. } => Some(code.as_str()),
        _ => None,
    }
}

on_both_backends!(a_hostile_guest_and_member_are_refused_and_colleagues_keep_their_work);
async fn a_hostile_guest_and_member_are_refused_and_colleagues_keep_their_work(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let boss = Device::join(&server, "boss", Role::Manager).await;
    let bela = Device::join(&server, "bela", Role::Member).await;
    let guest = Device::join(&server, "partner", Role::Guest).await;
    let (admin, _) = server.client("admin", Role::Admin).await;

    let customer = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Kovács Kft", CustomerKind::Company))
        .await
        .expect("customer");
    let mut input = TaskInput::new("Ajánlat küldése", anna.me.id);
    input.customer_id = Some(customer.id);
    let task = anna.store.create_task(anna.ctx(), input).await.expect("task");
    let comment = anna
        .store
        .add_comment(anna.ctx(), CommentInput::on(CommentTarget::Task(task.id), "Jóváhagyom az ajánlatot."))
        .await
        .expect("comment");
    let team_task =
        anna.store.create_task(anna.ctx(), TaskInput::new("Belső", anna.me.id)).await.expect("task");
    anna.sync().await;
    admin.grant(guest.user.id, vec![customer.id]).await.expect("grant");
    guest.sync().await;
    assert!(guest.store.task(task.id).await.is_ok(), "the guest sees the shared task");

    let scope = Scope::Customer(customer.id);
    let mut forger = Forger::new();
    let deep: Value = serde_json::from_str(&format!("{}{}", "[".repeat(124), "]".repeat(124))).expect("deep");
    let own = guest.me.id;
    let attempts = vec![
        // H4: a guest deletes the customer, closes and reassigns its task, edits its data.
        (
            forger.op(scope, EntityKind::Customer, customer.id, OpKind::Delete, None, json!(Uuid::now_v7())),
            "forbidden",
        ),
        (
            forger.op(scope, EntityKind::Task, task.id, OpKind::Set, Some("status"), json!("done")),
            "forbidden",
        ),
        (
            forger.op(scope, EntityKind::Task, task.id, OpKind::Set, Some("responsible_id"), json!(own)),
            "forbidden",
        ),
        (
            forger.op(scope, EntityKind::Customer, customer.id, OpKind::Set, Some("notes"), json!("x")),
            "forbidden",
        ),
        (
            forger.op(scope, EntityKind::Task, Uuid::now_v7(), OpKind::Create, None, json!({"title": "x"})),
            "forbidden",
        ),
        // H2: rewriting a colleague's comment.
        (
            forger.op(
                scope,
                EntityKind::Comment,
                comment.id,
                OpKind::Set,
                Some("body"),
                json!("Visszavonom."),
            ),
            "forbidden",
        ),
        // C1: a value nested past every reader's limit, in the scope everybody reads.
        (
            forger.op(Scope::Settings, EntityKind::Colleague, own, OpKind::Set, Some("name"), deep),
            "invalid_operation",
        ),
        // A guest's colleague record: the name, never the role.
        (
            forger.op(Scope::Settings, EntityKind::Colleague, own, OpKind::Set, Some("role"), json!("admin")),
            "forbidden",
        ),
    ];
    let (ops, expected): (Vec<Operation>, Vec<&str>) = attempts.into_iter().unzip();
    let answer = guest.client.push(forger.client_id, ops).await.expect("push answered");
    let codes: Vec<Option<&str>> = answer.results.iter().map(|r| refusal(&r.outcome)).collect();
    assert_eq!(codes, expected.iter().map(|c| Some(*c)).collect::<Vec<_>>());

    // H5: a member re-homes a team task as a customer (or a keyword) by reusing its id.
    let mut forger = Forger::new();
    let rehome = vec![
        forger.op(
            Scope::Customer(team_task.id),
            EntityKind::Customer,
            team_task.id,
            OpKind::Create,
            None,
            json!({"name": "x"}),
        ),
        forger.op(Scope::Settings, EntityKind::Keyword, team_task.id, OpKind::Set, Some("name"), json!("x")),
    ];
    let answer = bela.client.push(forger.client_id, rehome).await.expect("push answered");
    for result in &answer.results {
        assert_eq!(refusal(&result.outcome), Some("invalid_operation"), "{result:?}");
    }

    // What a guest may do still works: a comment of their own, and editing its body.
    let mut forger = Forger::new();
    let note = Uuid::now_v7();
    let record = json!({
        "id": note, "task_id": task.id, "customer_id": customer.id, "author_id": own, "body": "Rendben, köszönöm.",
        "keyword_ids": [], "task_status_change": null, "customer_status_change": null, "attachments": [],
        "system": false, "created_at": "2026-11-25T10:00:00.000000Z",
    });
    let allowed = vec![
        forger.op(scope, EntityKind::Comment, note, OpKind::Create, None, record),
        forger.op(scope, EntityKind::Comment, note, OpKind::Set, Some("body"), json!("Rendben, köszönöm!")),
    ];
    let answer = guest.client.push(forger.client_id, allowed).await.expect("push answered");
    assert!(answer.results.iter().all(|r| matches!(r.outcome, OpOutcome::Applied { .. })), "{answer:?}");

    // H2: a comment "from" anna, marked as the system's: logged, but as the guest's own.
    let forged_id = Uuid::now_v7();
    let forged = json!({
        "id": forged_id, "task_id": task.id, "customer_id": customer.id, "author_id": anna.me.id,
        "body": "Új bankszámlaszám: HU12…", "keyword_ids": [], "task_status_change": null,
        "customer_status_change": null, "attachments": [], "system": true,
        "created_at": "2026-11-25T10:00:00.000000Z",
    });
    let create = forger.op(scope, EntityKind::Comment, forged_id, OpKind::Create, None, forged);
    guest.client.push(forger.client_id, vec![create]).await.expect("push answered");
    // H2: redirecting a task into another row through its `id`.
    let mut forger = Forger::new();
    let redirect =
        forger.op(Scope::Team, EntityKind::Task, team_task.id, OpKind::Set, Some("id"), json!(task.id));
    let answer = bela.client.push(forger.client_id, vec![redirect]).await.expect("push answered");
    assert_eq!(refusal(&answer.results[0].outcome), Some("invalid_operation"));

    // The colleagues' work is as they left it, and still moves.
    let mut renamed = task.fields.clone();
    renamed.title = "Ajánlat küldése (javítva)".into();
    anna.store.update_task(anna.ctx(), task.id, renamed).await.expect("anna edits");
    anna.sync().await;
    for device in [&anna, &boss] {
        let outcome = device.sync().await;
        assert_eq!(outcome.undecodable, 0, "nothing unreadable reached a reader");
        let seen = device.store.task(task.id).await.expect("task");
        assert_eq!(seen.fields.title, "Ajánlat küldése (javítva)");
        assert_eq!(seen.status, TaskStatus::Open);
        assert_eq!(seen.fields.responsible_id, Some(anna.me.id));
        assert!(device.store.customer(customer.id).await.is_ok(), "the customer is not deleted");
        let thread = device.store.task_comments(task.id).await.expect("thread");
        let kept = thread.iter().find(|c| c.id == comment.id).expect("anna's comment");
        assert_eq!((kept.body.as_str(), kept.author_id), ("Jóváhagyom az ajánlatot.", anna.me.id));
        let note = thread.iter().find(|c| c.id == note).expect("the guest's comment arrived");
        assert_eq!(note.body, "Rendben, köszönöm!");
        let forged = thread.iter().find(|c| c.id == forged_id).expect("the forged comment arrived");
        assert_eq!(
            (forged.author_id, forged.system),
            (own, false),
            "as the guest's, not anna's or the system's"
        );
        assert!(device.store.task(team_task.id).await.is_ok(), "the team task is still a task");
    }
}

on_both_backends!(failed_logins_from_one_address_never_lock_out_another);
async fn failed_logins_from_one_address_never_lock_out_another(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.user("anna", Role::Member).await;
    let url = format!("{}/api/auth/login", server.url());
    let from =
        |address: [u8; 4]| http().local_address(std::net::IpAddr::from(address)).build().expect("client");
    let login = |client: reqwest::Client, password: String| {
        let url = url.clone();
        async move {
            let body = json!({"login": "anna", "password": password, "colleague_id": null});
            client
                .post(url)
                .header(PROTOCOL_HEADER, "1")
                .json(&body)
                .send()
                .await
                .expect("answer")
                .status()
                .as_u16()
        }
    };
    // M1: someone guesses from another address until that address has to wait.
    let attacker = from([127, 0, 0, 2]);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(login(attacker.clone(), "nem ez az".into()).await);
    }
    assert_eq!(statuses.last(), Some(&429), "the guessing address waits: {statuses:?}");
    assert_eq!(login(attacker, PASSWORD.into()).await, 429, "even the right password waits there");
    assert_eq!(login(from([127, 0, 0, 1]), PASSWORD.into()).await, 200, "anna's own computer logs in");

    // M2: an oversized login name is refused before any work.
    let huge = json!({"login": "x".repeat(1_000_000), "password": "x", "colleague_id": null});
    let status = http()
        .build()
        .expect("client")
        .post(&url)
        .header(PROTOCOL_HEADER, "1")
        .json(&huge)
        .send()
        .await
        .expect("answer")
        .status();
    assert_eq!(status.as_u16(), 400);
}

on_both_backends!(a_colleagues_client_id_cannot_be_squatted_and_a_restored_store_loses_nothing);
async fn a_colleagues_client_id_cannot_be_squatted_and_a_restored_store_loses_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut anna = Device::join(&server, "anna", Role::Member).await;
    let boss = Device::join(&server, "boss", Role::Manager).await;
    let guest = Device::join(&server, "partner", Role::Guest).await;
    let first = anna.store.create_task(anna.ctx(), TaskInput::new("Első", anna.me.id)).await.expect("task");
    anna.sync().await;

    // C2: the guest logs ops under anna's client id and her next seqs, so that her real
    // edits would be taken for duplicates.
    let victim = anna.store.client_id();
    let mut squat = Forger { client_id: victim, seq: 0, clock: uhlc::HLCBuilder::new().build() };
    let own = guest.me.id;
    let ops: Vec<Operation> = (0..20)
        .map(|_| squat.op(Scope::Settings, EntityKind::Colleague, own, OpKind::Set, Some("name"), json!("x")))
        .collect();
    let answer = guest.client.push(victim, ops).await.expect("push answered");
    assert!(answer.results.iter().all(|r| refusal(&r.outcome) == Some("op_id_taken")), "{answer:?}");

    // A backup of anna's store, then more work, then the backup restored: its outbox numbers
    // ops again from where the backup stood.
    let backup = anna.path.with_extension("backup");
    anna.store.close().await;
    std::fs::copy(&anna.path, &backup).expect("back up");
    anna = anna.reopen().await;
    let second =
        anna.store.create_task(anna.ctx(), TaskInput::new("Második", anna.me.id)).await.expect("task");
    anna.sync().await;
    anna.store.close().await;
    std::fs::copy(&backup, &anna.path).expect("restore");
    for suffix in ["db-wal", "db-shm"] {
        let _ = std::fs::remove_file(anna.path.with_extension(suffix));
    }
    anna = anna.reopen().await;
    let third =
        anna.store.create_task(anna.ctx(), TaskInput::new("Harmadik", anna.me.id)).await.expect("task");
    let before = anna.store.client_id();
    anna.sync().await;
    anna.sync().await;
    assert_ne!(anna.store.client_id(), before, "the restored store took a new client id");
    assert_eq!(anna.store.pending_op_count().await.expect("count"), 0);
    assert!(anna.store.rejected_ops().await.expect("rejected").is_empty(), "nothing was refused for good");
    boss.sync().await;
    for task in [&first, &second, &third] {
        let seen = boss.store.task(task.id).await.expect("every task reached the manager");
        assert_eq!(seen.fields.title, task.fields.title);
    }
}

on_both_backends!(a_login_never_binds_a_colleague_who_stands_for_someone_else);
async fn a_login_never_binds_a_colleague_who_stands_for_someone_else(backend: Backend) {
    let server = TestServer::start(backend).await;
    let boss = Device::join(&server, "boss", Role::Manager).await;
    boss.sync().await;
    server.user("partner", Role::Guest).await;
    server.user("bela", Role::Member).await;
    let login = |who: &'static str, colleague: Uuid| {
        let url = server.url();
        async move {
            let client = duly_core::sync::SyncClient::new(&url).expect("client");
            client.login(who, PASSWORD, Some(colleague)).await.expect("login").user.colleague_id
        }
    };
    // H1: the guest names the manager's colleague record, which the server has seen created.
    assert_eq!(login("partner", boss.me.id).await, None, "the manager's record stays the manager's");
    // Nor one that another user is bound to but has not pushed yet.
    let annas = Uuid::now_v7();
    server.user("anna", Role::Member).await;
    assert_eq!(login("anna", annas).await, Some(annas));
    assert_eq!(login("bela", annas).await, None, "one colleague record, one user");
    // A record of their own still binds, once.
    let own = Uuid::now_v7();
    assert_eq!(login("partner", own).await, Some(own));
    assert_eq!(login("partner", Uuid::now_v7()).await, Some(own), "a binding is never replaced at login");
}

on_both_backends!(an_admin_binds_a_colleague_someone_else_entered);
/// H1: a colleague the manager entered before the person had an account is theirs only when an
/// admin says so; nobody else may, and one record stands for one user.
async fn an_admin_binds_a_colleague_someone_else_entered(backend: Backend) {
    let server = TestServer::start(backend).await;
    let boss = Device::join(&server, "boss", Role::Manager).await;
    let entered = duly_core::model::ColleagueInput {
        name: "Csonka Cili".into(),
        email: "cili@example.hu".into(),
        role: duly_core::model::Role::Member,
        active: true,
    };
    let cilis = boss.store.create_colleague(boss.ctx(), entered).await.expect("colleague");
    let customer = boss
        .store
        .create_customer(boss.ctx(), CustomerInput::named("Alfa Kft", CustomerKind::Company))
        .await
        .expect("customer");
    boss.sync().await;
    let cili = server.user("cili", Role::Member).await;
    let bela = server.user("bela", Role::Member).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let refused = |result: Result<duly_protocol::User, duly_core::sync::SyncError>| match result {
        Err(duly_core::sync::SyncError::Refused { status, .. }) => status,
        other => panic!("expected a refusal, got {other:?}"),
    };
    // Login does not bind it: the manager created it.
    let client = duly_core::sync::SyncClient::new(&server.url()).expect("client");
    assert_eq!(client.login("cili", PASSWORD, Some(cilis.id)).await.expect("login").user.colleague_id, None);
    assert_eq!(refused(boss.client.bind_colleague(cili.id, Some(cilis.id)).await), 403, "a manager may not");
    assert_eq!(refused(admin.bind_colleague(cili.id, Some(customer.id)).await), 404, "not a colleague");
    assert_eq!(refused(admin.bind_colleague(cili.id, Some(Uuid::now_v7())).await), 404, "no such record");
    let bound = admin.bind_colleague(cili.id, Some(cilis.id)).await.expect("the admin binds");
    assert_eq!(bound.colleague_id, Some(cilis.id));
    assert_eq!(refused(admin.bind_colleague(bela.id, Some(cilis.id)).await), 409, "one record, one user");
    let logged_in = client.login("cili", PASSWORD, None).await.expect("login").user;
    assert_eq!(logged_in.colleague_id, Some(cilis.id), "her logins stand for the record now");
    // A binding made by mistake is undone.
    assert_eq!(admin.bind_colleague(cili.id, None).await.expect("unbind").colleague_id, None);
}

/// Reads an event stream until it ends, or gives up after `limit`: true when it ended.
async fn stream_ends(response: reqwest::Response, limit: std::time::Duration) -> bool {
    let mut body = response;
    let read = async { while let Ok(Some(_)) = body.chunk().await {} };
    tokio::time::timeout(limit, read).await.is_ok()
}

on_both_backends!(sessions_end_and_their_event_streams_with_them);
async fn sessions_end_and_their_event_streams_with_them(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.sessions_per_user = 2).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let anna = server.user("anna", Role::Member).await;
    let session = || async {
        let client = duly_core::sync::SyncClient::new(&server.url()).expect("client");
        let token = client.login("anna", PASSWORD, None).await.expect("login").token;
        client.with_token(token)
    };
    // M3: a cap per user; the oldest session goes first.
    let (first, second, third) = (session().await, session().await, session().await);
    assert!(first.me().await.is_err(), "the oldest of three ended");
    assert!(second.me().await.is_ok() && third.me().await.is_ok());

    // M3: an open event stream ends with its session: logout, then disable.
    let stream = second.events().await.expect("events");
    second.logout().await.expect("logout");
    assert!(stream_ends(stream, std::time::Duration::from_secs(10)).await, "logout ends the stream");
    let stream = third.events().await.expect("events");
    admin.set_user_active(anna.id, false).await.expect("disable");
    assert!(stream_ends(stream, std::time::Duration::from_secs(10)).await, "disabling ends the stream");
    assert!(third.me().await.is_err());

    // Sessions end after their longest life (here: at once) and after idling.
    let lifetimes: [fn(&mut duly_server::Config); 2] =
        [|c| c.session_max_secs = 0, |c| c.session_idle_secs = 0];
    for adjust in lifetimes {
        let server = TestServer::start_with(backend, adjust).await;
        server.user("bela", Role::Member).await;
        let client = duly_core::sync::SyncClient::new(&server.url()).expect("client");
        let token = client.login("bela", PASSWORD, None).await.expect("login").token;
        assert!(client.with_token(token).me().await.is_err(), "an expired session is refused");
    }
}

on_both_backends!(a_guest_sees_a_colleagues_name_and_nothing_more);
async fn a_guest_sees_a_colleagues_name_and_nothing_more(backend: Backend) {
    let server = TestServer::start(backend).await;
    let boss = Device::join(&server, "boss", Role::Manager).await;
    let guest = Device::join(&server, "partner", Role::Guest).await;
    let input = duly_core::model::ColleagueInput {
        name: "Nagy Főnök".into(),
        email: "fonok@example.hu".into(),
        role: duly_core::model::Role::Manager,
        active: true,
    };
    boss.store.update_colleague(boss.ctx(), boss.me.id, input).await.expect("boss edits their record");
    boss.sync().await;
    guest.sync().await;
    // M8: the guest's device has the name, not the e-mail or the role.
    let seen = guest.store.colleagues().await.expect("colleagues");
    let shown = seen.iter().find(|c| c.id == boss.me.id).expect("the manager's name is known");
    assert_eq!(shown.name, "Nagy Főnök");
    assert_eq!(shown.email, "");
    assert_eq!(shown.role, duly_core::model::Role::Member);
    // The guest's own record is theirs in full; colleagues see the manager's record as it is.
    let (admin, _) = server.client("admin", Role::Admin).await;
    let everything = admin.pull(0, None).await.expect("pull");
    assert!(everything.ops.iter().any(|op| op.op.value == json!("fonok@example.hu")), "staff see the e-mail");
}

on_both_backends!(a_manager_cannot_take_over_another_manager);
async fn a_manager_cannot_take_over_another_manager(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (boss, _) = server.client("boss", Role::Manager).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let other = server.user("deputy", Role::Manager).await;
    let member = server.user("anna", Role::Member).await;
    // L9: a manager manages members and guests, not other managers.
    let refused = boss.set_user_active(other.id, false).await.expect_err("refused");
    assert_eq!(refused.code(), duly_core::ErrorCode::Forbidden);
    assert!(boss.set_user_active(member.id, false).await.is_ok());
    assert!(admin.set_user_active(other.id, false).await.is_ok(), "an admin may");
}

on_both_backends!(behind_a_trusted_proxy_the_forwarded_address_is_throttled);
async fn behind_a_trusted_proxy_the_forwarded_address_is_throttled(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.trusted_proxy = true).await;
    server.user("anna", Role::Member).await;
    let url = format!("{}/api/auth/login", server.url());
    let login = |forwarded: &'static str, password: &'static str| {
        let url = url.clone();
        async move {
            let body = json!({"login": "anna", "password": password, "colleague_id": null});
            let request = http().build().expect("client").post(url).header(PROTOCOL_HEADER, "1");
            // What a proxy sends: the client's claim first, the address it saw last.
            let request = request.header("x-forwarded-for", format!("1.2.3.4, {forwarded}"));
            request.json(&body).send().await.expect("answer").status().as_u16()
        }
    };
    for _ in 0..6 {
        login("10.0.0.66", "nem ez az").await;
    }
    assert_eq!(login("10.0.0.66", PASSWORD).await, 429, "the guessing client waits");
    assert_eq!(login("10.0.0.7", PASSWORD).await, 200, "another client behind the same proxy does not");
}

/// The next `poke` on an event stream, within a deadline: its `latest_seq`.
async fn next_poke(stream: &mut reqwest::Response, buffer: &mut String) -> i64 {
    let read = async {
        loop {
            if let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|line| line.strip_prefix("data:")) {
                    let poke: Value = serde_json::from_str(data.trim()).expect("poke");
                    return poke["latest_seq"].as_i64().expect("seq");
                }
                continue;
            }
            let chunk = stream.chunk().await.expect("stream").expect("stream open");
            buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read).await.expect("a poke within 10 s")
}

on_both_backends!(a_guest_is_poked_only_about_what_they_may_read);
async fn a_guest_is_poked_only_about_what_they_may_read(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let guest = Device::join(&server, "partner", Role::Guest).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let customer = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Kovács Kft", CustomerKind::Company))
        .await
        .expect("customer");
    anna.sync().await;
    let mut stream = guest.client.events().await.expect("events");
    let mut buffer = String::new();
    next_poke(&mut stream, &mut buffer).await;
    // L1: internal work does not tick the guest's stream ...
    anna.store.create_task(anna.ctx(), TaskInput::new("Belső", anna.me.id)).await.expect("task");
    anna.sync().await;
    // ... a grant does, and then work in the shared customer.
    admin.grant(guest.user.id, vec![customer.id]).await.expect("grant");
    let after_grant = next_poke(&mut stream, &mut buffer).await;
    let mut input = TaskInput::new("Közös", anna.me.id);
    input.customer_id = Some(customer.id);
    anna.store.create_task(anna.ctx(), input).await.expect("task");
    // In the same push, internal work after it: the log's length is that op's seq.
    anna.store.create_task(anna.ctx(), TaskInput::new("Belső 2", anna.me.id)).await.expect("task");
    anna.sync().await;
    let shared = next_poke(&mut stream, &mut buffer).await;
    assert!(shared > after_grant, "the shared customer's work is announced: {after_grant} → {shared}");
    // Had the team push been announced, its poke would have come first, with the seq of the
    // team's op, and this one would be the grant's (0: a guest is told no seq of others').
    assert_eq!(after_grant, 0);
    // A poke tells a guest the seq of the shared op, not the log's length.
    let everyone = anna.client.pull(0, None).await.expect("anna pulls").latest_seq;
    let shared_op = guest.client.pull(0, Some(Scope::Customer(customer.id))).await.expect("pull");
    assert_eq!(shared, shared_op.ops.iter().map(|o| o.seq).max().unwrap_or(0));
    assert!(everyone > shared, "the guest was not told the log's length {everyone}");
}
