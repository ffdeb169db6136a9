//! Passwords (argon2id), session tokens (random, kept hashed) and login throttling.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use duly_protocol::{ErrorCode, User};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

pub const MIN_PASSWORD_CHARS: usize = 8;

/// argon2id with the crate's default (OWASP) parameters; slow on purpose, so off the runtime.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// 256 random bits, hex: the token the client keeps in its keychain.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// What the database keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn check_password_rules(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::bad_request(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// Failed logins per account: after `limit` failures within `window`, that account's logins
/// are refused until the window has passed (per-address limits are the governor layer's).
#[derive(Debug)]
pub struct AccountThrottle {
    limit: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl AccountThrottle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window, failures: Mutex::new(HashMap::new()) }
    }

    pub fn check(&self, login: &str) -> Result<(), ApiError> {
        let failures = self.failures.lock().map_err(|_| ApiError::internal("throttle lock poisoned"))?;
        match failures.get(login) {
            Some((count, since)) if *count >= self.limit && since.elapsed() < self.window => {
                Err(ApiError::new(
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::RateLimited,
                    "too many failed logins for this account; try again later",
                ))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, login: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            let entry = failures.entry(login.to_owned()).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= self.window {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }

    pub fn succeeded(&self, login: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(login);
        }
    }
}

/// The logged-in user of a request, from `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub struct Authed {
    pub user: User,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        let token_hash = token_hash(token);
        let user = state.storage.session_user(&token_hash).await?.ok_or_else(ApiError::unauthorized)?;
        Ok(Self { user, token_hash })
    }
}

/// A logged-in admin or manager.
#[derive(Debug, Clone)]
pub struct Manager(pub Authed);

impl FromRequestParts<AppState> for Manager {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let authed = Authed::from_request_parts(parts, state).await?;
        if !authed.user.role.manages() {
            return Err(ApiError::forbidden("only an admin or a manager may do this"));
        }
        Ok(Self(authed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_as_argon2id_and_verify() {
        let hash = hash_password("correct horse".into()).await.expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse".into(), hash.clone()).await);
        assert!(!verify_password("wrong horse".into(), hash).await);
    }

    #[test]
    fn tokens_are_256_bit_and_distinct_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }

    #[test]
    fn an_account_is_throttled_after_its_limit_of_failures() {
        let throttle = AccountThrottle::new(2, Duration::from_secs(60));
        throttle.failed("anna");
        assert!(throttle.check("anna").is_ok());
        throttle.failed("anna");
        assert!(throttle.check("anna").is_err());
        assert!(throttle.check("bela").is_ok(), "other accounts are not affected");
        throttle.succeeded("anna");
        assert!(throttle.check("anna").is_ok());
    }
}
