//! Sinks: where records leave a job.
//!
//! A [`Sink`] is a description shared by every subtask; each subtask gets its own
//! [`SinkWriter`]. (Two-phase commit — pre-commit at a checkpoint barrier, commit when the
//! checkpoint completes — joins this trait with checkpointing.)

use weir_core::{StreamRecord, Watermark};

use crate::{BoxError, SubtaskInfo};

/// A destination for records of type `T`.
///
/// # Concurrency
/// Shared (`Sync`) by all subtasks; each writer is used by one thread.
pub trait Sink<T>: Send + Sync + 'static {
    /// Writes one subtask's records.
    type Writer: SinkWriter<T>;

    /// Makes the writer of one subtask.
    ///
    /// # Errors
    /// When the destination cannot be opened.
    fn create_writer(&self, subtask: &SubtaskInfo) -> Result<Self::Writer, BoxError>;
}

/// Writes the records of one subtask.
///
/// # Contract
/// `write` takes every record out of `batch` (leaving it empty, capacity kept). `flush`
/// makes everything written so far visible; with `end_of_input` it is the last call.
pub trait SinkWriter<T>: Send + 'static {
    /// Writes a batch.
    ///
    /// # Errors
    /// Failures of the destination; they fail the job.
    fn write(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError>;

    /// Sees event-time progress (for sinks that roll or commit by time).
    ///
    /// # Errors
    /// Failures of the destination.
    fn on_watermark(&mut self, _watermark: Watermark) -> Result<(), BoxError> {
        Ok(())
    }

    /// Makes what was written visible (and, at end of input, closes).
    ///
    /// # Errors
    /// Failures of the destination.
    fn flush(&mut self, end_of_input: bool) -> Result<(), BoxError>;
}
