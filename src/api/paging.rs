//! Cursor paging shared by the listings that page newest-first or by email: the page
//! size a caller may ask for within a resource's bounds, and the cursor of the next
//! page. A full page has a next cursor (its last item); a short page is the last.

use crate::error::ApiError;

/// How many items one page of a listing may hold.
#[derive(Debug, Clone, Copy)]
pub struct PageBounds {
    /// Items per page when the caller does not say.
    pub default: u64,
    /// The most items one page may hold.
    pub max: u64,
}

impl PageBounds {
    /// The page size to read: the caller's `limit`, or the default. A limit outside 1 to
    /// the maximum is refused (400 `invalid_limit`), as the document's `minimum` and
    /// `maximum` say, rather than quietly changed.
    pub fn read(self, limit: Option<u64>) -> Result<u64, ApiError> {
        match limit {
            None => Ok(self.default),
            Some(n) if (1..=self.max).contains(&n) => Ok(n),
            Some(n) => Err(ApiError::bad_request(
                "invalid_limit",
                format!("limit must be between 1 and {}, got {n}", self.max),
            )),
        }
    }
}

/// The cursor of the page after `items`, read with page size `limit`: `cursor` of its
/// last item when the page is full, `None` when it is the last page.
pub fn next_cursor<T, C>(items: &[T], limit: u64, cursor: impl FnOnce(&T) -> C) -> Option<C> {
    if items.len() as u64 == limit {
        items.last().map(cursor)
    } else {
        None
    }
}
