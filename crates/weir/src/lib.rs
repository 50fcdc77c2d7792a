//! # weir — the DataStream API
//!
//! What a Weir user writes: a `fn main()` that builds a dataflow with typed closures and
//! runs it, in Apache Flink's terms.
//!
//! ```
//! use weir::prelude::*;
//!
//! let env = StreamExecutionEnvironment::new().with_parallelism(2);
//! let counts = env
//!     .from_collection(vec!["to be or".to_string(), "not to be".to_string()])
//!     .flat_map(|line: String, out: &mut Collector<(String, u64)>| {
//!         for word in line.split_whitespace() {
//!             out.collect((word.to_string(), 1));
//!         }
//!     })
//!     .key_by(|(word, _): &(String, u64)| word.clone())
//!     .sum(1)
//!     .collect();
//! env.execute("word count")?;
//! let finals: std::collections::HashMap<String, u64> = counts.take().into_iter().collect::<Vec<_>>()
//!     .into_iter().fold(Default::default(), |mut m, (w, n)| { let e = m.entry(w).or_default(); *e = n.max(*e); m });
//! assert_eq!(finals["to"], 2);
//! assert_eq!(finals["or"], 1);
//! # Ok::<(), weir::JobError>(())
//! ```
//!
//! ## Map
//! | here | Flink |
//! |---|---|
//! | [`StreamExecutionEnvironment`] | `StreamExecutionEnvironment` |
//! | [`DataStream`]: `map`, `filter`, `flat_map`, `process`, `union`, `connect`, partitioners, sinks | `DataStream` |
//! | [`KeyedStream`]: `process`, `reduce`, `sum`/`min`/`max`/`min_by`/`max_by` | `KeyedStream` |
//! | [`ConnectedStreams`], [`BroadcastStream`] | the same |
//! | [`functions`]: `ProcessFunction`, `KeyedProcessFunction`, `CoProcessFunction`, `BroadcastProcessFunction`, `Collector` | the same |
//! | `ValueState`, `ListState`, `MapState` and descriptors (from `weir-state`) | the same |
//! | [`OutputTag`] | `OutputTag` |
//! | `WatermarkStrategy`, `assign_timestamps_and_watermarks`, `from_source(source, strategy, name)` | the same |
//! | [`window`]: `window`, `window_all`, `count_window`, assigners, triggers, evictors, `AggregateFunction`, `ProcessWindowFunction`, `join`, `co_group` | the same |
//! | [`KeyedConnectedStreams`] (`keyed.connect(&keyed)`), [`KeyedCoProcessFunction`] | `ConnectedStreams` of keyed streams, `KeyedCoProcessFunction` |
//! | [`join`]: `keyed.interval_join(&keyed).between(lower, upper).process(..)` | `intervalJoin` |
//! | sources and sinks (from `weir-connectors`) | `fromSource`, `sinkTo`, `print` |
//!
//! The API builds a plain-data job graph ([`weir_runtime::JobGraph`]); `execute` runs it
//! on the embedded runtime. Nothing here reaches into the runtime's task internals.
//!
//! ## Checkpoints
//! With [`StreamExecutionEnvironment::enable_checkpointing`], every stateful operator here
//! writes its state at each checkpoint barrier: keyed state, timers, window contents and
//! join buffers **by key group** (so a job resumes at any parallelism), broadcast state
//! as union list state, and sinks their pre-committed output for two-phase commit.
//! State is serialized with serde, so what operators keep — keys, state values, window
//! elements, accumulators, trigger state, join records — is `Serialize + DeserializeOwned`.

pub mod aggregation;
pub mod connected;
pub mod datastream;
pub mod environment;
pub mod functions;
pub mod join;
pub mod keyed_connected;
pub mod keyed_stream;
pub mod operators;
pub mod side_output;
pub mod window;

pub use connected::{BroadcastConnectedStreams, BroadcastStream, ConnectedStreams};
pub use datastream::{DataStream, DataStreamSink};
pub use environment::StreamExecutionEnvironment;
pub use keyed_connected::{KeyedCoProcessFunction, KeyedConnectedStreams};
pub use keyed_stream::KeyedStream;
pub use side_output::OutputTag;
pub use weir_connectors as connectors;
pub use weir_core::{Either, StreamRecord, Watermark};
pub use weir_runtime::partitioner::{Resplit, ResplitTarget};
pub use weir_runtime::watermark::{WatermarkGenerator, WatermarkOutput, WatermarkStrategy};
pub use weir_runtime::{BoxError, Clock, ExecutionConfig, JobError, JobExecutionResult, ManualClock};
pub use weir_state::{
    AggregatingState, AggregatingStateDescriptor, ListState, ListStateDescriptor, MapState, MapStateDescriptor,
    ReducingState, ReducingStateDescriptor, StateBackendConfig, StateBackendKind, StateError, ValueState,
    ValueStateDescriptor,
};

/// What a stream's records must be: cloneable (a stream may feed several consumers),
/// sendable between task threads, and owned.
pub trait Data: Clone + Send + 'static {}
impl<T: Clone + Send + 'static> Data for T {}

/// Everything a job usually needs: `use weir::prelude::*;`.
pub mod prelude {
    pub use crate::functions::*;
    pub use crate::join::{JoinContext, ProcessJoinFn, ProcessJoinFunction};
    pub use crate::keyed_connected::{KeyedCoProcessFunction, KeyedConnectedStreams};
    pub use crate::window::{
        AggregateFunction, CountEvictor, CountTrigger, DeltaEvictor, EventTimeSessionWindows, EventTimeTrigger,
        Evictor, GlobalWindows, ProcessWindowFn, ProcessWindowFunction, ProcessingTimeSessionWindows,
        ProcessingTimeTrigger, PurgingTrigger, SlidingEventTimeWindows, SlidingProcessingTimeWindows, TimeEvictor,
        TimeWindow, Trigger, TriggerResult, TumblingEventTimeWindows, TumblingProcessingTimeWindows, Window,
        WindowContext,
    };
    pub use crate::{
        BoxError, BroadcastStream, ConnectedStreams, Data, DataStream, Either, JobError, KeyedStream, ListState,
        ListStateDescriptor, MapState, MapStateDescriptor, OutputTag, StreamExecutionEnvironment, ValueState,
        ValueStateDescriptor, WatermarkStrategy,
    };
}
