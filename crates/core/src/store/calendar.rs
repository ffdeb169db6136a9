//! The company's working calendar in the store: its own changes to the Hungarian default (a
//! Saturday worked for a bridge day, a day off), shared with every colleague through sync.
//!
//! It is one settings entity with a field per changed day (`"2026-12-31": false`), so two
//! colleagues changing different days both keep their change, and the same day is decided
//! last-writer-wins like any field. A day taken back is set to `null`.

use duly_protocol::{EntityKind, Scope};
use serde_json::{Map, Value};
use sqlx::SqliteConnection;
use uuid::Uuid;

use super::{Store, codec};
use crate::error::{CoreError, Result};
use crate::model::WriteCtx;
use crate::schedule::{DayOverride, WorkCalendar};

/// The calendar's id: fixed, so every replica edits the same record.
pub const WORK_CALENDAR_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0400);
const KEY: &str = "company.calendar";
/// A year of bridge days and Saturdays worked is a few dozen; this bounds a bad import.
const OVERRIDES_MAX: usize = 2_000;

/// The calendar as this replica knows it, read inside a write or a sync page.
pub(crate) async fn calendar_in(conn: &mut SqliteConnection) -> Result<WorkCalendar> {
    let text =
        sqlx::query_scalar!("SELECT value FROM meta WHERE key = ?", KEY).fetch_optional(&mut *conn).await?;
    Ok(match text {
        Some(text) => WorkCalendar::new(&codec::from_json::<Vec<DayOverride>>(&text)?),
        None => WorkCalendar::default(),
    })
}

/// The calendar as a sync record: a field per changed day.
pub(crate) fn record(calendar: &WorkCalendar) -> Map<String, Value> {
    calendar.overrides().into_iter().map(|o| (o.date.to_string(), Value::Bool(o.working))).collect()
}

/// Writes a merged record back; fields that are not a day and a yes/no (a day taken back) drop out.
pub(crate) async fn write_record(conn: &mut SqliteConnection, record: &Map<String, Value>) -> Result<()> {
    let overrides: Vec<DayOverride> = record
        .iter()
        .filter_map(|(day, working)| {
            Some(DayOverride { date: day.parse().ok()?, working: working.as_bool()? })
        })
        .collect();
    put(conn, &WorkCalendar::new(&overrides)).await
}

async fn put(conn: &mut SqliteConnection, calendar: &WorkCalendar) -> Result<()> {
    let value = codec::json(&calendar.overrides())?;
    sqlx::query!("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", KEY, value)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Store {
    pub async fn work_calendar(&self) -> Result<WorkCalendar> {
        let mut conn = self.reader().acquire().await?;
        calendar_in(&mut conn).await
    }

    /// Replaces the company's changes with `overrides`; each day that changed is a history
    /// entry and a sync operation of its own.
    pub async fn set_calendar_overrides(
        &self,
        ctx: WriteCtx,
        overrides: &[DayOverride],
    ) -> Result<WorkCalendar> {
        if overrides.len() > OVERRIDES_MAX {
            return Err(CoreError::TooLong { field: "overrides", max: OVERRIDES_MAX });
        }
        let new = WorkCalendar::new(overrides);
        let mut w = self.begin(ctx).await?;
        let old = record(&calendar_in(&mut w.tx).await?);
        let mut fields = record(&new);
        for day in old.keys().filter(|day| !fields.contains_key(*day)).cloned().collect::<Vec<_>>() {
            fields.insert(day, Value::Null);
        }
        let changed = w.changed(
            Scope::Settings,
            EntityKind::WorkCalendar,
            WORK_CALENDAR_ID,
            &Value::Object(old),
            &Value::Object(fields),
        )?;
        if !changed.is_empty() {
            put(&mut w.tx, &new).await?;
        }
        w.commit().await?;
        Ok(new)
    }
}
