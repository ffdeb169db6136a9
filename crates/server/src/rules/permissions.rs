//! The words of a refusal; the table itself is the protocol's (`duly_protocol::permissions`),
//! so the desktop offers exactly what the server takes.

use duly_protocol::{OpKind, Operation, Role};

pub use duly_protocol::permissions::{IDENTITY_FIELDS, Own, permitted};

pub(super) fn refusal(role: Role, op: &Operation) -> String {
    let change = match (op.kind, op.field.as_deref()) {
        (OpKind::Set, Some(field)) => format!("change the {field} of"),
        (OpKind::Create, _) => "create".into(),
        (OpKind::Delete, _) => "delete".into(),
        (OpKind::Restore, _) => "restore".into(),
        (OpKind::Set, None) => "change".into(),
    };
    let who = match role {
        Role::Guest => "a guest",
        Role::Member => "a member",
        Role::Manager => "a manager",
        Role::Admin => "an admin",
    };
    format!("{who} may not {change} this {}", op.entity.as_str())
}
