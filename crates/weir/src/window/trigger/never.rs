//! [`NeverTrigger`]: the trigger that never fires, default of
//! [`GlobalWindows`](crate::window::GlobalWindows) (Flink's `GlobalWindows.NeverTrigger`).

use super::{Trigger, TriggerContext, TriggerResult};

/// Never fires: a global window emits nothing until another trigger is set.
///
/// ```
/// use weir::window::{GlobalWindow, NeverTrigger, Trigger};
/// assert!(!Trigger::<(), GlobalWindow>::can_merge(&NeverTrigger));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NeverTrigger;

impl<T, W> Trigger<T, W> for NeverTrigger {
    type State = ();

    #[inline]
    fn on_element(&mut self, _: &T, _: i64, _: &W, _: &mut TriggerContext<'_, ()>) -> TriggerResult {
        TriggerResult::Continue
    }
}
