//! Installs what a fresh Debian or Ubuntu machine lacks; elsewhere, says what is needed.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Result, bail};

/// The workspace root (xtask lives one folder below it).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// What building the workspace needs beyond Rust itself.
pub fn build_tools() -> Result<()> {
    debian_packages(&["build-essential", "pkg-config"])
}

/// Installs the Debian packages that are missing (as root, or through sudo when it needs no
/// password); on a system without dpkg, lists them and goes on.
pub fn debian_packages(packages: &[&str]) -> Result<()> {
    if Command::new("dpkg-query").arg("--version").output().is_err() {
        eprintln!(
            "[xtask] not a Debian system: make sure these (or your system's equivalents) are installed: {}",
            packages.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("[xtask] installing {}", missing.join(" "));
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    let prefix: &[&str] = if root { &[] } else { &["sudo", "-n"] };
    let apt = |args: &[&str]| -> Result<bool> {
        let mut all: Vec<&str> = prefix.to_vec();
        all.push("apt-get");
        all.extend_from_slice(args);
        Ok(Command::new(all[0]).args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive").status()?.success())
    };
    if !apt(&["update", "-qq"])? {
        bail!("apt-get update failed; install by hand: {}", missing.join(" "));
    }
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    if !apt(&install)? {
        bail!("apt-get install failed; install by hand: {}", missing.join(" "));
    }
    Ok(())
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}
