//! Applied migrations never change (L6): a store or server database migrated by an earlier
//! build would refuse to open ("migration N was previously applied but has been modified").
//! `migrations/applied.sha256` lists every committed migration with its hash. And a store an
//! earlier build wrote (`tests/fixtures/`) opens with today's and keeps all its data.

use sha2::{Digest, Sha256};

fn migrations() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations")
}

#[test]
fn no_applied_migration_has_changed_and_every_migration_is_listed() {
    let listed = std::fs::read_to_string(migrations().join("applied.sha256")).expect("applied.sha256");
    let mut seen = Vec::new();
    for line in listed.lines().filter(|l| !l.trim().is_empty()) {
        let (hash, path) = line.split_once("  ").expect("`<sha256>  <path>` lines");
        let text = std::fs::read(migrations().join(path)).unwrap_or_else(|_| panic!("{path} was removed"));
        assert_eq!(
            hex::encode(Sha256::digest(&text)),
            hash,
            "{path} changed after it was committed: add a new migration instead"
        );
        seen.push(path.to_owned());
    }
    for folder in ["client", "server-sqlite", "server-postgres"] {
        for entry in std::fs::read_dir(migrations().join(folder)).expect("folder") {
            let name = format!("{folder}/{}", entry.expect("entry").file_name().to_string_lossy());
            assert!(
                seen.contains(&name),
                "{name} is not in migrations/applied.sha256: add `sha256sum` of it there when you commit it"
            );
        }
    }
}

/// Ids the generator of `tests/fixtures/store-6cda5fc.db` printed (see its README).
mod old_store {
    pub const CLIENT: &str = "01a23c0d-2ef1-72f0-a2d1-ce686d41c8b2";
    pub const ME: &str = "01a23c0d-2ef3-71c8-9bcc-ede8cbdac205";
    pub const BENCE: &str = "01a23c0d-2ef4-70b6-828f-c1320c88df97";
    pub const ACME: &str = "01a23c0d-2efa-76f3-889a-638e57dee989";
    pub const EVA: &str = "01a23c0d-2efb-7169-8ce0-593018b61777";
    pub const PROJECT: &str = "01a23c0d-2efc-72d5-a922-49c7ddbb148d";
    pub const OFFER_TASK: &str = "01a23c0d-2efd-740f-b837-d50cede1b876";
    pub const CALL_TASK: &str = "01a23c0d-2efe-760a-998f-c2dc0467b65d";
    pub const MOVE_TASK: &str = "01a23c0d-2eff-7510-8d54-8a738a4f0c47";
    pub const REPORT_TASK: &str = "01a23c0d-2f00-707a-8f9c-7dc136c17853";
    pub const TRASHED_TASK: &str = "01a23c0d-2f01-71c9-886c-1667b4debde8";
    pub const TRASH_BATCH: &str = "01a23c0d-2f0a-7039-9b8e-8412687f9678";
    pub const KEYWORD_OFFER: &str = "01a23c0d-2ef7-716e-b88c-684edabf5d84";
    pub const KEYWORD_CALL: &str = "01a23c0d-2ef8-74d7-852f-1ba627f56189";
    pub const STATUS_LEAD: &str = "01a23c0d-2ef6-73a0-a250-7c6456f3be80";
    pub const STATUS_WON: &str = "01a23c0d-2ef7-716e-b88c-684ddd865487";
    pub const OFFER_COMMENT: &str = "01a23c0d-2f05-737e-9318-e00405d24d83";
    pub const DONE_COMMENT: &str = "01a23c0d-2f07-7483-aeb4-6c6ddfdf2c8c";
    pub const VAN_COMMENT: &str = "01a23c0d-2f08-70d7-885b-a2c8ab1a10d3";
    pub const EVA_COMMENT: &str = "01a23c0d-2f09-7281-84b7-2a1cfabbc7f2";
    pub const PENDING_OPS: i64 = 29;
}

fn id(text: &str) -> uuid::Uuid {
    text.parse().expect("uuid")
}

fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().expect("instant")
}

fn day(text: &str) -> chrono::NaiveDate {
    text.parse().expect("day")
}

/// L6: a store file an earlier build wrote opens with today's build, every later migration
/// runs on it, and nothing it held is lost or misread.
#[tokio::test]
async fn a_store_from_6cda5fc_opens_migrates_and_keeps_its_data() {
    use duly_core::Store;
    use duly_core::model::{
        ChecklistItem, CommentInput, CommentTarget, CustomerKind, Due, Priority, RecurrenceEnd, Repeat, Role,
        StatusCategory, StatusChange, TaskInput, TaskStatus, WriteCtx,
    };
    use duly_core::search::{SearchKind, SearchQuery};
    use duly_core::views::{TimelineEntry, Viewer};
    use duly_protocol::EntityKind;
    use old_store::*;
    use sqlx::{ConnectOptions, Connection};

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("duly.db");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/store-6cda5fc.db");
    std::fs::copy(fixture, &path).expect("copy the fixture");
    let store = Store::open(&path).await.expect("today's build opens the 6cda5fc store");

    // Every migration of today's build is applied, on top of the five the file came with.
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .read_only(true)
        .connect()
        .await
        .expect("read the file");
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .expect("applied migrations");
    let shipped = std::fs::read_dir(migrations().join("client")).expect("client migrations").count();
    assert_eq!(applied, (1..=shipped as i64).collect::<Vec<_>>());
    conn.close().await.expect("close");

    assert_eq!(store.client_id(), id(CLIENT), "the replica keeps its id (its ops are numbered under it)");
    assert_eq!(store.profile_id().await.expect("profile"), Some(id(ME)));
    assert_eq!(store.preference("time_zone").await.expect("pref").as_deref(), Some("Europe/Budapest"));
    assert_eq!(store.time_zone().await.expect("zone"), chrono_tz::Europe::Budapest);

    let colleagues = store.colleagues().await.expect("colleagues");
    let names: Vec<_> =
        colleagues.iter().map(|c| (c.id, c.name.as_str(), c.email.as_str(), c.role)).collect();
    assert_eq!(
        names,
        vec![
            (id(ME), "Anna Kovács", "anna@example.com", Role::Admin),
            (id(BENCE), "Bence Tóth", "bence@example.com", Role::Member)
        ]
    );
    let bence = &colleagues[1];
    assert_eq!(bence.availability.deputy_id, Some(id(ME)));
    assert_eq!(bence.availability.absences.len(), 1);
    assert_eq!(bence.availability.absences[0].note, "Ski week");
    assert_eq!(bence.availability.absences[0].from, day("2025-03-24"));
    assert!(
        store.work_calendar().await.expect("calendar").is_working_day(day("2025-03-29")),
        "a Saturday made working"
    );

    // The lists the first migration seeded, with the company's own additions among them.
    let statuses = store.customer_statuses().await.expect("statuses");
    let ours: Vec<_> = statuses
        .iter()
        .filter(|s| [id(STATUS_LEAD), id(STATUS_WON)].contains(&s.id))
        .map(|s| (s.name.as_str(), s.color.as_str(), s.position, s.category))
        .collect();
    assert_eq!(
        ours,
        vec![("Lead", "#3366ff", 0, StatusCategory::Open), ("Signed", "#22aa44", 1, StatusCategory::Won)]
    );
    assert_eq!(statuses.len(), 9, "seven seeded, two added: {statuses:?}");
    let keywords: Vec<_> =
        store.keywords().await.expect("keywords").into_iter().map(|k| (k.name, k.id)).collect();
    assert_eq!(keywords.len(), 7, "five seeded, two added: {keywords:?}");
    assert!(keywords.contains(&("offer".to_owned(), id(KEYWORD_OFFER))));
    assert!(keywords.contains(&("phone call".to_owned(), id(KEYWORD_CALL))));
    assert_eq!(
        store.task_status_labels().await.expect("labels").get("waiting").map(String::as_str),
        Some("On hold")
    );

    // Customers, with every field.
    let acme = store.customer(id(ACME)).await.expect("Acme");
    assert_eq!(acme.fields.name, "Acme Kft.");
    assert_eq!(acme.fields.kind, CustomerKind::Company);
    assert_eq!(acme.fields.contacts.len(), 1);
    assert_eq!(
        (acme.fields.contacts[0].name.as_str(), acme.fields.contacts[0].role.as_str()),
        ("Péter Nagy", "CFO")
    );
    assert_eq!(acme.fields.contacts[0].email, "peter.nagy@acme.example");
    assert_eq!(acme.fields.emails, vec!["info@acme.example"]);
    assert_eq!(acme.fields.phones, vec!["+36 1 234 5600"]);
    assert_eq!(acme.fields.address, "1051 Budapest, Fő utca 1.");
    assert_eq!(acme.fields.tax_number, "12345678-2-41");
    assert_eq!(acme.fields.website, "https://acme.example");
    assert_eq!(acme.fields.notes, "Prefers e-mail.");
    assert_eq!(acme.fields.account_owner_id, Some(id(ME)));
    assert_eq!(acme.fields.status_id, Some(id(STATUS_WON)), "set by the comment that finished the offer");
    assert_eq!(acme.created_at, at("2025-03-10T08:06:00Z"));
    let eva = store.customer(id(EVA)).await.expect("Éva");
    assert_eq!((eva.fields.name.as_str(), eva.fields.kind), ("Éva Szabó", CustomerKind::Person));
    assert_eq!(eva.fields.emails, vec!["eva.szabo@example.net"]);
    assert_eq!(eva.fields.phones, vec!["+36 30 555 1234"]);
    assert_eq!(eva.fields.account_owner_id, Some(id(BENCE)));
    assert_eq!(eva.fields.status_id, None);
    let mut listed: Vec<_> = store
        .list_customers(&duly_core::store::CustomerFilter::default())
        .await
        .expect("customers")
        .into_iter()
        .map(|c| c.name)
        .collect();
    listed.sort();
    assert_eq!(listed, vec!["Acme Kft.", "Éva Szabó"]);

    let projects = store.projects(Some(id(ACME))).await.expect("projects");
    assert_eq!(projects.len(), 1);
    assert_eq!((projects[0].id, projects[0].fields.name.as_str()), (id(PROJECT), "Office move 2025"));
    assert_eq!(projects[0].fields.milestones.len(), 1);
    assert_eq!(
        (projects[0].fields.milestones[0].name.as_str(), projects[0].fields.milestones[0].date),
        ("Contract", day("2025-04-01"))
    );

    // Tasks: title, status and what each was made to show.
    let offer = store.task(id(OFFER_TASK)).await.expect("offer task");
    assert_eq!(offer.fields.title, "Send the offer to Acme");
    assert_eq!(offer.status, TaskStatus::Done);
    assert_eq!(offer.outcome.as_deref(), Some("Offer accepted: 1.2M Ft, signed on 10 March"));
    assert_eq!(offer.completed_by, Some(id(ME)));
    assert_eq!(offer.completed_at, Some(at("2025-03-10T09:41:00Z")));
    assert_eq!(offer.fields.priority, Priority::High);
    assert_eq!(offer.fields.watchers, vec![id(BENCE)]);
    assert_eq!((offer.fields.customer_id, offer.fields.project_id), (Some(id(ACME)), Some(id(PROJECT))));

    let call = store.task(id(CALL_TASK)).await.expect("call task");
    assert_eq!(call.fields.title, "Call Éva about the contract");
    assert_eq!(call.status, TaskStatus::Waiting);
    assert_eq!(call.fields.responsible_id, Some(id(BENCE)));
    assert_eq!(call.fields.description, "Ask whether **March** still suits her.");
    assert_eq!(call.fields.start_date, Some(day("2025-03-11")));
    assert_eq!(call.fields.due, Some(Due::At(at("2025-03-14T13:00:00Z"))));
    assert_eq!(call.fields.reminder_at, Some(at("2025-03-14T12:30:00Z")));

    let moving = store.task(id(MOVE_TASK)).await.expect("move task");
    assert_eq!(moving.fields.title, "Prepare the office move");
    assert_eq!(moving.status, TaskStatus::InProgress);
    assert_eq!(moving.fields.due, Some(Due::Day(day("2025-03-31"))));
    assert_eq!(
        moving.fields.checklist,
        vec![
            ChecklistItem { text: "Book the van".into(), done: true },
            ChecklistItem { text: "Label the boxes".into(), done: false }
        ]
    );

    let report = store.task(id(REPORT_TASK)).await.expect("report task");
    assert_eq!(report.fields.title, "Monthly report");
    assert_eq!(report.status, TaskStatus::Open);
    assert_eq!(report.fields.priority, Priority::Low);
    let recurrence = report.fields.recurrence.as_ref().expect("still repeats");
    assert_eq!(recurrence.rule.repeat, Repeat::MonthlyOnDay { day: 15 });
    assert_eq!((recurrence.rule.interval, recurrence.rule.ends), (1, RecurrenceEnd::Never));
    assert_eq!(recurrence.rule.create_ahead_days, Some(3));
    assert_eq!(recurrence.series_id, Some(id(REPORT_TASK)));
    assert_eq!(recurrence.starts_on, Some(day("2025-03-15")));
    assert_eq!(recurrence.time_zone.as_deref(), Some("Europe/Budapest"));

    // Comments, bodies and all.
    let thread = store.task_comments(id(OFFER_TASK)).await.expect("offer thread");
    let thread: Vec<_> =
        thread.iter().map(|c| (c.id, c.body.as_str(), c.keyword_ids.clone(), c.task_status_change)).collect();
    assert_eq!(
        thread,
        vec![
            (
                id(OFFER_COMMENT),
                "## Offer sent\n\n- **price**: 1 200 000 Ft\n- valid until *31 March*\n\nSee [the terms](https://acme.example/terms).",
                vec![id(KEYWORD_OFFER)],
                None
            ),
            (id(DONE_COMMENT), "They accepted by phone.", vec![id(KEYWORD_CALL)], Some(TaskStatus::Done)),
        ]
    );
    let van = store.task_comments(id(MOVE_TASK)).await.expect("move thread");
    assert_eq!(van.len(), 1);
    assert_eq!(
        (van[0].id, van[0].body.as_str(), van[0].author_id),
        (id(VAN_COMMENT), "Van booked for the 28th.", id(BENCE))
    );
    let viewer =
        Viewer { colleague: id(ME), tz: chrono_tz::Europe::Budapest, now: at("2025-03-12T10:00:00Z") };
    let page = store.customer_page(&viewer, id(EVA), 50).await.expect("Éva's page");
    let on_eva: Vec<_> = page
        .timeline
        .iter()
        .filter_map(|entry| match entry {
            TimelineEntry::Comment { comment, .. } => Some((comment.id, comment.body.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(on_eva, vec![(id(EVA_COMMENT), "Met her at the fair; wants a quote.")]);

    // The trash, and the search index the file came with.
    let trash = store.trash().await.expect("trash");
    assert_eq!(trash.len(), 1);
    assert_eq!(
        (trash[0].batch, trash[0].entity, trash[0].id, trash[0].title.as_str()),
        (id(TRASH_BATCH), EntityKind::Task, id(TRASHED_TASK), "Old brochure draft")
    );
    assert!(store.task(id(TRASHED_TASK)).await.is_err(), "a trashed task reads as deleted");
    let hits = store
        .search(&viewer, &SearchQuery { text: Some("accepted".into()), ..SearchQuery::default() })
        .await
        .expect("search");
    assert!(
        hits.iter().any(|h| h.kind == SearchKind::Comment && h.entity_id == id(DONE_COMMENT)),
        "the old search index still finds the comment: {hits:?}"
    );

    // What was never pushed is still there to push, readable by today's codec.
    assert_eq!(store.pending_op_count().await.expect("outbox"), PENDING_OPS);
    let pending = store.pending_ops(100).await.expect("pending ops");
    assert_eq!(pending.len() as i64, PENDING_OPS);
    assert!(pending.iter().all(|op| op.op_id.client_id == id(CLIENT)));

    // Today's build writes to it, and it opens again.
    let ctx = WriteCtx::window(id(ME));
    let mut input = TaskInput::new("Follow up with Acme", id(ME));
    input.customer_id = Some(acme.id);
    input.project_id = Some(id(PROJECT));
    let created = store.create_task(ctx, input).await.expect("a new task on the old store");
    store
        .add_comment(ctx, CommentInput::on(CommentTarget::Task(created.id), "First note after the upgrade."))
        .await
        .expect("a new comment");
    store
        .set_task_status(
            ctx,
            id(CALL_TASK),
            StatusChange { status: TaskStatus::Open, outcome: None, reason: None },
        )
        .await
        .expect("an old task moves on");
    store.restore(ctx, id(TRASH_BATCH)).await.expect("the old trash batch restores");
    assert!(store.pending_op_count().await.expect("outbox") > PENDING_OPS);
    store.close().await;
    drop(store);

    let store = Store::open(&path).await.expect("reopen after the upgrade");
    let read = store.task(created.id).await.expect("read back");
    assert_eq!(read.fields.title, "Follow up with Acme");
    assert_eq!(read.fields.customer_id, Some(id(ACME)));
    assert_eq!(
        store.task_comments(created.id).await.expect("thread")[0].body,
        "First note after the upgrade."
    );
    assert_eq!(store.task(id(CALL_TASK)).await.expect("call").status, TaskStatus::Open);
    assert_eq!(store.task(id(TRASHED_TASK)).await.expect("restored").fields.title, "Old brochure draft");
    assert!(store.trash().await.expect("trash").is_empty());
    store.close().await;
}
