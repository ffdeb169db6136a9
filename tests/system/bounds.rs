//! Resource bounds against a hostile or careless client (M4): a pull page has a byte budget, an
//! upload is judged before its body and streams to disk, each user's files have a quota, and a
//! guest's day of pushes is bounded. Colleagues' work goes on meanwhile.

use duly_core::model::{CommentInput, CommentTarget, CustomerInput, CustomerKind, TaskInput};
use duly_protocol::{PROTOCOL_HEADER, Role};

use crate::on_both_backends;
use crate::sync_support::{Backend, Device, TestServer, http};

on_both_backends!(an_upload_is_judged_before_its_body_and_tells_nothing_about_other_files);
async fn an_upload_is_judged_before_its_body_and_tells_nothing_about_other_files(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.max_blob_bytes = 1024).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let guest = Device::join(&server, "partner", Role::Guest).await;
    let customer = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Kovács Kft", CustomerKind::Company))
        .await
        .expect("customer");
    anna.sync().await;
    let put = |token: String, bytes: Vec<u8>, scope: &str| {
        let url = server.url();
        let scope = scope.to_owned();
        async move {
            use sha2::Digest;
            let sha = hex::encode(sha2::Sha256::digest(&bytes));
            http()
                .build()
                .expect("client")
                .put(format!("{url}/api/blobs/{sha}?{scope}"))
                .header(PROTOCOL_HEADER, "1")
                .bearer_auth(token)
                .body(bytes)
                .send()
                .await
                .expect("answer")
                .status()
                .as_u16()
        }
    };
    let token = |device: &Device| device.client.token().expect("token").to_owned();
    let in_customer = format!("scope_kind=customer&scope_id={}", customer.id);
    // M4: a body over the size limit into a scope the guest may not write: refused for the
    // scope (403), which is only possible before the body is read.
    assert_eq!(put(token(&guest), vec![7; 4096], &in_customer).await, 403);
    assert_eq!(put(token(&anna), vec![7; 4096], &in_customer).await, 413);
    // L2: the same answer for a file new to the server and one it had already.
    let contract = b"szerzodes 2026".to_vec();
    assert_eq!(put(token(&anna), contract.clone(), &in_customer).await, 201);
    assert_eq!(put(token(&anna), contract, "scope_kind=team").await, 201);
}

on_both_backends!(files_and_guests_pushes_stay_within_their_quotas);
/// M4: each user's files count against a quota (a file sent again counts once), a body with no
/// length is cut off at the limit as it streams in, and a guest's day of pushes is bounded;
/// a colleague's work goes on.
async fn files_and_guests_pushes_stay_within_their_quotas(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.user_blob_quota_bytes = 5000;
        config.guest_daily_push_bytes = 4500;
    })
    .await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let guest = Device::join(&server, "partner", Role::Guest).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let customer = anna
        .store
        .create_customer(anna.ctx(), CustomerInput::named("Kovács Kft", CustomerKind::Company))
        .await
        .expect("customer");
    let task = TaskInput { customer_id: Some(customer.id), ..TaskInput::new("Ajánlat", anna.me.id) };
    let task = anna.store.create_task(anna.ctx(), task).await.expect("task");
    anna.sync().await;
    admin.grant(guest.user.id, vec![customer.id]).await.expect("grant");
    guest.sync().await;
    let put = |bytes: Vec<u8>, streamed: bool| {
        let (url, token) = (server.url(), anna.client.token().expect("token").to_owned());
        async move {
            use sha2::Digest;
            let sha = hex::encode(sha2::Sha256::digest(&bytes));
            let body = if streamed {
                let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                    bytes.chunks(500).map(|c| Ok(c.to_vec())).collect();
                reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
            } else {
                reqwest::Body::from(bytes)
            };
            let request =
                http().build().expect("client").put(format!("{url}/api/blobs/{sha}?scope_kind=team"));
            let answer = request.header(PROTOCOL_HEADER, "1").bearer_auth(token).body(body).send().await;
            answer.expect("answer").status().as_u16()
        }
    };
    let file = |n: u8| vec![n; 2000];
    assert_eq!(put(file(1), false).await, 201);
    assert_eq!(put(file(2), true).await, 201, "streamed in, no length announced");
    assert_eq!(put(file(3), false).await, 413, "4000 of 5000 bytes used: no room for 2000 more");
    assert_eq!(put(file(3), true).await, 413, "cut off as it streams in");
    assert_eq!(put(file(1), false).await, 201, "a file sent again counts once");
    let blobs = std::fs::read_dir(server.blob_dir()).expect("blob folder");
    let names: Vec<String> =
        blobs.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 2, "two files kept, no part files left behind: {names:?}");

    // The guest's comments: two of about 1,700 bytes (with their profile) fit the day's 4,500;
    // the third waits.
    for n in 0..3 {
        let body = format!("{n} {}", "megjegyzés ".repeat(110));
        let comment = CommentInput::on(CommentTarget::Task(task.id), body);
        guest.store.add_comment(guest.ctx(), comment).await.expect("comment");
        let round = duly_core::sync::sync_once(&guest.store, &guest.client).await;
        match n {
            0 | 1 => assert!(round.is_ok(), "{round:?}"),
            _ => assert!(
                matches!(round, Err(duly_core::sync::SyncError::Refused { status: 429, .. })),
                "{round:?}"
            ),
        }
    }
    assert_eq!(guest.store.pending_op_count().await.expect("pending"), 1, "it waits, nothing is lost");
    anna.store
        .add_comment(anna.ctx(), CommentInput::on(CommentTarget::Task(task.id), "Anna"))
        .await
        .expect("c");
    anna.sync().await;
    assert_eq!(anna.store.task_comments(task.id).await.expect("thread").len(), 3, "two of his and hers");
}

on_both_backends!(a_page_of_large_ops_stops_at_its_byte_budget_and_nothing_is_missed);
async fn a_page_of_large_ops_stops_at_its_byte_budget_and_nothing_is_missed(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.pull_page_bytes = 64 * 1024).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let boss = Device::join(&server, "boss", Role::Manager).await;
    let task =
        anna.store.create_task(anna.ctx(), TaskInput::new("Hosszú szál", anna.me.id)).await.expect("task");
    // M4: twenty comments of 20 KB each: about 400 KB, over six times the page budget.
    for n in 0..20 {
        let body = format!("{n}: {}", "szöveg ".repeat(2_800));
        anna.store
            .add_comment(anna.ctx(), CommentInput::on(CommentTarget::Task(task.id), body))
            .await
            .expect("comment");
    }
    anna.sync().await;
    let first = boss.client.pull(0, None).await.expect("pull");
    assert!(first.more, "the first page stops at its budget");
    let bytes: usize = first.ops.iter().map(|op| duly_protocol::limits::encoded_len(&op.op.value)).sum();
    assert!(bytes <= 64 * 1024, "{bytes} bytes in one page");
    boss.sync().await;
    assert_eq!(boss.store.task_comments(task.id).await.expect("thread").len(), 20, "every page arrived");
}
