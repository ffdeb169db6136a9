//! Every cargo call of the project's commands selects the same packages and targets (the whole
//! workspace, all targets), so Cargo resolves one feature set and each dependency is compiled
//! once: `cargo xtask run` followed by `cargo xtask test` compiles nothing twice. The
//! workspace-wide feature unification setting would say the same in configuration, but it is
//! still unstable on this toolchain (`-Zfeature-unification`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::phases::Phases;
use crate::setup;

/// The one selection: passing `--package` or leaving out test targets would resolve features
/// differently and rebuild dependencies.
const SELECTION: [&str; 3] = ["--workspace", "--all-targets", "--locked"];

pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO"));
    same_environment(&mut command);
    command
}

/// `cargo run` gives xtask its own package's variables (`CARGO_PKG_NAME=xtask`, …). Build
/// scripts that read one of them (ring's does) would see a change against a plain `cargo
/// build` and rebuild, so they are not passed on.
fn same_environment(command: &mut Command) {
    command.current_dir(setup::root()).env("SQLX_OFFLINE", "true");
    let injected = ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CRATE_", "CARGO_BIN_", "CARGO_PRIMARY_PACKAGE"];
    for (key, _) in std::env::vars_os() {
        if let Some(key) = key.to_str()
            && injected.iter().any(|prefix| key.starts_with(prefix))
        {
            command.env_remove(key);
        }
    }
}

pub fn run(args: &[&str]) -> Result<()> {
    let status = command().args(args).status().with_context(|| format!("cargo {}", args.join(" ")))?;
    anyhow::ensure!(status.success(), "cargo {} failed", args.join(" "));
    Ok(())
}

/// Builds every package and target of the workspace in the dev profile: the app, the server,
/// the bench, the bare window and every test binary.
pub fn build_all() -> Result<()> {
    let mut args = vec!["build"];
    args.extend(SELECTION);
    run(&args)
}

/// Lints with the same selection; what it shares with the build (build scripts, proc macros)
/// is compiled once.
pub fn clippy() -> Result<()> {
    let mut args = vec!["clippy"];
    args.extend(SELECTION);
    args.extend(["--", "-D", "warnings"]);
    run(&args)
}

/// Where Cargo puts what it builds (`CARGO_TARGET_DIR`, a configured `build.target-dir`, or
/// `target/` in the workspace).
pub fn target_dir() -> Result<PathBuf> {
    let output = command().args(["metadata", "--no-deps", "--format-version", "1"]).output()?;
    anyhow::ensure!(output.status.success(), "cargo metadata failed");
    let text = String::from_utf8(output.stdout)?;
    let key = "\"target_directory\":\"";
    let start = text.find(key).context("no target_directory in cargo metadata")? + key.len();
    let end = text[start..].find('"').context("unterminated target_directory")? + start;
    Ok(PathBuf::from(text[start..end].replace("\\\\", "\\")))
}

/// A dev-profile binary of the workspace, as `build_all` left it.
pub fn binary(name: &str) -> Result<PathBuf> {
    let path = target_dir()?.join("debug").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(path.exists(), "{} is not built", path.display());
    Ok(path)
}

/// The outcome of one test binary, as libtest reports it.
#[derive(Debug, Default)]
pub struct Suite {
    pub name: String,
    pub passed: u32,
    pub failed: u32,
    pub ignored: u32,
    pub took: Duration,
}

/// `cargo test` with the shared selection (the build already made every test binary, so this
/// compiles nothing), echoing its output and reading each suite's counts and time from it.
/// `wrap` runs it under another program (xvfb-run, dbus-run-session).
pub fn test(
    phases: &mut Phases,
    wrap: &[&str],
    targets: &[&str],
    test_args: &[&str],
    envs: &[(&str, &str)],
) -> Result<Vec<Suite>> {
    let mut command = match wrap.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(env!("CARGO"));
            c
        }
        None => Command::new(env!("CARGO")),
    };
    same_environment(&mut command);
    command.args(["test", "--workspace", "--locked", "--no-fail-fast"]);
    if targets.is_empty() {
        command.arg("--all-targets");
    }
    for target in targets {
        command.args(["--test", target]);
    }
    command.arg("--").args(test_args);
    for (key, value) in envs {
        command.env(key, value);
    }
    // One pipe for both streams keeps cargo's "Running …" line (stderr) before its suite's
    // results (stdout).
    let (reader, writer) = std::io::pipe()?;
    command.stdout(writer.try_clone()?).stderr(writer);
    let mut child = command.spawn().context("cargo test")?;
    drop(command);
    let mut suites: Vec<Suite> = Vec::new();
    for line in BufReader::new(reader).lines() {
        let line = line?;
        println!("{line}");
        if let Some(name) = suite_name(&line) {
            suites.push(Suite { name, ..Suite::default() });
        } else if let Some(rest) = line.strip_prefix("test result: ")
            && let Some(suite) = suites.last_mut()
        {
            read_result(rest, suite);
        }
    }
    let status = child.wait()?;
    for suite in &suites {
        let note = format!("{} passed, {} failed, {} ignored", suite.passed, suite.failed, suite.ignored);
        phases.record(&format!("  {}", suite.name), suite.took, note);
    }
    anyhow::ensure!(status.success(), "tests failed");
    Ok(suites)
}

/// `Running tests/it/main.rs (target/debug/deps/it-0123abcd)` → `it (tests/it/main.rs)`.
fn suite_name(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("Running ")?;
    let (source, path) = rest.split_once(" (")?;
    let file = path.trim_end_matches(')').rsplit(['/', '\\']).next()?;
    let binary = file.rsplit_once('-').map_or(file, |(name, _hash)| name);
    let source = source.trim_start_matches("unittests ");
    Some(format!("{binary} ({source})"))
}

/// `ok. 12 passed; 0 failed; 3 ignored; 0 measured; 0 filtered out; finished in 1.23s`
fn read_result(text: &str, suite: &mut Suite) {
    for part in text.split(';') {
        let part = part.trim().trim_start_matches("ok. ").trim_start_matches("FAILED. ");
        let mut words = part.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(n), Some("passed"), _) => suite.passed = n.parse().unwrap_or(0),
            (Some(n), Some("failed"), _) => suite.failed = n.parse().unwrap_or(0),
            (Some(n), Some("ignored"), _) => suite.ignored = n.parse().unwrap_or(0),
            (Some("finished"), Some("in"), Some(seconds)) => {
                let seconds: f64 = seconds.trim_end_matches('s').parse().unwrap_or(0.0);
                suite.took = Duration::from_secs_f64(seconds);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suite_is_named_by_its_binary_and_source() {
        let line = "     Running tests/it/main.rs (target/debug/deps/it-0f3a9c)";
        assert_eq!(suite_name(line).as_deref(), Some("it (tests/it/main.rs)"));
        let line = "     Running unittests src/lib.rs (/x/debug/deps/duly_core-77aa)";
        assert_eq!(suite_name(line).as_deref(), Some("duly_core (src/lib.rs)"));
        assert_eq!(suite_name("test result: ok."), None);
    }

    #[test]
    fn libtest_counts_and_time_are_read() {
        let mut suite = Suite::default();
        read_result(
            "FAILED. 12 passed; 2 failed; 3 ignored; 0 measured; 0 filtered out; finished in 1.50s",
            &mut suite,
        );
        assert_eq!((suite.passed, suite.failed, suite.ignored), (12, 2, 3));
        assert_eq!(suite.took, Duration::from_millis(1500));
    }
}
