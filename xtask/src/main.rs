//! `cargo xtask <command>`: the project's commands, each setting up what it needs first.
//!
//! run        start Duly on a local store
//! test       every test: Rust, the UI's, formatters, lints, the OpenAPI document under
//!            Schemathesis, and the real window under Xvfb
//! bench      the benchmark figures (`--only PART`, `--quick`, `--smoke`), JSON on the last line
//! bundle     a .deb of the app
//! gen-types  rewrite the committed TypeScript bindings of the IPC types
//! prepare    refresh the committed SQL query data (crates/*/.sqlx) after changing a query
//! postgres   start the tests' PostgreSQL and print its URL
//! schemathesis  install the pinned Schemathesis and print its path

mod cargo;
mod desktop;
mod phases;
mod postgres;
mod schemathesis;
mod setup;

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::phases::Phases;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "run" => run(),
        "test" => timed("cargo xtask test", test),
        "bench" => bench(&rest),
        "prepare" => prepare(),
        "gen-types" => gen_types(),
        "bundle" => bundle(),
        "postgres" => postgres::ensure().map(|url| println!("{url}")),
        "schemathesis" => schemathesis::ensure().map(|path| println!("{}", path.display())),
        _ => {
            eprintln!("usage: cargo xtask <run|test|bench|bundle|gen-types|prepare|postgres|schemathesis>");
            bail!("unknown command {command:?}")
        }
    }
}

/// Runs a command's phases and prints their times, also when one failed.
fn timed(name: &'static str, work: impl FnOnce(&mut Phases) -> Result<()>) -> Result<()> {
    let mut phases = Phases::new(name);
    let result = work(&mut phases);
    phases.print();
    result
}

/// What building and running the window needs, then the UI it embeds.
fn app_setup() -> Result<()> {
    setup::build_tools()?;
    desktop::packages()?;
    desktop::node()?;
    desktop::ui_packages()?;
    desktop::build_ui()
}

fn run() -> Result<()> {
    app_setup()?;
    // The test build's selection, so a `cargo xtask test` afterwards compiles nothing again.
    cargo::build_all()?;
    let status = Command::new(cargo::binary("duly")?).status().context("starting Duly")?;
    anyhow::ensure!(status.success(), "Duly exited with {status}");
    Ok(())
}

fn test(phases: &mut Phases) -> Result<()> {
    let (postgres, schemathesis) = phases.run("setup", || {
        app_setup()?;
        desktop::e2e_packages()?;
        desktop::tauri_driver()?;
        Ok((postgres::ensure()?, schemathesis::ensure()?))
    })?;
    phases.run("ui: check, test, format", || {
        desktop::npm(&["run", "check"])?;
        desktop::npm(&["test"])?;
        desktop::npm(&["run", "format:check"])
    })?;
    phases.run("rust: format", || cargo::run(&["fmt", "--all", "--check"]))?;
    phases.run("rust: build", cargo::build_all)?;
    let mut passed = 0;
    let suites = phases.run_with("rust: tests", |phases| cargo::test(phases, &[], &[], &[], &[]))?;
    passed += suites.iter().map(|s| s.passed).sum::<u32>();
    // The server suite again on PostgreSQL: one cluster, started above, a database per test.
    let suites = phases.run_with("rust: tests on PostgreSQL", |phases| {
        let args = ["--ignored", "--skip", OPENAPI_FUZZ];
        cargo::test(phases, &[], &["system"], &args, &[("DULY_TEST_POSTGRES", &postgres)])
    })?;
    passed += suites.iter().map(|s| s.passed).sum::<u32>();
    // Schemathesis against the real server with a seeded company, on SQLite and PostgreSQL: the
    // OpenAPI document must say what the server does. A new seed each run, printed to replay.
    let seed = schemathesis::seed()?.to_string();
    eprintln!("[xtask] schemathesis seed {seed} (replay: DULY_SCHEMATHESIS_SEED={seed} cargo xtask test)");
    let suites = phases.run_with("openapi: schemathesis", |phases| {
        let args = ["--ignored", "--exact", OPENAPI_FUZZ, "--nocapture"];
        let tool = schemathesis.to_string_lossy();
        let envs = [
            ("DULY_TEST_POSTGRES", &*postgres),
            ("DULY_SCHEMATHESIS", &tool),
            ("DULY_SCHEMATHESIS_SEED", &seed),
        ];
        cargo::test(phases, &[], &["system"], &args, &envs)
    })?;
    passed += suites.iter().map(|s| s.passed).sum::<u32>();
    if clippy_installed() {
        phases.run("rust: clippy", cargo::clippy)?;
    } else {
        eprintln!("[xtask] clippy is not installed; lints skipped (rustup component add clippy)");
    }
    // The real window under Xvfb in its own D-Bus session, driven over WebDriver, on the app
    // binary the build made.
    let suites = phases.run_with("window: end to end", |phases| {
        let wrap = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "dbus-run-session", "--"];
        let args = ["--ignored", "--test-threads=1"];
        cargo::test(phases, &wrap, &["window"], &args, &[("NO_AT_BRIDGE", "1")])
    });
    if let Ok(target) = cargo::target_dir() {
        eprintln!("[xtask] desktop screenshots: {}", target.join("e2e-screenshots").display());
    }
    passed += suites?.iter().map(|s| s.passed).sum::<u32>();
    eprintln!("[xtask] {passed} Rust tests passed (the UI's are counted by vitest above)");
    Ok(())
}

/// The Schemathesis run (`tests/system/openapi_fuzz.rs`), a phase of its own.
const OPENAPI_FUZZ: &str = "openapi_fuzz::the_openapi_document_tells_the_truth";

fn clippy_installed() -> bool {
    Command::new(env!("CARGO")).args(["clippy", "--version"]).output().is_ok_and(|o| o.status.success())
}

fn gen_types() -> Result<()> {
    let status = Command::new(env!("CARGO"))
        .current_dir(setup::root())
        .env("DULY_WRITE_BINDINGS", "1")
        .env("SQLX_OFFLINE", "true")
        .args(["test", "--workspace", "--all-targets", "--locked", "bindings"])
        .status()?;
    anyhow::ensure!(status.success(), "generating the bindings failed");
    Ok(())
}

/// A .deb through the Tauri CLI that the UI's npm packages ship (no separate install).
fn bundle() -> Result<()> {
    setup::build_tools()?;
    desktop::packages()?;
    setup::debian_packages(&["libayatana-appindicator3-dev"])?;
    desktop::node()?;
    desktop::ui_packages()?;
    desktop::build_ui()?;
    let status = Command::new("npx")
        .current_dir(setup::root())
        .args(["--prefix", "ui", "tauri", "build", "--bundles", "deb"])
        .env("TAURI_APP_PATH", "src-tauri")
        .env("SQLX_OFFLINE", "true")
        .status()?;
    anyhow::ensure!(status.success(), "tauri build failed");
    Ok(())
}

/// The keys the goals are stated in: a smoke run fails when one goes missing.
const BENCH_KEYS: &[&str] = &[
    "create_task_p50_ms",
    "create_task_p99_ms",
    "fsync_floor_p50_ms",
    "fsync_floor_p99_ms",
    "today_p95_ms",
    "my_tasks_p95_ms",
    "delegated_p95_ms",
    "search_p95_ms",
    "scheduler_tick_p95_ms",
    "bootstrap_s",
    "sync_roundtrip_p95_ms",
    "server_p99_ms",
    "server_push_p99_ms",
    "server_pull_p99_ms",
    "app_first_paint_ms",
    "app_idle_pss_mb",
    "floor_first_paint_ms",
    "floor_idle_pss_mb",
];

fn bench(args: &[String]) -> Result<()> {
    if args.iter().any(|a| a == "--smoke") {
        return timed("cargo xtask bench --smoke", |phases| smoke_bench(phases, args));
    }
    setup::build_tools()?;
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).map(String::as_str);
    let with_app = only.is_none_or(|part| part == "app");
    // One release build of the bench and the two windows it launches, then the bench itself.
    let mut build = vec!["build", "--release", "--locked", "--package", "duly-bench"];
    if with_app {
        app_setup()?;
        desktop::e2e_packages()?;
        build.extend(["--package", "duly-desktop", "--package", "duly-bare-window"]);
    }
    cargo::run(&build)?;
    let bench =
        cargo::target_dir()?.join("release").join(format!("duly-bench{}", std::env::consts::EXE_SUFFIX));
    // The desktop part runs on a D-Bus session of its own (the single-instance plugin
    // registers there).
    let mut command = if with_app {
        let mut c = Command::new("dbus-run-session");
        c.arg("--").arg(&bench);
        c
    } else {
        Command::new(&bench)
    };
    let status = command.current_dir(setup::root()).args(args).status().context("duly-bench")?;
    anyhow::ensure!(status.success(), "the benchmark failed");
    Ok(())
}

/// Every section once on a tiny store, on the dev build the tests use: proves the bench runs
/// and still prints the figures the goals name. It measures nothing.
fn smoke_bench(phases: &mut Phases, args: &[String]) -> Result<()> {
    phases.run("setup", || {
        app_setup()?;
        desktop::e2e_packages()
    })?;
    phases.run("rust: build", cargo::build_all)?;
    phases.run("bench: smoke", || {
        let output = Command::new("dbus-run-session")
            .current_dir(setup::root())
            .arg("--")
            .arg(cargo::binary("duly-bench")?)
            .args(args)
            .stderr(std::process::Stdio::inherit())
            .output()
            .context("dbus-run-session")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        print!("{stdout}");
        anyhow::ensure!(output.status.success(), "the benchmark failed");
        let last = stdout.lines().last().unwrap_or_default();
        let only = args.iter().position(|a| a == "--only").is_some();
        let missing: Vec<&str> =
            BENCH_KEYS.iter().copied().filter(|key| !last.contains(&format!("\"{key}\":"))).collect();
        anyhow::ensure!(
            last.starts_with('{') && (only || missing.is_empty()),
            "the bench's JSON lacks {missing:?}: {last}"
        );
        Ok(())
    })
}

/// Regenerates the query data the SQL macros check against when building offline: a database
/// is made from the migrations, then the crates are checked against it with the macros told to
/// write what they learn.
fn prepare() -> Result<()> {
    let root = setup::root();
    let database = root.join("target/sqlx-prepare/client.db");
    std::fs::create_dir_all(database.parent().context("no parent")?)?;
    let _ = std::fs::remove_file(&database);
    let mut script = String::new();
    let mut migrations: Vec<_> =
        std::fs::read_dir(root.join("migrations/client"))?.collect::<Result<_, _>>()?;
    migrations.sort_by_key(|entry| entry.file_name());
    for migration in migrations {
        script.push_str(&std::fs::read_to_string(migration.path())?);
    }
    // Python's sqlite3 makes the schema without needing the crate that is being prepared. Its
    // SQLite may predate concat_ws (3.44), which the search triggers call: a stand-in lets
    // statements that fire them compile (the schema itself is what is wanted).
    const SCHEMA: &str = "import sqlite3, sys\n\
        c = sqlite3.connect(sys.argv[1])\n\
        c.create_function('concat_ws', -1, lambda sep, *xs: sep.join(str(x) for x in xs if x is not None))\n\
        c.executescript(sys.stdin.read())\n";
    let status = Command::new("python3")
        .args(["-c", SCHEMA])
        .arg(&database)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .context("stdin")
                .map_err(std::io::Error::other)?
                .write_all(script.as_bytes())?;
            child.wait()
        })?;
    anyhow::ensure!(status.success(), "creating the schema failed");
    let offline_dir = root.join("crates/core/.sqlx");
    let _ = std::fs::remove_dir_all(&offline_dir);
    std::fs::create_dir_all(&offline_dir)?;
    let status =
        Command::new(env!("CARGO")).current_dir(&root).args(["clean", "--package", "duly-core"]).status()?;
    anyhow::ensure!(status.success(), "cargo clean failed");
    let status = Command::new(env!("CARGO"))
        .current_dir(&root)
        .env("DATABASE_URL", format!("sqlite://{}", database.display()))
        .env("SQLX_OFFLINE", "false")
        .env("SQLX_OFFLINE_DIR", &offline_dir)
        .args(["check", "--package", "duly-core", "--all-targets"])
        .status()?;
    anyhow::ensure!(status.success(), "cargo check failed");
    let written = std::fs::read_dir(&offline_dir)?.count();
    eprintln!("wrote {written} query files to {}", offline_dir.display());
    Ok(())
}
