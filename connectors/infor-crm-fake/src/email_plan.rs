//! Finds the email index entries a `where` can touch: the folded emails ([`fold`]) every
//! record it accepts is listed under, or `None` when it may accept a record by some
//! other property (then the read goes on as before, by the ModifyDate index or a scan).
//!
//! Planned, exactly as the connector and forms send them and alone or as one side of an
//! `and` (the other side is evaluated on the candidates): `Email eq 'x'`, `'x' eq Email`,
//! `upper(Email) eq 'X'`, `Email in ('x', …)` and `upper(Email) in ('X', …)`; an `or`
//! of two planned sides takes both sides' emails. An `in` is planned only when every
//! item is a text literal (a number item compares the email as a number), and never
//! `ne`, `not in`, `not(…)`, `like` or functions other than `upper`, which could accept
//! records listed under other emails. The read evaluates the full `where` on the
//! candidates, so the plan only has to be a superset (the proof is in
//! [`crate::email_index`]).

use crate::email_index::{FIELD, fold};
use crate::filter::{Accessor, Filter, V};
use crate::where_funcs::Func;
use crate::where_parser::BinOp;

/// The folded emails whose index entries hold every record `f` accepts, if there are.
pub(crate) fn probes(f: &Filter) -> Option<Vec<String>> {
    match f {
        Filter::Binary(BinOp::Eq, a, b) => match (a.as_ref(), b.as_ref()) {
            (e, Filter::Lit(V::Str(q))) | (Filter::Lit(V::Str(q)), e) if is_email(e) => {
                Some(vec![fold(q)])
            }
            _ => None,
        },
        Filter::In(value, list, Some(_), false) if is_email(value) => list
            .iter()
            .map(|item| match item {
                Filter::Lit(V::Str(q)) => Some(fold(q)),
                _ => None,
            })
            .collect(),
        Filter::Binary(BinOp::And, a, b) => match (probes(a), probes(b)) {
            (Some(x), Some(y)) => Some(if x.len() <= y.len() { x } else { y }),
            (x, y) => x.or(y),
        },
        Filter::Binary(BinOp::Or, a, b) => {
            let mut both = probes(a)?;
            both.extend(probes(b)?);
            Some(both)
        }
        _ => None,
    }
}

/// `Email` or `upper(Email)` of the record itself (not of a related record).
fn is_email(f: &Filter) -> bool {
    match f {
        Filter::Get(Accessor::Field(name)) => *name == FIELD,
        Filter::Call(Func::Upper, args) => {
            matches!(args.as_slice(), [Filter::Get(Accessor::Field(name))] if *name == FIELD)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;
    use crate::query::parse_where;

    fn plan(kind: Kind, text: &str) -> Option<Vec<String>> {
        match parse_where(kind, Some(text)) {
            Ok(Some(f)) => probes(&f),
            Ok(None) => None,
            Err(e) => panic!("'{text}': {e}"),
        }
    }

    #[test]
    fn email_lookups_are_planned_alone_and_inside_an_and() {
        let one = Some(vec!["a@x.com".to_string()]);
        for text in [
            "Email eq 'A@x.com'",
            "email eq ' a@X.com'",
            "'a@x.com' eq Email",
            "upper(Email) eq 'A@X.COM'",
            "Email in ('A@X.COM')",
            "upper(Email) in ('A@X.COM')",
            "(upper(Email) in ('A@X.COM')) and DoNotEmail eq false",
            "ModifyDate gt @2020-01-01@ and Email eq 'a@x.com'",
            "Email eq 'a@x.com' and (Email like 'a%' or LastName eq 'x')",
        ] {
            assert_eq!(plan(Kind::Lead, text), one, "{text}");
        }
        assert_eq!(
            plan(
                Kind::Contact,
                "upper(Email) in ('A@X.COM', 'B@Y.COM', 'A@X.COM')"
            ),
            Some(vec!["a@x.com".into(), "b@y.com".into(), "a@x.com".into()])
        );
        assert_eq!(
            plan(
                Kind::Account,
                "Email eq 'a@x.com' or upper(Email) eq 'B@Y.COM'"
            ),
            Some(vec!["a@x.com".into(), "b@y.com".into()])
        );
        assert_eq!(
            plan(
                Kind::Lead,
                "Email in ('a@x.com', 'b@y.com') and Email eq 'b@y.com'"
            ),
            Some(vec!["b@y.com".into()]),
            "the narrower side of an and"
        );
    }

    #[test]
    fn anything_that_may_accept_other_emails_is_not_planned() {
        for text in [
            "Email ne 'a@x.com'",
            "not(Email eq 'a@x.com')",
            "Email not in ('a@x.com')",
            "Email in ('a@x.com', 1)",
            "Email in ('a@x.com', null)",
            "Email eq null",
            "Email like 'a@x.com'",
            "lower(Email) eq 'a@x.com'",
            "trim(Email) eq 'a@x.com'",
            "upper(upper(Email)) eq 'A@X.COM'",
            "Email eq 'a@x.com' or LastName eq 'Smith'",
            "Email gt 'a@x.com'",
            "Email eq LastName",
            "LastName eq 'a@x.com'",
        ] {
            assert_eq!(plan(Kind::Lead, text), None, "{text}");
        }
        assert_eq!(
            plan(Kind::Contact, "Account.Email eq 'a@x.com'"),
            None,
            "another record's email"
        );
        assert_eq!(plan(Kind::Contact, "SecondaryEmail eq 'a@x.com'"), None);
    }
}
