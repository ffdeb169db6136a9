//! How model values are written to and read from SQLite text columns.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::{CoreError, Result};

/// Instants are stored with a fixed width so that text order is time order.
pub fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_ts(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).map_err(CoreError::corrupt)
}

pub fn opt_ts(text: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    text.map(parse_ts).transpose()
}

pub fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub fn parse_day(text: &str) -> Result<NaiveDate> {
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
}
