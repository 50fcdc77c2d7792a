//! Runs a [`ProcessFunction`].

use std::marker::PhantomData;

use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use crate::functions::{Collector, Context, ProcessFunction};

/// Drives a [`ProcessFunction`] over each record.
pub struct ProcessOperator<I, O, P> {
    function: P,
    subtask: SubtaskInfo,
    _t: PhantomData<fn(I) -> O>,
}

impl<I, O, P> ProcessOperator<I, O, P> {
    /// Runs `function` as `subtask`.
    pub fn new(function: P, subtask: SubtaskInfo) -> Self {
        ProcessOperator { function, subtask, _t: PhantomData }
    }
}

impl<I, O, P> Operator for ProcessOperator<I, O, P>
where
    I: Send + 'static,
    O: Send + 'static,
    P: ProcessFunction<I, O>,
{
    type In = I;
    type Out = O;

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.function.open(subtask)
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<I>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        let (records, sides) = out.parts();
        for r in batch.drain(..) {
            let mut ctx = Context { timestamp: r.timestamp, sides, subtask: &self.subtask };
            self.function.process_element(r.value, &mut ctx, &mut Collector::new(records, r.timestamp))?;
        }
        Ok(())
    }
}
