//! duly-core's integration tests: every test opens a real SQLite file in a temporary folder.

mod support;

mod absences;
mod blobs;
mod bulk;
mod history_outbox;
mod recurrence;
mod rules;
mod schedule;
mod schedule_news;
mod search;
mod trash;
mod views;
