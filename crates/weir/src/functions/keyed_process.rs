//! [`KeyedProcessFunction`]: per-record processing on a keyed stream, with keyed state.

use weir_core::record::NO_TIMESTAMP;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, SideOutputs, SubtaskInfo};
use weir_state::{
    HeapKeyedStateBackend, Key, KeyedStateContext, ListState, ListStateDescriptor, MapState, MapStateDescriptor,
    StateError, StateValue, ValueState, ValueStateDescriptor,
};

use crate::functions::Collector;
use crate::OutputTag;

/// Given to a keyed function's `open`: declares state (Flink's `RuntimeContext`).
pub struct RuntimeContext<'a, K> {
    pub(crate) subtask: &'a SubtaskInfo,
    pub(crate) backend: &'a mut HeapKeyedStateBackend<K>,
}

impl<K: Key> RuntimeContext<'_, K> {
    /// Declares a [`ValueState`].
    ///
    /// # Errors
    /// When the name is already declared with another kind or type.
    pub fn get_state<T: StateValue>(
        &mut self,
        descriptor: &ValueStateDescriptor<T>,
    ) -> Result<ValueState<T>, StateError> {
        descriptor.declare(self.backend)
    }

    /// Declares a [`ListState`].
    ///
    /// # Errors
    /// When the name is already declared with another kind or type.
    pub fn get_list_state<T: StateValue>(
        &mut self,
        descriptor: &ListStateDescriptor<T>,
    ) -> Result<ListState<T>, StateError> {
        descriptor.declare(self.backend)
    }

    /// Declares a [`MapState`].
    ///
    /// # Errors
    /// When the name is already declared with another kind or type.
    pub fn get_map_state<UK: StateValue + std::hash::Hash + Eq, UV: StateValue>(
        &mut self,
        descriptor: &MapStateDescriptor<UK, UV>,
    ) -> Result<MapState<UK, UV>, StateError> {
        descriptor.declare(self.backend)
    }

    /// The subtask running this function.
    pub fn subtask(&self) -> &SubtaskInfo {
        self.subtask
    }
}

/// What a keyed function knows about the record it processes: its key, its timestamp,
/// the key's state, side outputs.
pub struct KeyedContext<'a, K> {
    pub(crate) key: &'a K,
    pub(crate) key_group: usize,
    pub(crate) backend: &'a mut HeapKeyedStateBackend<K>,
    pub(crate) timestamp: i64,
    pub(crate) sides: &'a mut SideOutputs,
}

impl<K> KeyedContext<'_, K> {
    /// The key of the record being processed.
    pub fn current_key(&self) -> &K {
        self.key
    }

    /// The record's event-time timestamp, if it has one.
    pub fn timestamp(&self) -> Option<i64> {
        (self.timestamp != NO_TIMESTAMP).then_some(self.timestamp)
    }

    /// Emits `value` to the side output `tag`.
    pub fn output<X: 'static>(&mut self, tag: &OutputTag<X>, value: X) {
        if let Some(buffer) = self.sides.get::<X>(tag.id()) {
            buffer.push(StreamRecord { value, timestamp: self.timestamp });
        }
    }
}

impl<K> KeyedStateContext<K> for KeyedContext<'_, K> {
    fn state_parts(&mut self) -> (&mut HeapKeyedStateBackend<K>, &K, usize) {
        (self.backend, self.key, self.key_group)
    }
}

/// Processes each record of a keyed stream with the state of its key (Flink's
/// `KeyedProcessFunction`).
///
/// # Contract
/// One instance per parallel subtask; `open` declares state; `process_element` sees
/// records of many keys, the current one in `ctx`.
///
/// # Errors
/// An error fails the job, naming the operator and subtask.
///
/// # Example
/// ```
/// use weir::prelude::*;
/// /// Emits (key, running count) per record.
/// #[derive(Clone, Default)]
/// struct Count { n: Option<ValueState<u64>> }
/// impl KeyedProcessFunction<String, String, (String, u64)> for Count {
///     fn open(&mut self, ctx: &mut RuntimeContext<String>) -> Result<(), BoxError> {
///         self.n = Some(ctx.get_state(&ValueStateDescriptor::new("n"))?);
///         Ok(())
///     }
///     fn process_element(&mut self, v: String, ctx: &mut KeyedContext<String>,
///                        out: &mut Collector<(String, u64)>) -> Result<(), BoxError> {
///         let n = self.n.expect("opened");
///         let count = n.value(ctx)?.unwrap_or(0) + 1;
///         n.update(ctx, count)?;
///         out.collect((v, count));
///         Ok(())
///     }
/// }
/// let env = StreamExecutionEnvironment::new();
/// let words = vec!["a", "b", "a"].into_iter().map(String::from).collect();
/// let got = env.from_collection(words).key_by(|w: &String| w.clone()).process(Count::default()).collect();
/// env.execute("count").unwrap();
/// assert_eq!(got.take(), vec![("a".into(), 1), ("b".into(), 1), ("a".into(), 2)]);
/// ```
pub trait KeyedProcessFunction<K, I, O>: Send + 'static {
    /// Prepares the function; declare state here.
    fn open(&mut self, _ctx: &mut RuntimeContext<'_, K>) -> Result<(), BoxError> {
        Ok(())
    }

    /// Processes one record of key `ctx.current_key()`.
    fn process_element(
        &mut self,
        value: I,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError>;
}

/// A closure as a [`KeyedProcessFunction`] (for functions that need no `open`).
#[derive(Clone)]
pub struct KeyedProcessFn<F>(F);

impl<F> KeyedProcessFn<F> {
    /// Wraps `f(value, ctx, out)`.
    pub fn new<K, I, O>(f: F) -> Self
    where
        F: FnMut(I, &mut KeyedContext<'_, K>, &mut Collector<'_, O>) -> Result<(), BoxError>,
    {
        KeyedProcessFn(f)
    }
}

impl<K, I, O, F> KeyedProcessFunction<K, I, O> for KeyedProcessFn<F>
where
    F: FnMut(I, &mut KeyedContext<'_, K>, &mut Collector<'_, O>) -> Result<(), BoxError> + Send + 'static,
{
    fn process_element(
        &mut self,
        value: I,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError> {
        (self.0)(value, ctx, out)
    }
}
