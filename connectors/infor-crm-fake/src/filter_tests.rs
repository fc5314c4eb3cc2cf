use std::collections::BTreeMap;

use super::*;
use crate::where_parser::parse;

fn lead(fields: &[(&'static str, Value)]) -> Record {
    Record {
        key: "QDEMOA000001".into(),
        etag: String::new(),
        create_date: DateTime::<Utc>::UNIX_EPOCH,
        modify_date: DateTime::<Utc>::UNIX_EPOCH,
        fields: fields.iter().cloned().collect::<BTreeMap<_, _>>(),
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
