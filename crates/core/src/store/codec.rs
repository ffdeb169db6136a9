//! How model values are written to and read from SQLite text columns.

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::{CoreError, Result};

/// Instants are stored with a fixed width so that text order is time order.
pub fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_ts(text: &str) -> Result<DateTime<Utc>> {
    if let Some(at) = fixed_ts(text.as_bytes()) {
        return Ok(at);
    }
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).map_err(CoreError::corrupt)
}

/// The form [`ts`] writes (`2026-03-01T09:00:00.000000Z`), read without a general parser: a
/// list reads thousands of them. Anything else goes to the RFC 3339 parser.
fn fixed_ts(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() != 27 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'.' || b[26] != b'Z' {
        return None;
    }
    let time = NaiveTime::from_hms_micro_opt(
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
        digits(&b[20..26])?,
    )?;
    Some(fixed_day(&b[..10])?.and_time(time).and_utc())
}

/// `YYYY-MM-DD`, read without a format interpreter.
fn fixed_day(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(digits(&b[..4])?).ok()?, digits(&b[5..7])?, digits(&b[8..10])?)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
}

pub fn opt_ts(text: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    text.map(parse_ts).transpose()
}

pub fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub fn parse_day(text: &str) -> Result<NaiveDate> {
    if let Some(day) = fixed_day(text.as_bytes()) {
        return Ok(day);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(CoreError::corrupt)
}

pub fn opt_day(text: Option<&str>) -> Result<Option<NaiveDate>> {
    text.map(parse_day).transpose()
}

pub fn id(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(CoreError::corrupt)
}

pub fn opt_id(text: Option<&str>) -> Result<Option<Uuid>> {
    text.map(id).transpose()
}

pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| CoreError::Internal(e.to_string()))
}

pub fn value<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| CoreError::Internal(e.to_string()))
}

pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(CoreError::corrupt)
}

/// Reads a text column holding one of a closed set of words (a status, a kind).
pub fn word<T>(text: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    parse(text).ok_or_else(|| CoreError::corrupt(text))
}

pub fn enum_text<T: Serialize>(value: &T) -> Result<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => Ok(text),
        _ => Err(CoreError::Internal("not a unit enum".into())),
    }
}

pub fn parse_enum<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(CoreError::corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn stored_instants_sort_as_time() {
        let early = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single().expect("valid");
        let late = early + chrono::Duration::microseconds(1);
        assert!(ts(early) < ts(late));
        assert_eq!(parse_ts(&ts(late)).expect("parses"), late);
    }

    #[test]
    fn the_fixed_forms_read_as_the_general_parsers_read_them() {
        for text in
            ["2026-03-01T09:00:00.000000Z", "1999-12-31T23:59:59.999999Z", "2024-02-29T00:00:00.000001Z"]
        {
            let general = DateTime::parse_from_rfc3339(text).expect("rfc 3339").with_timezone(&Utc);
            assert_eq!(fixed_ts(text.as_bytes()), Some(general), "{text}");
        }
        for text in
            ["2026-03-01T09:00:00Z", "2026-03-01T09:00:00.000000+01:00", "2026-02-30T09:00:00.000000Z"]
        {
            assert_eq!(fixed_ts(text.as_bytes()), None, "{text}");
        }
        assert_eq!(
            parse_ts("2026-03-01T09:00:00+01:00").expect("general form"),
            Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).single().expect("valid")
        );
        for text in ["2026-03-01", "2024-02-29"] {
            assert_eq!(
                fixed_day(text.as_bytes()),
                NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(),
                "{text}"
            );
        }
        assert!(parse_day("2026-02-30").is_err());
        assert!(parse_day("2026-3-x").is_err());
    }
}
