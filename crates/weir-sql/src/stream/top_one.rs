//! The state of a Top-1 over an insert-only input: each partition key's best row so far.
//! This is what deduplication keeping the last row (`ROW_NUMBER() OVER (PARTITION BY k ORDER
//! BY rowtime DESC) = 1`, Nexmark q18) and any `ROW_NUMBER() … = 1` ranking of an
//! insert-only input keep, and there is one entry per key, often millions of them.
//!
//! An entry is one allocation holding the partition key, the sort key and the row, found
//! through a hash table of those allocations: a [`super::rank::Partition`] per key took a
//! map entry of 80 bytes, the key, a sorted vector, the sort key, the row and the list of
//! rows emitted — five allocations and about twice the memory — and on this kind of state
//! the kernel's zeroing of fresh memory is a large share of the time.

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// Bytes before an entry's key: the key's and the sort key's lengths.
const HEADER: usize = 8;

/// One entry: `[key length: u32][sort key length: u32][key][sort key][row]`.
type Entry = Box<[u8]>;

/// The key, sort key and row of an entry.
#[inline]
fn parts(entry: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let key_len = u32::from_le_bytes(entry[0..4].try_into().expect("4 bytes")) as usize;
    let sort_len = u32::from_le_bytes(entry[4..8].try_into().expect("4 bytes")) as usize;
    let (key, rest) = entry[HEADER..].split_at(key_len);
    let (sort, row) = rest.split_at(sort_len);
    (key, sort, row)
}

/// Writes an entry into `buffer` (cleared first).
fn fill(buffer: &mut Vec<u8>, key: &[u8], sort: &[u8], row: &[u8]) {
    buffer.clear();
    buffer.reserve_exact(HEADER + key.len() + sort.len() + row.len());
    buffer.extend_from_slice(&(key.len() as u32).to_le_bytes());
    buffer.extend_from_slice(&(sort.len() as u32).to_le_bytes());
    buffer.extend_from_slice(key);
    buffer.extend_from_slice(sort);
    buffer.extend_from_slice(row);
}

/// Whether a row with sort key `new` replaces the row with sort key `held`: a smaller key
/// ranks first; an equal one only when the newest rows come first (keeping the last row).
#[inline]
pub fn better(new: &[u8], held: &[u8], newest_first: bool) -> bool {
    new < held || (newest_first && new == held)
}

/// Partition key → the best row so far and its sort key.
#[derive(Default)]
pub struct TopOneRows {
    table: HashTable<Entry>,
    hasher: RandomState,
}

/// What [`TopOneRows::offer`] did with a row.
#[derive(Debug, PartialEq, Eq)]
pub enum Offered<'a> {
    /// The key had no row: the row is its first.
    First,
    /// The row replaced this one (its bytes, valid until the next call).
    Replaced(&'a [u8]),
    /// The key's row ranks first still; nothing changed.
    Kept,
}

impl TopOneRows {
    /// How many keys hold a row.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no key holds a row.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The sort key and row held for `key`.
    pub fn get(&self, key: &[u8]) -> Option<(&[u8], &[u8])> {
        let hash = self.hasher.hash_one(key);
        self.table.find(hash, |e| parts(e).0 == key).map(|e| {
            let (_, sort, row) = parts(e);
            (sort, row)
        })
    }

    /// Whether a row with sort key `sort` would become `key`'s row.
    pub fn admits(&self, key: &[u8], sort: &[u8], newest_first: bool) -> bool {
        self.get(key).is_none_or(|(held, _)| better(sort, held, newest_first))
    }

    /// Offers `row` with sort key `sort` as `key`'s row: it is kept when the key has none
    /// or it ranks before the one held. `scratch` holds the replaced row's bytes, which the
    /// result borrows.
    pub fn offer<'s>(
        &mut self,
        key: &[u8],
        sort: &[u8],
        row: &[u8],
        newest_first: bool,
        scratch: &'s mut Vec<u8>,
    ) -> Offered<'s> {
        let hash = self.hasher.hash_one(key);
        match self.table.find_mut(hash, |e| parts(e).0 == key) {
            Some(entry) => {
                let (_, held, old) = parts(entry);
                if !better(sort, held, newest_first) {
                    return Offered::Kept;
                }
                scratch.clear();
                scratch.extend_from_slice(old);
                // The allocation is reused (its size class often fits the new row).
                let mut bytes = std::mem::take(entry).into_vec();
                fill(&mut bytes, key, sort, row);
                *entry = bytes.into_boxed_slice();
                Offered::Replaced(scratch)
            }
            None => {
                let mut bytes = Vec::new();
                fill(&mut bytes, key, sort, row);
                let hasher = &self.hasher;
                self.table.insert_unique(hash, bytes.into_boxed_slice(), |e| hasher.hash_one(parts(e).0));
                Offered::First
            }
        }
    }

    /// Every key with its sort key and row, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8], &[u8])> {
        self.table.iter().map(|e| parts(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_row_of_each_key() {
        let mut top = TopOneRows::default();
        let mut scratch = Vec::new();
        assert_eq!(top.offer(b"k1", &[5], b"a", false, &mut scratch), Offered::First);
        assert_eq!(top.offer(b"k2", &[5], b"b", false, &mut scratch), Offered::First);
        // A later tie does not replace the oldest …
        assert_eq!(top.offer(b"k1", &[5], b"c", false, &mut scratch), Offered::Kept);
        assert!(!top.admits(b"k1", &[5], false));
        // … unless the newest come first.
        assert!(top.admits(b"k1", &[5], true));
        assert_eq!(top.offer(b"k1", &[5], b"longer row", true, &mut scratch), Offered::Replaced(b"a"));
        assert_eq!(top.offer(b"k1", &[9], b"x", true, &mut scratch), Offered::Kept);
        assert_eq!(top.offer(b"k1", &[1], b"", false, &mut scratch), Offered::Replaced(b"longer row"));
        assert_eq!(top.get(b"k1"), Some((&[1u8][..], &b""[..])));
        assert_eq!(top.get(b"k2"), Some((&[5u8][..], &b"b"[..])));
        assert_eq!(top.get(b"k3"), None);
        assert!(top.admits(b"k3", &[200], false));
        let mut all: Vec<_> = top.iter().map(|(k, s, r)| (k.to_vec(), s.to_vec(), r.to_vec())).collect();
        all.sort();
        assert_eq!(all, vec![(b"k1".to_vec(), vec![1], vec![]), (b"k2".to_vec(), vec![5], b"b".to_vec())]);
    }

    #[test]
    fn many_keys_survive_the_table_growing() {
        let mut top = TopOneRows::default();
        let mut scratch = Vec::new();
        for i in 0u32..5000 {
            top.offer(&i.to_be_bytes(), &[1], &i.to_le_bytes(), false, &mut scratch);
        }
        assert_eq!(top.len(), 5000);
        for i in 0u32..5000 {
            assert_eq!(top.get(&i.to_be_bytes()), Some((&[1u8][..], &i.to_le_bytes()[..])));
        }
    }
}
