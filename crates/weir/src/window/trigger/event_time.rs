//! [`EventTimeTrigger`]: fires when the watermark passes the window's end (Flink's
//! `EventTimeTrigger`), the default of every event-time assigner.

use super::{Trigger, TriggerContext, TriggerResult};
use crate::window::Window;

/// Fires once the watermark reaches the window's max timestamp. An element arriving
/// after that (within allowed lateness) fires the window again at once, with the
/// updated contents.
///
/// ```
/// use weir::window::{EventTimeTrigger, SlidingEventTimeWindows};
/// use std::time::Duration;
/// // The trigger sliding event-time windows use anyway, set explicitly.
/// let _ = (SlidingEventTimeWindows::of(Duration::from_secs(10), Duration::from_secs(5)), EventTimeTrigger::create());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct EventTimeTrigger;

impl EventTimeTrigger {
    /// The event-time trigger.
    pub fn create() -> Self {
        EventTimeTrigger
    }
}

impl<T, W: Window> Trigger<T, W> for EventTimeTrigger {
    type State = ();

    #[inline]
    fn on_element(&mut self, _: &T, _: i64, window: &W, ctx: &mut TriggerContext<'_, ()>) -> TriggerResult {
        if window.max_timestamp() <= ctx.current_watermark() {
            // The watermark is past the window already: a late element within the
            // allowed lateness fires the window again.
            return TriggerResult::Fire;
        }
        ctx.register_event_time_timer(window.max_timestamp());
        TriggerResult::Continue
    }

    #[inline]
    fn on_event_time(&mut self, time: i64, window: &W, _: &mut TriggerContext<'_, ()>) -> TriggerResult {
        if time == window.max_timestamp() {
            TriggerResult::Fire
        } else {
            TriggerResult::Continue
        }
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, window: &W, _: Vec<()>, ctx: &mut TriggerContext<'_, ()>) {
        // Only register a timer if the watermark is not yet past the end of the merged
        // window: a merged window already past its end fires on its next element.
        if window.max_timestamp() > ctx.current_watermark() {
            ctx.register_event_time_timer(window.max_timestamp());
        }
    }

    fn clear(&mut self, window: &W, ctx: &mut TriggerContext<'_, ()>) {
        ctx.delete_event_time_timer(window.max_timestamp());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::TimeDomain::EventTime;
    use crate::window::trigger::TestWindow;
    use crate::window::TimeWindow;

    #[test]
    fn fires_at_the_end_and_at_once_for_late_elements() {
        let w = TimeWindow::new(0, 10);
        let mut t = EventTimeTrigger;
        let mut tw = TestWindow::<()>::new();
        tw.watermark = 5;
        assert_eq!(Trigger::<(), _>::on_element(&mut t, &(), 3, &w, &mut tw.ctx()), TriggerResult::Continue);
        assert_eq!(tw.timers(), vec![(EventTime, 9)]);
        assert_eq!(Trigger::<(), _>::on_event_time(&mut t, 8, &w, &mut tw.ctx()), TriggerResult::Continue);
        assert_eq!(Trigger::<(), _>::on_event_time(&mut t, 9, &w, &mut tw.ctx()), TriggerResult::Fire);
        tw.watermark = 9;
        assert_eq!(Trigger::<(), _>::on_element(&mut t, &(), 4, &w, &mut tw.ctx()), TriggerResult::Fire);
        Trigger::<(), _>::clear(&mut t, &w, &mut tw.ctx());
        assert!(tw.timers().is_empty());
    }
}
