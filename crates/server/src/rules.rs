//! The sync protocol's decisions, as pure code: no HTTP, no SQL. Storage gathers the facts in
//! its transaction and asks these functions what to do with each operation.

use duly_protocol::{EntityKind, ErrorCode, OpKind, OpOutcome, Operation, Role, Scope, User, stamp};
use uuid::Uuid;

use crate::storage::PushFacts;

/// Limits the server holds operations to.
#[derive(Debug, Clone)]
pub struct PushRules {
    /// The largest value (as JSON text) one operation may carry.
    pub max_value_bytes: usize,
}

impl Default for PushRules {
    fn default() -> Self {
        Self { max_value_bytes: 256 * 1024 }
    }
}

/// What to do with one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Log it. The entity lives in the op's scope from now on; a customer seen for the first
    /// time is granted to the user who created it.
    Accept {
        grant_customer: Option<Uuid>,
    },
    Duplicate(i64),
    Reject(ErrorCode, String),
}

impl Decision {
    pub fn outcome(&self, seq: Option<i64>) -> OpOutcome {
        match self {
            Self::Accept { .. } => OpOutcome::Applied { seq: seq.unwrap_or_default() },
            Self::Duplicate(seq) => OpOutcome::Duplicate { seq: *seq },
            Self::Reject(code, reason) => OpOutcome::Rejected { code: *code, reason: reason.clone() },
        }
    }
}

impl PushRules {
    /// Decides one op and updates `facts` as if it had been logged, so later ops of the same
    /// batch see its effect (a customer created earlier in the batch is known, and granted).
    pub fn decide(&self, user: &User, facts: &mut PushFacts, op: &Operation) -> Decision {
        if let Some(seq) = facts.existing.get(&op.op_id) {
            return Decision::Duplicate(*seq);
        }
        if let Err(reason) = self.well_formed(op) {
            return Decision::Reject(ErrorCode::InvalidOperation, reason);
        }
        let mut grant_customer = None;
        match op.scope {
            Scope::Customer(customer) => {
                let first_sight = !facts.known_customers.contains(&customer);
                if first_sight {
                    // Only the customer's own creation can open a new customer scope.
                    if !(op.entity == EntityKind::Customer
                        && op.entity_id == customer
                        && op.kind == OpKind::Create)
                    {
                        return Decision::Reject(
                            ErrorCode::ForbiddenScope,
                            format!("customer {customer} is not known"),
                        );
                    }
                    if user.role == Role::Guest {
                        return Decision::Reject(
                            ErrorCode::ForbiddenScope,
                            "guests cannot create customers".into(),
                        );
                    }
                    grant_customer = Some(customer);
                } else if !may_write(user, facts, &op.scope) {
                    return Decision::Reject(
                        ErrorCode::ForbiddenScope,
                        format!("customer {customer} is not shared with you"),
                    );
                }
            }
            scope if !may_write(user, facts, &scope) && !own_colleague(user, op) => {
                return Decision::Reject(
                    ErrorCode::ForbiddenScope,
                    format!("you may not write the {} scope", scope_name(&scope)),
                );
            }
            _ => {}
        }
        // An entity moving between scopes must be writable where it lives now, too.
        if let Some(current) = facts.entity_scopes.get(&op.entity_id)
            && *current != op.scope
            && !may_write(user, facts, current)
        {
            return Decision::Reject(
                ErrorCode::ForbiddenScope,
                "the entity lives in a scope you may not write".into(),
            );
        }
        if let Some(customer) = grant_customer {
            facts.known_customers.insert(customer);
            facts.granted.insert(customer);
        }
        facts.entity_scopes.insert(op.entity_id, op.scope);
        Decision::Accept { grant_customer }
    }

    fn well_formed(&self, op: &Operation) -> Result<(), String> {
        if !stamp::is_valid(&op.hlc) {
            return Err(format!("hlc {:?} is not a clock stamp", op.hlc));
        }
        if op.op_id.client_seq <= 0 {
            return Err("client_seq must be positive".into());
        }
        match (op.kind, op.field.as_deref()) {
            (OpKind::Set, None | Some("")) => return Err("a set names its field".into()),
            (OpKind::Create, _) if !op.value.is_object() => {
                return Err("a create carries the whole record".into());
            }
            _ => {}
        }
        let size = serde_json::to_string(&op.value).map_or(usize::MAX, |text| text.len());
        if size > self.max_value_bytes {
            return Err(format!("value of {size} bytes is over the limit of {}", self.max_value_bytes));
        }
        match (op.entity, op.scope) {
            (entity, Scope::Settings) if entity.is_setting() => Ok(()),
            (entity, _) if entity.is_setting() => Err("settings entities live in the settings scope".into()),
            (EntityKind::Customer, Scope::Customer(id)) if id == op.entity_id => Ok(()),
            (EntityKind::Customer, _) => Err("a customer lives in its own scope".into()),
            (_, Scope::Settings) => Err("only settings live in the settings scope".into()),
            _ => Ok(()),
        }
    }
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

fn may_write(user: &User, facts: &PushFacts, scope: &Scope) -> bool {
    match scope {
        Scope::Settings => user.role != Role::Guest,
        other => may_read(user, &facts.granted, other),
    }
}

/// A guest may write one thing in the settings: the colleague record that stands for them,
/// so the names on their comments resolve for everyone.
fn own_colleague(user: &User, op: &Operation) -> bool {
    op.scope == Scope::Settings
        && op.entity == EntityKind::Colleague
        && user.colleague_id == Some(op.entity_id)
}

fn scope_name(scope: &Scope) -> &'static str {
    match scope {
        Scope::Customer(_) => "customer",
        Scope::Team => "team",
        Scope::Private(_) => "private",
        Scope::Settings => "settings",
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

#[cfg(test)]
mod tests {
    use duly_protocol::{OpId, OpKind};
    use serde_json::json;

    use super::*;

    fn user(role: Role) -> User {
        User {
            id: Uuid::now_v7(),
            login: "u".into(),
            name: "U".into(),
            role,
            active: true,
            colleague_id: Some(Uuid::now_v7()),
        }
    }

    fn op(seq: i64, scope: Scope, entity: EntityKind, entity_id: Uuid, kind: OpKind) -> Operation {
        let hlc = uhlc::HLCBuilder::new().build().new_timestamp().to_string();
        let value = if kind == OpKind::Create { json!({"name": "x"}) } else { json!("x") };
        let field = (kind == OpKind::Set).then(|| "name".to_owned());
        Operation {
            op_id: OpId { client_id: Uuid::nil(), client_seq: seq },
            scope,
            entity,
            entity_id,
            kind,
            field,
            value,
            hlc,
            base: None,
        }
    }

    #[test]
    fn a_new_customer_is_granted_to_its_creator_and_closed_to_others() {
        let rules = PushRules::default();
        let (anna, bela) = (user(Role::Member), user(Role::Member));
        let customer = Uuid::now_v7();
        let mut facts = PushFacts::default();
        let create = op(1, Scope::Customer(customer), EntityKind::Customer, customer, OpKind::Create);
        assert_eq!(
            rules.decide(&anna, &mut facts, &create),
            Decision::Accept { grant_customer: Some(customer) }
        );
        let task = op(2, Scope::Customer(customer), EntityKind::Task, Uuid::now_v7(), OpKind::Create);
        assert!(
            matches!(rules.decide(&anna, &mut facts, &task), Decision::Accept { grant_customer: None }),
            "the same batch sees the grant"
        );
        let mut bela_facts =
            PushFacts { known_customers: facts.known_customers.clone(), ..PushFacts::default() };
        assert!(matches!(
            rules.decide(&bela, &mut bela_facts, &task),
            Decision::Reject(ErrorCode::ForbiddenScope, _)
        ));
    }

    #[test]
    fn only_a_customers_own_creation_opens_its_scope() {
        let rules = PushRules::default();
        let customer = Uuid::now_v7();
        let sneaky = op(1, Scope::Customer(customer), EntityKind::Task, Uuid::now_v7(), OpKind::Create);
        assert!(matches!(
            rules.decide(&user(Role::Member), &mut PushFacts::default(), &sneaky),
            Decision::Reject(ErrorCode::ForbiddenScope, _)
        ));
    }

    #[test]
    fn guests_write_only_shared_customers_and_their_own_colleague() {
        let rules = PushRules::default();
        let guest = user(Role::Guest);
        let mut facts = PushFacts::default();
        let team = op(1, Scope::Team, EntityKind::Task, Uuid::now_v7(), OpKind::Create);
        assert!(matches!(
            rules.decide(&guest, &mut facts, &team),
            Decision::Reject(ErrorCode::ForbiddenScope, _)
        ));
        let keyword = op(2, Scope::Settings, EntityKind::Keyword, Uuid::now_v7(), OpKind::Create);
        assert!(matches!(
            rules.decide(&guest, &mut facts, &keyword),
            Decision::Reject(ErrorCode::ForbiddenScope, _)
        ));
        let me = guest.colleague_id.unwrap_or_default();
        let own = op(3, Scope::Settings, EntityKind::Colleague, me, OpKind::Create);
        assert!(matches!(rules.decide(&guest, &mut facts, &own), Decision::Accept { .. }));
        let customer = Uuid::now_v7();
        let mut shared = PushFacts {
            known_customers: [customer].into(),
            granted: [customer].into(),
            ..PushFacts::default()
        };
        let comment = op(4, Scope::Customer(customer), EntityKind::Comment, Uuid::now_v7(), OpKind::Create);
        assert!(matches!(rules.decide(&guest, &mut shared, &comment), Decision::Accept { .. }));
    }

    #[test]
    fn an_entity_cannot_be_reached_through_a_scope_it_does_not_live_in() {
        let rules = PushRules::default();
        let anna = user(Role::Member);
        let (hers, other) = (Uuid::now_v7(), Uuid::now_v7());
        let task = Uuid::now_v7();
        let mut facts = PushFacts {
            known_customers: [hers, other].into(),
            granted: [hers].into(),
            entity_scopes: [(task, Scope::Customer(other))].into(),
            ..PushFacts::default()
        };
        let relabelled = op(1, Scope::Customer(hers), EntityKind::Task, task, OpKind::Set);
        assert!(matches!(
            rules.decide(&anna, &mut facts, &relabelled),
            Decision::Reject(ErrorCode::ForbiddenScope, _)
        ));
    }

    #[test]
    fn malformed_operations_are_refused_and_retries_are_duplicates() {
        let rules = PushRules { max_value_bytes: 64 };
        let anna = user(Role::Member);
        let mut bad = op(1, Scope::Team, EntityKind::Task, Uuid::now_v7(), OpKind::Set);
        bad.hlc = "yesterday".into();
        assert!(matches!(
            rules.decide(&anna, &mut PushFacts::default(), &bad),
            Decision::Reject(ErrorCode::InvalidOperation, _)
        ));
        let mut big = op(2, Scope::Team, EntityKind::Task, Uuid::now_v7(), OpKind::Set);
        big.value = json!("x".repeat(100));
        assert!(matches!(
            rules.decide(&anna, &mut PushFacts::default(), &big),
            Decision::Reject(ErrorCode::InvalidOperation, _)
        ));
        let mut nameless = op(3, Scope::Team, EntityKind::Task, Uuid::now_v7(), OpKind::Set);
        nameless.field = None;
        assert!(matches!(
            rules.decide(&anna, &mut PushFacts::default(), &nameless),
            Decision::Reject(ErrorCode::InvalidOperation, _)
        ));
        let customer_elsewhere = op(4, Scope::Team, EntityKind::Customer, Uuid::now_v7(), OpKind::Create);
        assert!(matches!(
            rules.decide(&anna, &mut PushFacts::default(), &customer_elsewhere),
            Decision::Reject(ErrorCode::InvalidOperation, _)
        ));
        let fine = op(5, Scope::Team, EntityKind::Task, Uuid::now_v7(), OpKind::Create);
        let mut facts = PushFacts::default();
        facts.existing.insert(fine.op_id, 42);
        assert_eq!(rules.decide(&anna, &mut facts, &fine), Decision::Duplicate(42));
    }
}
