//! [`ByBackend`]: a window operator built for the job's keyed-state backend — its heap
//! variant or its embedded one — as one operator type.
//!
//! The choice is made once per subtask, when the operator is built; afterwards each call
//! is one branch on a two-variant tag, per batch (never per record), and each variant is
//! compiled on its own, so the heap variant runs exactly as it would alone.

use weir_core::{CheckpointId, StreamRecord, Watermark, WatermarkStatus};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

/// The heap variant `H` or the embedded variant `E` of an operator.
pub enum ByBackend<H, E> {
    /// State on the heap (`state.backend.type = hashmap`).
    Heap(H),
    /// State in the embedded backend (`state.backend.type = embedded`).
    Embedded(E),
}

macro_rules! either {
    ($self:ident, $op:ident => $e:expr) => {
        match $self {
            ByBackend::Heap($op) => $e,
            ByBackend::Embedded($op) => $e,
        }
    };
}

impl<I, O, H, E> Operator for ByBackend<H, E>
where
    I: Send + 'static,
    O: Send + 'static,
    H: Operator<In = I, Out = O>,
    E: Operator<In = I, Out = O>,
{
    type In = I;
    type Out = O;

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        either!(self, op => op.open(subtask))
    }

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        either!(self, op => op.initialize_state(state))
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        either!(self, op => op.snapshot_state(state))
    }

    fn notify_checkpoint_complete(&mut self, checkpoint: CheckpointId) -> Result<(), BoxError> {
        either!(self, op => op.notify_checkpoint_complete(checkpoint))
    }

    fn notify_checkpoint_aborted(&mut self, checkpoint: CheckpointId) -> Result<(), BoxError> {
        either!(self, op => op.notify_checkpoint_aborted(checkpoint))
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<I>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        either!(self, op => op.process(batch, out))
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<O>) -> Result<(), BoxError> {
        either!(self, op => op.on_watermark(watermark, out))
    }

    fn on_watermark_status(&mut self, status: WatermarkStatus, out: &mut Emitter<O>) -> Result<(), BoxError> {
        either!(self, op => op.on_watermark_status(status, out))
    }

    fn finish(&mut self, out: &mut Emitter<O>) -> Result<(), BoxError> {
        either!(self, op => op.finish(out))
    }

    fn next_processing_timer(&mut self) -> Option<i64> {
        either!(self, op => op.next_processing_timer())
    }

    fn on_processing_time(&mut self, now_ms: i64, out: &mut Emitter<O>) -> Result<(), BoxError> {
        either!(self, op => op.on_processing_time(now_ms, out))
    }
}
