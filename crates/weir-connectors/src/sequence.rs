//! [`NumberSequenceSource`]: the numbers `from..=to` as a bounded source (Flink's
//! `fromSequence` / `NumberSequenceSource`), split into one contiguous range per reader.

use std::collections::VecDeque;

use weir_core::StreamRecord;
use weir_runtime::{Boundedness, BoxError, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

use crate::enumerator::StaticSplitEnumerator;

/// A source of the `i64`s `from..=to`, ascending, without timestamps. Empty when
/// `from > to`.
///
/// ```
/// use weir_connectors::NumberSequenceSource;
/// use weir_runtime::{Source, SourceReader, SplitAssignment, SplitEnumerator, SubtaskInfo};
///
/// let source = NumberSequenceSource::new(1, 5);
/// let mut enumerator = source.create_enumerator(1).unwrap();
/// let mut reader = source.create_reader(&SubtaskInfo::single("seq")).unwrap();
/// let SplitAssignment::Split(split) = enumerator.next_split(0) else { unreachable!() };
/// reader.add_split(split).unwrap();
/// let mut out = weir_runtime::ReaderOutput::default();
/// reader.poll_next(&mut out, 100).unwrap();
/// assert_eq!(out.iter().map(|r| r.value).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberSequenceSource {
    from: i64,
    to: i64,
}

impl NumberSequenceSource {
    /// The numbers `from..=to`.
    pub fn new(from: i64, to: i64) -> Self {
        NumberSequenceSource { from, to }
    }

    /// How many numbers (up to 2^64, hence `u128`).
    pub fn len(&self) -> u128 {
        (i128::from(self.to) - i128::from(self.from) + 1).max(0) as u128
    }

    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.from > self.to
    }
}

/// A sub-range `from..=to` of a [`NumberSequenceSource`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SequenceSplit {
    /// 0-based split number.
    pub index: usize,
    /// First number.
    pub from: i64,
    /// Last number (inclusive).
    pub to: i64,
}

impl Source for NumberSequenceSource {
    type Out = i64;
    type Split = SequenceSplit;
    type Reader = SequenceReader;
    type Enumerator = StaticSplitEnumerator<SequenceSplit>;

    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }

    fn restore_enumerator(&self, parallelism: usize, state: &[u8]) -> Result<Self::Enumerator, BoxError> {
        StaticSplitEnumerator::restore(state, parallelism)
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        let parts = parallelism.max(1) as i128;
        let len = self.len() as i128;
        let from = i128::from(self.from);
        // Contiguous ranges with sizes differing by at most one; empty ones are dropped.
        let splits = (0..parts)
            .map(|i| (from + len * i / parts, from + len * (i + 1) / parts - 1))
            .filter(|(a, b)| a <= b)
            .enumerate()
            .map(|(index, (a, b))| SequenceSplit {
                index,
                from: i64::try_from(a).expect("within the source's i64 range"),
                to: i64::try_from(b).expect("within the source's i64 range"),
            });
        Ok(StaticSplitEnumerator::new(splits, parallelism))
    }

    fn create_reader(&self, _subtask: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(SequenceReader { pending: VecDeque::new() })
    }
}

/// Reads the ranges assigned to one subtask.
#[derive(Debug)]
pub struct SequenceReader {
    /// `(split index, next, last)` of each range still to read, as `i128` so `i64::MAX`
    /// can end one.
    pending: VecDeque<(usize, i128, i128)>,
}

impl SourceReader for SequenceReader {
    type Out = i64;
    type Split = SequenceSplit;

    fn add_split(&mut self, split: SequenceSplit) -> Result<(), BoxError> {
        self.pending.push_back((split.index, i128::from(split.from), i128::from(split.to)));
        Ok(())
    }

    fn snapshot_state(&mut self) -> Result<Vec<SequenceSplit>, BoxError> {
        Ok(self
            .pending
            .iter()
            .filter(|(_, next, last)| next <= last)
            .map(|&(index, next, last)| SequenceSplit { index, from: next as i64, to: last as i64 })
            .collect())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<i64>, max: usize) -> Result<ReadStatus, BoxError> {
        let mut produced = 0;
        while produced < max {
            let Some((_, next, last)) = self.pending.front_mut() else { break };
            let end = (*last + 1).min(*next + (max - produced) as i128);
            out.extend((*next..end).map(|n| StreamRecord::new(n as i64)));
            produced += (end - *next) as usize;
            *next = end;
            if *next > *last {
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

    fn splits(from: i64, to: i64, parallelism: usize) -> Vec<(i64, i64)> {
        let mut e = NumberSequenceSource::new(from, to).create_enumerator(parallelism).unwrap();
        let mut out = Vec::new();
        for subtask in 0..parallelism {
            while let SplitAssignment::Split(s) = e.next_split(subtask) {
                out.push((s.from, s.to));
            }
        }
        out
    }

    /// (from, to, parallelism, the splits' (from, to))
    type Case = (i64, i64, usize, &'static [(i64, i64)]);

    #[test]
    fn splits_cover_the_range() {
        let cases: &[Case] = &[
            (1, 10, 3, &[(1, 3), (4, 6), (7, 10)]),
            (0, 1, 4, &[(0, 0), (1, 1)]),
            (5, 4, 2, &[]),
            (-3, 3, 1, &[(-3, 3)]),
            (i64::MIN, i64::MAX, 2, &[(i64::MIN, -1), (0, i64::MAX)]),
        ];
        for &(from, to, p, expected) in cases {
            assert_eq!(splits(from, to, p), expected, "{from}..={to} over {p}");
        }
        assert_eq!(NumberSequenceSource::new(i64::MIN, i64::MAX).len(), 1u128 << 64);
        assert!(NumberSequenceSource::new(1, 0).is_empty());
    }

    #[test]
    fn reads_to_the_end_of_i64() {
        let source = NumberSequenceSource::new(i64::MAX - 4, i64::MAX);
        let mut e = source.create_enumerator(1).unwrap();
        let mut reader = source.create_reader(&SubtaskInfo::single("s")).unwrap();
        let SplitAssignment::Split(s) = e.next_split(0) else { panic!("one split") };
        reader.add_split(s).unwrap();
        let mut out = weir_runtime::ReaderOutput::default();
        while reader.poll_next(&mut out, 2).unwrap() == ReadStatus::MoreAvailable {}
        assert_eq!(out.iter().map(|r| r.value).collect::<Vec<_>>(), (i64::MAX - 4..=i64::MAX).collect::<Vec<_>>());
    }
}
