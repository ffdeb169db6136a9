//! Issue 14 in the real window: a member shares one customer with a guest (one of the
//! company's customers) on a real server. The guest logs in, sees only that customer, comments
//! on its task and is offered no status change, reassignment or edit. An edit the guest's store
//! still wrote (through the app's own command, as an older window would) is refused by the
//! server, undone on the device, and its notice on the task keeps what the guest wrote.

use duly_core::Store;
use duly_core::model::{
    ColleagueInput, CustomerInput, CustomerKind, Role as ColleagueRole, Task, TaskInput, WriteCtx,
};
use duly_core::sync::{SyncClient, sync_once};
use duly_protocol::{NewUser, Role};
use fantoccini::Locator;
use serde_json::{Value, json};

use crate::driver::{Harness, app_binary};

const PASSWORD: &str = "correct horse battery";
const TITLE: &str = "Szerződés aláírása";
const WRITTEN: &str = "Szerződés aláírva, kérem a számlát";

/// Calls a Duly command from inside the window, as the UI's backend module does.
async fn invoke(h: &Harness, command: &str, args: Value) -> Value {
    let script = r"
        const [command, args, done] = arguments;
        window.__TAURI_INTERNALS__.invoke(command, args)
            .then((value) => done({ ok: value ?? null }), (error) => done({ error }));";
    let answer = h.client.execute_async(script, vec![json!(command), args]).await.expect("script runs");
    assert!(answer.get("error").is_none(), "{command} failed: {answer}");
    answer["ok"].clone()
}

async fn count(h: &Harness, css: &str) -> usize {
    h.client.find_all(Locator::Css(css)).await.map(|found| found.len()).unwrap_or(0)
}

async fn user(server: &duly_server::RunningServer, login: &str, role: Role) -> duly_protocol::User {
    let new = NewUser { login: login.into(), name: login.into(), password: PASSWORD.into(), role };
    duly_server::routes::create_user(&server.state, new).await.expect("user")
}

/// Anna, a member, with her own store: «Partner Zrt» (to be shared) with a task, and a customer
/// the guest must never see. Pushed through the real client.
async fn member_shares_a_customer(server: &duly_server::RunningServer, guest: uuid::Uuid) {
    user(server, "anna", Role::Member).await;
    user(server, "admin", Role::Admin).await;
    let dir = tempfile::tempdir().expect("anna's folder");
    let store = Store::open(dir.path().join("duly.db")).await.expect("anna's store");
    let profile = ColleagueInput {
        name: "Kiss Anna".into(),
        email: String::new(),
        role: ColleagueRole::Member,
        active: true,
    };
    let anna = store.create_profile(profile).await.expect("profile");
    let ctx = WriteCtx::window(anna.id);
    let shared = store
        .create_customer(ctx, CustomerInput::named("Partner Zrt", CustomerKind::Company))
        .await
        .expect("customer");
    store
        .create_customer(ctx, CustomerInput::named("Belső Kft", CustomerKind::Company))
        .await
        .expect("other");
    let mut task = TaskInput::new(TITLE, anna.id);
    task.customer_id = Some(shared.id);
    store.create_task(ctx, task).await.expect("task");
    let client = SyncClient::new(&server.url()).expect("client");
    let session = client.login("anna", PASSWORD, Some(anna.id)).await.expect("anna logs in");
    sync_once(&store, &client.with_token(session.token)).await.expect("anna syncs");
    let admin = SyncClient::new(&server.url()).expect("client");
    let session = admin.login("admin", PASSWORD, None).await.expect("admin logs in");
    admin.with_token(session.token).grant(guest, vec![shared.id]).await.expect("grant");
    store.close().await;
}

#[ignore = "needs Xvfb, D-Bus and tauri-driver: run by `cargo xtask test`"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_comments_on_the_shared_task_and_sees_what_the_server_refused() {
    let dir = tempfile::tempdir().expect("server dir");
    let database = format!("sqlite://{}", dir.path().join("server.db").display());
    let server = duly_server::start(duly_server::Config::local(database, dir.path().join("blobs")))
        .await
        .expect("server");
    let partner = user(&server, "partner", Role::Guest).await;
    member_shares_a_customer(&server, partner.id).await;

    let h = Harness::start(&app_binary()).await;
    h.type_into("profile-name", "Partner Péter").await;
    h.click("profile-create").await;
    h.click("demo-no").await;
    h.click("nav-settings").await;
    h.click("settings-server").await;
    h.type_into("server-address", &server.url()).await;
    h.type_into("server-user", "partner").await;
    h.type_into("server-password", PASSWORD).await;
    h.click("server-login-submit").await;
    h.wait_text("Szinkronizálva", true).await;
    // A guest is offered no new task and none of the company's settings.
    assert_eq!(count(&h, "[data-testid='quick-add-open']").await, 0);
    assert_eq!(count(&h, "[data-testid='settings-tab-calendar']").await, 0);

    // Only the shared customer came.
    h.click("nav-customers").await;
    let row = h.by_test_id("customer-row").await;
    assert_eq!(count(&h, "[data-testid='customer-row']").await, 1);
    assert!(row.text().await.unwrap_or_default().contains("Partner Zrt"));
    assert_eq!(count(&h, "[data-testid='new-customer']").await, 0);
    row.find(Locator::Css("button")).await.expect("row button").click().await.expect("open");
    h.by_test_id("customer-page").await;
    // The task row offers no done, reschedule or reassign.
    assert_eq!(count(&h, "[data-testid='task-row'] .actions").await, 0);
    h.client
        .find(Locator::Css("[data-testid='task-row'] .title"))
        .await
        .expect("task")
        .click()
        .await
        .expect("open task");
    h.by_test_id("task-page").await;
    for control in ["task-complete", "task-save", "comment-customer-status"] {
        assert_eq!(count(&h, &format!("[data-testid='{control}']")).await, 0, "{control} is offered");
    }
    assert_eq!(count(&h, ".status-actions").await, 0, "no status change is offered");
    let fields = h.by_test_id("task-fields").await;
    assert!(fields.attr("disabled").await.expect("attr").is_some(), "the fields are read-only");

    // A comment is what a guest may write.
    h.type_into("comment-body", "Holnap aláírjuk, a számlát [itt](https://partner.example/szamla) kérjük.")
        .await;
    h.click("comment-send").await;
    h.by_test_id("comment").await;
    // A link in a comment asks first, with the full address (M7); cancelled, the window stays.
    h.client
        .find(Locator::Css("[data-testid='comment'] a"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    let address = h.by_test_id("link-address").await.text().await.expect("text");
    assert_eq!(address, "https://partner.example/szamla");
    h.shot("guest-link-dialog").await;
    h.click("link-cancel").await;
    assert_eq!(count(&h, "[data-testid='link-address']").await, 0);

    // An edit the guest's store still takes: the server refuses both, the device undoes them.
    let id = h.by_test_id("task-page").await.attr("data-task-id").await.expect("attr").expect("task id");
    let detail = invoke(&h, "task_detail", json!({ "id": id })).await;
    let task: Task = serde_json::from_value(detail["task"].clone()).expect("task");
    let mut input = task.fields.clone();
    input.title = WRITTEN.into();
    invoke(&h, "update_task", json!({ "id": task.id, "input": input })).await;
    let waiting = json!({ "status": "waiting", "outcome": null, "reason": null });
    invoke(&h, "set_task_status", json!({ "id": task.id, "change": waiting })).await;
    let written = h.by_test_id("refused-text").await.text().await.expect("text");
    assert_eq!(written, WRITTEN);
    h.wait_text("A szerver nem fogadta el: az állapot módosítása", true).await;
    let title = h.client.find(Locator::Css("h1")).await.expect("title").text().await.expect("text");
    assert_eq!(title, TITLE, "the task shows what the server holds");
    assert_eq!(count(&h, "[data-testid='comment']").await, 1, "the accepted comment stays");

    // Copy puts what the guest wrote on the clipboard.
    h.click("refused-copy").await;
    h.wait_text("Másolva", true).await;
    h.shot("guest-task-refused").await;
    h.click("refused-dismiss").await;
    h.wait_text(WRITTEN, false).await;
    assert_eq!(count(&h, "[data-testid='refused-notice']").await, 1);

    h.stop().await;
    server.shutdown().await;
}
