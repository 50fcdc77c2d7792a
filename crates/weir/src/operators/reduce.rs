//! Keyed rolling reduce: `reduce`, `sum`, `min`, `max`, `min_by`, `max_by`.
//!
//! The accumulated values are keyed state; checkpoints write them by key group, so a
//! job resumes with them at any parallelism.

use weir_core::key_group::assign_to_key_group;
use weir_core::StreamRecord;
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};
use weir_state::{HeapKeyedStateBackend, Key, StateId, StateKind, StateValue};

use super::key_group_blobs::{decode_backends, snapshot_backend, KEYED_STATE};

/// Keeps one accumulated value per key and emits it after every record (Flink's
/// `StreamGroupedReduceOperator`): the first record of a key is emitted as it is, each
/// later one as `reduce(accumulated, record)`.
pub struct ReduceOperator<K, T, KS, R> {
    key_of: KS,
    reduce: R,
    backend: HeapKeyedStateBackend<K>,
    state: StateId,
    max_parallelism: usize,
    _t: std::marker::PhantomData<fn(T)>,
}

impl<K: Key, T: StateValue, KS, R> ReduceOperator<K, T, KS, R> {
    /// Reduces with `reduce` per key of `key_of`, as `subtask`.
    pub fn new(key_of: KS, reduce: R, subtask: &SubtaskInfo) -> Self {
        let mut backend = HeapKeyedStateBackend::new(subtask.key_group_range());
        let state = backend
            .register::<Option<T>>("_reduce", StateKind::Value)
            .expect("a fresh backend has no conflicting state");
        ReduceOperator {
            key_of,
            reduce,
            backend,
            state,
            max_parallelism: subtask.max_parallelism,
            _t: std::marker::PhantomData,
        }
    }
}

impl<K, T, KS, R> Operator for ReduceOperator<K, T, KS, R>
where
    K: Key,
    T: StateValue,
    KS: Fn(&T) -> K + Send + 'static,
    R: FnMut(T, T) -> T + Send + 'static,
{
    type In = T;
    type Out = T;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        // The one state is declared when the operator is made, so it restores at once.
        Ok(self.backend.restore(&decode_backends(state.keyed(KEYED_STATE))?)?)
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        snapshot_backend(&mut self.backend, state);
        Ok(())
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, out: &mut Emitter<T>) -> Result<(), BoxError> {
        let table = self.backend.table_mut::<Option<T>>(self.state);
        let records = out.records();
        for r in batch.drain(..) {
            let key = (self.key_of)(&r.value);
            let key_group = assign_to_key_group(&key, self.max_parallelism);
            let slot = table.get_or_insert_with(key_group, &key, || None);
            let next = match slot.take() {
                Some(acc) => (self.reduce)(acc, r.value),
                None => r.value,
            };
            records.push(StreamRecord { value: next.clone(), timestamp: r.timestamp });
            *slot = Some(next);
        }
        Ok(())
    }
}
