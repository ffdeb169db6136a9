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
    Accept { grant_customer: Option<Uuid> },
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
                    if !(op.entity == EntityKind::Customer && op.entity_id == customer && op.kind == OpKind::Create) {
                        return Decision::Reject(ErrorCode::ForbiddenScope, format!("customer {customer} is not known"));
                    }
                    if user.role == Role::Guest {
                        return Decision::Reject(ErrorCode::ForbiddenScope, "guests cannot create customers".into());
                    }
                    grant_customer = Some(customer);
                } else if !may_write(user, facts, &op.scope) {
                    return Decision::Reject(ErrorCode::ForbiddenScope, format!("customer {customer} is not shared with you"));
                }
            }
            scope if !may_write(user, facts, &scope) && !own_colleague(user, op) => {
                return Decision::Reject(ErrorCode::ForbiddenScope, format!("you may not write the {} scope", scope_name(&scope)));
            }
            _ => {}
        }
        // An entity moving between scopes must be writable where it lives now, too.
        if let Some(current) = facts.entity_scopes.get(&op.entity_id)
            && *current != op.scope
            && !may_write(user, facts, current)
        {
            return Decision::Reject(ErrorCode::ForbiddenScope, "the entity lives in a scope you may not write".into());
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
            (OpKind::Create, _) if !op.value.is_object() => return Err("a create carries the whole record".into()),
            _ => {}
        }
        let size = serde_json::to_string(&op.value).map_or(usize::MAX, |text| text.len());
        if size > self.max_value_bytes {
            return Err(format!("value of {size} bytes is over the limit of {}", self.max_value_bytes));
        }
        match (op.entity, op.scope) {
            (EntityKind::Colleague | EntityKind::CustomerStatus | EntityKind::Keyword | EntityKind::TaskStatusLabel, Scope::Settings) => Ok(()),
            (EntityKind::Colleague | EntityKind::CustomerStatus | EntityKind::Keyword | EntityKind::TaskStatusLabel, _) => {
                Err("settings entities live in the settings scope".into())
            }
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
    op.scope == Scope::Settings && op.entity == EntityKind::Colleague && user.colleague_id == Some(op.entity_id)
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
