//! [`WindowedStream`]: a keyed (or, through `window_all`, non-keyed) stream cut into
//! windows, and the methods that start one: `KeyedStream::window`, `count_window`,
//! `count_window_sliding`, `DataStream::window_all`, `count_window_all`.

use std::marker::PhantomData;
use std::time::Duration;

use weir_runtime::SubtaskInfo;
use weir_state::{Key, StateBackendKind, StateValue};

use super::assigner::millis;
use super::evictor::{EvictorSlot, NoEvictor, WithEvictor};
use super::function::contents::{Aggregator, EmitResult, Incremental, ProcessAll, ProcessResult, Reducer};
use super::operator::by_backend::ByBackend;
use super::operator::embedded_window_operator::EmbeddedWindowOperator;
use super::operator::slicing_operator::{EmbeddedSlicingWindowOperator, SlicingWindowOperator};
use super::operator::window_operator::WindowOperator;
use super::operator::WindowSettings;
use super::{
    AggregateFunction, CountEvictor, CountTrigger, ElementCodec, Evictor, GlobalWindows, LateRecordsDropped,
    ProcessWindowFunction, PurgingTrigger, Trigger, WindowAssigner, WindowContents,
};
use crate::aggregation::{Aggregation, Fields};
use crate::{Data, DataStream, KeyedStream, OutputTag};

/// A stream cut into windows by an assigner, with a trigger, an optional evictor and
/// allowed lateness, waiting for its window function (Flink's `WindowedStream`).
///
/// Built with [`KeyedStream::window`] (or `count_window`, or
/// [`DataStream::window_all`]); the type parameters track the key selector `KS`, the
/// assigner `A`, the trigger `TR` and whether there is an evictor `EV`, and are
/// inferred.
///
/// What a window keeps is state that checkpoints write: the elements (which a process
/// function or an evictor needs) and accumulators must be `Serialize + DeserializeOwned`.
///
/// ```
/// use std::time::Duration;
/// use weir::prelude::*;
/// use weir::window::SlidingEventTimeWindows;
/// let env = StreamExecutionEnvironment::new();
/// let totals = env
///     .from_collection(vec![("a".to_string(), 1i64, 1_000i64), ("a".to_string(), 2, 6_000), ("a".to_string(), 4, 12_000)])
///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &(String, i64, i64), _| e.2))
///     .key_by(|e: &(String, i64, i64)| e.0.clone())
///     .window(SlidingEventTimeWindows::of(Duration::from_secs(10), Duration::from_secs(5)))
///     .reduce(|a, b| (a.0, a.1 + b.1, a.2.max(b.2)))
///     .map(|(_, sum, _)| sum)
///     .collect();
/// env.execute("sliding").unwrap();
/// // windows [-5s, 5s): 1; [0, 10s): 1 + 2; [5s, 15s): 2 + 4; [10s, 20s): 4
/// assert_eq!(totals.take(), vec![1, 3, 6, 4]);
/// ```
pub struct WindowedStream<T, KS, A, TR, EV = NoEvictor> {
    keyed: KeyedStream<T, KS>,
    assigner: A,
    trigger: TR,
    evictor: EV,
    default_trigger: bool,
    allowed_lateness: i64,
    late_tag: Option<String>,
    dropped: LateRecordsDropped,
    non_keyed: bool,
}

/// The windowed stream of `window_all`: every record under the one key `()`, computed
/// by a single subtask (Flink's `AllWindowedStream`). Process functions get `&()` as
/// their key.
pub type AllWindowedStream<T, A, TR, EV = NoEvictor> = WindowedStream<T, fn(&T), A, TR, EV>;

fn no_key<T>(_: &T) {}

impl<T, K, KS> KeyedStream<T, KS>
where
    T: Data,
    K: Key,
    KS: Fn(&T) -> K + Clone + Send + Sync + 'static,
{
    /// Cuts each key's records into the windows of `assigner` (Flink's `window`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use weir::prelude::*;
    /// use weir::window::TumblingEventTimeWindows;
    /// let env = StreamExecutionEnvironment::new();
    /// let counts = env
    ///     .from_collection(vec![(1u32, 100i64), (2, 200), (1, 900), (1, 1_100)])
    ///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &(u32, i64), _| e.1))
    ///     .map(|(key, _)| (key, 1u64))
    ///     .key_by(|e: &(u32, u64)| e.0)
    ///     .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
    ///     .sum(1)
    ///     .collect();
    /// env.execute("tumbling counts").unwrap();
    /// let mut counts = counts.take();
    /// counts.sort();
    /// assert_eq!(counts, vec![(1, 1), (1, 2), (2, 1)]);
    /// ```
    pub fn window<A: WindowAssigner<T>>(&self, assigner: A) -> WindowedStream<T, KS, A, A::DefaultTrigger> {
        WindowedStream::new(self.clone(), assigner, false)
    }

    /// Tumbling count windows: every `size` records of a key are one window (Flink's
    /// `countWindow(size)`: global windows, a purging count trigger).
    ///
    /// ```
    /// use weir::prelude::*;
    /// let env = StreamExecutionEnvironment::new();
    /// let sums = env.from_collection(vec![1, 2, 3, 4, 5, 6, 7])
    ///     .key_by(|v: &i32| v % 2)
    ///     .count_window(2)
    ///     .reduce(|a, b| a + b)
    ///     .collect();
    /// env.execute("count windows").unwrap();
    /// let mut sums = sums.take();
    /// sums.sort();
    /// assert_eq!(sums, vec![4, 6, 12]); // odd: 1+3, 5+7; even: 2+4 (6 waits for a partner)
    /// ```
    pub fn count_window(&self, size: u64) -> WindowedStream<T, KS, GlobalWindows, PurgingTrigger<CountTrigger>> {
        self.window(GlobalWindows::create()).trigger(PurgingTrigger::of(CountTrigger::of(size)))
    }

    /// Sliding count windows: every `slide` records of a key, a window of its last
    /// `size` records (Flink's `countWindow(size, slide)`: global windows, a count
    /// evictor of `size`, a count trigger of `slide`).
    ///
    /// ```
    /// use weir::prelude::*;
    /// let env = StreamExecutionEnvironment::new();
    /// let sums = env.from_collection(vec![1, 2, 3, 4, 5])
    ///     .key_by(|_: &i32| 0)
    ///     .count_window_sliding(3, 2)
    ///     .reduce(|a, b| a + b)
    ///     .collect();
    /// env.execute("sliding count windows").unwrap();
    /// assert_eq!(sums.take(), vec![1 + 2, 2 + 3 + 4]);
    /// ```
    pub fn count_window_sliding(
        &self,
        size: u64,
        slide: u64,
    ) -> WindowedStream<T, KS, GlobalWindows, CountTrigger, WithEvictor<CountEvictor>> {
        self.window(GlobalWindows::create())
            .evictor(CountEvictor::of(usize::try_from(size).unwrap_or(usize::MAX)))
            .trigger(CountTrigger::of(slide))
    }
}

impl<T: Data> DataStream<T> {
    /// Cuts the whole stream (not keyed) into the windows of `assigner`; one subtask
    /// computes them (Flink's `windowAll`, parallelism 1).
    ///
    /// ```
    /// use std::time::Duration;
    /// use weir::prelude::*;
    /// use weir::window::TumblingEventTimeWindows;
    /// let env = StreamExecutionEnvironment::new().with_parallelism(2);
    /// let per_second = env
    ///     .from_collection(vec![100i64, 400, 1_200, 1_300, 1_900])
    ///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|t: &i64, _| *t))
    ///     .map(|_| 1u32)
    ///     .window_all(TumblingEventTimeWindows::of(Duration::from_secs(1)))
    ///     .reduce(|a, b| a + b)
    ///     .collect();
    /// env.execute("window all").unwrap();
    /// // The collect sink runs at parallelism 2: results arrive in either order.
    /// let mut counts = per_second.take();
    /// counts.sort();
    /// assert_eq!(counts, vec![2, 3]);
    /// ```
    pub fn window_all<A: WindowAssigner<T>>(&self, assigner: A) -> AllWindowedStream<T, A, A::DefaultTrigger> {
        WindowedStream::new(self.key_by(no_key::<T> as fn(&T)), assigner, true)
    }

    /// Tumbling count windows over the whole stream (Flink's `countWindowAll(size)`).
    pub fn count_window_all(&self, size: u64) -> AllWindowedStream<T, GlobalWindows, PurgingTrigger<CountTrigger>> {
        self.window_all(GlobalWindows::create()).trigger(PurgingTrigger::of(CountTrigger::of(size)))
    }

    /// Sliding count windows over the whole stream (Flink's
    /// `countWindowAll(size, slide)`).
    pub fn count_window_all_sliding(
        &self,
        size: u64,
        slide: u64,
    ) -> AllWindowedStream<T, GlobalWindows, CountTrigger, WithEvictor<CountEvictor>> {
        self.window_all(GlobalWindows::create())
            .evictor(CountEvictor::of(usize::try_from(size).unwrap_or(usize::MAX)))
            .trigger(CountTrigger::of(slide))
    }
}

impl<T, K, KS, A> WindowedStream<T, KS, A, A::DefaultTrigger>
where
    T: Data,
    K: Key,
    KS: Fn(&T) -> K + Clone + Send + Sync + 'static,
    A: WindowAssigner<T>,
{
    fn new(keyed: KeyedStream<T, KS>, assigner: A, non_keyed: bool) -> Self {
        if let Err(e) = assigner.validate() {
            keyed.stream.env.record_error(e);
        }
        WindowedStream {
            keyed,
            trigger: assigner.default_trigger(),
            assigner,
            evictor: NoEvictor,
            default_trigger: true,
            allowed_lateness: 0,
            late_tag: None,
            dropped: LateRecordsDropped::default(),
            non_keyed,
        }
    }
}

impl<T, K, KS, A, TR, EV> WindowedStream<T, KS, A, TR, EV>
where
    T: Data,
    K: Key,
    KS: Fn(&T) -> K + Clone + Send + Sync + 'static,
    A: WindowAssigner<T>,
    TR: Trigger<T, A::W>,
    EV: EvictorSlot<T, A::W>,
{
    /// Replaces the assigner's default trigger (Flink's `trigger`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use weir::prelude::*;
    /// use weir::window::{CountTrigger, TumblingProcessingTimeWindows};
    /// let env = StreamExecutionEnvironment::new();
    /// let firings = env
    ///     .from_collection(vec![1, 2, 3])
    ///     .key_by(|_: &i32| 0)
    ///     .window(TumblingProcessingTimeWindows::of(Duration::from_secs(3_600)))
    ///     .trigger(CountTrigger::of(1)) // every element fires its (growing) window
    ///     .reduce(|a, b| a + b)
    ///     .collect();
    /// env.execute("trigger").unwrap();
    /// assert_eq!(firings.take(), vec![1, 3, 6]);
    /// ```
    pub fn trigger<TR2: Trigger<T, A::W>>(self, trigger: TR2) -> WindowedStream<T, KS, A, TR2, EV> {
        WindowedStream {
            keyed: self.keyed,
            assigner: self.assigner,
            trigger,
            evictor: self.evictor,
            default_trigger: false,
            allowed_lateness: self.allowed_lateness,
            late_tag: self.late_tag,
            dropped: self.dropped,
            non_keyed: self.non_keyed,
        }
    }

    /// Sets an evictor (Flink's `evictor`): windows then keep all their elements, and
    /// each firing sees what the evictor leaves.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weir::prelude::*;
    /// use weir::window::{TimeEvictor, TumblingEventTimeWindows};
    /// let env = StreamExecutionEnvironment::new();
    /// let recent = env
    ///     .from_collection(vec![1i64, 5, 8, 9])
    ///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|t: &i64, _| *t))
    ///     .key_by(|_: &i64| 0)
    ///     .window(TumblingEventTimeWindows::of(Duration::from_millis(10)))
    ///     .evictor(TimeEvictor::of(Duration::from_millis(3)))
    ///     .reduce(|a, b| a + b)
    ///     .collect();
    /// env.execute("evictor").unwrap();
    /// assert_eq!(recent.take(), vec![8 + 9]); // only elements after 9 - 3 remain
    /// ```
    pub fn evictor<E: Evictor<T, A::W>>(self, evictor: E) -> WindowedStream<T, KS, A, TR, WithEvictor<E>> {
        WindowedStream {
            keyed: self.keyed,
            assigner: self.assigner,
            trigger: self.trigger,
            evictor: WithEvictor(evictor),
            default_trigger: self.default_trigger,
            allowed_lateness: self.allowed_lateness,
            late_tag: self.late_tag,
            dropped: self.dropped,
            non_keyed: self.non_keyed,
        }
    }

    /// Keeps event-time windows open for `lateness` after their end (Flink's
    /// `allowedLateness`): a record arriving in that time is added and, with the
    /// default trigger, fires the window again with the updated result. Records later
    /// than that are dropped (and counted) or go to `side_output_late_data`. Ignored
    /// for processing-time windows.
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.allowed_lateness = millis(lateness);
        self
    }

    /// Sends records too late for every window to the side output `tag` instead of
    /// dropping them (Flink's `sideOutputLateData`); read it with `get_side_output` on
    /// the windowed result.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weir::prelude::*;
    /// use weir::window::TumblingEventTimeWindows;
    /// use weir::{Watermark, WatermarkGenerator, WatermarkOutput};
    /// /// A watermark right after every record.
    /// struct PerRecord;
    /// impl WatermarkGenerator<i64> for PerRecord {
    ///     fn on_event(&mut self, _: &i64, ts: i64, out: &mut WatermarkOutput) { out.emit_watermark(Watermark(ts)) }
    ///     fn on_periodic_emit(&mut self, _: &mut WatermarkOutput) {}
    /// }
    /// let late = OutputTag::<i64>::new("late");
    /// // One record per batch, so each watermark follows its record: 3 arrives after the
    /// // watermark passed 12, when its window [0, 10) is closed.
    /// let env = StreamExecutionEnvironment::new().with_batch_size(1);
    /// let sums = env
    ///     .from_collection(vec![1i64, 12, 3])
    ///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_generator(|| PerRecord).with_timestamp_assigner(|t: &i64, _| *t))
    ///     .key_by(|_: &i64| 0)
    ///     .window(TumblingEventTimeWindows::of(Duration::from_millis(10)))
    ///     .side_output_late_data(&late)
    ///     .reduce(|a, b| a + b);
    /// let late_records = sums.get_side_output(&late).collect();
    /// let sums = sums.collect();
    /// env.execute("late data").unwrap();
    /// assert_eq!(sums.take(), vec![1, 12]);
    /// assert_eq!(late_records.take(), vec![3]);
    /// ```
    pub fn side_output_late_data(mut self, tag: &OutputTag<T>) -> Self {
        self.late_tag = Some(tag.id().to_string());
        self
    }

    /// The counter of records this window operator drops for being late (shared by its
    /// subtasks; stays at zero with `side_output_late_data`).
    pub fn late_records_dropped(&self) -> LateRecordsDropped {
        self.dropped.clone()
    }

    /// Reduces each window's elements with `f` (Flink's `reduce`), incrementally; the
    /// result carries the window's max timestamp.
    ///
    /// With tumbling or sliding windows, the default trigger and no evictor, windows are
    /// computed by slicing; `f` should then be associative and commutative.
    pub fn reduce<R>(self, f: R) -> DataStream<T>
    where
        T: StateValue,
        R: FnMut(T, T) -> T + Clone + Send + Sync + 'static,
    {
        self.serializable().incremental("Window(reduce)", Reducer(f), ElementCodec::serde())
    }

    /// Aggregates each window with an [`AggregateFunction`] (Flink's `aggregate`),
    /// incrementally.
    ///
    /// With tumbling or sliding windows, the default trigger and no evictor, windows are
    /// computed by slicing (the accumulators of slices are combined with `merge`).
    pub fn aggregate<AG>(self, aggregate: AG) -> DataStream<AG::Out>
    where
        T: StateValue,
        AG: AggregateFunction<T>,
        AG::Out: Data,
    {
        self.serializable().incremental("Window(aggregate)", Aggregator(aggregate), ElementCodec::serde())
    }

    /// Runs a [`ProcessWindowFunction`] over all elements of each window (Flink's
    /// `process`).
    pub fn process<O, P>(self, function: P) -> DataStream<O>
    where
        T: StateValue,
        O: Data,
        P: ProcessWindowFunction<K, T, O, A::W> + Clone + Sync,
    {
        self.serializable().process_named("Window(process)", function, ElementCodec::serde())
    }

    /// The window's input records can be stored (they are state anyway): what unaligned
    /// checkpoints need of the edge into the window operator.
    fn serializable(mut self) -> Self
    where
        T: StateValue,
    {
        self.keyed = self.keyed.with_record_serializer();
        self
    }

    /// As [`Self::process`], under the operator name `name`, writing the kept elements
    /// into checkpoints with `codec`.
    pub(crate) fn process_named<O, P>(self, name: &str, function: P, codec: ElementCodec<T>) -> DataStream<O>
    where
        O: Data,
        P: ProcessWindowFunction<K, T, O, A::W> + Clone + Sync,
    {
        self.general(name, ProcessAll { process: function, codec, _o: PhantomData }, codec)
    }

    /// Reduces incrementally with `f`; on each firing `function` gets the reduced value
    /// (as its one element) with the window's metadata (Flink's
    /// `reduce(reduceFunction, processWindowFunction)`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use weir::prelude::*;
    /// use weir::window::{ProcessWindowFn, TimeWindow, TumblingEventTimeWindows, WindowContext};
    /// let env = StreamExecutionEnvironment::new();
    /// let maxima = env
    ///     .from_collection(vec![3i64, 7, 5, 14])
    ///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|t: &i64, _| *t))
    ///     .key_by(|_: &i64| 0)
    ///     .window(TumblingEventTimeWindows::of(Duration::from_millis(10)))
    ///     .reduce_with(
    ///         |a: i64, b: i64| a.max(b),
    ///         ProcessWindowFn::new(|_: &i32, ctx: &mut WindowContext<i32, TimeWindow>, max: &[i64], out: &mut Collector<(i64, i64)>| {
    ///             out.collect((ctx.window().start, max[0]));
    ///             Ok(())
    ///         }),
    ///     )
    ///     .collect();
    /// env.execute("reduce with").unwrap();
    /// assert_eq!(maxima.take(), vec![(0, 7), (10, 14)]);
    /// ```
    pub fn reduce_with<R, O, P>(self, f: R, function: P) -> DataStream<O>
    where
        T: StateValue,
        R: FnMut(T, T) -> T + Clone + Send + Sync + 'static,
        O: Data,
        P: ProcessWindowFunction<K, T, O, A::W> + Clone + Sync,
    {
        let contents = ProcessResult { incremental: Reducer(f), process: function, _o: PhantomData };
        self.serializable().general("Window(reduce, process)", contents, ElementCodec::serde())
    }

    /// Aggregates incrementally with `aggregate`; on each firing `function` gets the
    /// aggregate's result (as its one element) with the window's metadata (Flink's
    /// `aggregate(aggregateFunction, processWindowFunction)`).
    pub fn aggregate_with<AG, O, P>(self, aggregate: AG, function: P) -> DataStream<O>
    where
        T: StateValue,
        AG: AggregateFunction<T>,
        O: Data,
        P: ProcessWindowFunction<K, AG::Out, O, A::W> + Clone + Sync,
    {
        let contents = ProcessResult { incremental: Aggregator(aggregate), process: function, _o: PhantomData };
        self.serializable().general("Window(aggregate, process)", contents, ElementCodec::serde())
    }

    /// Sum of field `pos` per window; other fields are the window's first record's.
    pub fn sum(self, pos: usize) -> DataStream<T>
    where
        T: StateValue + Fields,
    {
        self.field_aggregation(Aggregation::Sum, pos)
    }

    /// Minimum of field `pos` per window; other fields are the first record's.
    pub fn min(self, pos: usize) -> DataStream<T>
    where
        T: StateValue + Fields,
    {
        self.field_aggregation(Aggregation::Min, pos)
    }

    /// Maximum of field `pos` per window; other fields are the first record's.
    pub fn max(self, pos: usize) -> DataStream<T>
    where
        T: StateValue + Fields,
    {
        self.field_aggregation(Aggregation::Max, pos)
    }

    /// The record with the smallest field `pos` per window.
    pub fn min_by(self, pos: usize) -> DataStream<T>
    where
        T: StateValue + Fields,
    {
        self.field_aggregation(Aggregation::MinBy, pos)
    }

    /// The record with the largest field `pos` per window.
    pub fn max_by(self, pos: usize) -> DataStream<T>
    where
        T: StateValue + Fields,
    {
        self.field_aggregation(Aggregation::MaxBy, pos)
    }

    fn field_aggregation(self, aggregation: Aggregation, pos: usize) -> DataStream<T>
    where
        T: StateValue + Fields,
    {
        if let Err(e) = aggregation.validate::<T>(pos) {
            self.keyed.stream.env.record_error(e);
        }
        self.incremental("Window(aggregation)", Reducer(aggregation.reducer::<T>(pos)), ElementCodec::serde())
    }

    /// Whether this windowed stream is computed by the slicing operator.
    fn slices(&self) -> Option<super::assigner::SliceSpec> {
        if self.default_trigger && self.evictor.is_none() {
            self.assigner.slice_spec()
        } else {
            None
        }
    }

    fn settings(&self) -> WindowSettings {
        WindowSettings {
            allowed_lateness: self.allowed_lateness,
            late_tag: self.late_tag.clone(),
            dropped: self.dropped.clone(),
        }
    }

    /// Reports a merging assigner with a trigger that cannot merge.
    fn check(&self) {
        if self.assigner.is_merging() && !self.trigger.can_merge() {
            self.keyed.stream.env.record_error(
                "a merging window assigner (session windows) cannot be used with a trigger that does not support \
                 merging"
                    .to_string(),
            );
        }
    }

    /// An incremental window function: by slicing when possible, else by the general
    /// window operator (where `codec` writes the elements an evictor keeps).
    fn incremental<I>(self, name: &str, incremental: I, codec: ElementCodec<T>) -> DataStream<I::Result>
    where
        I: Incremental<T>,
        I::Result: Data,
    {
        let Some(spec) = self.slices() else {
            return self.general(name, EmitResult(incremental), codec);
        };
        self.check();
        let (key_of, settings, contents) = (self.keyed.key_of.clone(), self.settings(), EmitResult(incremental));
        let backend = self.keyed.stream.env.state_backend_slot();
        let stream = self.keyed.stream.transform(&format!("Sliced{name}"), move |st: &SubtaskInfo| {
            let config = backend.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let (key_of, contents, settings) = (key_of.clone(), contents.clone(), settings.clone());
            Ok(match config.kind {
                StateBackendKind::HashMap => {
                    ByBackend::Heap(SlicingWindowOperator::new(key_of, contents, spec, settings, st))
                }
                StateBackendKind::Embedded => ByBackend::Embedded(EmbeddedSlicingWindowOperator::embedded(
                    key_of, contents, spec, settings, st, &config,
                )?),
            })
        });
        self.finish(stream)
    }

    /// The general window operator with `contents`; `codec` writes the elements an
    /// evictor keeps into checkpoints.
    fn general<C>(self, name: &str, contents: C, codec: ElementCodec<T>) -> DataStream<C::Out>
    where
        C: WindowContents<K, T, A::W>,
        C::Out: Data,
    {
        self.check();
        let contents = self.evictor.clone().wrap::<K, C>(contents, codec);
        let (key_of, assigner, trigger, settings) =
            (self.keyed.key_of.clone(), self.assigner.clone(), self.trigger.clone(), self.settings());
        let backend = self.keyed.stream.env.state_backend_slot();
        let stream = self.keyed.stream.transform(name, move |st: &SubtaskInfo| {
            let config = backend.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let (key_of, assigner, trigger, contents) =
                (key_of.clone(), assigner.clone(), trigger.clone(), contents.clone());
            Ok(match config.kind {
                StateBackendKind::HashMap => {
                    ByBackend::Heap(WindowOperator::new(key_of, assigner, trigger, contents, settings.clone(), st))
                }
                StateBackendKind::Embedded => ByBackend::Embedded(EmbeddedWindowOperator::new(
                    key_of,
                    assigner,
                    trigger,
                    contents,
                    settings.clone(),
                    st,
                    &config,
                )?),
            })
        });
        self.finish(stream)
    }

    fn finish<O: Data>(&self, stream: DataStream<O>) -> DataStream<O> {
        if self.non_keyed {
            stream.set_parallelism(1)
        } else {
            stream
        }
    }
}
