//! The local store: SQLite through sqlx, one writer connection and a few readers.
//!
//! Every write runs in one `BEGIN IMMEDIATE` transaction on the writer (see [`write`]) that
//! changes the rows, appends history, appends the sync operations to the outbox and updates
//! the search index; the change events are sent only after it commits.

mod availability;
pub mod bulk;
pub(crate) mod bulk_rows;
pub(crate) mod calendar;
pub(crate) mod codec;
pub(crate) mod comments;
pub(crate) mod customers;
mod deferred_indexes;
mod history;
mod outbox;
pub(crate) mod projects;
mod search_queue;
mod series;
mod settings;
pub(crate) mod stamps;
pub(crate) mod tasks;
mod trash;
mod write;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};
use crate::error::Result;
use crate::model::ChangeEvent;

pub use availability::AbsenceWarning;
pub use calendar::WORK_CALENDAR_ID;
pub(crate) use comments::CommentRow;
pub use customers::{CustomerFilter, CustomerSummary};
pub use series::Reschedule;
pub use trash::TrashItem;
pub(crate) use write::Write;
pub(crate) use writer::Writer;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/client");

/// How long the store must have seen no write before idle maintenance runs.
const IDLE_BEFORE_MAINTENANCE: Duration = Duration::from_millis(750);

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub clock: Arc<dyn Clock>,
    /// Run search-index merging and WAL checkpoints in idle time on a background task, and
    /// index queued search documents as they come (`search_queue`). Without it the
    /// queue is drained only by a search, `maintain` or `drain_search_queue`.
    pub background_maintenance: bool,
    /// Read connections at most; each holds its own schema, page cache and statements.
    pub readers: u32,
    /// How much of the file each connection reads through a memory map (0: plain reads).
    /// Mapped pages a query touched count in the process's memory for as long as it runs.
    pub mmap_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { clock: Arc::new(SystemClock), background_maintenance: true, readers: 4, mmap_bytes: 1 << 32 }
    }
}

/// A handle to one local store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Writer,
    reader: SqlitePool,
    /// Changes only when the server says the id is taken (a store restored from a backup).
    client_id: std::sync::RwLock<Uuid>,
    stamps: stamps::StampClock,
    clock: Arc<dyn Clock>,
    events: broadcast::Sender<ChangeEvent>,
    /// Milliseconds since the epoch of the last committed write, for idle detection.
    last_write_ms: AtomicI64,
    /// Customers, tasks and comments written since the search indexer last looked (a bulk
    /// write counts once per kind): how soon it should index them.
    search_written: AtomicUsize,
    /// A snapshot is being loaded: search documents are built after it, not page by page.
    bulk_loading: AtomicBool,
    search_wake: Arc<tokio::sync::Notify>,
    /// Attachment contents, beside the store file (`duly.blobs/` for `duly.db`).
    blob_dir: std::path::PathBuf,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// How long the notification ledger remembers what it decided.
const NOTICES_KEPT_DAYS: i64 = 90;

impl Store {
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, StoreOptions::default()).await
    }

    pub async fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Self> {
        let connect = SqliteConnectOptions::new()
            .filename(path.as_ref())
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Checkpoints happen in idle time (Store::maintain), not inside a user's commit.
            .pragma("wal_autocheckpoint", "0")
            // Pages are read through a memory map instead of a read() call each: the lists
            // touch a few scattered pages per row on a large store.
            .pragma("mmap_size", options.mmap_bytes.to_string());
        // Not a pool: a pool pings each connection it gets back, a round trip per write.
        let mut writer = connect.connect().await?;
        // `run` takes an `Acquire`, whose lifetime makes every future that opens a store
        // unprovably `Send` (sqlx names this workaround).
        // Indexes a snapshot load dropped and did not get to build again come back first.
        deferred_indexes::restore(&mut writer).await?;
        MIGRATOR.run_direct(None, &mut writer, false).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(options.readers)
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(connect.read_only(true))
            .await?;
        let client_id = client_id(&mut writer).await?;
        let correction: i64 = sqlx::query_scalar!("SELECT value FROM meta WHERE key = 'clock_correction_ms'")
            .fetch_optional(&mut writer)
            .await?
            .and_then(|text| text.parse().ok())
            .unwrap_or(0);
        let stamps = stamps::StampClock::new(hlc_id(client_id), options.clock.clone(), correction);
        let (events, _) = broadcast::channel(1024);
        let store = Self {
            inner: Arc::new(Inner {
                writer: Writer::new(writer),
                reader,
                client_id: std::sync::RwLock::new(client_id),
                stamps,
                clock: options.clock,
                events,
                last_write_ms: AtomicI64::new(0),
                search_written: AtomicUsize::new(0),
                bulk_loading: AtomicBool::new(false),
                search_wake: Arc::new(tokio::sync::Notify::new()),
                blob_dir: path.as_ref().with_extension("blobs"),
            }),
        };
        // A remote clock ahead of ours moved our clock, and so did our own earlier stamps; a
        // restart must not move it back, or a later local edit would stamp below one it
        // replaced and lose everywhere else. `hlc_high` holds the highest stamp the server
        // sent or acknowledged; the newest pending op holds the highest not yet pushed.
        if let Some(high) = sqlx::query_scalar!("SELECT value FROM meta WHERE key = 'hlc_high'")
            .fetch_optional(&mut *store.inner.writer.lock().await?)
            .await?
        {
            store.observe_stamp_text(&high);
        }
        if let Some(pending) = sqlx::query_scalar!(
            "SELECT h.hlc FROM outbox o JOIN history h ON h.seq = o.history_seq ORDER BY o.client_seq DESC LIMIT 1"
        )
        .fetch_optional(&mut *store.inner.writer.lock().await?)
        .await?
        {
            store.observe_stamp_text(&pending);
        }
        if options.background_maintenance {
            store.spawn_idle_maintenance();
            store.spawn_search_indexer();
        }
        Ok(store)
    }

    /// This replica's id, the `client_id` of every operation it makes.
    pub fn client_id(&self) -> Uuid {
        *self.inner.client_id.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes a new client id, in `tx` (so the file and memory agree once it commits): the
    /// pending operations go out under it, numbered as before. The clock keeps its id, so
    /// concurrent writes still tie-break the same way.
    pub(crate) async fn take_new_client_id(&self, tx: &mut sqlx::SqliteConnection) -> Result<Uuid> {
        let fresh = Uuid::now_v7();
        let text = fresh.to_string();
        sqlx::query("UPDATE meta SET value = ? WHERE key = 'client_id'").bind(text).execute(&mut *tx).await?;
        Ok(fresh)
    }

    pub(crate) fn use_client_id(&self, id: Uuid) {
        *self.inner.client_id.write().unwrap_or_else(std::sync::PoisonError::into_inner) = id;
    }

    /// Change events of every committed write, from any source.
    pub fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.inner.events.subscribe()
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.inner.reader
    }

    /// Merges search-index segments and checkpoints the WAL: work that would otherwise land
    /// inside some user's write as a latency spike.
    pub async fn maintain(&self) -> Result<()> {
        self.drain_search_queue().await?;
        let mut conn = self.inner.writer.lock().await?;
        sqlx::query("INSERT INTO search_index (search_index, rank) VALUES ('merge', 500)")
            .execute(&mut *conn)
            .await?;
        // Every window the scheduler looks back over is a day or less: a ledger entry this old
        // can never be decided again, so keeping it would only grow the file.
        let forgotten = crate::store::codec::ts(self.now() - chrono::Duration::days(NOTICES_KEPT_DAYS));
        sqlx::query("DELETE FROM notices WHERE decided_at < ?").bind(forgotten).execute(&mut *conn).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *conn).await?;
        Ok(())
    }

    /// Closes the connections, waiting for them to finish; a store is durable without it.
    pub async fn close(&self) {
        self.inner.reader.close().await;
        self.inner.writer.close().await;
    }

    /// Runs idle maintenance from now on, for a store opened without it (the desktop starts
    /// it once the window has painted).
    pub fn spawn_idle_maintenance(&self) {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut last_maintained = -1;
            loop {
                tokio::time::sleep(IDLE_BEFORE_MAINTENANCE).await;
                let Some(inner) = weak.upgrade() else { return };
                let last_write = inner.last_write_ms.load(Ordering::Relaxed);
                let idle_ms = chrono::Utc::now().timestamp_millis() - last_write;
                if last_write != last_maintained && idle_ms >= IDLE_BEFORE_MAINTENANCE.as_millis() as i64 {
                    let store = Store { inner };
                    if let Err(error) = store.maintain().await {
                        tracing::warn!(%error, "idle maintenance failed");
                    }
                    last_maintained = last_write;
                }
            }
        });
    }

    fn note_write(&self) {
        self.inner.last_write_ms.store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
    }
}

async fn client_id(conn: &mut sqlx::SqliteConnection) -> Result<Uuid> {
    let fresh = Uuid::now_v7().to_string();
    sqlx::query!("INSERT OR IGNORE INTO meta (key, value) VALUES ('client_id', ?)", fresh)
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query!("SELECT value FROM meta WHERE key = 'client_id'").fetch_one(&mut *conn).await?;
    codec::id(&row.value)
}

/// The HLC id is the client id, so concurrent writes tie-break by client as DESIGN.md says.
fn hlc_id(client_id: Uuid) -> uhlc::ID {
    std::num::NonZeroU128::new(client_id.as_u128()).map_or_else(uhlc::ID::rand, uhlc::ID::from)
}

impl Store {
    pub(crate) fn blob_dir(&self) -> &Path {
        &self.inner.blob_dir
    }

    pub(crate) fn writer(&self) -> &Writer {
        &self.inner.writer
    }

    /// Moves this replica's clock past a stamp seen from another one (its text form).
    pub fn observe_stamp_text(&self, stamp: &str) {
        if let Ok(stamp) = stamp.parse::<uhlc::Timestamp>() {
            self.observe_stamp(&stamp);
        }
    }

    /// Moves this replica's clock past a stamp seen from another one.
    pub(crate) fn observe_stamp(&self, stamp: &uhlc::Timestamp) {
        if !self.inner.stamps.observe(stamp) {
            tracing::warn!(%stamp, "a clock stamp is too far ahead; not followed");
        }
    }

    /// A fresh stamp for an operation this replica makes.
    pub(crate) fn new_stamp(&self) -> String {
        self.inner.stamps.stamp().to_string()
    }

    pub(crate) fn stamp_clock(&self) -> &stamps::StampClock {
        &self.inner.stamps
    }

    /// Tells listeners about a change made outside a [`Write`] (a purge).
    pub(crate) fn announce(&self, entity: duly_protocol::EntityKind, id: Option<Uuid>) {
        let _ = self.inner.events.send(ChangeEvent { entity, id, source: crate::model::Source::Sync });
    }
}
