//! What the desktop app needs: system libraries, Node for the UI, the UI build, and for the
//! end-to-end tests Xvfb, D-Bus, WebKitWebDriver and tauri-driver.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::setup::{debian_packages, root};

/// Building and running the window (the tray library is loaded at run time).
pub fn packages() -> Result<()> {
    debian_packages(&["build-essential", "pkg-config", "libwebkit2gtk-4.1-dev", "libayatana-appindicator3-1"])
}

/// The real window under a virtual display, driven over WebDriver, with a notification daemon.
pub fn e2e_packages() -> Result<()> {
    debian_packages(&["xvfb", "xauth", "webkit2gtk-driver", "dunst", "dbus"])
}

/// Node 20.19+ and npm, for Vite 8.
pub fn node() -> Result<()> {
    let version = |cmd: &str| Command::new(cmd).arg("--version").output().ok().filter(|o| o.status.success());
    if version("node").is_none() || version("npm").is_none() {
        debian_packages(&["nodejs", "npm"])?;
    }
    let output = version("node").context("node is not installed: install Node.js 20.19 or newer")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let major: u32 =
        text.trim().trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < 20 {
        bail!("Node.js {} is too old for the UI build: install 20.19 or newer", text.trim());
    }
    Ok(())
}

/// `npm ci` when the UI's packages are missing or the lock file changed since.
pub fn ui_packages() -> Result<()> {
    let ui = root().join("ui");
    let installed = ui.join("node_modules/.package-lock.json");
    let stale = match (modified(&installed), modified(&ui.join("package-lock.json"))) {
        (Some(installed), Some(lock)) => lock > installed,
        _ => true,
    };
    if stale {
        npm(&["ci", "--no-audit", "--no-fund"])?;
    }
    Ok(())
}

pub fn npm(args: &[&str]) -> Result<()> {
    let status = Command::new("npm").current_dir(root().join("ui")).args(args).status().context("npm")?;
    anyhow::ensure!(status.success(), "npm {} failed", args.join(" "));
    Ok(())
}

/// `vite build` unless `ui/dist` is newer than every source of it: a rebuild would make Cargo
/// relink the app that embeds it for nothing.
pub fn build_ui() -> Result<()> {
    let ui = root().join("ui");
    let built = modified(&ui.join("dist/index.html"));
    let sources = ["src", "index.html", "package-lock.json", "vite.config.ts", "tsconfig.json"];
    let newest = sources.iter().filter_map(|source| newest_in(&ui.join(source))).max();
    match (built, newest) {
        (Some(built), Some(newest)) if built > newest => Ok(()),
        _ => npm(&["run", "build"]),
    }
}

/// The latest modification time of a file, or of any file below a folder.
fn newest_in(path: &Path) -> Option<std::time::SystemTime> {
    let own = modified(path);
    let Ok(entries) = std::fs::read_dir(path) else { return own };
    entries.flatten().filter_map(|entry| newest_in(&entry.path())).chain(own).max()
}

/// tauri-driver 2 (the 3.0 alphas are for Tauri 3).
pub fn tauri_driver() -> Result<()> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .context("no CARGO_HOME or HOME")?;
    if cargo_home.join("bin/tauri-driver").exists() {
        return Ok(());
    }
    let status = Command::new(env!("CARGO"))
        // A WebDriver proxy needs no optimiser: the debug build takes half the time.
        .args(["install", "tauri-driver", "--version", "^2", "--locked", "--debug"])
        .status()?;
    anyhow::ensure!(status.success(), "cargo install tauri-driver failed");
    Ok(())
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}
