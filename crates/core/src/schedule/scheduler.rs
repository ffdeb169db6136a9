//! The scheduler's pass: from the local store alone (so it works offline), decide which
//! notices are due now for the person at this device, record them in the ledger, and say
//! when to look again.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::notice::{Notice, NoticeKind, NoticeTarget};
use super::settings::NotifySettings;
use crate::error::Result;
use crate::model::{Source, Weekday, WriteCtx};
use crate::store::{Store, codec};
use crate::views::Viewer;

/// A reminder missed while Duly was closed is still shown if it is at most this old.
const CATCH_UP: Duration = Duration::hours(24);
/// The longest sleep between passes; change events wake the loop sooner.
const MAX_SLEEP: Duration = Duration::seconds(60);
/// History rows looked at per pass, so a large sync never makes one pass long.
const HISTORY_WINDOW: i64 = 5_000;
/// More news than this in one pass (a first sync of a new customer) is not shown one by one,
/// but as one notice that counts it.
const NEWS_MAX: usize = 10;

#[derive(Debug)]
pub struct Pass {
    /// Newly decided and to be shown now, in ledger order.
    pub notices: Vec<Notice>,
    pub next_wake: DateTime<Utc>,
}

/// One pass at a time; the zone is the person's (the `time_zone` preference when set).
#[derive(Debug, Clone)]
pub struct Scheduler {
    store: Store,
    tz: Tz,
}

impl Scheduler {
    pub fn new(store: Store, default_tz: Tz) -> Self {
        Self { store, tz: default_tz }
    }

    pub async fn tick(&self) -> Result<Pass> {
        let chosen = self.store.preference("time_zone").await?.and_then(|name| name.parse::<Tz>().ok());
        let this = Self { store: self.store.clone(), tz: chosen.unwrap_or(self.tz) };
        this.pass().await
    }

    async fn pass(&self) -> Result<Pass> {
        let now = self.store.now();
        let idle = Pass { notices: Vec::new(), next_wake: now + MAX_SLEEP };
        let Some(me) = self.store.profile_id().await? else { return Ok(idle) };
        self.store.create_due_occurrences(me).await?;
        let settings = self.store.notify_settings().await?;
        if let Some(until) = settings.paused_until.filter(|until| *until > now) {
            return Ok(Pass { notices: Vec::new(), next_wake: until.min(now + MAX_SLEEP) });
        }
        let local = now.with_timezone(&self.tz);
        if settings.is_quiet(local.time()) {
            let end = settings.quiet_to.map_or(now + MAX_SLEEP, |to| self.next_instant(now, to));
            return Ok(Pass { notices: Vec::new(), next_wake: end.min(now + MAX_SLEEP) });
        }
        let mut decided = Vec::new();
        self.timed(me, now, &settings, &mut decided).await?;
        self.routine(me, now, &settings, &mut decided).await?;
        let known = self.watermark().await?;
        let (watermark, backlog) = self.news(me, known, &settings, &mut decided).await?;
        // Most passes decide nothing: they then write nothing (a commit costs an fsync).
        let notices = if decided.is_empty() && known == Some(watermark) {
            Vec::new()
        } else {
            self.record(now, decided, watermark).await?
        };
        // A backlog of history (a large sync) is read on at once, a window per pass.
        let next_wake = if backlog { now } else { self.next_wake(me, now, &settings).await? };
        Ok(Pass { notices, next_wake })
    }

    /// Reminder times and timed dues of my open tasks.
    async fn timed(
        &self,
        me: Uuid,
        now: DateTime<Utc>,
        settings: &NotifySettings,
        out: &mut Vec<(Notice, bool)>,
    ) -> Result<()> {
        let (me, from, now_text) = (me.to_string(), codec::ts(now - CATCH_UP), codec::ts(now));
        let reminders =
            sqlx::query!(
            "SELECT id, title, reminder_at AS \"at!: String\" FROM tasks INDEXED BY tasks_open_by_reminder
             WHERE reminder_at > ?1 AND reminder_at <= ?2 AND responsible_id = ?3
               AND status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL",
            from, now_text, me
        )
            .fetch_all(self.store.reader())
            .await?;
        for r in reminders {
            let notice = task_notice(
                NoticeKind::Reminder,
                format!("reminder:{}:{}", r.id, r.at),
                &r.id,
                r.title,
                Some(&r.at),
            )?;
            out.push((notice, settings.reminders));
        }
        let until = codec::ts(now + Duration::minutes(i64::from(settings.due_soon_minutes)));
        let due = sqlx::query!(
            "SELECT id, title, due_at AS \"at!: String\" FROM tasks INDEXED BY tasks_open_by_due_at
             WHERE due_at > ?1 AND due_at <= ?2 AND responsible_id = ?3
               AND status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL",
            now_text,
            until,
            me
        )
        .fetch_all(self.store.reader())
        .await?;
        for r in due {
            let notice = task_notice(
                NoticeKind::DueSoon,
                format!("due_soon:{}:{}", r.id, r.at),
                &r.id,
                r.title,
                Some(&r.at),
            )?;
            out.push((notice, settings.due_soon));
        }
        Ok(())
    }

    /// T13: the morning digest and the end-of-day review, on my working days.
    async fn routine(
        &self,
        me: Uuid,
        now: DateTime<Utc>,
        settings: &NotifySettings,
        out: &mut Vec<(Notice, bool)>,
    ) -> Result<()> {
        let today = now.with_timezone(&self.tz).date_naive();
        let digest_at = self.instant(today, settings.digest_time);
        let review_at = self.instant(today, settings.review_time);
        if now < digest_at {
            return Ok(());
        }
        let (kind, key) = if now < review_at {
            (NoticeKind::MorningDigest, format!("digest:{today}"))
        } else {
            (NoticeKind::EndOfDayReview, format!("review:{today}"))
        };
        let decided = sqlx::query_scalar!("SELECT 1 AS \"one!: i64\" FROM notices WHERE key = ?", key)
            .fetch_optional(self.store.reader())
            .await?
            .is_some();
        if decided || !self.works_on(me, today).await? {
            return Ok(());
        }
        let list = self.store.today(&Viewer { colleague: me, tz: self.tz, now }).await?;
        let overdue = list.iter().filter(|t| t.overdue).count() as u32;
        let open = list.len() as u32;
        if kind == NoticeKind::MorningDigest {
            let notice = routine_notice(kind, key, NoticeTarget::Today, open - overdue, overdue);
            out.push((notice, settings.morning_digest));
        } else {
            let notice = routine_notice(kind, key, NoticeTarget::Review, open, overdue);
            // Nothing left is nothing to say, but decided: a task added later today needs no review call.
            out.push((notice, settings.end_of_day_review && open > 0));
        }
        Ok(())
    }

    /// A working day of the company that is one of my working days (unless the company set
    /// that day itself, e.g. a Saturday worked for a bridge day), and I am not away.
    async fn works_on(&self, me: Uuid, day: NaiveDate) -> Result<bool> {
        let calendar = self.store.work_calendar().await?;
        if !calendar.is_working_day(day) {
            return Ok(false);
        }
        let colleagues = self.store.colleagues().await?;
        let Some(mine) = colleagues.iter().find(|c| c.id == me).map(|c| &c.availability) else {
            return Ok(true);
        };
        let my_day = calendar.is_overridden(day) || mine.work_days.contains(&Weekday::of(day));
        Ok(my_day && mine.absence_on(day).is_none())
    }

    /// N2, N3: what others did to tasks that concern me, read from the history after the
    /// watermark (local edits and synced ones alike). Returns the new watermark, and whether
    /// history goes on past it.
    async fn news(
        &self,
        me: Uuid,
        known: Option<i64>,
        settings: &NotifySettings,
        out: &mut Vec<(Notice, bool)>,
    ) -> Result<(i64, bool)> {
        let last = sqlx::query_scalar!("SELECT MAX(seq) AS \"seq: i64\" FROM history")
            .fetch_one(self.store.reader())
            .await?
            .unwrap_or(0);
        let Some(from) = known else { return Ok((last, false)) };
        let to = last.min(from + HISTORY_WINDOW);
        if to <= from {
            return Ok((from, false));
        }
        let backlog = to < last;
        let me_text = me.to_string();
        let rows =
            sqlx::query!(
            "SELECT seq AS \"seq!: i64\", entity, entity_id, kind, field, new_value, actor_id FROM history
             WHERE seq > ?1 AND seq <= ?2 AND actor_id <> ?3
               AND ((entity = 'task' AND (kind = 'created' OR field IN ('responsible_id', 'status')))
                    OR (entity = 'comment' AND kind = 'created'))
             ORDER BY seq",
            from, to, me_text
        )
            .fetch_all(self.store.reader())
            .await?;
        if rows.is_empty() {
            return Ok((to, backlog));
        }
        let names: HashMap<String, String> =
            self.store.colleagues().await?.into_iter().map(|c| (c.id.to_string(), c.name)).collect();
        let me_json = codec::json(&me_text)?;
        let mut news = Vec::new();
        for row in rows {
            let task_id = match row.entity.as_str() {
                "comment" => comment_task(row.new_value.as_deref()),
                _ => Some(row.entity_id.clone()),
            };
            let Some(task_id) = task_id else { continue };
            let Ok(task) = self.store.task(codec::id(&task_id)?).await else { continue };
            let mine = task.fields.responsible_id == Some(me);
            let watching = task.fields.watchers.contains(&me);
            // A series' next occurrence is written by whoever finished the last one: it stays
            // with the same responsible, so it is no news of an assignment.
            let next_occurrence = task.fields.recurrence.as_ref().is_some_and(|r| r.occurrence > 1);
            let kind = match (row.entity.as_str(), row.kind.as_str(), row.field.as_deref()) {
                ("task", "created", _) if mine && task.status.is_open() && !next_occurrence => {
                    NoticeKind::Assigned
                }
                ("task", _, Some("responsible_id")) if row.new_value.as_deref() == Some(me_json.as_str()) => {
                    NoticeKind::Assigned
                }
                ("task", _, Some("status"))
                    if row.new_value.as_deref() == Some("\"done\"")
                        && (task.creator_id == me || watching) =>
                {
                    NoticeKind::Completed
                }
                ("comment", _, _) if (mine || watching) && !comment_is_system(row.new_value.as_deref()) => {
                    NoticeKind::Commented
                }
                _ => continue,
            };
            let enabled = match kind {
                NoticeKind::Assigned => settings.assigned,
                NoticeKind::Completed => settings.completed,
                _ => settings.comments,
            };
            let mut notice = task_notice(
                kind,
                format!("{}:{}:{}", kind.as_str(), task_id, row.seq),
                &task_id,
                task.fields.title,
                None,
            )?;
            notice.actor_name = names.get(&row.actor_id).cloned();
            news.push((notice, enabled));
        }
        let shown = news.iter().filter(|(_, enabled)| *enabled).count();
        let burst = shown > NEWS_MAX;
        for (notice, enabled) in news {
            out.push((notice, enabled && !burst));
        }
        if burst {
            let key = format!("news_burst:{from}:{to}");
            let count = u32::try_from(shown).unwrap_or(u32::MAX);
            out.push((routine_notice(NoticeKind::NewsBurst, key, NoticeTarget::MyTasks, count, 0), true));
        }
        Ok((to, backlog))
    }

    async fn watermark(&self) -> Result<Option<i64>> {
        let text = sqlx::query_scalar!("SELECT value FROM meta WHERE key = 'schedule.history_seq'")
            .fetch_optional(self.store.reader())
            .await?;
        Ok(text.and_then(|t| t.parse().ok()))
    }

    /// Writes the decisions not made before, with the watermark, in one transaction; returns
    /// the ones to show. A key already in the ledger (an earlier pass, before a restart) is skipped.
    async fn record(
        &self,
        now: DateTime<Utc>,
        decided: Vec<(Notice, bool)>,
        watermark: i64,
    ) -> Result<Vec<Notice>> {
        let mut w = self.store.begin(WriteCtx { actor: Uuid::nil(), source: Source::Scheduler }).await?;
        let at = codec::ts(now);
        let mut shown = Vec::new();
        let mut seen = HashSet::new();
        for (notice, deliver) in decided {
            if !seen.insert(notice.key.clone()) {
                continue;
            }
            let task = match notice.target {
                NoticeTarget::Task { id } => Some(id.to_string()),
                _ => None,
            };
            let kind = notice.kind.as_str();
            let written = sqlx::query!(
                "INSERT OR IGNORE INTO notices (key, kind, task_id, decided_at, delivered) VALUES (?, ?, ?, ?, ?)",
                notice.key, kind, task, at, deliver
            )
            .execute(&mut *w.tx)
            .await?;
            if written.rows_affected() == 1 && deliver {
                shown.push(notice);
            }
        }
        let mark = watermark.to_string();
        sqlx::query!("INSERT OR REPLACE INTO meta (key, value) VALUES ('schedule.history_seq', ?)", mark)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(shown)
    }

    /// The earliest instant something could fall due: the next reminder, the next due-soon
    /// window, the digest or the review; at most a minute away.
    async fn next_wake(
        &self,
        me: Uuid,
        now: DateTime<Utc>,
        settings: &NotifySettings,
    ) -> Result<DateTime<Utc>> {
        let (me, now_text) = (me.to_string(), codec::ts(now));
        let lead = Duration::minutes(i64::from(settings.due_soon_minutes));
        let after_lead = codec::ts(now + lead);
        let reminder = sqlx::query_scalar!(
            "SELECT MIN(reminder_at) FROM tasks INDEXED BY tasks_open_by_reminder WHERE reminder_at > ?1 AND responsible_id = ?2
               AND status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL",
            now_text, me
        )
        .fetch_one(self.store.reader())
        .await?;
        let due = sqlx::query_scalar!(
            "SELECT MIN(due_at) FROM tasks INDEXED BY tasks_open_by_due_at WHERE due_at > ?1 AND responsible_id = ?2
               AND status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL",
            after_lead, me
        )
        .fetch_one(self.store.reader())
        .await?;
        let mut wake = now + MAX_SLEEP;
        if let Some(at) = reminder {
            wake = wake.min(codec::parse_ts(&at)?);
        }
        if let Some(at) = due {
            wake = wake.min(codec::parse_ts(&at)? - lead);
        }
        for time in [settings.digest_time, settings.review_time] {
            let at = self.next_instant(now, time);
            wake = wake.min(at);
        }
        Ok(wake.max(now + Duration::milliseconds(200)))
    }

    /// A local wall-clock time on a day, as an instant; a time in a summer-time gap moves past it.
    fn instant(&self, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let wall = day.and_time(time);
        self.tz
            .from_local_datetime(&wall)
            .earliest()
            .or_else(|| self.tz.from_local_datetime(&(wall + Duration::hours(1))).earliest())
            .map_or_else(|| wall.and_utc(), |at| at.with_timezone(&Utc))
    }

    /// The next instant after `now` when the local clock shows `time`.
    fn next_instant(&self, now: DateTime<Utc>, time: NaiveTime) -> DateTime<Utc> {
        let today = now.with_timezone(&self.tz).date_naive();
        let at = self.instant(today, time);
        if at > now { at } else { self.instant(today + Duration::days(1), time) }
    }
}

fn task_notice(
    kind: NoticeKind,
    key: String,
    task_id: &str,
    title: String,
    at: Option<&str>,
) -> Result<Notice> {
    Ok(Notice {
        key,
        kind,
        target: NoticeTarget::Task { id: codec::id(task_id)? },
        task_title: Some(title),
        actor_name: None,
        at: at.map(codec::parse_ts).transpose()?,
        count: 0,
        overdue: 0,
    })
}

fn routine_notice(kind: NoticeKind, key: String, target: NoticeTarget, count: u32, overdue: u32) -> Notice {
    Notice { key, kind, target, task_title: None, actor_name: None, at: None, count, overdue }
}

fn comment_task(record: Option<&str>) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(record?).ok()?;
    value.get("task_id")?.as_str().map(str::to_owned)
}

fn comment_is_system(record: Option<&str>) -> bool {
    record
        .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        .and_then(|v| v.get("system").and_then(serde_json::Value::as_bool))
        .unwrap_or(false)
}
