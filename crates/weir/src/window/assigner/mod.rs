//! [`WindowAssigner`]: which windows a record belongs to, and the built-in assigners.
//!
//! | assigner | windows | time |
//! |---|---|---|
//! | [`TumblingEventTimeWindows`], [`TumblingProcessingTimeWindows`] | fixed size, back to back | event, processing |
//! | [`SlidingEventTimeWindows`], [`SlidingProcessingTimeWindows`] | fixed size, every `slide` | event, processing |
//! | [`EventTimeSessionWindows`], [`ProcessingTimeSessionWindows`] (and `Dynamic*`) | until a gap of inactivity; merging | event, processing |
//! | [`GlobalWindows`] | one window per key, forever | — |
//!
//! Each time-based assigner is written once, generic over its [`WindowTime`]
//! ([`EventTime`] or [`ProcessingTime`]); Flink's names are aliases of it.

pub mod global;
pub mod session;
pub mod sliding;
pub mod tumbling;
pub mod window_time;

use std::time::Duration;

use weir_runtime::BoxError;

pub use global::GlobalWindows;
pub use session::{
    DynamicEventTimeSessionWindows, DynamicProcessingTimeSessionWindows, DynamicSessionWindows,
    EventTimeSessionWindows, ProcessingTimeSessionWindows, SessionWindows,
};
pub use sliding::{SlidingEventTimeWindows, SlidingProcessingTimeWindows, SlidingWindows};
pub use tumbling::{TumblingEventTimeWindows, TumblingProcessingTimeWindows, TumblingWindows};
pub use window_time::{EventTime, ProcessingTime, WindowTime};

use super::{Trigger, Window};

/// What an assigner may read besides the record: the operator's processing time.
#[derive(Debug, Clone, Copy)]
pub struct WindowAssignerContext {
    pub(crate) processing_time: i64,
}

impl WindowAssignerContext {
    /// A context at processing time `now_ms` (for testing assigners).
    pub fn new(now_ms: i64) -> Self {
        WindowAssignerContext { processing_time: now_ms }
    }

    /// The operator's current processing time (epoch ms), read once per batch.
    pub fn current_processing_time(&self) -> i64 {
        self.processing_time
    }
}

/// The grid of a tumbling or sliding assigner, which lets the slicing operator compute
/// its windows from slices of `gcd(size, slide)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceSpec {
    /// Window length (ms).
    pub size: i64,
    /// Distance between window starts (ms); `size` for tumbling windows.
    pub slide: i64,
    /// Shift of the window starts (ms), `0 <= offset < slide`.
    pub offset: i64,
    /// Whether windows are in event time (else processing time).
    pub event_time: bool,
}

/// Assigns each record to zero or more windows (Flink's `WindowAssigner`).
///
/// # Contract
/// `assign_windows` appends the record's windows to `windows` (which arrives empty).
/// An event-time assigner reads `timestamp` (the operator rejects records without
/// one); a processing-time assigner reads `ctx.current_processing_time()`. A merging
/// assigner (sessions) reports in `merge_windows` which of a key's windows merge.
///
/// # Errors
/// `assign_windows` fails the job for a record it cannot place (a dynamic session gap of
/// zero); `validate` rejects bad parameters when the job is built.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use weir::window::{TimeWindow, TumblingEventTimeWindows, WindowAssigner, WindowAssignerContext};
/// let assigner = TumblingEventTimeWindows::of(Duration::from_secs(5));
/// let mut windows = Vec::new();
/// WindowAssigner::<&str>::assign_windows(&assigner, &"a", 7_500, &WindowAssignerContext::new(0), &mut windows).unwrap();
/// assert_eq!(windows, vec![TimeWindow::new(5_000, 10_000)]);
/// ```
pub trait WindowAssigner<T>: Clone + Send + Sync + 'static {
    /// The kind of window assigned.
    type W: Window;
    /// The trigger used unless `WindowedStream::trigger` replaces it.
    type DefaultTrigger: Trigger<T, Self::W>;

    /// Appends the windows `element` (with event time `timestamp`) belongs to.
    fn assign_windows(
        &self,
        element: &T,
        timestamp: i64,
        ctx: &WindowAssignerContext,
        windows: &mut Vec<Self::W>,
    ) -> Result<(), BoxError>;

    /// The trigger windows of this assigner use by default.
    fn default_trigger(&self) -> Self::DefaultTrigger;

    /// Whether windows are in event time (allowed lateness and late data apply only
    /// then).
    fn is_event_time(&self) -> bool;

    /// Whether windows merge (session windows).
    fn is_merging(&self) -> bool {
        false
    }

    /// For a merging assigner: appends `(result, merged windows)` for every group of
    /// two or more of `windows` that merge (it may reorder `windows`).
    fn merge_windows(&self, _windows: &mut [Self::W], _merges: &mut Vec<(Self::W, Vec<Self::W>)>) {}

    /// Checks the parameters; the message is reported when the job is built.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// The window grid when windows are tumbling or sliding (enables slicing).
    fn slice_spec(&self) -> Option<SliceSpec> {
        None
    }
}

/// A duration in whole milliseconds, saturating at `i64::MAX`.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
