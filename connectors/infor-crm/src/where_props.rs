//! Property tests of `where` values: whatever text a list holds (an email, a name, a
//! key), quoted by [`query::quote`] it reads back, through the fake CRM's SData `where`
//! parser, as exactly one string literal with exactly that text — so a value is data,
//! never syntax — and it survives the URL's percent-encoding unchanged.

use infor_crm_fake::{BinOp, Expr, Literal, parse_where};
use proptest::{prelude::*, test_runner::Config};

use crate::{endpoint::encode, query};

/// Any text: printable and control characters, quotes of both kinds, SData keywords
/// and operators, and non-ASCII.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[' \"()@,%+&=a-zA-Z0-9.\\-_]{0,40}",
        prop::collection::vec(
            prop_oneof![
                Just("'"),
                Just("''"),
                Just("\""),
                Just(" or "),
                Just(" and "),
                Just(" eq "),
                Just("@2024-01-01@"),
                Just("("),
                Just(")"),
                Just("é"),
                Just("\u{0}"),
                Just("\n"),
                Just("x"),
            ],
            0..12
        )
        .prop_map(|parts| parts.concat()),
    ]
}

/// `Email eq <value>` as the fake CRM reads it.
fn read_eq(clause: &str) -> Result<String, TestCaseError> {
    match parse_where(clause) {
        Ok(Expr::Binary(BinOp::Eq, left, right)) => {
            prop_assert_eq!(*left, Expr::Path(vec!["Email".to_string()]));
            match *right {
                Expr::Lit(Literal::Str(text)) => Ok(text),
                other => Err(TestCaseError::fail(format!("not one literal: {other:?}"))),
            }
        }
        other => Err(TestCaseError::fail(format!("{clause} read as {other:?}"))),
    }
}

/// A query value decoded as servers decode one (`+` is a space, then percent-decoding).
fn form_decode(encoded: &str) -> String {
    let spaced = encoded.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

fn config() -> Config {
    Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_quoted_value_reads_back_unchanged(value in value()) {
        let clause = format!("Email eq {}", query::quote(&value));
        prop_assert_eq!(read_eq(&clause)?, value.clone());
        // The same through the URL: encoded, decoded by the server, parsed.
        prop_assert_eq!(form_decode(&encode(&clause)), clause);
    }

    #[test]
    fn every_value_of_an_in_list_reads_back_in_order(
        values in prop::collection::vec(value(), 1..8),
    ) {
        let clause = query::in_list("Email", values.iter().map(String::as_str));
        let parsed = parse_where(&clause);
        let Ok(Expr::In { value, list, negated: false }) = parsed else {
            return Err(TestCaseError::fail(format!("{clause} read as {parsed:?}")));
        };
        prop_assert_eq!(*value, Expr::Path(vec!["Email".to_string()]));
        let read: Vec<Expr> = values
            .iter()
            .map(|v| Expr::Lit(Literal::Str(v.clone())))
            .collect();
        prop_assert_eq!(list, read);
    }
}
