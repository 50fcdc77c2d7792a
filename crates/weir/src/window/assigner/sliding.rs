//! Sliding windows: fixed-size windows starting every `slide`, so a record belongs to
//! `size / slide` of them (Flink's `SlidingEventTimeWindows`,
//! `SlidingProcessingTimeWindows`).

use std::time::Duration;

use weir_runtime::BoxError;

use super::{millis, SliceSpec, WindowAssigner, WindowAssignerContext};
use crate::window::{EventTimeTrigger, ProcessingTimeTrigger, TimeWindow};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlidingEventTimeWindows {
    size: i64,
    slide: i64,
    offset: i64,
}

impl SlidingEventTimeWindows {
    /// Windows of `size` every `slide`, aligned to the epoch.
    pub fn of(size: Duration, slide: Duration) -> Self {
        SlidingEventTimeWindows { size: millis(size), slide: millis(slide), offset: 0 }
    }

    /// Shifts window starts by `offset` (must be below `slide`).
    pub fn with_offset(self, offset: Duration) -> Self {
        SlidingEventTimeWindows { offset: millis(offset), ..self }
    }
}

impl<T> WindowAssigner<T> for SlidingEventTimeWindows {
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
        sliding_windows(timestamp, self.size, self.slide, self.offset, windows);
        Ok(())
    }

    fn default_trigger(&self) -> EventTimeTrigger {
        EventTimeTrigger::create()
    }

    fn is_event_time(&self) -> bool {
        true
    }

    fn validate(&self) -> Result<(), String> {
        validate_sliding("SlidingEventTimeWindows", self.size, self.slide, self.offset)
    }

    fn slice_spec(&self) -> Option<SliceSpec> {
        Some(SliceSpec { size: self.size, slide: self.slide, offset: self.offset, event_time: true })
    }
}

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlidingProcessingTimeWindows {
    size: i64,
    slide: i64,
    offset: i64,
}

impl SlidingProcessingTimeWindows {
    /// Windows of `size` every `slide`, aligned to the epoch.
    pub fn of(size: Duration, slide: Duration) -> Self {
        SlidingProcessingTimeWindows { size: millis(size), slide: millis(slide), offset: 0 }
    }

    /// Shifts window starts by `offset` (must be below `slide`).
    pub fn with_offset(self, offset: Duration) -> Self {
        SlidingProcessingTimeWindows { offset: millis(offset), ..self }
    }
}

impl<T> WindowAssigner<T> for SlidingProcessingTimeWindows {
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
        sliding_windows(ctx.current_processing_time(), self.size, self.slide, self.offset, windows);
        Ok(())
    }

    fn default_trigger(&self) -> ProcessingTimeTrigger {
        ProcessingTimeTrigger::create()
    }

    fn is_event_time(&self) -> bool {
        false
    }

    fn validate(&self) -> Result<(), String> {
        validate_sliding("SlidingProcessingTimeWindows", self.size, self.slide, self.offset)
    }

    fn slice_spec(&self) -> Option<SliceSpec> {
        Some(SliceSpec { size: self.size, slide: self.slide, offset: self.offset, event_time: false })
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
