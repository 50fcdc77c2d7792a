//! Operator chaining: an operator wrapped as the [`Output`] of its predecessor, so that
//! chained operators call each other directly — no queue, no copy.

use std::panic::{catch_unwind, AssertUnwindSafe};

use weir_core::{CheckpointBarrier, CheckpointId, StreamRecord, Watermark, WatermarkStatus};

use crate::error::panic_message;
use crate::operator::{Emitter, Operator};
use crate::output::{earliest, Output};
use crate::snapshot::{OperatorStateReader, OperatorStateWriter, PendingTaskState};
use crate::{BoxError, JobError, Location};

/// An operator plus where its output goes; is itself the output of the operator before.
///
/// Every call into user code is guarded: an error or a panic becomes a [`JobError`]
/// that names this operator and subtask. Errors coming back from downstream already
/// carry their own location and pass through unchanged.
pub struct Chained<O: Operator> {
    operator: O,
    emitter: Emitter<O::Out>,
    downstream: Box<dyn Output<O::Out>>,
    location: Location,
    operator_id: String,
    /// Restored as finished: the end of input is passed on without calling `finish`
    /// again (its final results were emitted before the checkpoint).
    finished_on_restore: bool,
}

impl<O: Operator> Chained<O> {
    /// Chains `operator` in front of `downstream`. `emitter` carries its side outputs.
    /// `operator_id` is the stable id its state is stored under.
    pub fn new(
        operator: O,
        emitter: Emitter<O::Out>,
        downstream: Box<dyn Output<O::Out>>,
        location: Location,
        operator_id: String,
    ) -> Self {
        Chained { operator, emitter, downstream, location, operator_id, finished_on_restore: false }
    }

    /// Restores the operator's state (`None`: a fresh start), then opens it.
    ///
    /// # Errors
    /// The operator's failure, located.
    pub fn open(
        &mut self,
        subtask: &crate::SubtaskInfo,
        restored: Option<&OperatorStateReader>,
    ) -> Result<(), JobError> {
        let op = &mut self.operator;
        if let Some(state) = restored {
            // State that cannot be restored will not restore on a retry either: the job
            // fails instead of restarting forever.
            guard(&self.location, || op.initialize_state(state)).map_err(|e| match e {
                JobError::Operator { location, source } => JobError::Restore(format!("operator {location}: {source}")),
                other => other,
            })?;
            // State left in storage is read when the operator asks for it.
            if let Some(e) = state.read_error() {
                return Err(JobError::Restore(format!("operator {}: {e}", self.location)));
            }
        }
        let opened = guard(&self.location, || op.open(subtask));
        // State a restored operator read in `open` (from a kept clone of the reader).
        if let Some(e) = restored.and_then(OperatorStateReader::read_error).filter(|_| opened.is_ok()) {
            return Err(JobError::Restore(format!("operator {}: {e}", self.location)));
        }
        match opened {
            // Keyed state is bound to its declarations in `open`; a snapshot that does not
            // fit them is a restore failure, not one a restart could mend.
            Err(JobError::Operator { location, source })
                if restored.is_some()
                    && matches!(
                        source.downcast_ref::<weir_state::StateError>(),
                        Some(weir_state::StateError::Restore(_))
                    ) =>
            {
                Err(JobError::Restore(format!("operator {location}: {source}")))
            }
            other => other,
        }
    }

    /// Marks the operator as restored from a task that had finished.
    pub fn set_finished_on_restore(&mut self) {
        self.finished_on_restore = true;
    }

    fn snapshot_into(&mut self, checkpoint: CheckpointId, task: &mut PendingTaskState) -> Result<(), JobError> {
        let mut writer = if task.stores_state() {
            OperatorStateWriter::new(checkpoint)
        } else {
            OperatorStateWriter::committables_only()
        };
        let op = &mut self.operator;
        guard(&self.location, || op.snapshot_state(&mut writer))?;
        task.push_operator(&self.operator_id, writer);
        Ok(())
    }

    fn call(&mut self, f: impl FnOnce(&mut O, &mut Emitter<O::Out>) -> Result<(), BoxError>) -> Result<(), JobError> {
        let (op, em) = (&mut self.operator, &mut self.emitter);
        guard(&self.location, || f(op, em))?;
        self.emitter.drain_into(self.downstream.as_mut())
    }
}

/// Runs user code, turning its error or panic into a located [`JobError`].
pub(crate) fn guard(location: &Location, f: impl FnOnce() -> Result<(), BoxError>) -> Result<(), JobError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(match e.downcast::<JobError>() {
            Ok(job_error) => *job_error,
            Err(e) => JobError::Operator { location: location.clone(), source: e },
        }),
        Err(payload) => Err(JobError::Panic { location: location.clone(), message: panic_message(payload.as_ref()) }),
    }
}

impl<O: Operator> Output<O::In> for Chained<O> {
    fn push(&mut self, batch: &mut Vec<StreamRecord<O::In>>) -> Result<(), JobError> {
        let result = self.call(|op, em| op.process(batch, em));
        batch.clear();
        result
    }

    fn watermark(&mut self, watermark: Watermark) -> Result<(), JobError> {
        self.call(|op, em| op.on_watermark(watermark, em))
    }

    fn watermark_status(&mut self, status: WatermarkStatus) -> Result<(), JobError> {
        self.call(|op, em| op.on_watermark_status(status, em))
    }

    fn flush(&mut self) -> Result<(), JobError> {
        self.emitter.flush_into(self.downstream.as_mut())
    }

    fn end_of_input(&mut self) -> Result<(), JobError> {
        if !self.finished_on_restore {
            self.call(|op, em| op.finish(em))?;
        }
        self.emitter.end_into(self.downstream.as_mut())
    }

    fn barrier(&mut self, barrier: CheckpointBarrier, task: &mut PendingTaskState) -> Result<(), JobError> {
        self.snapshot_into(barrier.id, task)?;
        self.emitter.drain_into(self.downstream.as_mut())?;
        self.emitter.barrier_sides(barrier, task)?;
        self.downstream.barrier(barrier, task)
    }

    fn snapshot_finished(&mut self, task: &mut PendingTaskState) -> Result<(), JobError> {
        self.snapshot_into(CheckpointId::FINAL, task)?;
        self.emitter.snapshot_finished_sides(task)?;
        self.downstream.snapshot_finished(task)
    }

    fn notify_checkpoint(&mut self, checkpoint: CheckpointId, complete: bool) -> Result<(), JobError> {
        let op = &mut self.operator;
        guard(&self.location, || {
            if complete {
                op.notify_checkpoint_complete(checkpoint)
            } else {
                op.notify_checkpoint_aborted(checkpoint)
            }
        })?;
        self.emitter.drain_into(self.downstream.as_mut())?;
        self.emitter.notify_sides(checkpoint, complete)?;
        self.downstream.notify_checkpoint(checkpoint, complete)
    }

    fn next_timer(&mut self) -> Option<i64> {
        let own = self.operator.next_processing_timer();
        earliest(own, self.emitter.next_timer_of(self.downstream.as_mut()))
    }

    fn fire_timers(&mut self, now_ms: i64) -> Result<(), JobError> {
        if self.operator.next_processing_timer().is_some_and(|t| t <= now_ms) {
            self.call(|op, em| op.on_processing_time(now_ms, em))?;
        }
        self.emitter.fire_timers_of(self.downstream.as_mut(), now_ms)
    }
}
