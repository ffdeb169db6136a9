//! `duly-bench [--only PART] [--quick | --smoke]` (and `duly-bench load-generator`, the sync
//! section's clients in a process of their own): measures Duly and prints progress on stderr and, as
//! the last line on stdout, one JSON object of figures. Goals are ratios to floors measured in
//! the same run, so the figures mean the same on a fast and a slow disk.

mod app_bench;
mod core_bench;
mod demo;
mod load;
mod raw;
mod rusqlite_floor;
mod schedule_bench;
mod size;
mod stats;
mod sync_bench;

use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("load-generator") {
        return load::generator_main();
    }
    let size = size::Size::from_args(&args);
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    let parts = ["core", "schedule", "app", "sync"];
    if let Some(part) = &only {
        anyhow::ensure!(parts.contains(&part.as_str()), "unknown part {part}; known: {}", parts.join(", "));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let started = Instant::now();
    let mut figures = serde_json::Map::new();
    // One demo store for the sections that work on one, copied for each.
    let on_demo = ["core", "schedule", "app"];
    let demo = if on_demo.iter().any(|part| only.as_deref().is_none_or(|p| p == *part)) {
        Some(runtime.block_on(demo::DemoStore::write(size))?)
    } else {
        None
    };
    let demo = || demo.as_ref().ok_or_else(|| anyhow::anyhow!("no demo store written"));
    if only.as_deref().is_none_or(|p| p == "core") {
        figures.extend(runtime.block_on(core_bench::run(size, demo()?))?);
    }
    if only.as_deref().is_none_or(|p| p == "schedule") {
        figures.extend(runtime.block_on(schedule_bench::run(size, demo()?))?);
    }
    if only.as_deref().is_none_or(|p| p == "sync") {
        figures.extend(runtime.block_on(sync_bench::run(size))?);
    }
    if only.as_deref().is_none_or(|p| p == "app") {
        figures.extend(runtime.block_on(app_bench::run(size, demo()?))?);
    }
    figures.insert("quick".into(), (size == size::Size::Quick).into());
    figures.insert("size".into(), size.name().into());
    figures.insert("bench_seconds".into(), stats::round(started.elapsed().as_secs_f64()).into());
    println!("{}", serde_json::Value::Object(figures));
    Ok(())
}
