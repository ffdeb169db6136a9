use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    Company,
    Person,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

/// The fields of a customer a person edits (C1). Create and update both take the whole set;
/// the store records one history entry per field that changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CustomerInput {
    pub name: String,
    pub kind: CustomerKind,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub tax_number: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub account_owner_id: Option<Uuid>,
    #[serde(default)]
    pub status_id: Option<Uuid>,
}

impl CustomerInput {
    pub fn named(name: impl Into<String>, kind: CustomerKind) -> Self {
        Self {
            name: name.into(),
            kind,
            contacts: Vec::new(),
            emails: Vec::new(),
            phones: Vec::new(),
            address: String::new(),
            tax_number: String::new(),
            website: String::new(),
            notes: String::new(),
            account_owner_id: None,
            status_id: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Customer {
    pub id: Uuid,
    #[serde(flatten)]
    pub fields: CustomerInput,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Milestone {
    pub name: String,
    pub date: NaiveDate,
    #[serde(default)]
    pub done: bool,
}

/// C2: a project under a customer, or an internal one (no customer); `parent_id` makes the
/// sub-project tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ProjectInput {
    pub customer_id: Option<Uuid>,
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    pub name: String,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub milestones: Vec<Milestone>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Project {
    pub id: Uuid,
    #[serde(flatten)]
    pub fields: ProjectInput,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}
