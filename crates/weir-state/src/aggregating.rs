//! [`AggregatingState`]: one accumulator per key that added values are folded into by an
//! [`AggregateFunction`]; reading gives the accumulator's result (Flink's
//! `AggregatingState`).

use std::fmt;
use std::marker::PhantomData;

use crate::cell::ValueCell;
use crate::ttl::StateTtlConfig;
use crate::{AsBackendRef, Key, KeyedStateContext, StateError, StateKind, StateValue};

/// Aggregates values one at a time into an accumulator, and the accumulator into a result
/// (Flink's `AggregateFunction`; the same shape as the window `AggregateFunction` of the
/// `weir` crate).
///
/// # Contract
/// `create_accumulator` starts a key's accumulator; `add` folds one value in;
/// `get_result` reads the result (possibly many times); `merge` combines two
/// accumulators and must agree with `add`.
///
/// # Example
/// ```
/// use weir_state::AggregateFunction;
/// #[derive(Clone)]
/// struct Average;
/// impl AggregateFunction<f64> for Average {
///     type Acc = (f64, u32);
///     type Out = f64;
///     fn create_accumulator(&self) -> (f64, u32) { (0.0, 0) }
///     fn add(&self, v: f64, acc: &mut (f64, u32)) { acc.0 += v; acc.1 += 1; }
///     fn get_result(&self, acc: &(f64, u32)) -> f64 { acc.0 / acc.1 as f64 }
///     fn merge(&self, a: (f64, u32), b: (f64, u32)) -> (f64, u32) { (a.0 + b.0, a.1 + b.1) }
/// }
/// let mut acc = Average.create_accumulator();
/// Average.add(1.0, &mut acc);
/// Average.add(3.0, &mut acc);
/// assert_eq!(Average.get_result(&acc), 2.0);
/// ```
pub trait AggregateFunction<IN>: Clone + Send + Sync + 'static {
    /// The accumulator.
    type Acc: Clone + Send + 'static;
    /// The result.
    type Out: Send + 'static;

    /// A new, empty accumulator.
    fn create_accumulator(&self) -> Self::Acc;

    /// Adds `value` to `acc`.
    fn add(&self, value: IN, acc: &mut Self::Acc);

    /// The result of `acc`.
    fn get_result(&self, acc: &Self::Acc) -> Self::Out;

    /// Combines two accumulators.
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
}

/// Declares an [`AggregatingState`] of values `IN` aggregated by `F`.
#[derive(Clone)]
pub struct AggregatingStateDescriptor<IN, F> {
    name: String,
    function: F,
    ttl: Option<StateTtlConfig>,
    _in: PhantomData<fn(IN)>,
}

impl<IN, F> fmt::Debug for AggregatingStateDescriptor<IN, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AggregatingStateDescriptor").field("name", &self.name).field("ttl", &self.ttl).finish()
    }
}

impl<IN, F: AggregateFunction<IN>> AggregatingStateDescriptor<IN, F>
where
    F::Acc: StateValue,
{
    /// A descriptor for the state `name` (unique within the operator), aggregated by
    /// `function`.
    pub fn new(name: impl Into<String>, function: F) -> Self {
        AggregatingStateDescriptor { name: name.into(), function, ttl: None, _in: PhantomData }
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

    /// Declares the state in `backend` (its per-key value is the accumulator).
    ///
    /// # Errors
    /// When the name is taken by a state of another kind or type.
    pub fn declare<K: Key>(&self, backend: &mut impl AsBackendRef<K>) -> Result<AggregatingState<IN, F>, StateError> {
        Ok(AggregatingState {
            cell: ValueCell::declare(backend.backend_ref(), &self.name, StateKind::Aggregating, self.ttl)?,
            function: self.function.clone(),
            _in: PhantomData,
        })
    }
}

/// The current key's values aggregated into one accumulator (Flink's
/// `AggregatingState`).
///
/// # Example
/// ```
/// use weir_core::KeyGroupRange;
/// use weir_state::{AggregateFunction, AggregatingStateDescriptor, BackendRef, HeapKeyedStateBackend, KeyedStateContext};
/// #[derive(Clone)]
/// struct Average;
/// impl AggregateFunction<f64> for Average {
///     type Acc = (f64, u32);
///     type Out = f64;
///     fn create_accumulator(&self) -> (f64, u32) { (0.0, 0) }
///     fn add(&self, v: f64, acc: &mut (f64, u32)) { acc.0 += v; acc.1 += 1; }
///     fn get_result(&self, acc: &(f64, u32)) -> f64 { acc.0 / acc.1 as f64 }
///     fn merge(&self, a: (f64, u32), b: (f64, u32)) -> (f64, u32) { (a.0 + b.0, a.1 + b.1) }
/// }
/// struct Ctx { backend: HeapKeyedStateBackend<u32>, key: u32 }
/// impl KeyedStateContext<u32> for Ctx {
///     fn state_parts(&mut self) -> (BackendRef<'_, u32>, &u32, usize) {
///         (BackendRef::Heap(&mut self.backend), &self.key, 0)
///     }
/// }
/// let mut ctx = Ctx { backend: HeapKeyedStateBackend::new(KeyGroupRange::for_operator(128, 1, 0)), key: 7 };
/// let avg = AggregatingStateDescriptor::new("avg", Average).declare(&mut ctx.backend).unwrap();
/// avg.add(&mut ctx, 1.0).unwrap();
/// avg.add(&mut ctx, 5.0).unwrap();
/// assert_eq!(avg.get(&mut ctx).unwrap(), Some(3.0));
/// ```
pub struct AggregatingState<IN, F: AggregateFunction<IN>> {
    cell: ValueCell<F::Acc>,
    function: F,
    _in: PhantomData<fn(IN)>,
}

impl<IN, F: AggregateFunction<IN>> Clone for AggregatingState<IN, F> {
    fn clone(&self) -> Self {
        AggregatingState { cell: self.cell, function: self.function.clone(), _in: PhantomData }
    }
}

impl<IN, F: AggregateFunction<IN>> fmt::Debug for AggregatingState<IN, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AggregatingState").field("cell", &self.cell).finish_non_exhaustive()
    }
}

impl<IN, F: AggregateFunction<IN>> AggregatingState<IN, F>
where
    F::Acc: StateValue,
{
    /// The result of the current key's accumulator, if any value was added.
    ///
    /// # Errors
    /// [`StateError::NoProcessingTime`] for a TTL state behind a context without time.
    pub fn get<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<Option<F::Out>, StateError> {
        Ok(self.cell.get(ctx)?.map(|acc| self.function.get_result(&acc)))
    }

    /// Adds `value` to the current key's accumulator (created first if missing).
    ///
    /// # Errors
    /// As [`Self::get`].
    pub fn add<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, value: IN) -> Result<(), StateError> {
        let mut acc = self.cell.get(ctx)?.unwrap_or_else(|| self.function.create_accumulator());
        self.function.add(value, &mut acc);
        self.cell.set(ctx, acc)
    }

    /// Removes the current key's accumulator.
    ///
    /// # Errors
    /// As [`Self::get`].
    pub fn clear<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<(), StateError> {
        self.cell.clear(ctx)
    }
}
