//! [`PurgingTrigger`]: turns every fire of another trigger into fire-and-purge (Flink's
//! `PurgingTrigger`).

use super::{Trigger, TriggerContext, TriggerResult};

/// Wraps a trigger so that each of its `Fire` results becomes `FireAndPurge`: the
/// window starts empty again after every firing.
///
/// ```
/// use weir::window::{CountTrigger, PurgingTrigger};
/// // What `count_window(100)` uses.
/// let _ = PurgingTrigger::of(CountTrigger::of(100));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct PurgingTrigger<TR> {
    nested: TR,
}

impl<TR> PurgingTrigger<TR> {
    /// Purges whenever `nested` fires.
    pub fn of(nested: TR) -> Self {
        PurgingTrigger { nested }
    }
}

#[inline]
fn purging(result: TriggerResult) -> TriggerResult {
    if result.is_fire() {
        TriggerResult::FireAndPurge
    } else {
        result
    }
}

impl<T, W, TR: Trigger<T, W>> Trigger<T, W> for PurgingTrigger<TR> {
    type State = TR::State;

    #[inline]
    fn on_element(
        &mut self,
        element: &T,
        timestamp: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, TR::State>,
    ) -> TriggerResult {
        purging(self.nested.on_element(element, timestamp, window, ctx))
    }

    fn on_event_time(&mut self, time: i64, window: &W, ctx: &mut TriggerContext<'_, TR::State>) -> TriggerResult {
        purging(self.nested.on_event_time(time, window, ctx))
    }

    fn on_processing_time(&mut self, time: i64, window: &W, ctx: &mut TriggerContext<'_, TR::State>) -> TriggerResult {
        purging(self.nested.on_processing_time(time, window, ctx))
    }

    fn can_merge(&self) -> bool {
        self.nested.can_merge()
    }

    fn on_merge(&mut self, window: &W, merged: Vec<TR::State>, ctx: &mut TriggerContext<'_, TR::State>) {
        self.nested.on_merge(window, merged, ctx);
    }

    fn clear(&mut self, window: &W, ctx: &mut TriggerContext<'_, TR::State>) {
        self.nested.clear(window, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::trigger::TestWindow;
    use crate::window::{CountTrigger, GlobalWindow};

    #[test]
    fn fire_becomes_fire_and_purge() {
        let mut t = PurgingTrigger::of(CountTrigger::of(2));
        let mut tw = TestWindow::<u64>::new();
        let mut next = || Trigger::<(), _>::on_element(&mut t, &(), 0, &GlobalWindow, &mut tw.ctx());
        assert_eq!(next(), TriggerResult::Continue);
        assert_eq!(next(), TriggerResult::FireAndPurge);
        assert_eq!(next(), TriggerResult::Continue);
    }
}
