//! The HTTP surface: who may call what, what bad input gets, and the OpenAPI document.

use duly_protocol::{ErrorBody, ErrorCode, PROTOCOL_HEADER, Role};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::on_both_backends;
use crate::sync_support::{Backend, Device, TestServer, http};

/// Every endpoint that needs a token, with a body that would be valid.
fn protected(user: Uuid, customer: Uuid, blob: &str) -> Vec<(Method, String, Option<serde_json::Value>)> {
    let client = Uuid::now_v7();
    vec![
        (Method::POST, "/api/auth/logout".into(), None),
        (Method::GET, "/api/me".into(), None),
        (Method::POST, "/api/sync/push".into(), Some(json!({"client_id": client, "ops": []}))),
        (Method::GET, "/api/sync/pull?since=0".into(), None),
        (Method::GET, "/api/sync/events".into(), None),
        (Method::GET, "/api/admin/users".into(), None),
        (
            Method::POST,
            "/api/admin/users".into(),
            Some(json!({"login": "eve", "name": "Eve", "password": "long enough pw", "role": "admin"})),
        ),
        (Method::POST, format!("/api/admin/users/{user}/disable"), None),
        (Method::POST, format!("/api/admin/users/{user}/enable"), None),
        (
            Method::POST,
            format!("/api/admin/users/{user}/password"),
            Some(json!({"password": "another long one"})),
        ),
        (
            Method::POST,
            "/api/admin/grants".into(),
            Some(json!({"user_id": user, "customer_ids": [customer]})),
        ),
        (
            Method::POST,
            "/api/admin/revokes".into(),
            Some(json!({"user_id": user, "customer_ids": [customer]})),
        ),
        (Method::GET, format!("/api/customers/{customer}/shares"), None),
        (Method::GET, format!("/api/blobs/{blob}"), None),
    ]
}

async fn call(
    url: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> reqwest::Response {
    let mut request =
        http().build().expect("client").request(method, format!("{url}{path}")).header(PROTOCOL_HEADER, "1");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

async fn fingerprint(server: &TestServer) -> (i64, usize, Vec<Uuid>) {
    let storage = &server.server.state.storage;
    let users = storage.users().await.expect("users");
    let member = users.iter().find(|u| u.login == "member").map(|u| u.id).unwrap_or_default();
    (storage.latest_seq().await.expect("seq"), users.len(), storage.grants_of(member).await.expect("grants"))
}

on_both_backends!(every_endpoint_refuses_no_token_other_users_and_objects_outside_scope);
async fn every_endpoint_refuses_no_token_other_users_and_objects_outside_scope(backend: Backend) {
    let server = TestServer::start(backend).await;
    let url = server.url();
    let owner = Device::join(&server, "owner", Role::Member).await;
    let member = Device::join(&server, "member", Role::Member).await;
    let customer = owner
        .store
        .create_customer(
            owner.ctx(),
            duly_core::model::CustomerInput::named("Zárt Kft", duly_core::model::CustomerKind::Company),
        )
        .await
        .expect("customer");
    owner.sync().await;
    let blob = owner
        .client
        .put_blob(b"titkos szerzodes".to_vec(), duly_protocol::Scope::Customer(customer.id))
        .await
        .expect("blob");
    let member_token = member.client.token().expect("token").to_owned();
    let before = fingerprint(&server).await;

    for (method, path, body) in protected(owner.user.id, customer.id, &blob) {
        let response = call(&url, method.clone(), &path, None, body.clone()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path} without a token");
        let error: ErrorBody = response.json().await.expect("error body");
        assert_eq!(error.code.as_str(), "unauthorized");
        let response = call(&url, method.clone(), &path, Some("not-a-real-token"), body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path} with a made-up token");
    }
    // A member using their own valid token on what is not theirs.
    for (method, path, body) in protected(owner.user.id, customer.id, &blob) {
        let expected = if path.starts_with("/api/admin/") {
            StatusCode::FORBIDDEN
        } else if path.contains("/shares") || path.starts_with("/api/blobs/") {
            StatusCode::NOT_FOUND
        } else {
            continue;
        };
        let response = call(&url, method.clone(), &path, Some(&member_token), body).await;
        assert_eq!(response.status(), expected, "{method} {path} as another member");
        let error: ErrorBody = response.json().await.expect("error body");
        assert!(["forbidden", "not_found"].contains(&error.code.as_str()));
    }
    let scoped = call(
        &url,
        Method::GET,
        &format!("/api/sync/pull?since=0&scope_kind=customer&scope_id={}", customer.id),
        Some(&member_token),
        None,
    )
    .await;
    assert_eq!(scoped.status(), StatusCode::NOT_FOUND, "pulling a customer not shared");
    // Writing into the customer's scope is refused per op and logs nothing.
    let mut foreign = owner.store.pending_ops(1).await.expect("ops");
    assert!(foreign.is_empty());
    owner
        .store
        .update_customer(
            owner.ctx(),
            customer.id,
            duly_core::model::CustomerInput::named("Átnevezve", duly_core::model::CustomerKind::Company),
        )
        .await
        .expect("rename");
    foreign = owner.store.pending_ops(10).await.expect("ops");
    for op in &mut foreign {
        op.op_id.client_id = member.store.client_id();
    }
    let response = member.client.push(member.store.client_id(), foreign).await.expect("push answered");
    assert!(response.results.iter().all(|r| matches!(&r.outcome, duly_protocol::OpOutcome::Rejected { code, .. } if code.as_str() == "forbidden_scope")));
    assert_eq!(fingerprint(&server).await, before, "nothing was written");
    assert_eq!(
        server.server.state.storage.users().await.expect("users").iter().filter(|u| u.active).count(),
        2
    );
}

on_both_backends!(bad_input_gets_a_coded_4xx_and_writes_nothing);
async fn bad_input_gets_a_coded_4xx_and_writes_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let url = server.url();
    let (_, _) = server.client("member", Role::Member).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let token = admin.token().expect("token").to_owned();
    let before = fingerprint(&server).await;
    // No connection reuse: the server closes a connection whose oversized body it refused.
    let http = http().pool_max_idle_per_host(0).build().expect("client");
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "malformed JSON",
            http.post(format!("{url}/api/sync/push"))
                .header(PROTOCOL_HEADER, "1")
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body("{\"client_id\": "),
            400,
            "bad_request",
        ),
        (
            "wrong types",
            http.post(format!("{url}/api/sync/push"))
                .header(PROTOCOL_HEADER, "1")
                .bearer_auth(&token)
                .json(&json!({"client_id": 5, "ops": "none"})),
            400,
            "bad_request",
        ),
        (
            "oversized body",
            http.post(format!("{url}/api/sync/push"))
                .header(PROTOCOL_HEADER, "1")
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(vec![b' '; 5 * 1024 * 1024]),
            413,
            "too_large",
        ),
        (
            "unknown protocol version",
            http.get(format!("{url}/api/sync/pull?since=0"))
                .header(PROTOCOL_HEADER, "99")
                .bearer_auth(&token),
            400,
            "unsupported_protocol",
        ),
        (
            "no protocol version on sync",
            http.get(format!("{url}/api/sync/pull?since=0")).bearer_auth(&token),
            400,
            "unsupported_protocol",
        ),
        (
            "bad query",
            http.get(format!("{url}/api/sync/pull?since=yesterday"))
                .header(PROTOCOL_HEADER, "1")
                .bearer_auth(&token),
            400,
            "bad_request",
        ),
        (
            "short password",
            http.post(format!("{url}/api/admin/users"))
                .bearer_auth(&token)
                .json(&json!({"login": "x", "name": "X", "password": "short", "role": "member"})),
            400,
            "bad_request",
        ),
        (
            "duplicate login",
            http.post(format!("{url}/api/admin/users")).bearer_auth(&token).json(
                &json!({"login": "member", "name": "M", "password": "long enough pw", "role": "member"}),
            ),
            409,
            "conflict",
        ),
        (
            "unknown user",
            http.post(format!("{url}/api/admin/users/{}/disable", Uuid::now_v7())).bearer_auth(&token),
            404,
            "not_found",
        ),
        (
            "bad blob name",
            http.put(format!("{url}/api/blobs/notahash?scope_kind=team")).bearer_auth(&token).body("x"),
            400,
            "bad_request",
        ),
        (
            "blob content does not match",
            http.put(format!("{url}/api/blobs/{}?scope_kind=team", "0".repeat(64)))
                .bearer_auth(&token)
                .body("x"),
            400,
            "bad_request",
        ),
        ("unknown endpoint", http.get(format!("{url}/api/nothing")), 404, "not_found"),
        (
            "wrong password",
            http.post(format!("{url}/api/auth/login"))
                .json(&json!({"login": "member", "password": "wrong wrong"})),
            401,
            "invalid_credentials",
        ),
    ];
    for (name, request, status, code) in cases {
        let response = request.send().await.expect("request");
        assert_eq!(response.status().as_u16(), status, "{name}");
        let error: ErrorBody = response.json().await.unwrap_or_else(|e| panic!("{name}: no error body: {e}"));
        assert_eq!(error.code.as_str(), code, "{name}: {}", error.message);
        assert!(!error.message.is_empty());
    }
    // An op with a broken stamp is refused on its own; the others of the push are logged.
    let client = Uuid::now_v7();
    let op = |seq: i64, hlc: &str| {
        // A keyword ships with every store, so a set of one needs no create first.
        json!({"op_id": {"client_id": client, "client_seq": seq}, "scope": {"kind": "settings"},
        "entity": "keyword", "entity_id": Uuid::now_v7(), "kind": "set", "field": "name", "value": "x", "hlc": hlc})
    };
    let good = "7316798283454406656/1";
    let response = http
        .post(format!("{url}/api/sync/push"))
        .header(PROTOCOL_HEADER, "1")
        .bearer_auth(&token)
        .json(&json!({"client_id": client, "ops": [op(1, "yesterday"), op(2, good)]}))
        .send()
        .await
        .expect("push");
    assert_eq!(response.status(), StatusCode::OK);
    let body: duly_protocol::PushResponse = response.json().await.expect("push response");
    assert!(matches!(body.results[0].outcome, duly_protocol::OpOutcome::Rejected { .. }));
    assert!(matches!(body.results[1].outcome, duly_protocol::OpOutcome::Applied { .. }));
    assert_eq!(server.server.state.storage.logged_seqs(client).await.expect("log"), vec![2]);
    // The same op twice in one push, and again in a retried push: logged once.
    let twice = op(3, good);
    for _ in 0..2 {
        let response = http
            .post(format!("{url}/api/sync/push"))
            .header(PROTOCOL_HEADER, "1")
            .bearer_auth(&token)
            .json(&json!({"client_id": client, "ops": [twice.clone(), twice.clone()]}))
            .send()
            .await
            .expect("push");
        let body: duly_protocol::PushResponse = response.json().await.expect("push response");
        let seqs: Vec<i64> =
            body.results
                .iter()
                .map(|r| match r.outcome {
                    duly_protocol::OpOutcome::Applied { seq }
                    | duly_protocol::OpOutcome::Duplicate { seq } => seq,
                    duly_protocol::OpOutcome::Rejected { .. } => -1,
                })
                .collect();
        assert!(seqs[0] > 0 && seqs[0] == seqs[1], "{:?}", body.results);
        assert!(matches!(body.results[1].outcome, duly_protocol::OpOutcome::Duplicate { .. }));
    }
    assert_eq!(server.server.state.storage.logged_seqs(client).await.expect("log"), vec![2, 3]);
    assert_eq!(fingerprint(&server).await.1, before.1, "no user was added by the refused calls");
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_and_which_need_no_token() {
    let server = TestServer::start(Backend::Sqlite).await;
    let doc: serde_json::Value = reqwest::get(format!("{}/api/openapi.json", server.url()))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let paths = doc["paths"].as_object().expect("paths");
    let public = ["/health", "/api/auth/login", "/api/openapi.json"];
    for (path, method) in [
        ("/health", "get"),
        ("/api/openapi.json", "get"),
        ("/api/auth/login", "post"),
        ("/api/auth/logout", "post"),
        ("/api/me", "get"),
        ("/api/sync/push", "post"),
        ("/api/sync/pull", "get"),
        ("/api/sync/events", "get"),
        ("/api/admin/users", "get"),
        ("/api/admin/users", "post"),
        ("/api/admin/users/{id}/disable", "post"),
        ("/api/admin/users/{id}/enable", "post"),
        ("/api/admin/users/{id}/password", "post"),
        ("/api/admin/grants", "post"),
        ("/api/admin/revokes", "post"),
        ("/api/customers/{id}/shares", "get"),
        ("/api/blobs/{sha256}", "put"),
        ("/api/blobs/{sha256}", "get"),
    ] {
        let operation = &paths.get(path).unwrap_or_else(|| panic!("{path} is documented"))[method];
        assert!(operation.is_object(), "{method} {path} is documented");
        if public.contains(&path) {
            assert_eq!(operation["security"], json!([]), "{path} says it needs no token");
        } else {
            assert!(operation.get("security").is_none(), "{method} {path} inherits the bearer requirement");
        }
    }
    assert_eq!(doc["security"], json!([{"bearer": []}]));
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

#[tokio::test]
async fn disabling_a_user_and_logging_out_end_sessions_at_once() {
    let server = TestServer::start(Backend::Sqlite).await;
    let (admin, _) = server.client("admin", Role::Admin).await;
    let (member, user) = server.client("member", Role::Member).await;
    assert!(member.me().await.is_ok());
    admin.set_user_active(user.id, false).await.expect("disable");
    assert!(matches!(member.me().await, Err(duly_core::sync::SyncError::Unauthorized)));
    let refused = duly_core::sync::SyncClient::new(&server.url())
        .expect("client")
        .login("member", crate::sync_support::PASSWORD, None)
        .await;
    assert!(refused.is_err(), "a disabled user cannot log in");
    admin.logout().await.expect("logout");
    assert!(matches!(admin.me().await, Err(duly_core::sync::SyncError::Unauthorized)));
}

on_both_backends!(a_nul_character_is_refused_alike_on_both_backends);
/// PostgreSQL cannot store a NUL in text: it used to answer 500 where SQLite stored one.
async fn a_nul_character_is_refused_alike_on_both_backends(backend: Backend) {
    let server = TestServer::start(backend).await;
    let url = server.url();
    let (manager, _) = server.client("boss", Role::Manager).await;
    let token = manager.token().expect("token").to_owned();
    let new_user = |login: &str, name: &str| {
        Some(json!({"login": login, "name": name, "password": "long enough pw", "role": "member"}))
    };
    for (body, what) in [(new_user("a\0b", "Anna"), "login"), (new_user("anna", "An\0na"), "name")] {
        let response = call(&url, Method::POST, "/api/admin/users", Some(&token), body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "a NUL in the {what}");
    }
    let attempt = Some(json!({"login": "bo\0ss", "password": "long enough pw"}));
    let response = call(&url, Method::POST, "/api/auth/login", None, attempt).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "no account has a NUL in its name");
    let client = Uuid::now_v7();
    let op = |seq: i64, field: &str, base: &str| {
        json!({"op_id": {"client_id": client, "client_seq": seq}, "scope": {"kind": "settings"}, "entity": "keyword",
        "entity_id": Uuid::now_v7(), "kind": "set", "field": field, "value": "x",
        "hlc": "7316798283454406656/1", "base": base})
    };
    let ops = [
        op(1, "na\0me", "7316798283454406655/1"),
        op(2, "name", "\0"),
        op(3, "name", "7316798283454406655/1"),
    ];
    let push = Some(json!({"client_id": client, "ops": ops}));
    let response = call(&url, Method::POST, "/api/sync/push", Some(&token), push).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: duly_protocol::PushResponse = response.json().await.expect("push response");
    let refused: Vec<bool> = body
        .results
        .iter()
        .map(|r| {
            matches!(r.outcome, duly_protocol::OpOutcome::Rejected { code: ErrorCode::InvalidOperation, .. })
        })
        .collect();
    assert_eq!(refused, [true, true, false], "{:?}", body.results);
    assert_eq!(server.server.state.storage.logged_seqs(client).await.expect("log"), vec![3]);
}

/// Issue 15: the SQLite server copies its WAL into the database file in the background, never
/// inside a push's commit (`wal_autocheckpoint` is off): the file grows after pushes without
/// any push having checkpointed.
#[tokio::test]
async fn the_log_reaches_the_database_file_in_the_background() {
    let server = TestServer::start(Backend::Sqlite).await;
    let anna = Device::join(&server, "anna", Role::Member).await;
    let file = server.database_file().expect("a SQLite file");
    let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let before = size();
    for n in 0..200 {
        let task = duly_core::model::TaskInput::new(format!("Feladat {n} {}", "x".repeat(250)), anna.me.id);
        anna.store.create_task(anna.ctx(), task).await.expect("task");
    }
    anna.sync().await;
    let wal = file.with_extension("db-wal");
    assert!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 0, "the pushes went to the WAL");
    // Within a deadline, polled: the checkpointer runs once a second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while size() <= before && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(size() > before, "no checkpoint copied the WAL into {} ({before} bytes)", file.display());
}

on_both_backends!(pushes_committed_together_are_decided_in_the_order_they_came);
/// Issue 15: pushes that arrive together are written in one transaction (group commit), each
/// decided against what the ones before it logged: a change to a task created earlier in the
/// group is taken, and an op sent again is the earlier copy's duplicate.
async fn pushes_committed_together_are_decided_in_the_order_they_came(backend: Backend) {
    use duly_protocol::{EntityKind, OpKind, OpOutcome, Scope};
    let server = TestServer::start(backend).await;
    let anna = server.user("anna", Role::Member).await;
    let bela = server.user("bela", Role::Member).await;
    let (mut hers, mut his) = (crate::hostile::Forger::new(), crate::hostile::Forger::new());
    let task = Uuid::now_v7();
    let create =
        hers.op(Scope::Team, EntityKind::Task, task, OpKind::Create, None, json!({"title": "Ajánlat"}));
    let rename = his.op(Scope::Team, EntityKind::Task, task, OpKind::Set, Some("title"), json!("Ajánlat v2"));
    let state = &server.server.state;
    let group = vec![(anna.clone(), vec![create.clone()]), (bela, vec![rename]), (anna, vec![create])];
    let outcomes = duly_server::sync::push_group(state.storage.as_ref(), &group, &state.rules).await;
    let outcomes: Vec<OpOutcome> =
        outcomes.into_iter().map(|o| o.expect("the group is logged").remove(0)).collect();
    let OpOutcome::Applied { seq: created } = outcomes[0] else { panic!("{outcomes:?}") };
    let OpOutcome::Applied { seq: renamed } = outcomes[1] else {
        panic!("a change to a task created before it: {outcomes:?}")
    };
    assert!(renamed > created);
    assert_eq!(outcomes[2], OpOutcome::Duplicate { seq: created }, "sent again: the first copy's seq");
}
