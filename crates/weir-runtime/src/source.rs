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

use weir_core::StreamRecord;

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
    /// The unit of work handed to readers.
    type Split: Send + 'static;
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
    type Split: Send + 'static;

    /// Hands the reader a split to read after the ones it has.
    ///
    /// # Errors
    /// When the split cannot be opened.
    fn add_split(&mut self, split: Self::Split) -> Result<(), BoxError>;

    /// Reads up to `max` records into `out`.
    ///
    /// # Errors
    /// I/O failures and malformed input.
    fn poll_next(&mut self, out: &mut Vec<StreamRecord<Self::Out>>, max: usize) -> Result<ReadStatus, BoxError>;
}
