//! Query locators: the result of a query that does not fit one page is kept (as its
//! matching Ids, not copies of the records) under a locator, and read on by
//! `nextRecordsUrl` (`/services/data/v62.0/query/01g…-2000`).
//!
//! Like Salesforce, the set of records is fixed when the query runs; each page shows
//! the records as they are when the page is read. The oldest locators are dropped when
//! too many are open.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::id::SfId;
use crate::schema::SObject;

/// The most locators kept open at once; older ones answer `INVALID_QUERY_LOCATOR`.
pub(crate) const MAX_OPEN: usize = 64;

/// One open query result.
#[derive(Debug, Clone)]
pub(crate) struct Cursor {
    pub object: SObject,
    pub fields: Arc<[usize]>,
    pub ids: Arc<[SfId]>,
    pub batch: usize,
}

/// The open locators.
#[derive(Debug, Default)]
pub(crate) struct Cursors {
    map: HashMap<SfId, Cursor>,
    order: VecDeque<SfId>,
    seq: u64,
}

impl Cursors {
    /// Keeps `cursor` and returns its locator.
    pub(crate) fn open(&mut self, cursor: Cursor) -> SfId {
        self.seq += 1;
        let id = SfId::new("01g", self.seq);
        self.map.insert(id, cursor);
        self.order.push_back(id);
        while self.order.len() > MAX_OPEN {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
        id
    }

    /// The cursor of a locator.
    pub(crate) fn get(&self, id: SfId) -> Option<Cursor> {
        self.map.get(&id).cloned()
    }
}
