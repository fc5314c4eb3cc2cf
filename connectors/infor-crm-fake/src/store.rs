//! The in-memory tables: records by key plus an index ordered by (ModifyDate, key).
//!
//! The index lets the common incremental query (`ModifyDate`/`Id` keyset `where` with
//! `orderBy=ModifyDate,Id`) start at the right place instead of sorting the table.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::derive;
use crate::model::{Kind, Record};

/// The position of a record in the (ModifyDate, key) order.
pub(crate) type IndexKey = (i64, String);

/// One resource kind's records.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// Records by key (key order is the `Id` order).
    pub rows: BTreeMap<String, Record>,
    /// (ModifyDate seconds, key) of every row.
    pub by_modified: BTreeSet<IndexKey>,
    next_seq: u64,
}

impl Table {
    fn index_key(record: &Record) -> IndexKey {
        (record.modify_date.timestamp(), record.key.clone())
    }
}

/// Every table plus the key and etag generators.
#[derive(Debug)]
pub struct Store {
    tables: Vec<Table>,
    etag_seq: u64,
    etag_salt: u64,
}

/// The 5-character site code in generated keys (`QDEMOA000001`).
const SITE: &str = "DEMOA";
const KEY_DIGITS: u32 = 6;

impl Store {
    /// An empty store whose generated etags depend on `seed`.
    pub fn new(seed: u64) -> Store {
        Store {
            tables: Kind::ALL.iter().map(|_| Table::default()).collect(),
            etag_seq: 0,
            etag_salt: seed,
        }
    }

    pub(crate) fn table(&self, kind: Kind) -> &Table {
        &self.tables[kind.index()]
    }

    /// The number of records of `kind`.
    pub fn len(&self, kind: Kind) -> usize {
        self.table(kind).rows.len()
    }

    /// The record of `kind` with `key`, if any.
    pub fn get(&self, kind: Kind, key: &str) -> Option<&Record> {
        self.table(kind).rows.get(key)
    }

    /// A fresh, unused 12-character key for `kind`, in increasing order.
    pub fn new_key(&mut self, kind: Kind) -> String {
        let prefix = kind.def().key_prefix;
        loop {
            let table = &mut self.tables[kind.index()];
            table.next_seq += 1;
            let key = format!("{prefix}{SITE}{}", base36(table.next_seq, KEY_DIGITS));
            if !table.rows.contains_key(&key) {
                return key;
            }
        }
    }

    /// A fresh opaque etag (base64 of 8 bytes, like `D5GhoP////8=`).
    pub fn new_etag(&mut self) -> String {
        self.etag_seq += 1;
        let mixed = splitmix64(self.etag_salt ^ self.etag_seq.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        STANDARD.encode(mixed.to_be_bytes())
    }

    /// Inserts or replaces a record, recomputing derived fields and the index entry.
    pub fn put(&mut self, kind: Kind, mut record: Record) {
        derive::apply(kind, &mut record);
        let table = &mut self.tables[kind.index()];
        if let Some(old) = table.rows.get(&record.key) {
            table.by_modified.remove(&Table::index_key(old));
        }
        table.by_modified.insert(Table::index_key(&record));
        table.rows.insert(record.key.clone(), record);
    }

    /// Removes a record, returning it if it existed.
    pub fn remove(&mut self, kind: Kind, key: &str) -> Option<Record> {
        let table = &mut self.tables[kind.index()];
        let old = table.rows.remove(key)?;
        table.by_modified.remove(&Table::index_key(&old));
        Some(old)
    }

    /// Every record of `kind` in key order.
    pub fn records(&self, kind: Kind) -> impl Iterator<Item = &Record> {
        self.table(kind).rows.values()
    }
}

/// Fixed-width upper-case base-36, so that key order is creation order.
fn base36(mut n: u64, width: u32) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = vec![b'0'; width as usize];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    out.into_iter().map(char::from).collect()
}

/// A fast, well-mixing 64-bit hash step.
pub(crate) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_twelve_characters_and_increasing() {
        let mut store = Store::new(7);
        let a = store.new_key(Kind::Lead);
        let b = store.new_key(Kind::Lead);
        assert_eq!(a, "QDEMOA000001");
        assert_eq!(a.len(), 12);
        assert!(a < b);
        assert_eq!(base36(36, 3), "010");
    }

    #[test]
    fn etags_differ_and_look_like_base64() {
        let mut store = Store::new(7);
        let a = store.new_etag();
        let b = store.new_etag();
        assert_ne!(a, b);
        assert_eq!(a.len(), 12);
        assert!(a.ends_with('='));
    }
}
