//! Tumbling windows: fixed-size, non-overlapping windows back to back (Flink's
//! `TumblingEventTimeWindows`, `TumblingProcessingTimeWindows`).

use std::time::Duration;

use weir_runtime::BoxError;

use super::{millis, SliceSpec, WindowAssigner, WindowAssignerContext};
use crate::window::{EventTimeTrigger, ProcessingTimeTrigger, TimeWindow};

/// Event-time windows of a fixed `size`, starting at multiples of `size` shifted by an
/// offset: `[offset + k·size, offset + (k+1)·size)`.
///
/// ```
/// use std::time::Duration;
/// use weir::window::{TimeWindow, TumblingEventTimeWindows, WindowAssigner, WindowAssignerContext};
/// // Daily windows starting at 08:00 UTC.
/// let daily = TumblingEventTimeWindows::of(Duration::from_secs(86_400)).with_offset(Duration::from_secs(8 * 3_600));
/// let mut w = Vec::new();
/// WindowAssigner::<()>::assign_windows(&daily, &(), 3_600_000, &WindowAssignerContext::new(0), &mut w).unwrap();
/// assert_eq!(w, vec![TimeWindow::new(-57_600_000, 28_800_000)]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TumblingEventTimeWindows {
    size: i64,
    offset: i64,
}

impl TumblingEventTimeWindows {
    /// Windows of `size`, aligned to the epoch.
    pub fn of(size: Duration) -> Self {
        TumblingEventTimeWindows { size: millis(size), offset: 0 }
    }

    /// Shifts window starts by `offset` (must be below `size`; a negative offset `-o`
    /// is the positive offset `size - o`).
    pub fn with_offset(self, offset: Duration) -> Self {
        TumblingEventTimeWindows { offset: millis(offset), ..self }
    }
}

impl<T> WindowAssigner<T> for TumblingEventTimeWindows {
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
        let start = TimeWindow::window_start_with_offset(timestamp, self.offset, self.size);
        windows.push(TimeWindow::new(start, start + self.size));
        Ok(())
    }

    fn default_trigger(&self) -> EventTimeTrigger {
        EventTimeTrigger::create()
    }

    fn is_event_time(&self) -> bool {
        true
    }

    fn validate(&self) -> Result<(), String> {
        validate_tumbling("TumblingEventTimeWindows", self.size, self.offset)
    }

    fn slice_spec(&self) -> Option<SliceSpec> {
        Some(SliceSpec { size: self.size, slide: self.size, offset: self.offset, event_time: true })
    }
}

/// Processing-time windows of a fixed `size`: a record goes to the window containing
/// the operator's processing time when it arrives.
///
/// ```
/// use std::time::Duration;
/// use weir::window::{TimeWindow, TumblingProcessingTimeWindows, WindowAssigner, WindowAssignerContext};
/// let assigner = TumblingProcessingTimeWindows::of(Duration::from_secs(1));
/// let mut w = Vec::new();
/// WindowAssigner::<()>::assign_windows(&assigner, &(), 0, &WindowAssignerContext::new(12_345), &mut w).unwrap();
/// assert_eq!(w, vec![TimeWindow::new(12_000, 13_000)]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TumblingProcessingTimeWindows {
    size: i64,
    offset: i64,
}

impl TumblingProcessingTimeWindows {
    /// Windows of `size`, aligned to the epoch.
    pub fn of(size: Duration) -> Self {
        TumblingProcessingTimeWindows { size: millis(size), offset: 0 }
    }

    /// Shifts window starts by `offset` (must be below `size`).
    pub fn with_offset(self, offset: Duration) -> Self {
        TumblingProcessingTimeWindows { offset: millis(offset), ..self }
    }
}

impl<T> WindowAssigner<T> for TumblingProcessingTimeWindows {
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
        let now = ctx.current_processing_time();
        let start = TimeWindow::window_start_with_offset(now, self.offset, self.size);
        windows.push(TimeWindow::new(start, start + self.size));
        Ok(())
    }

    fn default_trigger(&self) -> ProcessingTimeTrigger {
        ProcessingTimeTrigger::create()
    }

    fn is_event_time(&self) -> bool {
        false
    }

    fn validate(&self) -> Result<(), String> {
        validate_tumbling("TumblingProcessingTimeWindows", self.size, self.offset)
    }

    fn slice_spec(&self) -> Option<SliceSpec> {
        Some(SliceSpec { size: self.size, slide: self.size, offset: self.offset, event_time: false })
    }
}

fn validate_tumbling(what: &str, size: i64, offset: i64) -> Result<(), String> {
    if size <= 0 || offset >= size {
        return Err(format!(
            "{what} parameters must satisfy 0 <= offset < size, got size {size} ms, offset {offset} ms"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigns_one_window_with_offset_and_negative_timestamps() {
        let ctx = WindowAssignerContext::new(0);
        // (size, offset, timestamp, expected window)
        let cases = [
            (10, 0, 0, TimeWindow::new(0, 10)),
            (10, 0, 9, TimeWindow::new(0, 10)),
            (10, 0, -1, TimeWindow::new(-10, 0)),
            (10, 3, 2, TimeWindow::new(-7, 3)),
            (10, 3, 3, TimeWindow::new(3, 13)),
        ];
        for (size, offset, ts, expected) in cases {
            let a = TumblingEventTimeWindows::of(Duration::from_millis(size))
                .with_offset(Duration::from_millis(offset as u64));
            let mut w = Vec::new();
            WindowAssigner::<()>::assign_windows(&a, &(), ts, &ctx, &mut w).unwrap();
            assert_eq!(w, vec![expected], "size {size} offset {offset} ts {ts}");
        }
        let bad = TumblingEventTimeWindows::of(Duration::from_millis(10)).with_offset(Duration::from_millis(10));
        assert!(WindowAssigner::<()>::validate(&bad).is_err());
        assert!(WindowAssigner::<()>::validate(&TumblingEventTimeWindows::of(Duration::ZERO)).is_err());
    }
}
