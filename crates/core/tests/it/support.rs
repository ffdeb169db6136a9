use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Budapest;
use duly_core::clock::ManualClock;
use duly_core::model::{Colleague, ColleagueInput, CustomerInput, CustomerKind, Role, WriteCtx};
use duly_core::views::Viewer;
use duly_core::{Store, StoreOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub me: Colleague,
}

impl Fixture {
    pub fn ctx(&self) -> WriteCtx {
        WriteCtx::window(self.me.id)
    }

    pub fn viewer(&self) -> Viewer {
        Viewer { colleague: self.me.id, tz: Budapest, now: self.clock.now_value() }
    }

    pub async fn colleague(&self, name: &str) -> Colleague {
        let input =
            ColleagueInput { name: name.into(), email: String::new(), role: Role::Member, active: true };
        self.store.create_colleague(self.ctx(), input).await.expect("colleague")
    }

    pub async fn customer(&self, name: &str) -> duly_core::model::Customer {
        self.store
            .create_customer(self.ctx(), CustomerInput::named(name, CustomerKind::Company))
            .await
            .expect("customer")
    }

    /// Row counts of every table a write touches, read straight from the file.
    pub async fn counts(&self) -> Vec<(String, i64)> {
        let path = self.dir.path().join("duly.db");
        let mut conn =
            SqliteConnectOptions::new().filename(path).read_only(true).connect().await.expect("open");
        let mut counts = Vec::new();
        for table in [
            "customers",
            "projects",
            "tasks",
            "task_watchers",
            "comments",
            "comment_keywords",
            "history",
            "outbox",
            "search_docs",
            "colleagues",
            "keywords",
            "customer_statuses",
        ] {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            let count: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut conn).await.expect("count");
            counts.push((table.to_owned(), count));
        }
        conn.close().await.expect("close");
        counts
    }
}

pub trait NowValue {
    fn now_value(&self) -> DateTime<Utc>;
}

impl NowValue for ManualClock {
    fn now_value(&self) -> DateTime<Utc> {
        duly_core::clock::Clock::now(self)
    }
}

/// A local time in Budapest as UTC.
pub fn budapest(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Budapest
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("unambiguous local time")
        .with_timezone(&Utc)
}

pub async fn fixture() -> Fixture {
    fixture_at(budapest(2026, 3, 10, 10, 0)).await
}

pub async fn fixture_at(now: DateTime<Utc>) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(now));
    let options =
        StoreOptions { clock: clock.clone(), background_maintenance: false, ..StoreOptions::default() };
    let store = Store::open_with(dir.path().join("duly.db"), options).await.expect("open store");
    let me = store
        .create_profile(ColleagueInput {
            name: "Kiss Anna".into(),
            email: "anna@example.hu".into(),
            role: Role::Admin,
            active: true,
        })
        .await
        .expect("profile");
    Fixture { dir, store, clock, me }
}
