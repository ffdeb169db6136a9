//! T9: how a task repeats, and T14: when a colleague works. Plain data; the arithmetic is in
//! `schedule/`.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// A day of the week, in the order a week is shown (Monday first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const WORK_WEEK: [Self; 5] = [Self::Mon, Self::Tue, Self::Wed, Self::Thu, Self::Fri];

    pub fn of(day: NaiveDate) -> Self {
        use chrono::Datelike;
        Self::from_chrono(day.weekday())
    }

    pub fn from_chrono(day: chrono::Weekday) -> Self {
        match day {
            chrono::Weekday::Mon => Self::Mon,
            chrono::Weekday::Tue => Self::Tue,
            chrono::Weekday::Wed => Self::Wed,
            chrono::Weekday::Thu => Self::Thu,
            chrono::Weekday::Fri => Self::Fri,
            chrono::Weekday::Sat => Self::Sat,
            chrono::Weekday::Sun => Self::Sun,
        }
    }

    pub fn to_chrono(self) -> chrono::Weekday {
        match self {
            Self::Mon => chrono::Weekday::Mon,
            Self::Tue => chrono::Weekday::Tue,
            Self::Wed => chrono::Weekday::Wed,
            Self::Thu => chrono::Weekday::Thu,
            Self::Fri => chrono::Weekday::Fri,
            Self::Sat => chrono::Weekday::Sat,
            Self::Sun => chrono::Weekday::Sun,
        }
    }
}

/// Which days an occurrence falls on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Repeat {
    Daily,
    Weekly {
        days: Vec<Weekday>,
    },
    /// Day 1–31; a month without that day uses its last day.
    MonthlyOnDay {
        day: u8,
    },
    /// The nth working day of the month (1 = first); −1 is the last working day.
    MonthlyWorkingDay {
        nth: i8,
    },
    /// A day of a month, every year; 29 February falls on the 28th in other years.
    Yearly {
        month: u8,
        day: u8,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecurrenceEnd {
    Never,
    /// The series has this many occurrences in all.
    AfterCount {
        count: u32,
    },
    /// No occurrence after this day.
    OnDate {
        date: NaiveDate,
    },
}

/// What the person chooses in the recurrence editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RecurrenceRule {
    pub repeat: Repeat,
    /// Every N days/weeks/months/years.
    pub interval: u16,
    pub ends: RecurrenceEnd,
    /// Create the next occurrence this many days before it is due, even if this one is still
    /// open. `None`: only when this one is done or cancelled.
    #[serde(default)]
    pub create_ahead_days: Option<u16>,
}

/// The rule as a task carries it, with its place in the series. The store fills the series
/// fields when a task first gets a rule; occurrence ids derive from `series_id` and the date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Recurrence {
    pub rule: RecurrenceRule,
    #[serde(default)]
    pub series_id: Option<Uuid>,
    /// The first occurrence's day: intervals count from it.
    #[serde(default)]
    pub starts_on: Option<NaiveDate>,
    /// This task's number in the series, from 1.
    #[serde(default = "first")]
    pub occurrence: u32,
    /// The day the rule gave this occurrence. Its due may have been moved since (the
    /// end-of-day review does that); the series steps on from this day, not from the due, so
    /// a moved occurrence neither skips nor repeats one, and devices agree on the next id.
    /// `None` (the first occurrence, and tasks from before): `starts_on`, else the due.
    #[serde(default)]
    pub occurrence_day: Option<NaiveDate>,
    /// The IANA zone the series keeps its wall-clock times in (a due at 9:00 stays at 9:00
    /// across summer time). `None`: the profile's zone when the store seats the series.
    #[serde(default)]
    pub time_zone: Option<String>,
}

fn first() -> u32 {
    1
}

impl Recurrence {
    pub fn new(rule: RecurrenceRule) -> Self {
        Self { rule, series_id: None, starts_on: None, occurrence: 1, occurrence_day: None, time_zone: None }
    }
}

/// Reads a task's rule. Stores from before structured rules kept an RRULE text; the one shape
/// Duly wrote (`FREQ=MONTHLY;BYMONTHDAY=N`) reads as monthly on day N, anything else as none
/// (migration 0004 moved such text into the description, so it is not lost).
pub fn lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Recurrence>, D::Error> {
    use serde::de::Error;
    match Option::<serde_json::Value>::deserialize(deserializer)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text)) => Ok(legacy_monthly(&text)),
        Some(other) => serde_json::from_value(other).map(Some).map_err(D::Error::custom),
    }
}

fn legacy_monthly(text: &str) -> Option<Recurrence> {
    let day: u8 =
        text.strip_prefix("FREQ=MONTHLY;BYMONTHDAY=")?.parse().ok().filter(|d| (1..=31).contains(d))?;
    let rule = RecurrenceRule {
        repeat: Repeat::MonthlyOnDay { day },
        interval: 1,
        ends: RecurrenceEnd::Never,
        create_ahead_days: None,
    };
    Some(Recurrence::new(rule))
}

/// T14: a period a colleague is away (both days included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Absence {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(default)]
    pub note: String,
}

impl Absence {
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// T14: when a colleague works, when they are away, and who stands in for them. A missing
/// field reads as the default (Monday to Friday, 8:00–16:30).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct Availability {
    pub work_days: Vec<Weekday>,
    pub work_start: NaiveTime,
    pub work_end: NaiveTime,
    #[serde(default)]
    pub absences: Vec<Absence>,
    pub deputy_id: Option<Uuid>,
}

impl Default for Availability {
    fn default() -> Self {
        Self {
            work_days: Weekday::WORK_WEEK.to_vec(),
            work_start: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            work_end: NaiveTime::from_hms_opt(16, 30, 0).unwrap_or_default(),
            absences: Vec::new(),
            deputy_id: None,
        }
    }
}

impl Availability {
    pub fn absence_on(&self, day: NaiveDate) -> Option<&Absence> {
        self.absences.iter().find(|a| a.covers(day))
    }
}
