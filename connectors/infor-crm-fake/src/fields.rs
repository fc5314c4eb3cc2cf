//! A record's field values: sorted by name in one exact-size allocation.
//!
//! A million leads (each with an address) must fit the fake in 4 GiB. A `BTreeMap` of
//! a lead's 17 values takes three nodes of about 550 bytes each; the same values as one
//! sorted slice take under half that, and a record's fields are read far more often
//! than written, so an insert that reallocates the slice costs nothing that matters.

use crate::model::Value;

/// Every non-null field of a record by canonical name, in name order (the order a
/// `BTreeMap` would iterate them in).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(Box<[(&'static str, Value)]>);

impl Fields {
    /// No fields.
    pub fn new() -> Fields {
        Fields::default()
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(n, _)| (*n).cmp(name))
    }

    /// The value of `name` (exact spelling), if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.find(name).ok().map(|at| &self.0[at].1)
    }

    /// Whether `name` has a value.
    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets `name` to `value`, returning the value it replaced.
    pub fn insert(&mut self, name: &'static str, value: Value) -> Option<Value> {
        match self.find(name) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                let mut all = Vec::with_capacity(self.0.len() + 1);
                let mut old = std::mem::take(&mut self.0).into_vec().into_iter();
                all.extend(old.by_ref().take(at));
                all.push((name, value));
                all.extend(old);
                self.0 = all.into_boxed_slice();
                None
            }
        }
    }

    /// Clears `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let at = self.find(name).ok()?;
        let mut all = std::mem::take(&mut self.0).into_vec();
        let (_, value) = all.remove(at);
        self.0 = all.into_boxed_slice();
        Some(value)
    }

    /// Keeps only the fields `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&&'static str, &mut Value) -> bool) {
        let mut all = std::mem::take(&mut self.0).into_vec();
        all.retain_mut(|(name, value)| keep(name, value));
        self.0 = all.into_boxed_slice();
    }

    /// Every (name, value), in name order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&&'static str, &Value)> {
        self.0.iter().map(|(name, value)| (name, value))
    }

    /// Every field name, in order.
    pub fn keys(&self) -> impl Iterator<Item = &&'static str> {
        self.0.iter().map(|(name, _)| name)
    }

    /// How many fields have a value.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no field has a value.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a &'static str, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (&'static str, Value)>,
        fn(&'a (&'static str, Value)) -> (&'a &'static str, &'a Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(name, value)| (name, value))
    }
}

impl FromIterator<(&'static str, Value)> for Fields {
    /// Later values of a repeated name win, as inserting them one by one would.
    fn from_iter<I: IntoIterator<Item = (&'static str, Value)>>(iter: I) -> Fields {
        let mut all: Vec<(&'static str, Value)> = iter.into_iter().collect();
        // A stable sort keeps repeats in order; keep the last of each.
        all.sort_by(|a, b| a.0.cmp(b.0));
        let mut unique: Vec<(&'static str, Value)> = Vec::with_capacity(all.len());
        for (name, value) in all {
            match unique.last_mut() {
                Some(last) if last.0 == name => last.1 = value,
                _ => unique.push((name, value)),
            }
        }
        Fields(unique.into_boxed_slice())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn behaves_as_the_map_it_replaces() {
        let names = [
            "Title",
            "Email",
            "Address",
            "Zeta",
            "Email",
            "CreateUser",
            "Title",
        ];
        let mut fields = Fields::new();
        let mut map = BTreeMap::new();
        for (i, name) in names.into_iter().enumerate() {
            let value = Value::Int(i as i64);
            assert_eq!(fields.insert(name, value.clone()), map.insert(name, value));
            assert!(fields.iter().eq(map.iter()), "after inserting {name}");
        }
        assert_eq!(fields.get("Email"), map.get("Email"));
        assert_eq!(fields.get("email"), None, "names are exact");
        assert_eq!(fields.remove("Title"), map.remove("Title"));
        assert_eq!(fields.remove("Title"), None);
        fields.retain(|name, _| *name != "Zeta");
        map.retain(|name, _| *name != "Zeta");
        assert!(fields.iter().eq(map.iter()));
        assert_eq!(fields.len(), map.len());
        let rebuilt: Fields = names
            .into_iter()
            .enumerate()
            .map(|(i, n)| (n, Value::Int(i as i64)))
            .collect();
        assert_eq!(
            rebuilt.get("Title"),
            Some(&Value::Int(6)),
            "the last repeat wins"
        );
        assert_eq!(rebuilt.len(), 5);
    }
}
