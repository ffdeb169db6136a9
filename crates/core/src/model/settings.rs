use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Availability;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Manager,
    Member,
    Guest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Colleague {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// T14; records from before it existed read as the default week.
    #[serde(default)]
    pub availability: Availability,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ColleagueInput {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
}

/// Where a customer status stands in the pipeline; reports count won and lost by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StatusCategory {
    Open,
    Won,
    Lost,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CustomerStatus {
    pub id: Uuid,
    pub name: String,
    /// `#rrggbb`
    pub color: String,
    pub position: i64,
    pub category: StatusCategory,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CustomerStatusInput {
    pub name: String,
    pub color: String,
    pub position: i64,
    pub category: StatusCategory,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Keyword {
    pub id: Uuid,
    pub name: String,
}
