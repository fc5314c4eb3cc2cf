//! Finds the part of the (ModifyDate, key) index a `where` can touch.
//!
//! An *exact* range is equivalent to the filter (so the page and the total come straight
//! from the index); a *covering* range is a superset (scan it and evaluate the filter).
//! ModifyDate has whole-second precision, so `gt D` starts at the next second.

use std::ops::Bound;

use crate::filter::{Accessor, Filter, V};
use crate::store::IndexKey;
use crate::where_parser::BinOp;

/// A contiguous part of the index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexRange {
    pub lo: Bound<IndexKey>,
    pub hi: Bound<IndexKey>,
}

impl IndexRange {
    /// The whole index.
    pub(crate) fn full() -> IndexRange {
        IndexRange {
            lo: Bound::Unbounded,
            hi: Bound::Unbounded,
        }
    }

    /// Whether no key can be inside (BTreeSet::range panics on such ranges).
    pub(crate) fn is_empty(&self) -> bool {
        match (&self.lo, &self.hi) {
            (Bound::Included(a), Bound::Included(b)) => a > b,
            (Bound::Included(a) | Bound::Excluded(a), Bound::Excluded(b))
            | (Bound::Excluded(a), Bound::Included(b)) => a >= b,
            _ => false,
        }
    }

    fn second(s: i64) -> IndexRange {
        IndexRange {
            lo: Bound::Included((s, String::new())),
            hi: Bound::Excluded((s.saturating_add(1), String::new())),
        }
    }

    fn single_second(&self) -> Option<i64> {
        match (&self.lo, &self.hi) {
            (Bound::Included((a, ka)), Bound::Excluded((b, kb)))
                if ka.is_empty() && kb.is_empty() && a.checked_add(1) == Some(*b) =>
            {
                Some(*a)
            }
            _ => None,
        }
    }

    fn intersect(self, other: IndexRange) -> IndexRange {
        IndexRange {
            lo: tighter(self.lo, other.lo, true),
            hi: tighter(self.hi, other.hi, false),
        }
    }

    /// The union when the two ranges touch or overlap (no gap).
    fn union(self, other: IndexRange) -> Option<IndexRange> {
        let (a, b) = if lower_le(&self.lo, &other.lo) {
            (self, other)
        } else {
            (other, self)
        };
        let touches = match (&a.hi, &b.lo) {
            (Bound::Unbounded, _) | (_, Bound::Unbounded) => true,
            (Bound::Included(x), Bound::Included(y) | Bound::Excluded(y)) => x >= y,
            (Bound::Excluded(x), Bound::Included(y)) => x >= y,
            (Bound::Excluded(x), Bound::Excluded(y)) => x > y,
        };
        touches.then(|| IndexRange {
            hi: looser_hi(a.hi, b.hi),
            lo: a.lo,
        })
    }

    fn hull(self, other: IndexRange) -> IndexRange {
        let lo = if lower_le(&self.lo, &other.lo) {
            self.lo
        } else {
            other.lo
        };
        IndexRange {
            lo,
            hi: looser_hi(self.hi, other.hi),
        }
    }
}

fn lower_le(a: &Bound<IndexKey>, b: &Bound<IndexKey>) -> bool {
    match (a, b) {
        (Bound::Unbounded, _) => true,
        (_, Bound::Unbounded) => false,
        (Bound::Included(x), Bound::Included(y) | Bound::Excluded(y)) => x <= y,
        (Bound::Excluded(x), Bound::Included(y)) => x < y,
        (Bound::Excluded(x), Bound::Excluded(y)) => x <= y,
    }
}

fn looser_hi(a: Bound<IndexKey>, b: Bound<IndexKey>) -> Bound<IndexKey> {
    match (a, b) {
        (Bound::Unbounded, _) | (_, Bound::Unbounded) => Bound::Unbounded,
        (Bound::Included(x), Bound::Included(y)) => Bound::Included(x.max(y)),
        (Bound::Excluded(x), Bound::Excluded(y)) => Bound::Excluded(x.max(y)),
        (Bound::Included(x), Bound::Excluded(y)) | (Bound::Excluded(y), Bound::Included(x)) => {
            if x >= y {
                Bound::Included(x)
            } else {
                Bound::Excluded(y)
            }
        }
    }
}

/// The stricter of two bounds (`lower` selects the direction).
fn tighter(a: Bound<IndexKey>, b: Bound<IndexKey>, lower: bool) -> Bound<IndexKey> {
    match (a, b) {
        (Bound::Unbounded, x) | (x, Bound::Unbounded) => x,
        (a, b) => {
            let key = |x: &Bound<IndexKey>| match x {
                Bound::Included(k) | Bound::Excluded(k) => k.clone(),
                Bound::Unbounded => (0, String::new()),
            };
            let (ka, kb) = (key(&a), key(&b));
            if ka == kb {
                if matches!(a, Bound::Excluded(_)) {
                    a
                } else {
                    b
                }
            } else if (ka > kb) == lower {
                a
            } else {
                b
            }
        }
    }
}

enum Piece {
    Range(IndexRange),
    KeyCmp(BinOp, String),
}

fn date_cmp(op: BinOp, d: chrono::DateTime<chrono::Utc>) -> Option<IndexRange> {
    let floor = d.timestamp();
    let whole = d.timestamp_subsec_nanos() == 0;
    let ceil = if whole { floor } else { floor + 1 };
    let from = |s: i64| Bound::Included((s, String::new()));
    let until = |s: i64| Bound::Excluded((s, String::new()));
    Some(match op {
        BinOp::Gt => IndexRange {
            lo: from(floor + 1),
            hi: Bound::Unbounded,
        },
        BinOp::Ge => IndexRange {
            lo: from(ceil),
            hi: Bound::Unbounded,
        },
        BinOp::Lt => IndexRange {
            lo: Bound::Unbounded,
            hi: until(ceil),
        },
        BinOp::Le => IndexRange {
            lo: Bound::Unbounded,
            hi: until(floor + 1),
        },
        BinOp::Eq if whole => IndexRange::second(floor),
        BinOp::Eq => IndexRange {
            lo: from(ceil),
            hi: until(ceil),
        },
        _ => return None,
    })
}

fn flip(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        other => other,
    }
}

fn piece(f: &Filter) -> Option<Piece> {
    let Filter::Binary(op, a, b) = f else {
        return None;
    };
    match (op, a.as_ref(), b.as_ref()) {
        (BinOp::And, a, b) => {
            let (x, y) = (piece(a)?, piece(b)?);
            match (x, y) {
                (Piece::Range(x), Piece::Range(y)) => Some(Piece::Range(x.intersect(y))),
                (Piece::Range(r), Piece::KeyCmp(op, k))
                | (Piece::KeyCmp(op, k), Piece::Range(r)) => {
                    let s = r.single_second()?;
                    let at = (s, k);
                    let within = match op {
                        BinOp::Gt => IndexRange {
                            lo: Bound::Excluded(at),
                            hi: r.hi,
                        },
                        BinOp::Ge => IndexRange {
                            lo: Bound::Included(at),
                            hi: r.hi,
                        },
                        BinOp::Lt => IndexRange {
                            lo: r.lo,
                            hi: Bound::Excluded(at),
                        },
                        BinOp::Le => IndexRange {
                            lo: r.lo,
                            hi: Bound::Included(at),
                        },
                        BinOp::Eq => IndexRange {
                            lo: Bound::Included(at.clone()),
                            hi: Bound::Included(at),
                        },
                        _ => return None,
                    };
                    Some(Piece::Range(within))
                }
                _ => None,
            }
        }
        (BinOp::Or, a, b) => match (piece(a)?, piece(b)?) {
            (Piece::Range(x), Piece::Range(y)) => x.union(y).map(Piece::Range),
            _ => None,
        },
        (op, Filter::Get(Accessor::ModifyDate), Filter::Lit(V::Date(d))) => {
            date_cmp(*op, *d).map(Piece::Range)
        }
        (op, Filter::Lit(V::Date(d)), Filter::Get(Accessor::ModifyDate)) => {
            date_cmp(flip(*op), *d).map(Piece::Range)
        }
        (op, Filter::Get(Accessor::Key), Filter::Lit(V::Str(k))) => {
            Some(Piece::KeyCmp(*op, k.to_string()))
        }
        (op, Filter::Lit(V::Str(k)), Filter::Get(Accessor::Key)) => {
            Some(Piece::KeyCmp(flip(*op), k.to_string()))
        }
        _ => None,
    }
}

/// A range that is exactly the set of records the filter accepts.
pub(crate) fn exact(f: &Filter) -> Option<IndexRange> {
    match piece(f)? {
        Piece::Range(r) => Some(r),
        Piece::KeyCmp(..) => None,
    }
}

/// A range that contains every record the filter accepts (maybe more).
pub(crate) fn covering(f: &Filter) -> Option<IndexRange> {
    if let Some(r) = exact(f) {
        return Some(r);
    }
    let Filter::Binary(op, a, b) = f else {
        return None;
    };
    match op {
        BinOp::And => match (covering(a), covering(b)) {
            (Some(x), Some(y)) => Some(x.intersect(y)),
            (x, y) => x.or(y),
        },
        BinOp::Or => Some(covering(a)?.hull(covering(b)?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::compile;
    use crate::model::Kind;
    use crate::where_parser::parse;

    fn filter(text: &str) -> Filter {
        let parsed = parse(text).map_err(|e| e.to_string());
        let compiled = parsed.and_then(|e| compile(Kind::Lead, &e).map_err(|e| e.to_string()));
        match compiled {
            Ok(f) => f,
            Err(e) => panic!("'{text}': {e}"),
        }
    }

    const T: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z

    fn at(s: i64, k: &str) -> IndexKey {
        (s, k.to_string())
    }

    #[test]
    fn the_keyset_watermark_is_one_exact_range() {
        let f = filter(
            "(ModifyDate gt @2024-01-01T00:00:00Z@ or (ModifyDate eq @2024-01-01T00:00:00Z@ and Id gt 'QDEMOA000007'))",
        );
        let r = exact(&f);
        assert_eq!(
            r,
            Some(IndexRange {
                lo: Bound::Excluded(at(T, "QDEMOA000007")),
                hi: Bound::Unbounded
            })
        );
    }

    #[test]
    fn simple_date_bounds_use_whole_seconds() {
        let r = exact(&filter("ModifyDate gt @2024-01-01T00:00:00Z@"));
        assert_eq!(r.map(|r| r.lo), Some(Bound::Included(at(T + 1, ""))));
        let r = exact(&filter("ModifyDate ge @2024-01-01T00:00:00.5Z@"));
        assert_eq!(r.map(|r| r.lo), Some(Bound::Included(at(T + 1, ""))));
        let r = exact(&filter(
            "ModifyDate ge @2024-01-01T00:00:00Z@ and ModifyDate lt @2024-01-02T00:00:00Z@",
        ));
        assert_eq!(
            r,
            Some(IndexRange {
                lo: Bound::Included(at(T, "")),
                hi: Bound::Excluded(at(T + 86_400, ""))
            })
        );
    }

    #[test]
    fn other_filters_are_not_exact_but_may_be_covered() {
        let f = filter("ModifyDate gt @2024-01-01T00:00:00Z@ and Email like '%@acme.com'");
        assert_eq!(exact(&f), None);
        assert_eq!(
            covering(&f).map(|r| r.lo),
            Some(Bound::Included(at(T + 1, "")))
        );
        assert_eq!(exact(&filter("Email eq 'a'")), None);
        assert_eq!(
            covering(&filter(
                "Email eq 'a' or ModifyDate gt @2024-01-01T00:00:00Z@"
            )),
            None
        );
        assert_eq!(
            exact(&filter(
                "ModifyDate gt @2024-01-01T00:00:00Z@ or ModifyDate lt @2023-01-01T00:00:00Z@"
            )),
            None
        );
    }

    #[test]
    fn empty_ranges_are_detected() {
        let r = exact(&filter(
            "ModifyDate gt @2024-01-02T00:00:00Z@ and ModifyDate lt @2024-01-01T00:00:00Z@",
        ));
        assert!(r.is_some_and(|r| r.is_empty()));
        let r = exact(&filter("ModifyDate eq @2024-01-01T00:00:00.5Z@"));
        assert!(r.is_some_and(|r| r.is_empty()));
    }
}
