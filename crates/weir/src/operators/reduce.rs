//! Keyed rolling reduce: `reduce`, `sum`, `min`, `max`, `min_by`, `max_by`.
//!
//! The accumulated values are keyed state, in the backend the job configures: on the
//! heap, updated in place, or in the embedded backend (one read and one write per
//! record), for more keys than memory holds. Checkpoints write them by key group — the
//! embedded backend's key group by key group through its cut, incrementally when
//! configured — in the same snapshot format either way, so a job resumes with them at
//! any parallelism, on either backend. A restore reads only the subtask's own key groups,
//! one at a time, so the embedded backend restores more values than memory holds.

use weir_core::key_group::assign_to_key_group;
use weir_core::StreamRecord;
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};
use weir_state::{Key, KeyedStateBackend, StateBackend, StateBackendConfig, StateId, StateKind, StateValue};

use super::key_group_blobs::{restore_backend, snapshot_backend, KEYED_STATE};

/// Keeps one accumulated value per key and emits it after every record (Flink's
/// `StreamGroupedReduceOperator`): the first record of a key is emitted as it is, each
/// later one as `reduce(accumulated, record)`.
pub struct ReduceOperator<K, T, KS, R> {
    key_of: KS,
    reduce: R,
    backend: StateBackend<K>,
    state: StateId,
    max_parallelism: usize,
    /// `execution.checkpointing.incremental` (embedded backend).
    incremental: bool,
    _t: std::marker::PhantomData<fn(T)>,
}

impl<K: Key, T: StateValue, KS, R> ReduceOperator<K, T, KS, R> {
    /// Reduces with `reduce` per key of `key_of`, as `subtask`, in the backend `config`
    /// describes.
    ///
    /// # Errors
    /// When the embedded backend cannot open its working directory.
    pub fn new(key_of: KS, reduce: R, subtask: &SubtaskInfo, config: &StateBackendConfig) -> Result<Self, BoxError> {
        let owner = format!("{}-{}", subtask.name, subtask.index);
        let mut backend = config.create(subtask.key_group_range(), &owner)?;
        let state = backend.register::<Option<T>>("_reduce", StateKind::Value)?;
        Ok(ReduceOperator {
            key_of,
            reduce,
            backend,
            state,
            max_parallelism: subtask.max_parallelism,
            incremental: config.incremental,
            _t: std::marker::PhantomData,
        })
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
        // The one state is declared when the operator is made, so it restores at once, one
        // key group at a time.
        restore_backend(&mut self.backend, &state.keyed_items(KEYED_STATE))
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        match &mut self.backend {
            StateBackend::Heap(backend) => snapshot_backend(backend, state),
            StateBackend::Embedded(backend) => state.keyed_cut(KEYED_STATE, backend.cut_key_groups(), self.incremental),
        }
        Ok(())
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, out: &mut Emitter<T>) -> Result<(), BoxError> {
        let records = out.records();
        match &mut self.backend {
            StateBackend::Heap(backend) => {
                let table = backend.table_mut::<Option<T>>(self.state);
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
            }
            StateBackend::Embedded(backend) => {
                let range = backend.key_group_range();
                for r in batch.drain(..) {
                    let key = (self.key_of)(&r.value);
                    let key_group = assign_to_key_group(&key, self.max_parallelism);
                    if !range.contains(key_group) {
                        return Err(format!("key group {key_group} is not this subtask's ({range:?})").into());
                    }
                    let next = match backend.get::<Option<T>>(self.state, key_group, &key)?.flatten() {
                        Some(acc) => (self.reduce)(acc, r.value),
                        None => r.value,
                    };
                    backend.put(self.state, key_group, &key, Some(next.clone()))?;
                    records.push(StreamRecord { value: next, timestamp: r.timestamp });
                }
            }
        }
        Ok(())
    }
}
