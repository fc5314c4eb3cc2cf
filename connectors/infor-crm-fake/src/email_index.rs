//! The case-insensitive email index: per table, the set of (folded `Email`, key) pairs,
//! so a lookup by email touches only the records that may hold it instead of the table.
//!
//! The connector finds people with `upper(Email) in ('A@X.COM', …)`, 200 emails a
//! request, for every push, form and note; against 100,000 leads a scan evaluating that
//! on every record made the fake the bottleneck of a benchmark. The index only narrows
//! what a read scans (see [`crate::email_plan`]): the full `where` is still evaluated on
//! every candidate. So it may list records that do not match, but must never miss one
//! that does.
//!
//! Why [`fold`] never misses: the `where` compares text in one of two ways
//! ([`crate::filter`]): `eq` by `cmp_text`, equal exactly when the strings are equal
//! after `char::to_lowercase` of each character (call that `lc`); `in` by
//! `str::to_lowercase`, which is `lc` except that a final `Σ` becomes `ς` rather than
//! `σ`. `fold` is `lc`, then `ς` → `σ`, then `trim`, so strings equal under either
//! comparison have equal folds. For `upper(Email)` the record's side is compared as
//! `str::to_uppercase(email)`, which folds differently from the email itself (`ß` is
//! `SS` upper-cased, `ss` folded; the Kelvin sign `K` folds to `k` but upper-cases to
//! itself), so a record is listed under the fold of its email *and* the fold of the
//! upper-cased email; for ASCII the two are one. Trimming makes candidates of
//! `' a@x.com'` for `'a@x.com'`, which the full `where` then decides on (it does not trim).

use std::collections::BTreeSet;

use crate::model::{Record, Value};

/// The field indexed (on leads, contacts and accounts; other kinds have none).
pub(crate) const FIELD: &str = "Email";

/// One table's index: (folded email, record key), ordered so one email's keys are
/// adjacent.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct EmailIndex {
    entries: BTreeSet<(String, String)>,
}

impl EmailIndex {
    /// Lists `record` under each fold of its email (nothing when it has none).
    pub(crate) fn insert(&mut self, record: &Record) {
        for folded in record_folds(record) {
            self.entries.insert((folded, record.key.clone()));
        }
    }

    /// Removes what [`EmailIndex::insert`] listed for `record`.
    pub(crate) fn remove(&mut self, record: &Record) {
        for folded in record_folds(record) {
            self.entries.remove(&(folded, record.key.clone()));
        }
    }

    /// Moves a record's entries from its old to its new state; nothing to do when the
    /// email did not change (most writes).
    pub(crate) fn replace(&mut self, old: &Record, new: &Record) {
        if old.key == new.key && old.fields.get(FIELD) == new.fields.get(FIELD) {
            return;
        }
        self.remove(old);
        self.insert(new);
    }

    /// The keys of the records listed under any of these folded emails (from [`fold`]),
    /// each once, in key order.
    pub(crate) fn lookup<'a>(&'a self, folded: &[String]) -> BTreeSet<&'a str> {
        let mut keys = BTreeSet::new();
        for probe in folded {
            let from = (probe.clone(), String::new());
            keys.extend(
                self.entries
                    .range(from..)
                    .take_while(|(f, _)| f == probe)
                    .map(|(_, k)| k.as_str()),
            );
        }
        keys
    }

    /// How many (email, key) entries the index holds.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The index form of an email or of a literal it is compared with (see the module doc).
pub(crate) fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.trim().to_ascii_lowercase();
    }
    let lowered: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect();
    lowered.trim().to_string()
}

/// The folds a record is listed under: of its email and of its upper-cased email.
fn record_folds(record: &Record) -> Vec<String> {
    let Some(Value::Text(email)) = record.fields.get(FIELD) else {
        return Vec::new();
    };
    let plain = fold(email);
    if email.is_ascii() {
        return vec![plain];
    }
    let upper = fold(&email.to_uppercase());
    if upper == plain {
        vec![plain]
    } else {
        vec![plain, upper]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Fields;

    fn record(key: &str, email: Option<&str>) -> Record {
        let mut fields = Fields::new();
        if let Some(e) = email {
            fields.insert(FIELD, Value::Text(e.into()));
        }
        Record {
            key: key.into(),
            etag: String::new(),
            create_date: chrono::DateTime::UNIX_EPOCH,
            modify_date: chrono::DateTime::UNIX_EPOCH,
            fields,
        }
    }

    #[test]
    fn folds_agree_with_both_case_insensitive_comparisons() {
        assert_eq!(fold("  Ann.Smith@Acme.COM "), "ann.smith@acme.com");
        // `str::to_lowercase` turns a final sigma into ς, `cmp_text` into σ: one fold.
        assert_eq!(fold("ΟΔΟΣ@x.gr"), fold(&"ΟΔΟΣ@x.gr".to_lowercase()));
        assert_eq!(fold("\u{212A}@x.com"), "k@x.com", "the Kelvin sign");
    }

    #[test]
    fn a_record_is_listed_under_its_email_and_its_upper_cased_email() {
        let mut index = EmailIndex::default();
        let strasse = record("A", Some("Straße@x.de"));
        index.insert(&strasse);
        index.insert(&record("B", Some("STRASSE@X.DE")));
        index.insert(&record("C", None));
        assert_eq!(index.len(), 3, "ß is listed twice, the ASCII email once");
        fn found<'a>(index: &'a EmailIndex, e: &str) -> Vec<&'a str> {
            index.lookup(&[fold(e)]).into_iter().collect()
        }
        assert_eq!(found(&index, "strasse@x.de"), ["A", "B"]);
        assert_eq!(found(&index, "STRAßE@X.DE"), ["A"]);
        index.remove(&strasse);
        assert_eq!(found(&index, "strasse@x.de"), ["B"]);
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn replace_moves_a_changed_email_and_keeps_an_unchanged_one() {
        let mut index = EmailIndex::default();
        let old = record("A", Some("old@x.com"));
        index.insert(&old);
        index.replace(&old, &old);
        assert_eq!(index.lookup(&[fold("OLD@x.com")]).len(), 1);
        let new = record("A", Some("New@x.com"));
        index.replace(&old, &new);
        assert!(index.lookup(&[fold("old@x.com")]).is_empty());
        assert_eq!(
            index.lookup(&[fold("new@X.com"), fold("nobody@x.com")]),
            BTreeSet::from(["A"])
        );
        index.replace(&new, &record("A", None));
        assert_eq!(index.len(), 0);
    }
}
