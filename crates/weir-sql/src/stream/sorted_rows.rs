//! The rows of one Top-N partition in rank order: (sort key, row bytes) pairs, rows with
//! equal sort keys in tie order.
//!
//! A partition of an insert-only input keeps only its top rows — one for a deduplication,
//! ten for Nexmark q19 — and there are as many partitions as keys. Those few rows are one
//! sorted `Vec` ([`SortedRows::Few`]): one allocation per partition besides the rows, where
//! a `BTreeMap` node alone took about 500 bytes per partition and a tie list one more
//! allocation per row. A partition that grows past [`FEW`] rows (an updating input keeps
//! every row) moves to a `BTreeMap` of tie lists, whose insertions stay logarithmic.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// A row with its sort key.
pub type Keyed = (Box<[u8]>, Arc<[u8]>);

/// The rows of one sort key in tie order.
type Ties = VecDeque<Arc<[u8]>>;

/// The most rows a partition keeps in one sorted `Vec`.
pub const FEW: usize = 64;

/// A partition's rows by sort key.
#[derive(Debug)]
pub enum SortedRows {
    /// (sort key, row), ordered by key then tie order.
    Few(Vec<Keyed>),
    /// Sort key → the rows in tie order.
    Many(BTreeMap<Box<[u8]>, Ties>),
}

impl Default for SortedRows {
    fn default() -> Self {
        SortedRows::Few(Vec::new())
    }
}

impl SortedRows {
    /// The greatest sort key.
    pub fn last_key(&self) -> Option<&[u8]> {
        match self {
            SortedRows::Few(v) => v.last().map(|(k, _)| k.as_ref()),
            SortedRows::Many(m) => m.last_key_value().map(|(k, _)| k.as_ref()),
        }
    }

    /// Adds `row` with `key` after the rows of an equal key, or before them when
    /// `newest_first`. Returns the row's position while the rows are few
    /// ([`SortedRows::few`]).
    pub fn insert(&mut self, key: &[u8], row: &[u8], newest_first: bool) -> Option<usize> {
        match self {
            SortedRows::Few(v) => {
                let at = if newest_first {
                    v.partition_point(|(k, _)| k.as_ref() < key)
                } else {
                    v.partition_point(|(k, _)| k.as_ref() <= key)
                };
                v.insert(at, (key.into(), row.into()));
                if v.len() > FEW {
                    let mut many: BTreeMap<Box<[u8]>, Ties> = BTreeMap::new();
                    for (k, r) in v.drain(..) {
                        many.entry(k).or_default().push_back(r);
                    }
                    *self = SortedRows::Many(many);
                    return None;
                }
                Some(at)
            }
            SortedRows::Many(m) => {
                let peers = match m.get_mut(key) {
                    Some(peers) => peers,
                    None => m.entry(key.into()).or_default(),
                };
                if newest_first {
                    peers.push_front(row.into());
                } else {
                    peers.push_back(row.into());
                }
                None
            }
        }
    }

    /// Removes the first row (in tie order) equal to `row` with sort key `key`; false when
    /// there is none.
    pub fn remove(&mut self, key: &[u8], row: &[u8]) -> bool {
        match self {
            SortedRows::Few(v) => {
                let from = v.partition_point(|(k, _)| k.as_ref() < key);
                let found =
                    v[from..].iter().take_while(|(k, _)| k.as_ref() == key).position(|(_, r)| r.as_ref() == row);
                match found {
                    Some(at) => {
                        v.remove(from + at);
                        true
                    }
                    None => false,
                }
            }
            SortedRows::Many(m) => {
                let Some(peers) = m.get_mut(key) else { return false };
                let Some(at) = peers.iter().position(|r| r.as_ref() == row) else { return false };
                peers.remove(at);
                if peers.is_empty() {
                    m.remove(key);
                }
                true
            }
        }
    }

    /// Removes the last row (the greatest key, last in tie order).
    pub fn pop_last(&mut self) {
        match self {
            SortedRows::Few(v) => {
                v.pop();
            }
            SortedRows::Many(m) => {
                if let Some(mut last) = m.last_entry() {
                    last.get_mut().pop_back();
                    if last.get().is_empty() {
                        last.remove();
                    }
                }
            }
        }
    }

    /// The rows in rank order, with their sort keys, while they are few (at most [`FEW`]).
    pub fn few(&self) -> Option<&[Keyed]> {
        match self {
            SortedRows::Few(v) => Some(v),
            SortedRows::Many(_) => None,
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        match self {
            SortedRows::Few(v) => v.is_empty(),
            SortedRows::Many(m) => m.is_empty(),
        }
    }

    /// Every row with its sort key, in rank order.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            SortedRows::Few(v) => Iter::Few(v.iter()),
            SortedRows::Many(m) => Iter::Many { keys: m.iter(), current: None },
        }
    }

    /// The rows grouped by sort key, in order (the checkpoint's form).
    pub fn groups(&self) -> Vec<(&[u8], Vec<&[u8]>)> {
        let mut out: Vec<(&[u8], Vec<&[u8]>)> = Vec::new();
        for (key, row) in self.iter() {
            match out.last_mut() {
                Some((k, rows)) if *k == key => rows.push(row.as_ref()),
                _ => out.push((key, vec![row.as_ref()])),
            }
        }
        out
    }

    /// Rows grouped by sort key in order, as [`SortedRows::groups`] gives them.
    pub fn from_groups(groups: Vec<(Vec<u8>, Vec<Vec<u8>>)>) -> Self {
        let total: usize = groups.iter().map(|(_, rows)| rows.len()).sum();
        if total <= FEW {
            let mut v = Vec::with_capacity(total);
            for (key, rows) in groups {
                let key: Box<[u8]> = key.into();
                v.extend(rows.into_iter().map(|r| (key.clone(), Arc::from(r))));
            }
            SortedRows::Few(v)
        } else {
            SortedRows::Many(
                groups.into_iter().map(|(k, rows)| (k.into(), rows.into_iter().map(Arc::from).collect())).collect(),
            )
        }
    }
}

/// A sort key and the rows of its ties not read yet.
type TiesLeft<'a> = (&'a [u8], std::collections::vec_deque::Iter<'a, Arc<[u8]>>);

/// The rows of a [`SortedRows`] in rank order, with their sort keys.
pub enum Iter<'a> {
    /// Over the sorted `Vec`.
    Few(std::slice::Iter<'a, Keyed>),
    /// Over the map: the keys, and the tie list being read.
    Many {
        /// The keys not read yet.
        keys: std::collections::btree_map::Iter<'a, Box<[u8]>, Ties>,
        /// The current key and what is left of its rows.
        current: Option<TiesLeft<'a>>,
    },
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a Arc<[u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Few(it) => it.next().map(|(k, r)| (k.as_ref(), r)),
            Iter::Many { keys, current } => loop {
                if let Some((key, rows)) = current {
                    if let Some(row) = rows.next() {
                        return Some((key, row));
                    }
                }
                let (key, rows) = keys.next()?;
                *current = Some((key.as_ref(), rows.iter()));
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both forms hold the same rows in the same order through inserts, removals and pops.
    #[test]
    fn few_and_many_keep_one_order() {
        // (key, row, newest_first): ties both ways, enough rows to move to the map.
        let ops: Vec<(u8, u8, bool)> = (0..200u32).map(|i| ((i * 37 % 23) as u8, i as u8, i % 3 == 0)).collect();
        let mut few = SortedRows::default();
        let mut reference: Vec<(u8, u8)> = Vec::new();
        let mut grown = false;
        for (n, (key, row, newest_first)) in ops.iter().enumerate() {
            few.insert(&[*key], &[*row], *newest_first);
            let at = if *newest_first {
                reference.partition_point(|(k, _)| k < key)
            } else {
                reference.partition_point(|(k, _)| k <= key)
            };
            reference.insert(at, (*key, *row));
            grown |= reference.len() > FEW;
            if n % 7 == 0 {
                // Remove some row of the middle key, then the last one.
                let (k, r) = reference[reference.len() / 2];
                assert!(few.remove(&[k], &[r]));
                reference.remove(reference.iter().position(|e| *e == (k, r)).unwrap());
                assert!(!few.remove(&[k], &[255]), "a row never inserted");
                few.pop_last();
                reference.pop();
            }
            let got: Vec<(u8, u8)> = few.iter().map(|(k, r)| (k[0], r[0])).collect();
            assert_eq!(got, reference, "after {n} inserts");
            assert_eq!(few.last_key(), reference.last().map(|(k, _)| std::slice::from_ref(k)));
            assert_eq!(matches!(few, SortedRows::Many(_)), grown, "the map once past {FEW} rows, for good");
        }
        assert!(matches!(few, SortedRows::Many(_)));
        // Through the checkpoint form and back, in both forms.
        let groups: Vec<(Vec<u8>, Vec<Vec<u8>>)> = few
            .groups()
            .into_iter()
            .map(|(k, rows)| (k.to_vec(), rows.into_iter().map(<[u8]>::to_vec).collect()))
            .collect();
        let back = SortedRows::from_groups(groups.clone());
        assert!(back.iter().map(|(k, r)| (k[0], r[0])).eq(reference.iter().copied()));
        let small: Vec<_> = groups.into_iter().take(3).collect();
        let n: usize = small.iter().map(|(_, r)| r.len()).sum();
        let back = SortedRows::from_groups(small);
        assert!(matches!(back, SortedRows::Few(_)));
        assert!(back.iter().map(|(k, r)| (k[0], r[0])).eq(reference.iter().copied().take(n)));
        let mut empty = SortedRows::default();
        assert!(empty.is_empty() && empty.last_key().is_none());
        empty.pop_last();
        assert!(!empty.remove(&[1], &[1]));
    }
}
