//! duly-server: users, roles, scoped sync of operations, attachment blobs; on SQLite or
//! PostgreSQL behind one storage trait. The sync decisions are pure code in [`rules`].

pub mod auth;
pub mod config;
pub mod error;
pub mod routes;
pub mod rules;
mod state;
pub mod storage;
pub mod sync;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

pub use config::Config;
pub use state::AppState;

/// A server listening on its address until dropped or shut down.
#[derive(Debug)]
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn state(config: Config) -> anyhow::Result<AppState> {
    let storage = storage::connect(&config.database).await?;
    sync::fold_current_ops(storage.as_ref()).await?;
    let throttle = auth::AccountThrottle::new(config.account_failures.max(1), Duration::from_secs(15 * 60));
    let (pokes, _) = broadcast::channel(64);
    let (ended, _) = broadcast::channel(64);
    let rules = Arc::new(rules::PushRules::default());
    let pusher = sync::Pusher::start(storage.clone(), rules.clone());
    Ok(AppState {
        storage,
        rules,
        config: Arc::new(config),
        pokes,
        throttle: Arc::new(throttle),
        ended,
        guest_pushes: Arc::default(),
        pusher,
    })
}

/// Opens the database, binds the address and serves in the background.
pub async fn start(config: Config) -> anyhow::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let state = state(config).await?;
    let app = routes::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    Ok(RunningServer { addr, state, shutdown: Some(tx), task })
}
