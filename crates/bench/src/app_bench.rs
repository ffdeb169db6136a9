//! The desktop figures: the app against a bare Tauri window (crates/bare-window), both built
//! in the bench's own profile and found beside it, launched alternately under one Xvfb
//! display, 5 times each, measured the same way.
//!
//! First paint: process start → the page's own mark (two animation frames after the first
//! list is on screen, one IPC call that writes the time to `DULY_PAINT_FILE`). Idle memory:
//! proportional set size of the process and its WebKit children, 10 s after start.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Map, Value};

use crate::size::Size;
use crate::stats::{log, percentile, round};

const ROUNDS: usize = 5;
const IDLE_AFTER: Duration = Duration::from_secs(10);
/// A smoke run only checks that both windows start, paint and can be measured.
const SMOKE_IDLE_AFTER: Duration = Duration::from_secs(1);

pub async fn run(size: Size, demo: &crate::demo::DemoStore) -> anyhow::Result<Map<String, Value>> {
    // `cargo xtask bench` builds the two windows in the profile it runs the bench in.
    let beside =
        std::env::current_exe()?.parent().map(Path::to_path_buf).context("bench binary has no folder")?;
    let app = beside.join(format!("duly{}", std::env::consts::EXE_SUFFIX));
    let bare = beside.join(format!("duly-bare-window{}", std::env::consts::EXE_SUFFIX));
    for binary in [&app, &bare] {
        if !binary.exists() {
            bail!("{} is not built: run the app part through `cargo xtask bench`", binary.display());
        }
    }
    let idle_after = if size == Size::Smoke { SMOKE_IDLE_AFTER } else { IDLE_AFTER };
    let dir = crate::core_bench::bench_dir()?;
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data)?;
    demo.open_copy(&data).await?.close().await;
    let display = Xvfb::start()?;

    let (mut app_paint, mut app_pss, mut bare_paint, mut bare_pss) = (vec![], vec![], vec![], vec![]);
    for round in 0..size.rounds(ROUNDS, ROUNDS) {
        let (paint, pss) = launch(&app, &display.name, dir.path(), &data, idle_after)?;
        log(format!("round {round}: app first paint {paint:.0} ms, idle PSS {pss:.1} MB"));
        app_paint.push(paint);
        app_pss.push(pss);
        let (paint, pss) = launch(&bare, &display.name, dir.path(), &data, idle_after)?;
        log(format!("round {round}: bare window first paint {paint:.0} ms, idle PSS {pss:.1} MB"));
        bare_paint.push(paint);
        bare_pss.push(pss);
    }
    let mut figures = Map::new();
    figures.insert("app_first_paint_ms".into(), round(percentile(&mut app_paint, 50.0)).into());
    figures.insert("app_idle_pss_mb".into(), round(percentile(&mut app_pss, 50.0)).into());
    figures.insert("floor_first_paint_ms".into(), round(percentile(&mut bare_paint, 50.0)).into());
    figures.insert("floor_idle_pss_mb".into(), round(percentile(&mut bare_pss, 50.0)).into());
    Ok(figures)
}

fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// One launch: (first paint in ms, idle PSS in MB).
fn launch(
    binary: &Path,
    display: &str,
    scratch: &Path,
    data: &Path,
    idle_after: Duration,
) -> anyhow::Result<(f64, f64)> {
    let paint_file = scratch.join("painted");
    let home = tempfile::tempdir_in(scratch)?;
    let _ = std::fs::remove_file(&paint_file);
    let started_at = epoch_ms();
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env("DISPLAY", display)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("DULY_DATA_DIR", data)
        .env("DULY_PAINT_FILE", &paint_file)
        .env("NO_AT_BRIDGE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let paint = loop {
        if let Ok(text) = std::fs::read_to_string(&paint_file)
            && let Ok(at) = text.trim().parse::<f64>()
        {
            break at - started_at;
        }
        if started.elapsed() > Duration::from_secs(120) || child.try_wait()?.is_some() {
            stop(&mut child);
            bail!("{} never painted", binary.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if let Some(rest) = idle_after.checked_sub(started.elapsed()) {
        std::thread::sleep(rest);
    }
    let pss_kb: u64 = process_tree(child.id()).iter().filter_map(|pid| pss_kb(*pid)).sum();
    stop(&mut child);
    Ok((paint, pss_kb as f64 / 1024.0))
}

/// The process and every descendant (the WebKit web and network processes).
fn process_tree(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // The command name is in parentheses and may contain spaces; the ppid follows it.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parents.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut index = 0;
    while index < tree.len() {
        let parent = tree[index];
        tree.extend(parents.iter().filter(|(_, ppid)| *ppid == parent).map(|(pid, _)| *pid));
        index += 1;
    }
    tree
}

fn pss_kb(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    text.lines()
        .find(|l| l.starts_with("Pss:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn stop(child: &mut Child) {
    for pid in process_tree(child.id()).into_iter().rev() {
        let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
    }
    for _ in 0..50 {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

struct Xvfb {
    process: Child,
    name: String,
}

impl Xvfb {
    fn start() -> anyhow::Result<Self> {
        for number in 90..120 {
            if Path::new(&format!("/tmp/.X11-unix/X{number}")).exists() {
                continue;
            }
            let process = Command::new("Xvfb")
                .args([
                    format!(":{number}"),
                    "-screen".into(),
                    "0".into(),
                    "1280x800x24".into(),
                    "-nolisten".into(),
                    "tcp".into(),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("Xvfb (apt-get install xvfb)")?;
            for _ in 0..100 {
                if Path::new(&format!("/tmp/.X11-unix/X{number}")).exists() {
                    return Ok(Self { process, name: format!(":{number}") });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        bail!("no free X display")
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
