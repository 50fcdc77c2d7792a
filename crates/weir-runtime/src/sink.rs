//! Sinks: where records leave a job.
//!
//! A [`Sink`] is a description shared by every subtask; each subtask gets its own
//! [`SinkWriter`].
//!
//! Exactly-once sinks take part in checkpoints by **two-phase commit**:
//! 1. at a barrier, the writer's [`SinkWriter::prepare_commit`] makes what it wrote since
//!    the last barrier durable but not yet visible (a pending part file, an open
//!    transaction) and returns *committables*: bytes saying how to make it visible;
//! 2. the committables are stored in the checkpoint with the sink's state;
//! 3. when the checkpoint is complete — stored by every task — the job hands them to the
//!    sink's [`Committer`], which makes them visible;
//! 4. after a crash the job restores the latest complete checkpoint and commits its
//!    committables again ([`Committer::commit`] is idempotent), then discards everything
//!    pending that no complete checkpoint names ([`Committer::recover`]).
//!
//! Invariant: output becomes visible only through a committable of a complete checkpoint
//! (or of a job that ended), so what is visible is exactly what the restored state has
//! already produced — nothing lost, nothing twice.

use weir_core::{CheckpointId, StreamRecord, Watermark};

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

    /// The committer of a two-phase-commit sink; `None` (the default) for sinks whose
    /// writes are visible at once.
    ///
    /// # Errors
    /// When the destination cannot be reached.
    fn create_committer(&self) -> Result<Option<Box<dyn Committer>>, BoxError> {
        Ok(None)
    }
}

/// Makes the pre-committed output of a two-phase-commit sink visible.
///
/// # Contract
/// `commit` may be called again with committables it has already committed (after a
/// crash between commit and the next checkpoint): it must then do nothing. `recover` is
/// called once when a job with checkpointing starts, before any writer, with the
/// committables of the checkpoint it resumes from (none on a fresh start), after they have
/// been committed.
///
/// # Concurrency
/// Called from the job's checkpoint coordinator thread, never concurrently.
pub trait Committer: Send + Sync {
    /// Makes `committables` visible.
    ///
    /// # Errors
    /// Failures of the destination; the job fails (and restarts by its restart strategy).
    fn commit(&self, committables: &[Vec<u8>]) -> Result<(), BoxError>;

    /// Discards whatever earlier runs left pending that is not among `committed`.
    ///
    /// # Errors
    /// Failures of the destination.
    fn recover(&self, _committed: &[Vec<u8>]) -> Result<(), BoxError> {
        Ok(())
    }
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

    /// Makes what was written visible (and, at end of input, closes). A
    /// two-phase-commit writer makes it durable only; visibility comes from its committer.
    ///
    /// # Errors
    /// Failures of the destination.
    fn flush(&mut self, end_of_input: bool) -> Result<(), BoxError>;

    /// Pre-commit at a checkpoint barrier (and at the end of input, with
    /// [`CheckpointId::FINAL`]): make everything written so far durable, start anew, and
    /// return the committables that will make it visible. By default nothing (writes are
    /// visible at once; with `flush` at barriers such a sink is at-least-once).
    ///
    /// # Errors
    /// Failures of the destination; the checkpoint fails.
    fn prepare_commit(&mut self, _checkpoint: CheckpointId) -> Result<Vec<Vec<u8>>, BoxError> {
        self.flush(false)?;
        Ok(Vec::new())
    }
}
