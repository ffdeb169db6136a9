//! N4: what the tray shows, as data: the count, whether anything is overdue, and up to ten of
//! my tasks for today, overdue first. The shell builds its menu from this; tests read it.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::text::{Lang, tray_tooltip, tray_words};
use crate::error::Result;
use crate::store::Store;
use crate::views::Viewer;

pub const TRAY_ITEMS_MAX: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TrayItem {
    pub task_id: Uuid,
    pub label: String,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TrayModel {
    /// Today's and overdue tasks, all of them (the items stop at ten).
    pub count: u32,
    pub overdue: u32,
    pub tooltip: String,
    pub items: Vec<TrayItem>,
    pub paused: bool,
    /// The fixed entries, in menu order: quick add, open, pause or resume, quit.
    pub quick_add: String,
    pub open: String,
    pub pause: String,
    pub quit: String,
    /// Shown instead of items when there are none.
    pub empty: String,
}

impl TrayModel {
    pub async fn build(store: &Store, me: Uuid, tz: Tz, lang: Lang) -> Result<Self> {
        let now = store.now();
        let today = store.today(&Viewer { colleague: me, tz, now }).await?;
        let words = tray_words(lang);
        let overdue = today.iter().filter(|t| t.overdue).count();
        let items = today
            .iter()
            .take(TRAY_ITEMS_MAX)
            .map(|t| {
                let mut label = t.title.clone();
                if let Some(customer) = &t.customer_name {
                    label = format!("{label} · {customer}");
                }
                if t.overdue {
                    label = format!("{label} ({})", words.overdue_mark);
                }
                TrayItem { task_id: t.id, label, overdue: t.overdue }
            })
            .collect();
        let paused = store.notify_settings().await?.paused_until.is_some_and(|until| until > now);
        Ok(Self {
            count: today.len() as u32,
            overdue: overdue as u32,
            tooltip: tray_tooltip(lang, today.len(), overdue),
            items,
            paused,
            quick_add: words.quick_add.into(),
            open: words.open.into(),
            pause: if paused { words.resume.into() } else { words.pause.into() },
            quit: words.quit.into(),
            empty: words.nothing_today.into(),
        })
    }
}
