//! `filter`: keeps the records a predicate accepts.

use std::marker::PhantomData;

use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

/// Keeps records for which `f` is true. The batch is filtered in place and handed on
/// whole, so kept records are not even moved when the output buffer is empty.
pub struct FilterOperator<T, F> {
    f: F,
    _t: PhantomData<fn(T)>,
}

impl<T, F> FilterOperator<T, F> {
    /// Filters with `f`.
    pub fn new(f: F) -> Self {
        FilterOperator { f, _t: PhantomData }
    }
}

impl<T, F> Operator for FilterOperator<T, F>
where
    T: Send + 'static,
    F: FnMut(&T) -> bool + Send + 'static,
{
    type In = T;
    type Out = T;

    #[inline]
    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, out: &mut Emitter<T>) -> Result<(), BoxError> {
        let f = &mut self.f;
        batch.retain(|r| f(&r.value));
        out.emit_all(batch);
        Ok(())
    }
}
