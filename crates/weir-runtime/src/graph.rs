//! The job graph: the plain-data description of a job that the user API builds and the
//! runtime executes.
//!
//! A [`JobGraph`] lists [`Vertex`]es (sources, operators, sinks) and the [`Edge`]s
//! between them. It carries no runtime state: operator logic is inside each vertex's
//! [`VertexFactory`], which makes a fresh instance per parallel subtask. Chaining,
//! channels and tasks are decided by the runtime when the graph is executed
//! ([`crate::plan`]), so the same graph can run embedded or, later, on a cluster.
//!
//! Record types are erased at this level: a vertex's factory and an edge's
//! [`StreamType`] are written once per type by the typed API and do the downcasts.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

use weir_core::VertexId;

use crate::channel::{local_channel, ChannelReceiver, ChannelSender};
use crate::clock::Clock;
use crate::config::ExecutionConfig;
use crate::in_flight::RecordCodec;
use crate::operator::SideChannel;
use crate::output::Output;
use crate::partitioner::{ErasedKeyGroupOf, ErasedResplit, FirstChannel, Random, RoundRobin};
use crate::record_writer::{BroadcastWriter, RecordWriter, WriterContext};
use crate::sink::Committer;
use crate::snapshot::OperatorStateReader;
use crate::task::TaskBody;
use crate::{BoxError, JobError, SubtaskInfo};

/// A `ChannelSender<T>` with `T` hidden.
pub type ErasedSender = Box<dyn Any + Send>;
/// A [`TypedReceiver<T>`] with `T` hidden.
pub type ErasedReceiver = Box<dyn Any + Send>;
/// A `Box<dyn Output<T>>` with `T` hidden.
pub type ErasedOutput = Box<dyn Any + Send>;
/// Builds a side output's channel from its consumers' (erased) outputs.
pub type SideChannelFn = Arc<dyn Fn(Vec<ErasedOutput>) -> Result<Box<dyn SideChannel>, JobError> + Send + Sync>;
/// Builds the record writer of a key-by or custom partitioner (typed where it was made).
pub type WriterFn = Arc<dyn Fn(Vec<ErasedSender>, WriterContext) -> Result<ErasedOutput, JobError> + Send + Sync>;

/// A whole job.
#[derive(Clone)]
pub struct JobGraph {
    /// The job's name.
    pub name: String,
    /// Execution settings.
    pub config: ExecutionConfig,
    /// Where tasks read processing time.
    pub clock: Arc<dyn Clock>,
    /// Vertices, indexed by `VertexId.0`.
    pub vertices: Vec<Vertex>,
    /// Edges, in creation order.
    pub edges: Vec<Edge>,
    /// Checkpointing, if enabled.
    pub checkpointing: Option<crate::checkpointing::CheckpointSettings>,
}

/// Whether a vertex may share a task with its neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainingStrategy {
    /// Chain with the predecessor and successors whenever possible (the default).
    Always,
    /// Start a new chain here (`start_new_chain`), but successors may chain to it.
    Head,
    /// Never chain (`disable_chaining`).
    Never,
}

/// One operator, source or sink of the job.
#[derive(Clone)]
pub struct Vertex {
    /// Its id: its index in [`JobGraph::vertices`].
    pub id: VertexId,
    /// Its name, shown in errors, thread names and plans.
    pub name: String,
    /// The stable user-given id (Flink's `uid`) that state will be matched by.
    pub uid: Option<String>,
    /// Its parallelism, or the job's default.
    pub parallelism: Option<usize>,
    /// Its maximum parallelism (number of key groups), or the job's default.
    pub max_parallelism: Option<usize>,
    /// Chaining with its neighbours.
    pub chaining: ChainingStrategy,
    /// The side outputs other vertices consume.
    pub side_ports: Vec<SidePort>,
    /// Makes its instances.
    pub factory: Arc<dyn VertexFactory>,
}

/// Which output of a vertex an edge leaves from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Port {
    /// The main output.
    Main,
    /// The side output with this tag name.
    Side(String),
}

/// How records on an edge are spread over the consuming subtasks.
#[derive(Clone)]
pub enum Partitioner {
    /// Subtask *i* to subtask *i*; parallelisms must be equal.
    Forward,
    /// Round robin over all consumers.
    Rebalance,
    /// Round robin over a local group of consumers (pointwise).
    Rescale,
    /// Uniformly random.
    Shuffle,
    /// Every record to every consumer.
    Broadcast,
    /// Everything to consumer 0.
    Global,
    /// By the key's key group (`key_by`): the writer, and the key group of a record (a
    /// [`crate::partitioner::KeyGroupOf`] of the edge's record type), with which a restore
    /// at another parallelism deals out the edge's in-flight records.
    KeyBy(WriterFn, ErasedKeyGroupOf),
    /// By a user function: the writer, and, when the function routes by something a
    /// restore at another parallelism can compute again, how to deal out the edge's
    /// in-flight records then (a [`crate::partitioner::Resplit`] of the edge's record type;
    /// without it such records restore only at the old parallelism).
    Custom(WriterFn, Option<ErasedResplit>),
}

impl Partitioner {
    /// The partitioner's name, as Flink shows it in plans.
    pub fn name(&self) -> &'static str {
        match self {
            Partitioner::Forward => "FORWARD",
            Partitioner::Rebalance => "REBALANCE",
            Partitioner::Rescale => "RESCALE",
            Partitioner::Shuffle => "SHUFFLE",
            Partitioner::Broadcast => "BROADCAST",
            Partitioner::Global => "GLOBAL",
            Partitioner::KeyBy(..) => "HASH",
            Partitioner::Custom(..) => "CUSTOM",
        }
    }

    /// Whether each producer talks to a subset of consumers rather than to all.
    pub fn is_pointwise(&self) -> bool {
        matches!(self, Partitioner::Forward | Partitioner::Rescale)
    }
}

impl std::fmt::Debug for Partitioner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A connection from a vertex's output to an input of another vertex.
#[derive(Clone)]
pub struct Edge {
    /// Producer.
    pub source: VertexId,
    /// Which output of the producer.
    pub port: Port,
    /// Consumer.
    pub target: VertexId,
    /// Which input of the consumer (0, or 1 for the second stream of `connect`).
    pub input: usize,
    /// How records are spread; `None` means Flink's default: forward when the
    /// parallelisms are equal, rebalance otherwise.
    pub partitioner: Option<Partitioner>,
    /// Makes channels and writers for the edge's record type.
    pub stream: Arc<dyn StreamType>,
}

/// A side output that has consumers: how to build its buffer around their outputs.
#[derive(Clone)]
pub struct SidePort {
    /// The tag's name.
    pub tag: String,
    /// Builds the side channel from the consumers' (erased) outputs.
    pub make: SideChannelFn,
}

/// Makes channels and writers for one record type.
pub trait StreamType: Send + Sync {
    /// A bounded channel holding `capacity` batches; with `unaligned`, its receiver
    /// returns barriers of the priority lane ahead of the data (see [`crate::channel`]).
    fn channel(&self, capacity: usize, unaligned: bool) -> (ErasedSender, ErasedReceiver);

    /// Whether the records can be stored (unaligned checkpoints store those in flight).
    fn has_record_codec(&self) -> bool {
        false
    }

    /// The record type's name, for errors.
    fn record_type(&self) -> &'static str {
        "(unknown)"
    }

    /// The writer that sends a producer subtask's records into `senders` as `partitioner`
    /// says.
    ///
    /// # Errors
    /// If the senders are not of this stream's type (a Weir bug).
    fn writer(
        &self,
        partitioner: &Partitioner,
        senders: Vec<ErasedSender>,
        ctx: WriterContext,
    ) -> Result<ErasedOutput, JobError>;
}

/// The [`StreamType`] of records of type `T`, with the codec that stores them if `T` has
/// one.
pub struct TypedStream<T> {
    codec: Option<RecordCodec<T>>,
    _t: PhantomData<fn() -> T>,
}

impl<T> TypedStream<T> {
    /// The stream type of `T`, whose records cannot be stored.
    pub fn new() -> Self {
        TypedStream { codec: None, _t: PhantomData }
    }

    /// The stream type of `T`, whose records `codec` stores.
    pub fn with_codec(codec: RecordCodec<T>) -> Self {
        TypedStream { codec: Some(codec), _t: PhantomData }
    }
}

/// The receiving end of a channel as a task's input adapter takes it: the channel and
/// its edge's record codec.
#[derive(Debug)]
pub struct TypedReceiver<T> {
    /// The channel.
    pub channel: ChannelReceiver<T>,
    /// Stores its records, if the record type can be stored.
    pub codec: Option<RecordCodec<T>>,
}

impl<T> Default for TypedStream<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Recovers typed channel ends.
///
/// # Errors
/// When an end is of another type (a Weir bug).
pub fn downcast_senders<T: Send + 'static>(senders: Vec<ErasedSender>) -> Result<Vec<ChannelSender<T>>, JobError> {
    senders
        .into_iter()
        .map(|s| s.downcast::<ChannelSender<T>>().map(|b| *b).map_err(|_| type_mismatch::<T>("channel")))
        .collect()
}

/// Recovers a typed output.
///
/// # Errors
/// When it is of another type (a Weir bug).
pub fn downcast_output<T: 'static>(output: ErasedOutput) -> Result<Box<dyn Output<T>>, JobError> {
    output.downcast::<Box<dyn Output<T>>>().map(|b| *b).map_err(|_| type_mismatch::<T>("output"))
}

/// Erases a typed output.
pub fn erase_output<T: 'static>(output: Box<dyn Output<T>>) -> ErasedOutput {
    Box::new(output)
}

pub(crate) fn type_mismatch<T>(what: &str) -> JobError {
    JobError::Internal(format!("{what} is not of record type {}", std::any::type_name::<T>()))
}

impl<T: Clone + Send + 'static> StreamType for TypedStream<T> {
    fn channel(&self, capacity: usize, unaligned: bool) -> (ErasedSender, ErasedReceiver) {
        let (tx, rx) = if unaligned {
            // The receiver keeps the buffer, where a checkpoint can look at it.
            let (tx, mut rx) = local_channel::<T>(1);
            rx.watch_priority(capacity.saturating_sub(1).max(1));
            (tx, rx)
        } else {
            local_channel::<T>(capacity)
        };
        let rx = TypedReceiver { channel: rx, codec: self.codec };
        (Box::new(tx), Box::new(rx) as Box<dyn Any + Send>)
    }

    fn has_record_codec(&self) -> bool {
        self.codec.is_some()
    }

    fn record_type(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn writer(
        &self,
        partitioner: &Partitioner,
        senders: Vec<ErasedSender>,
        ctx: WriterContext,
    ) -> Result<ErasedOutput, JobError> {
        let n = senders.len();
        let out: Box<dyn Output<T>> = match partitioner {
            Partitioner::KeyBy(make, _) | Partitioner::Custom(make, _) => return make(senders, ctx),
            Partitioner::Broadcast => Box::new(BroadcastWriter::new(downcast_senders::<T>(senders)?, ctx)),
            Partitioner::Forward | Partitioner::Global => {
                Box::new(RecordWriter::new(downcast_senders::<T>(senders)?, FirstChannel, ctx))
            }
            Partitioner::Rebalance | Partitioner::Rescale => {
                let rr = RoundRobin::new(n, ctx.subtask);
                Box::new(RecordWriter::new(downcast_senders::<T>(senders)?, rr, ctx))
            }
            Partitioner::Shuffle => {
                let r = Random::new(n, ctx.subtask as u64 + 1);
                Box::new(RecordWriter::new(downcast_senders::<T>(senders)?, r, ctx))
            }
        };
        Ok(erase_output(out))
    }
}

/// Recovers a typed receiver.
///
/// # Errors
/// When it is of another type (a Weir bug).
pub fn downcast_receiver<T: Send + 'static>(rx: ErasedReceiver) -> Result<TypedReceiver<T>, JobError> {
    rx.downcast::<TypedReceiver<T>>().map(|b| *b).map_err(|_| type_mismatch::<T>("input channel"))
}

/// What a vertex needs to build one subtask's instance.
pub struct VertexBuild {
    /// Which subtask.
    pub subtask: SubtaskInfo,
    /// The consumers of the main output (each a `Box<dyn Output<Out>>`, erased).
    pub main: Vec<ErasedOutput>,
    /// The side outputs with consumers.
    pub sides: Vec<Box<dyn SideChannel>>,
    /// When the vertex heads a task: its input channels, with the input index each
    /// belongs to. `None` when the vertex is chained behind another.
    pub inputs: Option<Vec<(usize, ErasedReceiver)>>,
    /// The vertex's coordinator (a source's split enumerator), if it has one.
    pub coordinator: Option<Arc<dyn VertexCoordinator>>,
    /// Names the vertex in errors.
    pub location: crate::Location,
    /// Processing time.
    pub clock: Arc<dyn Clock>,
    /// The stable id the vertex's state is stored under (its `uid`, or one derived from
    /// its position and name).
    pub operator_id: String,
    /// The vertex's state for this subtask when the job resumes from a checkpoint.
    pub restored: Option<OperatorStateReader>,
    /// The task had finished in the checkpoint the job resumes from: pass the end of
    /// input on without finishing the operator again.
    pub finished_on_restore: bool,
    /// When the vertex heads a task resumed from an unaligned checkpoint: the in-flight
    /// records stored for it, to push into the chain before any new input.
    pub in_flight: Vec<crate::in_flight::ReplayBatch>,
    /// When the vertex heads a task: where each of its input channels comes from (stored
    /// with in-flight records).
    pub channel_sources: Vec<crate::in_flight::ChannelSource>,
}

/// A vertex's job-level coordinator (a source's split enumerator) as the executor sees it.
///
/// # Concurrency
/// Shared by the executor's coordinator thread and the vertex's tasks.
pub trait VertexCoordinator: Send + Sync {
    /// The typed coordinator, for the vertex's own `build` to downcast.
    fn as_any(&self) -> &dyn Any;

    /// Snapshots the coordinator's state and — before anything can change it again —
    /// calls `inject`, which places the checkpoint barrier into the mailboxes of the
    /// vertex's tasks (see [`crate::source`] for why this makes the cut consistent).
    ///
    /// # Errors
    /// When the coordinator cannot record its state.
    fn snapshot_and_inject(&self, inject: &mut dyn FnMut()) -> Result<Vec<u8>, BoxError>;
}

/// What a coordinator is restored from.
#[derive(Debug, Clone)]
pub struct RestoredCoordinator {
    /// The coordinator's own snapshot.
    pub state: Vec<u8>,
    /// The vertex's subtasks' state, all of it (for example the readers' unfinished splits).
    pub subtasks: OperatorStateReader,
}

/// What a vertex built for one subtask.
pub enum BuiltVertex {
    /// A `Box<dyn Output<In>>` (erased): the vertex chained behind its predecessor.
    Chained(ErasedOutput),
    /// The body of a task this vertex heads.
    Task(Box<dyn TaskBody>),
}

/// Makes a vertex's instances. Implemented once per kind of vertex by the runtime
/// ([`crate::vertex`]), with the record types known.
///
/// # Contract
/// `build` is called on the task's own thread, once per subtask and execution, with the
/// vertex's downstream already built.
pub trait VertexFactory: Send + Sync {
    /// How many inputs the vertex has (0 for a source).
    fn inputs(&self) -> usize;

    /// Makes the vertex's per-execution coordinator (a source's split enumerator),
    /// restored from a checkpoint when `restored` is given.
    ///
    /// # Errors
    /// When it cannot be made (a source that cannot list its splits, or cannot resume).
    fn coordinator(
        &self,
        _parallelism: usize,
        _restored: Option<&RestoredCoordinator>,
    ) -> Result<Option<Arc<dyn VertexCoordinator>>, BoxError> {
        Ok(None)
    }

    /// The committer of a two-phase-commit sink vertex.
    ///
    /// # Errors
    /// When it cannot be made.
    fn committer(&self) -> Result<Option<Arc<dyn Committer>>, BoxError> {
        Ok(None)
    }

    /// Builds one subtask's instance.
    ///
    /// # Errors
    /// The operator's `open` failing, located.
    fn build(&self, build: VertexBuild) -> Result<BuiltVertex, JobError>;
}
