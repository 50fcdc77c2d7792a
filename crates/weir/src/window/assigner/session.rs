//! Session windows: a key's records closer than a gap to each other form one window,
//! which grows as records arrive and merges with its neighbours (Flink's
//! `EventTimeSessionWindows`, `ProcessingTimeSessionWindows` and their `Dynamic*`
//! variants, whose gap depends on the record).
//!
//! Each record first gets its own window `[t, t + gap)`; the window operator then
//! merges it with every window of the key it overlaps or touches.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use weir_runtime::BoxError;

use super::{millis, EventTime, ProcessingTime, WindowAssigner, WindowAssignerContext, WindowTime};
use crate::window::{TimeWindow, Trigger};

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
///     .map(|(user, _)| (user.to_string(), 1u32))
///     .key_by(|c: &(String, u32)| c.0.clone())
///     .window(EventTimeSessionWindows::with_gap(Duration::from_secs(3)))
///     .reduce(|a, b| (a.0, a.1 + b.1))
///     .collect();
/// env.execute("sessions").unwrap();
/// // [1000, 5500) holds two clicks, [9000, 12000) one.
/// assert_eq!(sessions.take(), vec![("u".to_string(), 2), ("u".to_string(), 1)]);
/// ```
pub type EventTimeSessionWindows = SessionWindows<EventTime>;

/// Processing-time sessions closed by `gap` of processing time without records.
///
/// ```
/// use std::time::Duration;
/// use weir::window::{ProcessingTimeSessionWindows, TimeWindow, WindowAssigner, WindowAssignerContext};
/// let sessions = ProcessingTimeSessionWindows::with_gap(Duration::from_millis(100));
/// let mut w = Vec::new();
/// WindowAssigner::<()>::assign_windows(&sessions, &(), 0, &WindowAssignerContext::new(1_000), &mut w).unwrap();
/// assert_eq!(w, vec![TimeWindow::new(1_000, 1_100)]);
/// ```
pub type ProcessingTimeSessionWindows = SessionWindows<ProcessingTime>;

/// Event-time sessions with a gap computed per record (Flink's
/// `DynamicEventTimeSessionWindows`); made by [`EventTimeSessionWindows::with_dynamic_gap`].
pub type DynamicEventTimeSessionWindows<T, F> = DynamicSessionWindows<EventTime, T, F>;

/// Processing-time sessions with a gap computed per record (Flink's
/// `DynamicProcessingTimeSessionWindows`); made by
/// [`ProcessingTimeSessionWindows::with_dynamic_gap`].
pub type DynamicProcessingTimeSessionWindows<T, F> = DynamicSessionWindows<ProcessingTime, T, F>;

/// Sessions closed by a fixed `gap` without records in the time domain `D`; use the
/// aliases [`EventTimeSessionWindows`] and [`ProcessingTimeSessionWindows`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SessionWindows<D> {
    gap: i64,
    _time: PhantomData<D>,
}

impl<D: WindowTime> SessionWindows<D> {
    /// Sessions closed by `gap` of time without records.
    pub fn with_gap(gap: Duration) -> Self {
        SessionWindows { gap: millis(gap), _time: PhantomData }
    }

    /// Sessions whose gap `gap_of(record)` decides per record.
    pub fn with_dynamic_gap<T, F>(gap_of: F) -> DynamicSessionWindows<D, T, F>
    where
        F: Fn(&T) -> Duration + Clone + Send + Sync + 'static,
    {
        DynamicSessionWindows { gap_of, _t: PhantomData }
    }
}

impl<D: WindowTime> fmt::Debug for SessionWindows<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(D::SESSION).field("gap", &self.gap).finish()
    }
}

impl<T, D: WindowTime> WindowAssigner<T> for SessionWindows<D>
where
    D::DefaultTrigger: Trigger<T, TimeWindow>,
{
    type W = TimeWindow;
    type DefaultTrigger = D::DefaultTrigger;

    #[inline]
    fn assign_windows(
        &self,
        _element: &T,
        timestamp: i64,
        ctx: &WindowAssignerContext,
        windows: &mut Vec<TimeWindow>,
    ) -> Result<(), BoxError> {
        session_window(D::SESSION, D::time(timestamp, ctx), self.gap, windows)
    }

    fn default_trigger(&self) -> D::DefaultTrigger {
        D::default_trigger()
    }

    fn is_event_time(&self) -> bool {
        D::IS_EVENT_TIME
    }

    fn is_merging(&self) -> bool {
        true
    }

    fn merge_windows(&self, windows: &mut [TimeWindow], merges: &mut Vec<(TimeWindow, Vec<TimeWindow>)>) {
        TimeWindow::merge_windows(windows, merges);
    }

    fn validate(&self) -> Result<(), String> {
        validate_gap(D::SESSION, self.gap)
    }
}

/// Sessions whose gap `gap_of(record)` decides per record, in the time domain `D`; use
/// the aliases [`DynamicEventTimeSessionWindows`] and
/// [`DynamicProcessingTimeSessionWindows`].
pub struct DynamicSessionWindows<D, T, F> {
    gap_of: F,
    _t: PhantomData<fn(&T) -> D>,
}

impl<D, T, F: Clone> Clone for DynamicSessionWindows<D, T, F> {
    fn clone(&self) -> Self {
        DynamicSessionWindows { gap_of: self.gap_of.clone(), _t: PhantomData }
    }
}

impl<D: WindowTime, T: 'static, F> WindowAssigner<T> for DynamicSessionWindows<D, T, F>
where
    F: Fn(&T) -> Duration + Clone + Send + Sync + 'static,
    D::DefaultTrigger: Trigger<T, TimeWindow>,
{
    type W = TimeWindow;
    type DefaultTrigger = D::DefaultTrigger;

    #[inline]
    fn assign_windows(
        &self,
        element: &T,
        timestamp: i64,
        ctx: &WindowAssignerContext,
        windows: &mut Vec<TimeWindow>,
    ) -> Result<(), BoxError> {
        session_window(D::DYNAMIC_SESSION, D::time(timestamp, ctx), millis((self.gap_of)(element)), windows)
    }

    fn default_trigger(&self) -> D::DefaultTrigger {
        D::default_trigger()
    }

    fn is_event_time(&self) -> bool {
        D::IS_EVENT_TIME
    }

    fn is_merging(&self) -> bool {
        true
    }

    fn merge_windows(&self, windows: &mut [TimeWindow], merges: &mut Vec<(TimeWindow, Vec<TimeWindow>)>) {
        TimeWindow::merge_windows(windows, merges);
    }
}
