//! The fsync floor through rusqlite (issue 15, "measure both"): a thread owns the connection,
//! and a commit is one hand-off to it and one answer back, the design the review proposes for
//! the store's writer. Beside the sqlx floor (three round trips to sqlx's worker thread) it
//! shows what the hand-offs cost, and what a writer of this kind could reach.

use std::path::Path;
use std::sync::mpsc;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

type Job = (String, oneshot::Sender<rusqlite::Result<()>>);

pub struct Floor {
    jobs: mpsc::Sender<Job>,
}

impl Floor {
    /// Opens `path` with the store's settings (WAL, `synchronous=FULL`, no autocheckpoint).
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let mut conn = Connection::open(path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        anyhow::ensure!(mode.eq_ignore_ascii_case("wal"), "journal mode {mode}");
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;")?;
        conn.execute_batch(crate::core_bench::FLOOR_TABLE)?;
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new().name("rusqlite-floor".into()).spawn(move || {
            for (value, answer) in queue {
                let _ = answer.send(commit_row(&mut conn, &value));
            }
        })?;
        Ok(Self { jobs })
    }

    /// One row in its own `BEGIN IMMEDIATE` transaction, committed.
    pub async fn commit_row(&self, value: String) -> anyhow::Result<()> {
        let (answer, answered) = oneshot::channel();
        self.jobs.send((value, answer)).map_err(|_| anyhow::anyhow!("the floor's thread ended"))?;
        Ok(answered.await??)
    }
}

fn commit_row(conn: &mut Connection, value: &str) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.prepare_cached("INSERT INTO bench_floor (value) VALUES (?1)")?.execute([value])?;
    tx.commit()
}
