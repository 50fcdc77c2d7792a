//! Runs a [`KeyedProcessFunction`] with the heap keyed-state backend.

use std::marker::PhantomData;

use weir_core::key_group::assign_to_key_group;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};
use weir_state::{HeapKeyedStateBackend, Key};

use crate::functions::{Collector, KeyedContext, KeyedProcessFunction, RuntimeContext};

/// Drives a [`KeyedProcessFunction`]: for each record, computes its key and key group
/// and hands the function a context scoped to that key.
pub struct KeyedProcessOperator<K, I, O, KS, P> {
    key_of: KS,
    function: P,
    backend: HeapKeyedStateBackend<K>,
    max_parallelism: usize,
    _t: PhantomData<fn(I) -> O>,
}

impl<K: Key, I, O, KS, P> KeyedProcessOperator<K, I, O, KS, P> {
    /// Runs `function` keyed by `key_of` as `subtask`.
    pub fn new(key_of: KS, function: P, subtask: &SubtaskInfo) -> Self {
        KeyedProcessOperator {
            key_of,
            function,
            backend: HeapKeyedStateBackend::new(subtask.key_group_range()),
            max_parallelism: subtask.max_parallelism,
            _t: PhantomData,
        }
    }
}

impl<K, I, O, KS, P> Operator for KeyedProcessOperator<K, I, O, KS, P>
where
    K: Key,
    I: Send + 'static,
    O: Send + 'static,
    KS: Fn(&I) -> K + Send + 'static,
    P: KeyedProcessFunction<K, I, O>,
{
    type In = I;
    type Out = O;

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.function.open(&mut RuntimeContext { subtask, backend: &mut self.backend })
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<I>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        let (records, sides) = out.parts();
        for r in batch.drain(..) {
            let key = (self.key_of)(&r.value);
            let key_group = assign_to_key_group(&key, self.max_parallelism);
            self.backend.check_key_group(key_group)?;
            let mut ctx =
                KeyedContext { key: &key, key_group, backend: &mut self.backend, timestamp: r.timestamp, sides };
            self.function.process_element(r.value, &mut ctx, &mut Collector::new(records, r.timestamp))?;
        }
        Ok(())
    }
}
