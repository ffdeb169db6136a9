//! What a record may say about itself: its id is the op's entity, and where it belongs is the
//! scope the op goes to (H2). A comment hangs on a task that lives in the same scope, so no
//! write lands on a page its author may not write, on the devices that hold both.

use duly_protocol::{EntityKind, OpKind, Operation, Scope};
use serde_json::Value;
use uuid::Uuid;

use super::PushFacts;

/// Entities whose record names the customer they belong to (`customer_id`).
fn names_its_customer(entity: EntityKind) -> bool {
    matches!(entity, EntityKind::Task | EntityKind::Project | EntityKind::Comment)
}

/// The entities an op's record points at, which the push's facts must cover.
pub fn references(op: &Operation) -> Option<Uuid> {
    if op.entity == EntityKind::Comment && op.kind == OpKind::Create {
        return op.value.get("task_id").and_then(Value::as_str).and_then(|t| Uuid::parse_str(t).ok());
    }
    None
}

/// Refuses a record whose identity or place disagrees with the op that carries it.
pub fn check(op: &Operation, facts: &PushFacts) -> Result<(), String> {
    match op.kind {
        OpKind::Create => {
            let record = op.value.as_object().ok_or("a create carries the whole record")?;
            if let Some(id) = record.get("id")
                && id.as_str().and_then(|t| Uuid::parse_str(t).ok()) != Some(op.entity_id)
            {
                return Err("the record's id is not the operation's entity".into());
            }
            if names_its_customer(op.entity) {
                belongs_here(record.get("customer_id").unwrap_or(&Value::Null), &op.scope)?;
            }
            if op.entity == EntityKind::Comment {
                task_in_scope(record.get("task_id").unwrap_or(&Value::Null), op, facts)?;
                same_as_logged(op, facts)?;
            }
            Ok(())
        }
        // The first half of a move: said where the entity lives now, so its readers there
        // learn where it went (the mover must write the scope it names, see `decide`).
        OpKind::Set if names_its_customer(op.entity) && op.field.as_deref() == Some("customer_id") => {
            moved_to(op).map(|_| ())
        }
        OpKind::Set if op.entity == EntityKind::Comment && op.field.as_deref() == Some("task_id") => {
            Err("a comment stays on its task".into())
        }
        _ => Ok(()),
    }
}

/// Where a set of `customer_id` sends its entity.
pub fn moved_to(op: &Operation) -> Result<Scope, String> {
    match &op.value {
        Value::Null => Ok(Scope::Team),
        Value::String(text) => {
            Ok(Scope::Customer(Uuid::parse_str(text).map_err(|_| "customer_id is not an id")?))
        }
        _ => Err("customer_id is not an id".into()),
    }
}

/// Does deciding `op` need the record the log holds of its entity? A comment created again
/// (moved with its task) must say what the log says.
pub fn needs_logged_record(op: &Operation, facts: &PushFacts) -> bool {
    op.kind == OpKind::Create
        && op.entity == EntityKind::Comment
        && facts.entity_kinds.contains_key(&op.entity_id)
}

/// Where `op` moves a task, if it is half of a move: the set of `customer_id` sent to the scope
/// it leaves, or the create sent to the scope it joins.
pub fn move_target(op: &Operation, facts: &PushFacts) -> Option<Scope> {
    if op.entity != EntityKind::Task {
        return None;
    }
    match op.kind {
        OpKind::Create => {
            facts.entity_scopes.get(&op.entity_id).filter(|scope| **scope != op.scope).map(|_| op.scope)
        }
        OpKind::Set if op.field.as_deref() == Some("customer_id") => {
            moved_to(op).ok().filter(|to| *to != op.scope)
        }
        _ => None,
    }
}

/// Does deciding `op` need the comments the log holds on its task?
pub fn moves_a_task(op: &Operation, facts: &PushFacts) -> bool {
    move_target(op, facts).is_some()
}

/// A move comes whole, in one push: the task created where it goes, and with it every comment
/// the log holds on it; one written while the mover had not seen it would stay behind, on a
/// task its scope's readers no longer have. What is in the trash goes there in the new scope
/// too, and nothing else: a move made before its mover saw a delete (or a restore) elsewhere
/// would show its new readers what the others no longer see. Otherwise neither half is taken.
pub fn comments_come_along(op: &Operation, facts: &PushFacts) -> Result<(), String> {
    let Some(to) = move_target(op, facts) else { return Ok(()) };
    let comments = facts.task_comments.get(&op.entity_id).into_iter().flatten();
    let moved: Vec<Uuid> = std::iter::once(op.entity_id).chain(comments.copied()).collect();
    if !moved.iter().all(|id| facts.batch_creates.contains(&(*id, to))) {
        return Err("the task has comments this device has not seen yet: sync, then move it again".into());
    }
    if moved.iter().any(|id| facts.trashed.contains(id) != facts.batch_trashes.contains(&(*id, to))) {
        return Err("the task or a comment on it went to or came back from the trash on another device: \
             sync, then move it again"
            .into());
    }
    Ok(())
}

/// Folds an entity's logged ops, in log order, into its record: last writer wins per field.
pub fn fold_logged(
    ops: impl IntoIterator<Item = (OpKind, Option<String>, Value, String)>,
) -> serde_json::Map<String, Value> {
    let mut record = serde_json::Map::new();
    let mut stamps: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for (kind, field, value, hlc) in ops {
        let fields: Vec<(String, Value)> = match (kind, field, value) {
            (OpKind::Create, _, Value::Object(fields)) => fields.into_iter().collect(),
            (OpKind::Set, Some(field), value) => vec![(field, value)],
            _ => Vec::new(),
        };
        for (field, value) in fields {
            if duly_protocol::stamp::wins(&hlc, stamps.get(&field).map(String::as_str)) {
                stamps.insert(field.clone(), hlc.clone());
                record.insert(field, value);
            }
        }
    }
    record
}

/// A comment created again says what the log says, but for where it now belongs: nobody puts
/// new words under another's name by sending a comment again.
fn same_as_logged(op: &Operation, facts: &PushFacts) -> Result<(), String> {
    let Some(logged) = facts.logged_records.get(&op.entity_id) else { return Ok(()) };
    let sent = op.value.as_object().ok_or("a create carries the whole record")?;
    // Where it belongs changes with the move; when it was written is compared as an instant
    // (a device keeps it to the microsecond).
    let free = |field: &str| matches!(field, "customer_id" | "created_at");
    let changed =
        logged.iter().find(|(field, value)| !free(field) && sent.get(*field) != Some(value)).map(|(f, _)| f);
    let added = sent
        .iter()
        .find(|(field, value)| {
            !(logged.contains_key(*field)
                || free(field)
                || value.is_null()
                || **value == Value::Array(Vec::new()))
        })
        .map(|(f, _)| f);
    let instant = |record: &serde_json::Map<String, Value>| {
        record
            .get("created_at")
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp_micros())
    };
    match changed.or(added) {
        Some(field) => Err(format!("a comment created again must say what it said ({field} differs)")),
        None if instant(logged) != instant(sent) => {
            Err("a comment created again keeps when it was written".into())
        }
        None => Ok(()),
    }
}

/// A customer's record goes to that customer's scope; work of no customer to the team's or a
/// private one.
fn belongs_here(customer: &Value, scope: &Scope) -> Result<(), String> {
    let named = match customer {
        Value::Null => None,
        Value::String(text) => Some(Uuid::parse_str(text).map_err(|_| "customer_id is not an id")?),
        _ => return Err("customer_id is not an id".into()),
    };
    match (scope, named) {
        (Scope::Customer(here), Some(named)) if *here == named => Ok(()),
        (Scope::Team | Scope::Private(_), None) => Ok(()),
        _ => Err("customer_id names another place than the operation's scope".into()),
    }
}

/// A comment's task is a task the server knows, in the comment's own scope.
fn task_in_scope(task: &Value, op: &Operation, facts: &PushFacts) -> Result<(), String> {
    let Value::String(text) = task else {
        return if task.is_null() { Ok(()) } else { Err("task_id is not an id".into()) };
    };
    let id = Uuid::parse_str(text).map_err(|_| "task_id is not an id")?;
    match (facts.entity_kinds.get(&id), facts.entity_scopes.get(&id)) {
        (Some(EntityKind::Task), Some(scope)) if *scope == op.scope => Ok(()),
        (Some(EntityKind::Task), Some(_)) => Err("the comment's task lives in another scope".into()),
        _ => Err(format!("task {id} is not known")),
    }
}

#[cfg(test)]
mod tests {
    use duly_protocol::OpId;
    use serde_json::json;

    use super::*;

    fn create(entity: EntityKind, id: Uuid, scope: Scope, value: Value) -> Operation {
        Operation {
            op_id: OpId { client_id: Uuid::nil(), client_seq: 1 },
            scope,
            entity,
            entity_id: id,
            kind: OpKind::Create,
            field: None,
            value,
            hlc: String::new(),
            base: None,
        }
    }

    #[test]
    fn a_record_is_the_entity_it_is_sent_as() {
        let (id, other) = (Uuid::now_v7(), Uuid::now_v7());
        let facts = PushFacts::default();
        let honest = create(EntityKind::Task, id, Scope::Team, json!({"id": id, "customer_id": null}));
        assert_eq!(check(&honest, &facts), Ok(()));
        let redirected = create(EntityKind::Task, id, Scope::Team, json!({"id": other, "customer_id": null}));
        assert!(check(&redirected, &facts).is_err());
    }

    #[test]
    fn a_record_names_the_customer_of_its_scope() {
        let (a, b, id) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let facts = PushFacts::default();
        let at =
            |scope, customer: Value| create(EntityKind::Project, id, scope, json!({"customer_id": customer}));
        assert_eq!(check(&at(Scope::Customer(a), json!(a)), &facts), Ok(()));
        assert_eq!(check(&at(Scope::Team, Value::Null), &facts), Ok(()));
        assert!(check(&at(Scope::Customer(a), json!(b)), &facts).is_err(), "lands on B's pages");
        assert!(check(&at(Scope::Team, json!(a)), &facts).is_err());
        assert!(check(&at(Scope::Customer(a), Value::Null), &facts).is_err());
        let mut moved = at(Scope::Customer(b), Value::Null);
        moved.kind = OpKind::Set;
        moved.field = Some("customer_id".into());
        moved.value = json!(a);
        assert_eq!(check(&moved, &facts), Ok(()), "said where the entity lives now");
        assert_eq!(moved_to(&moved), Ok(Scope::Customer(a)));
        moved.value = json!(7);
        assert!(check(&moved, &facts).is_err());
    }

    #[test]
    fn a_comment_created_again_says_what_the_log_says() {
        let (a, b, task, comment) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let stamp = |n: u64| format!("{n}/1");
        let logged = fold_logged([
            (
                OpKind::Create,
                None,
                json!({"customer_id": a, "task_id": task, "body": "első", "author_id": a}),
                stamp(10),
            ),
            (OpKind::Set, Some("body".into()), json!("javított"), stamp(30)),
            (OpKind::Set, Some("body".into()), json!("régi"), stamp(20)),
        ]);
        assert_eq!(logged.get("body"), Some(&json!("javított")), "the latest stamp wins, not the last row");
        let facts = PushFacts {
            entity_kinds: [(task, EntityKind::Task), (comment, EntityKind::Comment)].into(),
            entity_scopes: [(task, Scope::Customer(b)), (comment, Scope::Customer(a))].into(),
            logged_records: [(comment, logged)].into(),
            ..PushFacts::default()
        };
        let again = |body: &str| {
            create(
                EntityKind::Comment,
                comment,
                Scope::Customer(b),
                json!({"customer_id": b, "task_id": task, "body": body, "author_id": a}),
            )
        };
        assert!(needs_logged_record(&again("x"), &facts));
        assert_eq!(check(&again("javított"), &facts), Ok(()), "moved with its task");
        assert!(check(&again("Új bankszámlaszám"), &facts).is_err(), "new words under another's name");
    }

    #[test]
    fn a_move_comes_whole_or_not_at_all() {
        let (a, b, task, seen, unseen) =
            (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut facts = PushFacts {
            entity_kinds: [(task, EntityKind::Task)].into(),
            entity_scopes: [(task, Scope::Customer(a))].into(),
            task_comments: [(task, [seen].into())].into(),
            batch_creates: [(task, Scope::Customer(b)), (seen, Scope::Customer(b))].into(),
            ..PushFacts::default()
        };
        let mut leave = create(EntityKind::Task, task, Scope::Customer(a), json!(b));
        leave.kind = OpKind::Set;
        leave.field = Some("customer_id".into());
        let join = create(EntityKind::Task, task, Scope::Customer(b), json!({"customer_id": b}));
        assert_eq!(move_target(&leave, &facts), Some(Scope::Customer(b)));
        assert_eq!(move_target(&join, &facts), Some(Scope::Customer(b)));
        assert_eq!(comments_come_along(&leave, &facts), Ok(()));
        assert_eq!(comments_come_along(&join, &facts), Ok(()));
        facts.task_comments.insert(task, [seen, unseen].into());
        assert!(comments_come_along(&leave, &facts).is_err(), "a comment the mover has not seen");
        assert!(comments_come_along(&join, &facts).is_err());
        facts.task_comments.insert(task, [seen].into());
        facts.batch_creates.remove(&(task, Scope::Customer(b)));
        assert!(comments_come_along(&leave, &facts).is_err(), "half a move");
    }

    #[test]
    fn a_move_carries_the_trash_as_the_log_holds_it() {
        let (a, b, task, comment) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let to = Scope::Customer(b);
        let mut facts = PushFacts {
            entity_kinds: [(task, EntityKind::Task)].into(),
            entity_scopes: [(task, Scope::Customer(a))].into(),
            task_comments: [(task, [comment].into())].into(),
            batch_creates: [(task, to), (comment, to)].into(),
            trashed: [comment].into(),
            ..PushFacts::default()
        };
        let join = create(EntityKind::Task, task, to, json!({"customer_id": b}));
        assert!(comments_come_along(&join, &facts).is_err(), "a trashed comment arriving live");
        facts.batch_trashes.insert((comment, to));
        assert_eq!(comments_come_along(&join, &facts), Ok(()));
        facts.batch_trashes.insert((comment, Scope::Customer(a)));
        facts.trashed.insert(task);
        assert!(comments_come_along(&join, &facts).is_err(), "a task trashed where the mover did not see it");
        facts.trashed.clear();
        assert!(
            comments_come_along(&join, &facts).is_err(),
            "a comment restored where the mover did not see it"
        );
    }

    #[test]
    fn a_comment_hangs_on_a_known_task_of_its_own_scope() {
        let (a, b, task, elsewhere) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let facts = PushFacts {
            entity_kinds: [
                (task, EntityKind::Task),
                (elsewhere, EntityKind::Task),
                (a, EntityKind::Customer),
            ]
            .into(),
            entity_scopes: [
                (task, Scope::Customer(a)),
                (elsewhere, Scope::Customer(b)),
                (a, Scope::Customer(a)),
            ]
            .into(),
            ..PushFacts::default()
        };
        let on = |target: Uuid| {
            create(
                EntityKind::Comment,
                Uuid::now_v7(),
                Scope::Customer(a),
                json!({"customer_id": a, "task_id": target}),
            )
        };
        assert_eq!(check(&on(task), &facts), Ok(()));
        assert_eq!(references(&on(task)), Some(task));
        assert!(check(&on(elsewhere), &facts).is_err(), "a task of customer B");
        assert!(check(&on(a), &facts).is_err(), "not a task");
        assert!(check(&on(Uuid::now_v7()), &facts).is_err(), "unknown");
        let on_customer = create(
            EntityKind::Comment,
            Uuid::now_v7(),
            Scope::Customer(a),
            json!({"customer_id": a, "task_id": null}),
        );
        assert_eq!(check(&on_customer, &facts), Ok(()));
    }
}
