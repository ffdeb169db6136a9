//! Schemathesis, the OpenAPI fuzzer the server's document is held to: one pinned version from
//! PyPI in a virtual environment under the cache, installed when missing or another version.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::setup;

/// Pinned: a newer release may add checks or change what it generates, which belongs in a
/// commit of its own, not in a CI run.
const VERSION: &str = "4.32.5";

/// The `schemathesis` executable, installed first if needed.
pub fn ensure() -> Result<PathBuf> {
    let venv = cache_dir()?.join("schemathesis-venv");
    let executable = venv.join("bin/schemathesis");
    if installed_version(&executable).is_some_and(|v| v.contains(VERSION)) {
        return Ok(executable);
    }
    eprintln!("[xtask] installing Schemathesis {VERSION} into {}", venv.display());
    // Debian's Python makes a virtual environment only with python3-venv.
    if !make_venv(&venv)? {
        setup::debian_packages(&["python3", "python3-venv"])?;
        anyhow::ensure!(make_venv(&venv)?, "python3 -m venv {} failed", venv.display());
    }
    let status = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", &format!("schemathesis=={VERSION}")])
        .status()
        .context("pip")?;
    anyhow::ensure!(status.success(), "pip install schemathesis=={VERSION} failed");
    let found = installed_version(&executable).context("schemathesis does not start after installing")?;
    anyhow::ensure!(found.contains(VERSION), "installed {found}, not {VERSION}");
    Ok(executable)
}

/// A fresh environment (`--clear`: a half-made one from an interrupted run goes).
fn make_venv(venv: &std::path::Path) -> Result<bool> {
    Ok(Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(venv)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success()))
}

fn installed_version(executable: &std::path::Path) -> Option<String> {
    let output = Command::new(executable).arg("--version").output().ok().filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `~/.cache/duly`, as `.ci/run` keeps the build there (`XDG_CACHE_HOME` moves it).
fn cache_dir() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .context("no XDG_CACHE_HOME or HOME")?;
    Ok(base.join("duly"))
}

/// The seed of this run: `DULY_SCHEMATHESIS_SEED` replays one, else a new one each run.
pub fn seed() -> Result<u64> {
    if let Ok(seed) = std::env::var("DULY_SCHEMATHESIS_SEED") {
        return seed.parse().context("DULY_SCHEMATHESIS_SEED is a number");
    }
    // Randomness enough for a fuzzer's seed without a crate for it.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    Ok((now.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32)) % 1_000_000_000)
}
