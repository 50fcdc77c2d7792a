//! [`KeyedProcessFunction`]: per-record processing on a keyed stream, with keyed state.

use weir_core::record::NO_TIMESTAMP;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::{BoxError, SideOutputs, SubtaskInfo};
use weir_state::{
    AggregateFunction, AggregatingState, AggregatingStateDescriptor, AsBackendRef, BackendRef, Key, KeyedStateContext,
    ListState, ListStateDescriptor, MapState, MapStateDescriptor, ReducingState, ReducingStateDescriptor, StateBackend,
    StateError, StateValue, TimerService, ValueState, ValueStateDescriptor,
};

use crate::functions::Collector;
use crate::OutputTag;

/// Given to a keyed function's `open`: declares state (Flink's `RuntimeContext`).
pub struct RuntimeContext<'a, K> {
    pub(crate) subtask: &'a SubtaskInfo,
    pub(crate) backend: BackendRef<'a, K>,
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
        descriptor.declare(&mut self.backend)
    }

    /// Declares a [`ListState`].
    ///
    /// # Errors
    /// When the name is already declared with another kind or type.
    pub fn get_list_state<T: StateValue>(
        &mut self,
        descriptor: &ListStateDescriptor<T>,
    ) -> Result<ListState<T>, StateError> {
        descriptor.declare(&mut self.backend)
    }

    /// Declares a [`MapState`].
    ///
    /// # Errors
    /// When the name is already declared with another kind or type.
    pub fn get_map_state<UK: StateValue + std::hash::Hash + Eq, UV: StateValue>(
        &mut self,
        descriptor: &MapStateDescriptor<UK, UV>,
    ) -> Result<MapState<UK, UV>, StateError> {
        descriptor.declare(&mut self.backend)
    }

    /// Declares a [`ReducingState`].
    ///
    /// # Errors
    /// When the name is already declared with another kind or type.
    pub fn get_reducing_state<T: StateValue>(
        &mut self,
        descriptor: &ReducingStateDescriptor<T>,
    ) -> Result<ReducingState<T>, StateError> {
        descriptor.declare(&mut self.backend)
    }

    /// Declares an [`AggregatingState`].
    ///
    /// # Errors
    /// When the name is already declared with another kind or type.
    pub fn get_aggregating_state<IN, F>(
        &mut self,
        descriptor: &AggregatingStateDescriptor<IN, F>,
    ) -> Result<AggregatingState<IN, F>, StateError>
    where
        F: AggregateFunction<IN>,
        F::Acc: StateValue,
    {
        descriptor.declare(&mut self.backend)
    }

    /// Which backend keeps the state: `hashmap` or `embedded`.
    pub fn state_backend(&self) -> &'static str {
        match self.backend {
            BackendRef::Heap(_) => "hashmap",
            BackendRef::Embedded(_) => "embedded",
        }
    }

    /// The subtask running this function.
    pub fn subtask(&self) -> &SubtaskInfo {
        self.subtask
    }
}

/// Which clock fired a timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimeDomain {
    /// The watermark passed the timer.
    EventTime,
    /// The clock passed the timer.
    ProcessingTime,
}

/// What a keyed function knows about the record it processes (or the timer firing): its
/// key, its timestamp, the key's state and timers, side outputs.
pub struct KeyedContext<'a, K> {
    pub(crate) key: &'a K,
    pub(crate) key_group: usize,
    pub(crate) backend: &'a mut StateBackend<K>,
    pub(crate) timestamp: i64,
    pub(crate) sides: &'a mut SideOutputs,
    pub(crate) timers: &'a mut TimerService<K, ()>,
    pub(crate) watermark: Watermark,
    pub(crate) now_ms: i64,
    pub(crate) time_domain: Option<TimeDomain>,
}

/// The timers of the current key (Flink's `TimerService`).
pub struct KeyTimers<'c, 'a, K> {
    ctx: &'c mut KeyedContext<'a, K>,
}

impl<K: std::hash::Hash + Eq + Clone> KeyTimers<'_, '_, K> {
    /// Calls `on_timer` once the watermark reaches `timestamp` (one timer per key and
    /// timestamp, however often registered).
    pub fn register_event_time_timer(&mut self, timestamp: i64) {
        self.ctx.timers.event_time.register(timestamp, self.ctx.key, &());
    }

    /// Calls `on_timer` once processing time reaches `timestamp`.
    pub fn register_processing_time_timer(&mut self, timestamp: i64) {
        self.ctx.timers.processing_time.register(timestamp, self.ctx.key, &());
    }

    /// Removes an event-time timer of the current key.
    pub fn delete_event_time_timer(&mut self, timestamp: i64) {
        self.ctx.timers.event_time.delete(timestamp, self.ctx.key, &());
    }

    /// Removes a processing-time timer of the current key.
    pub fn delete_processing_time_timer(&mut self, timestamp: i64) {
        self.ctx.timers.processing_time.delete(timestamp, self.ctx.key, &());
    }

    /// The operator's current event time.
    pub fn current_watermark(&self) -> i64 {
        self.ctx.watermark.0
    }

    /// The current processing time (epoch ms).
    pub fn current_processing_time(&self) -> i64 {
        self.ctx.now_ms
    }
}

impl<'a, K> KeyedContext<'a, K> {
    /// The key of the record being processed.
    pub fn current_key(&self) -> &K {
        self.key
    }

    /// The current key's timers, and the current event and processing time.
    pub fn timer_service(&mut self) -> KeyTimers<'_, 'a, K> {
        KeyTimers { ctx: self }
    }

    /// In `on_timer`: which clock fired the timer.
    pub fn time_domain(&self) -> Option<TimeDomain> {
        self.time_domain
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
    fn state_parts(&mut self) -> (BackendRef<'_, K>, &K, usize) {
        (self.backend.backend_ref(), self.key, self.key_group)
    }

    fn current_processing_time_ms(&self) -> Option<i64> {
        Some(self.now_ms)
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

    /// A timer of key `ctx.current_key()` fired at `timestamp`; `ctx.time_domain()`
    /// says which clock. Records emitted from an event-time timer carry `timestamp`.
    fn on_timer(
        &mut self,
        _timestamp: i64,
        _ctx: &mut KeyedContext<'_, K>,
        _out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError> {
        Ok(())
    }
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
