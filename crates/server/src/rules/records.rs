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
            }
            Ok(())
        }
        OpKind::Set if names_its_customer(op.entity) && op.field.as_deref() == Some("customer_id") => {
            belongs_here(&op.value, &op.scope)
        }
        OpKind::Set if op.entity == EntityKind::Comment && op.field.as_deref() == Some("task_id") => {
            Err("a comment stays on its task".into())
        }
        _ => Ok(()),
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
        assert!(check(&moved, &facts).is_err(), "a set of customer_id goes to that customer's scope");
        moved.value = json!(b);
        assert_eq!(check(&moved, &facts), Ok(()));
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
