//! What a push's decisions need to know, read inside its transaction: grants, where each
//! entity lives and what it is, known customers, the op ids already logged, and whose the
//! client id is.

use duly_protocol::{Operation, Scope, User};
use sqlx::Row;
use uuid::Uuid;

use super::now;
use crate::storage::{PushFacts, StorageResult, parse_uuid, scope_from_columns};

/// What the rules need about a batch, read in the push transaction in four statements.
pub(super) async fn push_facts(
    tx: &mut sqlx::SqliteConnection,
    user: &User,
    ops: &[Operation],
) -> StorageResult<PushFacts> {
    let mut facts = PushFacts::default();
    for id in sqlx::query_scalar::<_, String>("SELECT customer_id FROM grants WHERE user_id = ?")
        .bind(user.id.to_string())
        .fetch_all(&mut *tx)
        .await?
    {
        facts.granted.insert(parse_uuid(&id)?);
    }
    let json = |items: Vec<String>| serde_json::to_string(&items).unwrap_or_else(|_| "[]".into());
    let entity_ids = json(
        ops.iter()
            .flat_map(|op| std::iter::once(op.entity_id).chain(crate::rules::references(op)))
            .map(|id| id.to_string())
            .collect(),
    );
    for row in sqlx::query(
        "SELECT entity_id, scope_kind, scope_id, entity, creator FROM entities WHERE entity_id IN (SELECT value FROM json_each(?))",
    )
    .bind(entity_ids)
    .fetch_all(&mut *tx)
    .await?
    {
        let scope = scope_from_columns(&row.try_get::<String, _>(1)?, &row.try_get::<String, _>(2)?)?;
        let id = parse_uuid(&row.try_get::<String, _>(0)?)?;
        facts.entity_scopes.insert(id, scope);
        let (entity, creator): (Option<String>, Option<String>) = (row.try_get(3)?, row.try_get(4)?);
        crate::storage::note_registry(&mut facts, id, entity.as_deref(), creator.as_deref())?;
    }
    let again = json(
        ops.iter()
            .filter(|op| crate::rules::needs_logged_record(op, &facts))
            .map(|op| op.entity_id.to_string())
            .collect(),
    );
    if again != "[]" {
        let rows: Vec<crate::storage::LoggedRow> = sqlx::query_as(
            "SELECT entity_id, kind, field, value, hlc FROM ops WHERE entity_id IN (SELECT value FROM json_each(?)) ORDER BY seq",
        )
        .bind(again)
        .fetch_all(&mut *tx)
        .await?;
        crate::storage::note_logged_records(&mut facts, rows)?;
    }
    for op in ops.iter().filter(|op| op.kind == duly_protocol::OpKind::Create) {
        facts.batch_creates.insert((op.entity_id, op.scope));
    }
    let moved = json(
        ops.iter()
            .filter(|op| crate::rules::moves_a_task(op, &facts))
            .map(|op| op.entity_id.to_string())
            .collect(),
    );
    if moved != "[]" {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT DISTINCT json_extract(value, '$.task_id'), entity_id FROM ops
             WHERE entity = 'comment' AND kind = 'create'
               AND json_extract(value, '$.task_id') IN (SELECT value FROM json_each(?))",
        )
        .bind(moved)
        .fetch_all(&mut *tx)
        .await?;
        for (task, comment) in rows {
            facts.task_comments.entry(parse_uuid(&task)?).or_default().insert(parse_uuid(&comment)?);
        }
    }
    let customers = json(
        ops.iter()
            .filter_map(|op| if let Scope::Customer(id) = op.scope { Some(id.to_string()) } else { None })
            .collect(),
    );
    for id in sqlx::query_scalar::<_, String>(
        "SELECT customer_id FROM customers WHERE customer_id IN (SELECT value FROM json_each(?))",
    )
    .bind(customers)
    .fetch_all(&mut *tx)
    .await?
    {
        facts.known_customers.insert(parse_uuid(&id)?);
    }
    if let Some(first) = ops.first() {
        let client_id = first.op_id.client_id;
        facts.client_of_other_user = !claim_client(tx, client_id, user).await?;
        let seqs = serde_json::to_string(&ops.iter().map(|op| op.op_id.client_seq).collect::<Vec<_>>())
            .unwrap_or_else(|_| "[]".into());
        let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT client_seq, seq, entity_id, hlc FROM ops WHERE client_id = ? AND client_seq IN (SELECT value FROM json_each(?))",
        )
        .bind(client_id.to_string())
        .bind(seqs)
        .fetch_all(&mut *tx)
        .await?;
        for (client_seq, seq, entity_id, hlc) in rows {
            let logged = crate::storage::Logged { seq, entity_id: parse_uuid(&entity_id)?, hlc };
            facts.existing.insert(duly_protocol::OpId { client_id, client_seq }, logged);
        }
    }
    Ok(facts)
}

/// Registers the client id to the user on its first push; false when another user has it.
async fn claim_client(tx: &mut sqlx::SqliteConnection, client_id: Uuid, user: &User) -> StorageResult<bool> {
    sqlx::query(
        "INSERT INTO clients (client_id, user_id, first_seen) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(client_id.to_string())
    .bind(user.id.to_string())
    .bind(now())
    .execute(&mut *tx)
    .await?;
    let owner: String = sqlx::query_scalar("SELECT user_id FROM clients WHERE client_id = ?")
        .bind(client_id.to_string())
        .fetch_one(&mut *tx)
        .await?;
    Ok(owner == user.id.to_string())
}

/// client_seq → seq for the batch's ops already in the log (one client per push).
pub(super) async fn logged_seqs_of(
    tx: &mut sqlx::SqliteConnection,
    ops: &[Operation],
) -> StorageResult<std::collections::HashMap<i64, i64>> {
    let Some(first) = ops.first() else { return Ok(Default::default()) };
    let seqs = serde_json::to_string(&ops.iter().map(|op| op.op_id.client_seq).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into());
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT client_seq, seq FROM ops WHERE client_id = ? AND client_seq IN (SELECT value FROM json_each(?))")
            .bind(first.op_id.client_id.to_string())
            .bind(seqs)
            .fetch_all(&mut *tx)
            .await?;
    Ok(rows.into_iter().collect())
}
