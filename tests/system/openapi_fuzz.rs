//! Schemathesis against the real server with a small company in it: the OpenAPI document must
//! say what the server does (statuses, constraints, response shapes), and no request may make
//! it fail. Ignored by default: `cargo xtask test` installs Schemathesis and runs this with
//! `DULY_SCHEMATHESIS` naming the executable and `DULY_SCHEMATHESIS_SEED` the seed it chose.

use std::path::Path;
use std::process::Stdio;

use duly_core::model::{CommentInput, CommentTarget, CustomerInput, CustomerKind, TaskInput};
use duly_protocol::{Role, Scope};
use uuid::Uuid;

use crate::sync_support::{Backend, Device, TestServer};

/// Test cases per operation and phase, fitted to the CI budget; `DULY_SCHEMATHESIS_EXAMPLES`
/// can only raise it (for a longer hunt by hand).
const MAX_EXAMPLES: u32 = 25;

/// What the document promises and the server must keep. `use_after_free` and the stateful
/// phase need links between operations, which the document does not declare.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
    response_headers_conformance,response_schema_conformance,negative_data_rejection,\
    positive_data_acceptance";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Schemathesis: cargo xtask test installs it and runs this"]
async fn the_openapi_document_tells_the_truth() {
    let schemathesis = std::env::var("DULY_SCHEMATHESIS")
        .expect("DULY_SCHEMATHESIS names the schemathesis executable (cargo xtask test installs it)");
    let seed: u64 = match std::env::var("DULY_SCHEMATHESIS_SEED") {
        Ok(seed) => seed.parse().expect("DULY_SCHEMATHESIS_SEED is a number"),
        Err(_) => rand::random::<u32>().into(),
    };
    let examples = std::env::var("DULY_SCHEMATHESIS_EXAMPLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .map_or(MAX_EXAMPLES, |n: u32| n.max(MAX_EXAMPLES));
    println!("schemathesis seed {seed} (replay: DULY_SCHEMATHESIS_SEED={seed}), {examples} examples");
    // PostgreSQL too when there is one (`cargo xtask test` starts it): some input that SQLite
    // stores, PostgreSQL refuses, and that must not become a 500 there.
    let mut backends = vec![Backend::Sqlite];
    if std::env::var_os("DULY_TEST_POSTGRES").is_some() {
        backends.push(Backend::Postgres);
    }
    for backend in backends {
        let server = TestServer::start(backend).await;
        let company = Company::seed(&server).await;
        let url = format!("{}/api/openapi.json", server.url());
        // A manager reaches every endpoint; a guest is refused most, and reads the least.
        for (who, token) in [("manager", &company.manager_token), ("guest", &company.guest_token)] {
            let run_name = format!("the {who} on {backend:?}");
            run(&schemathesis, &url, token, (seed, examples), &run_name, &company.objects).await;
        }
        let me = company.manager.client.me().await.expect("the manager's session outlived the run");
        assert_eq!(me.role, Role::Manager);
    }
}

async fn run(
    schemathesis: &str,
    url: &str,
    token: &str,
    (seed, examples): (u64, u32),
    who: &str,
    objects: &[(&str, String)],
) {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("system/schemathesis.toml");
    // Its reports and crash cache go to a folder of their own, not into the checkout.
    let scratch = tempfile::tempdir().expect("scratch dir");
    let started = std::time::Instant::now();
    let mut command = std::process::Command::new(schemathesis);
    command
        .arg("--config-file")
        .arg(&config)
        .args([
            "run",
            url,
            "--no-color",
            "--seed",
            &seed.to_string(),
            "--max-examples",
            &examples.to_string(),
        ])
        // One worker: CPython 3.11's parser is not safe to call from two threads at once
        // (hypothesis describes lambdas with `ast.parse`: "AST constructor recursion depth
        // mismatch"), which failed a run here with no fault of the server's.
        .args(["--checks", CHECKS, "--workers", "1", "--generation-database", "none"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .current_dir(scratch.path())
        .envs(objects.iter().map(|(key, value)| (*key, value)))
        .stdin(Stdio::null());
    // The server answers on this process's runtime while the command runs on a thread of its own.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("schemathesis starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The whole report on a failure; one line per run otherwise (its test cases are requests).
    let cases = stdout.lines().skip_while(|line| !line.starts_with("Test cases:")).nth(1).unwrap_or("?");
    println!("schemathesis as {who}: {} in {:.0?}", cases.trim(), started.elapsed());
    if !output.status.success() {
        println!("{stdout}{stderr}");
    }
    assert!(output.status.success(), "schemathesis as {who} failed (seed {seed}): {}", output.status);
}

/// Colleagues of every role, customers, tasks, comments and an attachment, made on their own
/// devices and pushed through the sync API like the app does.
#[derive(Debug)]
struct Company {
    manager: Device,
    manager_token: String,
    guest_token: String,
    /// Real ids for `schemathesis.toml`: a customer the guest shares, its attachment, a member.
    objects: Vec<(&'static str, String)>,
}

impl Company {
    async fn seed(server: &TestServer) -> Self {
        let admin = Device::join(server, "igazgato", Role::Admin).await;
        let manager = Device::join(server, "kata", Role::Manager).await;
        let laszlo = Device::join(server, "laszlo", Role::Manager).await;
        let anna = Device::join(server, "anna", Role::Member).await;
        let bela = Device::join(server, "bela", Role::Member).await;
        let csilla = Device::join(server, "csilla", Role::Member).await;
        let guest = Device::join(server, "partner", Role::Guest).await;
        let accountant = Device::join(server, "konyvelo", Role::Guest).await;
        let people = [&admin, &manager, &laszlo, &anna, &bela, &csilla, &guest, &accountant];
        for device in people {
            device.sync().await;
        }

        let (mut customers, mut first_tasks) = (Vec::new(), Vec::new());
        let names =
            ["Kovács Kft", "Szabó és Társa Bt", "Nagy Építő Zrt", "Tóth Ügyvédi Iroda", "Kiss Pékség"];
        for (n, name) in names.into_iter().enumerate() {
            let maker = [&anna, &bela, &manager, &laszlo, &csilla][n];
            let customer = maker
                .store
                .create_customer(maker.ctx(), CustomerInput::named(name, CustomerKind::Company))
                .await
                .expect("customer");
            for title in ["Ajánlat küldése", "Szerződés előkészítése", "Számla egyeztetése"] {
                let mut input = TaskInput::new(format!("{title} – {name}"), maker.me.id);
                input.customer_id = Some(customer.id);
                let task = maker.store.create_task(maker.ctx(), input).await.expect("task");
                let comment =
                    CommentInput::on(CommentTarget::Task(task.id), format!("{}: elkezdtem", maker.me.name));
                maker.store.add_comment(maker.ctx(), comment).await.expect("comment");
                let mut fields = task.fields.clone();
                fields.description = "Határidő a hónap vége; a részletek a mellékletben.".into();
                maker.store.update_task(maker.ctx(), task.id, fields).await.expect("edit");
                first_tasks.push(task);
            }
            maker.sync().await;
            customers.push(customer.id);
        }
        for (maker, title) in [(&anna, "Heti csapatmegbeszélés"), (&manager, "Negyedéves jelentés")] {
            maker
                .store
                .create_task(maker.ctx(), TaskInput::new(title, maker.me.id))
                .await
                .expect("team task");
            maker.sync().await;
        }
        let contents = "%PDF-1.7 árajánlat ".repeat(500).into_bytes();
        let meta = anna
            .store
            .keep_attachment(&contents, "ajanlat.pdf", "application/pdf", Scope::Customer(customers[0]))
            .await
            .expect("attachment");
        let task = &first_tasks[0];
        let mut fields = task.fields.clone();
        let blob = meta.sha256.clone();
        fields.attachments = vec![meta];
        anna.store.update_task(anna.ctx(), task.id, fields).await.expect("attached");
        assert_eq!(anna.sync().await.blobs_uploaded, 1);

        manager.client.grant(anna.user.id, vec![customers[2], customers[3]]).await.expect("grant");
        manager.client.grant(bela.user.id, vec![customers[0]]).await.expect("grant");
        manager.client.grant(guest.user.id, vec![customers[0]]).await.expect("grant");
        manager.client.grant(accountant.user.id, vec![customers[1], customers[4]]).await.expect("grant");
        for device in people {
            device.sync().await;
        }
        // The guests answer on the tasks shared with them.
        for device in [&guest, &accountant] {
            let tasks = shared_tasks(device).await;
            assert!(!tasks.is_empty(), "{} sees the shared customer's tasks", device.user.login);
            for task in tasks {
                let comment = CommentInput::on(CommentTarget::Task(task), "Rendben, köszönöm.");
                device.store.add_comment(device.ctx(), comment).await.expect("guest comment");
            }
            device.sync().await;
            assert!(device.store.rejected_ops().await.expect("rejected").is_empty(), "a guest may comment");
        }
        for device in people {
            device.sync().await;
        }
        let manager_token = manager.client.token().expect("token").to_owned();
        let guest_token = guest.client.token().expect("token").to_owned();
        let objects = vec![
            ("DULY_FUZZ_CUSTOMER", customers[0].to_string()),
            ("DULY_FUZZ_BLOB", blob),
            ("DULY_FUZZ_MEMBER", anna.user.id.to_string()),
        ];
        Self { manager, manager_token, guest_token, objects }
    }
}

async fn shared_tasks(device: &Device) -> Vec<Uuid> {
    let url = format!("sqlite://{}?mode=ro", device.path.display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.expect("open store");
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM tasks WHERE customer_id IS NOT NULL")
        .fetch_all(&mut conn)
        .await
        .expect("tasks");
    ids.iter().map(|id| id.parse().expect("uuid")).collect()
}
