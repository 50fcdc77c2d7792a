//! [`StaticSplitEnumerator`]: hands out a fixed list of splits, split *i* to reader
//! *i* mod *p*.
//!
//! Static assignment keeps runs reproducible: the same reader reads the same splits, in
//! the same order, every time — which a benchmark comparing outputs run to run wants more
//! than the load balancing of first-come-first-served assignment.

use std::collections::VecDeque;

use weir_runtime::{SplitAssignment, SplitEnumerator};

/// A split enumerator over a list known up front.
///
/// ```
/// use weir_connectors::StaticSplitEnumerator;
/// use weir_runtime::{SplitAssignment, SplitEnumerator};
/// let mut e = StaticSplitEnumerator::new(vec!["a", "b", "c"], 2);
/// assert_eq!(e.next_split(0), SplitAssignment::Split("a"));
/// assert_eq!(e.next_split(0), SplitAssignment::Split("c"));
/// assert_eq!(e.next_split(0), SplitAssignment::NoMoreSplits);
/// assert_eq!(e.next_split(1), SplitAssignment::Split("b"));
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
}

impl<S: Send + 'static> SplitEnumerator for StaticSplitEnumerator<S> {
    type Split = S;

    fn next_split(&mut self, subtask: usize) -> SplitAssignment<S> {
        match self.queues.get_mut(subtask).and_then(VecDeque::pop_front) {
            Some(split) => SplitAssignment::Split(split),
            None => SplitAssignment::NoMoreSplits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
