//! Sync scenarios against the real server, once on SQLite and once on PostgreSQL.

use duly_core::model::{CommentInput, CommentTarget, CustomerInput, CustomerKind, TaskInput};
use duly_protocol::{EntityKind, OpKind, Role, Scope};

use crate::on_both_backends;
use crate::sync_support::{Backend, Device, TestServer, snapshot};

on_both_backends!(two_colleagues_edit_one_task_offline_and_converge);
async fn two_colleagues_edit_one_task_offline_and_converge(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let bela = Device::join(&server, "bela", Role::Member).await;
    let (admin, _) = server.client("admin", Role::Admin).await;

    let customer = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Kovács Kft", CustomerKind::Company))
        .await
        .expect("customer");
    let mut input = TaskInput::new("Ajánlat küldése", anna.me.id);
    input.customer_id = Some(customer.id);
    let task = anna.store.create_task(anna.ctx(), input).await.expect("task");
    anna.sync().await;
    bela.sync().await;
    assert!(bela.store.task(task.id).await.is_err(), "not shared with Béla yet");
    admin.grant(bela.user.id, vec![customer.id]).await.expect("grant");
    let outcome = bela.sync().await;
    assert_eq!(outcome.bootstrapped, vec![customer.id], "a grant bootstraps the customer");
    assert_eq!(bela.store.task(task.id).await.expect("task arrived").fields.title, "Ajánlat küldése");

    // Both offline: each renames the task and writes a comment.
    let mut by_anna = task.fields.clone();
    by_anna.title = "Ajánlat küldése (Anna)".into();
    anna.store.update_task(anna.ctx(), task.id, by_anna).await.expect("anna edits");
    let mut by_bela = task.fields.clone();
    by_bela.title = "Ajánlat küldése (Béla)".into();
    bela.store.update_task(bela.ctx(), task.id, by_bela).await.expect("bela edits");
    anna.store
        .add_comment(anna.ctx(), CommentInput::on(CommentTarget::Task(task.id), "Anna: felhívtam"))
        .await
        .expect("comment");
    bela.store
        .add_comment(bela.ctx(), CommentInput::on(CommentTarget::Task(task.id), "Béla: e-mailt küldtem"))
        .await
        .expect("comment");

    anna.sync().await;
    bela.sync().await;
    anna.sync().await;

    let (a, b) =
        (anna.store.task(task.id).await.expect("task"), bela.store.task(task.id).await.expect("task"));
    assert_eq!(a.fields.title, b.fields.title, "both replicas converge");
    let winner = a.fields.title.clone();
    let loser =
        if winner.contains("Anna") { "Ajánlat küldése (Béla)" } else { "Ajánlat küldése (Anna)" };
    for device in [&anna, &bela] {
        let bodies: Vec<String> =
            device.store.task_comments(task.id).await.expect("thread").into_iter().map(|c| c.body).collect();
        assert!(
            bodies.contains(&"Anna: felhívtam".to_owned())
                && bodies.contains(&"Béla: e-mailt küldtem".to_owned()),
            "{bodies:?}"
        );
        let conflicts = device.store.conflicts(task.id).await.expect("conflicts");
        assert_eq!(conflicts.len(), 1, "the lost edit is shown on {}", device.user.login);
        assert_eq!(conflicts[0].field, "title");
        assert_eq!(conflicts[0].lost_value, serde_json::json!(loser));
        assert_eq!(conflicts[0].kept_value, serde_json::json!(winner));
        let titles: Vec<_> = device
            .store
            .history(task.id)
            .await
            .expect("history")
            .into_iter()
            .filter(|h| h.field.as_deref() == Some("title"))
            .filter_map(|h| h.new_value)
            .collect();
        assert!(titles.contains(&serde_json::json!(winner)), "the winning edit is in history: {titles:?}");
    }
    // The loser's own replica keeps its edit in history too.
    let loser_device = if loser.contains("Anna") { &anna } else { &bela };
    let own: Vec<_> = loser_device
        .store
        .history(task.id)
        .await
        .expect("history")
        .into_iter()
        .filter_map(|h| h.new_value)
        .collect();
    assert!(own.contains(&serde_json::json!(loser)), "{own:?}");
    assert_eq!(
        snapshot(&anna.path, Some(&[customer.id])).await,
        snapshot(&bela.path, Some(&[customer.id])).await
    );
}

on_both_backends!(revoking_a_customer_purges_it_and_keeps_pending_edits_in_the_rejected_list);
async fn revoking_a_customer_purges_it_and_keeps_pending_edits_in_the_rejected_list(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let bela = Device::join(&server, "bela", Role::Member).await;
    let (admin, _) = server.client("admin", Role::Manager).await;
    let customer = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Szabó Bt", CustomerKind::Company))
        .await
        .expect("customer");
    let mut input = TaskInput::new("Szerződés", anna.me.id);
    input.customer_id = Some(customer.id);
    let task = anna.store.create_task(anna.ctx(), input).await.expect("task");
    anna.sync().await;
    admin.grant(bela.user.id, vec![customer.id]).await.expect("grant");
    bela.sync().await;
    assert!(bela.store.customer(customer.id).await.is_ok());

    // Béla writes while offline; meanwhile the customer is taken back from him.
    let note = bela
        .store
        .add_comment(bela.ctx(), CommentInput::on(CommentTarget::Task(task.id), "Béla jegyzete"))
        .await
        .expect("comment");
    admin.revoke(bela.user.id, vec![customer.id]).await.expect("revoke");
    let outcome = bela.sync().await;
    assert_eq!(outcome.purged, vec![customer.id]);
    assert!(bela.store.customer(customer.id).await.is_err(), "the customer left Béla's device");
    assert!(bela.store.task(task.id).await.is_err());
    let rejected = bela.store.rejected_ops().await.expect("rejected");
    let kept = rejected
        .iter()
        .find(|r| r.operation.entity_id == note.id)
        .expect("Béla's comment is in the rejected list");
    assert_eq!(kept.code, "forbidden_scope");
    assert_eq!(kept.operation.value["body"], "Béla jegyzete", "the text itself is kept");
    assert_eq!(bela.store.pending_op_count().await.expect("count"), 0);
    anna.sync().await;
    let thread = anna.store.task_comments(task.id).await.expect("thread");
    assert!(thread.iter().all(|c| c.id != note.id), "the refused comment did not reach Anna");
}

on_both_backends!(a_guest_sees_only_the_customer_shared_with_them);
async fn a_guest_sees_only_the_customer_shared_with_them(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let guest = Device::join(&server, "partner", Role::Guest).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let shared = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Partner Zrt", CustomerKind::Company))
        .await
        .expect("c");
    let other = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Titkos Kft", CustomerKind::Company))
        .await
        .expect("c");
    let mut input = TaskInput::new("Közös feladat", anna.me.id);
    input.customer_id = Some(shared.id);
    let shared_task = anna.store.create_task(anna.ctx(), input).await.expect("task");
    let mut input = TaskInput::new("Belső feladat", anna.me.id);
    input.customer_id = Some(other.id);
    let other_task = anna.store.create_task(anna.ctx(), input).await.expect("task");
    let internal = anna
        .store
        .create_task(anna.ctx(), TaskInput::new("Csapatfeladat", anna.me.id))
        .await
        .expect("team task");
    anna.sync().await;
    admin.grant(guest.user.id, vec![shared.id]).await.expect("grant");
    guest.sync().await;

    assert!(guest.store.task(shared_task.id).await.is_ok());
    assert!(guest.store.task(other_task.id).await.is_err(), "another customer stays hidden");
    assert!(guest.store.customer(other.id).await.is_err());
    assert!(guest.store.task(internal.id).await.is_err(), "team work stays hidden from guests");
    let refused = guest.client.pull(0, Some(Scope::Customer(other.id))).await.expect_err("not shared");
    assert!(format!("{refused:?}").contains("NotFound"), "{refused:?}");

    // The guest works in the shared customer (comments) but cannot add team work.
    guest
        .store
        .add_comment(guest.ctx(), CommentInput::on(CommentTarget::Task(shared_task.id), "Partner: rendben"))
        .await
        .expect("comment");
    let sneaky = guest
        .store
        .create_task(guest.ctx(), TaskInput::new("Csapatba", guest.me.id))
        .await
        .expect("local task");
    guest.sync().await;
    let rejected = guest.store.rejected_ops().await.expect("rejected");
    assert!(
        rejected.iter().any(|r| r.operation.entity_id == sneaky.id && r.operation.kind == OpKind::Create)
    );
    anna.sync().await;
    assert!(
        anna.store
            .task_comments(shared_task.id)
            .await
            .expect("thread")
            .iter()
            .any(|c| c.body == "Partner: rendben")
    );
    assert!(anna.store.task(sneaky.id).await.is_err());
}

on_both_backends!(a_store_used_alone_joins_a_server_without_losing_anything);
async fn a_store_used_alone_joins_a_server_without_losing_anything(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alone = Device::offline("anna").await;
    let customer = alone
        .store
        .create_customer(alone.ctx(), CustomerInput::named("Régi Ügyfél Kft", CustomerKind::Company))
        .await
        .expect("c");
    let mut input = TaskInput::new("Visszahívni", alone.me.id);
    input.customer_id = Some(customer.id);
    let task = alone.store.create_task(alone.ctx(), input).await.expect("task");
    alone
        .store
        .add_comment(alone.ctx(), CommentInput::on(CommentTarget::Task(task.id), "Első megjegyzés"))
        .await
        .expect("comment");
    let team =
        alone.store.create_task(alone.ctx(), TaskInput::new("Leltár", alone.me.id)).await.expect("task");
    let before = snapshot(&alone.path, None).await;

    server.user("anna", Role::Member).await;
    let anna = alone.log_in(&server, "anna").await;
    let outcome = anna.sync().await;
    assert!(outcome.pushed > 0);
    assert_eq!(outcome.rejected, 0, "everything written alone is accepted");
    assert_eq!(anna.store.pending_op_count().await.expect("count"), 0);
    assert_eq!(snapshot(&anna.path, None).await, before, "nothing changed locally");
    let grants = server.server.state.storage.grants_of(anna.user.id).await.expect("grants");
    assert_eq!(grants, vec![customer.id], "the customer is granted to its creator");

    // A colleague given the customer sees all of it.
    let bela = Device::join(&server, "bela", Role::Member).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    admin.grant(bela.user.id, vec![customer.id]).await.expect("grant");
    bela.sync().await;
    assert_eq!(bela.store.task_comments(task.id).await.expect("thread")[0].body, "Első megjegyzés");
    assert!(bela.store.task(team.id).await.is_ok(), "team work reaches members");
    let history = bela.store.history(task.id).await.expect("history");
    assert!(history.iter().any(|h| h.actor_id == anna.me.id), "history names Anna as the author");
}

on_both_backends!(a_client_killed_mid_push_resends_and_nothing_is_logged_twice);
async fn a_client_killed_mid_push_resends_and_nothing_is_logged_twice(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let big = "x".repeat(8 * 1024);
    let customer = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Nagy Kft", CustomerKind::Company))
        .await
        .expect("c");
    for n in 0..160 {
        anna.store
            .add_comment(
                anna.ctx(),
                CommentInput::on(CommentTarget::Customer(customer.id), format!("{n} {big}")),
            )
            .await
            .expect("comment");
    }
    // The first push reaches the server, then the app dies before recording the answer.
    let ops = anna.store.pending_ops(50).await.expect("pending");
    anna.client.push(anna.store.client_id(), ops).await.expect("push");
    let anna = anna.reopen().await;
    let pending = anna.store.pending_op_count().await.expect("count");
    assert!(pending > 150, "the outbox survived: {pending}");
    let outcome = anna.sync().await;
    assert_eq!(outcome.rejected, 0);
    assert_eq!(anna.store.pending_op_count().await.expect("count"), 0);
    let logged = server.server.state.storage.logged_seqs(anna.store.client_id()).await.expect("log");
    let made = crate::sync_support::ops_made(&anna.path).await;
    assert_eq!(logged, (1..=made).collect::<Vec<_>>(), "every op once, none twice");
    let bela = Device::join(&server, "bela", Role::Manager).await;
    bela.sync().await;
    assert_eq!(snapshot(&bela.path, None).await.iter().filter(|r| r.starts_with("comment")).count(), 160);
    let _ = EntityKind::Comment;
}

on_both_backends!(attachments_travel_as_blobs_and_stay_readable_offline);
async fn attachments_travel_as_blobs_and_stay_readable_offline(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let bela = Device::join(&server, "bela", Role::Member).await;
    let partner = Device::join(&server, "partner", Role::Guest).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let customer = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Irat Kft", CustomerKind::Company))
        .await
        .expect("c");
    let mut input = TaskInput::new("Szerződés aláírása", anna.me.id);
    input.customer_id = Some(customer.id);
    let task = anna.store.create_task(anna.ctx(), input).await.expect("task");
    let contents = "%PDF-1.7 szerződés tervezet ".repeat(2000).into_bytes();
    let meta = anna
        .store
        .keep_attachment(&contents, "szerzodes.pdf", "application/pdf", Scope::Customer(customer.id))
        .await
        .expect("kept");
    let mut fields = task.fields.clone();
    fields.attachments = vec![meta.clone()];
    anna.store.update_task(anna.ctx(), task.id, fields).await.expect("attached");
    let outcome = anna.sync().await;
    assert_eq!(outcome.blobs_uploaded, 1);
    assert_eq!(anna.store.pending_blob_count().await.expect("count"), 0);

    admin.grant(bela.user.id, vec![customer.id]).await.expect("grant");
    bela.sync().await;
    let arrived = bela.store.task(task.id).await.expect("task").fields.attachments;
    assert_eq!(arrived, vec![meta.clone()], "only the metadata travels in the operations");
    assert_eq!(bela.store.attachment(&meta.sha256).await.expect("read"), None, "not fetched yet");
    let fetched =
        duly_core::sync::fetch_attachment(&bela.store, &bela.client, &meta.sha256).await.expect("fetch");
    assert_eq!(fetched, contents);
    // Offline now: the copy fetched once still opens.
    let unreachable = duly_core::sync::SyncClient::new("http://127.0.0.1:9").expect("client");
    let offline = duly_core::sync::fetch_attachment(&bela.store, &unreachable, &meta.sha256)
        .await
        .expect("from this device");
    assert_eq!(offline, contents);
    // A guest the customer is not shared with cannot read it.
    let refused = duly_core::sync::fetch_attachment(&partner.store, &partner.client, &meta.sha256)
        .await
        .expect_err("not shared");
    assert_eq!(refused.code(), duly_core::ErrorCode::NotFound, "{refused}");
}

on_both_backends!(an_attachment_the_server_refuses_or_damaged_here_is_set_aside_and_the_round_goes_on);
async fn an_attachment_the_server_refuses_or_damaged_here_is_set_aside_and_the_round_goes_on(
    backend: Backend,
) {
    // M6: an admin lowered the blob limit below a file already waiting on a device. (A file
    // far over the limit may see its 413 lost as the server closes the connection: that case
    // is `an_upload_the_server_keeps_breaking_off…` in duly-core's tests.)
    let server = TestServer::start_with(backend, |config| config.max_blob_bytes = 1024).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let bela = Device::join(&server, "bela", Role::Member).await;
    let keep = |bytes: Vec<u8>, name: &'static str| {
        let store = anna.store.clone();
        async move { store.keep_attachment(&bytes, name, "application/pdf", Scope::Team).await.expect("kept") }
    };
    let large_bytes = "%PDF-1.7 tervrajz ".repeat(200).into_bytes();
    let large = keep(large_bytes, "tervrajz.pdf").await;
    let normal_bytes = b"%PDF-1.7 ajanlat".to_vec();
    let normal = keep(normal_bytes.clone(), "ajanlat.pdf").await;
    let damaged_bytes = b"%PDF-1.7 szerzodes".to_vec();
    let damaged = keep(damaged_bytes.clone(), "szerzodes.pdf").await;
    let file = anna.path.with_extension("blobs").join(&damaged.sha256);
    std::fs::write(&file, b"%PDF-1.7 valami mas").expect("damaged on disk");
    let task = anna
        .store
        .create_task(anna.ctx(), TaskInput::new("Tervek átnézése", anna.me.id))
        .await
        .expect("task");

    let outcome = anna.sync().await;
    assert_eq!(outcome.blobs_uploaded, 1, "only the normal file went up");
    assert_eq!(outcome.rejected, 0);
    assert_eq!(anna.store.pending_op_count().await.expect("count"), 0, "the push was not stopped");
    assert_eq!(anna.store.refused_blob_count().await.expect("count"), 2);
    let refused = anna.store.refused_blobs().await.expect("list");
    let reason = |sha: &str| refused.iter().find(|r| r.sha256 == sha).map(|r| r.reason.clone());
    assert_eq!(reason(&damaged.sha256).as_deref(), Some(duly_core::sync::DAMAGED_HERE));
    let too_large = reason(&large.sha256).expect("the large file is set aside");
    assert!(too_large.contains("size limit"), "the server's words: {too_large}");

    bela.sync().await;
    assert_eq!(bela.store.task(task.id).await.expect("task").fields.title, "Tervek átnézése");
    let fetched =
        duly_core::sync::fetch_attachment(&bela.store, &bela.client, &normal.sha256).await.expect("fetch");
    assert_eq!(fetched, normal_bytes);
    for missing in [&large.sha256, &damaged.sha256] {
        let error =
            duly_core::sync::fetch_attachment(&bela.store, &bela.client, missing).await.expect_err("absent");
        assert_eq!(error.code(), duly_core::ErrorCode::NotFound, "{error}");
    }

    // The next round does not try them again: same refusals, nothing uploaded, still fine.
    let again = anna.sync().await;
    assert_eq!(again.blobs_uploaded, 0);
    assert_eq!(anna.store.refused_blobs().await.expect("list"), refused, "not tried again");

    // The person adds the same file again: it is whole here once more and goes up.
    keep(damaged_bytes.clone(), "szerzodes.pdf").await;
    assert_eq!(anna.store.refused_blob_count().await.expect("count"), 1);
    assert_eq!(anna.sync().await.blobs_uploaded, 1);
    let fetched =
        duly_core::sync::fetch_attachment(&bela.store, &bela.client, &damaged.sha256).await.expect("fetch");
    assert_eq!(fetched, damaged_bytes);
    assert_eq!(anna.store.refused_blob_count().await.expect("count"), 1, "the large file stays set aside");
}

on_both_backends!(changes_to_sessions_roles_and_grants_take_effect_at_once);
/// The server remembers sessions and grants between requests: every change made through it
/// is seen by the very next request.
async fn changes_to_sessions_roles_and_grants_take_effect_at_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let (bela, bela_user) = server.client("bela", Role::Member).await;
    let customer = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Varga Kft", CustomerKind::Company))
        .await
        .expect("customer");
    anna.sync().await;
    let shared = Scope::Customer(customer.id);
    let holds = |client: &duly_core::sync::SyncClient| {
        let client = client.clone();
        async move { client.pull(0, None).await.expect("pull").scopes.contains(&shared) }
    };
    assert!(!holds(&bela).await);
    admin.grant(bela_user.id, vec![customer.id]).await.expect("grant");
    assert!(holds(&bela).await, "a grant");
    admin.revoke(bela_user.id, vec![customer.id]).await.expect("revoke");
    assert!(!holds(&bela).await, "a revoke");

    assert_eq!(bela.me().await.expect("me").role, Role::Member);
    server.server.state.storage.set_role(bela_user.id, Role::Guest).await.expect("role");
    assert_eq!(bela.me().await.expect("me").role, Role::Guest, "a changed role");

    let other = duly_core::sync::SyncClient::new(&server.url()).expect("client");
    let session = other.login("bela", crate::sync_support::PASSWORD, None).await.expect("login");
    let other = other.with_token(session.token);
    assert!(other.me().await.is_ok());
    bela.logout().await.expect("logout");
    assert!(bela.me().await.is_err(), "an ended session");
    assert!(other.me().await.is_ok(), "another session goes on");
    admin.set_user_active(bela_user.id, false).await.expect("disable");
    assert!(other.me().await.is_err(), "a disabled user's session");
}
