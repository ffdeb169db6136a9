//! T12: the task lists a colleague works from, computed for a viewer's time zone and instant.

mod customer_page;
mod list;
mod rows;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use customer_page::{CustomerPage, TimelineEntry};
pub use list::{TaskFilter, TaskSort};

use crate::error::Result;
use crate::model::{Due, Priority, TaskStatus};
use crate::store::{Store, codec};
use rows::list_rows;

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

/// Overdue first; then by when it falls due (no due last); then the more urgent first; then by
/// title. Ties keep their order.
pub fn working_order(viewer: &Viewer, tasks: &mut Vec<TaskSummary>) {
    let keys = rows::working_keys(viewer, tasks);
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        keys[a].cmp(&keys[b]).then_with(|| tasks[a].title.cmp(&tasks[b].title)).then(a.cmp(&b))
    });
    let mut slots: Vec<Option<TaskSummary>> = tasks.drain(..).map(Some).collect();
    tasks.extend(order.into_iter().filter_map(|index| slots[index].take()));
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
        let rows: String = sqlx::query_scalar(concat!(
            "SELECT ",
            list_rows!("NULL"),
            "
               FROM tasks t
               WHERE t.responsible_id = ?1 AND t.status IN ('open', 'in_progress', 'waiting')
                 AND t.deleted_at IS NULL AND t.due_date <= ?2
                 AND ((t.due_at IS NULL AND t.due_date <= ?3) OR t.due_at < ?4)"
        ))
        .bind(me)
        .bind(day_bound)
        .bind(today_text)
        .bind(tomorrow_starts)
        .fetch_one(self.reader())
        .await?;
        let mut tasks = self.summaries(&rows, viewer).await?;
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
        let rows: String = sqlx::query_scalar(concat!(
            "SELECT ",
            list_rows!("NULL"),
            "
               FROM tasks t
               WHERE t.responsible_id = ?1 AND t.status IN ('open', 'in_progress', 'waiting')
                 AND t.deleted_at IS NULL"
        ))
        .bind(key)
        .fetch_one(self.reader())
        .await?;
        let mut tasks = self.summaries(&rows, viewer).await?;
        working_order(viewer, &mut tasks);
        Ok(tasks)
    }

    /// Delegated by me: open tasks I set for someone else.
    pub async fn delegated(&self, viewer: &Viewer) -> Result<Vec<TaskSummary>> {
        let me = viewer.colleague.to_string();
        let rows: String = sqlx::query_scalar(concat!(
            "SELECT ",
            list_rows!("NULL"),
            "
               FROM tasks t
               WHERE t.creator_id = ?1 AND t.responsible_id <> ?1
                 AND t.status IN ('open', 'in_progress', 'waiting') AND t.deleted_at IS NULL"
        ))
        .bind(me)
        .fetch_one(self.reader())
        .await?;
        let mut tasks = self.summaries(&rows, viewer).await?;
        working_order(viewer, &mut tasks);
        Ok(tasks)
    }

    /// Watching: open tasks I watch.
    pub async fn watching(&self, viewer: &Viewer) -> Result<Vec<TaskSummary>> {
        let me = viewer.colleague.to_string();
        let rows: String = sqlx::query_scalar(concat!(
            "SELECT ",
            list_rows!("t.completed_at"),
            "
               FROM task_watchers w JOIN tasks t ON t.id = w.task_id
               WHERE w.colleague_id = ?1 AND t.status IN ('open', 'in_progress', 'waiting')
                 AND t.deleted_at IS NULL"
        ))
        .bind(me)
        .fetch_one(self.reader())
        .await?;
        let mut tasks = self.summaries(&rows, viewer).await?;
        working_order(viewer, &mut tasks);
        Ok(tasks)
    }

    /// Every task of a customer, open or finished, open ones first.
    pub async fn by_customer(&self, viewer: &Viewer, customer: Uuid) -> Result<Vec<TaskSummary>> {
        let key = customer.to_string();
        let rows: String = sqlx::query_scalar(concat!(
            "SELECT ",
            list_rows!("t.completed_at"),
            "
               FROM tasks t
               WHERE t.customer_id = ?1 AND t.deleted_at IS NULL"
        ))
        .bind(key)
        .fetch_one(self.reader())
        .await?;
        let mut tasks = self.summaries(&rows, viewer).await?;
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
        let rows: String = sqlx::query_scalar(concat!(
            "SELECT ",
            list_rows!("t.completed_at"),
            "
               FROM (SELECT * FROM tasks WHERE status = ?1 AND deleted_at IS NULL
                     ORDER BY due_date IS NULL, due_date, due_at LIMIT ?2) t"
        ))
        .bind(key)
        .bind(limit)
        .fetch_one(self.reader())
        .await?;
        let mut tasks = self.summaries(&rows, viewer).await?;
        working_order(viewer, &mut tasks);
        Ok(tasks)
    }
}
