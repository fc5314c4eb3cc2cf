//! Compiles a parsed `where` against an entity's fields and evaluates it on records.
//!
//! Semantics follow the SQL Server behind Infor CRM: text compares case-insensitively,
//! comparisons with null are unknown (so `x ne 'a'` and `not(x eq 'a')` exclude nulls)
//! except that `eq null` / `ne null` test for null, and a criterion on a missing related record
//! is unknown (an inner join). Keys (`Id`) compare exactly, matching the index order.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::model::{FieldType, Kind, Record, Value};
use crate::store::Store;
use crate::where_funcs::{FUNCS, Func, call, like};
use crate::where_parser::{BinOp, Expr, Literal, WhereError, parse_date_literal};

/// How a property path reaches a value.
#[derive(Debug, Clone)]
pub(crate) enum Accessor {
    /// The record key (`Id`, `$key`).
    Key,
    /// `ModifyDate` / `$updated`.
    ModifyDate,
    /// `CreateDate`.
    CreateDate,
    /// A stored field (for a reference: the related key).
    Field(&'static str),
    /// A property of a related record (`Account.AccountName`).
    Related {
        via: &'static str,
        target: Kind,
        inner: Box<Accessor>,
    },
}

/// A compiled `where`, ready to evaluate.
#[derive(Debug, Clone)]
pub(crate) enum Filter {
    Lit(V<'static>),
    Get(Accessor),
    Not(Box<Filter>),
    Neg(Box<Filter>),
    Binary(BinOp, Box<Filter>, Box<Filter>),
    Between(Box<Filter>, Box<Filter>, Box<Filter>, bool),
    In(Box<Filter>, Vec<Filter>, Option<HashSet<String>>, bool),
    Like(Box<Filter>, Box<Filter>, bool),
    Call(Func, Vec<Filter>),
}

/// A runtime value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum V<'a> {
    Null,
    Str(Cow<'a, str>),
    Num(f64),
    Bool(bool),
    Date(DateTime<Utc>),
}

fn bad(message: String) -> WhereError {
    WhereError {
        message,
        position: 0,
    }
}

/// Resolves a property path (`Address.City`, `Id`) on `kind`, case-insensitively.
pub(crate) fn resolve_path(kind: Kind, path: &[String]) -> Result<Accessor, WhereError> {
    let def = kind.def();
    let Some((first, rest)) = path.split_first() else {
        return Err(bad("empty property path".into()));
    };
    let special = match first.to_ascii_lowercase().as_str() {
        "id" | "$key" => Some(Accessor::Key),
        "modifydate" | "$updated" => Some(Accessor::ModifyDate),
        "createdate" => Some(Accessor::CreateDate),
        _ => None,
    };
    if let Some(acc) = special {
        if rest.is_empty() {
            return Ok(acc);
        }
        return Err(bad(format!("'{first}' of {} has no properties", def.name)));
    }
    let Some(field) = def.field(first) else {
        return Err(bad(format!(
            "property '{first}' does not exist on {}",
            def.name
        )));
    };
    match (field.ty, rest.is_empty()) {
        (_, true) => Ok(Accessor::Field(field.name)),
        (FieldType::Reference { target, .. }, false) => {
            let is_key =
                rest.len() == 1 && matches!(rest[0].to_ascii_lowercase().as_str(), "id" | "$key");
            if is_key {
                return Ok(Accessor::Field(field.name));
            }
            let Some(target) = target else {
                return Err(bad(format!(
                    "relation '{}.{}' is not available in this server",
                    def.name, field.name
                )));
            };
            Ok(Accessor::Related {
                via: field.name,
                target,
                inner: Box::new(resolve_path(target, rest)?),
            })
        }
        (_, false) => Err(bad(format!(
            "'{}' of {} is not a relation",
            field.name, def.name
        ))),
    }
}

/// Compiles a parsed expression for records of `kind`.
pub(crate) fn compile(kind: Kind, expr: &Expr) -> Result<Filter, WhereError> {
    let c = |e: &Expr| compile(kind, e).map(Box::new);
    Ok(match expr {
        Expr::Lit(l) => Filter::Lit(literal(l)),
        Expr::Path(p) => Filter::Get(resolve_path(kind, p)?),
        Expr::Not(e) => Filter::Not(c(e)?),
        Expr::Neg(e) => Filter::Neg(c(e)?),
        Expr::Binary(op, a, b) => Filter::Binary(*op, c(a)?, c(b)?),
        Expr::Between {
            value,
            low,
            high,
            negated,
        } => Filter::Between(c(value)?, c(low)?, c(high)?, *negated),
        Expr::In {
            value,
            list,
            negated,
        } => {
            let list = list
                .iter()
                .map(|e| compile(kind, e))
                .collect::<Result<Vec<_>, _>>()?;
            let fast = list
                .iter()
                .map(|f| match f {
                    Filter::Lit(V::Str(s)) => Some(s.to_lowercase()),
                    _ => None,
                })
                .collect::<Option<HashSet<_>>>();
            Filter::In(c(value)?, list, fast, *negated)
        }
        Expr::Like {
            value,
            pattern,
            negated,
        } => Filter::Like(c(value)?, c(pattern)?, *negated),
        Expr::Call(name, args) => {
            let Some((_, func, min, max)) = FUNCS.iter().find(|(n, ..)| n == name) else {
                return Err(bad(format!("function '{name}' does not exist")));
            };
            if args.len() < *min || args.len() > *max {
                return Err(bad(format!(
                    "function '{name}' takes {min} to {max} arguments, got {}",
                    args.len()
                )));
            }
            let args = args
                .iter()
                .map(|e| compile(kind, e))
                .collect::<Result<Vec<_>, _>>()?;
            Filter::Call(*func, args)
        }
    })
}

fn literal(l: &Literal) -> V<'static> {
    match l {
        Literal::Str(s) => V::Str(Cow::Owned(s.clone())),
        Literal::Num(n) => V::Num(*n),
        Literal::Bool(b) => V::Bool(*b),
        Literal::Null => V::Null,
        Literal::Date(d) => V::Date(*d),
    }
}

/// Reads a value through an accessor; `None` when a related record is missing.
pub(crate) fn access<'a>(store: &'a Store, rec: &'a Record, acc: &Accessor) -> Option<V<'a>> {
    Some(match acc {
        Accessor::Key => V::Str(Cow::Borrowed(&rec.key)),
        Accessor::ModifyDate => V::Date(rec.modify_date),
        Accessor::CreateDate => V::Date(rec.create_date),
        Accessor::Field(name) => match rec.fields.get(name) {
            None => V::Null,
            Some(v) => value(v),
        },
        Accessor::Related { via, target, inner } => {
            let key = rec.text(via)?;
            let related = store.get(*target, key)?;
            return access(store, related, inner);
        }
    })
}

fn value(v: &Value) -> V<'_> {
    match v {
        Value::Text(s) => V::Str(Cow::Borrowed(s)),
        Value::Int(i) => V::Num(*i as f64),
        Value::Decimal(d) => V::Num(*d),
        Value::Bool(b) => V::Bool(*b),
        Value::DateTime(d) => V::Date(*d),
        Value::Date(d) => d
            .and_hms_opt(0, 0, 0)
            .map_or(V::Null, |n| V::Date(n.and_utc())),
    }
}

/// Whether `rec` satisfies the filter (unknown counts as no).
pub(crate) fn matches(store: &Store, rec: &Record, filter: &Filter, now: DateTime<Utc>) -> bool {
    let cx = Cx { store, rec, now };
    matches!(cx.eval(filter), Some(V::Bool(true)))
}

struct Cx<'a> {
    store: &'a Store,
    rec: &'a Record,
    now: DateTime<Utc>,
}

/// Case-insensitive text order (SQL Server's default collation).
pub(crate) fn cmp_text(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .cmp(b.chars().flat_map(char::to_lowercase))
    }
}

/// Orders two values of compatible types; `None` when they cannot be compared.
pub(crate) fn compare(a: &V<'_>, b: &V<'_>) -> Option<Ordering> {
    match (a, b) {
        (V::Str(x), V::Str(y)) => Some(cmp_text(x, y)),
        (V::Num(x), V::Num(y)) => x.partial_cmp(y),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        (V::Date(x), V::Date(y)) => Some(x.cmp(y)),
        (V::Date(x), V::Str(s)) => parse_date_literal(s).map(|y| x.cmp(&y)),
        (V::Str(s), V::Date(y)) => parse_date_literal(s).map(|x| x.cmp(y)),
        (V::Num(x), V::Str(s)) => s.trim().parse::<f64>().ok().and_then(|y| x.partial_cmp(&y)),
        (V::Str(s), V::Num(y)) => s.trim().parse::<f64>().ok().and_then(|x| x.partial_cmp(y)),
        (V::Bool(x), V::Str(s)) => s.parse::<bool>().ok().map(|y| x.cmp(&y)),
        (V::Str(s), V::Bool(y)) => s.parse::<bool>().ok().map(|x| x.cmp(y)),
        _ => None,
    }
}

fn borrow<'b>(v: &'b V<'_>) -> V<'b> {
    match v {
        V::Str(s) => V::Str(Cow::Borrowed(s.as_ref())),
        V::Null => V::Null,
        V::Num(n) => V::Num(*n),
        V::Bool(b) => V::Bool(*b),
        V::Date(d) => V::Date(*d),
    }
}

fn truth(b: Option<bool>) -> Option<V<'static>> {
    Some(b.map_or(V::Null, V::Bool))
}

fn as_bool(v: &V<'_>) -> Option<bool> {
    match v {
        V::Bool(b) => Some(*b),
        _ => None,
    }
}

impl<'a> Cx<'a> {
    fn eval(&self, f: &'a Filter) -> Option<V<'a>> {
        match f {
            Filter::Lit(v) => Some(borrow(v)),
            Filter::Get(acc) => Some(access(self.store, self.rec, acc).unwrap_or(V::Null)),
            Filter::Not(e) => truth(self.eval(e).as_ref().and_then(as_bool).map(|b| !b)),
            Filter::Neg(e) => Some(match self.eval(e)? {
                V::Num(n) => V::Num(-n),
                _ => V::Null,
            }),
            Filter::Binary(op, a, b) => self.binary(*op, a, b),
            Filter::Between(v, lo, hi, negated) => {
                let v = self.eval(v)?;
                let lo = compare(&v, &self.eval(lo)?);
                let hi = compare(&v, &self.eval(hi)?);
                let inside = match (lo, hi) {
                    (Some(l), Some(h)) => Some(l != Ordering::Less && h != Ordering::Greater),
                    _ => None,
                };
                truth(inside.map(|b| b != *negated))
            }
            Filter::In(v, list, fast, negated) => {
                let v = self.eval(v)?;
                if matches!(v, V::Null) {
                    return truth(None);
                }
                let found = match (&v, fast) {
                    (V::Str(s), Some(set)) => set.contains(&s.to_lowercase()),
                    _ => list.iter().any(|item| {
                        self.eval(item)
                            .is_some_and(|x| compare(&v, &x) == Some(Ordering::Equal))
                    }),
                };
                truth(Some(found != *negated))
            }
            Filter::Like(v, p, negated) => match (self.eval(v)?, self.eval(p)?) {
                (V::Str(s), V::Str(p)) => truth(Some(like(&s, &p) != *negated)),
                _ => truth(None),
            },
            Filter::Call(func, args) => {
                let args = args
                    .iter()
                    .map(|a| self.eval(a).unwrap_or(V::Null))
                    .collect::<Vec<_>>();
                Some(call(*func, args, self.now))
            }
        }
    }

    fn binary(&self, op: BinOp, a: &'a Filter, b: &'a Filter) -> Option<V<'a>> {
        match op {
            BinOp::And => {
                let x = self.eval(a).as_ref().and_then(as_bool);
                if x == Some(false) {
                    return truth(Some(false));
                }
                let y = self.eval(b).as_ref().and_then(as_bool);
                truth(match (x, y) {
                    (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                })
            }
            BinOp::Or => {
                let x = self.eval(a).as_ref().and_then(as_bool);
                if x == Some(true) {
                    return truth(Some(true));
                }
                let y = self.eval(b).as_ref().and_then(as_bool);
                truth(match (x, y) {
                    (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                })
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let keyed = matches!(a, Filter::Get(Accessor::Key))
                    || matches!(b, Filter::Get(Accessor::Key));
                let x = self.eval(a)?;
                let y = self.eval(b)?;
                let null_literal =
                    matches!(a, Filter::Lit(V::Null)) || matches!(b, Filter::Lit(V::Null));
                let ord = match (&x, &y) {
                    // `x eq null` / `x ne null` are IS [NOT] NULL; any other comparison
                    // with a null is unknown, as in SQL.
                    (V::Null, _) | (_, V::Null) if null_literal => {
                        let both = matches!((&x, &y), (V::Null, V::Null));
                        return truth(match op {
                            BinOp::Eq => Some(both),
                            BinOp::Ne => Some(!both),
                            _ => None,
                        });
                    }
                    (V::Null, _) | (_, V::Null) => return truth(None),
                    (V::Str(s), V::Str(t)) if keyed => Some(s.as_ref().cmp(t.as_ref())),
                    _ => compare(&x, &y),
                };
                truth(ord.map(|o| match op {
                    BinOp::Eq => o == Ordering::Equal,
                    BinOp::Ne => o != Ordering::Equal,
                    BinOp::Lt => o == Ordering::Less,
                    BinOp::Le => o != Ordering::Greater,
                    BinOp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                }))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                let (V::Num(x), V::Num(y)) = (self.eval(a)?, self.eval(b)?) else {
                    return Some(V::Null);
                };
                Some(match op {
                    BinOp::Add => V::Num(x + y),
                    BinOp::Sub => V::Num(x - y),
                    BinOp::Mul => V::Num(x * y),
                    _ if y == 0.0 => V::Null,
                    BinOp::Div => V::Num(x / y),
                    _ => V::Num(x % y),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Fields;
    use crate::where_parser::parse;

    fn lead(fields: &[(&'static str, Value)]) -> Record {
        Record {
            key: "QDEMOA000001".into(),
            etag: String::new(),
            create_date: DateTime::<Utc>::UNIX_EPOCH,
            modify_date: DateTime::<Utc>::UNIX_EPOCH,
            fields: fields.iter().cloned().collect::<Fields>(),
        }
    }

    fn eval(text: &str, rec: &Record) -> bool {
        let store = Store::new(1);
        let compiled = parse(text)
            .map_err(|e| e.to_string())
            .and_then(|e| compile(Kind::Lead, &e).map_err(|e| e.to_string()));
        match compiled {
            Ok(f) => matches(&store, rec, &f, Utc::now()),
            Err(e) => panic!("'{text}': {e}"),
        }
    }

    #[test]
    fn like_handles_percent_underscore_and_case() {
        assert!(like("Smithers", "smi%"));
        assert!(like("Smith", "%MIT_"));
        assert!(like("", "%"));
        assert!(!like("Smith", "S_th"));
        assert!(like("a%b", "a%b"));
    }

    #[test]
    fn nulls_follow_sql_rules() {
        let r = lead(&[("LastName", Value::Text("Smith".into()))]);
        assert!(eval("Email eq null", &r));
        assert!(!eval("Email ne null", &r));
        assert!(!eval("Email ne 'a@b.com'", &r));
        assert!(!eval("not(Email eq 'a@b.com')", &r));
        assert!(eval("not(Email eq 'a@b.com') or LastName eq 'SMITH'", &r));
        assert!(!eval("Email in ('a')", &r));
    }

    #[test]
    fn text_is_case_insensitive_but_keys_are_exact() {
        let r = lead(&[("Email", Value::Text("Ann@Acme.com".into()))]);
        assert!(eval("Email eq 'ann@acme.com'", &r));
        assert!(eval("Email in ('ANN@ACME.COM', 'x')", &r));
        assert!(eval("Id eq 'QDEMOA000001'", &r));
        assert!(!eval("Id eq 'qdemoa000001'", &r));
    }

    #[test]
    fn unknown_properties_and_functions_fail_to_compile() {
        for text in [
            "Bogus eq 1",
            "Email.City eq 1",
            "Owner.Name eq 'x'",
            "nope(Email) eq 1",
            "upper(Email, 2) eq 'x'",
        ] {
            let compiled = parse(text)
                .map_err(|e| e.to_string())
                .and_then(|e| compile(Kind::Lead, &e).map_err(|e| e.to_string()));
            assert!(compiled.is_err(), "{text}");
        }
    }
}
