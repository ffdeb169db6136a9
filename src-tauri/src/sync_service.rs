//! The shell's side of sync: which server and login this installation uses (preferences), the
//! session token (keychain only, see `vault`), the running sync loop, and its state for the
//! window (`duly://sync` events).

use std::time::Duration;

use duly_core::Store;
use duly_core::sync::{Abilities, SyncClient, SyncLoop, SyncState};
use duly_protocol::{Role, User};
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use tokio::sync::Mutex;

use crate::error::{IpcError, IpcResult};
use crate::vault::Vault;

pub const SYNC_EVENT: &str = "duly://sync";
/// How often the loop pulls when nothing pokes it.
const POLL: Duration = Duration::from_secs(30);

/// What the Server page shows.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SyncView {
    pub state: SyncState,
    /// False when no keychain could be reached: the token then lasts only this session.
    pub keychain: bool,
    /// What the window offers: from the logged-in user's role, everything when logged out
    /// (the store is then used alone).
    pub abilities: Abilities,
}

struct Session {
    client: SyncClient,
    user: User,
    sync: SyncLoop,
}

pub struct SyncService {
    store: Store,
    /// Reached on first use: the keychain is a D-Bus round trip (or more) on Linux, and an
    /// installation without a server never needs it.
    vault: std::sync::OnceLock<Vault>,
    session: Mutex<Option<Session>>,
}

fn account(server: &str, login: &str) -> String {
    format!("{server}|{login}")
}

impl SyncService {
    pub fn new(store: Store) -> Self {
        Self { store, vault: std::sync::OnceLock::new(), session: Mutex::new(None) }
    }

    fn vault(&self) -> &Vault {
        self.vault.get_or_init(Vault::platform)
    }

    /// At start: picks up the saved server and login, with the token from the keychain.
    pub async fn resume(&self, app: &AppHandle) {
        let (Ok(Some(server)), Ok(Some(login))) =
            (self.store.preference("sync_server").await, self.store.preference("sync_login").await)
        else {
            return;
        };
        let Some(token) = self.vault().load(&account(&server, &login)) else { return };
        let Ok(client) = SyncClient::new(&server) else { return };
        let client = client.with_token(token);
        // Offline at start is normal: the loop retries; the user is known from the last login,
        // with the role saved then, so a guest's window offers a guest's abilities offline too.
        let user = match client.me().await {
            Ok(user) => {
                self.remember_role(user.role).await;
                user
            }
            Err(_) => User {
                id: uuid::Uuid::nil(),
                login: login.clone(),
                name: login.clone(),
                role: self.saved_role().await.unwrap_or(Role::Member),
                active: true,
                colleague_id: None,
            },
        };
        self.start(app, client, user).await;
    }

    pub async fn log_in(
        &self,
        app: &AppHandle,
        server: &str,
        login: &str,
        password: &str,
    ) -> IpcResult<SyncView> {
        let client = SyncClient::new(server).map_err(sync_error)?;
        let profile = self.store.profile_id().await?;
        let session = client.login(login, password, profile).await.map_err(sync_error)?;
        let server = client.base_url().to_owned();
        if let Err(error) = self.store.claim_sync_account(&server, session.user.id, login).await {
            // The session just opened is not used: end it on the server too.
            let _ = client.with_token(session.token).logout().await;
            return Err(error.into());
        }
        self.log_out().await;
        self.vault().save(&account(&server, login), &session.token);
        self.store.set_preferences(&[("sync_server", &server), ("sync_login", login)]).await?;
        self.remember_role(session.user.role).await;
        self.start(app, client.with_token(session.token), session.user).await;
        Ok(self.view().await)
    }

    async fn remember_role(&self, role: Role) {
        if let Ok(serde_json::Value::String(text)) = serde_json::to_value(role) {
            let _ = self.store.set_preferences(&[("sync_role", &text)]).await;
        }
    }

    async fn saved_role(&self) -> Option<Role> {
        let text = self.store.preference("sync_role").await.ok().flatten()?;
        serde_json::from_value(serde_json::Value::String(text)).ok()
    }

    async fn start(&self, app: &AppHandle, client: SyncClient, user: User) {
        let sync = SyncLoop::start(self.store.clone(), client.clone(), user.clone(), POLL);
        let mut changes = sync.subscribe();
        let (app, store, keychain) = (app.clone(), self.store.clone(), self.vault().persistent());
        let abilities = Abilities::of(Some(user.role));
        let colleague = user.colleague_id;
        tauri::async_runtime::spawn(async move {
            while changes.changed().await.is_ok() {
                let state = changes.borrow_and_update().clone();
                if let (Some(colleague), Some(_)) = (colleague, state.synced_at) {
                    let _ = store.adopt_profile(colleague).await;
                }
                let _ = app.emit(SYNC_EVENT, SyncView { state, keychain, abilities });
            }
        });
        *self.session.lock().await = Some(Session { client, user, sync });
    }

    /// Ends the session on the server (when reachable) and forgets the token here.
    pub async fn log_out(&self) {
        let Some(session) = self.session.lock().await.take() else { return };
        session.sync.stop();
        // Logged out, the store is used alone: the next start offers everything again.
        let _ = self.store.set_preferences(&[("sync_role", "")]).await;
        let _ = session.client.logout().await;
        if let (Ok(Some(server)), Ok(Some(login))) =
            (self.store.preference("sync_server").await, self.store.preference("sync_login").await)
        {
            self.vault().forget(&account(&server, &login));
        }
    }

    /// The state the window starts with: what it may offer, and the phase. It leaves out what
    /// only the Server page shows, which asks `view` for it: the counts (counting a large
    /// outbox would hold back the first paint) and whether the keychain works (reaching it is
    /// a D-Bus round trip; until it is reached, one is assumed).
    pub async fn startup_view(&self) -> SyncView {
        let keychain = self.vault.get().is_none_or(Vault::persistent);
        let session = self.session.lock().await;
        if let Some(session) = session.as_ref() {
            let abilities = Abilities::of(Some(session.user.role));
            return SyncView { state: session.sync.state(), keychain, abilities };
        }
        let mut state = SyncState::logged_out();
        state.server_url = self.store.preference("sync_server").await.ok().flatten();
        // The session resumes after the first paint: until then the role saved at the last
        // login decides, so a guest's window never offers more, even for a moment.
        let role = match state.server_url {
            Some(_) => self.saved_role().await,
            None => None,
        };
        SyncView { state, keychain, abilities: Abilities::of(role) }
    }

    /// The full state, counts included (the Server page).
    pub async fn view(&self) -> SyncView {
        let keychain = self.vault().persistent();
        let session = self.session.lock().await;
        let mut state = session.as_ref().map_or_else(SyncState::logged_out, |s| s.sync.state());
        if session.is_none() {
            state.server_url = self.store.preference("sync_server").await.ok().flatten();
        }
        state.pending_ops = self.store.pending_op_count().await.unwrap_or_default();
        state.rejected_ops = self.store.rejected_count().await.unwrap_or_default();
        state.unreadable_ops = self.store.undecodable_count().await.unwrap_or_default();
        state.parked_ops = self.store.parked_count().await.unwrap_or_default();
        state.refused_blobs = self.store.refused_blob_count().await.unwrap_or_default();
        let abilities = Abilities::of(session.as_ref().map(|s| s.user.role));
        SyncView { state, keychain, abilities }
    }

    pub async fn sync_now(&self) {
        if let Some(session) = self.session.lock().await.as_ref() {
            session.sync.sync_now();
        }
    }

    /// The logged-in client, for the admin and sharing calls.
    pub async fn client(&self) -> IpcResult<(SyncClient, User)> {
        let session = self.session.lock().await;
        let session = session.as_ref().ok_or_else(|| IpcError {
            code: duly_core::ErrorCode::SessionEnded,
            message: "not logged in to a server".into(),
            field: None,
        })?;
        Ok((session.client.clone(), session.user.clone()))
    }
}

pub fn sync_error(error: duly_core::sync::SyncError) -> IpcError {
    let code = error.code();
    if matches!(
        code,
        duly_core::ErrorCode::ServerError | duly_core::ErrorCode::Storage | duly_core::ErrorCode::Internal
    ) {
        tracing::error!(%error, "sync call failed");
    }
    IpcError { code, message: error.to_string(), field: None }
}
