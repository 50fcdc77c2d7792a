//! Runs a sink writer as the last operator of a chain.

use weir_core::{StreamRecord, Watermark};
use weir_runtime::{BoxError, Emitter, Operator, SinkWriter};

/// Hands batches to a [`SinkWriter`]; flushes it at the end of input.
pub struct SinkOperator<T, W> {
    writer: W,
    _t: std::marker::PhantomData<fn(T)>,
}

impl<T, W> SinkOperator<T, W> {
    /// Writes with `writer`.
    pub fn new(writer: W) -> Self {
        SinkOperator { writer, _t: std::marker::PhantomData }
    }
}

impl<T: Send + 'static, W: SinkWriter<T>> Operator for SinkOperator<T, W> {
    type In = T;
    type Out = ();

    #[inline]
    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, _out: &mut Emitter<()>) -> Result<(), BoxError> {
        self.writer.write(batch)
    }

    fn on_watermark(&mut self, watermark: Watermark, _out: &mut Emitter<()>) -> Result<(), BoxError> {
        self.writer.on_watermark(watermark)
    }

    fn finish(&mut self, _out: &mut Emitter<()>) -> Result<(), BoxError> {
        self.writer.flush(true)
    }
}
