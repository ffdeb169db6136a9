//! T12: the task lists a colleague works from, computed for a viewer's time zone and instant.

mod customer_page;
mod list;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use customer_page::{CustomerPage, TimelineEntry};
pub use list::{TaskFilter, TaskSort};

use crate::error::Result;
use crate::model::{Due, Priority, TaskStatus};
use crate::store::{Store, codec};

/// Who is looking, where, and when: "today" and "overdue" depend on all three.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewer {
    pub colleague: Uuid,
    pub tz: Tz,
    pub now: DateTime<Utc>,
}

impl Viewer {
    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.tz).date_naive()
    }

    /// The first instant of a local day, in UTC. Midnight can be skipped by a clock change in
    /// some zones; then the day starts at the first instant that exists.
    pub fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        let mut time = NaiveTime::MIN;
        for _ in 0..4 {
            if let Some(start) = self.tz.from_local_datetime(&day.and_time(time)).earliest() {
                return start.with_timezone(&Utc);
            }
            time += chrono::Duration::minutes(30);
        }
        day.and_time(NaiveTime::MIN).and_utc()
    }

    pub fn is_overdue(&self, due: Due) -> bool {
        match due {
            Due::Day(day) => day < self.today(),
            Due::At(at) => at < self.now,
        }
    }

    /// When a due falls, for ordering: a day-only due counts as the end of that local day.
    fn due_instant(&self, due: Due) -> DateTime<Utc> {
        match due {
            Due::At(at) => at,
            Due::Day(day) => self.start_of(day + Days::new(1)) - chrono::Duration::microseconds(1),
        }
    }
}

/// A row of every task list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TaskSummary {
    pub id: Uuid,
    pub title: String,
    pub customer_id: Option<Uuid>,
    pub customer_name: Option<String>,
    pub project_id: Option<Uuid>,
    pub responsible_id: Uuid,
    pub responsible_name: String,
    pub creator_id: Uuid,
    pub status: TaskStatus,
    pub priority: Priority,
    pub due: Option<Due>,
    pub overdue: bool,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// One row of a task list, as SQLite's `json_object` writes it. Lists come back as one JSON
/// array in one row: a row per task would cost a round trip to the SQLite thread each.
#[derive(serde::Deserialize)]
pub(crate) struct SummaryRow {
    pub id: String,
    pub title: String,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub project_id: Option<String>,
    pub responsible_id: String,
    pub responsible_name: String,
    pub creator_id: String,
    pub status: String,
    pub priority: String,
    pub due_date: Option<String>,
    pub due_at: Option<String>,
    pub created_at: String,
    pub completed_at: Option<String>,
}

impl SummaryRow {
    fn into_summary(self, viewer: &Viewer, today: NaiveDate) -> Result<TaskSummary> {
        let due = match (self.due_at.as_deref(), self.due_date.as_deref()) {
            (Some(at), _) => Some(Due::At(codec::parse_ts(at)?)),
            (None, Some(day)) => Some(Due::Day(codec::parse_day(day)?)),
            (None, None) => None,
        };
        let status = codec::word(&self.status, TaskStatus::parse)?;
        Ok(TaskSummary {
            id: codec::id(&self.id)?,
            title: self.title,
            customer_id: codec::opt_id(self.customer_id.as_deref())?,
            customer_name: self.customer_name,
            project_id: codec::opt_id(self.project_id.as_deref())?,
            responsible_id: codec::id(&self.responsible_id)?,
            responsible_name: self.responsible_name,
            creator_id: codec::id(&self.creator_id)?,
            status,
            priority: codec::word(&self.priority, Priority::parse)?,
            overdue: status.is_open()
                && due.is_some_and(|due| match due {
                    Due::Day(day) => day < today,
                    Due::At(at) => at < viewer.now,
                }),
            due,
            created_at: codec::parse_ts(&self.created_at)?,
            completed_at: codec::opt_ts(self.completed_at.as_deref())?,
        })
    }
}

fn summaries(rows: String, viewer: &Viewer) -> Result<Vec<TaskSummary>> {
    let rows: Vec<SummaryRow> = codec::from_json(&rows)?;
    let today = viewer.today();
    rows.into_iter().map(|row| row.into_summary(viewer, today)).collect()
}

/// Overdue first; then by when it falls due (no due last); then the more urgent first.
pub fn working_order(viewer: &Viewer, tasks: &mut [TaskSummary]) {
    // Keys are computed once per task: a due's instant needs a time-zone conversion.
    tasks.sort_by_cached_key(|t| {
        let due = t.due.map_or(DateTime::<Utc>::MAX_UTC, |d| viewer.due_instant(d));
        (!t.overdue, due, std::cmp::Reverse(t.priority), t.title.clone())
    });
}

impl Store {
    /// Today (C8, rule 6): my open tasks due today or earlier, in working order.
    pub async fn today(&self, viewer: &Viewer) -> Result<Vec<TaskSummary>> {
        let today = viewer.today();
        let me = viewer.colleague.to_string();
        // Timed dues are indexed by their UTC day, which is at most one day after the local one.
        let day_bound = codec::day(today + Days::new(1));
        let today_text = codec::day(today);
        let tomorrow_starts = codec::ts(viewer.start_of(today + Days::new(1)));
        let rows = sqlx::query_scalar!(
            r#"SELECT json_group_array(json_object('id', t.id, 'title', t.title, 'customer_id', t.customer_id,
                      'customer_name', c.name, 'project_id', t.project_id, 'responsible_id', t.responsible_id,
                      'responsible_name', r.name, 'creator_id', t.creator_id, 'status', t.status,
                      'priority', t.priority, 'due_date', t.due_date, 'due_at', t.due_at,
                      'created_at', t.created_at, 'completed_at', t.completed_at)) AS "rows!: String"
               FROM tasks t JOIN colleagues r ON r.id = t.responsible_id
               LEFT JOIN customers c ON c.id = t.customer_id
               WHERE t.responsible_id = ?1 AND t.status IN ('open', 'in_progress', 'waiting')
                 AND t.deleted_at IS NULL AND t.due_date <= ?2
                 AND ((t.due_at IS NULL AND t.due_date <= ?3) OR t.due_at < ?4)"#,
            me,
            day_bound,
            today_text,
            tomorrow_starts
        )
        .fetch_one(self.reader())
        .await?;
        let mut tasks = summaries(rows, viewer)?;
        working_order(viewer, &mut tasks);
        Ok(tasks)
    }

    /// My tasks: every open task I am responsible for.
    pub async fn my_tasks(&self, viewer: &Viewer) -> Result<Vec<TaskSummary>> {
        self.by_colleague(viewer, viewer.colleague).await
    }

    /// A colleague's open tasks (the "by colleague" view).
    pub async fn by_colleague(&self, viewer: &Viewer, colleague: Uuid) -> Result<Vec<TaskSummary>> {
        let key = colleague.to_string();
        let rows = sqlx::query_scalar!(
            r#"SELECT json_group_array(json_object('id', t.id, 'title', t.title, 'customer_id', t.customer_id,
                      'customer_name', c.name, 'project_id', t.project_id, 'responsible_id', t.responsible_id,
                      'responsible_name', r.name, 'creator_id', t.creator_id, 'status', t.status,
                      'priority', t.priority, 'due_date', t.due_date, 'due_at', t.due_at,
                      'created_at', t.created_at, 'completed_at', t.completed_at)) AS "rows!: String"
               FROM tasks t JOIN colleagues r ON r.id = t.responsible_id
               LEFT JOIN customers c ON c.id = t.customer_id
               WHERE t.responsible_id = ?1 AND t.status IN ('open', 'in_progress', 'waiting')
                 AND t.deleted_at IS NULL"#,
            key
        )
        .fetch_one(self.reader())
        .await?;
        let mut tasks = summaries(rows, viewer)?;
        working_order(viewer, &mut tasks);
        Ok(tasks)
    }

    /// Delegated by me: open tasks I set for someone else.
    pub async fn delegated(&self, viewer: &Viewer) -> Result<Vec<TaskSummary>> {
        let me = viewer.colleague.to_string();
        let rows = sqlx::query_scalar!(
            r#"SELECT json_group_array(json_object('id', t.id, 'title', t.title, 'customer_id', t.customer_id,
                      'customer_name', c.name, 'project_id', t.project_id, 'responsible_id', t.responsible_id,
                      'responsible_name', r.name, 'creator_id', t.creator_id, 'status', t.status,
                      'priority', t.priority, 'due_date', t.due_date, 'due_at', t.due_at,
                      'created_at', t.created_at, 'completed_at', t.completed_at)) AS "rows!: String"
               FROM tasks t JOIN colleagues r ON r.id = t.responsible_id
               LEFT JOIN customers c ON c.id = t.customer_id
               WHERE t.creator_id = ?1 AND t.responsible_id <> ?1
                 AND t.status IN ('open', 'in_progress', 'waiting') AND t.deleted_at IS NULL"#,
            me
        )
        .fetch_one(self.reader())
        .await?;
        let mut tasks = summaries(rows, viewer)?;
        working_order(viewer, &mut tasks);
        Ok(tasks)
    }

    /// Watching: open tasks I watch.
    pub async fn watching(&self, viewer: &Viewer) -> Result<Vec<TaskSummary>> {
        let me = viewer.colleague.to_string();
        let rows = sqlx::query_scalar!(
            r#"SELECT json_group_array(json_object('id', t.id, 'title', t.title, 'customer_id', t.customer_id,
                      'customer_name', c.name, 'project_id', t.project_id, 'responsible_id', t.responsible_id,
                      'responsible_name', r.name, 'creator_id', t.creator_id, 'status', t.status,
                      'priority', t.priority, 'due_date', t.due_date, 'due_at', t.due_at,
                      'created_at', t.created_at, 'completed_at', t.completed_at)) AS "rows!: String"
               FROM task_watchers w JOIN tasks t ON t.id = w.task_id
               JOIN colleagues r ON r.id = t.responsible_id
               LEFT JOIN customers c ON c.id = t.customer_id
               WHERE w.colleague_id = ?1 AND t.status IN ('open', 'in_progress', 'waiting')
                 AND t.deleted_at IS NULL"#,
            me
        )
        .fetch_one(self.reader())
        .await?;
        let mut tasks = summaries(rows, viewer)?;
        working_order(viewer, &mut tasks);
        Ok(tasks)
    }

    /// Every task of a customer, open or finished, open ones first.
    pub async fn by_customer(&self, viewer: &Viewer, customer: Uuid) -> Result<Vec<TaskSummary>> {
        let key = customer.to_string();
        let rows = sqlx::query_scalar!(
            r#"SELECT json_group_array(json_object('id', t.id, 'title', t.title, 'customer_id', t.customer_id,
                      'customer_name', c.name, 'project_id', t.project_id, 'responsible_id', t.responsible_id,
                      'responsible_name', r.name, 'creator_id', t.creator_id, 'status', t.status,
                      'priority', t.priority, 'due_date', t.due_date, 'due_at', t.due_at,
                      'created_at', t.created_at, 'completed_at', t.completed_at)) AS "rows!: String"
               FROM tasks t JOIN colleagues r ON r.id = t.responsible_id
               LEFT JOIN customers c ON c.id = t.customer_id
               WHERE t.customer_id = ?1 AND t.deleted_at IS NULL"#,
            key
        )
        .fetch_one(self.reader())
        .await?;
        let mut tasks = summaries(rows, viewer)?;
        working_order(viewer, &mut tasks);
        tasks.sort_by_key(|t| !t.status.is_open());
        Ok(tasks)
    }

    /// Tasks in one status, the soonest due first, at most `limit`.
    pub async fn by_status(
        &self,
        viewer: &Viewer,
        status: TaskStatus,
        limit: u32,
    ) -> Result<Vec<TaskSummary>> {
        let (key, limit) = (status.as_str(), i64::from(limit));
        let rows = sqlx::query_scalar!(
            r#"SELECT json_group_array(json_object('id', t.id, 'title', t.title, 'customer_id', t.customer_id,
                      'customer_name', c.name, 'project_id', t.project_id, 'responsible_id', t.responsible_id,
                      'responsible_name', r.name, 'creator_id', t.creator_id, 'status', t.status,
                      'priority', t.priority, 'due_date', t.due_date, 'due_at', t.due_at,
                      'created_at', t.created_at, 'completed_at', t.completed_at)) AS "rows!: String"
               FROM (SELECT * FROM tasks WHERE status = ?1 AND deleted_at IS NULL
                     ORDER BY due_date IS NULL, due_date, due_at LIMIT ?2) t
               JOIN colleagues r ON r.id = t.responsible_id
               LEFT JOIN customers c ON c.id = t.customer_id"#,
            key,
            limit
        )
        .fetch_one(self.reader())
        .await?;
        let mut tasks = summaries(rows, viewer)?;
        working_order(viewer, &mut tasks);
        Ok(tasks)
    }
}
