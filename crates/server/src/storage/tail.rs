//! The newest ops of the log as their pull texts, in memory: a client that keeps up pulls
//! what the last seconds logged, and that is served without a query.
//!
//! The tail holds every op after `from`, up to `last`, without a gap: the ops this server
//! committed, appended after each commit. An op logged by someone else (another server on the
//! same database) shows as a gap in the seqs, and the tail starts again after it; until then
//! the newest seq read from the database is past `last`, and pulls go to the database.

use std::collections::{HashSet, VecDeque};
use std::fmt::Write as _;

use duly_protocol::{Operation, Scope};
use uuid::Uuid;

use super::WireOp;

/// The most ops kept (about 400 bytes each in the load test: some 20 MB).
const MOST_OPS: usize = 50_000;

/// One logged op as the tail keeps it.
#[derive(Debug, Clone)]
pub(super) struct TailOp {
    pub seq: i64,
    pub scope: Scope,
    pub value_bytes: i64,
    pub json: String,
}

impl TailOp {
    /// `value` is the op's value as logged (JSON text); `json` is then what serialising the
    /// [`duly_protocol::LoggedOp`] gives, byte for byte.
    pub fn new(seq: i64, author: Uuid, op: &Operation, value: &str) -> Self {
        let mut json = String::with_capacity(value.len() + 320);
        let _ = write!(
            json,
            r#"{{"seq":{seq},"author":"{author}","op":{{"op_id":{},"scope":{},"entity":{},"entity_id":"{}","kind":{}"#,
            text(&op.op_id),
            text(&op.scope),
            text(&op.entity),
            op.entity_id,
            text(&op.kind),
        );
        if let Some(field) = &op.field {
            let _ = write!(json, r#","field":{}"#, text(field));
        }
        let _ = write!(json, r#","value":{value},"hlc":{}"#, text(&op.hlc));
        if let Some(base) = &op.base {
            let _ = write!(json, r#","base":{}"#, text(base));
        }
        json.push_str("}}");
        Self { seq, scope: op.scope, value_bytes: i64::try_from(value.len()).unwrap_or(i64::MAX), json }
    }
}

/// serde_json's text of a value.
fn text<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[derive(Debug)]
pub(super) struct Tail {
    ops: VecDeque<TailOp>,
    /// Every op after this seq, up to `last`, is in `ops`.
    from: i64,
    last: i64,
}

impl Tail {
    /// An empty tail at the log's newest seq.
    pub fn new(latest_seq: i64) -> Self {
        Self { ops: VecDeque::new(), from: latest_seq, last: latest_seq }
    }

    /// Appends ops just committed, in seq order.
    pub fn append(&mut self, committed: Vec<TailOp>) {
        for op in committed {
            if op.seq <= self.last {
                continue;
            }
            if op.seq != self.last + 1 {
                // Someone else logged the seqs between: start again after them.
                self.ops.clear();
                self.from = op.seq - 1;
            }
            self.last = op.seq;
            self.ops.push_back(op);
        }
        while self.ops.len() > MOST_OPS {
            if let Some(gone) = self.ops.pop_front() {
                self.from = gone.seq;
            }
        }
    }

    /// The page a pull after `since` in `scopes` reads, when the tail holds all of it: every
    /// op after `since` and up to `latest_seq` (the newest seq known; the page's claim).
    pub fn page(&self, scopes: &[Scope], since: i64, limit: u32, latest_seq: i64) -> Option<Vec<WireOp>> {
        if since < self.from || latest_seq > self.last {
            return None;
        }
        let first = self.ops.partition_point(|op| op.seq <= since);
        let many = (scopes.len() > 8).then(|| scopes.iter().copied().collect::<HashSet<Scope>>());
        let readable =
            |scope: &Scope| many.as_ref().map_or_else(|| scopes.contains(scope), |s| s.contains(scope));
        let page = self
            .ops
            .range(first..)
            .filter(|op| readable(&op.scope))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|op| WireOp { seq: op.seq, value_bytes: op.value_bytes, json: op.json.clone() })
            .collect();
        Some(page)
    }
}

#[cfg(test)]
mod tests {
    use duly_protocol::{EntityKind, LoggedOp, OpId, OpKind};
    use serde_json::json;

    use super::*;

    fn logged(seq: i64, scope: Scope) -> LoggedOp {
        LoggedOp {
            seq,
            author: Uuid::now_v7(),
            op: Operation {
                op_id: OpId { client_id: Uuid::now_v7(), client_seq: seq },
                scope,
                entity: EntityKind::TaskStatusLabel,
                entity_id: Uuid::now_v7(),
                kind: OpKind::Set,
                field: Some("név \"x\"\n".into()),
                value: json!({"title": "Árvíztűrő \"tükör\" \\ \u{1} 😀", "n": [1.5, null, 12_345_678_901_234_567_890u64]}),
                hlc: "7/1".into(),
                base: Some("6/1\t".into()),
            },
        }
    }

    fn kept(op: &LoggedOp) -> TailOp {
        TailOp::new(op.seq, op.author, &op.op, &op.op.value.to_string())
    }

    #[test]
    fn an_ops_text_is_what_serde_writes_for_the_logged_op() {
        let mut op = logged(3, Scope::Customer(Uuid::now_v7()));
        assert_eq!(kept(&op).json, serde_json::to_string(&op).expect("json"));
        (op.op.field, op.op.base, op.op.scope, op.op.kind) = (None, None, Scope::Team, OpKind::Create);
        assert_eq!(kept(&op).json, serde_json::to_string(&op).expect("json"));
        assert_eq!(kept(&op).value_bytes, duly_protocol::limits::encoded_len(&op.op.value) as i64);
    }

    #[test]
    fn the_tail_serves_only_what_it_holds_whole() {
        let mut tail = Tail::new(10);
        let team = [Scope::Team];
        assert_eq!(tail.page(&team, 10, 100, 10).map(|p| p.len()), Some(0), "nothing after the newest");
        assert!(tail.page(&team, 9, 100, 10).is_none(), "before it started");
        tail.append((11..=14).map(|seq| kept(&logged(seq, Scope::Team))).collect());
        tail.append(vec![kept(&logged(15, Scope::Settings))]);
        let seqs = |page: Option<Vec<WireOp>>| page.map(|p| p.iter().map(|op| op.seq).collect::<Vec<_>>());
        assert_eq!(seqs(tail.page(&team, 11, 100, 15)), Some(vec![12, 13, 14]), "only the scopes read");
        assert_eq!(seqs(tail.page(&team, 10, 2, 15)), Some(vec![11, 12]), "up to the limit");
        assert!(tail.page(&team, 12, 100, 16).is_none(), "a newer seq it has not seen");
        tail.append(vec![kept(&logged(18, Scope::Team))]);
        assert!(tail.page(&team, 15, 100, 18).is_none(), "16 and 17 were logged elsewhere");
        assert_eq!(seqs(tail.page(&team, 17, 100, 18)), Some(vec![18]));
    }
}
