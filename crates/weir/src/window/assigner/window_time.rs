//! [`WindowTime`]: the time domain a time-based assigner reads, as a type parameter.
//!
//! Flink has an event-time and a processing-time class for every time-based assigner;
//! they differ only in which clock places a record and which trigger fires by default.
//! Here each assigner is written once over a [`WindowTime`] marker ([`EventTime`] or
//! [`ProcessingTime`]), and Flink's names are aliases of it
//! (`TumblingEventTimeWindows = TumblingWindows<EventTime>`). The choice is made at
//! compile time, so reading the clock costs what it did in the hand-written twins.

use std::fmt::Debug;

use super::WindowAssignerContext;
use crate::window::{EventTimeTrigger, ProcessingTimeTrigger};

mod sealed {
    pub trait Sealed {}
}

/// The time domain of a time-based assigner: [`EventTime`] or [`ProcessingTime`].
///
/// # Contract
/// `time` is the instant that places a record: its event timestamp, or the operator's
/// processing time. The names are Flink's class names for each assigner in this domain,
/// used in error messages and `Debug` output. Sealed: there are exactly two domains.
///
/// # Example
/// ```
/// use weir::window::assigner::{EventTime, ProcessingTime, WindowTime};
/// use weir::window::WindowAssignerContext;
/// let ctx = WindowAssignerContext::new(1_000);
/// assert_eq!(EventTime::time(7, &ctx), 7);
/// assert_eq!(ProcessingTime::time(7, &ctx), 1_000);
/// ```
pub trait WindowTime: sealed::Sealed + Debug + Clone + Copy + PartialEq + Eq + Send + Sync + 'static {
    /// Whether this is event time (allowed lateness and late data apply only then).
    const IS_EVENT_TIME: bool;
    /// Flink's name of the tumbling assigner in this domain.
    const TUMBLING: &'static str;
    /// Flink's name of the sliding assigner in this domain.
    const SLIDING: &'static str;
    /// Flink's name of the session assigner in this domain.
    const SESSION: &'static str;
    /// Flink's name of the dynamic-gap session assigner in this domain.
    const DYNAMIC_SESSION: &'static str;

    /// The trigger that fires windows of this domain when time passes their end.
    type DefaultTrigger: Clone + Send + Sync + 'static;

    /// A new default trigger.
    fn default_trigger() -> Self::DefaultTrigger;

    /// The instant that places a record with event time `timestamp`.
    fn time(timestamp: i64, ctx: &WindowAssignerContext) -> i64;
}

/// Windows placed by the records' event timestamps and fired by the watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTime;

/// Windows placed by the operator's clock when a record arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingTime;

impl sealed::Sealed for EventTime {}
impl sealed::Sealed for ProcessingTime {}

impl WindowTime for EventTime {
    const IS_EVENT_TIME: bool = true;
    const TUMBLING: &'static str = "TumblingEventTimeWindows";
    const SLIDING: &'static str = "SlidingEventTimeWindows";
    const SESSION: &'static str = "EventTimeSessionWindows";
    const DYNAMIC_SESSION: &'static str = "DynamicEventTimeSessionWindows";

    type DefaultTrigger = EventTimeTrigger;

    fn default_trigger() -> EventTimeTrigger {
        EventTimeTrigger::create()
    }

    #[inline]
    fn time(timestamp: i64, _ctx: &WindowAssignerContext) -> i64 {
        timestamp
    }
}

impl WindowTime for ProcessingTime {
    const IS_EVENT_TIME: bool = false;
    const TUMBLING: &'static str = "TumblingProcessingTimeWindows";
    const SLIDING: &'static str = "SlidingProcessingTimeWindows";
    const SESSION: &'static str = "ProcessingTimeSessionWindows";
    const DYNAMIC_SESSION: &'static str = "DynamicProcessingTimeSessionWindows";

    type DefaultTrigger = ProcessingTimeTrigger;

    fn default_trigger() -> ProcessingTimeTrigger {
        ProcessingTimeTrigger::create()
    }

    #[inline]
    fn time(_timestamp: i64, ctx: &WindowAssignerContext) -> i64 {
        ctx.current_processing_time()
    }
}
