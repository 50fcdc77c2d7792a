//! Tasks: one parallel instance of an operator chain, run by one thread in a
//! single-threaded loop.
//!
//! A task's loop takes one message at a time — an input batch, a watermark, the end of
//! an input, the flush deadline, cancellation (later also timers and checkpoint
//! barriers) — and hands it to the chain. Operator code therefore never takes a lock.
//!
//! - [`source_task`]: polls a source reader, asks the split enumerator for work.
//! - [`input_task`]: reads the task's input channels (round robin, blocking on all of
//!   them at once when none has data), tracks per-channel watermarks and end of input.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::channel::CancelToken;
use crate::clock::Clock;
use crate::output::Output;
use crate::JobError;

pub mod input;
pub mod input_task;
pub mod source_task;

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
