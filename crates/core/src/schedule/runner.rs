//! Runs the scheduler for as long as the app runs: a pass, the notices handed to the
//! notifier, then sleep until the next instant something can fall due or the store changes.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::sync::broadcast::error::RecvError;

use super::notice::Notifier;
use super::scheduler::Scheduler;
use crate::model::Source;
use crate::store::Store;

/// After a change, wait this long for the rest of a burst (a sync page, an import).
const SETTLE: StdDuration = StdDuration::from_millis(300);
/// After a failed pass (the disk is full, the store is busy), try again after this.
const RETRY: StdDuration = StdDuration::from_secs(30);

pub struct SchedulerLoop {
    store: Store,
    scheduler: Scheduler,
    notifier: Arc<dyn Notifier>,
}

impl std::fmt::Debug for SchedulerLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerLoop").field("scheduler", &self.scheduler).finish_non_exhaustive()
    }
}

impl SchedulerLoop {
    pub fn new(store: Store, scheduler: Scheduler, notifier: Arc<dyn Notifier>) -> Self {
        Self { store, scheduler, notifier }
    }

    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    async fn run(self) {
        let mut changes = self.store.subscribe();
        loop {
            let sleep = match self.scheduler.tick().await {
                Ok(pass) => {
                    for notice in &pass.notices {
                        self.notifier.deliver(notice);
                    }
                    (pass.next_wake - self.store.now()).to_std().unwrap_or(StdDuration::from_millis(200))
                }
                Err(error) => {
                    tracing::warn!(%error, "scheduler pass failed");
                    RETRY
                }
            };
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                changed = wait_for_change(&mut changes) => {
                    if !changed {
                        return;
                    }
                    tokio::time::sleep(SETTLE).await;
                }
            }
        }
    }
}

/// True when something other than the scheduler itself changed the store; false once the
/// store is gone.
async fn wait_for_change(changes: &mut tokio::sync::broadcast::Receiver<crate::model::ChangeEvent>) -> bool {
    loop {
        match changes.recv().await {
            Ok(event) if event.source == Source::Scheduler => continue,
            Ok(_) | Err(RecvError::Lagged(_)) => return true,
            Err(RecvError::Closed) => return false,
        }
    }
}
