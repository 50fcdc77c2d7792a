//! Runs a [`BroadcastProcessFunction`]: the second input is the broadcast stream.
//!
//! Checkpoints write the broadcast state as union list state, as Flink does: every
//! subtask writes its copy, and on restore every subtask — at any parallelism — receives
//! all copies, in the order of the old subtasks, and subtask `j` takes the copy of old
//! subtask `j % old parallelism`, as Flink does. After an aligned checkpoint the copies are
//! equal (every subtask saw every broadcast record before the barrier); after an
//! unaligned one they differ by the broadcast records each still had in flight, which the
//! restore replays from that same old subtask
//! (`weir_runtime::in_flight::redistribution`), so each copy sees each record once.

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
    /// The restored copies of every old subtask, until `open` knows which is this one's.
    copies: Vec<Vec<u8>>,
    _t: PhantomData<fn(I, B) -> O>,
}

impl<I, B, O, K, V, P> BroadcastProcessOperator<I, B, O, K, V, P> {
    /// Runs `function` with empty broadcast state.
    pub fn new(function: P) -> Self {
        BroadcastProcessOperator { function, state: HashMap::new(), copies: Vec::new(), _t: PhantomData }
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
        self.copies = state.list(BROADCAST_STATE).to_vec();
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        let entries: Vec<(&K, &V)> = self.state.iter().collect();
        state.union(BROADCAST_STATE, vec![bincode::serialize(&entries)?]);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        let copies = std::mem::take(&mut self.copies);
        if !copies.is_empty() {
            let copy = &copies[subtask.index % copies.len()];
            let entries: Vec<(K, V)> = bincode::deserialize(copy)
                .map_err(|e| format!("broadcast state in the checkpoint does not decode: {e}"))?;
            self.state = entries.into_iter().collect();
        }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Emits nothing: the test looks at the restored state only.
    struct Nothing;

    impl BroadcastProcessFunction<u8, u8, u8, String, u32> for Nothing {
        fn process_element(
            &mut self,
            _: u8,
            _: &ReadOnlyBroadcastContext<'_, String, u32>,
            _: &mut Collector<'_, u8>,
        ) -> Result<(), BoxError> {
            Ok(())
        }
        fn process_broadcast_element(
            &mut self,
            _: u8,
            _: &mut BroadcastContext<'_, String, u32>,
            _: &mut Collector<'_, u8>,
        ) -> Result<(), BoxError> {
            Ok(())
        }
    }

    #[test]
    fn each_subtask_restores_the_copy_of_its_old_counterpart() {
        // Two old subtasks whose copies differ (an unaligned checkpoint: old subtask 1 had
        // not yet processed "b").
        let copy = |entries: &[(&str, u32)]| {
            let entries: Vec<(String, u32)> = entries.iter().map(|(k, v)| (k.to_string(), *v)).collect();
            bincode::serialize(&entries).unwrap()
        };
        let copies = vec![copy(&[("a", 1), ("b", 2)]), copy(&[("a", 1)])];
        let reader = OperatorStateReader::new(BTreeMap::from([(BROADCAST_STATE.to_string(), copies)]));
        for (index, want) in [(0, 2), (1, 1), (2, 2)] {
            let mut op = BroadcastProcessOperator::<u8, u8, u8, String, u32, _>::new(Nothing);
            op.initialize_state(&reader).unwrap();
            let subtask = SubtaskInfo { name: "b".into(), index, parallelism: 3, max_parallelism: 128 };
            op.open(&subtask).unwrap();
            assert_eq!(op.state.len(), want, "subtask {index} of 3 restores old subtask {}'s copy", index % 2);
        }
    }
}
