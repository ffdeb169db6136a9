//! What a user reads, and what the server logs in their name.

use duly_protocol::{EntityKind, OpKind, Operation, Role, Scope, User};
use uuid::Uuid;

/// The value the server logs for an op. Identity is the server's (H2): who created a task,
/// customer or project, who wrote a comment and who completed a task is the session's
/// colleague, and only the server speaks as "System", whatever the record says. An honest
/// client's record is logged as sent.
///
/// `creator` is who created the entity first, when the log has seen it: a create of a known
/// entity (a move) keeps its author and creator.
pub fn logged_value<'a>(
    user: &User,
    op: &'a Operation,
    creator: Option<Uuid>,
) -> std::borrow::Cow<'a, serde_json::Value> {
    use serde_json::Value;
    use std::borrow::Cow;
    let me = serde_json::json!(user.colleague_id.unwrap_or(user.id));
    let first = creator.map_or_else(|| me.clone(), |creator| serde_json::json!(creator));
    if op.kind == OpKind::Set {
        // A completion names whoever completed it; clearing it stays a clearing.
        if op.entity == EntityKind::Task
            && op.field.as_deref() == Some("completed_by")
            && !op.value.is_null()
            && op.value != me
        {
            return Cow::Owned(me);
        }
        return Cow::Borrowed(&op.value);
    }
    let Some(record) = op.value.as_object() else { return Cow::Borrowed(&op.value) };
    let filled: Vec<(&str, Value)> = match op.entity {
        EntityKind::Comment if op.kind == OpKind::Create => {
            vec![("author_id", first), ("system", Value::Bool(false))]
        }
        EntityKind::Task if op.kind == OpKind::Create => {
            let mut fields = vec![("creator_id", first)];
            if record.get("completed_by").is_some_and(|done| !done.is_null()) {
                fields.push(("completed_by", me.clone()));
            }
            fields
        }
        EntityKind::Customer | EntityKind::Project if op.kind == OpKind::Create => {
            vec![("created_by", first)]
        }
        _ => Vec::new(),
    };
    if filled.iter().all(|(field, value)| record.get(*field) == Some(value)) {
        return Cow::Borrowed(&op.value);
    }
    let mut record = record.clone();
    for (field, value) in filled {
        record.insert(field.into(), value);
    }
    Cow::Owned(Value::Object(record))
}

/// May `user` read `scope`? Used for pull, scope lists and blobs.
pub fn may_read(user: &User, granted: &std::collections::HashSet<Uuid>, scope: &Scope) -> bool {
    match scope {
        Scope::Customer(id) => user.role.manages() || granted.contains(id),
        Scope::Team => user.role != Role::Guest,
        Scope::Private(owner) => user.colleague_id == Some(*owner),
        // Guests read settings too: statuses, keywords and names are needed to show a task.
        Scope::Settings => true,
    }
}

/// Least disclosure: what of a logged op a user is shown. A guest sees a colleague's name and
/// nothing else (no e-mail, role, working hours or absences), except on their own record;
/// everyone else sees the op as logged.
pub fn disclosed(user: &User, mut logged: duly_protocol::LoggedOp) -> Option<duly_protocol::LoggedOp> {
    let op = &mut logged.op;
    if user.role != Role::Guest
        || op.entity != EntityKind::Colleague
        || user.colleague_id == Some(op.entity_id)
    {
        return Some(logged);
    }
    match op.kind {
        OpKind::Create => {
            let record = op.value.as_object().cloned().unwrap_or_default();
            let kept = |key: &str, default: serde_json::Value| record.get(key).cloned().unwrap_or(default);
            // The fields a colleague record must have, the private ones neutral.
            op.value = serde_json::json!({
                "id": kept("id", serde_json::json!(op.entity_id)),
                "name": kept("name", serde_json::json!("")),
                "active": kept("active", serde_json::json!(true)),
                "created_at": kept("created_at", serde_json::Value::Null),
                "email": "",
                "role": "member",
            });
            Some(logged)
        }
        OpKind::Set if matches!(op.field.as_deref(), Some("name" | "active")) => Some(logged),
        OpKind::Set => None,
        OpKind::Delete | OpKind::Restore => Some(logged),
    }
}

/// The scopes a user holds now, as the pull response lists them.
pub fn held_scopes(user: &User, granted: &[Uuid], every_customer: &[Uuid]) -> Vec<Scope> {
    let customers = if user.role.manages() { every_customer } else { granted };
    let mut scopes: Vec<Scope> = customers.iter().map(|id| Scope::Customer(*id)).collect();
    scopes.sort();
    scopes.dedup();
    if user.role != Role::Guest {
        scopes.push(Scope::Team);
    }
    if let Some(colleague) = user.colleague_id {
        scopes.push(Scope::Private(colleague));
    }
    scopes.push(Scope::Settings);
    scopes
}
