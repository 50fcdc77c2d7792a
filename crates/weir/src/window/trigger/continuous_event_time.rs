//! [`ContinuousEventTimeTrigger`]: fires every interval of event time while a window
//! is open, and at its end (Flink's `ContinuousEventTimeTrigger`).

use std::time::Duration;

use super::{continuous, Trigger, TriggerContext, TriggerResult};
use crate::functions::TimeDomain::EventTime;
use crate::window::assigner::millis;
use crate::window::Window;

/// Fires at the window's end (as [`EventTimeTrigger`](super::EventTimeTrigger)) and,
/// before that, each time the watermark passes a multiple of `interval` after the
/// window's first element: early, partial results of a long window.
///
/// ```
/// use std::time::Duration;
/// use weir::window::ContinuousEventTimeTrigger;
/// // A one-hour window that also reports every ten minutes.
/// let _ = ContinuousEventTimeTrigger::of(Duration::from_secs(600));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ContinuousEventTimeTrigger {
    interval: i64,
}

impl ContinuousEventTimeTrigger {
    /// Fires every `interval` of event time.
    pub fn of(interval: Duration) -> Self {
        ContinuousEventTimeTrigger { interval: millis(interval).max(1) }
    }
}

impl<T, W: Window> Trigger<T, W> for ContinuousEventTimeTrigger {
    /// The next early firing time.
    type State = Option<i64>;

    fn on_element(
        &mut self,
        _: &T,
        timestamp: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, Option<i64>>,
    ) -> TriggerResult {
        if window.max_timestamp() <= ctx.current_watermark() {
            return TriggerResult::Fire;
        }
        ctx.register_event_time_timer(window.max_timestamp());
        if ctx.state().is_none() {
            // As Flink: the first firing is aligned to the interval grid.
            continuous::register_next(EventTime, self.interval, timestamp - timestamp % self.interval, window, ctx);
        }
        TriggerResult::Continue
    }

    fn on_event_time(&mut self, time: i64, window: &W, ctx: &mut TriggerContext<'_, Option<i64>>) -> TriggerResult {
        if time == window.max_timestamp() {
            return TriggerResult::Fire;
        }
        continuous::on_timer(EventTime, self.interval, time, window, ctx)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, _: &W, merged: Vec<Option<i64>>, ctx: &mut TriggerContext<'_, Option<i64>>) {
        continuous::on_merge(EventTime, merged, ctx);
    }

    fn clear(&mut self, _: &W, ctx: &mut TriggerContext<'_, Option<i64>>) {
        continuous::clear(EventTime, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::TimeDomain::EventTime;
    use crate::window::trigger::TestWindow;
    use crate::window::TimeWindow;

    #[test]
    fn fires_every_interval_then_at_the_end() {
        let w = TimeWindow::new(0, 100);
        let mut t = ContinuousEventTimeTrigger::of(Duration::from_millis(30));
        let mut tw = TestWindow::<Option<i64>>::new();
        assert_eq!(Trigger::<(), _>::on_element(&mut t, &(), 35, &w, &mut tw.ctx()), TriggerResult::Continue);
        // first early firing: 30 (35 rounded down) + 30
        assert_eq!(tw.timers(), vec![(EventTime, 60), (EventTime, 99)]);
        assert_eq!(Trigger::<(), _>::on_event_time(&mut t, 60, &w, &mut tw.ctx()), TriggerResult::Fire);
        assert_eq!(tw.state, Some(90));
        assert_eq!(Trigger::<(), _>::on_event_time(&mut t, 90, &w, &mut tw.ctx()), TriggerResult::Fire);
        assert_eq!(tw.state, Some(99), "capped at the window's end");
        assert_eq!(Trigger::<(), _>::on_event_time(&mut t, 99, &w, &mut tw.ctx()), TriggerResult::Fire);
    }
}
