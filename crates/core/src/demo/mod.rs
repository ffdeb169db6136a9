//! Realistic, seeded and deterministic Hungarian small-business data: the benchmark's store
//! and the desktop's first-run offer. The same spec gives the same records, ids included.

mod words;

use chrono::{DateTime, Days, Duration, TimeZone, Utc};
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use crate::error::Result;
use crate::model::{
    ChecklistItem, Colleague, Comment, Contact, Customer, CustomerInput, CustomerKind, Due, Priority,
    Project, ProjectInput, Recurrence, RecurrenceEnd, RecurrenceRule, Repeat, Role, Task, TaskInput,
    TaskStatus, WriteCtx,
};
use crate::store::Store;
use crate::store::bulk::ImportBatch;

/// The default customer statuses and keywords every store starts with (see the migration).
const STATUSES: [u128; 7] = [0x101, 0x102, 0x103, 0x104, 0x105, 0x106, 0x107];
const KEYWORDS: [u128; 5] = [0x201, 0x202, 0x203, 0x204, 0x205];
const DEFAULTS_BASE: u128 = 0x0000_0000_0000_7000_8000_0000_0000_0000;

#[derive(Debug, Clone)]
pub struct DemoSpec {
    pub seed: u64,
    pub colleagues: usize,
    pub customers: usize,
    pub tasks: usize,
    pub comments: usize,
    /// "Now" for the data: dues fall around it.
    pub now: DateTime<Utc>,
    /// The colleague at the keyboard, who gets a share of the tasks (Today has work in it).
    pub me: Option<Colleague>,
}

impl DemoSpec {
    /// A small office: what the desktop offers on first run.
    pub fn small(now: DateTime<Utc>, me: Option<Colleague>) -> Self {
        Self { seed: 7, colleagues: 6, customers: 60, tasks: 1_200, comments: 4_000, now, me }
    }
}

/// Counts of what was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct DemoCounts {
    pub colleagues: usize,
    pub customers: usize,
    pub tasks: usize,
    pub comments: usize,
}

/// How many customers go into one transaction.
const CUSTOMERS_PER_BATCH: usize = 100;

struct Generator {
    rng: ChaCha8Rng,
    spec: DemoSpec,
    colleagues: Vec<Uuid>,
}

impl Store {
    /// Writes the demo data through the bulk path, in batches of customers.
    pub async fn load_demo(&self, ctx: WriteCtx, spec: DemoSpec) -> Result<DemoCounts> {
        let mut generator = Generator::new(spec);
        let mut counts = DemoCounts::default();
        let first = generator.colleague_batch();
        counts.colleagues = first.colleagues.len();
        self.import(ctx, &first).await?;
        let total = generator.spec.customers;
        let mut done = 0;
        while done < total {
            let size = CUSTOMERS_PER_BATCH.min(total - done);
            let batch = generator.customer_batch(done, size);
            counts.customers += batch.customers.len();
            counts.tasks += batch.tasks.len();
            counts.comments += batch.comments.len();
            self.import(ctx, &batch).await?;
            done += size;
            if done % (CUSTOMERS_PER_BATCH * 10) == 0 {
                self.maintain().await?;
            }
        }
        // Searchable as soon as it is loaded, whether or not an indexer runs in the background.
        self.drain_search_queue().await?;
        Ok(counts)
    }
}

impl Generator {
    fn new(spec: DemoSpec) -> Self {
        Self { rng: ChaCha8Rng::seed_from_u64(spec.seed), spec, colleagues: Vec::new() }
    }

    /// A UUIDv7 from the generator: deterministic, and time-ordered like real ones.
    fn id(&mut self, at: DateTime<Utc>) -> Uuid {
        let bytes: [u8; 10] = self.rng.random();
        uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &bytes).into_uuid()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *items.choose(&mut self.rng).unwrap_or(&items[0])
    }

    fn person(&mut self) -> String {
        format!("{} {}", self.pick(words::SURNAMES), self.pick(words::GIVEN_NAMES))
    }

    fn colleague_batch(&mut self) -> ImportBatch {
        let mut batch = ImportBatch::default();
        let start = self.spec.now - Duration::days(400);
        if let Some(me) = &self.spec.me {
            self.colleagues.push(me.id);
        }
        let wanted = self.spec.colleagues.saturating_sub(self.colleagues.len());
        for index in 0..wanted {
            let name = self.person();
            let email = format!("kollega{}@duly.example", index + 1);
            let role = if index == 0 { Role::Manager } else { Role::Member };
            let colleague = Colleague {
                id: self.id(start),
                name,
                email,
                role,
                active: true,
                created_at: start,
                availability: Default::default(),
            };
            self.colleagues.push(colleague.id);
            batch.colleagues.push(colleague);
        }
        batch
    }

    fn customer_batch(&mut self, first: usize, count: usize) -> ImportBatch {
        let mut batch = ImportBatch::default();
        let spec_customers = self.spec.customers.max(1);
        for index in first..first + count {
            // Spread tasks and comments evenly, with the remainder on the first customers.
            let tasks =
                self.spec.tasks / spec_customers + usize::from(index < self.spec.tasks % spec_customers);
            self.customer(&mut batch, tasks);
        }
        let comments_wanted = self.spec.comments * (first + count) / spec_customers
            - self.spec.comments * first / spec_customers;
        self.comments(&mut batch, comments_wanted);
        batch
    }

    fn customer(&mut self, batch: &mut ImportBatch, tasks: usize) {
        let created = self.spec.now - Duration::days(self.rng.random_range(30..700));
        let company = self.rng.random_bool(0.8);
        let (city, zip) = self.pick(words::CITIES);
        let name = if company {
            format!(
                "{} {} {}",
                self.pick(words::SURNAMES),
                self.pick(words::TRADES),
                self.pick(words::COMPANY_FORMS)
            )
        } else {
            self.person()
        };
        let contact_count = if company { self.rng.random_range(1..4) } else { 0 };
        let mut contacts = Vec::new();
        for _ in 0..contact_count {
            let person = self.person();
            contacts.push(Contact {
                email: format!("{}@example.hu", ascii_handle(&person)),
                name: person,
                role: self.pick(words::ROLES).to_owned(),
                phone: format!(
                    "+36 {} {:03} {:04}",
                    self.pick(&[20, 30, 70, 1]),
                    self.rng.random_range(100..999),
                    self.rng.random_range(0..9999)
                ),
            });
        }
        let owner = self.pick(&self.colleagues.clone());
        let status = self.pick(&STATUSES);
        let input = CustomerInput {
            emails: vec![format!("info@{}.hu", ascii_handle(&name))],
            phones: vec![format!(
                "+36 1 {:03} {:04}",
                self.rng.random_range(100..999),
                self.rng.random_range(0..9999)
            )],
            address: format!(
                "{zip} {city}, {} {}.",
                self.pick(words::STREETS),
                self.rng.random_range(1..120)
            ),
            tax_number: if company {
                format!(
                    "{:08}-{}-{:02}",
                    self.rng.random_range(10_000_000..99_999_999),
                    self.rng.random_range(1..5),
                    self.rng.random_range(1..44)
                )
            } else {
                String::new()
            },
            website: if company { format!("https://{}.hu", ascii_handle(&name)) } else { String::new() },
            notes: String::new(),
            account_owner_id: Some(owner),
            status_id: Some(Uuid::from_u128(DEFAULTS_BASE + status)),
            contacts,
            ..CustomerInput::named(name, if company { CustomerKind::Company } else { CustomerKind::Person })
        };
        let customer =
            Customer { id: self.id(created), fields: input, created_by: owner, created_at: created };
        let mut projects = Vec::new();
        for _ in 0..self.rng.random_range(1..3) {
            let project = Project {
                id: self.id(created),
                fields: ProjectInput {
                    customer_id: Some(customer.id),
                    parent_id: None,
                    name: self.pick(words::PROJECTS).to_owned(),
                    archived: false,
                    milestones: Vec::new(),
                },
                created_by: owner,
                created_at: created,
            };
            if self.rng.random_bool(0.4) {
                let child = Project {
                    id: self.id(created),
                    fields: ProjectInput {
                        parent_id: Some(project.id),
                        name: self.pick(words::SUB_PROJECTS).to_owned(),
                        ..project.fields.clone()
                    },
                    ..project.clone()
                };
                projects.push(child);
            }
            projects.push(project);
        }
        for _ in 0..tasks {
            let project = if self.rng.random_bool(0.7) {
                Some(self.pick(&projects.iter().map(|p| p.id).collect::<Vec<_>>()))
            } else {
                None
            };
            let task = self.task(Some(customer.id), project, created);
            batch.tasks.push(task);
        }
        batch.projects.extend(projects);
        batch.customers.push(customer);
    }

    fn task(&mut self, customer: Option<Uuid>, project: Option<Uuid>, not_before: DateTime<Utc>) -> Task {
        let now = self.spec.now;
        let span = (now - not_before).num_days().max(2);
        let created = now
            - Duration::days(self.rng.random_range(1..span))
            - Duration::minutes(self.rng.random_range(0..600));
        let today = now.date_naive();
        let due_day = today + Days::new(30)
            - Days::new(
                self.rng.random_range(0..((today - created.date_naive()).num_days().max(1) as u64 + 30)),
            );
        let due = if self.rng.random_bool(0.2) {
            let hour = self.rng.random_range(7..18);
            Due::At(Utc.from_utc_datetime(&due_day.and_hms_opt(hour, 0, 0).unwrap_or_default()))
        } else {
            Due::Day(due_day)
        };
        let responsible = self.pick(&self.colleagues.clone());
        let creator =
            if self.rng.random_bool(0.6) { responsible } else { self.pick(&self.colleagues.clone()) };
        let past = due_day < today - Days::new(3);
        let roll: f64 = self.rng.random();
        let status = match (past, roll) {
            // Rule 6 mostly holds: a few old tasks are still open (overdue).
            (true, r) if r < 0.93 => TaskStatus::Done,
            (true, r) if r < 0.97 => TaskStatus::Cancelled,
            (false, r) if r < 0.15 => TaskStatus::InProgress,
            (false, r) if r < 0.22 => TaskStatus::Waiting,
            _ => TaskStatus::Open,
        };
        let finished = matches!(status, TaskStatus::Done | TaskStatus::Cancelled);
        let completed_at = finished.then(|| {
            let at = Utc.from_utc_datetime(&due_day.and_hms_opt(12, 0, 0).unwrap_or_default())
                + Duration::hours(self.rng.random_range(-72..96));
            at.clamp(created, now)
        });
        let mut watchers = Vec::new();
        if self.rng.random_bool(0.25) {
            let watcher = self.pick(&self.colleagues.clone());
            if watcher != responsible {
                watchers.push(watcher);
            }
        }
        let checklist = if self.rng.random_bool(0.2) {
            vec![
                ChecklistItem { text: "Adatok bekérése".into(), done: finished },
                ChecklistItem { text: "Egyeztetés".into(), done: finished || self.rng.random_bool(0.5) },
            ]
        } else {
            Vec::new()
        };
        let title = self.pick(words::TASKS).to_owned();
        let priority = self.pick(&[
            Priority::Low,
            Priority::Normal,
            Priority::Normal,
            Priority::Normal,
            Priority::High,
            Priority::Urgent,
        ]);
        let id = self.id(created);
        Task {
            id,
            fields: TaskInput {
                customer_id: customer,
                project_id: project,
                watchers,
                priority,
                due: Some(due),
                checklist,
                recurrence: title.starts_with("Havi").then(|| monthly_on_the_10th(id, due)),
                ..TaskInput::new(title, responsible)
            },
            creator_id: creator,
            status,
            outcome: (status == TaskStatus::Done).then(|| self.pick(words::OUTCOMES).to_owned()),
            completed_by: finished.then_some(responsible),
            completed_at,
            cancel_reason: (status == TaskStatus::Cancelled).then(|| "Az ügyfél lemondta.".to_owned()),
            created_at: created,
            updated_at: completed_at.unwrap_or(created),
        }
    }

    /// Comments spread over the batch's tasks (and some on the customers themselves).
    fn comments(&mut self, batch: &mut ImportBatch, count: usize) {
        if batch.tasks.is_empty() && batch.customers.is_empty() {
            return;
        }
        for _ in 0..count {
            let on_task = !batch.tasks.is_empty() && self.rng.random_bool(0.85);
            let (task_id, customer_id, from) = if on_task {
                let task = &batch.tasks[self.rng.random_range(0..batch.tasks.len())];
                (Some(task.id), task.fields.customer_id, task.created_at)
            } else {
                let customer = &batch.customers[self.rng.random_range(0..batch.customers.len())];
                (None, Some(customer.id), customer.created_at)
            };
            let seconds = (self.spec.now - from).num_seconds().max(1);
            let at = from + Duration::seconds(self.rng.random_range(0..seconds));
            let body = format!(
                "{} {}. {}",
                self.pick(words::COMMENT_OPENINGS),
                self.pick(words::COMMENT_MIDDLES),
                self.pick(words::COMMENT_CLOSINGS)
            );
            let keyword_ids = if self.rng.random_bool(0.25) {
                vec![Uuid::from_u128(DEFAULTS_BASE + self.pick(&KEYWORDS))]
            } else {
                Vec::new()
            };
            batch.comments.push(Comment {
                id: self.id(at),
                task_id,
                customer_id,
                author_id: self.pick(&self.colleagues.clone()),
                body: body.trim_end().to_owned(),
                keyword_ids,
                task_status_change: None,
                customer_status_change: None,
                attachments: Vec::new(),
                system: false,
                created_at: at,
            });
        }
    }
}

/// A lowercase ASCII handle for e-mail addresses and domains: "Szűcs Ablak Kft." → "szucs-ablak-kft".
fn ascii_handle(text: &str) -> String {
    let mut out = String::new();
    for ch in text.to_lowercase().chars() {
        let plain = match ch {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' | 'ö' | 'ő' => 'o',
            'ú' | 'ü' | 'ű' => 'u',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if plain != '-' || !out.ends_with('-') {
            out.push(plain);
        }
    }
    out.trim_matches('-').to_owned()
}

/// The demo's monthly chores (the tax advance, the invoice) repeat on the 10th.
fn monthly_on_the_10th(series_id: Uuid, due: Due) -> Recurrence {
    let starts_on = match due {
        Due::Day(day) => day,
        Due::At(at) => at.date_naive(),
    };
    Recurrence {
        rule: RecurrenceRule {
            repeat: Repeat::MonthlyOnDay { day: 10 },
            interval: 1,
            ends: RecurrenceEnd::Never,
            create_ahead_days: None,
        },
        series_id: Some(series_id),
        starts_on: Some(starts_on),
        occurrence: 1,
        occurrence_day: None,
        time_zone: Some("Europe/Budapest".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::ascii_handle;

    #[test]
    fn handles_are_plain_ascii() {
        assert_eq!(ascii_handle("Szűcs Ablak Kft."), "szucs-ablak-kft");
    }
}
