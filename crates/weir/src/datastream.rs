//! [`DataStream`]: a stream of records of one type, and the transformations on it.

use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use weir_connectors::{CollectHandle, CollectSink, JsonLinesSink, PrintSink, TextFileSink};
use weir_core::Either;
use weir_runtime::graph::{downcast_senders, erase_output, SidePort, StreamType, TypedStream};
use weir_runtime::in_flight::RecordCodec;
use weir_runtime::operator::{SideBuffer, SideChannel};
use weir_runtime::partitioner::{CustomSelector, KeyGroupOf, KeyGroupSelector, Resplit};
use weir_runtime::record_writer::RecordWriter;
use weir_runtime::task::input::{Direct, InputAdapter, MapInput};
use weir_runtime::vertex::{main_output, OperatorVertex};
use weir_runtime::watermark::TimestampsAndWatermarksOperator;
use weir_runtime::{BoxError, ChainingStrategy, Operator, Partitioner, Port, Sink, SubtaskInfo, WatermarkStrategy};
use weir_state::{Key, MapStateDescriptor};

use crate::connected::{BroadcastConnectedStreams, BroadcastStream, ConnectedStreams};
use crate::environment::StreamRef;
use crate::functions::{Collector, ProcessFunction};
use crate::operators::filter::FilterOperator;
use crate::operators::flat_map::FlatMapOperator;
use crate::operators::map::MapOperator;
use crate::operators::process::ProcessOperator;
use crate::operators::sink::SinkOperator;
use crate::{Data, KeyedStream, OutputTag, StreamExecutionEnvironment};

/// A stream of `T` records (Flink's `DataStream`).
///
/// Transformations take `&self`, so a stream can feed several consumers (each gets every
/// record). Settings such as [`DataStream::set_parallelism`] or [`DataStream::name`]
/// apply to the operator that produced the stream and return the stream.
pub struct DataStream<T> {
    pub(crate) env: StreamExecutionEnvironment,
    pub(crate) refs: Vec<StreamRef>,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for DataStream<T> {
    fn clone(&self) -> Self {
        DataStream { env: self.env.clone(), refs: self.refs.clone(), _t: PhantomData }
    }
}

/// The handle of a sink, to name it or set its parallelism.
pub struct DataStreamSink {
    stream: DataStream<()>,
}

impl DataStreamSink {
    /// Names the sink.
    pub fn name(self, name: &str) -> Self {
        DataStreamSink { stream: self.stream.name(name) }
    }

    /// Sets the sink's stable id.
    pub fn uid(self, uid: &str) -> Self {
        DataStreamSink { stream: self.stream.uid(uid) }
    }

    /// Sets the sink's parallelism.
    pub fn set_parallelism(self, parallelism: usize) -> Self {
        DataStreamSink { stream: self.stream.set_parallelism(parallelism) }
    }

    /// Keeps the sink out of its predecessor's chain.
    pub fn disable_chaining(self) -> Self {
        DataStreamSink { stream: self.stream.disable_chaining() }
    }
}

impl<T: Data> DataStream<T> {
    pub(crate) fn from_ref(env: StreamExecutionEnvironment, mut r: StreamRef) -> Self {
        if let Some(stream) = env.stream_type::<T>() {
            r.stream = stream;
        }
        DataStream { env, refs: vec![r], _t: PhantomData }
    }

    /// The environment this stream belongs to.
    pub fn environment(&self) -> &StreamExecutionEnvironment {
        &self.env
    }

    pub(crate) fn inputs(&self, input: usize) -> Vec<(StreamRef, usize)> {
        self.refs.iter().map(|r| (r.clone(), input)).collect()
    }

    /// Adds an operator of your own (Flink's `transform`): `make` builds one instance per
    /// parallel subtask.
    pub fn transform<O, M>(&self, name: &str, make: M) -> DataStream<O::Out>
    where
        O: Operator<In = T>,
        O::Out: Data,
        M: Fn(&SubtaskInfo) -> Result<O, BoxError> + Send + Sync + 'static,
    {
        let factory = OperatorVertex::new(make, vec![Arc::new(Direct) as Arc<dyn InputAdapter<T>>]);
        let id = self.env.add_vertex(name, Arc::new(factory), self.inputs(0));
        DataStream::from_ref(self.env.clone(), StreamRef::main::<O::Out>(id))
    }

    /// One output per record.
    ///
    /// ```
    /// use weir::prelude::*;
    /// let env = StreamExecutionEnvironment::new();
    /// let got = env.from_collection(vec![1, 2, 3]).map(|x: i32| x * 10).collect();
    /// env.execute("map").unwrap();
    /// assert_eq!(got.take(), vec![10, 20, 30]);
    /// ```
    pub fn map<O: Data, F>(&self, f: F) -> DataStream<O>
    where
        F: FnMut(T) -> O + Clone + Send + Sync + 'static,
    {
        self.transform("Map", move |_| Ok(MapOperator::new(f.clone())))
    }

    /// Assigns event-time timestamps and generates watermarks by `strategy`, replacing
    /// the watermarks that arrive from upstream (Flink's
    /// `assignTimestampsAndWatermarks`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use weir::prelude::*;
    /// let env = StreamExecutionEnvironment::new();
    /// let stamped = env
    ///     .from_collection(vec![(1_000i64, "a"), (3_000, "b")])
    ///     .assign_timestamps_and_watermarks(
    ///         WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_secs(1))
    ///             .with_timestamp_assigner(|e: &(i64, &str), _| e.0),
    ///     )
    ///     .process(ProcessFn::new(|e: (i64, &str), ctx: &mut Context, out: &mut Collector<i64>| {
    ///         out.collect(ctx.timestamp().unwrap());
    ///         Ok(())
    ///     }))
    ///     .collect();
    /// env.execute("timestamps").unwrap();
    /// assert_eq!(stamped.take(), vec![1_000, 3_000]);
    /// ```
    pub fn assign_timestamps_and_watermarks(&self, strategy: WatermarkStrategy<T>) -> DataStream<T> {
        let interval = self.env.config().auto_watermark_interval.as_millis() as i64;
        self.transform("Timestamps/Watermarks", move |_| {
            Ok(TimestampsAndWatermarksOperator::new(strategy.clone(), interval))
        })
    }

    /// Keeps the records `f` accepts.
    ///
    /// ```
    /// use weir::prelude::*;
    /// let env = StreamExecutionEnvironment::new();
    /// let got = env.from_sequence(1, 10).filter(|x: &i64| x % 3 == 0).collect();
    /// env.execute("filter").unwrap();
    /// assert_eq!(got.take(), vec![3, 6, 9]);
    /// ```
    pub fn filter<F>(&self, f: F) -> DataStream<T>
    where
        F: FnMut(&T) -> bool + Clone + Send + Sync + 'static,
    {
        self.transform("Filter", move |_| Ok(FilterOperator::new(f.clone())))
    }

    /// Any number of outputs per record, emitted through a [`Collector`].
    pub fn flat_map<O: Data, F>(&self, f: F) -> DataStream<O>
    where
        F: FnMut(T, &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
    {
        self.transform("Flat Map", move |_| Ok(FlatMapOperator::new(f.clone())))
    }

    /// Runs a [`ProcessFunction`] on every record.
    pub fn process<O: Data, P>(&self, function: P) -> DataStream<O>
    where
        P: ProcessFunction<T, O> + Clone + Sync,
    {
        self.transform("Process", move |st: &SubtaskInfo| Ok(ProcessOperator::new(function.clone(), st.clone())))
    }

    /// Partitions the stream by key: records with equal keys go to the same subtask,
    /// through Flink's key-group assignment.
    pub fn key_by<K: Key, KS>(&self, key_of: KS) -> KeyedStream<T, KS>
    where
        KS: Fn(&T) -> K + Clone + Send + Sync + 'static,
    {
        let selector = key_of.clone();
        let writer = Arc::new(
            move |senders: Vec<weir_runtime::graph::ErasedSender>, ctx: weir_runtime::record_writer::WriterContext| {
                let n = senders.len();
                let sel = KeyGroupSelector::new(selector.clone(), ctx.max_parallelism, n);
                Ok(erase_output::<T>(Box::new(RecordWriter::new(downcast_senders::<T>(senders)?, sel, ctx))))
            },
        );
        let key_group_of = KeyGroupOf::new(key_of.clone()).erase();
        KeyedStream::new(self.with_partitioner(Partitioner::KeyBy(writer, key_group_of)), key_of)
    }

    /// Merges this stream with `other` (same type): the result has the records of both.
    pub fn union(&self, other: &DataStream<T>) -> DataStream<T> {
        let mut refs = self.refs.clone();
        refs.extend(other.refs.iter().cloned());
        DataStream { env: self.env.clone(), refs, _t: PhantomData }
    }

    /// Connects this stream with `other` for a two-input operator (co-map, co-flat-map,
    /// co-process).
    pub fn connect<B: Data>(&self, other: &DataStream<B>) -> ConnectedStreams<T, B> {
        ConnectedStreams { first: self.clone(), second: other.clone() }
    }

    /// Turns this stream into a broadcast stream: every record goes to every parallel
    /// instance of the connected operator, which keeps it in broadcast state.
    pub fn broadcast_state<K, V>(&self, descriptor: MapStateDescriptor<K, V>) -> BroadcastStream<T, K, V> {
        BroadcastStream { stream: self.broadcast(), descriptor }
    }

    /// Connects this stream with a broadcast stream.
    pub fn connect_broadcast<B: Data, K, V>(
        &self,
        broadcast: &BroadcastStream<B, K, V>,
    ) -> BroadcastConnectedStreams<T, B, K, V> {
        BroadcastConnectedStreams { first: self.clone(), broadcast: broadcast.stream.clone(), _kv: PhantomData }
    }

    pub(crate) fn with_partitioner(&self, p: Partitioner) -> DataStream<T> {
        let refs = self.refs.iter().map(|r| StreamRef { partitioner: Some(p.clone()), ..r.clone() }).collect();
        DataStream { env: self.env.clone(), refs, _t: PhantomData }
    }

    /// Lets the runtime store this stream's records (serde's bincode, as state is stored):
    /// needed on every stream that crosses tasks (is not chained to its consumer) when
    /// unaligned checkpoints are on, since they store the records still in flight between
    /// tasks. A job with such an edge without it is refused, naming the edge.
    ///
    /// ```
    /// use weir::prelude::*;
    /// let env = StreamExecutionEnvironment::new();
    /// let got = env.from_collection(vec![(1u32, 2u64)]).with_record_serializer().rebalance().map(|(_, n)| n).collect();
    /// env.execute("serializable").unwrap();
    /// assert_eq!(got.take(), vec![2]);
    /// ```
    pub fn with_record_serializer(&self) -> DataStream<T>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        let stream: Arc<dyn StreamType> = Arc::new(TypedStream::<T>::with_codec(RecordCodec::serde()));
        let refs = self.refs.iter().map(|r| StreamRef { stream: stream.clone(), ..r.clone() }).collect();
        DataStream { env: self.env.clone(), refs, _t: PhantomData }
    }

    /// Sends each record to the subtask with the same index (parallelism must match).
    pub fn forward(&self) -> DataStream<T> {
        self.with_partitioner(Partitioner::Forward)
    }

    /// Spreads records round robin over all consumers.
    pub fn rebalance(&self) -> DataStream<T> {
        self.with_partitioner(Partitioner::Rebalance)
    }

    /// Spreads records round robin over a local group of consumers.
    pub fn rescale(&self) -> DataStream<T> {
        self.with_partitioner(Partitioner::Rescale)
    }

    /// Sends each record to a random consumer.
    pub fn shuffle(&self) -> DataStream<T> {
        self.with_partitioner(Partitioner::Shuffle)
    }

    /// Sends every record to every consumer.
    pub fn broadcast(&self) -> DataStream<T> {
        self.with_partitioner(Partitioner::Broadcast)
    }

    /// Sends every record to the first consumer subtask.
    pub fn global(&self) -> DataStream<T> {
        self.with_partitioner(Partitioner::Global)
    }

    /// Sends each record to `partitioner(key_of(record), n)` of `n` consumers.
    ///
    /// An unaligned checkpoint holding records in flight on this edge restores only at the
    /// parallelism it was taken at, since the function may route by it; see
    /// [`Self::partition_custom_rescalable`].
    pub fn partition_custom<K, P, KS>(&self, partitioner: P, key_of: KS) -> DataStream<T>
    where
        P: Fn(&K, usize) -> usize + Clone + Send + Sync + 'static,
        KS: Fn(&T) -> K + Clone + Send + Sync + 'static,
        K: Hash,
    {
        self.custom_partitioner(partitioner, key_of, None)
    }

    /// [`Self::partition_custom`], with `resplit` saying which part of a record in flight
    /// each subtask replays when an unaligned checkpoint is restored at another parallelism
    /// (see [`crate::Resplit`]'s contract): SQL's keyed exchanges, which route batches cut
    /// by key group, recompute their rows' key groups with it.
    ///
    /// ```
    /// use weir::prelude::*;
    /// use weir::{Resplit, ResplitTarget};
    /// use weir_core::key_group::{assign_to_key_group, operator_index_for_key_group};
    /// let env = StreamExecutionEnvironment::new();
    /// // Routed by key group, as key_by would, so a restore can deal them out again.
    /// let resplit = Resplit::new(|v: i64, to: &ResplitTarget| {
    ///     Ok(to.key_groups().contains(assign_to_key_group(&v, to.max_parallelism)).then_some(v))
    /// });
    /// let got = env
    ///     .from_sequence(1, 10)
    ///     .with_record_serializer()
    ///     .partition_custom_rescalable(
    ///         |k: &usize, n: usize| operator_index_for_key_group(128, n, *k),
    ///         |v: &i64| assign_to_key_group(v, 128),
    ///         resplit,
    ///     )
    ///     .map(|v| v * 2)
    ///     .set_parallelism(3)
    ///     .collect();
    /// env.execute("rescalable").unwrap();
    /// assert_eq!(got.take().len(), 10);
    /// ```
    pub fn partition_custom_rescalable<K, P, KS>(
        &self,
        partitioner: P,
        key_of: KS,
        resplit: Resplit<T>,
    ) -> DataStream<T>
    where
        P: Fn(&K, usize) -> usize + Clone + Send + Sync + 'static,
        KS: Fn(&T) -> K + Clone + Send + Sync + 'static,
        K: Hash,
    {
        self.custom_partitioner(partitioner, key_of, Some(resplit))
    }

    fn custom_partitioner<K, P, KS>(&self, partitioner: P, key_of: KS, resplit: Option<Resplit<T>>) -> DataStream<T>
    where
        P: Fn(&K, usize) -> usize + Clone + Send + Sync + 'static,
        KS: Fn(&T) -> K + Clone + Send + Sync + 'static,
        K: Hash,
    {
        let writer = Arc::new(
            move |senders: Vec<weir_runtime::graph::ErasedSender>, ctx: weir_runtime::record_writer::WriterContext| {
                let n = senders.len();
                let (p, ks) = (partitioner.clone(), key_of.clone());
                let sel = CustomSelector::new(move |v: &T, n: usize| p(&ks(v), n), n);
                Ok(erase_output::<T>(Box::new(RecordWriter::new(downcast_senders::<T>(senders)?, sel, ctx))))
            },
        );
        self.with_partitioner(Partitioner::Custom(writer, resplit.map(Resplit::erase)))
    }

    /// The side output `tag` of the operator that produced this stream.
    pub fn get_side_output<X: Data>(&self, tag: &OutputTag<X>) -> DataStream<X> {
        let Some(r) = self.single_operator() else {
            self.env.record_error(format!("get_side_output('{}') needs the stream of a single operator", tag.id()));
            return DataStream { env: self.env.clone(), refs: Vec::new(), _t: PhantomData };
        };
        let id = tag.id().to_string();
        let make_id = id.clone();
        self.env.add_side_port(
            r.vertex,
            SidePort {
                tag: id.clone(),
                make: Arc::new(move |outs| {
                    Ok(Box::new(SideBuffer::<X>::new(make_id.clone(), main_output::<X>(outs)?)) as Box<dyn SideChannel>)
                }),
            },
        );
        let mut side = StreamRef::main::<X>(r.vertex);
        side.port = Port::Side(id);
        DataStream::from_ref(self.env.clone(), side)
    }

    /// Writes the stream to `sink` (Flink's `sinkTo`). A two-phase-commit sink (one with
    /// a [`Committer`](weir_runtime::Committer)) takes part in checkpoints: what it wrote
    /// becomes visible when the checkpoint after it completes, so with checkpointing its
    /// output is exactly-once across failures.
    pub fn sink_to<S: Sink<T>>(&self, sink: S, name: &str) -> DataStreamSink {
        let sink = Arc::new(sink);
        let writers = sink.clone();
        let factory = OperatorVertex::new(
            move |st: &SubtaskInfo| Ok(SinkOperator::<T, S::Writer>::new(writers.create_writer(st)?)),
            vec![Arc::new(Direct) as Arc<dyn InputAdapter<T>>],
        )
        .with_committer(Arc::new(move || sink.create_committer()));
        let id = self.env.add_vertex(&format!("Sink: {name}"), Arc::new(factory), self.inputs(0));
        DataStreamSink { stream: DataStream::from_ref(self.env.clone(), StreamRef::main::<()>(id)) }
    }

    /// Prints every record to stdout, prefixed `N> ` by subtask when the sink runs in
    /// parallel (Flink's `print()`).
    pub fn print(&self) -> DataStreamSink
    where
        T: std::fmt::Display,
    {
        self.sink_to(PrintSink::new(), "Print to Std. Out")
    }

    /// Prints every record to stderr.
    pub fn print_to_err(&self) -> DataStreamSink
    where
        T: std::fmt::Display,
    {
        self.sink_to(PrintSink::stderr(), "Print to Std. Err")
    }

    /// Collects every record into memory; read them with [`CollectHandle::take`] after
    /// `execute` (records of parallel subtasks interleave in no fixed order).
    pub fn collect(&self) -> CollectHandle<T> {
        let sink = CollectSink::new();
        let handle = sink.handle();
        self.sink_to(sink, "Collect");
        handle
    }

    /// Writes each record's `Display` as a line into part files in directory `dir`.
    pub fn write_as_text(&self, dir: impl Into<std::path::PathBuf>) -> DataStreamSink
    where
        T: std::fmt::Display,
    {
        self.sink_to(TextFileSink::new(dir), "Text File Sink")
    }

    /// Writes each record as a JSON object per line into part files in directory `dir`.
    pub fn write_as_json(&self, dir: impl Into<std::path::PathBuf>) -> DataStreamSink
    where
        T: serde::Serialize,
    {
        self.sink_to(JsonLinesSink::new(dir), "JSON Lines Sink")
    }

    fn single_operator(&self) -> Option<&StreamRef> {
        match self.refs.as_slice() {
            [r] if r.port == Port::Main => Some(r),
            _ => None,
        }
    }

    fn configure(self, what: &str, f: impl FnOnce(&mut weir_runtime::Vertex)) -> Self {
        match self.single_operator() {
            Some(r) => self.env.update_vertex(r.vertex, f),
            None => self
                .env
                .record_error(format!("{what} applies to the output of one operator, not to a union or side output")),
        }
        self
    }

    /// The parallelism of the operator that produced this stream (its own, else the
    /// environment's default); `None` for a union or a side output.
    pub fn parallelism(&self) -> Option<usize> {
        self.single_operator().and_then(|r| self.env.vertex_parallelism(r.vertex))
    }

    /// The parallelism all the operators this stream comes from run at: that of its one
    /// operator, or the one every input of a union (or side output) shares; `None` when
    /// they differ. An operator reading the stream at this parallelism receives each
    /// upstream subtask's records through one channel, in order.
    pub fn common_parallelism(&self) -> Option<usize> {
        let mut each = self.refs.iter().map(|r| self.env.vertex_parallelism(r.vertex));
        let first = each.next()??;
        each.all(|p| p == Some(first)).then_some(first)
    }

    /// Sets the parallelism of the operator that produced this stream.
    pub fn set_parallelism(self, parallelism: usize) -> Self {
        self.configure("set_parallelism", |v| v.parallelism = Some(parallelism))
    }

    /// Sets the maximum parallelism (number of key groups) of the operator.
    pub fn set_max_parallelism(self, max_parallelism: usize) -> Self {
        self.configure("set_max_parallelism", |v| v.max_parallelism = Some(max_parallelism))
    }

    /// Names the operator (shown in errors, plans and thread names).
    pub fn name(self, name: &str) -> Self {
        let name = name.to_string();
        self.configure("name", |v| v.name = name)
    }

    /// Gives the operator a stable id, by which its state is matched across runs.
    pub fn uid(self, uid: &str) -> Self {
        let uid = uid.to_string();
        self.configure("uid", |v| v.uid = Some(uid))
    }

    /// Starts a new chain at this operator (it is not chained to its predecessor).
    pub fn start_new_chain(self) -> Self {
        self.configure("start_new_chain", |v| v.chaining = ChainingStrategy::Head)
    }

    /// Keeps this operator out of any chain.
    pub fn disable_chaining(self) -> Self {
        self.configure("disable_chaining", |v| v.chaining = ChainingStrategy::Never)
    }
}

impl<A: Data, B: Data> ConnectedStreams<A, B> {
    pub(crate) fn add<O, M>(&self, name: &str, make: M) -> DataStream<O::Out>
    where
        O: Operator<In = Either<A, B>>,
        O::Out: Data,
        M: Fn(&SubtaskInfo) -> Result<O, BoxError> + Send + Sync + 'static,
    {
        let inputs: Vec<Arc<dyn InputAdapter<Either<A, B>>>> = vec![
            Arc::new(MapInput::new(|a: A| Either::<A, B>::Left(a))),
            Arc::new(MapInput::new(|b: B| Either::<A, B>::Right(b))),
        ];
        let factory = OperatorVertex::new(make, inputs);
        let mut edges = self.first.inputs(0);
        edges.extend(self.second.inputs(1));
        let id = self.first.env.add_vertex(name, Arc::new(factory), edges);
        DataStream::from_ref(self.first.env.clone(), StreamRef::main::<O::Out>(id))
    }
}
