//! `map`: one output per input.

use std::marker::PhantomData;

use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

/// Applies `f` to every record, keeping its timestamp.
pub struct MapOperator<I, O, F> {
    f: F,
    _t: PhantomData<fn(I) -> O>,
}

impl<I, O, F> MapOperator<I, O, F> {
    /// Maps with `f`.
    pub fn new(f: F) -> Self {
        MapOperator { f, _t: PhantomData }
    }
}

impl<I, O, F> Operator for MapOperator<I, O, F>
where
    I: Send + 'static,
    O: Send + 'static,
    F: FnMut(I) -> O + Send + 'static,
{
    type In = I;
    type Out = O;

    #[inline]
    fn process(&mut self, batch: &mut Vec<StreamRecord<I>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        let f = &mut self.f;
        out.records().extend(batch.drain(..).map(|r| StreamRecord { value: f(r.value), timestamp: r.timestamp }));
        Ok(())
    }
}
