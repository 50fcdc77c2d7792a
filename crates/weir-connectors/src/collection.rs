//! [`CollectionSource`]: the elements of a `Vec` as a bounded source (Flink's
//! `fromCollection` / `fromData`), split into one contiguous chunk per reader.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use weir_core::StreamRecord;
use weir_runtime::{Boundedness, BoxError, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

use crate::enumerator::StaticSplitEnumerator;

/// A source over the elements of a `Vec`, cloned out as records without timestamps.
///
/// At parallelism `p` the elements are cut into `p` contiguous chunks (sizes differing by
/// at most one); reader *i* reads chunk *i* in order.
///
/// ```
/// use weir_connectors::CollectionSource;
/// use weir_runtime::{Source, SourceReader, SplitAssignment, SplitEnumerator, SubtaskInfo};
///
/// let source = CollectionSource::new(vec!["a", "b", "c"]);
/// let mut enumerator = source.create_enumerator(1).unwrap();
/// let mut reader = source.create_reader(&SubtaskInfo::single("c")).unwrap();
/// let SplitAssignment::Split(split) = enumerator.next_split(0) else { unreachable!() };
/// reader.add_split(split).unwrap();
/// let mut out = weir_runtime::ReaderOutput::default();
/// reader.poll_next(&mut out, 10).unwrap();
/// assert_eq!(out.iter().map(|r| r.value).collect::<Vec<_>>(), ["a", "b", "c"]);
/// ```
#[derive(Debug, Clone)]
pub struct CollectionSource<T> {
    items: Arc<Vec<T>>,
}

impl<T> CollectionSource<T> {
    /// A source over `items`.
    pub fn new(items: Vec<T>) -> Self {
        CollectionSource { items: Arc::new(items) }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A chunk of a [`CollectionSource`]: element indexes `range`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CollectionSplit {
    /// 0-based chunk number.
    pub index: usize,
    /// The elements' indexes.
    pub range: Range<usize>,
}

/// `len` items cut into `parts` contiguous ranges whose sizes differ by at most one.
pub(crate) fn chunk_ranges(len: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.max(1);
    (0..parts).map(|i| len * i / parts..len * (i + 1) / parts).collect()
}

impl<T: Clone + Send + Sync + 'static> Source for CollectionSource<T> {
    type Out = T;
    type Split = CollectionSplit;
    type Reader = CollectionReader<T>;
    type Enumerator = StaticSplitEnumerator<CollectionSplit>;

    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }

    fn restore_enumerator(&self, parallelism: usize, state: &[u8]) -> Result<Self::Enumerator, BoxError> {
        StaticSplitEnumerator::restore(state, parallelism)
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        let splits = chunk_ranges(self.items.len(), parallelism)
            .into_iter()
            .enumerate()
            .map(|(index, range)| CollectionSplit { index, range });
        Ok(StaticSplitEnumerator::new(splits, parallelism))
    }

    fn create_reader(&self, _subtask: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(CollectionReader { items: self.items.clone(), pending: VecDeque::new() })
    }
}

/// Reads the chunks assigned to one subtask.
#[derive(Debug)]
pub struct CollectionReader<T> {
    items: Arc<Vec<T>>,
    /// Splits still to read (index and the range left); the front one is being read.
    pending: VecDeque<(usize, Range<usize>)>,
}

impl<T: Clone + Send + Sync + 'static> SourceReader for CollectionReader<T> {
    type Out = T;
    type Split = CollectionSplit;

    fn add_split(&mut self, split: CollectionSplit) -> Result<(), BoxError> {
        if split.range.end > self.items.len() {
            return Err(format!("collection split {split:?} is beyond the {} elements", self.items.len()).into());
        }
        self.pending.push_back((split.index, split.range));
        Ok(())
    }

    fn snapshot_state(&mut self) -> Result<Vec<CollectionSplit>, BoxError> {
        Ok(self.pending.iter().map(|(index, range)| CollectionSplit { index: *index, range: range.clone() }).collect())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<T>, max: usize) -> Result<ReadStatus, BoxError> {
        let mut produced = 0;
        while produced < max {
            let Some((_, range)) = self.pending.front_mut() else { break };
            let end = range.end.min(range.start + (max - produced));
            out.extend(self.items[range.start..end].iter().cloned().map(StreamRecord::new));
            produced += end - range.start;
            range.start = end;
            if range.start >= range.end {
                self.pending.pop_front();
            }
        }
        Ok(if produced > 0 || max == 0 { ReadStatus::MoreAvailable } else { ReadStatus::NeedsSplit })
    }
}

#[cfg(test)]
mod tests {
    use weir_runtime::{SplitAssignment, SplitEnumerator};

    use super::*;

    /// (len, parts, the chunks as (start, end))
    type Case = (usize, usize, &'static [(usize, usize)]);

    #[test]
    fn chunks_are_contiguous_and_balanced() {
        let cases: &[Case] = &[
            (10, 3, &[(0, 3), (3, 6), (6, 10)]),
            (2, 4, &[(0, 0), (0, 1), (1, 1), (1, 2)]),
            (0, 2, &[(0, 0), (0, 0)]),
            (5, 1, &[(0, 5)]),
        ];
        for &(len, parts, expected) in cases {
            let chunks: Vec<(usize, usize)> = chunk_ranges(len, parts).into_iter().map(|r| (r.start, r.end)).collect();
            assert_eq!(chunks, expected, "{len} over {parts}");
        }
    }

    #[test]
    fn every_element_once_in_order_per_reader() {
        let source = CollectionSource::new((0..103).collect::<Vec<u32>>());
        let parallelism = 4;
        let mut enumerator = source.create_enumerator(parallelism).unwrap();
        let mut all = Vec::new();
        for index in 0..parallelism {
            let info = SubtaskInfo { name: "c".into(), index, parallelism, max_parallelism: 128 };
            let mut reader = source.create_reader(&info).unwrap();
            let mut out = weir_runtime::ReaderOutput::default();
            loop {
                match reader.poll_next(&mut out, 10).unwrap() {
                    ReadStatus::NeedsSplit => match enumerator.next_split(index) {
                        SplitAssignment::Split(s) => reader.add_split(s).unwrap(),
                        _ => break,
                    },
                    _ => assert!(out.len() <= 103),
                }
            }
            let values: Vec<u32> = out.iter().map(|r| r.value).collect();
            assert!(values.windows(2).all(|w| w[0] + 1 == w[1]), "contiguous in order: {values:?}");
            assert!(out.iter().all(|r| r.timestamp().is_none()));
            all.extend(values);
        }
        assert_eq!(all, (0..103).collect::<Vec<_>>());
    }
}
