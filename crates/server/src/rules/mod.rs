//! The sync protocol's decisions, as pure code: no HTTP, no SQL, no storage. `crate::sync::push`
//! reads the facts in the push transaction and asks these functions what to do with each op.
//!
//! **The rule: a client proposes, the server decides.** An operation is a proposal. The
//! server decides whether it is well formed (the protocol's limits), whether its author may
//! write where it goes (role × scope), and whether the author may make this change to this
//! entity (role × entity × kind × field, [`permitted`]). Identity and time are the server's:
//! the author of a logged op is the session's colleague, never a field of the op.
//!
//! | role | scopes written | in them |
//! |---|---|---|
//! | guest | customers granted to them; their own colleague record in the settings | create comments; edit the body of their own comment; name and e-mail of their own colleague |
//! | member | the team, customers granted to them, their private scope, the settings | everything but a colleague's role and active flag, and the body of others' comments |
//! | manager, admin | the team, every customer, their private scope, the settings | everything but the body of others' comments |
//!
//! Comments are append-only for everyone: a body is edited only by its author, other fields
//! never change after the create; a comment goes to the trash with its task or customer.
//!
//! Here: one push's decisions. `facts.rs` is what they are decided against; `permissions.rs`
//! the table of who may change what; `visibility.rs` what a user reads and what the server
//! logs in their name.

mod facts;
mod permissions;
mod records;
mod visibility;

use duly_protocol::limits::MAX_CLOCK_AHEAD_SECS;
use duly_protocol::{EntityKind, ErrorCode, OpKind, Operation, Role, Scope, User, stamp};
use uuid::Uuid;

pub use facts::{Logged, PushFacts};
use permissions::refusal;
pub use permissions::{IDENTITY_FIELDS, Own, permitted};
pub use records::{fold_logged, moves_a_task, needs_logged_record, references};
pub use visibility::{disclosed, held_scopes, logged_value, may_read};

/// Limits the server holds operations to.
#[derive(Debug, Clone)]
pub struct PushRules {
    /// The largest value (as JSON text) one operation may carry.
    pub max_value_bytes: usize,
}

impl Default for PushRules {
    /// The protocol's own limit, the one clients check before they write.
    fn default() -> Self {
        Self { max_value_bytes: duly_protocol::limits::MAX_VALUE_BYTES }
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
    /// Logged already: at this seq, or (`None`) by an earlier copy in the same batch, whose
    /// seq is the answer once the batch is logged.
    Duplicate(Option<i64>),
    Reject(ErrorCode, String),
}

impl PushRules {
    /// Decides one op and updates `facts` as if it had been logged, so later ops of the same
    /// batch see its effect (a customer created earlier in the batch is known, and granted;
    /// a second copy of the op is its duplicate).
    pub fn decide(&self, user: &User, facts: &mut PushFacts, op: &Operation) -> Decision {
        if facts.client_of_other_user {
            return Decision::Reject(
                ErrorCode::OpIdTaken,
                "this client id belongs to another user: take a new one and push again".into(),
            );
        }
        if let Some(logged) = facts.existing.get(&op.op_id) {
            // A retry carries the same stamp for the same entity; anything else reuses the id.
            if logged.hlc == op.hlc && logged.entity_id == op.entity_id {
                return Decision::Duplicate(logged.seq);
            }
            return Decision::Reject(
                ErrorCode::OpIdTaken,
                format!("op {} was logged with other content: take a new client id", op.op_id.client_seq),
            );
        }
        if let Err(reason) = self.well_formed(op) {
            return Decision::Reject(ErrorCode::InvalidOperation, reason);
        }
        // Time is the server's: a stamp from the future would win every merge until the
        // world caught up with it (H3). The client corrects its clock and stamps again.
        let ahead_ms = stamp::time_ms(&op.hlc).unwrap_or(i64::MAX).saturating_sub(facts.now_ms);
        if ahead_ms > i64::try_from(MAX_CLOCK_AHEAD_SECS * 1000).unwrap_or(i64::MAX) {
            return Decision::Reject(
                ErrorCode::ClockAhead,
                format!("the stamp is {} s ahead of the server's clock", ahead_ms / 1000),
            );
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
                            // The same words whether it exists or not (L3).
                            format!("customer {customer} is not shared with you"),
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
        // What lives where the user may not read is answered as if it did not exist (L3): no
        // refusal tells that an id is in use elsewhere, or what it is.
        if let Some(current) = facts.entity_scopes.get(&op.entity_id)
            && !may_read(user, &facts.granted, current)
        {
            return Decision::Reject(ErrorCode::InvalidOperation, unknown(op));
        }
        // An entity is what it was created as: an op of another kind for its id would merge
        // into a different record on every replica.
        if let Some(kind) = facts.entity_kinds.get(&op.entity_id)
            && *kind != op.entity
        {
            return Decision::Reject(
                ErrorCode::InvalidOperation,
                format!("entity {} is a {}, not a {}", op.entity_id, kind.as_str(), op.entity.as_str()),
            );
        }
        let own = Own {
            colleague: user.colleague_id == Some(op.entity_id),
            created: user.colleague_id.is_some()
                && facts.entity_creators.get(&op.entity_id) == user.colleague_id.as_ref(),
        };
        if !permitted(user.role, op.entity, op.kind, op.field.as_deref(), own) {
            return Decision::Reject(ErrorCode::Forbidden, refusal(user.role, op));
        }
        // A change of work the log has never seen created would wait on every reader for an
        // entity that never comes (M5). Settings ship with every store, so they change
        // without a create.
        if op.kind != OpKind::Create
            && !op.entity.is_setting()
            && !facts.entity_scopes.contains_key(&op.entity_id)
        {
            return Decision::Reject(ErrorCode::InvalidOperation, unknown(op));
        }
        if let Err(reason) = records::check(op, facts) {
            return Decision::Reject(ErrorCode::InvalidOperation, reason);
        }
        // A move names where the entity goes: the mover must write that scope too.
        if op.kind == OpKind::Set
            && op.field.as_deref() == Some("customer_id")
            && let Ok(target) = records::moved_to(op)
            && target != op.scope
            && !may_write(user, facts, &target)
        {
            return Decision::Reject(
                ErrorCode::ForbiddenScope,
                "work can only be given to a customer shared with you".into(),
            );
        }
        // An entity lives in one scope, and its ops go there. Only a create in another scope
        // moves it (H5): the whole record, so the readers there receive all of it; the mover
        // may write both scopes, and guests move nothing.
        if let Some(current) = facts.entity_scopes.get(&op.entity_id)
            && *current != op.scope
        {
            if !may_write(user, facts, current) {
                return Decision::Reject(
                    ErrorCode::ForbiddenScope,
                    "the entity lives in a scope you may not write".into(),
                );
            }
            if op.kind != OpKind::Create {
                return Decision::Reject(
                    ErrorCode::ForbiddenScope,
                    "the entity has moved to another scope".into(),
                );
            }
            if user.role == Role::Guest {
                return Decision::Reject(ErrorCode::Forbidden, "a guest may not move work".into());
            }
        }
        if let Err(reason) = records::comments_come_along(op, facts) {
            return Decision::Reject(ErrorCode::ForbiddenScope, reason);
        }
        let pending = Logged { seq: None, entity_id: op.entity_id, hlc: op.hlc.clone() };
        facts.existing.insert(op.op_id, pending);
        if let Some(customer) = grant_customer {
            facts.known_customers.insert(customer);
            facts.granted.insert(customer);
        }
        facts.entity_scopes.insert(op.entity_id, op.scope);
        facts.entity_kinds.entry(op.entity_id).or_insert(op.entity);
        if op.kind == OpKind::Create
            && let Some(colleague) = user.colleague_id
        {
            facts.entity_creators.entry(op.entity_id).or_insert(colleague);
        }
        Decision::Accept { grant_customer }
    }

    fn well_formed(&self, op: &Operation) -> Result<(), String> {
        if !stamp::is_valid(&op.hlc) {
            return Err(format!("hlc {:?} is not a clock stamp", op.hlc));
        }
        if op.op_id.client_seq <= 0 {
            return Err("client_seq must be positive".into());
        }
        // PostgreSQL cannot store a NUL in text: refused alike on both backends, not a 500 on one.
        if [&op.field, &op.base].into_iter().flatten().any(|text| text.contains('\0')) {
            return Err("field and base hold no NUL character".into());
        }
        match (op.kind, op.field.as_deref()) {
            (OpKind::Set, None | Some("")) => return Err("a set names its field".into()),
            // Who and what an entity is never changes after its create (H2).
            (OpKind::Set, Some(field)) if IDENTITY_FIELDS.contains(&field) => {
                return Err(format!("{field} is fixed when the entity is created"));
            }
            (OpKind::Create, _) if !op.value.is_object() => {
                return Err("a create carries the whole record".into());
            }
            _ => {}
        }
        // Depth first: a value nested past what JSON readers take would stop every reader's
        // pull at the page that holds it.
        let depth = duly_protocol::limits::depth(&op.value);
        if depth > duly_protocol::limits::MAX_VALUE_DEPTH {
            return Err(format!(
                "value nested {depth} deep is over the limit of {}",
                duly_protocol::limits::MAX_VALUE_DEPTH
            ));
        }
        let size = duly_protocol::limits::encoded_len(&op.value);
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

/// The words for an entity the server does not know, or that the user may not know of.
fn unknown(op: &Operation) -> String {
    format!("{} {} is not known", op.entity.as_str(), op.entity_id)
}

fn may_write(user: &User, facts: &PushFacts, scope: &Scope) -> bool {
    match scope {
        Scope::Settings | Scope::Private(_) if user.role == Role::Guest => false,
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

#[cfg(test)]
mod tests;
