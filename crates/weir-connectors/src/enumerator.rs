//! [`StaticSplitEnumerator`]: hands out a fixed list of splits, split *i* to reader
//! *i* mod *p*.
//!
//! Static assignment keeps runs reproducible: the same reader reads the same splits, in
//! the same order, every time — which a benchmark comparing outputs run to run wants more
//! than the load balancing of first-come-first-served assignment.

use std::collections::VecDeque;

use serde::de::DeserializeOwned;
use serde::Serialize;
use weir_runtime::{BoxError, SplitAssignment, SplitEnumerator};

/// A split enumerator over a list known up front.
///
/// ```
/// use weir_connectors::StaticSplitEnumerator;
/// use weir_runtime::{SplitAssignment, SplitEnumerator};
/// let mut e = StaticSplitEnumerator::new(vec![10u32, 11, 12], 2);
/// assert_eq!(e.next_split(0), SplitAssignment::Split(10));
/// assert_eq!(e.next_split(0), SplitAssignment::Split(12));
/// assert_eq!(e.next_split(0), SplitAssignment::NoMoreSplits);
/// assert_eq!(e.next_split(1), SplitAssignment::Split(11));
/// assert_eq!(e.next_split(7), SplitAssignment::NoMoreSplits);
/// ```
#[derive(Debug)]
pub struct StaticSplitEnumerator<S> {
    queues: Vec<VecDeque<S>>,
}

impl<S> StaticSplitEnumerator<S> {
    /// Deals `splits` round-robin to `parallelism` readers (at least one).
    pub fn new(splits: impl IntoIterator<Item = S>, parallelism: usize) -> Self {
        let mut queues: Vec<VecDeque<S>> = (0..parallelism.max(1)).map(|_| VecDeque::new()).collect();
        let n = queues.len();
        for (i, split) in splits.into_iter().enumerate() {
            queues[i % n].push_back(split);
        }
        StaticSplitEnumerator { queues }
    }

    /// Splits not yet handed out.
    pub fn remaining(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }

    /// Resumes from a [`SplitEnumerator::snapshot_state`] of an enumerator of any
    /// parallelism: the splits it had not handed out are dealt again to `parallelism`
    /// readers.
    ///
    /// # Errors
    /// Bytes that are not such a snapshot.
    pub fn restore(state: &[u8], parallelism: usize) -> Result<Self, BoxError>
    where
        S: DeserializeOwned,
    {
        let splits: Vec<S> =
            bincode::deserialize(state).map_err(|e| format!("split enumerator state does not decode: {e}"))?;
        Ok(Self::new(splits, parallelism))
    }
}

impl<S: Send + Serialize + DeserializeOwned + 'static> SplitEnumerator for StaticSplitEnumerator<S> {
    type Split = S;

    fn next_split(&mut self, subtask: usize) -> SplitAssignment<S> {
        match self.queues.get_mut(subtask).and_then(VecDeque::pop_front) {
            Some(split) => SplitAssignment::Split(split),
            None => SplitAssignment::NoMoreSplits,
        }
    }

    fn snapshot_state(&mut self) -> Result<Vec<u8>, BoxError> {
        let splits: Vec<&S> = self.queues.iter().flatten().collect();
        Ok(bincode::serialize(&splits)?)
    }

    /// Splits come back to the readers with the fewest queued, so a resumed job spreads
    /// the unfinished work evenly whatever its new parallelism.
    fn add_splits_back(&mut self, splits: Vec<S>) {
        for split in splits {
            if let Some(q) = self.queues.iter_mut().min_by_key(|q| q.len()) {
                q.push_front(split);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_restores_at_another_parallelism_with_splits_given_back() {
        let mut e = StaticSplitEnumerator::new(0..5u32, 2);
        assert_eq!(e.next_split(0), SplitAssignment::Split(0));
        let state = e.snapshot_state().unwrap();
        let mut r = StaticSplitEnumerator::<u32>::restore(&state, 3).unwrap();
        r.add_splits_back(vec![0]);
        let mut all = Vec::new();
        for subtask in 0..3 {
            while let SplitAssignment::Split(s) = r.next_split(subtask) {
                all.push(s);
            }
        }
        all.sort();
        assert_eq!(all, vec![0, 1, 2, 3, 4], "every split once: four unassigned plus the one given back");
        assert!(StaticSplitEnumerator::<u32>::restore(b"\xff", 1).is_err());
    }

    #[test]
    fn deals_round_robin() {
        let cases: &[(usize, usize, &[&[usize]])] =
            &[(5, 2, &[&[0, 2, 4], &[1, 3]]), (2, 3, &[&[0], &[1], &[]]), (3, 0, &[&[0, 1, 2]])];
        for &(splits, parallelism, expected) in cases {
            let mut e = StaticSplitEnumerator::new(0..splits, parallelism);
            assert_eq!(e.remaining(), splits);
            for (subtask, want) in expected.iter().enumerate() {
                let mut got = Vec::new();
                while let SplitAssignment::Split(s) = e.next_split(subtask) {
                    got.push(s);
                }
                assert_eq!(&got, want, "{splits} splits, parallelism {parallelism}, subtask {subtask}");
            }
            assert_eq!(e.remaining(), 0);
        }
    }
}
