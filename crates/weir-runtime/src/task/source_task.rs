//! The loop of a task headed by a source reader.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use weir_core::Watermark;

use crate::chain::guard;
use crate::output::Output;
use crate::source::{ReadStatus, SourceReader, SplitAssignment, SplitEnumerator};
use crate::task::{Flusher, TaskBody, TaskEnv};
use crate::{JobError, Location};

/// How long a reader with nothing to read waits before polling again.
const IDLE_WAIT: Duration = Duration::from_millis(1);
/// How long a reader waits before asking again for a split that is not there yet.
const SPLIT_WAIT: Duration = Duration::from_millis(10);

/// A task running one source reader.
pub struct SourceTask<R: SourceReader, E> {
    reader: R,
    enumerator: Arc<Mutex<E>>,
    head: Box<dyn Output<R::Out>>,
    subtask: usize,
    location: Location,
}

impl<R: SourceReader, E: SplitEnumerator<Split = R::Split>> SourceTask<R, E> {
    /// A task reading with `reader`, asking `enumerator` for splits, feeding `head`.
    pub fn new(
        reader: R,
        enumerator: Arc<Mutex<E>>,
        head: Box<dyn Output<R::Out>>,
        subtask: usize,
        location: Location,
    ) -> Self {
        SourceTask { reader, enumerator, head, subtask, location }
    }
}

impl<R: SourceReader, E: SplitEnumerator<Split = R::Split>> TaskBody for SourceTask<R, E> {
    fn run(mut self: Box<Self>, env: &TaskEnv) -> Result<(), JobError> {
        let mut batch = Vec::with_capacity(env.batch_size);
        let mut flusher = Flusher::new(env.buffer_timeout);
        loop {
            if env.cancel.is_cancelled() {
                return Err(JobError::Cancelled);
            }
            let mut status = ReadStatus::MoreAvailable;
            let reader = &mut self.reader;
            guard(&self.location, || {
                status = reader.poll_next(&mut batch, env.batch_size)?;
                Ok(())
            })?;
            if !batch.is_empty() {
                self.head.push(&mut batch)?;
            }
            match status {
                ReadStatus::MoreAvailable => {}
                ReadStatus::NothingAvailable => {
                    self.head.flush()?;
                    if env.cancel.wait(IDLE_WAIT) {
                        return Err(JobError::Cancelled);
                    }
                }
                ReadStatus::NeedsSplit => {
                    let assignment = self
                        .enumerator
                        .lock()
                        .map_err(|_| JobError::Internal("split enumerator poisoned by a panic".into()))?
                        .next_split(self.subtask);
                    match assignment {
                        SplitAssignment::Split(split) => {
                            let reader = &mut self.reader;
                            guard(&self.location, || reader.add_split(split))?;
                        }
                        SplitAssignment::NotYet => {
                            self.head.flush()?;
                            if env.cancel.wait(SPLIT_WAIT) {
                                return Err(JobError::Cancelled);
                            }
                        }
                        SplitAssignment::NoMoreSplits => break,
                    }
                }
            }
            flusher.maybe_flush(self.head.as_mut())?;
        }
        self.head.watermark(Watermark::MAX)?;
        self.head.end_of_input()
    }
}
