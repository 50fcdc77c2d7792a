//! `flat_map`: any number of outputs per input.

use std::marker::PhantomData;

use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use crate::functions::Collector;

/// Calls `f(value, collector)` for every record; outputs carry the input's timestamp.
pub struct FlatMapOperator<I, O, F> {
    f: F,
    _t: PhantomData<fn(I) -> O>,
}

impl<I, O, F> FlatMapOperator<I, O, F> {
    /// Flat-maps with `f`.
    pub fn new(f: F) -> Self {
        FlatMapOperator { f, _t: PhantomData }
    }
}

impl<I, O, F> Operator for FlatMapOperator<I, O, F>
where
    I: Send + 'static,
    O: Send + 'static,
    F: FnMut(I, &mut Collector<'_, O>) + Send + 'static,
{
    type In = I;
    type Out = O;

    #[inline]
    fn process(&mut self, batch: &mut Vec<StreamRecord<I>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        let records = out.records();
        for r in batch.drain(..) {
            (self.f)(r.value, &mut Collector::new(records, r.timestamp));
        }
        Ok(())
    }
}
