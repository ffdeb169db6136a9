//! P4: the session token lives only in the OS keychain (Keychain, Credential Manager, Secret
//! Service). Where none is available the token is kept in memory for this session and the
//! window says so: it is never written to a file.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use keyring_core::{CredentialStore, Entry};

const SERVICE: &str = "duly";

pub struct Vault {
    store: Option<Arc<CredentialStore>>,
    memory: Mutex<HashMap<String, String>>,
    /// Set when the keychain was there but refused to keep a token.
    refused: AtomicBool,
}

impl Vault {
    /// The platform's keychain, when it can be reached.
    pub fn platform() -> Self {
        let store = match keyring::Entry::store_status() {
            Ok(()) => keyring_core::get_default_store(),
            Err(error) => {
                tracing::warn!(%error, "no OS keychain; the session token stays in memory only");
                None
            }
        };
        Self { store, memory: Mutex::new(HashMap::new()), refused: AtomicBool::new(false) }
    }

    #[cfg(test)]
    pub fn with_store(store: Arc<CredentialStore>) -> Self {
        Self { store: Some(store), memory: Mutex::new(HashMap::new()), refused: AtomicBool::new(false) }
    }

    fn entry(&self, account: &str) -> Option<Entry> {
        let store = self.store.as_ref()?;
        Entry::new_in_store(store, SERVICE, account).ok()
    }

    /// Keeps a token; true when it went to the keychain, false when only to memory.
    pub fn save(&self, account: &str, token: &str) -> bool {
        if let Some(entry) = self.entry(account) {
            match entry.set_password(token) {
                Ok(()) => return true,
                Err(error) => {
                    tracing::warn!(%error, "the keychain refused the token; keeping it in memory");
                    self.refused.store(true, Ordering::Relaxed);
                }
            }
        }
        if let Ok(mut memory) = self.memory.lock() {
            memory.insert(account.to_owned(), token.to_owned());
        }
        false
    }

    pub fn load(&self, account: &str) -> Option<String> {
        if let Some(token) = self.memory.lock().ok().and_then(|m| m.get(account).cloned()) {
            return Some(token);
        }
        self.entry(account)?.get_password().ok()
    }

    pub fn forget(&self, account: &str) {
        if let Ok(mut memory) = self.memory.lock() {
            memory.remove(account);
        }
        if let Some(entry) = self.entry(account) {
            let _ = entry.delete_credential();
        }
    }

    /// Whether tokens survive a restart (they do only in a keychain).
    pub fn persistent(&self) -> bool {
        self.store.is_some() && !self.refused.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_goes_to_the_keychain_and_comes_back_and_is_forgotten() {
        let mock = keyring_core::mock::Store::new().expect("mock store");
        let vault = Vault::with_store(mock.clone());
        assert!(vault.save("https://duly.example|anna", "secret-token"));
        // Another vault on the same keychain (a restart) finds it.
        let again = Vault::with_store(mock);
        assert_eq!(again.load("https://duly.example|anna").as_deref(), Some("secret-token"));
        assert_eq!(again.load("https://duly.example|bela"), None);
        again.forget("https://duly.example|anna");
        assert_eq!(again.load("https://duly.example|anna"), None);
    }

    #[test]
    fn without_a_keychain_the_token_lives_in_memory_only() {
        let vault =
            Vault { store: None, memory: Mutex::new(HashMap::new()), refused: AtomicBool::new(false) };
        assert!(!vault.save("server|anna", "t"), "says it is not persistent");
        assert!(!vault.persistent());
        assert_eq!(vault.load("server|anna").as_deref(), Some("t"));
        let after_restart =
            Vault { store: None, memory: Mutex::new(HashMap::new()), refused: AtomicBool::new(false) };
        assert_eq!(after_restart.load("server|anna"), None, "nothing was written anywhere");
    }
}
