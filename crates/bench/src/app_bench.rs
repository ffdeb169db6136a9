//! The desktop figures: the app against a bare Tauri window (crates/bare-window), both built
//! in the bench's own profile and found beside it, launched alternately under one Xvfb
//! display, 5 times each, measured the same way.
//!
//! First paint: process start → the page's own mark (two animation frames after the first
//! list is on screen, one IPC call that writes the time to `DULY_PAINT_FILE`). Idle memory:
//! proportional set size of the process and its WebKit children, 10 s after start; also per
//! process (the UI process, WebKitWebProcess, WebKitNetworkProcess), the tree's private dirty
//! and anonymous memory, and the store file's memory map, so the figure can be explained.

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
    let app_binary = beside.join(format!("duly{}", std::env::consts::EXE_SUFFIX));
    let bare_binary = beside.join(format!("duly-bare-window{}", std::env::consts::EXE_SUFFIX));
    for binary in [&app_binary, &bare_binary] {
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

    // For experiments: `DULY_BENCH_APP_ENV="WEBKIT_DISABLE_COMPOSITING_MODE=1 …"` is given to
    // the app only (the environment the bench runs in reaches both windows).
    let app_env: Vec<(String, String)> = std::env::var("DULY_BENCH_APP_ENV")
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|pair| pair.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    if !app_env.is_empty() {
        log(format!("app environment: {app_env:?}"));
    }
    let (mut app, mut bare) = (Launches::default(), Launches::default());
    for round in 0..size.rounds(ROUNDS, ROUNDS) {
        let measured = launch(&app_binary, &display.name, dir.path(), &data, idle_after, &app_env)?;
        log(format!("round {round}: app {measured}"));
        app.push(measured);
        let measured = launch(&bare_binary, &display.name, dir.path(), &data, idle_after, &[])?;
        log(format!("round {round}: bare window {measured}"));
        bare.push(measured);
    }
    let mut figures = Map::new();
    app.figures("app", &mut figures);
    bare.figures("floor", &mut figures);
    Ok(figures)
}

/// One launch's figures: the first paint, and the memory after the idle wait, in MB.
#[derive(Debug, Clone, Copy, Default)]
struct Launch {
    paint_ms: f64,
    /// Proportional set size of the whole tree (the goal's figure), then per process.
    pss: f64,
    ui_pss: f64,
    web_pss: f64,
    network_pss: f64,
    /// Over the whole tree: memory no other process shares and that was written to, and
    /// anonymous memory (heaps, JIT): what is not a clean page of some file.
    private_dirty: f64,
    anonymous: f64,
    /// The store file's memory map (and its WAL index) as PSS: what the store's mmap costs.
    store_map_pss: f64,
}

impl std::fmt::Display for Launch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "first paint {:.0} ms, idle PSS {:.1} MB (ui {:.1}, web {:.1}, network {:.1}; private dirty {:.1}, \
             anonymous {:.1}, store map {:.1})",
            self.paint_ms,
            self.pss,
            self.ui_pss,
            self.web_pss,
            self.network_pss,
            self.private_dirty,
            self.anonymous,
            self.store_map_pss
        )
    }
}

#[derive(Default)]
struct Launches(Vec<Launch>);

impl Launches {
    fn push(&mut self, launch: Launch) {
        self.0.push(launch);
    }

    /// The median of each figure, under `{prefix}_…` keys.
    fn figures(&self, prefix: &str, figures: &mut Map<String, Value>) {
        let median = |pick: fn(&Launch) -> f64| {
            let mut values: Vec<f64> = self.0.iter().map(pick).collect();
            round(percentile(&mut values, 50.0))
        };
        figures.insert(format!("{prefix}_first_paint_ms"), median(|l| l.paint_ms).into());
        figures.insert(format!("{prefix}_idle_pss_mb"), median(|l| l.pss).into());
        figures.insert(format!("{prefix}_ui_pss_mb"), median(|l| l.ui_pss).into());
        figures.insert(format!("{prefix}_web_pss_mb"), median(|l| l.web_pss).into());
        figures.insert(format!("{prefix}_network_pss_mb"), median(|l| l.network_pss).into());
        figures.insert(format!("{prefix}_private_dirty_mb"), median(|l| l.private_dirty).into());
        figures.insert(format!("{prefix}_anonymous_mb"), median(|l| l.anonymous).into());
        figures.insert(format!("{prefix}_store_map_pss_mb"), median(|l| l.store_map_pss).into());
    }
}

fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// One launch: its first paint, then its memory after the idle wait.
fn launch(
    binary: &Path,
    display: &str,
    scratch: &Path,
    data: &Path,
    idle_after: Duration,
    extra_env: &[(String, String)],
) -> anyhow::Result<Launch> {
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
        .envs(extra_env.iter().map(|(k, v)| (k, v)))
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
    let memory = memory(child.id());
    stop(&mut child);
    Ok(Launch { paint_ms: paint, ..memory })
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

/// The tree's memory now, in MB, split by process (WebKit names its helpers).
fn memory(root: u32) -> Launch {
    let mut launch = Launch::default();
    for pid in process_tree(root) {
        let Some(rollup) = smaps_fields(&format!("/proc/{pid}/smaps_rollup")) else { continue };
        let pss = rollup.pss;
        launch.pss += pss;
        launch.private_dirty += rollup.private_dirty;
        launch.anonymous += rollup.anonymous;
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if pid == root {
            launch.ui_pss += pss;
        } else if name.starts_with("WebKitWebProces") {
            launch.web_pss += pss;
        } else if name.starts_with("WebKitNetworkPr") {
            launch.network_pss += pss;
        }
        launch.store_map_pss += store_map_pss_kb(pid) / 1024.0;
    }
    launch
}

#[derive(Default)]
struct SmapsFields {
    pss: f64,
    private_dirty: f64,
    anonymous: f64,
}

/// Pss, Private_Dirty and Anonymous of an smaps_rollup file, in MB.
fn smaps_fields(path: &str) -> Option<SmapsFields> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut fields = SmapsFields::default();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(name), Some(kb)) = (words.next(), words.next().and_then(|v| v.parse::<f64>().ok())) else {
            continue;
        };
        match name {
            "Pss:" => fields.pss = kb / 1024.0,
            "Private_Dirty:" => fields.private_dirty = kb / 1024.0,
            "Anonymous:" => fields.anonymous = kb / 1024.0,
            _ => {}
        }
    }
    Some(fields)
}

/// PSS (kB) of the process's mappings of the store file and its WAL index (`duly.db…`).
fn store_map_pss_kb(pid: u32) -> f64 {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) else { return 0.0 };
    let mut total = 0.0;
    let mut in_store = false;
    for line in text.lines() {
        // A mapping's header starts with its address range ("7f…-7f… r--s …").
        let header = line.split_whitespace().next().is_some_and(|first| first.contains('-'))
            && !line.ends_with(':')
            && line.split_whitespace().count() >= 5;
        if header {
            in_store = line.split_whitespace().nth(5).is_some_and(|path| path.contains("duly.db"));
        } else if in_store && let Some(kb) = line.strip_prefix("Pss:") {
            total += kb.trim().trim_end_matches(" kB").trim().parse::<f64>().unwrap_or(0.0);
        }
    }
    total
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
