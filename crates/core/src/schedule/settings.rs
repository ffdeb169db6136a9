//! What the scheduler may say and when: this installation's choices (local, never synced).
//! The company's working days are in `store/calendar.rs` (synced).

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::model::{Source, WriteCtx};
use crate::store::{Store, codec};

/// A switch per kind of notice, the daily routine's times, quiet hours and a pause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct NotifySettings {
    pub reminders: bool,
    pub due_soon: bool,
    pub morning_digest: bool,
    pub end_of_day_review: bool,
    pub assigned: bool,
    pub completed: bool,
    pub comments: bool,
    /// How long before a timed due "due soon" is said.
    pub due_soon_minutes: u32,
    pub digest_time: NaiveTime,
    pub review_time: NaiveTime,
    /// Nothing is shown from `quiet_from` to `quiet_to` (may wrap past midnight); what falls
    /// due meanwhile is shown when they end.
    pub quiet_from: Option<NaiveTime>,
    pub quiet_to: Option<NaiveTime>,
    pub paused_until: Option<DateTime<Utc>>,
}

impl Default for NotifySettings {
    fn default() -> Self {
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        Self {
            reminders: true,
            due_soon: true,
            morning_digest: true,
            end_of_day_review: true,
            assigned: true,
            completed: true,
            comments: true,
            due_soon_minutes: 60,
            digest_time: at(8, 30),
            review_time: at(16, 30),
            quiet_from: None,
            quiet_to: None,
            paused_until: None,
        }
    }
}

impl NotifySettings {
    pub fn is_quiet(&self, local: NaiveTime) -> bool {
        match (self.quiet_from, self.quiet_to) {
            (Some(from), Some(to)) if from <= to => from <= local && local < to,
            (Some(from), Some(to)) => local >= from || local < to,
            _ => false,
        }
    }

    fn validate(&self) -> Result<()> {
        if self.due_soon_minutes == 0 || self.due_soon_minutes > 7 * 24 * 60 {
            return Err(CoreError::Invalid {
                field: "due_soon_minutes",
                reason: "must be 1 minute to 7 days",
            });
        }
        if self.quiet_from.is_some() != self.quiet_to.is_some()
            || (self.quiet_from.is_some() && self.quiet_from == self.quiet_to)
        {
            return Err(CoreError::Invalid {
                field: "quiet_to",
                reason: "quiet hours need a different start and end",
            });
        }
        // The review closes the day the digest opened: before it, the digest would never come.
        if self.review_time <= self.digest_time {
            return Err(CoreError::Invalid {
                field: "review_time",
                reason: "the review comes after the morning digest",
            });
        }
        Ok(())
    }
}

const NOTIFY_KEY: &str = "pref.notify";

impl Store {
    pub async fn notify_settings(&self) -> Result<NotifySettings> {
        let text = sqlx::query_scalar!("SELECT value FROM meta WHERE key = ?", NOTIFY_KEY)
            .fetch_optional(self.reader())
            .await?;
        text.map_or_else(|| Ok(NotifySettings::default()), |t| codec::from_json(&t))
    }

    /// Saves the switches and times. The pause is kept as stored: only
    /// [`Store::pause_notifications`] moves it, so a settings page opened before a pause from
    /// the tray cannot undo it. Returns what is saved.
    pub async fn set_notify_settings(&self, settings: &NotifySettings) -> Result<NotifySettings> {
        settings.validate()?;
        self.update_notify(|stored| NotifySettings { paused_until: stored.paused_until, ..settings.clone() })
            .await
    }

    /// "Pause notifications for 1 hour" and the like; `None` resumes.
    pub async fn pause_notifications(&self, until: Option<DateTime<Utc>>) -> Result<NotifySettings> {
        self.update_notify(|stored| NotifySettings { paused_until: until, ..stored }).await
    }

    /// Reads and writes the settings in one transaction, so two writers cannot lose each other's change.
    async fn update_notify(
        &self,
        change: impl FnOnce(NotifySettings) -> NotifySettings,
    ) -> Result<NotifySettings> {
        let mut w = self.begin(WriteCtx { actor: uuid::Uuid::nil(), source: Source::Window }).await?;
        let text = sqlx::query_scalar!("SELECT value FROM meta WHERE key = ?", NOTIFY_KEY)
            .fetch_optional(&mut *w.tx)
            .await?;
        let stored = text.map_or_else(|| Ok(NotifySettings::default()), |t| codec::from_json(&t))?;
        let new = change(stored);
        let value = codec::json(&new)?;
        sqlx::query!("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", NOTIFY_KEY, value)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(new)
    }
}
