//! Evaluating a `WHERE` condition on a record and ordering records by `ORDER BY`, with
//! SOQL's semantics: text compares case-insensitively, a null field matches only `= null`
//! (and `!=`, `NOT IN`), and ascending order puts nulls first unless told otherwise.

use std::cmp::Ordering;

use super::ast::{CmpOp, Expr, OrderKey};
use crate::record::Record;
use crate::value::{Value, cmp_values};

/// Whether `rec` satisfies `expr`.
pub fn matches(expr: &Expr, rec: &Record) -> bool {
    match expr {
        Expr::And(all) => all.iter().all(|e| matches(e, rec)),
        Expr::Or(any) => any.iter().any(|e| matches(e, rec)),
        Expr::Not(inner) => !matches(inner, rec),
        Expr::Cmp { field, op, value } => compare(rec.get(*field), *op, value),
        Expr::In {
            field,
            values,
            negated,
        } => {
            let v = rec.get(*field);
            values.iter().any(|x| equal(v, x)) != *negated
        }
        Expr::Like { field, pattern } => rec
            .get(*field)
            .as_text()
            .is_some_and(|text| like(text, pattern)),
    }
}

fn equal(v: &Value, lit: &Value) -> bool {
    match (v, lit) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        _ => cmp_values(v, lit) == Ordering::Equal,
    }
}

fn compare(v: &Value, op: CmpOp, lit: &Value) -> bool {
    match op {
        CmpOp::Eq => equal(v, lit),
        CmpOp::Ne => !equal(v, lit),
        _ => {
            if matches!(v, Value::Null) || matches!(lit, Value::Null) {
                return false;
            }
            let ord = cmp_values(v, lit);
            match op {
                CmpOp::Lt => ord == Ordering::Less,
                CmpOp::Le => ord != Ordering::Greater,
                CmpOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }
        }
    }
}

/// SOQL `LIKE`: `%` any run, `_` one character, `\%` and `\_` themselves;
/// case-insensitive.
pub fn like(text: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Char(char),
    }
    let mut pat = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    pat.extend(n.to_lowercase().map(P::Char));
                }
            }
            '%' => pat.push(P::Any),
            '_' => pat.push(P::One),
            c => pat.extend(c.to_lowercase().map(P::Char)),
        }
    }
    let text: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    // Classic wildcard matching with backtracking to the last `%`.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(P::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(P::One) => {
                t += 1;
                p += 1;
            }
            Some(P::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pat[p.min(pat.len())..].iter().all(|x| *x == P::Any)
}

/// Orders two records by `keys`, then by Id so equal keys have a stable order.
pub fn order(keys: &[OrderKey], a: &Record, b: &Record) -> Ordering {
    for k in keys {
        let (x, y) = (a.get(k.field), b.get(k.field));
        let ord = match (matches!(x, Value::Null), matches!(y, Value::Null)) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if k.nulls_last {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, true) => {
                if k.nulls_last {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, false) => {
                let o = cmp_values(x, y);
                if k.desc { o.reverse() } else { o }
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.id().cmp(&b.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_follows_soql_wildcards() {
        assert!(like("Acme Corp", "acme%"));
        assert!(like("Acme Corp", "%CORP"));
        assert!(like("Acme", "A_me"));
        assert!(!like("Acme", "A_e"));
        assert!(like("50% off", "50\\%%"));
        assert!(!like("500 off", "50\\%%"));
        assert!(like("", "%"));
        assert!(like("abcabd", "%ab_"));
    }
}
