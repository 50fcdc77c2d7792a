//! [`ProcessingTimeTrigger`]: fires when processing time passes the window's end
//! (Flink's `ProcessingTimeTrigger`), the default of processing-time assigners.

use super::{Trigger, TriggerContext, TriggerResult};
use crate::window::Window;

/// Fires once the operator's clock reaches the window's max timestamp.
///
/// ```
/// use weir::window::ProcessingTimeTrigger;
/// let _ = ProcessingTimeTrigger::create();
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessingTimeTrigger;

impl ProcessingTimeTrigger {
    /// The processing-time trigger.
    pub fn create() -> Self {
        ProcessingTimeTrigger
    }
}

impl<T, W: Window> Trigger<T, W> for ProcessingTimeTrigger {
    type State = ();

    #[inline]
    fn on_element(&mut self, _: &T, _: i64, window: &W, ctx: &mut TriggerContext<'_, ()>) -> TriggerResult {
        ctx.register_processing_time_timer(window.max_timestamp());
        TriggerResult::Continue
    }

    fn on_processing_time(&mut self, _: i64, _: &W, _: &mut TriggerContext<'_, ()>) -> TriggerResult {
        TriggerResult::Fire
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, window: &W, _: Vec<()>, ctx: &mut TriggerContext<'_, ()>) {
        if window.max_timestamp() > ctx.current_processing_time() {
            ctx.register_processing_time_timer(window.max_timestamp());
        }
    }

    fn clear(&mut self, window: &W, ctx: &mut TriggerContext<'_, ()>) {
        ctx.delete_processing_time_timer(window.max_timestamp());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::TimeDomain::ProcessingTime;
    use crate::window::trigger::TestWindow;
    use crate::window::TimeWindow;

    #[test]
    fn registers_the_window_end_and_fires_on_it() {
        let w = TimeWindow::new(100, 200);
        let mut t = ProcessingTimeTrigger;
        let mut tw = TestWindow::<()>::new();
        assert_eq!(Trigger::<(), _>::on_element(&mut t, &(), 0, &w, &mut tw.ctx()), TriggerResult::Continue);
        assert_eq!(Trigger::<(), _>::on_element(&mut t, &(), 0, &w, &mut tw.ctx()), TriggerResult::Continue);
        assert_eq!(tw.timers(), vec![(ProcessingTime, 199)]);
        assert_eq!(tw.ops.len(), 1, "a repeated registration is not sent again");
        assert_eq!(Trigger::<(), _>::on_processing_time(&mut t, 199, &w, &mut tw.ctx()), TriggerResult::Fire);
    }
}
