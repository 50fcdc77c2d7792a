//! Operator chaining: an operator wrapped as the [`Output`] of its predecessor, so that
//! chained operators call each other directly — no queue, no copy.

use std::panic::{catch_unwind, AssertUnwindSafe};

use weir_core::{StreamRecord, Watermark, WatermarkStatus};

use crate::error::panic_message;
use crate::operator::{Emitter, Operator};
use crate::output::{earliest, Output};
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
}

impl<O: Operator> Chained<O> {
    /// Chains `operator` in front of `downstream`. `emitter` carries its side outputs.
    pub fn new(operator: O, emitter: Emitter<O::Out>, downstream: Box<dyn Output<O::Out>>, location: Location) -> Self {
        Chained { operator, emitter, downstream, location }
    }

    /// Opens the operator.
    ///
    /// # Errors
    /// The operator's failure, located.
    pub fn open(&mut self, subtask: &crate::SubtaskInfo) -> Result<(), JobError> {
        let op = &mut self.operator;
        guard(&self.location, || op.open(subtask))
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
        self.call(|op, em| op.finish(em))?;
        self.emitter.end_into(self.downstream.as_mut())
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
