//! # Windows: finite groups over an infinite stream
//!
//! A window groups the records of a key (or of the whole stream, with `window_all`)
//! by time or count and applies a function to each group, as Flink's windows do:
//!
//! ```text
//!  keyed.window(assigner)            which windows a record belongs to   (assigner/)
//!       .trigger(t)                  when a window emits / is purged      (trigger/)
//!       .evictor(e)                  which elements a firing sees        (evictor/)
//!       .allowed_lateness(d)         how long after its end a window accepts records
//!       .side_output_late_data(tag)  where records too late for every window go
//!       .reduce(f) | .aggregate(a) | .process(p) | .reduce_with(f, p) | .aggregate_with(a, p)
//! ```
//!
//! | here | Flink |
//! |---|---|
//! | [`TimeWindow`], [`GlobalWindow`] | the same |
//! | [`TumblingEventTimeWindows`], [`SlidingEventTimeWindows`], [`EventTimeSessionWindows`], their processing-time twins, [`GlobalWindows`] | the same |
//! | [`Trigger`] and [`EventTimeTrigger`], [`ProcessingTimeTrigger`], [`CountTrigger`], [`PurgingTrigger`], [`ContinuousEventTimeTrigger`], [`ContinuousProcessingTimeTrigger`], [`NeverTrigger`] | the same |
//! | [`Evictor`] and [`CountEvictor`], [`TimeEvictor`], [`DeltaEvictor`] | the same |
//! | [`AggregateFunction`], [`ProcessWindowFunction`] | the same |
//! | [`WindowedStream`] (`KeyedStream::window`, `count_window`, `DataStream::window_all`) | `WindowedStream`, `AllWindowedStream` |
//! | [`JoinedStreams`], [`CoGroupedStreams`] (`DataStream::join`, `co_group`) | the same |
//!
//! ## How windows are computed
//! Two operators, chosen when the job is built:
//! - the **window operator** ([`operator::window_operator`]) keeps, per key, the contents of
//!   each open window (an accumulator, or the elements when a process function or an
//!   evictor needs them), its trigger state and its timers. Session windows merge there.
//! - the **slicing operator** ([`operator::slicing_operator`]) computes tumbling and sliding
//!   windows with the default trigger, no evictor and `reduce`/`aggregate`: each record is
//!   added to exactly one slice of `gcd(size, slide)`, and a window combines its slices
//!   when it fires, so a sliding window costs what a tumbling one does per record.
//!
//! Both keep their state where the job's keyed state lives (`state.backend.type`): on
//! the heap, or in the embedded backend — windows, trigger states, timers and the window
//! function's state — for state larger than memory (see [`operator`]).
//!
//! Results carry the window's [`Window::max_timestamp`] as their event time, so windows
//! can be chained. A record is late when every window it belongs to has passed its end
//! plus the allowed lateness (by the watermark); it is then dropped and counted
//! ([`LateRecordsDropped`]) or, with `side_output_late_data`, sent to a side output.

pub mod assigner;
pub mod co_group;
pub mod evictor;
pub mod function;
pub mod global_window;
pub mod join;
pub mod late_records;
pub mod operator;
pub mod time_window;
pub mod trigger;
pub mod two_streams;
pub mod windowed_stream;

pub use assigner::{
    DynamicEventTimeSessionWindows, DynamicProcessingTimeSessionWindows, EventTimeSessionWindows, GlobalWindows,
    ProcessingTimeSessionWindows, SlidingEventTimeWindows, SlidingProcessingTimeWindows, TumblingEventTimeWindows,
    TumblingProcessingTimeWindows, WindowAssigner, WindowAssignerContext,
};
pub use co_group::{CoGroupedKeys, CoGroupedStreams, CoGroupedWhere, CoGroupedWindow, WindowCoGroup};
pub use evictor::{
    CountEvictor, DeltaEvictor, Evictor, EvictorContext, EvictorSlot, NoEvictor, TimeEvictor, TimestampedValue,
    WithEvictor,
};
pub use function::{
    AggregateFunction, ElementCodec, KeyedStateStore, ProcessWindowFn, ProcessWindowFunction, WindowContents,
    WindowContext, WindowStateKey,
};
pub use global_window::GlobalWindow;
pub use join::{JoinedKeys, JoinedStreams, JoinedWhere, JoinedWindow, WindowJoin};
pub use late_records::LateRecordsDropped;
pub use time_window::TimeWindow;
pub use trigger::{
    ContinuousEventTimeTrigger, ContinuousProcessingTimeTrigger, CountTrigger, EventTimeTrigger, NeverTrigger,
    ProcessingTimeTrigger, PurgingTrigger, Trigger, TriggerContext, TriggerResult,
};
pub use windowed_stream::{AllWindowedStream, WindowedStream};

/// A window: a group of a key's records that is emitted and cleaned up as a unit.
///
/// # Contract
/// `max_timestamp` is the largest timestamp the window holds; results of the window
/// carry it as their event time, and an event-time window is cleaned up once the
/// watermark reaches `max_timestamp + allowed_lateness`. Windows are compared and
/// hashed by value: two equal windows of a key are the same window.
///
/// # Example
/// ```
/// use weir::window::{TimeWindow, Window};
/// assert_eq!(TimeWindow::new(0, 1_000).max_timestamp(), 999);
/// ```
pub trait Window:
    Clone + std::fmt::Debug + std::hash::Hash + Eq + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static
{
    /// The largest timestamp that belongs to the window.
    fn max_timestamp(&self) -> i64;
}
