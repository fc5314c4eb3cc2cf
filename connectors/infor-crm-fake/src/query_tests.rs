//! The email index never changes an answer: for many random `where`s, orders and pages
//! over leads whose emails differ in case, padding and Unicode folding, a read through
//! the index gives exactly the page and total of the same read without it.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

use super::*;
use crate::model::Value;

/// Emails that fold together or nearly so: case, padding, `ß`/`SS`, the Kelvin sign,
/// final sigma, dotted `İ`, the `ﬁ` ligature, titlecase `ǅ`, a quote, an empty one.
const EMAILS: &[&str] = &[
    "ann.smith@acme.com",
    "Bob.Jones@Example.org",
    "o'neil@x.com",
    "straße@x.de",
    "strasse@x.de",
    "\u{212A}elvin@x.com",
    "kelvin@x.com",
    "ΟΔΟΣ@x.gr",
    "οδος@x.gr",
    "οδοσ@x.gr",
    "İstanbul@x.tr",
    "istanbul@x.tr",
    " padded@x.com ",
    "padded@x.com",
    "\u{FB01}@x.com",
    "fi@x.com",
    "\u{01C5}@x.com",
    "\u{01C6}@x.com",
    "",
];

const LAST_NAMES: &[&str] = &["Smith", "smith", "Jones", "Ng"];

const ORDERS: &[&str] = &[
    "",
    "Id",
    "Id desc",
    "ModifyDate,Id",
    "ModifyDate desc",
    "ModifyDate desc,Id desc",
    "ModifyDate,Id desc",
    "LastName",
    "LastName desc,Email",
    "Email desc",
];

/// A spelling of `email` as a user, a form or the connector might send it.
fn variant(rng: &mut StdRng, email: &str) -> String {
    let cased = match rng.random_range(0..5) {
        0 => email.to_string(),
        1 => email.to_uppercase(),
        2 => email.to_lowercase(),
        3 => email.trim().to_uppercase(),
        _ => email
            .chars()
            .map(|c| {
                if rng.random_bool(0.5) {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect(),
    };
    match rng.random_range(0..8) {
        0 => format!(" {cased}"),
        1 => format!("{cased}  "),
        _ => cased,
    }
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn some_email(rng: &mut StdRng) -> String {
    if rng.random_bool(0.1) {
        return "nobody@nowhere.example".into();
    }
    let base = EMAILS.choose(rng).copied().unwrap_or_default();
    variant(rng, base)
}

fn email_list(rng: &mut StdRng, upper: bool) -> String {
    let n = rng.random_range(1..6);
    let items: Vec<String> = (0..n)
        .map(|_| {
            let e = some_email(rng);
            literal(&if upper { e.trim().to_uppercase() } else { e })
        })
        .collect();
    items.join(", ")
}

/// A criterion the email index narrows.
fn email_atom(rng: &mut StdRng) -> String {
    let e = some_email(rng);
    match rng.random_range(0..7) {
        0 => format!("Email eq {}", literal(&e)),
        1 => format!("{} eq Email", literal(&e)),
        2 => format!("upper(Email) eq {}", literal(&e.to_uppercase())),
        3 => format!("upper(Email) eq {}", literal(&e)),
        4 => format!("Email in ({})", email_list(rng, false)),
        5 => {
            let upper = rng.random_bool(0.5);
            format!("email in ({})", email_list(rng, upper))
        }
        _ => format!("upper(Email) in ({})", email_list(rng, true)),
    }
}

/// A criterion it does not.
fn other_atom(rng: &mut StdRng) -> String {
    let e = literal(&some_email(rng));
    match rng.random_range(0..9) {
        0 => "LastName eq 'SMITH'".into(),
        1 => "DoNotEmail eq true".into(),
        2 => format!(
            "ModifyDate gt @1970-01-01T00:00:0{}Z@",
            rng.random_range(0..6)
        ),
        3 => "Email like '%x.%'".into(),
        4 => format!("Email ne {e}"),
        5 => format!("not(Email eq {e})"),
        6 => format!("Email in ({e}, 1)"),
        7 => "Email eq null".into(),
        _ => format!("lower(Email) eq {e}"),
    }
}

fn clause(rng: &mut StdRng, depth: u32) -> String {
    match rng.random_range(0..10) {
        0..=3 => email_atom(rng),
        4 => other_atom(rng),
        5 | 6 if depth > 0 => format!(
            "({}) and ({})",
            clause(rng, depth - 1),
            clause(rng, depth - 1)
        ),
        7 if depth > 0 => format!(
            "({}) or ({})",
            clause(rng, depth - 1),
            clause(rng, depth - 1)
        ),
        8 => format!("{} and {}", email_atom(rng), other_atom(rng)),
        _ => email_atom(rng),
    }
}

fn lead(store: &mut Store, rng: &mut StdRng) -> Record {
    let mut fields = BTreeMap::new();
    if rng.random_bool(0.9) {
        let base = EMAILS.choose(rng).copied().unwrap_or_default();
        fields.insert("Email", Value::Text(variant(rng, base)));
    }
    let last = LAST_NAMES.choose(rng).copied().unwrap_or_default();
    fields.insert("LastName", Value::Text(last.into()));
    fields.insert("DoNotEmail", Value::Bool(rng.random_bool(0.2)));
    // A few whole seconds (the store's ModifyDate precision), so many records share one.
    let modified = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(rng.random_range(0..6));
    Record {
        key: store.new_key(Kind::Lead),
        etag: store.new_etag(),
        create_date: DateTime::<Utc>::UNIX_EPOCH,
        modify_date: modified,
        fields,
    }
}

/// 400 leads, then some of them given another email, stripped of it or removed, so
/// the index has followed replacements and removals too.
fn store(rng: &mut StdRng) -> Store {
    let mut store = Store::new(11);
    for _ in 0..400 {
        let record = lead(&mut store, rng);
        store.put(Kind::Lead, record);
    }
    let keys: Vec<String> = store.records(Kind::Lead).map(|r| r.key.clone()).collect();
    for key in keys.sample(rng, 120) {
        let Some(mut record) = store.get(Kind::Lead, key).cloned() else {
            continue;
        };
        match rng.random_range(0..3) {
            0 => {
                store.remove(Kind::Lead, key);
            }
            1 => {
                record.fields.remove("Email");
                store.put(Kind::Lead, record);
            }
            _ => {
                let base = EMAILS.choose(rng).copied().unwrap_or_default();
                record
                    .fields
                    .insert("Email", Value::Text(variant(rng, base)));
                store.put(Kind::Lead, record);
            }
        }
    }
    store
}

#[test]
fn reads_through_the_email_index_equal_reads_without_it() {
    let mut rng = StdRng::seed_from_u64(20_261_201);
    let store = store(&mut rng);
    assert_eq!(store.verify_indexes(), Ok(()));
    let (mut planned, mut planned_matching, mut pages) = (0, 0, 0);
    for _ in 0..3_000 {
        let text = clause(&mut rng, 2);
        let filter = match parse_where(Kind::Lead, Some(&text)) {
            Ok(Some(f)) => f,
            other => panic!("'{text}' should compile: {other:?}"),
        };
        let order_by = ORDERS.choose(&mut rng).copied().unwrap_or_default();
        let order = match parse_order(Kind::Lead, Some(order_by)) {
            Ok(o) => o,
            Err(e) => panic!("orderBy={order_by}: {e}"),
        };
        let read = Read {
            kind: Kind::Lead,
            filter: Some(&filter),
            order: &order,
            skip: *[0, 0, 1, 3].choose(&mut rng).unwrap_or(&0),
            take: *[1, 2, 5, 100].choose(&mut rng).unwrap_or(&100),
            now: Utc::now(),
        };
        let indexed = run(&store, &read);
        let scanned = without_email_index(&store, &read);
        let keys = |p: &Page<'_>| p.records.iter().map(|r| r.key.clone()).collect::<Vec<_>>();
        assert_eq!(
            (indexed.total, keys(&indexed)),
            (scanned.total, keys(&scanned)),
            "where={text}&orderBy={order_by} skip {} take {}",
            read.skip,
            read.take
        );
        if crate::email_plan::probes(&filter).is_some() {
            planned += 1;
            planned_matching += usize::from(scanned.total > 0);
            pages += usize::from(scanned.total > read.skip + read.take);
        }
    }
    // Not vacuous: most reads went through the index, many found leads, some paged.
    assert!(planned > 1_500, "{planned} of 3000 planned");
    assert!(
        planned_matching > 800,
        "{planned_matching} planned reads matched"
    );
    assert!(pages > 50, "{pages} planned reads had a further page");
}

#[test]
fn the_index_finds_what_each_comparison_accepts_across_unicode_folding() {
    fn put(store: &mut Store, email: &str) -> String {
        let mut fields = BTreeMap::new();
        fields.insert("Email", Value::Text(email.into()));
        let record = Record {
            key: store.new_key(Kind::Lead),
            etag: String::new(),
            create_date: DateTime::<Utc>::UNIX_EPOCH,
            modify_date: DateTime::<Utc>::UNIX_EPOCH,
            fields,
        };
        let key = record.key.clone();
        store.put(Kind::Lead, record);
        key
    }
    let mut store = Store::new(2);
    let strasse = put(&mut store, "Straße@X.de");
    let kelvin = put(&mut store, "\u{212A}@x.com");
    let sigma = put(&mut store, "ΟΔΟΣ@x.gr");
    let order = Order::Key { desc: false };
    let found = |text: &str| {
        let filter = match parse_where(Kind::Lead, Some(text)) {
            Ok(Some(f)) => f,
            other => panic!("{text}: {other:?}"),
        };
        assert!(crate::email_plan::probes(&filter).is_some(), "{text}");
        let read = Read {
            kind: Kind::Lead,
            filter: Some(&filter),
            order: &order,
            skip: 0,
            take: 10,
            now: Utc::now(),
        };
        let keys = |p: Page<'_>| p.records.iter().map(|r| r.key.clone()).collect::<Vec<_>>();
        let indexed = keys(run(&store, &read));
        assert_eq!(indexed, keys(without_email_index(&store, &read)), "{text}");
        indexed
    };
    // upper('Straße') is 'STRASSE': only the upper-cased email's fold finds it.
    assert_eq!(
        found("upper(Email) in ('STRASSE@X.DE')"),
        [strasse.as_str()]
    );
    assert_eq!(found("upper(Email) eq 'strasse@x.de'"), [strasse.as_str()]);
    assert_eq!(found("Email eq 'STRAßE@x.DE'"), [strasse]);
    assert_eq!(found("Email eq 'strasse@x.de'"), Vec::<String>::new());
    // The Kelvin sign lower-cases to 'k' and upper-cases to itself.
    assert_eq!(found("Email eq 'k@X.COM'"), [kelvin.as_str()]);
    assert_eq!(found("Email in ('K@x.com')"), [kelvin.as_str()]);
    assert_eq!(found("upper(Email) in ('k@x.com')"), [kelvin]);
    // `in` lower-cases a final sigma to ς, `eq` to σ; both find it.
    assert_eq!(found("Email in ('οδος@x.gr')"), [sigma.as_str()]);
    assert_eq!(found("Email eq 'οδοσ@x.gr'"), [sigma]);
}
