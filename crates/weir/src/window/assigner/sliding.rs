//! Sliding windows: fixed-size windows starting every `slide`, so a record belongs to
//! `size / slide` of them (Flink's `SlidingEventTimeWindows`,
//! `SlidingProcessingTimeWindows`).

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use weir_runtime::BoxError;

use super::{millis, EventTime, ProcessingTime, SliceSpec, WindowAssigner, WindowAssignerContext, WindowTime};
use crate::window::{TimeWindow, Trigger};

/// Appends the windows of `size` starting every `slide` (shifted by `offset`) that
/// contain `timestamp`, latest start first (Flink's order).
#[inline]
fn sliding_windows(timestamp: i64, size: i64, slide: i64, offset: i64, windows: &mut Vec<TimeWindow>) {
    let last_start = TimeWindow::window_start_with_offset(timestamp, offset, slide);
    let mut start = last_start;
    while start > timestamp - size {
        windows.push(TimeWindow::new(start, start + size));
        start -= slide;
    }
}

fn validate_sliding(what: &str, size: i64, slide: i64, offset: i64) -> Result<(), String> {
    if size <= 0 || slide <= 0 || offset >= slide {
        return Err(format!(
            "{what} parameters must satisfy 0 <= offset < slide and size > 0, got size {size} ms, slide {slide} ms, \
             offset {offset} ms"
        ));
    }
    Ok(())
}

/// Event-time windows of `size` starting every `slide`.
///
/// On a keyed stream with the default trigger, no evictor and `reduce` or `aggregate`,
/// these windows are computed by slicing: a record costs the same as with tumbling
/// windows, whatever `size / slide`.
///
/// ```
/// use std::time::Duration;
/// use weir::window::{SlidingEventTimeWindows, TimeWindow, WindowAssigner, WindowAssignerContext};
/// let assigner = SlidingEventTimeWindows::of(Duration::from_secs(10), Duration::from_secs(5));
/// let mut w = Vec::new();
/// WindowAssigner::<()>::assign_windows(&assigner, &(), 12_000, &WindowAssignerContext::new(0), &mut w).unwrap();
/// assert_eq!(w, vec![TimeWindow::new(10_000, 20_000), TimeWindow::new(5_000, 15_000)]);
/// ```
pub type SlidingEventTimeWindows = SlidingWindows<EventTime>;

/// Processing-time windows of `size` starting every `slide`, assigned by the
/// operator's processing time.
///
/// ```
/// use std::time::Duration;
/// use weir::window::{SlidingProcessingTimeWindows, TimeWindow, WindowAssigner, WindowAssignerContext};
/// let assigner = SlidingProcessingTimeWindows::of(Duration::from_millis(30), Duration::from_millis(10));
/// let mut w = Vec::new();
/// WindowAssigner::<()>::assign_windows(&assigner, &(), 0, &WindowAssignerContext::new(25), &mut w).unwrap();
/// assert_eq!(w, vec![TimeWindow::new(20, 50), TimeWindow::new(10, 40), TimeWindow::new(0, 30)]);
/// ```
pub type SlidingProcessingTimeWindows = SlidingWindows<ProcessingTime>;

/// Windows of `size` starting every `slide` in the time domain `D`; use the aliases
/// [`SlidingEventTimeWindows`] and [`SlidingProcessingTimeWindows`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SlidingWindows<D> {
    size: i64,
    slide: i64,
    offset: i64,
    _time: PhantomData<D>,
}

impl<D: WindowTime> SlidingWindows<D> {
    /// Windows of `size` every `slide`, aligned to the epoch.
    pub fn of(size: Duration, slide: Duration) -> Self {
        SlidingWindows { size: millis(size), slide: millis(slide), offset: 0, _time: PhantomData }
    }

    /// Shifts window starts by `offset` (must be below `slide`).
    pub fn with_offset(self, offset: Duration) -> Self {
        SlidingWindows { offset: millis(offset), ..self }
    }
}

impl<D: WindowTime> fmt::Debug for SlidingWindows<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(D::SLIDING)
            .field("size", &self.size)
            .field("slide", &self.slide)
            .field("offset", &self.offset)
            .finish()
    }
}

impl<T, D: WindowTime> WindowAssigner<T> for SlidingWindows<D>
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
        sliding_windows(D::time(timestamp, ctx), self.size, self.slide, self.offset, windows);
        Ok(())
    }

    fn default_trigger(&self) -> D::DefaultTrigger {
        D::default_trigger()
    }

    fn is_event_time(&self) -> bool {
        D::IS_EVENT_TIME
    }

    fn validate(&self) -> Result<(), String> {
        validate_sliding(D::SLIDING, self.size, self.slide, self.offset)
    }

    fn slice_spec(&self) -> Option<SliceSpec> {
        Some(SliceSpec { size: self.size, slide: self.slide, offset: self.offset, event_time: D::IS_EVENT_TIME })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigns_every_window_containing_the_timestamp() {
        let w = TimeWindow::new;
        // (size, slide, offset, timestamp, expected windows, latest first)
        let cases: Vec<(i64, i64, i64, i64, Vec<TimeWindow>)> = vec![
            (10, 5, 0, 0, vec![w(0, 10), w(-5, 5)]),
            (10, 5, 0, 4, vec![w(0, 10), w(-5, 5)]),
            (10, 5, 0, 5, vec![w(5, 15), w(0, 10)]),
            (10, 5, 0, -1, vec![w(-5, 5), w(-10, 0)]),
            (10, 3, 0, 7, vec![w(6, 16), w(3, 13), w(0, 10)]),
            (10, 5, 2, 3, vec![w(2, 12), w(-3, 7)]),
            // size < slide: gaps between windows
            (2, 5, 0, 1, vec![w(0, 2)]),
            (2, 5, 0, 3, vec![]),
        ];
        for (size, slide, offset, ts, expected) in cases {
            let mut got = Vec::new();
            sliding_windows(ts, size, slide, offset, &mut got);
            assert_eq!(got, expected, "size {size} slide {slide} offset {offset} ts {ts}");
        }
    }
}
