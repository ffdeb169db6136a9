//! One push's decisions, case by case (the permission table has its own cell-by-cell test).

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
    let customer = if let Scope::Customer(id) = scope { json!(id) } else { serde_json::Value::Null };
    let value = match (kind, entity) {
        (OpKind::Create, EntityKind::Customer) => json!({"name": "x"}),
        (OpKind::Create, _) => json!({"name": "x", "customer_id": customer}),
        _ => json!("x"),
    };
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
    assert_eq!(rules.decide(&anna, &mut facts, &create), Decision::Accept { grant_customer: Some(customer) });
    let task = op(2, Scope::Customer(customer), EntityKind::Task, Uuid::now_v7(), OpKind::Create);
    assert!(
        matches!(rules.decide(&anna, &mut facts, &task), Decision::Accept { grant_customer: None }),
        "the same batch sees the grant"
    );
    let mut bela_facts = PushFacts { known_customers: facts.known_customers.clone(), ..PushFacts::default() };
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
    let mut shared =
        PushFacts { known_customers: [customer].into(), granted: [customer].into(), ..PushFacts::default() };
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
    // Anna may not read where it lives: the same answer as for an id nobody ever used (L3).
    let hidden = rules.decide(&anna, &mut facts, &relabelled);
    let mut never = relabelled.clone();
    never.op_id.client_seq = 2;
    never.entity_id = Uuid::now_v7();
    let Decision::Reject(code, said) = rules.decide(&anna, &mut facts, &never) else { panic!("accepted") };
    let unknown = Decision::Reject(code, said.replace(&never.entity_id.to_string(), &task.to_string()));
    assert_eq!(hidden, unknown);
    // A manager reads every customer: told where the task went.
    let boss = user(Role::Manager);
    let mut moved = relabelled.clone();
    moved.op_id.client_seq = 3;
    assert!(matches!(
        rules.decide(&boss, &mut facts, &moved),
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
    let logged = Logged { seq: Some(42), entity_id: fine.entity_id, hlc: fine.hlc.clone() };
    facts.existing.insert(fine.op_id, logged);
    assert_eq!(rules.decide(&anna, &mut facts, &fine), Decision::Duplicate(Some(42)));
    let mut reused = op(5, Scope::Team, EntityKind::Task, Uuid::now_v7(), OpKind::Create);
    reused.op_id = fine.op_id;
    assert!(matches!(rules.decide(&anna, &mut facts, &reused), Decision::Reject(ErrorCode::OpIdTaken, _)));
    let squatted = PushFacts { client_of_other_user: true, ..PushFacts::default() };
    assert!(matches!(
        rules.decide(&anna, &mut { squatted }, &fine),
        Decision::Reject(ErrorCode::OpIdTaken, _)
    ));
}

#[test]
fn a_repeat_within_one_batch_is_the_first_copys_duplicate() {
    let rules = PushRules::default();
    let anna = user(Role::Member);
    let mut facts = PushFacts::default();
    let first = op(1, Scope::Team, EntityKind::Task, Uuid::now_v7(), OpKind::Create);
    assert!(matches!(rules.decide(&anna, &mut facts, &first), Decision::Accept { .. }));
    assert_eq!(rules.decide(&anna, &mut facts, &first), Decision::Duplicate(None));
    let mut reused = op(1, Scope::Team, EntityKind::Task, Uuid::now_v7(), OpKind::Create);
    reused.op_id = first.op_id;
    assert!(matches!(rules.decide(&anna, &mut facts, &reused), Decision::Reject(ErrorCode::OpIdTaken, _)));
    let mut refused = op(2, Scope::Team, EntityKind::Task, Uuid::now_v7(), OpKind::Set);
    refused.hlc = "yesterday".into();
    for _ in 0..2 {
        assert!(
            matches!(
                rules.decide(&anna, &mut facts, &refused),
                Decision::Reject(ErrorCode::InvalidOperation, _)
            ),
            "a refused op is decided again, not taken for logged"
        );
    }
}

#[test]
fn a_guest_comments_in_a_shared_customer_and_changes_nothing_else() {
    let rules = PushRules::default();
    let guest = user(Role::Guest);
    let customer = Uuid::now_v7();
    let task = Uuid::now_v7();
    let mut facts = PushFacts {
        known_customers: [customer].into(),
        granted: [customer].into(),
        entity_scopes: [(customer, Scope::Customer(customer)), (task, Scope::Customer(customer))].into(),
        entity_kinds: [(customer, EntityKind::Customer), (task, EntityKind::Task)].into(),
        ..PushFacts::default()
    };
    let scope = Scope::Customer(customer);
    let refused = [
        op(1, scope, EntityKind::Customer, customer, OpKind::Delete),
        op(2, scope, EntityKind::Task, task, OpKind::Set),
        op(3, scope, EntityKind::Task, Uuid::now_v7(), OpKind::Create),
        op(4, scope, EntityKind::Project, Uuid::now_v7(), OpKind::Create),
    ];
    for attempt in &refused {
        assert!(
            matches!(rules.decide(&guest, &mut facts, attempt), Decision::Reject(ErrorCode::Forbidden, _)),
            "{attempt:?}"
        );
    }
    let comment = Uuid::now_v7();
    let create = op(5, scope, EntityKind::Comment, comment, OpKind::Create);
    assert!(matches!(rules.decide(&guest, &mut facts, &create), Decision::Accept { .. }));
    let mut edit = op(6, scope, EntityKind::Comment, comment, OpKind::Set);
    edit.field = Some("body".into());
    assert!(matches!(rules.decide(&guest, &mut facts, &edit), Decision::Accept { .. }), "their own comment");
    let someone_elses = Uuid::now_v7();
    facts.entity_kinds.insert(someone_elses, EntityKind::Comment);
    facts.entity_creators.insert(someone_elses, Uuid::now_v7());
    edit.entity_id = someone_elses;
    edit.op_id.client_seq = 7;
    assert!(matches!(rules.decide(&guest, &mut facts, &edit), Decision::Reject(ErrorCode::Forbidden, _)));
}

#[test]
fn an_entity_keeps_the_kind_it_was_created_as() {
    let rules = PushRules::default();
    let bela = user(Role::Member);
    let task = Uuid::now_v7();
    let mut facts = PushFacts {
        entity_scopes: [(task, Scope::Team)].into(),
        entity_kinds: [(task, EntityKind::Task)].into(),
        ..PushFacts::default()
    };
    let as_customer = op(1, Scope::Customer(task), EntityKind::Customer, task, OpKind::Create);
    assert!(matches!(
        rules.decide(&bela, &mut facts, &as_customer),
        Decision::Reject(ErrorCode::InvalidOperation, _)
    ));
    let as_keyword = op(2, Scope::Settings, EntityKind::Keyword, task, OpKind::Set);
    assert!(matches!(
        rules.decide(&bela, &mut facts, &as_keyword),
        Decision::Reject(ErrorCode::InvalidOperation, _)
    ));
}

#[test]
fn a_stamp_ahead_of_the_servers_clock_is_refused() {
    let rules = PushRules::default();
    let anna = user(Role::Member);
    let mut facts = PushFacts::default();
    let now_ms = facts.now_ms;
    let stamped = |seq: i64, ms: i64| {
        let mut set = op(seq, Scope::Settings, EntityKind::Keyword, Uuid::now_v7(), OpKind::Set);
        let time = uhlc::NTP64::from(std::time::Duration::from_millis(u64::try_from(ms).expect("ms")));
        set.hlc = uhlc::Timestamp::new(time, uhlc::ID::rand()).to_string();
        set
    };
    let bound = i64::try_from(MAX_CLOCK_AHEAD_SECS * 1000).expect("bound");
    assert!(matches!(
        rules.decide(&anna, &mut facts, &stamped(1, now_ms + bound - 1000)),
        Decision::Accept { .. }
    ));
    assert!(matches!(
        rules.decide(&anna, &mut facts, &stamped(2, now_ms + bound + 1000)),
        Decision::Reject(ErrorCode::ClockAhead, _)
    ));
    let mut forever = stamped(3, now_ms);
    forever.hlc = "18446744073709551615/ffffffffffffffffffffffffffffffff".into();
    assert!(matches!(rules.decide(&anna, &mut facts, &forever), Decision::Reject(ErrorCode::ClockAhead, _)));
    assert!(
        matches!(
            rules.decide(&anna, &mut facts, &stamped(4, now_ms - 7 * 24 * 3600 * 1000)),
            Decision::Accept { .. }
        ),
        "work done offline a week ago still arrives"
    );
}

#[test]
fn a_change_of_work_never_created_is_refused_but_shipped_settings_change() {
    let rules = PushRules::default();
    let anna = user(Role::Member);
    let mut facts = PushFacts::default();
    let ghost = op(1, Scope::Team, EntityKind::Task, Uuid::now_v7(), OpKind::Set);
    assert!(matches!(
        rules.decide(&anna, &mut facts, &ghost),
        Decision::Reject(ErrorCode::InvalidOperation, _)
    ));
    let shipped = op(2, Scope::Settings, EntityKind::Keyword, Uuid::now_v7(), OpKind::Set);
    assert!(matches!(rules.decide(&anna, &mut facts, &shipped), Decision::Accept { .. }));
    let task = Uuid::now_v7();
    let create = op(3, Scope::Team, EntityKind::Task, task, OpKind::Create);
    assert!(matches!(rules.decide(&anna, &mut facts, &create), Decision::Accept { .. }));
    let set = op(4, Scope::Team, EntityKind::Task, task, OpKind::Set);
    assert!(
        matches!(rules.decide(&anna, &mut facts, &set), Decision::Accept { .. }),
        "created earlier in the batch"
    );
}

#[test]
fn a_value_nested_past_the_limit_is_refused() {
    let rules = PushRules::default();
    let mut deep = op(1, Scope::Team, EntityKind::Task, Uuid::now_v7(), OpKind::Set);
    deep.value = serde_json::from_str(&format!("{}{}", "[".repeat(124), "]".repeat(124))).expect("deep");
    match rules.decide(&user(Role::Member), &mut PushFacts::default(), &deep) {
        Decision::Reject(ErrorCode::InvalidOperation, reason) => {
            assert!(reason.contains("nested"), "{reason}")
        }
        other => panic!("accepted a 124-deep value: {other:?}"),
    }
}
