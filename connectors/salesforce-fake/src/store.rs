//! The records of each sObject with the indexes reads need: by Id, by
//! (SystemModstamp, Id) in order (keyset pages cost the page, not the table), and by
//! lower-case email (lookups cost the matches).

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

use crate::id::SfId;
use crate::record::Record;
use crate::schema::{ALL, SObject};
use crate::time::Millis;

/// An email as the index keys it: trimmed and lower-cased.
pub fn fold_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// One object's records and indexes.
#[derive(Debug)]
pub struct Table {
    object: SObject,
    rows: HashMap<SfId, Record>,
    by_stamp: BTreeSet<(Millis, SfId)>,
    by_email: HashMap<Box<str>, Vec<SfId>>,
    next_seq: u64,
    email_idx: Option<usize>,
}

impl Table {
    fn new(object: SObject) -> Table {
        Table {
            object,
            rows: HashMap::new(),
            by_stamp: BTreeSet::new(),
            by_email: HashMap::new(),
            next_seq: 1,
            email_idx: object.field_index("Email"),
        }
    }

    /// A fresh Id for a new record of this object.
    pub fn next_id(&mut self) -> SfId {
        let id = SfId::new(self.object.prefix(), self.next_seq);
        self.next_seq += 1;
        id
    }

    /// The record with Id `id`, deleted or not.
    pub fn get(&self, id: SfId) -> Option<&Record> {
        self.rows.get(&id)
    }

    /// The number of records, deleted ones included.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    fn email_key(&self, rec: &Record) -> Option<String> {
        let i = self.email_idx?;
        rec.get(i).as_text().map(fold_email)
    }

    fn unindex(&mut self, rec: &Record) {
        self.by_stamp.remove(&(rec.stamp(), rec.id()));
        if let Some(key) = self.email_key(rec)
            && let Some(ids) = self.by_email.get_mut(key.as_str())
        {
            ids.retain(|x| *x != rec.id());
            if ids.is_empty() {
                self.by_email.remove(key.as_str());
            }
        }
    }

    /// Inserts or replaces a record, keeping every index in step.
    pub fn put(&mut self, rec: Record) {
        if let Some(old) = self.rows.remove(&rec.id()) {
            self.unindex(&old);
        }
        self.by_stamp.insert((rec.stamp(), rec.id()));
        if let Some(key) = self.email_key(&rec) {
            let ids = self.by_email.entry(key.into_boxed_str()).or_default();
            if let Err(at) = ids.binary_search(&rec.id()) {
                ids.insert(at, rec.id());
            }
        }
        self.rows.insert(rec.id(), rec);
    }

    /// The records after `from` in (SystemModstamp, Id) order.
    pub fn scan_from(&self, from: Bound<(Millis, SfId)>) -> impl Iterator<Item = &Record> + '_ {
        self.by_stamp
            .range((from, Bound::Unbounded))
            .filter_map(|key| self.rows.get(&key.1))
    }

    /// Every record in (SystemModstamp, Id) order.
    pub fn iter(&self) -> impl Iterator<Item = &Record> + '_ {
        self.scan_from(Bound::Unbounded)
    }

    /// The Ids of records whose email is `email` (case-insensitively), in Id order.
    pub fn ids_by_email(&self, email: &str) -> &[SfId] {
        self.by_email
            .get(fold_email(email).as_str())
            .map_or(&[], Vec::as_slice)
    }

    /// Checks that the indexes hold exactly what the records give.
    pub fn verify_indexes(&self) -> Result<(), String> {
        let name = self.object.name();
        if self.by_stamp.len() != self.rows.len() {
            return Err(format!("{name}: stamp index size differs"));
        }
        let mut emails = 0;
        for rec in self.rows.values() {
            if !self.by_stamp.contains(&(rec.stamp(), rec.id())) {
                return Err(format!("{name}: {} missing from stamp index", rec.id()));
            }
            if let Some(key) = self.email_key(rec) {
                emails += 1;
                if !self.ids_by_email(&key).contains(&rec.id()) {
                    return Err(format!("{name}: {} missing from email index", rec.id()));
                }
            }
        }
        let indexed: usize = self.by_email.values().map(Vec::len).sum();
        if indexed != emails {
            return Err(format!("{name}: email index has stale entries"));
        }
        Ok(())
    }
}

/// Every table.
#[derive(Debug)]
pub struct Store {
    tables: Vec<Table>,
    next_account: u64,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        Store {
            tables: ALL.into_iter().map(Table::new).collect(),
            next_account: 1,
        }
    }

    fn pos(object: SObject) -> usize {
        ALL.iter().position(|o| *o == object).unwrap_or(0)
    }

    /// The table of `object`.
    pub fn table(&self, object: SObject) -> &Table {
        &self.tables[Store::pos(object)]
    }

    /// The table of `object`, for writing.
    pub fn table_mut(&mut self, object: SObject) -> &mut Table {
        &mut self.tables[Store::pos(object)]
    }

    /// The record with Id `id`, whatever its object (by key prefix).
    pub fn get(&self, id: SfId) -> Option<&Record> {
        let object = SObject::from_prefix(id.prefix())?;
        self.table(object).get(id)
    }

    /// A fresh Account Id (Accounts are not served; contacts and conversions refer to
    /// them).
    pub fn next_account_id(&mut self) -> SfId {
        let id = SfId::new("001", self.next_account);
        self.next_account += 1;
        id
    }

    /// Checks every table's indexes.
    pub fn verify_indexes(&self) -> Result<(), String> {
        self.tables.iter().try_for_each(Table::verify_indexes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn indexes_follow_replacements() {
        let mut store = Store::new();
        let t = store.table_mut(SObject::Lead);
        let id = t.next_id();
        let mut rec = Record::new(SObject::Lead, id);
        rec.set_field("Email", Value::text("Ann@X.example"));
        rec.set_field("SystemModstamp", Value::DateTime(5_000));
        t.put(rec.clone());
        assert_eq!(t.ids_by_email("ann@x.EXAMPLE"), &[id]);
        rec.set_field("Email", Value::text("bob@x.example"));
        rec.set_field("SystemModstamp", Value::DateTime(9_000));
        t.put(rec);
        assert!(t.ids_by_email("ann@x.example").is_empty());
        assert_eq!(t.ids_by_email("BOB@x.example"), &[id]);
        let after: Vec<_> = t
            .scan_from(Bound::Excluded((5_000, SfId::max())))
            .map(Record::id)
            .collect();
        assert_eq!(after, vec![id]);
        assert_eq!(t.verify_indexes(), Ok(()));
    }
}
