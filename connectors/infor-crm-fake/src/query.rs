//! Executes a feed read: filter, order and page, using the email index for lookups by
//! email, the (ModifyDate, key) index for the incremental-sync shape and a scan for
//! everything else.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use crate::email_plan;
use crate::filter::{self, Accessor, Filter, V, access, compare};
use crate::index_range::{self, IndexRange};
use crate::model::{Kind, Record};
use crate::store::Store;
use crate::where_parser::{WhereError, parse};

/// The row order of a feed.
#[derive(Debug, Clone)]
pub(crate) enum Order {
    /// By key (`orderBy=Id`, and the default).
    Key { desc: bool },
    /// By (ModifyDate, key) (`orderBy=ModifyDate[,Id]`), served from the index.
    Modified { desc: bool },
    /// Anything else: sort the matches.
    Custom(Vec<(Accessor, bool)>),
}

/// Parses `orderBy` (`LastName desc,FirstName asc`); errors name the property.
pub(crate) fn parse_order(kind: Kind, order_by: Option<&str>) -> Result<Order, WhereError> {
    let mut items = Vec::new();
    for item in order_by.unwrap_or_default().split(',').map(str::trim) {
        if item.is_empty() {
            continue;
        }
        let mut words = item.split_whitespace();
        let path = words.next().unwrap_or_default();
        let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(WhereError {
                    message: format!("invalid sort direction '{other}' in orderBy"),
                    position: 0,
                });
            }
        };
        let segments: Vec<String> = path.split(['.', '/']).map(str::to_string).collect();
        items.push((filter::resolve_path(kind, &segments)?, desc));
    }
    let shape: Vec<(u8, bool)> = items
        .iter()
        .map(|(a, d)| match a {
            Accessor::Key => (0, *d),
            Accessor::ModifyDate => (1, *d),
            _ => (2, *d),
        })
        .collect();
    Ok(match shape.as_slice() {
        [] => Order::Key { desc: false },
        [(0, d)] => Order::Key { desc: *d },
        [(1, d)] => Order::Modified { desc: *d },
        [(1, a), (0, b)] if a == b => Order::Modified { desc: *a },
        _ => {
            items.push((Accessor::Key, false));
            Order::Custom(items)
        }
    })
}

/// Parses and compiles a `where` for `kind`.
pub(crate) fn parse_where(kind: Kind, text: Option<&str>) -> Result<Option<Filter>, WhereError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => Ok(Some(filter::compile(kind, &parse(t)?)?)),
    }
}

/// A page of a feed.
#[derive(Debug)]
pub(crate) struct Page<'a> {
    /// Matches in the whole feed (`totalResults`).
    pub total: usize,
    /// The records of this page, in order.
    pub records: Vec<&'a Record>,
}

/// One read to execute.
pub(crate) struct Read<'q> {
    pub kind: Kind,
    pub filter: Option<&'q Filter>,
    pub order: &'q Order,
    /// Zero-based offset of the first row (`startIndex - 1`).
    pub skip: usize,
    pub take: usize,
    pub now: DateTime<Utc>,
}

/// Runs a read against the store.
pub(crate) fn run<'a>(store: &'a Store, read: &Read<'_>) -> Page<'a> {
    match read.filter.and_then(email_plan::probes) {
        Some(probes) => by_email(store, read, &probes),
        None => without_email_index(store, read),
    }
}

/// A read whose `where` only accepts records listed under `probes` in the email index:
/// the `where` is evaluated on just those, then ordered and paged as the other paths do
/// (key order, (ModifyDate seconds, key) order as the index keeps it, or the sort).
fn by_email<'a>(store: &'a Store, read: &Read<'_>, probes: &[String]) -> Page<'a> {
    let table = store.table(read.kind);
    let mut rows: Vec<&'a Record> = table
        .emails
        .lookup(probes)
        .into_iter()
        .filter_map(|key| table.rows.get(key))
        .filter(|r| {
            read.filter
                .is_none_or(|f| filter::matches(store, r, f, read.now))
        })
        .collect();
    match read.order {
        Order::Key { desc } => {
            if *desc {
                rows.reverse();
            }
        }
        Order::Modified { desc } => {
            rows.sort_by(|a, b| {
                (a.modify_date.timestamp(), &a.key).cmp(&(b.modify_date.timestamp(), &b.key))
            });
            if *desc {
                rows.reverse();
            }
        }
        Order::Custom(keys) => rows.sort_by(|a, b| compare_rows(store, a, b, keys)),
    }
    let total = rows.len();
    let records = rows.into_iter().skip(read.skip).take(read.take).collect();
    Page { total, records }
}

/// A read by the (ModifyDate, key) index or a scan: what every `where` the email index
/// cannot narrow gets, and the reference its results are tested against.
pub(crate) fn without_email_index<'a>(store: &'a Store, read: &Read<'_>) -> Page<'a> {
    let table = store.table(read.kind);
    let accept = |r: &Record| {
        read.filter
            .is_none_or(|f| filter::matches(store, r, f, read.now))
    };
    match read.order {
        Order::Modified { desc } => {
            let exact = read
                .filter
                .map_or(Some(IndexRange::full()), index_range::exact);
            let range = exact
                .clone()
                .or_else(|| read.filter.and_then(index_range::covering))
                .unwrap_or_else(IndexRange::full);
            if range.is_empty() {
                return Page {
                    total: 0,
                    records: Vec::new(),
                };
            }
            // Positions in the index: the count and the page cost the same wherever
            // the range starts and however deep the offset, as with a database index.
            let index = &table.by_modified;
            let start = index.rank_lower(&range.lo);
            let end = index.rank_upper(&range.hi).max(start);
            let row = |(_, k): &'a (i64, String)| table.rows.get(k);
            if exact.is_some() {
                // The range is the answer: the page is a slice of it.
                let total = end - start;
                let (from, to) = if *desc {
                    let to = end.saturating_sub(read.skip).max(start);
                    (to.saturating_sub(read.take).max(start), to)
                } else {
                    let from = start.saturating_add(read.skip).min(end);
                    (from, from.saturating_add(read.take).min(end))
                };
                let slice = index.positions(from, to);
                let records = if *desc {
                    slice.rev().filter_map(row).collect()
                } else {
                    slice.filter_map(row).collect()
                };
                Page { total, records }
            } else if *desc {
                let covered = index.positions(start, end).rev();
                paginate(covered.filter_map(row).filter(|r| accept(r)), read)
            } else {
                let covered = index.positions(start, end);
                paginate(covered.filter_map(row).filter(|r| accept(r)), read)
            }
        }
        Order::Key { desc } => {
            let values = table.rows.values();
            if read.filter.is_none() {
                let total = table.rows.len();
                let records = if *desc {
                    values.rev().skip(read.skip).take(read.take).collect()
                } else {
                    values.skip(read.skip).take(read.take).collect()
                };
                return Page { total, records };
            }
            if *desc {
                paginate(values.rev().filter(|r| accept(r)), read)
            } else {
                paginate(values.filter(|r| accept(r)), read)
            }
        }
        Order::Custom(keys) => {
            let mut all: Vec<&Record> = table.rows.values().filter(|r| accept(r)).collect();
            all.sort_by(|a, b| compare_rows(store, a, b, keys));
            let total = all.len();
            let records = all.into_iter().skip(read.skip).take(read.take).collect();
            Page { total, records }
        }
    }
}

fn paginate<'a>(matches: impl Iterator<Item = &'a Record>, read: &Read<'_>) -> Page<'a> {
    let mut total = 0;
    let mut records = Vec::with_capacity(read.take.min(1024));
    for r in matches {
        if total >= read.skip && records.len() < read.take {
            records.push(r);
        }
        total += 1;
    }
    Page { total, records }
}

fn compare_rows(store: &Store, a: &Record, b: &Record, keys: &[(Accessor, bool)]) -> Ordering {
    for (acc, desc) in keys {
        let x = access(store, a, acc).unwrap_or(V::Null);
        let y = access(store, b, acc).unwrap_or(V::Null);
        let ord = match (&x, &y) {
            (V::Null, V::Null) => Ordering::Equal,
            (V::Null, _) => Ordering::Less,
            (_, V::Null) => Ordering::Greater,
            (V::Str(s), V::Str(t)) if matches!(acc, Accessor::Key) => s.cmp(t),
            _ => compare(&x, &y).unwrap_or(Ordering::Equal),
        };
        let ord = if *desc { ord.reverse() } else { ord };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    //! The email index never changes an answer: for many random `where`s, orders and pages
    //! over leads whose emails differ in case, padding and Unicode folding, a read through
    //! the index gives exactly the page and total of the same read without it.

    use chrono::{DateTime, TimeDelta, Utc};
    use rand::rngs::StdRng;
    use rand::seq::IndexedRandom;
    use rand::{RngExt, SeedableRng};

    use super::*;
    use crate::model::{Fields, Value};

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
        let mut fields = Fields::new();
        if rng.random_bool(0.9) {
            let base = EMAILS.choose(rng).copied().unwrap_or_default();
            fields.insert("Email", Value::Text(variant(rng, base).into()));
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
                        .insert("Email", Value::Text(variant(rng, base).into()));
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

    /// The reference a (ModifyDate, key) index read must equal: every row the `where`
    /// accepts, sorted, then the page.
    fn naive<'a>(store: &'a Store, read: &Read<'_>) -> (usize, Vec<&'a Record>) {
        let mut all: Vec<&Record> = store
            .records(Kind::Lead)
            .filter(|r| {
                read.filter
                    .is_none_or(|f| filter::matches(store, r, f, read.now))
            })
            .collect();
        all.sort_by(|a, b| {
            (a.modify_date.timestamp(), &a.key).cmp(&(b.modify_date.timestamp(), &b.key))
        });
        if matches!(read.order, Order::Modified { desc: true }) {
            all.reverse();
        }
        let total = all.len();
        (
            total,
            all.into_iter().skip(read.skip).take(read.take).collect(),
        )
    }

    #[test]
    fn pages_by_the_modified_index_equal_a_sort_of_every_match_at_any_depth() {
        let mut rng = StdRng::seed_from_u64(20_261_204);
        let store = store(&mut rng);
        let keys: Vec<String> = store.records(Kind::Lead).map(|r| r.key.clone()).collect();
        let instant = |s: i64| format!("@1970-01-01T00:00:0{s}Z@");
        let (mut exact, mut deep) = (0, 0);
        for _ in 0..2_000 {
            let second = rng.random_range(0..7);
            let key = keys.choose(&mut rng).cloned().unwrap_or_default();
            let text = match rng.random_range(0..6) {
                0 => String::new(),
                1 => format!(
                    "(ModifyDate gt {at} or (ModifyDate eq {at} and Id gt '{key}'))",
                    at = instant(second)
                ),
                2 => format!("ModifyDate ge {}", instant(second)),
                3 => format!(
                    "ModifyDate gt {} and ModifyDate lt {}",
                    instant(second),
                    instant(rng.random_range(0..7))
                ),
                4 => format!("ModifyDate eq {} and Id le '{key}'", instant(second)),
                // Covered, not exact: the index narrows, the filter decides.
                _ => format!("ModifyDate gt {} and DoNotEmail eq true", instant(second)),
            };
            let filter = match parse_where(Kind::Lead, Some(&text)) {
                Ok(f) => f,
                Err(e) => panic!("'{text}': {e}"),
            };
            let order_by = *[
                "ModifyDate,Id",
                "ModifyDate desc",
                "ModifyDate desc,Id desc",
            ]
            .choose(&mut rng)
            .unwrap_or(&"ModifyDate");
            let order = match parse_order(Kind::Lead, Some(order_by)) {
                Ok(o) => o,
                Err(e) => panic!("{order_by}: {e}"),
            };
            let read = Read {
                kind: Kind::Lead,
                filter: filter.as_ref(),
                order: &order,
                skip: rng.random_range(0..420),
                take: *[1, 7, 100, 1_000].choose(&mut rng).unwrap_or(&100),
                now: Utc::now(),
            };
            let page = without_email_index(&store, &read);
            let (total, records) = naive(&store, &read);
            let keys_of = |rs: &[&Record]| rs.iter().map(|r| r.key.clone()).collect::<Vec<_>>();
            assert_eq!(
                (page.total, keys_of(&page.records)),
                (total, keys_of(&records)),
                "where={text}&orderBy={order_by} skip {} take {}",
                read.skip,
                read.take
            );
            exact += usize::from(
                filter
                    .as_ref()
                    .is_none_or(|f| index_range::exact(f).is_some()),
            );
            deep += usize::from(read.skip > 0 && !records.is_empty());
        }
        assert!(exact > 1_000, "{exact} of 2000 reads were exact ranges");
        assert!(deep > 300, "{deep} reads had a page after an offset");
    }

    #[test]
    fn the_index_finds_what_each_comparison_accepts_across_unicode_folding() {
        fn put(store: &mut Store, email: &str) -> String {
            let mut fields = Fields::new();
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
}
