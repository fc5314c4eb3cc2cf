//! The in-memory tables: records by key plus an index ordered by (ModifyDate, key) and
//! a case-insensitive email index.
//!
//! The (ModifyDate, key) index lets the common incremental query (`ModifyDate`/`Id`
//! keyset `where` with `orderBy=ModifyDate,Id`) start at the right place instead of
//! sorting the table; the email index answers lookups by email without a scan. Every
//! write, whatever its path (`/sdata`, `$batch`, `/_admin`, seeding, loading, a rollback),
//! goes through [`Store::put`] and [`Store::remove`], which keep both indexes in step.
//! [`Store::atomically`] makes a change of several records all or nothing.

use std::collections::{BTreeMap, HashSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::SubsecRound;

use crate::derive;
use crate::email_index::EmailIndex;
use crate::model::{Kind, Record};
use crate::ranked::RankedSet;

/// The position of a record in the (ModifyDate, key) order.
pub(crate) type IndexKey = (i64, String);

/// One resource kind's records.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// Records by key (key order is the `Id` order).
    pub rows: BTreeMap<String, Record>,
    /// (ModifyDate seconds, key) of every row, ranked so a page's count and offset
    /// cost the same wherever it starts.
    pub by_modified: RankedSet<IndexKey>,
    /// (folded Email, key) of every row that has an email.
    pub emails: EmailIndex,
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
    /// While [`Store::atomically`] runs: how to undo what it changed.
    journal: Option<Journal>,
}

/// The records an atomic change touched, each as it was before its first change there
/// (`None`: it did not exist), and the generators' state before it began.
#[derive(Debug)]
struct Journal {
    before: Vec<(Kind, String, Option<Record>)>,
    seen: HashSet<(usize, String)>,
    etag_seq: u64,
    next_seqs: Vec<u64>,
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
            journal: None,
        }
    }

    /// Runs `change` all or nothing: when it fails, every record it put or removed is
    /// back as it was, and the key and etag generators too, so a failed multi-record
    /// change leaves the store exactly as before. Nested calls join the outer one.
    pub(crate) fn atomically<T, E>(
        &mut self,
        change: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E> {
        if self.journal.is_some() {
            return change(self);
        }
        self.journal = Some(Journal {
            before: Vec::new(),
            seen: HashSet::new(),
            etag_seq: self.etag_seq,
            next_seqs: self.tables.iter().map(|t| t.next_seq).collect(),
        });
        let result = change(self);
        let journal = self.journal.take();
        if let (Err(_), Some(journal)) = (&result, journal) {
            for (kind, key, old) in journal.before.into_iter().rev() {
                match old {
                    Some(record) => self.put(kind, record),
                    None => {
                        self.remove(kind, &key);
                    }
                }
            }
            self.etag_seq = journal.etag_seq;
            for (table, seq) in self.tables.iter_mut().zip(journal.next_seqs) {
                table.next_seq = seq;
            }
        }
        result
    }

    /// Notes a record's state before its first change inside [`Store::atomically`].
    fn remember(&mut self, kind: Kind, key: &str) {
        if let Some(journal) = self.journal.as_mut()
            && journal.seen.insert((kind.index(), key.to_string()))
        {
            let old = self.tables[kind.index()].rows.get(key).cloned();
            journal.before.push((kind, key.to_string(), old));
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
        self.remember(kind, &record.key);
        derive::apply(kind, &mut record);
        // ModifyDate has whole-second precision whatever path set it (an `/_admin`
        // update with a date of its own, a load): the index and the `where` bounds
        // (`gt D` starts at the next second) rely on it.
        record.modify_date = record.modify_date.trunc_subsecs(0);
        let table = &mut self.tables[kind.index()];
        match table.rows.get(&record.key) {
            Some(old) => {
                table.by_modified.remove(&Table::index_key(old));
                table.emails.replace(old, &record);
            }
            None => table.emails.insert(&record),
        }
        table.by_modified.insert(Table::index_key(&record));
        table.rows.insert(record.key.clone(), record);
    }

    /// Removes a record, returning it if it existed.
    pub fn remove(&mut self, kind: Kind, key: &str) -> Option<Record> {
        self.remember(kind, key);
        let table = &mut self.tables[kind.index()];
        let old = table.rows.remove(key)?;
        table.by_modified.remove(&Table::index_key(&old));
        table.emails.remove(&old);
        Some(old)
    }

    /// Every record of `kind` in key order.
    pub fn records(&self, kind: Kind) -> impl Iterator<Item = &Record> {
        self.table(kind).rows.values()
    }

    /// Checks that both indexes of every table are exactly what its rows give, naming
    /// the first kind whose index is not (for tests: a write path that bypassed
    /// [`Store::put`]/[`Store::remove`], or a rollback that left an entry behind).
    pub(crate) fn verify_indexes(&self) -> Result<(), String> {
        for kind in Kind::ALL {
            let table = self.table(kind);
            let by_modified: RankedSet<IndexKey> =
                table.rows.values().map(Table::index_key).collect();
            if by_modified != table.by_modified {
                return Err(format!(
                    "{kind}: the (ModifyDate, key) index ({} entries) differs from its rows' ({})",
                    table.by_modified.len(),
                    by_modified.len()
                ));
            }
            let mut emails = EmailIndex::default();
            for record in table.rows.values() {
                emails.insert(record);
            }
            if emails != table.emails {
                return Err(format!(
                    "{kind}: the email index ({} entries) differs from its rows' ({})",
                    table.emails.len(),
                    emails.len()
                ));
            }
        }
        Ok(())
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
    use crate::model::Fields;

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

    fn lead(store: &mut Store, name: &str) -> Record {
        let mut fields = Fields::new();
        fields.insert("LastName", crate::model::Value::Text(name.into()));
        Record {
            key: store.new_key(Kind::Lead),
            etag: store.new_etag(),
            create_date: chrono::DateTime::UNIX_EPOCH,
            modify_date: chrono::DateTime::UNIX_EPOCH,
            fields,
        }
    }

    #[test]
    fn a_failed_atomic_change_leaves_the_store_as_it_was() {
        let mut store = Store::new(3);
        let kept = lead(&mut store, "Kept");
        let gone = lead(&mut store, "Gone");
        store.put(Kind::Lead, kept.clone());
        store.put(Kind::Lead, gone.clone());
        let before: Vec<Record> = store.records(Kind::Lead).cloned().collect();
        let index = store.table(Kind::Lead).by_modified.clone();
        let result: Result<(), &str> = store.atomically(|s| {
            let mut changed = kept.clone();
            changed
                .fields
                .insert("LastName", crate::model::Value::Text("Changed".into()));
            changed.etag = s.new_etag();
            changed.modify_date = chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(1);
            s.put(Kind::Lead, changed);
            s.remove(Kind::Lead, &gone.key);
            let added = lead(s, "Added");
            s.put(Kind::Lead, added);
            Err("the third change fails")
        });
        assert_eq!(result, Err("the third change fails"));
        let after: Vec<Record> = store.records(Kind::Lead).cloned().collect();
        assert_eq!(after.len(), 2);
        for (a, b) in after.iter().zip(&before) {
            assert_eq!(
                (&a.key, &a.etag, &a.modify_date),
                (&b.key, &b.etag, &b.modify_date)
            );
            assert_eq!(a.text("LastName"), b.text("LastName"));
        }
        assert_eq!(store.table(Kind::Lead).by_modified, index);
        // The generators are back too: the next key and etag are the ones they would be.
        let mut fresh = Store::new(3);
        for _ in 0..2 {
            let _ = (fresh.new_key(Kind::Lead), fresh.new_etag());
        }
        assert_eq!(store.new_key(Kind::Lead), fresh.new_key(Kind::Lead));
        assert_eq!(store.new_etag(), fresh.new_etag());

        // A change that succeeds is kept.
        let ok: Result<(), &str> = store.atomically(|s| {
            s.remove(Kind::Lead, &gone.key);
            Ok(())
        });
        assert_eq!(ok, Ok(()));
        assert_eq!(store.len(Kind::Lead), 1);
    }

    fn with_email(mut record: Record, email: &str) -> Record {
        record
            .fields
            .insert("Email", crate::model::Value::Text(email.into()));
        record
    }

    fn by_email(store: &Store, email: &str) -> Vec<String> {
        let probe = [crate::email_index::fold(email)];
        let table = store.table(Kind::Lead);
        table
            .emails
            .lookup(&probe)
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn the_email_index_follows_puts_removes_and_a_rollback() {
        let mut store = Store::new(5);
        let ann = with_email(lead(&mut store, "Ann"), "Ann@X.com");
        let bob = with_email(lead(&mut store, "Bob"), "bob@x.com");
        store.put(Kind::Lead, ann.clone());
        store.put(Kind::Lead, bob.clone());
        assert_eq!(by_email(&store, "ANN@x.COM"), [ann.key.as_str()]);
        // A change of email moves the entry; a change of something else keeps it.
        store.put(Kind::Lead, with_email(ann.clone(), "ann@new.com"));
        assert!(by_email(&store, "ann@x.com").is_empty());
        assert_eq!(by_email(&store, "Ann@New.com"), [ann.key.as_str()]);
        let mut renamed = with_email(ann.clone(), "ann@new.com");
        renamed
            .fields
            .insert("LastName", crate::model::Value::Text("Ann2".into()));
        store.put(Kind::Lead, renamed);
        assert_eq!(by_email(&store, "ann@new.com"), [ann.key.as_str()]);
        // A record without an email is not listed; one losing its email leaves.
        let mut no_email = bob.clone();
        no_email.fields.remove("Email");
        store.put(Kind::Lead, no_email);
        assert!(by_email(&store, "bob@x.com").is_empty());
        store.put(Kind::Lead, bob.clone());
        assert_eq!(store.verify_indexes(), Ok(()));

        // A failed atomic change that moved, removed and added emails is undone.
        let result: Result<(), &str> = store.atomically(|s| {
            s.put(Kind::Lead, with_email(ann.clone(), "changed@x.com"));
            s.remove(Kind::Lead, &bob.key);
            let added = with_email(lead(s, "Cy"), "bob@x.com");
            s.put(Kind::Lead, added);
            Err("fails")
        });
        assert_eq!(result, Err("fails"));
        assert!(by_email(&store, "changed@x.com").is_empty());
        assert_eq!(by_email(&store, "ann@new.com"), [ann.key.as_str()]);
        assert_eq!(by_email(&store, "bob@x.com"), [bob.key.as_str()]);
        assert_eq!(store.verify_indexes(), Ok(()));

        store.remove(Kind::Lead, &ann.key);
        assert!(by_email(&store, "ann@new.com").is_empty());
        assert_eq!(store.table(Kind::Lead).emails.len(), 1);
        assert_eq!(store.verify_indexes(), Ok(()));
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
