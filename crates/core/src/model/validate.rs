//! Input rules that need no store. Rules that need the store (references exist, keywords
//! exist) live beside the writes.

use crate::error::{CoreError, Result};
use crate::model::{
    Availability, ChecklistItem, Contact, CustomerInput, ProjectInput, RecurrenceEnd, RecurrenceRule, Repeat,
    TaskInput,
};

pub const NAME_MAX: usize = 200;
pub const TITLE_MAX: usize = 300;
pub const SHORT_MAX: usize = 500;
pub const TEXT_MAX: usize = 100_000;
pub const LIST_MAX: usize = 200;

pub fn required(field: &'static str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(CoreError::Invalid { field, reason: "must not be empty" });
    }
    limit(field, value, max)
}

pub fn limit(field: &'static str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(CoreError::TooLong { field, max });
    }
    Ok(())
}

fn list<T>(field: &'static str, items: &[T]) -> Result<()> {
    if items.len() > LIST_MAX {
        return Err(CoreError::TooLong { field, max: LIST_MAX });
    }
    Ok(())
}

pub fn color(value: &str) -> Result<()> {
    let ok = value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok { Ok(()) } else { Err(CoreError::Invalid { field: "color", reason: "must be #rrggbb" }) }
}

pub fn customer(input: &CustomerInput) -> Result<()> {
    required("name", &input.name, NAME_MAX)?;
    list("contacts", &input.contacts)?;
    list("emails", &input.emails)?;
    list("phones", &input.phones)?;
    for Contact { name, role, email, phone } in &input.contacts {
        required("contacts.name", name, NAME_MAX)?;
        limit("contacts.role", role, NAME_MAX)?;
        limit("contacts.email", email, NAME_MAX)?;
        limit("contacts.phone", phone, NAME_MAX)?;
    }
    for email in &input.emails {
        required("emails", email, NAME_MAX)?;
    }
    for phone in &input.phones {
        required("phones", phone, NAME_MAX)?;
    }
    limit("address", &input.address, SHORT_MAX)?;
    limit("tax_number", &input.tax_number, NAME_MAX)?;
    limit("website", &input.website, SHORT_MAX)?;
    limit("notes", &input.notes, TEXT_MAX)
}

pub fn project(input: &ProjectInput) -> Result<()> {
    required("name", &input.name, NAME_MAX)?;
    list("milestones", &input.milestones)?;
    for milestone in &input.milestones {
        required("milestones.name", &milestone.name, NAME_MAX)?;
    }
    Ok(())
}

pub fn task(input: &TaskInput) -> Result<()> {
    required("title", &input.title, TITLE_MAX)?;
    if input.responsible_id.is_none() {
        return Err(CoreError::ResponsibleRequired);
    }
    limit("description", &input.description, TEXT_MAX)?;
    list("watchers", &input.watchers)?;
    list("checklist", &input.checklist)?;
    list("attachments", &input.attachments)?;
    for ChecklistItem { text, .. } in &input.checklist {
        required("checklist", text, SHORT_MAX)?;
    }
    for attachment in &input.attachments {
        let hash_ok =
            attachment.sha256.len() == 64 && attachment.sha256.chars().all(|c| c.is_ascii_hexdigit());
        if !hash_ok {
            return Err(CoreError::Invalid { field: "attachments.sha256", reason: "must be 64 hex digits" });
        }
        required("attachments.file_name", &attachment.file_name, NAME_MAX)?;
    }
    if let Some(recurrence) = &input.recurrence {
        if input.due.is_none() {
            return Err(CoreError::Invalid {
                field: "recurrence",
                reason: "a repeating task needs a due date",
            });
        }
        recurrence_rule(&recurrence.rule)?;
        if let Some(zone) = &recurrence.time_zone
            && zone.parse::<chrono_tz::Tz>().is_err()
        {
            return Err(CoreError::Invalid {
                field: "recurrence.time_zone",
                reason: "not a known time zone",
            });
        }
    }
    Ok(())
}

/// T9: a rule the scheduler can always step through.
pub fn recurrence_rule(rule: &RecurrenceRule) -> Result<()> {
    let bad = |reason| Err(CoreError::Invalid { field: "recurrence", reason });
    if rule.interval == 0 || rule.interval > 999 {
        return bad("the interval must be 1–999");
    }
    match &rule.repeat {
        Repeat::Daily => {}
        Repeat::Weekly { days } if days.is_empty() => return bad("a weekly rule needs at least one day"),
        Repeat::Weekly { .. } => {}
        Repeat::MonthlyOnDay { day } if !(1..=31).contains(day) => {
            return bad("the day of the month must be 1–31");
        }
        Repeat::MonthlyOnDay { .. } => {}
        Repeat::MonthlyWorkingDay { nth } if *nth == 0 || !(-1..=23).contains(nth) => {
            return bad("the working day must be 1–23, or −1 for the last");
        }
        Repeat::MonthlyWorkingDay { .. } => {}
        Repeat::Yearly { month, day } => {
            let valid = chrono::NaiveDate::from_ymd_opt(2024, u32::from(*month), u32::from(*day)).is_some();
            if !valid {
                return bad("no such day of the year");
            }
        }
    }
    match rule.ends {
        RecurrenceEnd::AfterCount { count } if count == 0 || count > 10_000 => {
            bad("the count must be 1–10000")
        }
        _ if rule.create_ahead_days.is_some_and(|d| d > 366) => bad("create ahead at most 366 days"),
        _ => Ok(()),
    }
}

/// T14: absences must be periods, the deputy someone else.
pub fn availability(colleague: uuid::Uuid, availability: &Availability) -> Result<()> {
    if availability.work_start >= availability.work_end {
        return Err(CoreError::Invalid { field: "availability.work_end", reason: "must be after the start" });
    }
    list("availability.absences", &availability.absences)?;
    for absence in &availability.absences {
        if absence.from > absence.to {
            return Err(CoreError::Invalid {
                field: "availability.absences",
                reason: "an absence ends before it starts",
            });
        }
        limit("availability.absences.note", &absence.note, SHORT_MAX)?;
    }
    if availability.deputy_id == Some(colleague) {
        return Err(CoreError::Invalid {
            field: "availability.deputy_id",
            reason: "a colleague can't be their own deputy",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_characters_not_bytes() {
        let accented = "é".repeat(TITLE_MAX);
        assert!(limit("title", &accented, TITLE_MAX).is_ok());
        assert!(limit("title", &format!("{accented}é"), TITLE_MAX).is_err());
    }

    #[test]
    fn colour_must_be_hex() {
        assert!(color("#a1b2c3").is_ok());
        assert!(color("red").is_err());
        assert!(color("#12345g").is_err());
    }
}
