//! Runs a [`BroadcastProcessFunction`]: the second input is the broadcast stream.
//!
//! Checkpoints write the broadcast state as union list state, as Flink does: every
//! subtask writes its copy, and on restore every subtask — at any parallelism — receives
//! all copies and takes the first (they are equal: every subtask saw every broadcast
//! record).

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;
use weir_core::{Either, StreamRecord};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
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

/// The checkpoint entry holding the broadcast state.
const BROADCAST_STATE: &str = "broadcast-state";

impl<I, B, O, K, V, P> Operator for BroadcastProcessOperator<I, B, O, K, V, P>
where
    I: Send + 'static,
    B: Send + 'static,
    O: Send + 'static,
    K: Hash + Eq + Send + Serialize + DeserializeOwned + 'static,
    V: Send + Serialize + DeserializeOwned + 'static,
    P: BroadcastProcessFunction<I, B, O, K, V>,
{
    type In = Either<I, B>;
    type Out = O;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        if let Some(copy) = state.list(BROADCAST_STATE).first() {
            let entries: Vec<(K, V)> = bincode::deserialize(copy)
                .map_err(|e| format!("broadcast state in the checkpoint does not decode: {e}"))?;
            self.state = entries.into_iter().collect();
        }
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        let entries: Vec<(&K, &V)> = self.state.iter().collect();
        state.union(BROADCAST_STATE, vec![bincode::serialize(&entries)?]);
        Ok(())
    }

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
