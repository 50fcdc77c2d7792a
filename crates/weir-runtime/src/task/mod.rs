//! Tasks: one parallel instance of an operator chain, run by one thread in a
//! single-threaded loop.
//!
//! A task's loop takes one message at a time — an input batch, a watermark, a checkpoint
//! barrier, the end of an input, a message in its mailbox (a barrier injected into a
//! source, a checkpoint's outcome), a timer, the flush deadline, cancellation — and hands
//! it to the chain. Operator code therefore never takes a lock.
//!
//! - [`source_task`]: polls a source reader, asks the split enumerator for work.
//! - [`input_task`]: reads the task's input channels (round robin, blocking on all of
//!   them at once when none has data), tracks per-channel watermarks and end of input.
//! - [`unaligned`]: captures an unaligned checkpoint's in-flight records after the snapshot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use weir_checkpoint::{AbortReason, TaskId};
use weir_core::{CheckpointBarrier, CheckpointId};

use crate::channel::CancelToken;
use crate::clock::Clock;
use crate::output::Output;
use crate::snapshot::PendingTaskState;
use crate::JobError;

pub mod input;
pub mod input_task;
pub mod source_task;
pub mod unaligned;
pub(crate) mod watermark_valve;

/// What every task loop needs from the runtime.
#[derive(Debug, Clone)]
pub struct TaskEnv {
    /// The job's cancellation signal.
    pub cancel: CancelToken,
    /// Records per batch.
    pub batch_size: usize,
    /// The buffer timeout (see [`crate::config::ExecutionConfig::buffer_timeout`]).
    pub buffer_timeout: Option<Duration>,
    /// Processing time.
    pub clock: Arc<dyn Clock>,
    /// This task's id in checkpoints: its chain's head vertex and its subtask.
    pub task: TaskId,
    /// Messages from the job: barriers injected into a source, checkpoint outcomes.
    pub mailbox: Receiver<TaskMessage>,
    /// Where the task reports snapshots and its end to the job.
    pub reports: Sender<TaskReport>,
    /// Whether the job takes checkpoints: without, a finished task's final state is
    /// needed only for its committables, and its keyed state is never serialized.
    pub checkpointing: bool,
}

/// A message from the job to one task.
#[derive(Debug, Clone)]
pub enum TaskMessage {
    /// Start a checkpoint (sources only; other tasks get barriers from their inputs).
    Barrier(CheckpointBarrier),
    /// A checkpoint is complete.
    Complete(CheckpointId),
    /// A checkpoint was given up.
    Aborted(CheckpointId),
}

/// What a task tells the job.
#[derive(Debug)]
pub enum TaskReport {
    /// The task's snapshot for a checkpoint.
    Ack {
        /// The task.
        task: TaskId,
        /// The checkpoint.
        checkpoint: CheckpointId,
        /// Its state, possibly with items still to serialize (the job serializes and
        /// writes it off the task's thread).
        state: PendingTaskState,
    },
    /// The task could not take part in a checkpoint.
    Decline {
        /// The task.
        task: TaskId,
        /// The checkpoint.
        checkpoint: CheckpointId,
        /// Why.
        reason: AbortReason,
    },
    /// The task reached the end of its input; `state` is what it leaves in every later
    /// checkpoint (a two-phase-commit sink's final committables among it).
    Finished {
        /// The task.
        task: TaskId,
        /// Its final state; only the embedded backend's cuts are left to write.
        state: PendingTaskState,
    },
}

impl TaskEnv {
    /// Snapshots `head`'s chain for `barrier`, passes the barrier on and acknowledges.
    pub(crate) fn checkpoint<T>(
        &self,
        barrier: CheckpointBarrier,
        mut state: PendingTaskState,
        head: &mut dyn Output<T>,
    ) -> Result<(), JobError> {
        head.barrier(barrier, &mut state)?;
        self.acknowledge(barrier.id, state);
        Ok(())
    }

    /// Acknowledges `checkpoint` with `state`.
    pub(crate) fn acknowledge(&self, checkpoint: CheckpointId, state: PendingTaskState) {
        // A job that stopped listening is being torn down; cancellation says so.
        let _ = self.reports.send(TaskReport::Ack { task: self.task, checkpoint, state });
    }

    /// Declines `checkpoint`.
    pub(crate) fn decline(&self, checkpoint: CheckpointId, reason: AbortReason) {
        let _ = self.reports.send(TaskReport::Decline { task: self.task, checkpoint, reason });
    }

    /// Reports the end of the task, with the final state of `head`'s chain added to `state`.
    pub(crate) fn finished<T>(&self, mut state: PendingTaskState, head: &mut dyn Output<T>) -> Result<(), JobError> {
        state.set_finished();
        if !self.checkpointing {
            state.set_committables_only();
        }
        head.snapshot_finished(&mut state)?;
        let state = if self.checkpointing {
            // The task has nothing left to do: serialize its final state here, but for
            // the embedded backend's, which the job writes to storage key group by key group.
            state.complete_deferred().map_err(|e| JobError::Checkpoint(format!("final state of {}: {e}", self.task)))?
        } else {
            // Only the committables matter, and they are never deferred: do not
            // serialize state nobody will store (for the embedded backend, all of it).
            PendingTaskState::new(state.without_deferred())
        };
        let _ = self.reports.send(TaskReport::Finished { task: self.task, state });
        Ok(())
    }

    /// Passes checkpoint outcomes from the mailbox to `head` (and aborts to `on_abort`);
    /// returns the first barrier found, which the caller must handle before anything else.
    pub(crate) fn take_mailbox<T>(
        &self,
        head: &mut dyn Output<T>,
        on_abort: impl FnMut(CheckpointId) -> Result<(), JobError>,
    ) -> Result<Option<CheckpointBarrier>, JobError> {
        self.take_mailbox_notifying(head, on_abort, |_| Ok(()))
    }

    /// [`TaskEnv::take_mailbox`], telling `on_complete` too of each complete checkpoint
    /// (after `head`).
    pub(crate) fn take_mailbox_notifying<T>(
        &self,
        head: &mut dyn Output<T>,
        mut on_abort: impl FnMut(CheckpointId) -> Result<(), JobError>,
        mut on_complete: impl FnMut(CheckpointId) -> Result<(), JobError>,
    ) -> Result<Option<CheckpointBarrier>, JobError> {
        while let Ok(message) = self.mailbox.try_recv() {
            match message {
                TaskMessage::Barrier(b) => return Ok(Some(b)),
                TaskMessage::Complete(id) => {
                    head.notify_checkpoint(id, true)?;
                    on_complete(id)?
                }
                TaskMessage::Aborted(id) => {
                    on_abort(id)?;
                    head.notify_checkpoint(id, false)?
                }
            }
        }
        Ok(None)
    }
}

/// A fresh, empty task state.
pub(crate) fn empty_state() -> PendingTaskState {
    PendingTaskState::default()
}

impl TaskEnv {
    /// Fires `head`'s processing-time timers if one is due; returns the next deadline.
    #[inline]
    pub(crate) fn fire_due_timers<T>(&self, head: &mut dyn Output<T>) -> Result<Option<i64>, JobError> {
        let next = head.next_timer();
        match next {
            Some(t) => {
                let now = self.clock.now_ms();
                if t <= now {
                    head.fire_timers(now)?;
                    Ok(head.next_timer())
                } else {
                    Ok(next)
                }
            }
            None => Ok(None),
        }
    }

    /// How long a task may block: until the flush is due or the next timer, whichever
    /// comes first (`None`: indefinitely).
    pub(crate) fn max_block(&self, flush_due: Option<Duration>, next_timer: Option<i64>) -> Option<Duration> {
        let timer = next_timer.map(|t| self.clock.max_wait(t));
        match (flush_due, timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, None) => a,
            (None, b) => b,
        }
    }
}

/// A task's loop, built on the task's thread.
pub trait TaskBody: Send {
    /// Runs until the input ends, the job is cancelled, or something fails.
    ///
    /// # Errors
    /// The first failure, located; [`JobError::Cancelled`] when cancelled.
    fn run(self: Box<Self>, env: &TaskEnv) -> Result<(), JobError>;
}

/// Flushes the chain's writers when the buffer timeout has passed.
pub(crate) struct Flusher {
    timeout: Option<Duration>,
    last: Instant,
}

impl Flusher {
    pub(crate) fn new(timeout: Option<Duration>) -> Self {
        Flusher { timeout, last: Instant::now() }
    }

    /// Flushes `head` if the timeout has passed since the last flush.
    #[inline]
    pub(crate) fn maybe_flush<T>(&mut self, head: &mut dyn Output<T>) -> Result<(), JobError> {
        match self.timeout {
            Some(t) if t.is_zero() => head.flush(),
            Some(t) => {
                let now = Instant::now();
                if now.duration_since(self.last) >= t {
                    self.last = now;
                    head.flush()?;
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// How long a task may block before the next flush is due (`None`: forever).
    pub(crate) fn until_due(&self) -> Option<Duration> {
        self.timeout.map(|t| t.saturating_sub(self.last.elapsed()))
    }
}
