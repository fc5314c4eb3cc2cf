//! An ordered set that also answers "how many entries come before this one" and "the
//! entries from position n": what a database index gives a `count` and an offset.
//!
//! The (ModifyDate, key) index answers every feed page of a full or incremental read:
//! `totalResults` is the number of entries in a range, and a page starts `startIndex`
//! entries into it. With a plain `BTreeSet` both walk the range, so a page cost time in
//! proportion to the table and a full read of a million leads was quadratic. Here the
//! entries live in sorted blocks of bounded size: a position or a rank costs a binary
//! search over the blocks plus a sum of block lengths (a few thousand additions for a
//! million entries), an insert or removal moves at most one block's entries.

use std::ops::Bound;

/// Entries per block before it is split in two.
const MAX_BLOCK: usize = 512;

/// A sorted set of distinct entries in blocks, see the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct RankedSet<T> {
    /// Non-empty sorted blocks; every entry of a block is below every entry of the next.
    blocks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for RankedSet<T> {
    fn default() -> Self {
        RankedSet {
            blocks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Ord> PartialEq for RankedSet<T> {
    /// Equal when they hold the same entries, however the blocks are cut.
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Ord> FromIterator<T> for RankedSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = RankedSet::default();
        for entry in iter {
            set.insert(entry);
        }
        set
    }
}

impl<T: Ord> RankedSet<T> {
    /// How many entries the set holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The block that holds `entry` or would: the first whose last entry is not below it
    /// (the last block for an entry above everything).
    fn block_for(&self, entry: &T) -> Option<usize> {
        if self.blocks.is_empty() {
            return None;
        }
        let at = self
            .blocks
            .partition_point(|b| b.last().is_some_and(|last| last < entry));
        Some(at.min(self.blocks.len() - 1))
    }

    /// Adds `entry`; false when it was there already.
    pub(crate) fn insert(&mut self, entry: T) -> bool {
        let Some(b) = self.block_for(&entry) else {
            self.blocks.push(vec![entry]);
            self.len = 1;
            return true;
        };
        let block = &mut self.blocks[b];
        let Err(at) = block.binary_search(&entry) else {
            return false;
        };
        block.insert(at, entry);
        self.len += 1;
        if block.len() > MAX_BLOCK {
            let upper = block.split_off(block.len() / 2);
            self.blocks.insert(b + 1, upper);
        }
        true
    }

    /// Removes `entry`; false when it was not there.
    pub(crate) fn remove(&mut self, entry: &T) -> bool {
        let Some(b) = self.block_for(entry) else {
            return false;
        };
        let block = &mut self.blocks[b];
        let Ok(at) = block.binary_search(entry) else {
            return false;
        };
        block.remove(at);
        self.len -= 1;
        if block.is_empty() {
            self.blocks.remove(b);
        }
        true
    }

    /// The position where a range with lower bound `bound` starts: the number of entries
    /// below it (not above it, for an excluded bound).
    pub(crate) fn rank_lower(&self, bound: &Bound<T>) -> usize {
        match bound {
            Bound::Unbounded => 0,
            Bound::Included(x) => self.count_where(|e| e < x),
            Bound::Excluded(x) => self.count_where(|e| e <= x),
        }
    }

    /// The position where a range with upper bound `bound` ends (exclusive).
    pub(crate) fn rank_upper(&self, bound: &Bound<T>) -> usize {
        match bound {
            Bound::Unbounded => self.len,
            Bound::Included(x) => self.count_where(|e| e <= x),
            Bound::Excluded(x) => self.count_where(|e| e < x),
        }
    }

    /// The number of entries for which `below` holds, a predicate true on a prefix of
    /// the order.
    fn count_where(&self, below: impl Fn(&T) -> bool) -> usize {
        let full = self
            .blocks
            .partition_point(|b| b.last().is_some_and(&below));
        let before: usize = self.blocks[..full].iter().map(Vec::len).sum();
        before
            + self
                .blocks
                .get(full)
                .map_or(0, |block| block.partition_point(&below))
    }

    /// Every entry in order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.blocks.iter().flatten()
    }

    /// The entries at positions `start..end` (clamped to the set), in order; reversible.
    pub(crate) fn positions(
        &self,
        start: usize,
        end: usize,
    ) -> impl DoubleEndedIterator<Item = &T> + '_ {
        let end = end.min(self.len);
        let start = start.min(end);
        let (first, from) = self.locate(start);
        let (last, to) = self.locate(end);
        let blocks = if start == end { 0..0 } else { first..last + 1 };
        blocks.flat_map(move |b| {
            let block = &self.blocks[b];
            let lo = if b == first { from } else { 0 };
            let hi = if b == last { to } else { block.len() };
            block[lo..hi].iter()
        })
    }

    /// The block and offset of position `pos` (`pos == len` is the end of the last block).
    fn locate(&self, mut pos: usize) -> (usize, usize) {
        for (b, block) in self.blocks.iter().enumerate() {
            if pos < block.len() || b + 1 == self.blocks.len() {
                return (b, pos.min(block.len()));
            }
            pos -= block.len();
        }
        (0, 0)
    }
}

#[cfg(test)]
mod tests {
    //! The set answers as a `BTreeSet` does, for random inserts, removals, ranks and
    //! position ranges, across many block splits and removals of emptied blocks.

    use std::collections::BTreeSet;

    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    use super::*;

    fn bound(rng: &mut StdRng) -> Bound<u32> {
        match rng.random_range(0..3) {
            0 => Bound::Unbounded,
            1 => Bound::Included(rng.random_range(0..5_000)),
            _ => Bound::Excluded(rng.random_range(0..5_000)),
        }
    }

    fn within(v: u32, lo: Bound<u32>, hi: Bound<u32>) -> bool {
        let above = match lo {
            Bound::Unbounded => true,
            Bound::Included(x) => v >= x,
            Bound::Excluded(x) => v > x,
        };
        let below = match hi {
            Bound::Unbounded => true,
            Bound::Included(x) => v <= x,
            Bound::Excluded(x) => v < x,
        };
        above && below
    }

    #[test]
    fn answers_as_a_btree_set_does() {
        let mut rng = StdRng::seed_from_u64(20_261_204);
        let mut ranked = RankedSet::default();
        let mut plain = BTreeSet::new();
        let mut most_blocks = 0;
        for step in 0..60_000 {
            // Grow for the first half, then shrink, so blocks split and empty out.
            let value: u32 = rng.random_range(0..5_000);
            if rng.random_bool(if step < 30_000 { 0.8 } else { 0.2 }) {
                assert_eq!(ranked.insert(value), plain.insert(value), "insert {value}");
            } else {
                assert_eq!(
                    ranked.remove(&value),
                    plain.remove(&value),
                    "remove {value}"
                );
            }
            assert_eq!(ranked.len(), plain.len());
            most_blocks = most_blocks.max(ranked.blocks.len());
            if step % 97 != 0 {
                continue;
            }
            let (lo, hi) = (bound(&mut rng), bound(&mut rng));
            let start = ranked.rank_lower(&lo);
            let end = ranked.rank_upper(&hi).max(start);
            let expected: Vec<u32> = plain
                .iter()
                .copied()
                .filter(|v| within(*v, lo, hi))
                .collect();
            let got: Vec<u32> = ranked.positions(start, end).copied().collect();
            assert_eq!(got, expected, "{lo:?}..{hi:?}");
            let back: Vec<u32> = ranked.positions(start, end).rev().copied().collect();
            assert_eq!(back, expected.iter().rev().copied().collect::<Vec<_>>());
            let skip = rng.random_range(0..plain.len().max(1));
            let take = rng.random_range(1..300);
            let page: Vec<u32> = ranked.positions(skip, skip + take).copied().collect();
            let from_plain: Vec<u32> = plain.iter().skip(skip).take(take).copied().collect();
            assert_eq!(page, from_plain, "positions {skip}+{take}");
        }
        assert!(most_blocks > 6, "the test split only {most_blocks} blocks");
        assert!(ranked.iter().copied().eq(plain.iter().copied()));
        let rebuilt: RankedSet<u32> = plain.iter().copied().collect();
        assert_eq!(rebuilt, ranked);
    }

    #[test]
    fn an_empty_set_has_no_positions() {
        let set: RankedSet<u32> = RankedSet::default();
        assert_eq!(set.positions(0, 10).count(), 0);
        assert_eq!(set.rank_lower(&Bound::Included(3)), 0);
        assert_eq!(set.rank_upper(&Bound::Unbounded), 0);
    }
}
