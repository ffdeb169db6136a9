//! How long each phase of a command took, printed as a table when the command ends (also when
//! it fails, so a slow or broken phase is named). With `DULY_PHASES_FILE` set, every row is
//! also appended there, so `.ci/run` can print one table for setup, tests and the bench.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Result;

#[derive(Debug)]
pub struct Phases {
    command: &'static str,
    started: Instant,
    rows: Vec<Row>,
}

#[derive(Debug)]
struct Row {
    name: String,
    took: Duration,
    note: String,
}

impl Phases {
    pub fn new(command: &'static str) -> Self {
        Self { command, started: Instant::now(), rows: Vec::new() }
    }

    /// Runs one phase and records its time, whether it succeeded or not.
    pub fn run<T>(&mut self, name: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
        self.run_with(name, |_| work())
    }

    /// A phase that may record rows of its own (one per test suite), listed under it.
    pub fn run_with<T>(&mut self, name: &str, work: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let started = Instant::now();
        let first = self.rows.len();
        eprintln!("[xtask] ── {name}");
        let result = work(self);
        let note = if result.is_err() { "FAILED".to_owned() } else { String::new() };
        self.rows.insert(first, Row { name: name.to_owned(), took: started.elapsed(), note });
        // The whole phase at once, so `.ci/run`'s table keeps the same order.
        if let Some(path) = std::env::var_os("DULY_PHASES_FILE")
            && let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path)
        {
            for row in &self.rows[first..] {
                let _ = writeln!(file, "{}\t{:.1}\t{}", row.name, row.took.as_secs_f64(), row.note);
            }
        }
        result
    }

    /// A row measured inside the running phase (a test suite's own time, as libtest reports it).
    pub fn record(&mut self, name: &str, took: Duration, note: String) {
        self.rows.push(Row { name: name.to_owned(), took, note });
    }

    pub fn print(&self) {
        eprintln!("\n[xtask] {} phases", self.command);
        for row in &self.rows {
            eprintln!("  {:<34} {:>8}  {}", row.name, clock(row.took), row.note);
        }
        eprintln!("  {:<34} {:>8}", "total", clock(self.started.elapsed()));
    }
}

/// `m:ss`, the way a person reads a CI budget.
fn clock(took: Duration) -> String {
    let seconds = took.as_secs_f64().round() as u64;
    format!("{}:{:02}", seconds / 60, seconds % 60)
}
