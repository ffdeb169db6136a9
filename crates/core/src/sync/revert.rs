//! A refused op is undone where it was made (H6): the device shows what the server holds, so
//! no two devices disagree about it, and the op, with the text the person wrote, stays in the
//! rejected list, where the entity's page shows it with a way to copy it.
//!
//! The refused op's history row goes; the entity is folded again from what is left (what the
//! server sent, and this device's ops still waiting for an answer) and written whole. A
//! refused create leaves nothing to fold: the entity goes, with whatever hangs on it, and
//! their waiting ops join the rejected list too, since the server would refuse them now.

use std::collections::HashMap;

use duly_protocol::{EntityKind, Scope};
use uuid::Uuid;

use super::replica;
use super::write_rows;
use crate::error::Result;
use crate::store::{Write, codec};

/// What the rejected list says of ops refused only because the entity they change was.
const FOLLOWS_REFUSAL: &str = "what it changes was refused by the server";

/// What the rejected list says of waiting ops on work that moved out of this device's reach.
const MOVED_AWAY: &str = "it was moved to a customer not shared with you";

/// Puts back every entity in `refused` (kind and id of each refused op).
pub(crate) async fn revert(w: &mut Write<'_>, refused: &[(EntityKind, Uuid)], at: &str) -> Result<()> {
    let mut wanted = refused.to_vec();
    wanted.sort_by_key(|(_, id)| *id);
    wanted.dedup_by_key(|(_, id)| *id);
    let mut folded = replica::load_many(&mut w.tx, &wanted).await?;
    let mut rewrite = HashMap::new();
    // Children before parents: a refused comment goes before its refused task.
    wanted.sort_by_key(|(kind, _)| std::cmp::Reverse(depth(*kind)));
    for (kind, id) in wanted {
        match folded.remove(&id) {
            Some(mut replica) => {
                replica.record_dirty = true;
                replica.trash_dirty = true;
                rewrite.insert(id, replica);
            }
            None => remove(w, kind, id, at, FOLLOWS_REFUSAL).await?,
        }
        w.touch(kind, Some(id));
    }
    write_rows::records(w, &rewrite).await
}

/// Work that moved to a customer this device does not hold (H5): the readers of the scope it
/// left let it go, with its comments.
pub(crate) async fn let_go(w: &mut Write<'_>, away: &[(EntityKind, Uuid)], at: &str) -> Result<()> {
    for (kind, id) in away {
        remove(w, *kind, *id, at, MOVED_AWAY).await?;
        w.touch(*kind, Some(*id));
    }
    Ok(())
}

/// The tasks among `replicas` that now belong where this device does not read: a customer it
/// does not hold, or the team's work on a guest's device.
pub(crate) async fn out_of_reach(
    conn: &mut sqlx::SqliteConnection,
    replicas: &HashMap<Uuid, replica::Replica>,
) -> Result<Vec<(EntityKind, Uuid)>> {
    let moved: Vec<(Uuid, Option<String>)> = replicas
        .iter()
        .filter(|(_, r)| r.record_dirty && r.entity == EntityKind::Task)
        .map(|(id, r)| (*id, r.record.get("customer_id").and_then(|c| c.as_str()).map(str::to_owned)))
        .filter(|(_, customer)| {
            customer.as_deref().is_none_or(|customer| {
                Uuid::parse_str(customer)
                    .map_or(true, |c| !replicas.get(&c).is_some_and(|r| r.entity == EntityKind::Customer))
            })
        })
        .collect();
    if moved.is_empty() {
        return Ok(Vec::new());
    }
    // Before the first sync every scope counts as held (the store is used alone).
    let held: Option<Vec<Scope>> = sqlx::query_scalar!("SELECT value FROM meta WHERE key = 'sync_scopes'")
        .fetch_optional(&mut *conn)
        .await?
        .map(|text| codec::from_json(&text))
        .transpose()?;
    let team = held.as_ref().is_none_or(|scopes| scopes.contains(&Scope::Team));
    let wanted = codec::json(&moved.iter().filter_map(|(_, c)| c.as_deref()).collect::<Vec<_>>())?;
    let here: Vec<String> =
        sqlx::query_scalar!("SELECT id FROM customers WHERE id IN (SELECT value FROM json_each(?))", wanted)
            .fetch_all(&mut *conn)
            .await?;
    Ok(moved
        .into_iter()
        .filter(|(_, customer)| match customer {
            Some(customer) => !here.contains(customer),
            None => !team,
        })
        .map(|(id, _)| (EntityKind::Task, id))
        .collect())
}

/// How far down the tree of references an entity sits.
fn depth(kind: EntityKind) -> u8 {
    match kind {
        EntityKind::Comment => 3,
        EntityKind::Task => 2,
        EntityKind::Project => 1,
        _ => 0,
    }
}

/// An entity the server never took: it leaves this device with what hangs on it.
async fn remove(w: &mut Write<'_>, kind: EntityKind, id: Uuid, at: &str, reason: &str) -> Result<()> {
    let key = id.to_string();
    match kind {
        EntityKind::Customer => {
            let store = w.store();
            for op in super::ledger::pending_under_customer(store, &mut w.tx, id).await? {
                super::ledger::reject(&mut w.tx, &op, "forbidden_scope", reason, at).await?;
            }
            super::ledger::purge_rows(&mut w.tx, id, at).await?;
        }
        EntityKind::Task => {
            let comments: Vec<String> = sqlx::query_scalar!("SELECT id FROM comments WHERE task_id = ?", key)
                .fetch_all(&mut *w.tx)
                .await?;
            let mut gone = comments.clone();
            gone.push(key.clone());
            reject_pending_of(w, &gone, at, reason).await?;
            // Trash first so the search index lets go of them (its triggers follow deleted_at).
            sqlx::query!(
                "UPDATE comments SET deleted_at = COALESCE(deleted_at, ?) WHERE task_id = ?",
                at,
                key
            )
            .execute(&mut *w.tx)
            .await?;
            sqlx::query!("UPDATE tasks SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?", at, key)
                .execute(&mut *w.tx)
                .await?;
            sqlx::query!(
                "DELETE FROM comment_keywords WHERE comment_id IN (SELECT id FROM comments WHERE task_id = ?)",
                key
            )
            .execute(&mut *w.tx)
            .await?;
            sqlx::query!("DELETE FROM comments WHERE task_id = ?", key).execute(&mut *w.tx).await?;
            sqlx::query!("DELETE FROM task_watchers WHERE task_id = ?", key).execute(&mut *w.tx).await?;
            sqlx::query!("DELETE FROM tasks WHERE id = ?", key).execute(&mut *w.tx).await?;
            forget_history(w, &gone).await?;
        }
        EntityKind::Comment => {
            reject_pending_of(w, std::slice::from_ref(&key), at, reason).await?;
            sqlx::query!("UPDATE comments SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?", at, key)
                .execute(&mut *w.tx)
                .await?;
            sqlx::query!("DELETE FROM comment_keywords WHERE comment_id = ?", key)
                .execute(&mut *w.tx)
                .await?;
            sqlx::query!("DELETE FROM comments WHERE id = ?", key).execute(&mut *w.tx).await?;
            forget_history(w, std::slice::from_ref(&key)).await?;
        }
        // Other work may point at these: they go to the trash here, out of every list, and
        // their waiting ops to the rejected list.
        EntityKind::Project => {
            reject_pending_of(w, std::slice::from_ref(&key), at, reason).await?;
            sqlx::query!("UPDATE projects SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?", at, key)
                .execute(&mut *w.tx)
                .await?;
        }
        EntityKind::CustomerStatus => {
            reject_pending_of(w, std::slice::from_ref(&key), at, reason).await?;
            sqlx::query!(
                "UPDATE customer_statuses SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?",
                at,
                key
            )
            .execute(&mut *w.tx)
            .await?;
        }
        EntityKind::Keyword => {
            reject_pending_of(w, std::slice::from_ref(&key), at, reason).await?;
            sqlx::query!("UPDATE keywords SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?", at, key)
                .execute(&mut *w.tx)
                .await?;
        }
        // Colleagues, labels and the calendar are never refused as a create an honest device
        // makes; what the server holds arrives with the next pull.
        EntityKind::Colleague | EntityKind::TaskStatusLabel | EntityKind::WorkCalendar => {}
    }
    Ok(())
}

async fn reject_pending_of(w: &mut Write<'_>, ids: &[String], at: &str, reason: &str) -> Result<()> {
    let ids = codec::json(ids)?;
    let seqs: Vec<i64> = sqlx::query_scalar!(
        "SELECT o.client_seq FROM outbox o JOIN history h ON h.seq = o.history_seq
         WHERE h.entity_id IN (SELECT value FROM json_each(?)) ORDER BY o.client_seq",
        ids
    )
    .fetch_all(&mut *w.tx)
    .await?;
    for op in w.store().pending_ops_by_seq(&mut w.tx, &seqs).await? {
        super::ledger::reject(&mut w.tx, &op, "forbidden", reason, at).await?;
    }
    Ok(())
}

async fn forget_history(w: &mut Write<'_>, ids: &[String]) -> Result<()> {
    let ids = codec::json(ids)?;
    sqlx::query!("DELETE FROM history WHERE entity_id IN (SELECT value FROM json_each(?))", ids)
        .execute(&mut *w.tx)
        .await?;
    sqlx::query("DELETE FROM synced_state WHERE entity_id IN (SELECT value FROM json_each(?))")
        .bind(&ids)
        .execute(&mut *w.tx)
        .await?;
    Ok(())
}
