//! [`ReducingState`]: one value per key that every added value is folded into with a
//! reduce function (Flink's `ReducingState`).

use std::fmt;
use std::sync::Arc;

use crate::cell::ValueCell;
use crate::ttl::StateTtlConfig;
use crate::{AsBackendRef, Key, KeyedStateContext, StateError, StateKind, StateValue};

type ReduceFn<T> = Arc<dyn Fn(T, T) -> T + Send + Sync>;

/// Declares a [`ReducingState`]: its name, its reduce function and, optionally, a TTL.
///
/// # Example
/// ```
/// use weir_state::ReducingStateDescriptor;
/// let sum = ReducingStateDescriptor::new("sum", |a: u64, b: u64| a + b);
/// assert_eq!(sum.name(), "sum");
/// ```
pub struct ReducingStateDescriptor<T> {
    name: String,
    reduce: ReduceFn<T>,
    ttl: Option<StateTtlConfig>,
}

impl<T> Clone for ReducingStateDescriptor<T> {
    fn clone(&self) -> Self {
        ReducingStateDescriptor { name: self.name.clone(), reduce: self.reduce.clone(), ttl: self.ttl }
    }
}

impl<T> fmt::Debug for ReducingStateDescriptor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReducingStateDescriptor").field("name", &self.name).field("ttl", &self.ttl).finish()
    }
}

impl<T: StateValue> ReducingStateDescriptor<T> {
    /// A descriptor for the state `name` (unique within the operator) that combines the
    /// stored value with an added one as `reduce(stored, added)`.
    pub fn new(name: impl Into<String>, reduce: impl Fn(T, T) -> T + Send + Sync + 'static) -> Self {
        ReducingStateDescriptor { name: name.into(), reduce: Arc::new(reduce), ttl: None }
    }

    /// The state's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Gives the state a time-to-live: see [`crate::ttl`].
    pub fn with_ttl(mut self, ttl: StateTtlConfig) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Declares the state in `backend`.
    ///
    /// # Errors
    /// When the name is taken by a state of another kind or type.
    pub fn declare<K: Key>(&self, backend: &mut impl AsBackendRef<K>) -> Result<ReducingState<T>, StateError> {
        Ok(ReducingState {
            cell: ValueCell::declare(backend.backend_ref(), &self.name, StateKind::Reducing, self.ttl)?,
            reduce: self.reduce.clone(),
        })
    }
}

/// The current key's values folded into one (Flink's `ReducingState`). Cheap to clone
/// (an id and a shared function).
///
/// # Example
/// ```
/// use weir_core::KeyGroupRange;
/// use weir_state::{BackendRef, HeapKeyedStateBackend, KeyedStateContext, ReducingStateDescriptor};
/// struct Ctx { backend: HeapKeyedStateBackend<u32>, key: u32 }
/// impl KeyedStateContext<u32> for Ctx {
///     fn state_parts(&mut self) -> (BackendRef<'_, u32>, &u32, usize) {
///         (BackendRef::Heap(&mut self.backend), &self.key, 0)
///     }
/// }
/// let mut ctx = Ctx { backend: HeapKeyedStateBackend::new(KeyGroupRange::for_operator(128, 1, 0)), key: 1 };
/// let max = ReducingStateDescriptor::new("max", |a: i32, b: i32| a.max(b)).declare(&mut ctx.backend).unwrap();
/// assert_eq!(max.get(&mut ctx).unwrap(), None);
/// for v in [3, 9, 4] {
///     max.add(&mut ctx, v).unwrap();
/// }
/// assert_eq!(max.get(&mut ctx).unwrap(), Some(9));
/// max.clear(&mut ctx).unwrap();
/// assert_eq!(max.get(&mut ctx).unwrap(), None);
/// ```
pub struct ReducingState<T> {
    cell: ValueCell<T>,
    reduce: ReduceFn<T>,
}

impl<T> Clone for ReducingState<T> {
    fn clone(&self) -> Self {
        ReducingState { cell: self.cell, reduce: self.reduce.clone() }
    }
}

impl<T> fmt::Debug for ReducingState<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReducingState").field("cell", &self.cell).finish_non_exhaustive()
    }
}

impl<T: StateValue> ReducingState<T> {
    /// The current key's reduced value, if any value was added.
    ///
    /// # Errors
    /// [`StateError::NoProcessingTime`] for a TTL state behind a context without time.
    pub fn get<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<Option<T>, StateError> {
        self.cell.get(ctx)
    }

    /// Folds `value` into the current key's value (or stores it, if there is none).
    ///
    /// # Errors
    /// As [`Self::get`].
    pub fn add<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, value: T) -> Result<(), StateError> {
        let next = match self.cell.get(ctx)? {
            Some(stored) => (self.reduce)(stored, value),
            None => value,
        };
        self.cell.set(ctx, next)
    }

    /// Removes the current key's value.
    ///
    /// # Errors
    /// As [`Self::get`].
    pub fn clear<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<(), StateError> {
        self.cell.clear(ctx)
    }
}

#[cfg(test)]
mod tests {
    use weir_core::KeyGroupRange;

    use super::*;
    use crate::{AggregateFunction, AggregatingStateDescriptor, BackendRef, HeapKeyedStateBackend};

    struct Ctx {
        backend: HeapKeyedStateBackend<u32>,
        key: u32,
    }

    impl KeyedStateContext<u32> for Ctx {
        fn state_parts(&mut self) -> (BackendRef<'_, u32>, &u32, usize) {
            let kg = weir_core::key_group::assign_to_key_group(&self.key, 128);
            (BackendRef::Heap(&mut self.backend), &self.key, kg)
        }
    }

    #[derive(Clone)]
    struct Distinct;
    impl AggregateFunction<String> for Distinct {
        type Acc = std::collections::BTreeSet<String>;
        type Out = usize;
        fn create_accumulator(&self) -> Self::Acc {
            Default::default()
        }
        fn add(&self, v: String, acc: &mut Self::Acc) {
            acc.insert(v);
        }
        fn get_result(&self, acc: &Self::Acc) -> usize {
            acc.len()
        }
        fn merge(&self, mut a: Self::Acc, b: Self::Acc) -> Self::Acc {
            a.extend(b);
            a
        }
    }

    #[test]
    fn reducing_and_aggregating_are_per_key_and_survive_snapshots() {
        let mut c = Ctx { backend: HeapKeyedStateBackend::new(KeyGroupRange::for_operator(128, 1, 0)), key: 0 };
        let sum = ReducingStateDescriptor::new("sum", |a: i64, b: i64| a + b).declare(&mut c.backend).unwrap();
        let distinct = AggregatingStateDescriptor::new("distinct", Distinct).declare(&mut c.backend).unwrap();
        // (key, value added) → expected (sum, distinct count) of that key afterwards.
        let steps = [(1, 5, (5, 1)), (2, 7, (7, 1)), (1, -2, (3, 2)), (1, 5, (8, 2)), (2, 7, (14, 1))];
        for (key, v, expected) in steps {
            c.key = key;
            sum.add(&mut c, v).unwrap();
            distinct.add(&mut c, v.to_string()).unwrap();
            assert_eq!((sum.get(&mut c).unwrap(), distinct.get(&mut c).unwrap()), (Some(expected.0), Some(expected.1)));
        }
        assert!(ReducingStateDescriptor::new("distinct", |a: i64, _| a).declare(&mut c.backend).is_err());
        let snapshot = c.backend.snapshot().unwrap();
        let mut restored = Ctx { backend: HeapKeyedStateBackend::new(KeyGroupRange::for_operator(128, 2, 0)), key: 1 };
        let mut other = Ctx { backend: HeapKeyedStateBackend::new(KeyGroupRange::for_operator(128, 2, 1)), key: 1 };
        for ctx in [&mut restored, &mut other] {
            let s = ReducingStateDescriptor::new("sum", |a: i64, b: i64| a + b).declare(&mut ctx.backend).unwrap();
            AggregatingStateDescriptor::new("distinct", Distinct).declare(&mut ctx.backend).unwrap();
            ctx.backend.restore(std::slice::from_ref(&snapshot)).unwrap();
            let owner = ctx.backend.key_group_range().contains(weir_core::key_group::assign_to_key_group(&1u32, 128));
            if owner {
                assert_eq!(s.get(ctx).unwrap(), Some(8));
            } else {
                let range = ctx.backend.key_group_range();
                assert!(ctx.backend.snapshot().unwrap().key_groups.iter().all(|kg| range.contains(kg.key_group)));
            }
        }
        c.key = 1;
        sum.clear(&mut c).unwrap();
        distinct.clear(&mut c).unwrap();
        assert_eq!((sum.get(&mut c).unwrap(), distinct.get(&mut c).unwrap()), (None, None));
    }
}
