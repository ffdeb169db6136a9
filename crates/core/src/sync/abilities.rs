//! What the window offers the person, read from the permission table the server decides
//! with (`duly_protocol::permissions`): a guest, one of the company's customers, is offered
//! comments and their own name only, so nothing they do is refused afterwards.

use duly_protocol::permissions::{Own, permitted};
use duly_protocol::{EntityKind, OpKind, Role};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Abilities {
    pub create_tasks: bool,
    /// Title, due, responsible, status and every other field of a task.
    pub edit_tasks: bool,
    /// Trash and restore tasks, customers and projects.
    pub delete: bool,
    pub create_customers: bool,
    pub edit_customers: bool,
    pub create_projects: bool,
    pub comment: bool,
    /// Customer statuses, keywords, status labels and the working calendar.
    pub edit_settings: bool,
    /// A colleague's role and whether they are active.
    pub manage_colleagues: bool,
}

impl Abilities {
    /// For a user of `role`; `None` (no server: the store is used alone) may do everything.
    pub fn of(role: Option<Role>) -> Self {
        let may = |entity, kind, field| {
            role.is_none_or(|role| permitted(role, entity, kind, field, Own::default()))
        };
        Self {
            create_tasks: may(EntityKind::Task, OpKind::Create, None),
            edit_tasks: may(EntityKind::Task, OpKind::Set, Some("title")),
            delete: may(EntityKind::Task, OpKind::Delete, None)
                && may(EntityKind::Customer, OpKind::Delete, None),
            create_customers: may(EntityKind::Customer, OpKind::Create, None),
            edit_customers: may(EntityKind::Customer, OpKind::Set, Some("name")),
            create_projects: may(EntityKind::Project, OpKind::Create, None),
            comment: may(EntityKind::Comment, OpKind::Create, None),
            edit_settings: may(EntityKind::Keyword, OpKind::Create, None),
            manage_colleagues: may(EntityKind::Colleague, OpKind::Set, Some("role")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guest_is_offered_comments_only_and_a_member_no_say_over_roles() {
        let guest = Abilities::of(Some(Role::Guest));
        assert!(guest.comment);
        assert!(!(guest.create_tasks || guest.edit_tasks || guest.delete || guest.edit_customers));
        assert!(
            !(guest.create_customers
                || guest.create_projects
                || guest.edit_settings
                || guest.manage_colleagues)
        );
        let member = Abilities::of(Some(Role::Member));
        assert!(member.edit_tasks && member.delete && member.edit_settings && !member.manage_colleagues);
        assert!(Abilities::of(Some(Role::Manager)).manage_colleagues);
        assert_eq!(Abilities::of(None), Abilities::of(Some(Role::Admin)), "alone, everything is offered");
    }
}
