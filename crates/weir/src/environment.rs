//! [`StreamExecutionEnvironment`]: where a job is built and executed.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use weir_core::VertexId;
use weir_runtime::graph::{SidePort, StreamType, TypedStream, VertexFactory};
use weir_runtime::in_flight::RecordCodec;
use weir_runtime::plan::ExecutionPlan;
use weir_runtime::restart::RestartStrategy;
use weir_runtime::vertex::SourceVertex;
use weir_runtime::{
    ChainingStrategy, CheckpointSettings, Clock, Edge, ExecutionConfig, JobControl, JobError, JobExecutionResult,
    JobGraph, LocalExecutor, Partitioner, Port, Source, SystemClock, Vertex, WatermarkStrategy,
};

use weir_connectors::{CollectionSource, NumberSequenceSource, TextFileSource};
use weir_state::StateBackendConfig;

use crate::{Data, DataStream};

/// The graph being built, shared by every stream handle of one environment.
///
/// Vertices are never removed: a stream kept from a job that was already executed still
/// names its operators. `execute` runs the operators added since the last execution
/// together with everything upstream of them — so reusing an old stream re-runs its
/// pipeline, as in Flink.
pub(crate) struct Builder {
    config: ExecutionConfig,
    vertices: Vec<Vertex>,
    edges: Vec<Edge>,
    errors: Vec<String>,
    /// Vertices below this index belong to jobs already executed.
    executed: usize,
    clock: Arc<dyn Clock>,
    checkpointing: Option<CheckpointSettings>,
    /// Read by keyed operators when their subtasks start, so it may be set after the
    /// operators are defined; apart from the builder so operator factories can hold it.
    state_backend: Arc<Mutex<StateBackendConfig>>,
    /// Record codecs registered by type: streams of that type created afterwards store
    /// their records with it (see [`StreamExecutionEnvironment::register_record_codec`]).
    codecs: HashMap<TypeId, Arc<dyn StreamType>>,
}

impl Builder {
    /// The job made of the vertices added since the last execution and their upstream,
    /// renumbered densely in creation order (so edges still go from earlier to later).
    fn pending_graph(&self, name: &str) -> JobGraph {
        let n = self.vertices.len();
        let mut needed = vec![false; n];
        for flag in needed.iter_mut().skip(self.executed) {
            *flag = true;
        }
        // Edges go from earlier to later vertices: one backwards sweep finds all ancestors.
        for v in (0..n).rev() {
            if needed[v] {
                for e in self.edges.iter().filter(|e| e.target.0 as usize == v) {
                    needed[e.source.0 as usize] = true;
                }
            }
        }
        let mut new_id = vec![u32::MAX; n];
        let mut vertices = Vec::new();
        for (v, vertex) in self.vertices.iter().enumerate().filter(|(v, _)| needed[*v]) {
            new_id[v] = vertices.len() as u32;
            vertices.push(Vertex { id: VertexId(new_id[v]), ..vertex.clone() });
        }
        let edges = self
            .edges
            .iter()
            .filter(|e| needed[e.source.0 as usize] && needed[e.target.0 as usize])
            .map(|e| Edge {
                source: VertexId(new_id[e.source.0 as usize]),
                target: VertexId(new_id[e.target.0 as usize]),
                ..e.clone()
            })
            .collect();
        JobGraph {
            name: name.to_string(),
            config: self.config.clone(),
            clock: self.clock.clone(),
            vertices,
            edges,
            checkpointing: self.checkpointing.clone(),
        }
    }
}

/// One output of a vertex as the input of the next transformation, with the
/// partitioning chosen for that connection.
#[derive(Clone)]
pub(crate) struct StreamRef {
    pub(crate) vertex: VertexId,
    pub(crate) port: Port,
    pub(crate) partitioner: Option<Partitioner>,
    pub(crate) stream: Arc<dyn StreamType>,
}

impl StreamRef {
    pub(crate) fn main<T: Data>(vertex: VertexId) -> Self {
        StreamRef { vertex, port: Port::Main, partitioner: None, stream: Arc::new(TypedStream::<T>::new()) }
    }
}

/// Builds and runs a streaming job (Flink's `StreamExecutionEnvironment`).
///
/// Transformations on the streams it creates add operators to a job graph; `execute`
/// runs that graph on the embedded runtime and clears it, so one environment can build
/// and run several jobs one after the other.
///
/// # Example
/// ```
/// use weir::prelude::*;
/// let env = StreamExecutionEnvironment::new().with_parallelism(2);
/// let counts = env
///     .from_collection(vec![("a".to_string(), 1u64), ("b".into(), 1), ("a".into(), 1)])
///     .key_by(|(word, _): &(String, u64)| word.clone())
///     .sum(1)
///     .collect();
/// env.execute("word count").unwrap();
/// let mut last = counts.take();
/// last.sort();
/// assert_eq!(last, vec![("a".to_string(), 1), ("a".to_string(), 2), ("b".to_string(), 1)]);
/// ```
#[derive(Clone)]
pub struct StreamExecutionEnvironment {
    inner: Arc<Mutex<Builder>>,
}

impl Default for StreamExecutionEnvironment {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamExecutionEnvironment {
    /// An environment running jobs in this process with the default configuration
    /// (parallelism 1).
    pub fn new() -> Self {
        Self::with_config(ExecutionConfig::default())
    }

    /// An environment with an explicit configuration.
    pub fn with_config(config: ExecutionConfig) -> Self {
        StreamExecutionEnvironment {
            inner: Arc::new(Mutex::new(Builder {
                config,
                vertices: Vec::new(),
                edges: Vec::new(),
                errors: Vec::new(),
                executed: 0,
                clock: Arc::new(SystemClock),
                checkpointing: None,
                state_backend: Arc::new(Mutex::new(StateBackendConfig::default())),
                codecs: HashMap::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Builder> {
        // Building a graph never panics while holding the lock, so poisoning cannot
        // leave it half-updated; recover the guard either way.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Where keyed state lives (Flink's `state.backend.type`): on the heap (the default)
    /// or in the embedded LSM, within a memory budget, for state larger than memory.
    /// Applies to keyed process functions (their value, list, map, reducing and
    /// aggregating states) of jobs executed from now on; timers stay on the heap.
    ///
    /// ```
    /// use weir::prelude::*;
    /// use weir_state::StateBackendConfig;
    /// let config = StateBackendConfig::from_options([
    ///     ("state.backend.type", "embedded"),
    ///     ("state.backend.fjall.memory", "16mb"),
    /// ]).unwrap();
    /// let env = StreamExecutionEnvironment::new().with_state_backend(config);
    /// assert_eq!(env.state_backend().kind, weir_state::StateBackendKind::Embedded);
    /// ```
    pub fn with_state_backend(self, config: StateBackendConfig) -> Self {
        *self.state_backend_slot().lock().unwrap_or_else(|p| p.into_inner()) = config;
        self
    }

    /// The state backend configuration jobs will run with.
    pub fn state_backend(&self) -> StateBackendConfig {
        self.state_backend_slot().lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stores records of type `T` with `codec` wherever they cross tasks (Flink's
    /// registration of a type's serializer): every stream of `T` created from now on can
    /// take part in unaligned checkpoints without
    /// [`DataStream::with_record_serializer`](crate::DataStream::with_record_serializer) —
    /// the way to give a type serde does not cover (Arrow batches, for SQL) its codec.
    ///
    /// ```
    /// use weir::prelude::*;
    /// use weir_runtime::in_flight::RecordCodec;
    /// let env = StreamExecutionEnvironment::new();
    /// env.register_record_codec(RecordCodec::<(u32, u64)>::serde());
    /// let got = env.from_collection(vec![(1u32, 2u64)]).rebalance().map(|(_, n)| n).collect();
    /// env.execute("registered").unwrap();
    /// assert_eq!(got.take(), vec![2]);
    /// ```
    pub fn register_record_codec<T: Clone + Send + 'static>(&self, codec: RecordCodec<T>) {
        self.lock().codecs.insert(TypeId::of::<T>(), Arc::new(TypedStream::<T>::with_codec(codec)));
    }

    /// The stream type of `T`: with the codec registered for it, if any.
    pub(crate) fn stream_type<T: Send + 'static>(&self) -> Option<Arc<dyn StreamType>> {
        self.lock().codecs.get(&TypeId::of::<T>()).cloned()
    }

    /// The shared slot keyed operators read their backend configuration from.
    pub(crate) fn state_backend_slot(&self) -> Arc<Mutex<StateBackendConfig>> {
        self.lock().state_backend.clone()
    }

    /// Sets the default parallelism of every operator.
    pub fn with_parallelism(self, parallelism: usize) -> Self {
        self.lock().config.parallelism = parallelism;
        self
    }

    /// Sets the default maximum parallelism (number of key groups).
    pub fn with_max_parallelism(self, max_parallelism: usize) -> Self {
        self.lock().config.max_parallelism = Some(max_parallelism);
        self
    }

    /// Sets the buffer timeout: `Some(0)` flushes after every batch (lowest latency),
    /// `None` only when batches are full (highest throughput). Default 100 ms.
    pub fn with_buffer_timeout(self, timeout: Option<Duration>) -> Self {
        self.lock().config.buffer_timeout = timeout;
        self
    }

    /// Sets the number of records per batch between tasks (default 1024).
    pub fn with_batch_size(self, batch_size: usize) -> Self {
        self.lock().config.batch_size = batch_size;
        self
    }

    /// Sets how many batches a channel between two subtasks holds (default 2).
    pub fn with_channel_capacity(self, batches: usize) -> Self {
        self.lock().config.channel_capacity = batches;
        self
    }

    /// Reads processing time from `clock` (a [`weir_runtime::ManualClock`] lets tests
    /// drive processing-time logic without sleeping).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        self.lock().clock = clock;
        self
    }

    /// The clock the environment's jobs read processing time from.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.lock().clock.clone()
    }

    /// Takes checkpoints as `settings` say (interval, storage, and what to resume from);
    /// Flink's `enableCheckpointing`. Sources record their positions, operators their
    /// state; on a failure the job restarts from the latest completed checkpoint.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weir::prelude::*;
    /// use weir_checkpoint::{CheckpointConfig, LocalDirStorage};
    /// use weir_runtime::CheckpointSettings;
    /// let dir = tempfile::tempdir().unwrap();
    /// let storage = Arc::new(LocalDirStorage::new(dir.path()).unwrap());
    /// let env = StreamExecutionEnvironment::new()
    ///     .enable_checkpointing(CheckpointSettings { config: CheckpointConfig::every(100), storage, restore: None });
    /// let got = env.from_sequence(1, 1000).key_by(|x: &i64| x % 3).sum(0).collect();
    /// let result = env.execute("checkpointed").unwrap();
    /// assert!(!result.completed_checkpoints.is_empty(), "the final checkpoint at least");
    /// assert_eq!(got.take().len(), 1000);
    /// ```
    pub fn enable_checkpointing(self, settings: CheckpointSettings) -> Self {
        self.lock().checkpointing = Some(settings);
        self
    }

    /// Sets the restart strategy (default: fixed delay, unlimited, with checkpointing;
    /// none without).
    pub fn with_restart_strategy(self, strategy: RestartStrategy) -> Self {
        self.lock().config.restart_strategy = Some(strategy);
        self
    }

    /// Turns operator chaining off for the whole job.
    pub fn disable_operator_chaining(self) -> Self {
        self.lock().config.chaining = false;
        self
    }

    /// The configuration jobs will run with.
    pub fn config(&self) -> ExecutionConfig {
        self.lock().config.clone()
    }

    /// A stream read from `source`, with event time by `strategy` applied per split
    /// (Flink's `fromSource`). [`WatermarkStrategy::no_watermarks`] keeps the timestamps
    /// the source gives records and makes no watermarks before the end of input.
    pub fn from_source<S>(&self, source: S, strategy: WatermarkStrategy<S::Out>, name: &str) -> DataStream<S::Out>
    where
        S: Source,
        S::Out: Data,
    {
        let interval = self.lock().config.auto_watermark_interval.as_millis() as i64;
        let vertex = SourceVertex::new(source, strategy, interval);
        let id = self.add_vertex(&format!("Source: {name}"), Arc::new(vertex), Vec::new());
        DataStream::from_ref(self.clone(), StreamRef::main::<S::Out>(id))
    }

    /// Sets how often periodic watermarks are generated (default 200 ms; zero turns
    /// periodic watermarks off).
    pub fn with_auto_watermark_interval(self, interval: Duration) -> Self {
        self.lock().config.auto_watermark_interval = interval;
        self
    }

    /// A stream of the given values, in order, read by one source subtask (as Flink's
    /// `fromCollection`).
    pub fn from_collection<T: Data + Sync>(&self, values: Vec<T>) -> DataStream<T> {
        self.from_source(CollectionSource::new(values), WatermarkStrategy::no_watermarks(), "Collection Source")
            .set_parallelism(1)
    }

    /// The numbers `from..=to`, split into contiguous ranges over the source's subtasks
    /// (Flink's `fromSequence`).
    pub fn from_sequence(&self, from: i64, to: i64) -> DataStream<i64> {
        self.from_source(NumberSequenceSource::new(from, to), WatermarkStrategy::no_watermarks(), "Sequence Source")
    }

    /// The lines of a text file, or of every file in a directory (one split per file).
    pub fn read_text_file(&self, path: impl Into<std::path::PathBuf>) -> DataStream<String> {
        self.from_source(TextFileSource::new(path), WatermarkStrategy::no_watermarks(), "Text File")
    }

    /// The lines a TCP server at `host:port` sends, until it closes the connection (Flink's
    /// `socketTextStream`; one reader; bytes that are not UTF-8 become U+FFFD). For another
    /// delimiter or raw bytes, use [`from_source`](Self::from_source) with a
    /// [`SocketSource`](weir_connectors::socket::SocketSource).
    pub fn socket_text_stream(&self, host: &str, port: u16) -> DataStream<String> {
        let source = weir_connectors::socket::SocketSource::new(host, port);
        self.from_source(source, WatermarkStrategy::no_watermarks(), "Socket Stream")
            .set_parallelism(1)
            .map(|bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned())
            .set_parallelism(1)
    }

    /// Runs the job built so far on the embedded runtime and waits for it to finish
    /// (a job over bounded sources ends by itself).
    ///
    /// # Errors
    /// An invalid job (reported before anything runs), or the first failure of an
    /// operator, naming it and its subtask.
    pub fn execute(&self, job_name: &str) -> Result<JobExecutionResult, JobError> {
        let graph = self.take_graph(job_name)?;
        LocalExecutor.execute(graph)
    }

    /// Starts the job built so far on a thread of its own and returns at once: the
    /// [`JobControl`] triggers savepoints while it runs, the handle joins it.
    ///
    /// # Errors
    /// An invalid job (reported before anything runs).
    pub fn execute_async(
        &self,
        job_name: &str,
    ) -> Result<(JobControl, std::thread::JoinHandle<Result<JobExecutionResult, JobError>>), JobError> {
        let graph = self.take_graph(job_name)?;
        let (control, commands) = LocalExecutor::control();
        let handle = std::thread::Builder::new()
            .name(format!("job {job_name}"))
            .spawn(move || LocalExecutor.execute_with(graph, commands))
            .map_err(|e| JobError::Internal(format!("cannot start the job thread: {e}")))?;
        Ok((control, handle))
    }

    /// The job built since the last execution (with everything upstream of it), which
    /// the next `execute` will run; marks it as executed.
    ///
    /// # Errors
    /// A mistake recorded while building (a bad aggregation position).
    pub fn take_graph(&self, job_name: &str) -> Result<JobGraph, JobError> {
        let mut b = self.lock();
        let errors = std::mem::take(&mut b.errors);
        let graph = b.pending_graph(job_name);
        b.executed = b.vertices.len();
        if !errors.is_empty() {
            return Err(JobError::InvalidGraph(errors.join("; ")));
        }
        Ok(graph)
    }

    /// How the job built so far would run: its chains (tasks) with their parallelism,
    /// as `"Source: a -> Map (p=2)"` lines. The graph stays in the environment.
    ///
    /// # Errors
    /// As [`Self::execute`], for an invalid graph.
    pub fn explain(&self) -> Result<String, JobError> {
        let b = self.lock();
        if !b.errors.is_empty() {
            return Err(JobError::InvalidGraph(b.errors.join("; ")));
        }
        let graph = b.pending_graph("");
        let plan = ExecutionPlan::new(&graph)?;
        let mut lines = Vec::new();
        for chain in &plan.chains {
            lines.push(format!("{} (p={})", chain.name, chain.parallelism));
            for (ei, e) in graph.edges.iter().enumerate() {
                if !plan.chained[ei] && chain.vertices.contains(&e.source) {
                    let target = &graph.vertices[e.target.0 as usize].name;
                    lines.push(format!("  --{:?}--> {target}", plan.partitioners[ei]));
                }
            }
        }
        Ok(lines.join("\n"))
    }

    pub(crate) fn add_vertex(
        &self,
        name: &str,
        factory: Arc<dyn VertexFactory>,
        inputs: Vec<(StreamRef, usize)>,
    ) -> VertexId {
        let mut b = self.lock();
        let id = VertexId(b.vertices.len() as u32);
        b.vertices.push(Vertex {
            id,
            name: name.to_string(),
            uid: None,
            parallelism: None,
            max_parallelism: None,
            chaining: ChainingStrategy::Always,
            side_ports: Vec::new(),
            factory,
        });
        for (r, input) in inputs {
            b.edges.push(Edge {
                source: r.vertex,
                port: r.port,
                target: id,
                input,
                partitioner: r.partitioner,
                stream: r.stream,
            });
        }
        id
    }

    /// The parallelism vertex `id` runs at: its own, else the default.
    pub(crate) fn vertex_parallelism(&self, id: VertexId) -> Option<usize> {
        let b = self.lock();
        let v = b.vertices.get(id.0 as usize)?;
        Some(v.parallelism.unwrap_or(b.config.parallelism))
    }

    pub(crate) fn update_vertex(&self, id: VertexId, f: impl FnOnce(&mut Vertex)) {
        let mut b = self.lock();
        if let Some(v) = b.vertices.get_mut(id.0 as usize) {
            f(v);
        }
    }

    pub(crate) fn add_side_port(&self, id: VertexId, port: SidePort) {
        self.update_vertex(id, |v| {
            if !v.side_ports.iter().any(|p| p.tag == port.tag) {
                v.side_ports.push(port);
            }
        });
    }

    pub(crate) fn record_error(&self, message: String) {
        self.lock().errors.push(message);
    }
}
