//! Tumbling windows: fixed-size, non-overlapping windows back to back (Flink's
//! `TumblingEventTimeWindows`, `TumblingProcessingTimeWindows`).

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use weir_runtime::BoxError;

use super::{millis, EventTime, ProcessingTime, SliceSpec, WindowAssigner, WindowAssignerContext, WindowTime};
use crate::window::{TimeWindow, Trigger};

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
pub type TumblingEventTimeWindows = TumblingWindows<EventTime>;

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
pub type TumblingProcessingTimeWindows = TumblingWindows<ProcessingTime>;

/// Windows of a fixed `size` back to back in the time domain `D`; use the aliases
/// [`TumblingEventTimeWindows`] and [`TumblingProcessingTimeWindows`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TumblingWindows<D> {
    size: i64,
    offset: i64,
    _time: PhantomData<D>,
}

impl<D: WindowTime> TumblingWindows<D> {
    /// Windows of `size`, aligned to the epoch.
    pub fn of(size: Duration) -> Self {
        TumblingWindows { size: millis(size), offset: 0, _time: PhantomData }
    }

    /// Shifts window starts by `offset` (must be below `size`; a negative offset `-o`
    /// is the positive offset `size - o`).
    pub fn with_offset(self, offset: Duration) -> Self {
        TumblingWindows { offset: millis(offset), ..self }
    }
}

impl<D: WindowTime> fmt::Debug for TumblingWindows<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(D::TUMBLING).field("size", &self.size).field("offset", &self.offset).finish()
    }
}

impl<T, D: WindowTime> WindowAssigner<T> for TumblingWindows<D>
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
        let start = TimeWindow::window_start_with_offset(D::time(timestamp, ctx), self.offset, self.size);
        windows.push(TimeWindow::new(start, start + self.size));
        Ok(())
    }

    fn default_trigger(&self) -> D::DefaultTrigger {
        D::default_trigger()
    }

    fn is_event_time(&self) -> bool {
        D::IS_EVENT_TIME
    }

    fn validate(&self) -> Result<(), String> {
        validate_tumbling(D::TUMBLING, self.size, self.offset)
    }

    fn slice_spec(&self) -> Option<SliceSpec> {
        Some(SliceSpec { size: self.size, slide: self.size, offset: self.offset, event_time: D::IS_EVENT_TIME })
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
