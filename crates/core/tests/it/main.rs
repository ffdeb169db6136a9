//! duly-core's integration tests: every test opens a real SQLite file in a temporary folder.

mod support;

mod bulk;
mod history_outbox;
mod rules;
mod schedule;
mod schedule_news;
mod recurrence;
mod absences;
mod search;
mod trash;
mod views;
