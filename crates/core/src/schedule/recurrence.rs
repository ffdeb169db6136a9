//! T9: stepping a series with the `rrule` crate. Occurrence ids are derived from the series id
//! and the occurrence's day, so two devices that finish the same occurrence offline create the
//! same next task, which sync then merges into one.

use chrono::{Datelike, NaiveDate, TimeZone};
use rrule::{Frequency, NWeekday, RRule, Tz};
use uuid::Uuid;

use super::calendar::WorkCalendar;
use crate::model::{Recurrence, RecurrenceEnd, Repeat};

/// The next occurrence of a series after the one due on `current`: its day and number.
pub fn next_occurrence(
    recurrence: &Recurrence,
    current: NaiveDate,
    calendar: &WorkCalendar,
) -> Option<(NaiveDate, u32)> {
    let number = recurrence.occurrence.checked_add(1)?;
    if let RecurrenceEnd::AfterCount { count } = recurrence.rule.ends
        && number > count
    {
        return None;
    }
    let start = recurrence.starts_on.unwrap_or(current);
    let day = match &recurrence.rule.repeat {
        Repeat::MonthlyWorkingDay { nth } => {
            // rrule steps the months (interval included); the calendar picks the day in each.
            let months = rule_set(recurrence, start.with_day(1)?)?;
            months
                .into_iter()
                .take(STEPS)
                .filter_map(|month| calendar.nth_working_day(month.year(), month.month(), *nth))
                .find(|day| *day > current)?
        }
        _ => rule_set(recurrence, start)?
            .into_iter()
            .take(STEPS)
            .map(|at| at.date_naive())
            .find(|day| *day > current)?,
    };
    match recurrence.rule.ends {
        RecurrenceEnd::OnDate { date } if day > date => None,
        _ => Some((day, number)),
    }
}

/// The id of a series' occurrence that the rule puts on `day`. A working-day rule names its
/// month instead: which day of it is a working day is the company calendar's call, and two
/// devices that see the calendar differently must still write one occurrence, not two.
pub fn occurrence_id(series_id: Uuid, repeat: &Repeat, day: NaiveDate) -> Uuid {
    let key = match repeat {
        Repeat::MonthlyWorkingDay { .. } => day.format("%Y-%m").to_string(),
        _ => day.format("%Y-%m-%d").to_string(),
    };
    Uuid::new_v5(&series_id, key.as_bytes())
}

/// How far a series is followed looking for the next day: a daily series 27 years long.
const STEPS: usize = 10_000;

fn rule_set(recurrence: &Recurrence, start: NaiveDate) -> Option<rrule::RRuleSet> {
    let rule = &recurrence.rule;
    let base = match &rule.repeat {
        Repeat::Daily => RRule::new(Frequency::Daily),
        Repeat::Weekly { days } => RRule::new(Frequency::Weekly)
            .by_weekday(days.iter().map(|d| NWeekday::Every(d.to_chrono())).collect()),
        Repeat::MonthlyOnDay { day } => month_day(RRule::new(Frequency::Monthly), *day),
        Repeat::MonthlyWorkingDay { .. } => RRule::new(Frequency::Monthly).by_month_day(vec![1]),
        Repeat::Yearly { month, day } => {
            let month = rrule_month(*month)?;
            month_day(RRule::new(Frequency::Yearly).by_month(&[month]), *day)
        }
    };
    let dt_start = Tz::UTC.from_utc_datetime(&start.and_hms_opt(0, 0, 0)?);
    base.interval(rule.interval.max(1)).build(dt_start).ok()
}

/// Day N of the month, or the month's last day when it is shorter: the largest of the days
/// 28..=N that exists in each month.
fn month_day(rule: RRule<rrule::Unvalidated>, day: u8) -> RRule<rrule::Unvalidated> {
    let day = i8::try_from(day.clamp(1, 31)).unwrap_or(31);
    if day <= 28 {
        return rule.by_month_day(vec![day]);
    }
    rule.by_month_day((28..=day).collect()).by_set_pos(vec![-1])
}

fn rrule_month(month: u8) -> Option<chrono::Month> {
    chrono::Month::try_from(month).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RecurrenceRule, Weekday};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid")
    }

    fn series(repeat: Repeat, interval: u16, ends: RecurrenceEnd, starts_on: NaiveDate) -> Recurrence {
        Recurrence {
            rule: RecurrenceRule { repeat, interval, ends, create_ahead_days: None },
            series_id: Some(Uuid::nil()),
            starts_on: Some(starts_on),
            occurrence: 1,
            occurrence_day: None,
            time_zone: None,
        }
    }

    fn walk(mut recurrence: Recurrence, from: NaiveDate, steps: usize) -> Vec<NaiveDate> {
        let (mut days, mut current, calendar) = (Vec::new(), from, WorkCalendar::default());
        for _ in 0..steps {
            let Some((next, number)) = next_occurrence(&recurrence, current, &calendar) else { break };
            days.push(next);
            recurrence.occurrence = number;
            current = next;
        }
        days
    }

    #[test]
    fn the_31st_falls_on_the_last_day_of_shorter_months() {
        let monthly = series(Repeat::MonthlyOnDay { day: 31 }, 1, RecurrenceEnd::Never, day(2027, 1, 31));
        assert_eq!(
            walk(monthly.clone(), day(2027, 1, 31), 3),
            [day(2027, 2, 28), day(2027, 3, 31), day(2027, 4, 30)]
        );
        let leap = series(Repeat::MonthlyOnDay { day: 31 }, 1, RecurrenceEnd::Never, day(2028, 1, 31));
        assert_eq!(walk(leap, day(2028, 1, 31), 2), [day(2028, 2, 29), day(2028, 3, 31)]);
    }

    #[test]
    fn weekly_on_given_days_every_other_week() {
        let weekly = series(
            Repeat::Weekly { days: vec![Weekday::Mon, Weekday::Thu] },
            2,
            RecurrenceEnd::Never,
            day(2026, 11, 2),
        );
        assert_eq!(
            walk(weekly, day(2026, 11, 2), 4),
            [day(2026, 11, 5), day(2026, 11, 16), day(2026, 11, 19), day(2026, 11, 30)]
        );
    }

    #[test]
    fn last_working_day_and_count() {
        // March 2029: Good Friday is the 30th and the 31st a Saturday, so the 29th.
        let rule = series(
            Repeat::MonthlyWorkingDay { nth: -1 },
            1,
            RecurrenceEnd::AfterCount { count: 3 },
            day(2029, 1, 31),
        );
        assert_eq!(walk(rule, day(2029, 1, 31), 5), [day(2029, 2, 28), day(2029, 3, 29)]);
    }

    #[test]
    fn until_and_yearly_leap_day() {
        let daily =
            series(Repeat::Daily, 3, RecurrenceEnd::OnDate { date: day(2026, 12, 7) }, day(2026, 12, 1));
        assert_eq!(walk(daily, day(2026, 12, 1), 5), [day(2026, 12, 4), day(2026, 12, 7)]);
        let yearly = series(Repeat::Yearly { month: 2, day: 29 }, 1, RecurrenceEnd::Never, day(2028, 2, 29));
        assert_eq!(walk(yearly, day(2028, 2, 29), 2), [day(2029, 2, 28), day(2030, 2, 28)]);
    }

    #[test]
    fn occurrence_ids_depend_on_series_and_day_only() {
        let (series, monthly) = (Uuid::now_v7(), Repeat::MonthlyOnDay { day: 31 });
        assert_eq!(
            occurrence_id(series, &monthly, day(2027, 2, 28)),
            occurrence_id(series, &monthly, day(2027, 2, 28))
        );
        assert_ne!(
            occurrence_id(series, &monthly, day(2027, 2, 28)),
            occurrence_id(series, &monthly, day(2027, 3, 31))
        );
        assert_ne!(
            occurrence_id(Uuid::now_v7(), &monthly, day(2027, 2, 28)),
            occurrence_id(series, &monthly, day(2027, 2, 28))
        );
    }

    #[test]
    fn a_working_day_occurrence_is_named_by_its_month() {
        // One device knows 2026-12-31 as a day off, the other does not: the same occurrence.
        let (series, last) = (Uuid::now_v7(), Repeat::MonthlyWorkingDay { nth: -1 });
        assert_eq!(
            occurrence_id(series, &last, day(2026, 12, 30)),
            occurrence_id(series, &last, day(2026, 12, 31))
        );
        assert_ne!(
            occurrence_id(series, &last, day(2026, 12, 31)),
            occurrence_id(series, &last, day(2027, 1, 29))
        );
        let daily = Repeat::Daily;
        assert_ne!(
            occurrence_id(series, &daily, day(2026, 12, 30)),
            occurrence_id(series, &daily, day(2026, 12, 31))
        );
    }
}
