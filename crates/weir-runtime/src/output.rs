//! Where an operator's records go: the next chained operator, a record writer to other
//! tasks, several of those, or nowhere.

use weir_core::{CheckpointBarrier, CheckpointId, StreamRecord, Watermark, WatermarkStatus};

use crate::snapshot::PendingTaskState;
use crate::JobError;

/// The receiving end of a stream inside a task (Flink's `Output`), batch at a time.
///
/// # Contract
/// `push` takes every record out of `batch`, leaving it empty with its capacity kept, so
/// the caller can refill it without allocating. Records, watermarks and the end of input
/// arrive in stream order; `end_of_input` is called once, last. `flush` asks buffered
/// records to be sent on (the buffer timeout).
///
/// # Errors
/// A [`JobError`] from downstream (an operator failed, the job was cancelled) is passed
/// up unchanged; it already says where it happened.
pub trait Output<T>: Send {
    /// Hands over a batch of records.
    fn push(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), JobError>;
    /// Passes on event-time progress.
    fn watermark(&mut self, watermark: Watermark) -> Result<(), JobError>;
    /// Passes on a change between idle and active.
    fn watermark_status(&mut self, status: WatermarkStatus) -> Result<(), JobError>;
    /// Sends buffered records on.
    fn flush(&mut self) -> Result<(), JobError>;
    /// No more input will come.
    fn end_of_input(&mut self) -> Result<(), JobError>;

    /// A checkpoint barrier: operators from here on add their state to `task` and the
    /// barrier goes on downstream, after every record before it.
    fn barrier(&mut self, barrier: CheckpointBarrier, task: &mut PendingTaskState) -> Result<(), JobError>;

    /// After the end of input: operators from here on add their final state to `task`
    /// (what a finished task leaves in later checkpoints). Nothing is sent downstream.
    fn snapshot_finished(&mut self, _task: &mut PendingTaskState) -> Result<(), JobError> {
        Ok(())
    }

    /// A checkpoint completed (`complete`) or was aborted.
    fn notify_checkpoint(&mut self, _checkpoint: CheckpointId, _complete: bool) -> Result<(), JobError> {
        Ok(())
    }

    /// The earliest processing time (epoch ms) at which an operator from here on wants
    /// [`Output::fire_timers`]; `None` when none does.
    fn next_timer(&mut self) -> Option<i64> {
        None
    }

    /// Fires the processing-time timers due at `now_ms` here and downstream.
    fn fire_timers(&mut self, _now_ms: i64) -> Result<(), JobError> {
        Ok(())
    }
}

/// The earlier of two optional deadlines.
#[inline]
pub fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// An output with no consumer: records are dropped (a stream nobody reads).
pub struct Discard;

impl<T> Output<T> for Discard {
    fn push(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), JobError> {
        batch.clear();
        Ok(())
    }
    fn watermark(&mut self, _: Watermark) -> Result<(), JobError> {
        Ok(())
    }
    fn watermark_status(&mut self, _: WatermarkStatus) -> Result<(), JobError> {
        Ok(())
    }
    fn flush(&mut self) -> Result<(), JobError> {
        Ok(())
    }
    fn end_of_input(&mut self) -> Result<(), JobError> {
        Ok(())
    }
    fn barrier(&mut self, _: CheckpointBarrier, _: &mut PendingTaskState) -> Result<(), JobError> {
        Ok(())
    }
}

/// Several consumers of one stream: each gets every record. All but the last get
/// clones; the last gets the originals.
pub struct FanOut<T> {
    outputs: Vec<Box<dyn Output<T>>>,
    scratch: Vec<StreamRecord<T>>,
}

impl<T: Clone + Send> FanOut<T> {
    /// Combines `outputs` into one: [`Discard`] for none, the output itself for one.
    pub fn combine(mut outputs: Vec<Box<dyn Output<T>>>) -> Box<dyn Output<T>>
    where
        T: 'static,
    {
        match outputs.len() {
            0 => Box::new(Discard),
            1 => outputs.pop().expect("one output"),
            _ => Box::new(FanOut { outputs, scratch: Vec::new() }),
        }
    }
}

impl<T: Clone + Send> Output<T> for FanOut<T> {
    fn push(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), JobError> {
        let (last, rest) = self.outputs.split_last_mut().expect("fan-out has at least two outputs");
        for out in rest {
            self.scratch.extend_from_slice(batch);
            out.push(&mut self.scratch)?;
        }
        last.push(batch)
    }
    fn watermark(&mut self, watermark: Watermark) -> Result<(), JobError> {
        self.outputs.iter_mut().try_for_each(|o| o.watermark(watermark))
    }
    fn watermark_status(&mut self, status: WatermarkStatus) -> Result<(), JobError> {
        self.outputs.iter_mut().try_for_each(|o| o.watermark_status(status))
    }
    fn flush(&mut self) -> Result<(), JobError> {
        self.outputs.iter_mut().try_for_each(|o| o.flush())
    }
    fn end_of_input(&mut self) -> Result<(), JobError> {
        self.outputs.iter_mut().try_for_each(|o| o.end_of_input())
    }
    fn barrier(&mut self, barrier: CheckpointBarrier, task: &mut PendingTaskState) -> Result<(), JobError> {
        self.outputs.iter_mut().try_for_each(|o| o.barrier(barrier, task))
    }
    fn snapshot_finished(&mut self, task: &mut PendingTaskState) -> Result<(), JobError> {
        self.outputs.iter_mut().try_for_each(|o| o.snapshot_finished(task))
    }
    fn notify_checkpoint(&mut self, checkpoint: CheckpointId, complete: bool) -> Result<(), JobError> {
        self.outputs.iter_mut().try_for_each(|o| o.notify_checkpoint(checkpoint, complete))
    }
    fn next_timer(&mut self) -> Option<i64> {
        self.outputs.iter_mut().fold(None, |t, o| earliest(t, o.next_timer()))
    }
    fn fire_timers(&mut self, now_ms: i64) -> Result<(), JobError> {
        self.outputs.iter_mut().try_for_each(|o| o.fire_timers(now_ms))
    }
}
