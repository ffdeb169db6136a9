//! The store's hybrid logical clock: the stamp of every operation this replica makes. A stamp
//! is never below one the replica has made or seen, and its time is the computer's clock
//! corrected by what the server last said its own time was: a computer whose clock runs fast
//! has its stamps refused by the server (`clock_ahead`), corrects its clock and stamps them
//! again, so no edit wins merges for longer than the protocol allows.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

use crate::clock::Clock;

/// A remote stamp further ahead of this clock than this is not followed: one broken clock
/// elsewhere must not drag this replica's stamps a year ahead.
const MAX_FOLLOW_SECS: u64 = 24 * 3600;

#[derive(Debug)]
pub(crate) struct StampClock {
    id: uhlc::ID,
    clock: Arc<dyn Clock>,
    /// Added to the computer's clock: the server's time minus ours, when it refused our stamps.
    correction_ms: AtomicI64,
    /// The last stamp made or followed, as NTP64 bits (time in the high half).
    last: Mutex<u64>,
}

impl StampClock {
    pub fn new(id: uhlc::ID, clock: Arc<dyn Clock>, correction_ms: i64) -> Self {
        Self { id, clock, correction_ms: AtomicI64::new(correction_ms), last: Mutex::new(0) }
    }

    /// This computer's time, corrected, as NTP64 bits.
    fn physical(&self) -> u64 {
        let now =
            self.clock.now() + chrono::Duration::milliseconds(self.correction_ms.load(Ordering::Relaxed));
        ntp_bits(now)
    }

    /// A fresh stamp: the corrected time, or one tick past the last stamp when that is later.
    pub fn stamp(&self) -> uhlc::Timestamp {
        let now = self.physical();
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *last = now.max(last.saturating_add(1));
        uhlc::Timestamp::new(uhlc::NTP64(*last), self.id)
    }

    /// Moves the clock past a stamp made elsewhere, unless it is absurdly far ahead.
    pub fn observe(&self, stamp: &uhlc::Timestamp) -> bool {
        let time = stamp.get_time().as_u64();
        let limit = self
            .physical()
            .saturating_add(uhlc::NTP64::from(std::time::Duration::from_secs(MAX_FOLLOW_SECS)).as_u64());
        if time > limit {
            return false;
        }
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *last = (*last).max(time);
        true
    }

    /// Takes the server's word for the time, and starts again from `floor` (the highest stamp
    /// the server holds from this replica or sent it): the stamps made while the clock ran
    /// fast are no floor any more, since they are being made again.
    pub fn correct(&self, server_now: DateTime<Utc>, floor: Option<&uhlc::Timestamp>) -> i64 {
        let correction = (server_now - self.clock.now()).num_milliseconds();
        self.correction_ms.store(correction, Ordering::Relaxed);
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *last = floor.map_or(0, |stamp| stamp.get_time().as_u64());
        correction
    }

    /// The corrected time now.
    pub fn now_ms(&self) -> i64 {
        (self.clock.now() + chrono::Duration::milliseconds(self.correction_ms.load(Ordering::Relaxed)))
            .timestamp_millis()
    }
}

fn ntp_bits(at: DateTime<Utc>) -> u64 {
    let since = at.signed_duration_since(DateTime::UNIX_EPOCH).to_std().unwrap_or_default();
    uhlc::NTP64::from(since).as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn clock_at(at: DateTime<Utc>) -> (Arc<ManualClock>, StampClock) {
        let manual = Arc::new(ManualClock::new(at));
        let id = uhlc::ID::from(std::num::NonZeroU128::new(7).expect("id"));
        (manual.clone(), StampClock::new(id, manual, 0))
    }

    fn time_ms(stamp: &uhlc::Timestamp) -> i64 {
        i64::try_from(stamp.get_time().to_duration().as_millis()).expect("ms")
    }

    #[test]
    fn stamps_always_grow_even_when_the_clock_stands_still_or_goes_back() {
        let at = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z").expect("time").to_utc();
        let (manual, clock) = clock_at(at);
        let a = clock.stamp();
        let b = clock.stamp();
        manual.advance(chrono::Duration::minutes(-10));
        let c = clock.stamp();
        assert!(a < b && b < c);
    }

    #[test]
    fn a_correction_brings_stamps_back_to_the_servers_time_above_the_floor() {
        let server = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z").expect("time").to_utc();
        // This computer runs an hour fast.
        let (_, clock) = clock_at(server + chrono::Duration::hours(1));
        let fast = clock.stamp();
        assert_eq!(time_ms(&fast), (server + chrono::Duration::hours(1)).timestamp_millis());
        let floor = uhlc::Timestamp::new(
            uhlc::NTP64(ntp_bits(server - chrono::Duration::seconds(5))),
            uhlc::ID::rand(),
        );
        assert_eq!(clock.correct(server, Some(&floor)), -3_600_000);
        let corrected = clock.stamp();
        assert!(corrected < fast, "no longer an hour ahead");
        assert!(*corrected.get_time() > *floor.get_time());
        assert!((time_ms(&corrected) - server.timestamp_millis()).abs() < 1000);
    }

    #[test]
    fn a_stamp_a_year_ahead_is_not_followed() {
        let at = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z").expect("time").to_utc();
        let (_, clock) = clock_at(at);
        let far =
            uhlc::Timestamp::new(uhlc::NTP64(ntp_bits(at + chrono::Duration::days(365))), uhlc::ID::rand());
        assert!(!clock.observe(&far));
        let near =
            uhlc::Timestamp::new(uhlc::NTP64(ntp_bits(at + chrono::Duration::minutes(3))), uhlc::ID::rand());
        assert!(clock.observe(&near));
        assert!(clock.stamp() > near);
    }
}
