//! Working days: weekends and Hungarian public holidays by default, with the company's own
//! changes (a Saturday worked in place of a bridge day, a day off) on top.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::model::Weekday;

/// The public holidays of Hungary (Labour Code, §102): fixed days, and the ones that move
/// with Easter. (Easter Sunday and Whit Sunday are Sundays anyway.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    NewYear,
    Revolution1848,
    GoodFriday,
    EasterMonday,
    LabourDay,
    WhitMonday,
    StateFoundation,
    Revolution1956,
    AllSaints,
    /// A public holiday since 2025.
    ChristmasEve,
    Christmas,
    ChristmasSecondDay,
}

/// A company's change to one day: `working = true` makes a weekend or holiday a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DayOverride {
    pub date: NaiveDate,
    pub working: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct HolidayDate {
    pub date: NaiveDate,
    pub holiday: Holiday,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    overrides: BTreeMap<NaiveDate, bool>,
}

impl WorkCalendar {
    pub fn new(overrides: &[DayOverride]) -> Self {
        Self { overrides: overrides.iter().map(|o| (o.date, o.working)).collect() }
    }

    pub fn overrides(&self) -> Vec<DayOverride> {
        self.overrides.iter().map(|(&date, &working)| DayOverride { date, working }).collect()
    }

    pub fn holiday(day: NaiveDate) -> Option<Holiday> {
        let easter = easter_sunday(day.year())?;
        let fixed = match (day.month(), day.day()) {
            (1, 1) => Some(Holiday::NewYear),
            (3, 15) => Some(Holiday::Revolution1848),
            (5, 1) => Some(Holiday::LabourDay),
            (8, 20) => Some(Holiday::StateFoundation),
            (10, 23) => Some(Holiday::Revolution1956),
            (11, 1) => Some(Holiday::AllSaints),
            (12, 24) if day.year() >= 2025 => Some(Holiday::ChristmasEve),
            (12, 25) => Some(Holiday::Christmas),
            (12, 26) => Some(Holiday::ChristmasSecondDay),
            _ => None,
        };
        fixed.or(match (day - easter).num_days() {
            -2 => Some(Holiday::GoodFriday),
            1 => Some(Holiday::EasterMonday),
            50 => Some(Holiday::WhitMonday),
            _ => None,
        })
    }

    pub fn holidays_of(year: i32) -> Vec<HolidayDate> {
        let Some(first) = NaiveDate::from_ymd_opt(year, 1, 1) else { return Vec::new() };
        first
            .iter_days()
            .take_while(|d| d.year() == year)
            .filter_map(|date| Self::holiday(date).map(|holiday| HolidayDate { date, holiday }))
            .collect()
    }

    /// Whether the company set this day itself (a Saturday worked, a bridge day off).
    pub fn is_overridden(&self, day: NaiveDate) -> bool {
        self.overrides.contains_key(&day)
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if let Some(&working) = self.overrides.get(&day) {
            return working;
        }
        !matches!(Weekday::of(day), Weekday::Sat | Weekday::Sun) && Self::holiday(day).is_none()
    }

    /// The first working day after `day`.
    pub fn next_working_day(&self, day: NaiveDate) -> NaiveDate {
        let mut next = day + Duration::days(1);
        // A year has far fewer than 60 days off in a row; the bound only guards a bad override list.
        for _ in 0..60 {
            if self.is_working_day(next) {
                return next;
            }
            next += Duration::days(1);
        }
        next
    }

    /// The nth working day of a month (1 = first), or the last one for −1.
    pub fn nth_working_day(&self, year: i32, month: u32, nth: i8) -> Option<NaiveDate> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let days: Vec<NaiveDate> = first
            .iter_days()
            .take_while(|d| d.month() == month)
            .filter(|d| self.is_working_day(*d))
            .collect();
        match nth {
            -1 => days.last().copied(),
            n if n > 0 => days.get(usize::try_from(n - 1).ok()?).copied(),
            _ => None,
        }
    }
}

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian computus).
fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let (b, c) = (year / 100, year % 100);
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid")
    }

    #[test]
    fn easter_and_the_days_that_move_with_it() {
        assert_eq!(easter_sunday(2026), Some(day(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(day(2027, 3, 28)));
        assert_eq!(WorkCalendar::holiday(day(2026, 4, 3)), Some(Holiday::GoodFriday));
        assert_eq!(WorkCalendar::holiday(day(2026, 4, 6)), Some(Holiday::EasterMonday));
        assert_eq!(WorkCalendar::holiday(day(2026, 5, 25)), Some(Holiday::WhitMonday));
        assert_eq!(WorkCalendar::holidays_of(2024).len(), 11);
        assert_eq!(WorkCalendar::holidays_of(2026).len(), 12, "24 December is a holiday since 2025");
        assert_eq!(WorkCalendar::holiday(day(2026, 12, 24)), Some(Holiday::ChristmasEve));
        assert_eq!(WorkCalendar::holiday(day(2024, 12, 24)), None);
    }

    #[test]
    fn weekends_holidays_and_overrides() {
        let plain = WorkCalendar::default();
        assert!(!plain.is_working_day(day(2026, 10, 23)), "a Friday holiday");
        assert!(!plain.is_working_day(day(2026, 10, 24)), "a Saturday");
        assert_eq!(plain.next_working_day(day(2026, 10, 22)), day(2026, 10, 26));
        let company = WorkCalendar::new(&[
            DayOverride { date: day(2026, 10, 24), working: true },
            DayOverride { date: day(2026, 10, 26), working: false },
        ]);
        assert_eq!(company.next_working_day(day(2026, 10, 22)), day(2026, 10, 24));
        assert_eq!(company.next_working_day(day(2026, 10, 24)), day(2026, 10, 27));
    }

    #[test]
    fn last_working_day_steps_over_a_holiday() {
        let plain = WorkCalendar::default();
        // 31 Oct 2027 is a Sunday, 30 Oct a Saturday; 29 Oct is the last working day.
        assert_eq!(plain.nth_working_day(2027, 10, -1), Some(day(2027, 10, 29)));
        // 1 Jan 2027 is a holiday (Friday): the first working day is Monday the 4th.
        assert_eq!(plain.nth_working_day(2027, 1, 1), Some(day(2027, 1, 4)));
        assert_eq!(plain.nth_working_day(2027, 2, 30), None);
    }
}
