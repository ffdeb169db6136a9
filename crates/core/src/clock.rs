//! The store asks a [`Clock`] for "now", so tests (and the scheduler's tests) can hold time
//! still or move it across a summer-time change.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// The zone this computer's clock is set to, when the person has not chosen one.
pub fn system_zone() -> chrono_tz::Tz {
    iana_time_zone::get_timezone().ok().and_then(|name| name.parse().ok()).unwrap_or(chrono_tz::UTC)
}

/// The person's zone: the `time_zone` preference they saved, else this computer's. The window,
/// the tray and a new series all read it through here, so they agree.
pub fn chosen_zone(saved: Option<&str>) -> chrono_tz::Tz {
    saved.and_then(|name| name.parse().ok()).unwrap_or_else(system_zone)
}

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A computer's clock set wrong by a fixed amount (ahead when positive): it moves with real
/// time, as a misset clock does.
#[derive(Debug, Clone, Copy)]
pub struct OffsetClock(pub Duration);

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.0
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
