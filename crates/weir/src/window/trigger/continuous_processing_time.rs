//! [`ContinuousProcessingTimeTrigger`]: fires every interval of processing time while
//! a window is open (Flink's `ContinuousProcessingTimeTrigger`).

use std::time::Duration;

use super::{continuous, Trigger, TriggerContext, TriggerResult};
use crate::functions::TimeDomain::ProcessingTime;
use crate::window::assigner::millis;
use crate::window::Window;

/// Fires every `interval` of processing time after a window's first element, the last
/// time at the window's end.
///
/// ```
/// use std::time::Duration;
/// use weir::window::ContinuousProcessingTimeTrigger;
/// let _ = ContinuousProcessingTimeTrigger::of(Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ContinuousProcessingTimeTrigger {
    interval: i64,
}

impl ContinuousProcessingTimeTrigger {
    /// Fires every `interval` of processing time.
    pub fn of(interval: Duration) -> Self {
        ContinuousProcessingTimeTrigger { interval: millis(interval).max(1) }
    }
}

impl<T, W: Window> Trigger<T, W> for ContinuousProcessingTimeTrigger {
    /// The next firing time.
    type State = Option<i64>;

    fn on_element(&mut self, _: &T, _: i64, window: &W, ctx: &mut TriggerContext<'_, Option<i64>>) -> TriggerResult {
        if ctx.state().is_none() {
            let now = ctx.current_processing_time();
            continuous::register_next(ProcessingTime, self.interval, now - now % self.interval, window, ctx);
        }
        TriggerResult::Continue
    }

    fn on_processing_time(
        &mut self,
        time: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, Option<i64>>,
    ) -> TriggerResult {
        continuous::on_timer(ProcessingTime, self.interval, time, window, ctx)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, _: &W, merged: Vec<Option<i64>>, ctx: &mut TriggerContext<'_, Option<i64>>) {
        continuous::on_merge(ProcessingTime, merged, ctx);
    }

    fn clear(&mut self, _: &W, ctx: &mut TriggerContext<'_, Option<i64>>) {
        continuous::clear(ProcessingTime, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::TimeDomain::ProcessingTime;
    use crate::window::trigger::TestWindow;
    use crate::window::TimeWindow;

    #[test]
    fn fires_every_interval_of_processing_time() {
        let w = TimeWindow::new(0, 1_000);
        let mut t = ContinuousProcessingTimeTrigger::of(Duration::from_millis(100));
        let mut tw = TestWindow::<Option<i64>>::new();
        tw.processing_time = 250;
        assert_eq!(Trigger::<(), _>::on_element(&mut t, &(), 0, &w, &mut tw.ctx()), TriggerResult::Continue);
        assert_eq!(tw.timers(), vec![(ProcessingTime, 300)]);
        assert_eq!(Trigger::<(), _>::on_processing_time(&mut t, 300, &w, &mut tw.ctx()), TriggerResult::Fire);
        assert_eq!(tw.state, Some(400));
    }
}
