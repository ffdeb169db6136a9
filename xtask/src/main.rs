//! `cargo xtask <command>`: the project's commands, each setting up what it needs first.
//!
//! run      start Duly on a local store
//! test     every test of the workspace
//! bench    the benchmark figures (`--only PART`, `--quick`), JSON on the last line
//! prepare  refresh the committed SQL query data (crates/*/.sqlx) after changing a query

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
        _ => {
            eprintln!("usage: cargo xtask <run|test|bench|prepare>");
            bail!("unknown command {command:?}")
        }
    }
}

fn run() -> Result<()> {
    eprintln!("The desktop window is not there yet: `cargo xtask run` arrives with the desktop issue.");
    eprintln!("Until then the core is exercised by `cargo xtask test` and `cargo xtask bench`.");
    Ok(())
}

fn test() -> Result<()> {
    setup::build_tools()?;
    cargo(&["test", "--workspace", "--locked"])?;
    if Command::new(env!("CARGO")).args(["clippy", "--version"]).output().is_ok_and(|o| o.status.success()) {
        cargo(&["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"])?;
    } else {
        eprintln!("[xtask] clippy is not installed; lints skipped (rustup component add clippy)");
    }
    Ok(())
}

fn bench(args: &[String]) -> Result<()> {
    setup::build_tools()?;
    let mut command = vec!["run", "--release", "--locked", "--quiet", "--package", "duly-bench", "--"];
    command.extend(args.iter().map(String::as_str));
    cargo(&command)
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
    // Python's sqlite3 makes the schema without needing the crate that is being prepared.
    let status = Command::new("python3")
        .args(["-c", "import sqlite3, sys; sqlite3.connect(sys.argv[1]).executescript(sys.stdin.read())"])
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
