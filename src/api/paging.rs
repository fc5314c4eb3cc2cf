//! Cursor paging shared by the listings that page newest-first or by email: the page
//! size a caller may ask for within a resource's bounds, and the cursor of the next
//! page. A full page has a next cursor (its last item); a short page is the last.

/// How many items one page of a listing may hold.
#[derive(Debug, Clone, Copy)]
pub struct PageBounds {
    /// Items per page when the caller does not say.
    pub default: u64,
    /// The most items one page may hold.
    pub max: u64,
}

impl PageBounds {
    /// The page size to read: the caller's `limit`, or the default, kept within 1 and
    /// the maximum (these listings clamp rather than refuse).
    pub fn clamp(self, limit: Option<u64>) -> u64 {
        limit.unwrap_or(self.default).clamp(1, self.max)
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
