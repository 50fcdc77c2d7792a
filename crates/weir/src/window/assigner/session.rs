//! Session windows: a key's records closer than a gap to each other form one window,
//! which grows as records arrive and merges with its neighbours (Flink's
//! `EventTimeSessionWindows`, `ProcessingTimeSessionWindows` and their `Dynamic*`
//! variants, whose gap depends on the record).
//!
//! Each record first gets its own window `[t, t + gap)`; the window operator then
//! merges it with every window of the key it overlaps or touches.

use std::marker::PhantomData;
use std::time::Duration;

use weir_runtime::BoxError;

use super::{millis, WindowAssigner, WindowAssignerContext};
use crate::window::{EventTimeTrigger, ProcessingTimeTrigger, TimeWindow};

fn validate_gap(what: &str, gap: i64) -> Result<(), String> {
    if gap <= 0 {
        return Err(format!("{what} parameters must satisfy 0 < gap, got {gap} ms"));
    }
    Ok(())
}

fn session_window(what: &str, start: i64, gap: i64, windows: &mut Vec<TimeWindow>) -> Result<(), BoxError> {
    if gap <= 0 {
        return Err(format!("{what}: the dynamic session gap must satisfy 0 < gap, got {gap} ms").into());
    }
    windows.push(TimeWindow::new(start, start.saturating_add(gap)));
    Ok(())
}

/// Event-time sessions closed by `gap` without records.
///
/// ```
/// use std::time::Duration;
/// use weir::prelude::*;
/// use weir::window::EventTimeSessionWindows;
/// let env = StreamExecutionEnvironment::new();
/// let clicks = vec![("u", 1_000i64), ("u", 2_500), ("u", 9_000)];
/// let sessions = env
///     .from_collection(clicks)
///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|c: &(&str, i64), _| c.1))
///     .map(|(user, _)| (user, 1u32))
///     .key_by(|c: &(&str, u32)| c.0.to_string())
///     .window(EventTimeSessionWindows::with_gap(Duration::from_secs(3)))
///     .reduce(|a, b| (a.0, a.1 + b.1))
///     .collect();
/// env.execute("sessions").unwrap();
/// // [1000, 5500) holds two clicks, [9000, 12000) one.
/// assert_eq!(sessions.take(), vec![("u", 2), ("u", 1)]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTimeSessionWindows {
    gap: i64,
}

impl EventTimeSessionWindows {
    /// Sessions closed by `gap` of event time without records.
    pub fn with_gap(gap: Duration) -> Self {
        EventTimeSessionWindows { gap: millis(gap) }
    }

    /// Sessions whose gap `gap_of(record)` decides per record.
    pub fn with_dynamic_gap<T, F>(gap_of: F) -> DynamicEventTimeSessionWindows<T, F>
    where
        F: Fn(&T) -> Duration + Clone + Send + Sync + 'static,
    {
        DynamicEventTimeSessionWindows { gap_of, _t: PhantomData }
    }
}

impl<T> WindowAssigner<T> for EventTimeSessionWindows {
    type W = TimeWindow;
    type DefaultTrigger = EventTimeTrigger;

    #[inline]
    fn assign_windows(
        &self,
        _element: &T,
        timestamp: i64,
        _ctx: &WindowAssignerContext,
        windows: &mut Vec<TimeWindow>,
    ) -> Result<(), BoxError> {
        session_window("EventTimeSessionWindows", timestamp, self.gap, windows)
    }

    fn default_trigger(&self) -> EventTimeTrigger {
        EventTimeTrigger::create()
    }

    fn is_event_time(&self) -> bool {
        true
    }

    fn is_merging(&self) -> bool {
        true
    }

    fn merge_windows(&self, windows: &mut [TimeWindow], merges: &mut Vec<(TimeWindow, Vec<TimeWindow>)>) {
        TimeWindow::merge_windows(windows, merges);
    }

    fn validate(&self) -> Result<(), String> {
        validate_gap("EventTimeSessionWindows", self.gap)
    }
}

/// Event-time sessions with a gap computed per record (Flink's
/// `DynamicEventTimeSessionWindows`); made by [`EventTimeSessionWindows::with_dynamic_gap`].
pub struct DynamicEventTimeSessionWindows<T, F> {
    gap_of: F,
    _t: PhantomData<fn(&T)>,
}

impl<T, F: Clone> Clone for DynamicEventTimeSessionWindows<T, F> {
    fn clone(&self) -> Self {
        DynamicEventTimeSessionWindows { gap_of: self.gap_of.clone(), _t: PhantomData }
    }
}

impl<T: 'static, F> WindowAssigner<T> for DynamicEventTimeSessionWindows<T, F>
where
    F: Fn(&T) -> Duration + Clone + Send + Sync + 'static,
{
    type W = TimeWindow;
    type DefaultTrigger = EventTimeTrigger;

    #[inline]
    fn assign_windows(
        &self,
        element: &T,
        timestamp: i64,
        _ctx: &WindowAssignerContext,
        windows: &mut Vec<TimeWindow>,
    ) -> Result<(), BoxError> {
        session_window("DynamicEventTimeSessionWindows", timestamp, millis((self.gap_of)(element)), windows)
    }

    fn default_trigger(&self) -> EventTimeTrigger {
        EventTimeTrigger::create()
    }

    fn is_event_time(&self) -> bool {
        true
    }

    fn is_merging(&self) -> bool {
        true
    }

    fn merge_windows(&self, windows: &mut [TimeWindow], merges: &mut Vec<(TimeWindow, Vec<TimeWindow>)>) {
        TimeWindow::merge_windows(windows, merges);
    }
}

/// Processing-time sessions closed by `gap` of processing time without records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingTimeSessionWindows {
    gap: i64,
}

impl ProcessingTimeSessionWindows {
    /// Sessions closed by `gap` of processing time without records.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weir::window::{ProcessingTimeSessionWindows, TimeWindow, WindowAssigner, WindowAssignerContext};
    /// let sessions = ProcessingTimeSessionWindows::with_gap(Duration::from_millis(100));
    /// let mut w = Vec::new();
    /// WindowAssigner::<()>::assign_windows(&sessions, &(), 0, &WindowAssignerContext::new(1_000), &mut w).unwrap();
    /// assert_eq!(w, vec![TimeWindow::new(1_000, 1_100)]);
    /// ```
    pub fn with_gap(gap: Duration) -> Self {
        ProcessingTimeSessionWindows { gap: millis(gap) }
    }

    /// Sessions whose gap `gap_of(record)` decides per record.
    pub fn with_dynamic_gap<T, F>(gap_of: F) -> DynamicProcessingTimeSessionWindows<T, F>
    where
        F: Fn(&T) -> Duration + Clone + Send + Sync + 'static,
    {
        DynamicProcessingTimeSessionWindows { gap_of, _t: PhantomData }
    }
}

impl<T> WindowAssigner<T> for ProcessingTimeSessionWindows {
    type W = TimeWindow;
    type DefaultTrigger = ProcessingTimeTrigger;

    #[inline]
    fn assign_windows(
        &self,
        _element: &T,
        _timestamp: i64,
        ctx: &WindowAssignerContext,
        windows: &mut Vec<TimeWindow>,
    ) -> Result<(), BoxError> {
        session_window("ProcessingTimeSessionWindows", ctx.current_processing_time(), self.gap, windows)
    }

    fn default_trigger(&self) -> ProcessingTimeTrigger {
        ProcessingTimeTrigger::create()
    }

    fn is_event_time(&self) -> bool {
        false
    }

    fn is_merging(&self) -> bool {
        true
    }

    fn merge_windows(&self, windows: &mut [TimeWindow], merges: &mut Vec<(TimeWindow, Vec<TimeWindow>)>) {
        TimeWindow::merge_windows(windows, merges);
    }

    fn validate(&self) -> Result<(), String> {
        validate_gap("ProcessingTimeSessionWindows", self.gap)
    }
}

/// Processing-time sessions with a gap computed per record (Flink's
/// `DynamicProcessingTimeSessionWindows`).
pub struct DynamicProcessingTimeSessionWindows<T, F> {
    gap_of: F,
    _t: PhantomData<fn(&T)>,
}

impl<T, F: Clone> Clone for DynamicProcessingTimeSessionWindows<T, F> {
    fn clone(&self) -> Self {
        DynamicProcessingTimeSessionWindows { gap_of: self.gap_of.clone(), _t: PhantomData }
    }
}

impl<T: 'static, F> WindowAssigner<T> for DynamicProcessingTimeSessionWindows<T, F>
where
    F: Fn(&T) -> Duration + Clone + Send + Sync + 'static,
{
    type W = TimeWindow;
    type DefaultTrigger = ProcessingTimeTrigger;

    #[inline]
    fn assign_windows(
        &self,
        element: &T,
        _timestamp: i64,
        ctx: &WindowAssignerContext,
        windows: &mut Vec<TimeWindow>,
    ) -> Result<(), BoxError> {
        let gap = millis((self.gap_of)(element));
        session_window("DynamicProcessingTimeSessionWindows", ctx.current_processing_time(), gap, windows)
    }

    fn default_trigger(&self) -> ProcessingTimeTrigger {
        ProcessingTimeTrigger::create()
    }

    fn is_event_time(&self) -> bool {
        false
    }

    fn is_merging(&self) -> bool {
        true
    }

    fn merge_windows(&self, windows: &mut [TimeWindow], merges: &mut Vec<(TimeWindow, Vec<TimeWindow>)>) {
        TimeWindow::merge_windows(windows, merges);
    }
}
