//! Runs a [`BroadcastProcessFunction`]: the second input is the broadcast stream.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;

use weir_core::{Either, StreamRecord};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use crate::functions::{BroadcastContext, BroadcastProcessFunction, Collector, ReadOnlyBroadcastContext};

/// Holds this subtask's copy of the broadcast state.
pub struct BroadcastProcessOperator<I, B, O, K, V, P> {
    function: P,
    state: HashMap<K, V>,
    _t: PhantomData<fn(I, B) -> O>,
}

impl<I, B, O, K, V, P> BroadcastProcessOperator<I, B, O, K, V, P> {
    /// Runs `function` with empty broadcast state.
    pub fn new(function: P) -> Self {
        BroadcastProcessOperator { function, state: HashMap::new(), _t: PhantomData }
    }
}

impl<I, B, O, K, V, P> Operator for BroadcastProcessOperator<I, B, O, K, V, P>
where
    I: Send + 'static,
    B: Send + 'static,
    O: Send + 'static,
    K: Hash + Eq + Send + 'static,
    V: Send + 'static,
    P: BroadcastProcessFunction<I, B, O, K, V>,
{
    type In = Either<I, B>;
    type Out = O;

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.function.open(subtask)
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Either<I, B>>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        let records = out.records();
        for r in batch.drain(..) {
            let timestamp = r.timestamp();
            let mut c = Collector::new(records, r.timestamp);
            match r.value {
                Either::Left(v) => {
                    let ctx = ReadOnlyBroadcastContext { state: &self.state, timestamp };
                    self.function.process_element(v, &ctx, &mut c)?
                }
                Either::Right(b) => {
                    let mut ctx = BroadcastContext { state: &mut self.state, timestamp };
                    self.function.process_broadcast_element(b, &mut ctx, &mut c)?
                }
            }
        }
        Ok(())
    }
}
