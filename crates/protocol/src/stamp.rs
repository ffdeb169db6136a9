//! The merge order of concurrent writes: hybrid logical clock stamps, compared as uhlc compares
//! them (time, then the writer's id, which is the client id). Pure functions, no IO: the client
//! applies remote operations with them and tests fold the server's log with them.

use std::cmp::Ordering;

/// Compares two stamps in their text form. A stamp that does not parse sorts first, so a
/// malformed stamp never overwrites a good one.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (a.parse::<uhlc::Timestamp>(), b.parse::<uhlc::Timestamp>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        (Ok(_), Err(_)) => Ordering::Greater,
        (Err(_), Ok(_)) => Ordering::Less,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// Last writer wins: does a write stamped `incoming` replace one stamped `current`?
pub fn wins(incoming: &str, current: Option<&str>) -> bool {
    current.is_none_or(|current| compare(incoming, current) == Ordering::Greater)
}

pub fn is_valid(stamp: &str) -> bool {
    stamp.parse::<uhlc::Timestamp>().is_ok()
}

/// A text that sorts as the stamp does (time, then the writer's id as uhlc orders it: its
/// little-endian bytes, first byte first), so a database can keep the winner of a field by
/// comparing texts. `None` for a stamp that does not parse.
pub fn sort_key(stamp: &str) -> Option<String> {
    let stamp = stamp.parse::<uhlc::Timestamp>().ok()?;
    let mut key = format!("{:020}/", stamp.get_time().as_u64());
    for byte in stamp.get_id().to_le_bytes() {
        key.push_str(&format!("{byte:02x}"));
    }
    Some(key)
}

/// The wall-clock time a stamp carries, in milliseconds since 1970 UTC.
pub fn time_ms(stamp: &str) -> Option<i64> {
    let stamp = stamp.parse::<uhlc::Timestamp>().ok()?;
    i64::try_from(stamp.get_time().to_duration().as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(time: u64, id: u128) -> String {
        let id = uhlc::ID::from(std::num::NonZeroU128::new(id).expect("non-zero"));
        uhlc::Timestamp::new(uhlc::NTP64(time), id).to_string()
    }

    #[test]
    fn later_time_wins_and_equal_time_breaks_ties_by_writer() {
        assert!(wins(&stamp(200, 1), Some(&stamp(100, 9))));
        assert!(!wins(&stamp(100, 9), Some(&stamp(200, 1))));
        assert!(wins(&stamp(100, 2), Some(&stamp(100, 1))));
        assert!(!wins(&stamp(100, 1), Some(&stamp(100, 2))));
        assert!(!wins(&stamp(100, 1), Some(&stamp(100, 1))), "the same write does not win over itself");
        assert!(wins(&stamp(1, 1), None));
    }

    #[test]
    fn numeric_order_not_text_order() {
        // 9 < 10 as numbers; as text "9…" > "1…".
        assert!(wins(&stamp(10, 1), Some(&stamp(9, 1))));
    }

    #[test]
    fn sort_keys_order_as_stamps_do() {
        let stamps = [
            stamp(9, 1),
            stamp(10, 1),
            stamp(10, 2),
            stamp(10, 0x100),
            stamp(10, 0x101),
            stamp(u64::MAX - 1, 3),
            stamp(10, 0x2_0000_0000_0000_0000),
        ];
        for a in &stamps {
            for b in &stamps {
                let keys = sort_key(a).expect("key").cmp(&sort_key(b).expect("key"));
                assert_eq!(keys, compare(a, b), "{a} vs {b}");
            }
        }
        assert_eq!(sort_key("yesterday"), None);
    }

    #[test]
    fn malformed_stamp_never_wins() {
        assert!(!is_valid("yesterday"));
        assert!(!wins("yesterday", Some(&stamp(1, 1))));
        assert!(wins(&stamp(1, 1), Some("yesterday")));
    }
}
