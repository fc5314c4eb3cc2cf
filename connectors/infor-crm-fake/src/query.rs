//! Executes a feed read: filter, order and page, using the email index for lookups by
//! email, the (ModifyDate, key) index for the incremental-sync shape and a scan for
//! everything else.

use std::cmp::Ordering;
use std::ops::Bound;

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
            let bounds = (range.lo.clone(), range.hi.clone());
            let keys = table
                .by_modified
                .range::<(i64, String), (Bound<_>, Bound<_>)>(bounds);
            let row = |(_, k): &'a (i64, String)| table.rows.get(k);
            let iter: Box<dyn Iterator<Item = &'a (i64, String)> + 'a> = if *desc {
                Box::new(keys.rev())
            } else {
                Box::new(keys)
            };
            if exact.is_some() {
                // The range is the answer: count index entries, fetch only the page.
                let bounds = (range.lo, range.hi);
                let total = table
                    .by_modified
                    .range::<(i64, String), (Bound<_>, Bound<_>)>(bounds)
                    .count();
                let records = iter
                    .skip(read.skip)
                    .take(read.take)
                    .filter_map(row)
                    .collect();
                Page { total, records }
            } else {
                paginate(iter.filter_map(row).filter(|r| accept(r)), read)
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
#[path = "query_tests.rs"]
mod tests;
