//! Reading list rows cheaply (issue 15): a list is one JSON array of arrays, read from the
//! covering indexes of migration 0009 with no join; it is decoded borrowing from that text,
//! and the customers' and colleagues' names come from one look-up per distinct id, not a join
//! per row.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::{TaskSummary, Viewer};
use crate::error::{CoreError, Result};
use crate::model::{Due, Priority, TaskStatus};
use crate::store::{Store, codec};

/// The aggregate that gives a list's rows, in [`Row`]'s order, over tasks `t`. The open lists
/// pass `NULL` for `completed_at` (never set on an open task, and not in their index).
macro_rules! list_rows {
    ($completed_at:literal) => {
        concat!(
            "json_group_array(json_array(t.id, t.title, t.customer_id, t.project_id, t.responsible_id, ",
            "t.creator_id, t.status, t.priority, t.due_date, t.due_at, t.created_at, ",
            $completed_at,
            "))"
        )
    };
}
pub(super) use list_rows;

/// One task of a list. Ids, days, instants and words are never escaped in JSON, so they are
/// borrowed as `&str`; a title may be, so it is a `Cow` that borrows when it can.
#[derive(Deserialize)]
struct Row<'a>(
    &'a str,
    #[serde(borrow)] Cow<'a, str>,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
    Option<&'a str>,
);

/// Customer and colleague names by id, for the ids in `?1` (a JSON array): primary-key
/// look-ups, one per distinct id.
const NAMES: &str = "SELECT json_group_object(id, name) FROM (
    SELECT id, name FROM customers WHERE id IN (SELECT value FROM json_each(?1))
    UNION ALL
    SELECT id, name FROM colleagues WHERE id IN (SELECT value FROM json_each(?1)))";

impl Store {
    /// Turns a list's rows (`list_rows!`) into summaries, in the order of the rows.
    pub(super) async fn summaries(&self, rows: &str, viewer: &Viewer) -> Result<Vec<TaskSummary>> {
        let rows: Vec<Row<'_>> = borrowed_json(rows)?;
        let mut ids: Vec<&str> = rows.iter().flat_map(|row| [row.4].into_iter().chain(row.2)).collect();
        ids.sort_unstable();
        ids.dedup();
        let names: String = if ids.is_empty() {
            "{}".to_owned()
        } else {
            sqlx::query_scalar(NAMES).bind(codec::json(&ids)?).fetch_one(self.reader()).await?
        };
        let names: HashMap<&str, String> = borrowed_json(&names)?;
        let today = viewer.today();
        rows.into_iter().map(|row| summary(row, &names, viewer, today)).collect()
    }
}

/// JSON decoded borrowing from the text where it can.
fn borrowed_json<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T> {
    serde_json::from_str(text).map_err(CoreError::corrupt)
}

fn summary(
    row: Row<'_>,
    names: &HashMap<&str, String>,
    viewer: &Viewer,
    today: NaiveDate,
) -> Result<TaskSummary> {
    let Row(
        id,
        title,
        customer_id,
        project_id,
        responsible_id,
        creator_id,
        status,
        priority,
        due_date,
        due_at,
        created_at,
        completed_at,
    ) = row;
    let due = match (due_at, due_date) {
        (Some(at), _) => Some(Due::At(codec::parse_ts(at)?)),
        (None, Some(day)) => Some(Due::Day(codec::parse_day(day)?)),
        (None, None) => None,
    };
    let status = codec::word(status, TaskStatus::parse)?;
    Ok(TaskSummary {
        id: codec::id(id)?,
        title: title.into_owned(),
        customer_id: codec::opt_id(customer_id)?,
        customer_name: customer_id.map(|c| names.get(c).cloned().unwrap_or_default()),
        project_id: codec::opt_id(project_id)?,
        responsible_id: codec::id(responsible_id)?,
        responsible_name: names.get(responsible_id).cloned().unwrap_or_default(),
        creator_id: codec::id(creator_id)?,
        status,
        priority: codec::word(priority, Priority::parse)?,
        overdue: status.is_open()
            && due.is_some_and(|due| match due {
                Due::Day(day) => day < today,
                Due::At(at) => at < viewer.now,
            }),
        due,
        created_at: codec::parse_ts(created_at)?,
        completed_at: codec::opt_ts(completed_at)?,
    })
}

/// The part of the working order that needs no text: overdue first, then when it falls due
/// (no due last), then the more urgent first.
type WorkingKey = (bool, DateTime<Utc>, std::cmp::Reverse<Priority>);

/// Each task's [`WorkingKey`]; a day's end is worked out once per distinct day, not per task.
pub(super) fn working_keys(viewer: &Viewer, tasks: &[TaskSummary]) -> Vec<WorkingKey> {
    let mut day_ends: HashMap<NaiveDate, DateTime<Utc>> = HashMap::new();
    tasks
        .iter()
        .map(|t| {
            let due = match t.due {
                None => DateTime::<Utc>::MAX_UTC,
                Some(Due::At(at)) => at,
                Some(day @ Due::Day(date)) => {
                    *day_ends.entry(date).or_insert_with(|| viewer.due_instant(day))
                }
            };
            (!t.overdue, due, std::cmp::Reverse(t.priority))
        })
        .collect()
}

/// Whether `tasks` are in working order already (a view's list is).
pub(super) fn in_working_order(viewer: &Viewer, tasks: &[TaskSummary]) -> bool {
    let keys = working_keys(viewer, tasks);
    (1..tasks.len())
        .all(|i| keys[i - 1].cmp(&keys[i]).then_with(|| tasks[i - 1].title.cmp(&tasks[i].title)).is_le())
}
