//! Server settings: command-line flags, each also a `DULY_…` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "DULY_LISTEN", default_value = "127.0.0.1:8720")]
    pub listen: SocketAddr,
    /// `sqlite://PATH` (created if missing) or `postgres://USER:PASS@HOST/DB`.
    #[arg(long, env = "DULY_DATABASE", default_value = "sqlite://duly-server.db")]
    pub database: String,
    /// Folder for attachment blobs.
    #[arg(long, env = "DULY_BLOB_DIR", default_value = "duly-blobs")]
    pub blob_dir: PathBuf,
    /// Largest JSON body accepted, in bytes.
    #[arg(long, env = "DULY_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest attachment accepted, in bytes.
    #[arg(long, env = "DULY_MAX_BLOB_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_blob_bytes: usize,
    /// Login attempts one address may make in a burst; one more per `login_refill_ms`.
    #[arg(long, env = "DULY_LOGIN_BURST", default_value_t = 10)]
    pub login_burst: u32,
    #[arg(long, env = "DULY_LOGIN_REFILL_MS", default_value_t = 1000)]
    pub login_refill_ms: u64,
    /// Failed logins one account may have within 15 minutes before it is refused for a while.
    #[arg(long, env = "DULY_ACCOUNT_FAILURES", default_value_t = 5)]
    pub account_failures: u32,
    /// Most operations one pull returns.
    #[arg(long, env = "DULY_PULL_LIMIT", default_value_t = 5000)]
    pub pull_limit: u32,
    /// Behind a reverse proxy: take a login's client address from the last `X-Forwarded-For`
    /// entry (the one the proxy added) and leave the per-address rate limit to the proxy. Off
    /// by default: a client could otherwise write any address it likes.
    #[arg(long, env = "DULY_TRUSTED_PROXY", default_value_t = false)]
    pub trusted_proxy: bool,
    /// Most bytes of operations one pull page carries (at least one op goes, however large).
    #[arg(long, env = "DULY_PULL_PAGE_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub pull_page_bytes: usize,
    /// Most operations one snapshot page returns: a new device writes each page in one
    /// transaction, and fewer, larger ones rewrite fewer of its pages.
    #[arg(long, env = "DULY_SNAPSHOT_LIMIT", default_value_t = 20_000)]
    pub snapshot_limit: u32,
    /// Most bytes of operations one snapshot page carries (at least one op goes).
    #[arg(long, env = "DULY_SNAPSHOT_PAGE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub snapshot_page_bytes: usize,
    /// A session unused this long (seconds) ends: 30 days.
    #[arg(long, env = "DULY_SESSION_IDLE_SECS", default_value_t = 30 * 24 * 3600)]
    pub session_idle_secs: u64,
    /// A session ends this long (seconds) after its login, used or not: 180 days.
    #[arg(long, env = "DULY_SESSION_MAX_SECS", default_value_t = 180 * 24 * 3600)]
    pub session_max_secs: u64,
    /// Sessions one user may hold; a new login ends the oldest beyond it.
    #[arg(long, env = "DULY_SESSIONS_PER_USER", default_value_t = 20)]
    pub sessions_per_user: u32,
    /// Bytes of attachments one colleague (member, manager, admin) may store in all.
    #[arg(long, env = "DULY_USER_BLOB_QUOTA_BYTES", default_value_t = 10 * 1024 * 1024 * 1024)]
    pub user_blob_quota_bytes: u64,
    /// Bytes of attachments one guest may store in all: guests are outside the company.
    #[arg(long, env = "DULY_GUEST_BLOB_QUOTA_BYTES", default_value_t = 500 * 1024 * 1024)]
    pub guest_blob_quota_bytes: u64,
    /// Bytes of operations one guest may push in a day (counted in memory since the start).
    #[arg(long, env = "DULY_GUEST_DAILY_PUSH_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub guest_daily_push_bytes: u64,
}

impl Config {
    /// Settings for tests and benchmarks: loopback port 0, the given database and blob folder.
    pub fn local(database: String, blob_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database,
            blob_dir,
            max_body_bytes: 4 * 1024 * 1024,
            max_blob_bytes: 50 * 1024 * 1024,
            login_burst: 10_000,
            login_refill_ms: 1,
            account_failures: 5,
            pull_limit: 5000,
            pull_page_bytes: 4 * 1024 * 1024,
            snapshot_limit: 20_000,
            snapshot_page_bytes: 16 * 1024 * 1024,
            trusted_proxy: false,
            session_idle_secs: 30 * 24 * 3600,
            session_max_secs: 180 * 24 * 3600,
            sessions_per_user: 20,
            user_blob_quota_bytes: 10 * 1024 * 1024 * 1024,
            guest_blob_quota_bytes: 500 * 1024 * 1024,
            guest_daily_push_bytes: 20 * 1024 * 1024,
        }
    }
}
