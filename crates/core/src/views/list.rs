//! Sorting and filtering any task list (T12). The lists are one colleague's or one customer's
//! tasks, small enough to shape in memory after one indexed read.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{TaskSummary, Viewer, rows, working_order};
use crate::model::{Priority, TaskStatus};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TaskSort {
    /// Overdue first, then by due, then by priority.
    #[default]
    Working,
    Due,
    Priority,
    Title,
    Customer,
    Created,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TaskFilter {
    #[serde(default)]
    pub customer_id: Option<Uuid>,
    #[serde(default)]
    pub responsible_id: Option<Uuid>,
    #[serde(default)]
    pub statuses: Vec<TaskStatus>,
    #[serde(default)]
    pub min_priority: Option<Priority>,
    #[serde(default)]
    pub overdue_only: bool,
    /// Words that must all appear in the title or the customer's name, any case.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub sort: TaskSort,
    #[serde(default)]
    pub descending: bool,
}

impl TaskFilter {
    pub fn apply(&self, viewer: &Viewer, mut tasks: Vec<TaskSummary>) -> Vec<TaskSummary> {
        let words: Vec<String> =
            self.text.as_deref().unwrap_or("").split_whitespace().map(str::to_lowercase).collect();
        tasks.retain(|t| {
            self.customer_id.is_none_or(|c| t.customer_id == Some(c))
                && self.responsible_id.is_none_or(|r| t.responsible_id == r)
                && (self.statuses.is_empty() || self.statuses.contains(&t.status))
                && self.min_priority.is_none_or(|p| t.priority >= p)
                && (!self.overdue_only || t.overdue)
                && (words.is_empty() || {
                    let haystack =
                        format!("{} {}", t.title, t.customer_name.as_deref().unwrap_or("")).to_lowercase();
                    words.iter().all(|w| haystack.contains(w.as_str()))
                })
        });
        match self.sort {
            // A view's list comes in working order already: sorting it again would only cost.
            TaskSort::Working => {
                if !rows::in_working_order(viewer, &tasks) {
                    working_order(viewer, &mut tasks);
                }
            }
            TaskSort::Due => {
                working_order(viewer, &mut tasks);
                tasks.sort_by_key(|t| t.due.is_none());
            }
            TaskSort::Priority => tasks.sort_by_key(|t| std::cmp::Reverse(t.priority)),
            TaskSort::Title => tasks.sort_by_cached_key(|t| t.title.to_lowercase()),
            TaskSort::Customer => {
                tasks.sort_by_cached_key(|t| t.customer_name.as_deref().unwrap_or("").to_lowercase())
            }
            TaskSort::Created => tasks.sort_by_key(|t| t.created_at),
        }
        if self.descending {
            tasks.reverse();
        }
        tasks
    }
}
