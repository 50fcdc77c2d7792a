//! Sources in Flink's split model (FLIP-27).
//!
//! A [`Source`] is a description; at run time it makes one [`SplitEnumerator`] per
//! source vertex (the coordinator, on the JobManager side) and one [`SourceReader`] per
//! parallel subtask. Readers ask for work when they have none; the enumerator hands out
//! **splits** (a file, a Nexmark generator block, later a Kafka partition). A split is
//! the unit of work *and* of recovery: with checkpoints, readers record their position
//! in each split.
//!
//! The protocol a source task runs:
//! 1. create the reader; it has no split;
//! 2. `poll_next` until it answers [`ReadStatus::NeedsSplit`];
//! 3. ask the enumerator: [`SplitAssignment::Split`] → `add_split`, back to 2;
//!    [`SplitAssignment::NotYet`] → wait a little and ask again;
//!    [`SplitAssignment::NoMoreSplits`] → the reader is done: end of input.
//!
//! Invariant: every split the enumerator hands out is read by exactly one reader.
//!
//! Checkpoints: the enumerator's state is taken when a checkpoint is triggered, under the
//! lock readers take splits under, and the barrier is placed in every reader's mailbox
//! before the lock is released; a reader looks at its mailbox before asking for a split.
//! So a split handed out after the enumerator's snapshot is read after the reader's
//! barrier, and every split is in exactly one of: the enumerator's snapshot, a reader's
//! snapshot (with its position), or done before the barrier. On restore the readers'
//! splits go back to the enumerator ([`SplitEnumerator::add_splits_back`]), which deals
//! them out again — at any parallelism.

use serde::de::DeserializeOwned;
use serde::Serialize;
use weir_core::{CheckpointId, StreamRecord};

use crate::{BoxError, SubtaskInfo};

/// Whether a source ends by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundedness {
    /// Ends after its splits are read (files, collections, a fixed number of events).
    Bounded,
    /// Runs until cancelled.
    ContinuousUnbounded,
}

/// A source of records of type `Self::Out`.
///
/// # Contract
/// `create_enumerator` is called once per job execution, `create_reader` once per
/// subtask; both may be called again after a restart.
///
/// # Concurrency
/// The source value is shared (`Sync`) by every subtask; readers and the enumerator are
/// each used by one thread at a time.
pub trait Source: Send + Sync + 'static {
    /// The record type.
    type Out: Send + 'static;
    /// The unit of work handed to readers; stored in checkpoints with its position.
    type Split: Send + Serialize + DeserializeOwned + 'static;
    /// Reads splits.
    type Reader: SourceReader<Out = Self::Out, Split = Self::Split>;
    /// Hands out splits.
    type Enumerator: SplitEnumerator<Split = Self::Split>;

    /// Bounded or not.
    fn boundedness(&self) -> Boundedness;

    /// Makes the coordinator for a source vertex running with `parallelism` readers.
    ///
    /// # Errors
    /// When the source cannot be listed (a missing directory, a bad option).
    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError>;

    /// Makes the coordinator of a job resumed from a checkpoint, from the enumerator's
    /// snapshot ([`SplitEnumerator::snapshot_state`]); the readers' unfinished splits are
    /// then given back to it.
    ///
    /// # Errors
    /// By default, that the source cannot resume from a checkpoint; bytes it cannot read.
    fn restore_enumerator(&self, _parallelism: usize, _state: &[u8]) -> Result<Self::Enumerator, BoxError> {
        Err(format!("source {} cannot resume from a checkpoint", std::any::type_name::<Self>()).into())
    }

    /// Makes the reader of one subtask.
    ///
    /// # Errors
    /// When the reader cannot be set up.
    fn create_reader(&self, subtask: &SubtaskInfo) -> Result<Self::Reader, BoxError>;
}

/// The answer to a reader's request for work.
#[derive(Debug, PartialEq, Eq)]
pub enum SplitAssignment<S> {
    /// Read this split next.
    Split(S),
    /// Nothing now; more may come (continuous discovery). Ask again later.
    NotYet,
    /// Nothing more, ever, for this reader.
    NoMoreSplits,
}

/// The coordinator that hands splits to readers.
pub trait SplitEnumerator: Send + 'static {
    /// The split type.
    type Split;

    /// Called when reader `subtask` has nothing left to read.
    fn next_split(&mut self, subtask: usize) -> SplitAssignment<Self::Split>;

    /// What the enumerator must remember to continue from this moment (typically the
    /// splits it has not handed out, and what it has discovered so far).
    ///
    /// # Errors
    /// By default, that the enumerator cannot take part in checkpoints.
    fn snapshot_state(&mut self) -> Result<Vec<u8>, BoxError> {
        Err(format!("split enumerator {} cannot record its state for a checkpoint", std::any::type_name::<Self>())
            .into())
    }

    /// Splits that readers had not finished at the checkpoint a job resumes from: hand
    /// them out again (to any reader).
    fn add_splits_back(&mut self, splits: Vec<Self::Split>);
}

/// What a reader reports after a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadStatus {
    /// More records can be read right away.
    MoreAvailable,
    /// Nothing to read now, but the current split is not finished (an idle partition).
    NothingAvailable,
    /// The reader has no unfinished split: give it one, or end.
    NeedsSplit,
}

/// Reads the records of the splits assigned to one subtask.
///
/// # Contract
/// `poll_next` appends at most `max` records to `out` (it may append fewer, even none)
/// and says whether to call again at once, later, or after a new split.
///
/// # Errors
/// An I/O failure or a malformed record fails the job with the reader's message, which
/// should name the split and position.
pub trait SourceReader: Send + 'static {
    /// The record type.
    type Out: Send + 'static;
    /// The split type.
    type Split: Send + Serialize + DeserializeOwned + 'static;

    /// Hands the reader a split to read after the ones it has.
    ///
    /// # Errors
    /// When the split cannot be opened.
    fn add_split(&mut self, split: Self::Split) -> Result<(), BoxError>;

    /// Reads up to `max` records into `out`.
    ///
    /// # Errors
    /// I/O failures and malformed input.
    fn poll_next(&mut self, out: &mut ReaderOutput<Self::Out>, max: usize) -> Result<ReadStatus, BoxError>;

    /// The splits this reader has not finished, each carrying its current position: a
    /// reader given them back (`add_split`) continues exactly after the last record
    /// `poll_next` returned. This is what a checkpoint stores for a source subtask.
    ///
    /// # Errors
    /// By default, that the source cannot record positions (a user-defined source that
    /// does not implement this cannot take part in checkpoints).
    fn snapshot_state(&mut self) -> Result<Vec<Self::Split>, BoxError> {
        Err(format!("source reader {} cannot record its position for a checkpoint", std::any::type_name::<Self>())
            .into())
    }

    /// Checkpoint `checkpoint` is complete; `splits` is what this reader's
    /// [`SourceReader::snapshot_state`] returned for it. A reader that reports its progress
    /// elsewhere (Kafka commits its offsets to the consumer group) does it here; the
    /// checkpoint itself never depends on it. By default nothing.
    ///
    /// # Errors
    /// A failure fails the job; prefer logging what only serves monitoring.
    fn on_checkpoint_complete(&mut self, _checkpoint: CheckpointId, _splits: Vec<Self::Split>) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Where a reader puts records: a batch (it dereferences to the `Vec`) plus which split
/// each run of records came from and which splits ended, so that event time is tracked
/// per split.
///
/// A reader that reads one split at a time calls [`ReaderOutput::start_split`] when it
/// starts reading a split and [`ReaderOutput::finish_split`] when the split is done;
/// records pushed in between belong to that split. A reader that never calls them reads
/// a single split, 0. A reader that reads several splits at once calls
/// [`ReaderOutput::assign_split`] when it is given one, so that the split holds event time
/// back from then on, before its first record (as Flink's per-split watermarks do).
#[derive(Debug)]
pub struct ReaderOutput<T> {
    records: Vec<StreamRecord<T>>,
    /// Split and first record index of each run; never empty.
    runs: Vec<(u64, usize)>,
    finished: Vec<u64>,
    assigned: Vec<u64>,
    current: u64,
}

impl<T> Default for ReaderOutput<T> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<T> ReaderOutput<T> {
    /// An empty output with room for `capacity` records.
    pub fn with_capacity(capacity: usize) -> Self {
        ReaderOutput {
            records: Vec::with_capacity(capacity),
            runs: vec![(0, 0)],
            finished: Vec::new(),
            assigned: Vec::new(),
            current: 0,
        }
    }

    /// Records pushed from now on belong to `split`.
    #[inline]
    pub fn start_split(&mut self, split: u64) {
        if split == self.current {
            return;
        }
        self.current = split;
        let len = self.records.len();
        match self.runs.last_mut() {
            Some(last) if last.1 == len => last.0 = split,
            _ => self.runs.push((split, len)),
        }
    }

    /// The records, for a caller that drives a reader by hand.
    pub fn into_records(self) -> Vec<StreamRecord<T>> {
        self.records
    }

    /// `split` has been read to its end.
    pub fn finish_split(&mut self, split: u64) {
        self.finished.push(split);
    }

    /// The reader was given `split` and reads it alongside its others.
    pub fn assign_split(&mut self, split: u64) {
        self.assigned.push(split);
    }

    /// The splits assigned since the last call.
    pub fn take_assigned(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.assigned)
    }

    /// Each non-empty run of records with its split, and the splits that ended since the
    /// last call. Leaves the run bookkeeping ready for the next batch (records pushed
    /// next still belong to the split read last).
    pub fn take_runs(&mut self) -> (Vec<(u64, std::ops::Range<usize>)>, Vec<u64>) {
        let len = self.records.len();
        let runs = self
            .runs
            .iter()
            .enumerate()
            .map(|(i, &(split, start))| (split, start..self.runs.get(i + 1).map_or(len, |r| r.1)))
            .filter(|(_, r)| !r.is_empty())
            .collect();
        self.runs.clear();
        self.runs.push((self.current, 0));
        (runs, std::mem::take(&mut self.finished))
    }
}

impl<T> std::ops::Deref for ReaderOutput<T> {
    type Target = Vec<StreamRecord<T>>;
    fn deref(&self) -> &Self::Target {
        &self.records
    }
}

impl<T> std::ops::DerefMut for ReaderOutput<T> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_name_the_split_of_each_record() {
        let mut out = ReaderOutput::<i32>::default();
        out.push(StreamRecord::new(1)); // split 0 by default
        out.start_split(7);
        out.start_split(7);
        out.push(StreamRecord::new(2));
        out.push(StreamRecord::new(3));
        out.start_split(8);
        out.start_split(9); // nothing read from 8
        out.push(StreamRecord::new(4));
        out.finish_split(7);
        let (runs, finished) = out.take_runs();
        assert_eq!(runs, vec![(0, 0..1), (7, 1..3), (9, 3..4)]);
        assert_eq!(finished, vec![7]);
        out.clear();
        out.push(StreamRecord::new(5));
        assert_eq!(out.take_runs().0, vec![(9, 0..1)], "the next batch continues split 9");
    }
}
