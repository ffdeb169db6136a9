//! `cargo xtask <command>`: the project's commands, each setting up what it needs first.
//!
//! run        start Duly on a local store
//! test       every test: Rust, the UI's, and the real window under Xvfb
//! bench      the benchmark figures (`--only PART`, `--quick`), JSON on the last line
//! bundle     a .deb of the app
//! gen-types  rewrite the committed TypeScript bindings of the IPC types
//! prepare    refresh the committed SQL query data (crates/*/.sqlx) after changing a query

mod desktop;
mod postgres;
mod setup;

use std::process::Command;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "run" => run(),
        "test" => test(),
        "bench" => bench(&rest),
        "prepare" => prepare(),
        "gen-types" => gen_types(),
        "bundle" => bundle(),
        "postgres" => postgres::ensure().map(|url| println!("{url}")),
        _ => {
            eprintln!("usage: cargo xtask <run|test|bench|bundle|gen-types|prepare|postgres>");
            bail!("unknown command {command:?}")
        }
    }
}

fn run() -> Result<()> {
    setup::build_tools()?;
    desktop::packages()?;
    desktop::node()?;
    desktop::ui_packages()?;
    desktop::build_ui()?;
    cargo(&["run", "--locked", "--package", "duly-desktop", "--bin", "duly"])
}

fn test() -> Result<()> {
    setup::build_tools()?;
    desktop::packages()?;
    desktop::e2e_packages()?;
    desktop::node()?;
    desktop::ui_packages()?;
    desktop::npm(&["run", "check"])?;
    desktop::npm(&["test"])?;
    // The app embeds the built UI, so it is built before the Rust side.
    desktop::build_ui()?;
    cargo(&["test", "--workspace", "--locked"])?;
    server_on_postgres()?;
    if Command::new(env!("CARGO")).args(["clippy", "--version"]).output().is_ok_and(|o| o.status.success()) {
        cargo(&["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"])?;
    } else {
        eprintln!("[xtask] clippy is not installed; lints skipped (rustup component add clippy)");
    }
    desktop_e2e()
}

/// The server suite again, on PostgreSQL (the same tests ran on SQLite above).
fn server_on_postgres() -> Result<()> {
    let url = postgres::ensure()?;
    let status = Command::new(env!("CARGO"))
        .current_dir(setup::root())
        .args(["test", "--locked", "--package", "duly-tests", "--test", "it", "--", "--ignored"])
        .env("DULY_TEST_POSTGRES", url)
        .env("SQLX_OFFLINE", "true")
        .status()?;
    anyhow::ensure!(status.success(), "the server suite failed on PostgreSQL");
    Ok(())
}

/// The real window under Xvfb inside its own D-Bus session, driven over WebDriver.
fn desktop_e2e() -> Result<()> {
    cargo(&["build", "--locked", "--package", "duly-desktop", "--bin", "duly"])?;
    desktop::tauri_driver()?;
    let status = Command::new("xvfb-run")
        .current_dir(setup::root())
        .args(["-a", "-s", "-screen 0 1280x800x24", "dbus-run-session", "--"])
        .arg(env!("CARGO"))
        .args(["test", "--locked", "--package", "duly-tests", "--test", "desktop", "--", "--ignored", "--test-threads=1"])
        .env("NO_AT_BRIDGE", "1")
        .env("SQLX_OFFLINE", "true")
        .status()
        .context("xvfb-run")?;
    anyhow::ensure!(status.success(), "the desktop end-to-end test failed (screenshots in target/e2e-screenshots)");
    eprintln!("[xtask] desktop screenshots: {}", setup::root().join("target/e2e-screenshots").display());
    Ok(())
}

fn gen_types() -> Result<()> {
    let status = Command::new(env!("CARGO"))
        .current_dir(setup::root())
        .env("DULY_WRITE_BINDINGS", "1")
        .env("SQLX_OFFLINE", "true")
        .args(["test", "--locked", "--package", "duly-desktop", "--lib", "bindings"])
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

fn bench(args: &[String]) -> Result<()> {
    setup::build_tools()?;
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).map(String::as_str);
    let mut command = vec!["run", "--release", "--locked", "--quiet", "--package", "duly-bench", "--"];
    command.extend(args.iter().map(String::as_str));
    if only.is_some_and(|part| part != "app") {
        return cargo(&command);
    }
    // The desktop part launches the release app and the bare window under Xvfb, on a D-Bus
    // session of its own (the single-instance plugin registers there).
    desktop::packages()?;
    desktop::e2e_packages()?;
    desktop::node()?;
    desktop::ui_packages()?;
    desktop::build_ui()?;
    cargo(&["build", "--release", "--locked", "--package", "duly-desktop", "--package", "duly-bare-window"])?;
    let status = Command::new("dbus-run-session")
        .current_dir(setup::root())
        .arg("--")
        .arg(env!("CARGO"))
        .args(&command)
        .env("SQLX_OFFLINE", "true")
        .status()
        .context("dbus-run-session")?;
    anyhow::ensure!(status.success(), "the benchmark failed");
    Ok(())
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
    let mut migrations: Vec<_> = std::fs::read_dir(root.join("migrations/client"))?.collect::<Result<_, _>>()?;
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
            child.stdin.take().context("stdin").map_err(std::io::Error::other)?.write_all(script.as_bytes())?;
            child.wait()
        })?;
    anyhow::ensure!(status.success(), "creating the schema failed");
    let offline_dir = root.join("crates/core/.sqlx");
    let _ = std::fs::remove_dir_all(&offline_dir);
    std::fs::create_dir_all(&offline_dir)?;
    let status = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["clean", "--package", "duly-core"])
        .status()?;
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

fn cargo(args: &[&str]) -> Result<()> {
    let status = Command::new(env!("CARGO"))
        .current_dir(setup::root())
        .env("SQLX_OFFLINE", "true")
        .args(args)
        .status()
        .with_context(|| format!("cargo {}", args.join(" ")))?;
    anyhow::ensure!(status.success(), "cargo {} failed", args.join(" "));
    Ok(())
}
