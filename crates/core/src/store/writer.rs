//! The store's one writer connection, outside any pool.
//!
//! A pooled connection is pinged by sqlx each time it goes back to its pool, and the next
//! write's `BEGIN` waited for that ping: one worker round trip per write for nothing. Here the
//! connection sits behind an async mutex instead; holding the lock is holding the writer, and
//! a transaction holds the lock from `BEGIN` until it commits or rolls back.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::SqliteConnection;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::{CoreError, Result};

#[derive(Debug)]
pub(crate) struct Writer {
    /// `None` once the store is closed.
    conn: Arc<Mutex<Option<SqliteConnection>>>,
}

/// The writer, locked: usable as `&mut *conn` wherever a `&mut SqliteConnection` is.
#[derive(Debug)]
pub(crate) struct WriterConn {
    guard: OwnedMutexGuard<Option<SqliteConnection>>,
}

/// A transaction on the writer. Dropped without [`WriterTx::commit`], it rolls back before
/// anyone else can use the writer.
#[derive(Debug)]
pub(crate) struct WriterTx {
    /// Always `Some` until dropped.
    conn: Option<WriterConn>,
    open: bool,
}

impl Writer {
    pub fn new(conn: SqliteConnection) -> Self {
        Self { conn: Arc::new(Mutex::new(Some(conn))) }
    }

    /// Waits for the writer (a write in progress finishes first).
    pub async fn lock(&self) -> Result<WriterConn> {
        let guard = self.conn.clone().lock_owned().await;
        if guard.is_none() {
            return Err(CoreError::Internal("the store is closed".into()));
        }
        Ok(WriterConn { guard })
    }

    /// A deferred transaction: it takes the write lock at its first write.
    pub async fn begin(&self) -> Result<WriterTx> {
        self.begin_with("BEGIN").await
    }

    /// A transaction started by `statement`, e.g. `BEGIN IMMEDIATE`.
    pub async fn begin_with(&self, statement: &'static str) -> Result<WriterTx> {
        let mut conn = self.lock().await?;
        sqlx::query(statement).execute(&mut *conn).await?;
        Ok(WriterTx { conn: Some(conn), open: true })
    }

    /// Closes the connection (the last one to close checkpoints the WAL into the file).
    pub async fn close(&self) {
        let taken = self.conn.lock().await.take();
        if let Some(conn) = taken
            && let Err(error) = sqlx::Connection::close(conn).await
        {
            tracing::warn!(%error, "closing the writer failed");
        }
    }
}

impl Deref for WriterConn {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        self.guard.as_ref().expect("a locked writer is open (checked in Writer::lock)")
    }
}

impl DerefMut for WriterConn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.guard.as_mut().expect("a locked writer is open (checked in Writer::lock)")
    }
}

impl WriterTx {
    pub async fn commit(mut self) -> Result<()> {
        sqlx::query("COMMIT").execute(&mut *self).await?;
        self.open = false;
        Ok(())
    }

    /// Records that a statement run on this transaction ended with its own `COMMIT`, which
    /// saves the round trip a separate `COMMIT` would cost.
    pub fn committed(mut self) {
        self.open = false;
    }
}

impl Deref for WriterTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        self.conn.as_deref().expect("a transaction holds the writer until dropped")
    }
}

impl DerefMut for WriterTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_deref_mut().expect("a transaction holds the writer until dropped")
    }
}

impl Drop for WriterTx {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else { return };
        if !self.open {
            return;
        }
        // The lock goes with the rollback, so the next write starts on a clean connection.
        // Without a runtime (it is shutting down) nothing can roll back: the connection is
        // closed with the transaction, which SQLite then rolls back, and the store stops writing.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(error) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
                        tracing::warn!(%error, "rolling back an abandoned write failed");
                    }
                });
            }
            Err(_) => drop(conn.guard.take()),
        }
    }
}
