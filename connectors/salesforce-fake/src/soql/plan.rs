//! Running a query against a table, using an index where the query allows:
//!
//! - `Id = …` / `Id IN (…)` as a conjunct: direct lookups;
//! - `Email = …` / `Email IN (…)` as a conjunct: the lower-case email index;
//! - a lower bound on `SystemModstamp` (including the keyset form
//!   `SystemModstamp > X OR (SystemModstamp = X AND Id > 'Y')`): a range of the
//!   (SystemModstamp, Id) index, read in order and stopped at `LIMIT` when the query is
//!   ordered by `SystemModstamp[, Id]` (or not ordered).
//!
//! Anything else scans the table, as Salesforce does for an unselective filter.

use std::collections::BTreeSet;
use std::ops::Bound;

use super::ast::{CmpOp, Expr, Query};
use super::eval::{matches, order};
use crate::id::SfId;
use crate::record::Record;
use crate::store::Table;
use crate::time::Millis;
use crate::value::Value;

/// The records a query selects, in answer order (after `ORDER BY`, `OFFSET`, `LIMIT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matches {
    /// Their Ids.
    pub ids: Vec<SfId>,
    /// How many stored records were looked at to find them: the work the query cost.
    pub visited: usize,
}

/// Where the candidate records come from.
enum Source {
    Ids(Vec<SfId>),
    Emails(Vec<String>),
    Range(Bound<(Millis, SfId)>),
}

/// Runs `q` on `table`; `include_deleted` for `queryAll`.
pub fn execute(q: &Query, table: &Table, include_deleted: bool) -> Matches {
    let object = q.object;
    let stamp = object.idx("SystemModstamp");
    let keep = |rec: &Record| {
        (include_deleted || !rec.is_deleted()) && q.filter.as_ref().is_none_or(|f| matches(f, rec))
    };
    let skip = q.offset.unwrap_or(0);
    let take = q.limit.unwrap_or(usize::MAX);
    let index_ordered = match q.order.as_slice() {
        [] => true,
        [a] => a.field == stamp && !a.desc,
        [a, b] => a.field == stamp && !a.desc && b.field == 0 && !b.desc,
        _ => false,
    };
    let source = choose(q, stamp);
    let mut visited = 0usize;
    let mut count = |_: &&Record| visited += 1;
    if let Source::Range(from) = &source
        && index_ordered
    {
        let ids = table
            .scan_from(*from)
            .inspect(&mut count)
            .filter(|r| keep(r))
            .skip(skip)
            .take(take)
            .map(Record::id)
            .collect();
        return Matches { ids, visited };
    }
    let mut found: Vec<&Record> = match source {
        Source::Range(from) => table
            .scan_from(from)
            .inspect(&mut count)
            .filter(|r| keep(r))
            .collect(),
        Source::Ids(ids) => {
            let set: BTreeSet<SfId> = ids.into_iter().collect();
            set.into_iter()
                .filter_map(|id| table.get(id))
                .inspect(&mut count)
                .filter(|r| keep(r))
                .collect()
        }
        Source::Emails(emails) => {
            let set: BTreeSet<SfId> = emails
                .iter()
                .flat_map(|e| table.ids_by_email(e).iter().copied())
                .collect();
            set.into_iter()
                .filter_map(|id| table.get(id))
                .inspect(&mut count)
                .filter(|r| keep(r))
                .collect()
        }
    };
    if q.order.is_empty() {
        found.sort_by_key(|r| (r.stamp(), r.id()));
    } else {
        found.sort_by(|a, b| order(&q.order, a, b));
    }
    let ids = found
        .into_iter()
        .skip(skip)
        .take(take)
        .map(Record::id)
        .collect();
    Matches { ids, visited }
}

fn conjuncts(filter: Option<&Expr>) -> Vec<&Expr> {
    match filter {
        None => Vec::new(),
        Some(Expr::And(all)) => all.iter().collect(),
        Some(one) => vec![one],
    }
}

fn choose(q: &Query, stamp: usize) -> Source {
    let email = q.object.field_index("Email");
    for c in conjuncts(q.filter.as_ref()) {
        match c {
            Expr::Cmp {
                field: 0,
                op: CmpOp::Eq,
                value: Value::Id(id),
            } => return Source::Ids(vec![*id]),
            Expr::In {
                field: 0,
                values,
                negated: false,
            } => return Source::Ids(values.iter().filter_map(Value::as_id).collect()),
            Expr::Cmp {
                field,
                op: CmpOp::Eq,
                value: Value::Text(t),
            } if Some(*field) == email => return Source::Emails(vec![t.to_string()]),
            Expr::In {
                field,
                values,
                negated: false,
            } if Some(*field) == email && values.iter().all(|v| v.as_text().is_some()) => {
                return Source::Emails(
                    values
                        .iter()
                        .filter_map(Value::as_text)
                        .map(str::to_string)
                        .collect(),
                );
            }
            _ => {}
        }
    }
    let from = q
        .filter
        .as_ref()
        .and_then(|f| lower(f, stamp))
        .map_or(Bound::Unbounded, Lower::bound);
    Source::Range(from)
}

/// A lower bound on the (SystemModstamp, Id) key of every matching record.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Lower {
    key: (Millis, SfId),
    inclusive: bool,
}

impl Lower {
    fn bound(self) -> Bound<(Millis, SfId)> {
        if self.inclusive {
            Bound::Included(self.key)
        } else {
            Bound::Excluded(self.key)
        }
    }

    /// Whether `self` admits every key `other` admits.
    fn looser_than(self, other: Lower) -> bool {
        self.key < other.key || (self.key == other.key && (self.inclusive || !other.inclusive))
    }
}

fn lower(expr: &Expr, stamp: usize) -> Option<Lower> {
    match expr {
        Expr::Cmp {
            field,
            op,
            value: Value::DateTime(t),
        } if *field == stamp => match op {
            CmpOp::Gt => Some(Lower {
                key: (*t, SfId::max()),
                inclusive: false,
            }),
            CmpOp::Ge | CmpOp::Eq => Some(Lower {
                key: (*t, SfId::min()),
                inclusive: true,
            }),
            _ => None,
        },
        Expr::And(all) => {
            let mut best: Option<Lower> = None;
            let mut tighten = |b: Lower| {
                if best.is_none_or(|cur| cur.looser_than(b)) {
                    best = Some(b);
                }
            };
            for e in all {
                if let Some(b) = lower(e, stamp) {
                    tighten(b);
                }
            }
            // `SystemModstamp = X AND Id > 'Y'`: the keyset's tie-breaker.
            let at = all.iter().find_map(|e| match e {
                Expr::Cmp {
                    field,
                    op: CmpOp::Eq,
                    value: Value::DateTime(t),
                } if *field == stamp => Some(*t),
                _ => None,
            });
            if let Some(t) = at {
                for e in all {
                    if let Expr::Cmp {
                        field: 0,
                        op: op @ (CmpOp::Gt | CmpOp::Ge),
                        value: Value::Id(id),
                    } = e
                    {
                        tighten(Lower {
                            key: (t, *id),
                            inclusive: *op == CmpOp::Ge,
                        });
                    }
                }
            }
            best
        }
        Expr::Or(any) => {
            let mut loosest: Option<Lower> = None;
            for e in any {
                let b = lower(e, stamp)?;
                if loosest.is_none_or(|cur| b.looser_than(cur)) {
                    loosest = Some(b);
                }
            }
            loosest
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soql::parse;

    #[test]
    fn the_keyset_filter_gives_its_exact_start() {
        let Ok(q) = parse(
            "SELECT Id FROM Lead WHERE (SystemModstamp > 2026-01-01T00:00:00Z OR (SystemModstamp = 2026-01-01T00:00:00Z AND Id > '00Q5g0000000009')) ORDER BY SystemModstamp, Id",
        ) else {
            panic!("parses");
        };
        let stamp = q.object.idx("SystemModstamp");
        let Some(b) = q.filter.as_ref().and_then(|f| lower(f, stamp)) else {
            panic!("a bound");
        };
        let Some(id) = SfId::parse("00Q5g0000000009") else {
            panic!("id");
        };
        assert_eq!(b.key.1, id);
        assert!(!b.inclusive);
    }

    fn source(soql: &str) -> Source {
        let Ok(q) = parse(soql) else {
            panic!("parses: {soql}");
        };
        choose(&q, q.object.idx("SystemModstamp"))
    }

    #[test]
    fn lookups_and_keyset_reads_use_an_index() {
        assert!(matches!(
            source("SELECT Id FROM Lead WHERE Email IN ('A@x.io', 'b@x.io') AND IsConverted = false"),
            Source::Emails(e) if e.len() == 2
        ));
        assert!(matches!(
            source("SELECT Id FROM Contact WHERE Id IN ('003000000000001', '003000000000002')"),
            Source::Ids(i) if i.len() == 2
        ));
        assert!(matches!(
            source(
                "SELECT Id FROM Lead WHERE SystemModstamp >= 2026-01-01T00:00:00Z AND HasOptedOutOfEmail = false"
            ),
            Source::Range(Bound::Included(_))
        ));
        assert!(matches!(
            source("SELECT Id FROM Lead WHERE Email = 'a@x.io' OR LastName = 'x'"),
            Source::Range(Bound::Unbounded)
        ));
    }
}
