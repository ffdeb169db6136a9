//! An entity as the merge sees it: its record (the model's JSON), the stamp and writer of each
//! field, and its trash state, folded from the local history in the order it was applied.

use std::collections::{HashMap, HashSet};

use duly_protocol::{EntityKind, Scope};
use serde_json::{Map, Value};
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::error::Result;
use crate::store::codec;

#[derive(Debug, Clone)]
pub(crate) struct Replica {
    pub entity: EntityKind,
    pub scope: Scope,
    pub record: Map<String, Value>,
    pub stamps: HashMap<String, (String, String)>,
    /// Every stamp already applied here: an operation seen twice changes nothing the second time.
    pub seen: HashSet<String>,
    pub deleted: bool,
    pub batch: Option<String>,
    pub trash_stamp: Option<String>,
    pub record_dirty: bool,
    pub trash_dirty: bool,
}

impl Replica {
    pub fn new(entity: EntityKind, scope: Scope) -> Self {
        Self {
            entity,
            scope,
            record: Map::new(),
            stamps: HashMap::new(),
            seen: HashSet::new(),
            deleted: false,
            batch: None,
            trash_stamp: None,
            record_dirty: false,
            trash_dirty: false,
        }
    }

    pub fn stamp(&self, field: &str) -> Option<&str> {
        self.stamps.get(field).map(|(stamp, _)| stamp.as_str())
    }

    pub fn actor(&self, field: &str) -> Option<&str> {
        self.stamps.get(field).map(|(_, actor)| actor.as_str())
    }
}

/// Folds the history of every entity a page of operations touches, in one query; falls back
/// to the row for settings that ship with the store (default statuses, keywords, status
/// labels have rows but no history).
pub(crate) async fn load_many(
    conn: &mut SqliteConnection,
    wanted: &[(EntityKind, Uuid)],
) -> Result<HashMap<Uuid, Replica>> {
    let ids: Vec<String> = wanted.iter().map(|(_, id)| id.to_string()).collect();
    let ids = codec::json(&ids)?;
    let rows = sqlx::query!(
        "SELECT entity_id, kind, field, new_value, hlc, scope, actor_id FROM history
         WHERE entity_id IN (SELECT value FROM json_each(?)) ORDER BY seq",
        ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let kinds: HashMap<Uuid, EntityKind> = wanted.iter().map(|(kind, id)| (*id, *kind)).collect();
    let mut folded: HashMap<Uuid, (Replica, bool)> = HashMap::new();
    for row in rows {
        let id = codec::id(&row.entity_id)?;
        let Some(kind) = kinds.get(&id) else { continue };
        let (replica, created) =
            folded.entry(id).or_insert_with(|| (Replica::new(*kind, Scope::Settings), false));
        replica.scope = codec::from_json(&row.scope)?;
        replica.seen.insert(row.hlc.clone());
        let value: Value = row.new_value.as_deref().map(codec::from_json).transpose()?.unwrap_or(Value::Null);
        match row.kind.as_str() {
            "created" => {
                *created = true;
                if let Value::Object(fields) = value {
                    for (field, v) in fields {
                        replica.stamps.insert(field.clone(), (row.hlc.clone(), row.actor_id.clone()));
                        // The id is the entity's, never what a record says (H2).
                        let v = if field == "id" { Value::String(id.to_string()) } else { v };
                        replica.record.insert(field, v);
                    }
                }
            }
            "changed" => {
                if let Some(field) = row.field {
                    replica.stamps.insert(field.clone(), (row.hlc.clone(), row.actor_id.clone()));
                    replica.record.insert(field, value);
                }
            }
            "deleted" => {
                replica.deleted = true;
                replica.batch = value.as_str().map(str::to_owned);
                replica.trash_stamp = Some(row.hlc);
            }
            "restored" => {
                replica.deleted = false;
                replica.trash_stamp = Some(row.hlc);
            }
            _ => {}
        }
    }
    let mut found = HashMap::new();
    for (id, (replica, created)) in folded {
        if created {
            found.insert(id, replica);
            continue;
        }
        let base = match synced(conn, replica.entity, id).await? {
            Some(base) => Some(base),
            None => shipped(conn, replica.entity, id).await?,
        };
        if let Some(mut base) = base {
            // Only changes are in history (a shipped setting that was edited, or an entity
            // that came by snapshot and changed since): start from the row.
            for (field, v) in replica.record {
                base.record.insert(field, v);
            }
            base.stamps.extend(replica.stamps);
            base.seen.extend(replica.seen);
            if replica.trash_stamp.is_some() {
                base.deleted = replica.deleted;
                base.trash_stamp = replica.trash_stamp;
            }
            found.insert(id, base);
        }
    }
    for (kind, id) in wanted {
        // Came by snapshot and unchanged since: no history at all, the row and its stamps.
        if !found.contains_key(id)
            && let Some(replica) = synced(conn, *kind, *id).await?
        {
            found.insert(*id, replica);
        }
    }
    for (kind, id) in wanted {
        // Shipped with every store (or, for the calendar, known empty): there is always a row to merge into.
        let settings = matches!(
            kind,
            EntityKind::CustomerStatus
                | EntityKind::Keyword
                | EntityKind::TaskStatusLabel
                | EntityKind::WorkCalendar
        );
        if settings
            && !found.contains_key(id)
            && let Some(replica) = shipped(conn, *kind, *id).await?
        {
            found.insert(*id, replica);
        }
    }
    Ok(found)
}

/// A `synced_state` row: scope, field stamps, trash flag, deleted, the values kept.
type SyncedRow = (String, String, Option<String>, bool, Option<String>);

/// An entity that arrived by snapshot: its row as the model's JSON, with the field stamps its
/// `synced_state` row keeps.
async fn synced(conn: &mut SqliteConnection, entity: EntityKind, id: Uuid) -> Result<Option<Replica>> {
    let key = id.to_string();
    let state: Option<SyncedRow> =
        sqlx::query_as("SELECT scope, stamps, trash, deleted, kept FROM synced_state WHERE entity_id = ?")
            .bind(&key)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((scope, stamps, trash, deleted, kept)) = state else { return Ok(None) };
    let stored = match entity {
        EntityKind::Customer => {
            crate::store::customers::stored(conn, id).await?.map(|(m, d)| codec::value(&m).map(|v| (v, d)))
        }
        EntityKind::Project => {
            crate::store::projects::stored(conn, id).await?.map(|(m, d)| codec::value(&m).map(|v| (v, d)))
        }
        EntityKind::Task => {
            crate::store::tasks::stored(conn, id).await?.map(|(m, d)| codec::value(&m).map(|v| (v, d)))
        }
        EntityKind::Comment => {
            crate::store::comments::stored(conn, id).await?.map(|(m, d)| codec::value(&m).map(|v| (v, d)))
        }
        _ => None,
    };
    let Some((record, _)) = stored.transpose()? else { return Ok(None) };
    let Value::Object(mut record) = record else { return Ok(None) };
    // What it came with, where a change made here since (still in history, or refused and
    // gone from it) has replaced it in the row; history then folds on top of that.
    if let Some(kept) = kept {
        let kept: serde_json::Map<String, Value> = codec::from_json(&kept)?;
        record.extend(kept);
    }
    super::snapshot::synced_replica(entity, record, &scope, &stamps, trash, deleted).map(Some)
}

async fn shipped(conn: &mut SqliteConnection, entity: EntityKind, id: Uuid) -> Result<Option<Replica>> {
    let key = id.to_string();
    let record: Option<String> = match entity {
        EntityKind::CustomerStatus => sqlx::query_scalar!(
            "SELECT json_object('id', id, 'name', name, 'color', color, 'position', position, 'category', category)
             AS \"record!: String\" FROM customer_statuses WHERE id = ?",
            key
        )
        .fetch_optional(&mut *conn)
        .await?,
        EntityKind::Keyword => sqlx::query_scalar!(
            "SELECT json_object('id', id, 'name', name) AS \"record!: String\" FROM keywords WHERE id = ?",
            key
        )
        .fetch_optional(&mut *conn)
        .await?,
        EntityKind::TaskStatusLabel => match label_status(id) {
            Some(status) => sqlx::query_scalar!(
                "SELECT json_object('label', label) AS \"record!: String\" FROM task_status_labels WHERE status = ?",
                status
            )
            .fetch_optional(&mut *conn)
            .await?,
            None => None,
        },
        EntityKind::WorkCalendar => {
            let calendar = crate::store::calendar::calendar_in(conn).await?;
            Some(codec::json(&crate::store::calendar::record(&calendar))?)
        }
        _ => None,
    };
    let Some(record) = record else { return Ok(None) };
    let mut replica = Replica::new(entity, Scope::Settings);
    if let Value::Object(fields) = codec::from_json::<Value>(&record)? {
        replica.record = fields;
    }
    Ok(Some(replica))
}

/// The status a label entity stands for: its position in the fixed id space the settings use.
pub(crate) fn label_status(id: Uuid) -> Option<&'static str> {
    let offset = id.as_u128().checked_sub(0x0000_0000_0000_7000_8000_0000_0000_0300)?;
    ["open", "in_progress", "waiting", "done", "cancelled"].get(usize::try_from(offset).ok()?).copied()
}
