//! # weir-runtime — one TaskManager's engine
//!
//! Executes a [`JobGraph`]: plain data built by the user API (the `weir` crate), listing
//! vertices (sources, operators, sinks) and the edges between them.
//!
//! ```text
//!   JobGraph ──plan──▶ chains ──▶ tasks (one thread each)
//!
//!   task: [input channels] ─▶ head ─▶ op ─▶ op ─▶ [record writer] ─▶ channels ─▶ next task
//!            mailbox loop       chained: direct calls, batches moved
//! ```
//!
//! | module | role |
//! |---|---|
//! | [`graph`] | the job graph and the erased factories it holds |
//! | [`plan`] | parallelism, default partitioners, operator chaining |
//! | [`operator`], [`chain`], [`output`] | the operator trait and how chained operators call each other |
//! | [`source`], [`sink`] | Flink's split-based source model, sink writers |
//! | [`vertex`] | the vertex factories for operators and sources |
//! | [`task`] | task loops: source polling, input reading with watermark tracking |
//! | [`channel`], [`record_writer`], [`partitioner`] | bounded channels, batching writers, channel selection |
//! | [`in_flight`] | unaligned checkpoints: record codecs, captured and replayed in-flight records |
//! | [`executor`] | runs a graph in this process, fails fast and cleanly |
//! | [`checkpointing`], [`snapshot`], [`task_state_upload`] | the job's side of checkpoints, what a task stores, how it is written (key group by key group, incrementally) |
//! | [`restored_item`] | restored state left in storage until an operator reads it (key group by key group) |
//!
//! Depends on `weir-core` (records, watermarks, key groups) and `weir-state` (keyed state).

pub mod chain;
pub mod channel;
pub mod checkpointing;
pub mod clock;
pub mod config;
pub mod context;
pub mod error;
pub mod executor;
pub mod graph;
pub mod in_flight;
pub mod operator;
pub mod output;
pub mod partitioner;
pub mod plan;
pub mod record_writer;
pub mod restart;
pub mod restored_item;
pub(crate) mod shared_state_registry;
pub mod sink;
pub mod snapshot;
pub mod source;
pub(crate) mod stored_task_state;
pub mod task;
pub mod task_state_upload;
pub mod vertex;
pub mod watermark;

pub use checkpointing::{CheckpointSettings, Restore};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::ExecutionConfig;
pub use context::SubtaskInfo;
pub use error::{BoxError, JobError, Location};
pub use executor::{JobControl, JobExecutionResult, LocalExecutor};
pub use graph::{ChainingStrategy, Edge, JobGraph, Partitioner, Port, Vertex};
pub use operator::{Emitter, Operator, SideOutputs};
pub use output::Output;
pub use sink::{Committer, Sink, SinkWriter};
pub use source::{Boundedness, ReadStatus, ReaderOutput, Source, SourceReader, SplitAssignment, SplitEnumerator};
pub use watermark::{WatermarkGenerator, WatermarkOutput, WatermarkStrategy};
