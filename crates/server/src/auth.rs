//! Passwords (argon2id), session tokens (random, kept hashed) and login throttling.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use duly_protocol::limits::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use duly_protocol::{ErrorCode, User};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

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

/// At most this many password checks at once: each takes 19 MiB and a core for a while, and
/// logins are open to anyone.
static PASSWORD_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

pub async fn verify_password(password: String, hash: String) -> bool {
    let Ok(_permit) = PASSWORD_CHECKS.acquire().await else { return false };
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

pub fn check_password_rules(password: &str, known: &[&str]) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::bad_request(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    // The login refuses longer ones before hashing; an account must be able to log in.
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::bad_request(format!("a password has at most {MAX_PASSWORD_BYTES} bytes")));
    }
    // No list of breached passwords can be fetched here; zxcvbn's frequency lists of common
    // passwords, words and names, with keyboard rows, dates and what the account is called,
    // stand in (L8). Below 10^6 guesses is what a breached-list check would refuse.
    if zxcvbn::zxcvbn(password, known).score() < zxcvbn::Score::Two {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            ErrorCode::WeakPassword,
            "this password is among the commonest or easily guessed: choose a longer one, a few unrelated words",
        ));
    }
    Ok(())
}

/// Failed logins per (account, source address). After `limit` failures the pair waits before
/// its next try, twice as long after each further failure, up to `window`; a success clears
/// it. Failures from one address never hold back the right password from another, so nobody
/// can lock a colleague out. The map is bounded: when full, the stalest entries go first.
#[derive(Debug)]
pub struct AccountThrottle {
    limit: u32,
    window: Duration,
    failures: Mutex<HashMap<(String, IpAddr), Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// The most (account, address) pairs remembered.
const MAX_TRACKED: usize = 10_000;

impl AccountThrottle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window, failures: Mutex::new(HashMap::new()) }
    }

    /// How long this pair still has to wait, if at all.
    fn wait(&self, failures: &Failures) -> Option<Duration> {
        let over = failures.count.checked_sub(self.limit)?;
        let delay = Duration::from_secs(1).saturating_mul(2u32.saturating_pow(over.min(20))).min(self.window);
        delay.checked_sub(failures.last.elapsed()).filter(|left| !left.is_zero())
    }

    pub fn check(&self, login: &str, from: IpAddr) -> Result<(), ApiError> {
        let failures = self.failures.lock().map_err(|_| ApiError::internal("throttle lock poisoned"))?;
        match failures.get(&(login.to_owned(), from)).and_then(|f| self.wait(f)) {
            Some(left) => Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!("too many failed logins from here; try again in {} s", left.as_secs().max(1)),
            )),
            None => Ok(()),
        }
    }

    pub fn failed(&self, login: &str, from: IpAddr) {
        let Ok(mut failures) = self.failures.lock() else { return };
        if failures.len() >= MAX_TRACKED {
            let window = self.window;
            failures.retain(|_, f| f.last.elapsed() < window);
        }
        if failures.len() >= MAX_TRACKED
            && let Some(stalest) = failures.iter().min_by_key(|(_, f)| f.last).map(|(key, _)| key.clone())
        {
            failures.remove(&stalest);
        }
        let entry =
            failures.entry((login.to_owned(), from)).or_insert(Failures { count: 0, last: Instant::now() });
        if entry.last.elapsed() >= self.window {
            entry.count = 0;
        }
        entry.count += 1;
        entry.last = Instant::now();
    }

    pub fn succeeded(&self, login: &str, from: IpAddr) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&(login.to_owned(), from));
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.failures.lock().map(|f| f.len()).unwrap_or(0)
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
        let user = live_session(state, &token_hash).await?.ok_or_else(ApiError::unauthorized)?;
        Ok(Self { user, token_hash })
    }
}

/// The user of a session that has not ended: a session past its idle time or its longest
/// life is ended here. Its last use is written at most once an hour.
pub async fn live_session(state: &AppState, token_hash: &str) -> Result<Option<User>, ApiError> {
    let Some((user, times)) = state.storage.session_user(token_hash).await? else { return Ok(None) };
    let now = chrono::Utc::now();
    let ago =
        |seconds: u64| stamp(now - chrono::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 2)));
    match session_state(
        &times,
        &ago(state.config.session_idle_secs),
        &ago(state.config.session_max_secs),
        &ago(3600),
    ) {
        SessionState::Ended => {
            state.storage.end_session(token_hash).await?;
            Ok(None)
        }
        SessionState::Stale => {
            state.storage.touch_session(token_hash, &stamp(now)).await?;
            Ok(Some(user))
        }
        SessionState::Fresh => Ok(Some(user)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionState {
    Fresh,
    /// Alive, but its last use is over an hour old: write the new one.
    Stale,
    Ended,
}

/// Instants as the sessions table keeps them (fixed width, so they compare as text).
fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn session_state(
    times: &crate::storage::SessionTimes,
    idle_since: &str,
    born_since: &str,
    stale_before: &str,
) -> SessionState {
    if times.last_used_at.as_str() <= idle_since || times.created_at.as_str() <= born_since {
        SessionState::Ended
    } else if times.last_used_at.as_str() < stale_before {
        SessionState::Stale
    } else {
        SessionState::Fresh
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

    #[test]
    fn a_common_or_guessable_password_is_refused_with_its_own_code() {
        let code = |password: &str| {
            check_password_rules(password, &["kiss.anna", "Kiss Anna"]).err().map(|e| e.code)
        };
        for weak in ["password1", "qwertzuiop", "12345678", "kiss.anna2026", "aaaaaaaaaaaa"] {
            assert_eq!(code(weak), Some(ErrorCode::WeakPassword), "{weak}");
        }
        assert_eq!(code("rövid"), Some(ErrorCode::BadRequest), "too short says so");
        for fine in ["correct horse battery", "titkos-jelszo", "Tavasz esőben 7 fecske"] {
            assert_eq!(code(fine), None, "{fine}");
        }
    }

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
    fn failures_hold_back_one_account_from_one_address_only() {
        let throttle = AccountThrottle::new(2, Duration::from_secs(60));
        let (attacker, anna_pc): (IpAddr, IpAddr) = ([10, 0, 0, 66].into(), [10, 0, 0, 7].into());
        throttle.failed("anna", attacker);
        assert!(throttle.check("anna", attacker).is_ok(), "one failure is forgiven");
        throttle.failed("anna", attacker);
        assert!(throttle.check("anna", attacker).is_err(), "the second waits");
        assert!(throttle.check("anna", anna_pc).is_ok(), "anna's own computer is not locked out");
        assert!(throttle.check("bela", attacker).is_ok(), "other accounts are not affected");
        throttle.succeeded("anna", attacker);
        assert!(throttle.check("anna", attacker).is_ok());
    }

    #[test]
    fn the_wait_doubles_with_each_failure_up_to_the_window() {
        let throttle = AccountThrottle::new(1, Duration::from_secs(60));
        let now = Instant::now();
        let wait =
            |count| throttle.wait(&Failures { count, last: now }).map(|d| d.as_secs_f64().round() as u64);
        assert_eq!(wait(0), None);
        assert_eq!(wait(1), Some(1));
        assert_eq!(wait(3), Some(4));
        assert_eq!(wait(40), Some(60));
    }

    #[test]
    fn the_throttle_forgets_the_stalest_when_full() {
        let throttle = AccountThrottle::new(1, Duration::from_secs(60));
        let from: IpAddr = [10, 0, 0, 1].into();
        for n in 0..MAX_TRACKED + 50 {
            throttle.failed(&format!("login{n}"), from);
        }
        assert_eq!(throttle.tracked(), MAX_TRACKED);
        assert!(throttle.check(&format!("login{}", MAX_TRACKED + 49), from).is_err(), "the newest is kept");
    }

    #[test]
    fn the_dummy_hash_parses_so_unknown_logins_cost_the_same() {
        assert!(PasswordHash::new(crate::routes::session::DUMMY_HASH).is_ok());
    }
}
