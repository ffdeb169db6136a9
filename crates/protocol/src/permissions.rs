//! The permission table: role × entity × kind × field, for ops in a scope the user may write
//! (the scope itself is the server's to check). Written once, here: the server decides pushes
//! with it and the desktop offers only what it allows.

use crate::{EntityKind, OpKind, Role};
/// Fields no `set` may name: they say which record this is and who made it.
pub const IDENTITY_FIELDS: &[&str] = &["id", "author_id", "creator_id", "created_by", "created_at", "system"];

/// What the pushing user is to the entity an op names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Own {
    /// The entity is the colleague record bound to the user.
    pub colleague: bool,
    /// The user's colleague created the entity (the author of its create in the log, or of a
    /// create earlier in the same push).
    pub created: bool,
}

/// The permission table: may a user of `role` make this change, in a scope they may write?
pub fn permitted(role: Role, entity: EntityKind, kind: OpKind, field: Option<&str>, own: Own) -> bool {
    use EntityKind as E;
    use OpKind as K;
    match (role, entity, kind) {
        // Append-only for everyone: the author may edit the body, nobody anything else.
        (_, E::Comment, K::Create) => true,
        (_, E::Comment, K::Set) => own.created && field == Some("body"),
        // Trashing a task or customer trashes its comments with it, whoever wrote them.
        (Role::Guest, E::Comment, _) => false,
        // A guest keeps the record that names them on their comments up to date.
        (Role::Guest, E::Colleague, K::Create) => own.colleague,
        (Role::Guest, E::Colleague, K::Set) => own.colleague && matches!(field, Some("name" | "email")),
        (Role::Guest, _, _) => false,
        // Who is what in the company stays with admins and managers.
        (Role::Member, E::Colleague, K::Set) => !matches!(field, Some("role" | "active")),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The policy stated a second time, as data: what each role may do beyond its defaults.
    /// Every (role, entity, kind, field, ownership) cell is checked against it.
    fn expected(role: Role, entity: EntityKind, kind: OpKind, field: Option<&str>, own: Own) -> bool {
        use EntityKind as E;
        use OpKind as K;
        // (role, entity, kind, field or any, needs own colleague, needs own creation)
        type Cell = (Option<Role>, E, K, Option<&'static str>, bool, bool);
        const GRANTS: &[Cell] = &[
            (None, E::Comment, K::Create, None, false, false),
            (None, E::Comment, K::Set, Some("body"), false, true),
            (Some(Role::Guest), E::Colleague, K::Create, None, true, false),
            (Some(Role::Guest), E::Colleague, K::Set, Some("name"), true, false),
            (Some(Role::Guest), E::Colleague, K::Set, Some("email"), true, false),
        ];
        let granted = GRANTS.iter().any(|(r, e, k, f, needs_colleague, needs_created)| {
            r.is_none_or(|r| r == role)
                && *e == entity
                && *k == kind
                && f.is_none_or(|f| Some(f) == field)
                && (!needs_colleague || own.colleague)
                && (!needs_created || own.created)
        });
        if granted || role == Role::Guest {
            return granted;
        }
        match (entity, kind) {
            (E::Comment, K::Set) => false,
            (E::Colleague, K::Set) if role == Role::Member => !matches!(field, Some("role" | "active")),
            _ => true,
        }
    }

    #[test]
    fn the_permission_table_holds_in_every_cell() {
        use EntityKind as E;
        let roles = [Role::Guest, Role::Member, Role::Manager, Role::Admin];
        let entities = [
            E::Colleague,
            E::Customer,
            E::CustomerStatus,
            E::Project,
            E::Task,
            E::Comment,
            E::Keyword,
            E::TaskStatusLabel,
            E::WorkCalendar,
        ];
        let kinds = [OpKind::Create, OpKind::Set, OpKind::Delete, OpKind::Restore];
        let fields =
            [None, Some("body"), Some("name"), Some("email"), Some("role"), Some("active"), Some("title")];
        let owns = [
            Own::default(),
            Own { colleague: true, created: false },
            Own { colleague: false, created: true },
            Own { colleague: true, created: true },
        ];
        let mut cells = 0;
        for role in roles {
            for entity in entities {
                for kind in kinds {
                    for field in fields {
                        for own in owns {
                            assert_eq!(
                                permitted(role, entity, kind, field, own),
                                expected(role, entity, kind, field, own),
                                "{role:?} {entity:?} {kind:?} {field:?} {own:?}"
                            );
                            cells += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(cells, 4 * 9 * 4 * 7 * 4);
    }
}
