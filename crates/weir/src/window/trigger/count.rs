//! [`CountTrigger`]: fires every `n` elements of a window (Flink's `CountTrigger`).

use super::{Trigger, TriggerContext, TriggerResult};

/// Fires when a window has received `n` elements since it last fired (the count is
/// per window; merged windows add their counts). Does not purge: wrap it in
/// [`PurgingTrigger`](super::PurgingTrigger) for tumbling count windows.
///
/// ```
/// use weir::prelude::*;
/// use weir::window::{CountTrigger, GlobalWindows};
/// let env = StreamExecutionEnvironment::new();
/// let sums = env
///     .from_collection(vec![1, 2, 3, 4])
///     .key_by(|_: &i32| 0)
///     .window(GlobalWindows::create())
///     .trigger(CountTrigger::of(2))
///     .reduce(|a, b| a + b)
///     .collect();
/// env.execute("count trigger").unwrap();
/// assert_eq!(sums.take(), vec![3, 10]); // not purged: the second firing sees all four
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CountTrigger {
    max_count: u64,
}

impl CountTrigger {
    /// Fires every `n` elements.
    pub fn of(n: u64) -> Self {
        CountTrigger { max_count: n }
    }
}

impl<T, W> Trigger<T, W> for CountTrigger {
    type State = u64;

    #[inline]
    fn on_element(&mut self, _: &T, _: i64, _: &W, ctx: &mut TriggerContext<'_, u64>) -> TriggerResult {
        let count = ctx.state();
        *count += 1;
        if *count >= self.max_count {
            *count = 0;
            return TriggerResult::Fire;
        }
        TriggerResult::Continue
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, _: &W, merged: Vec<u64>, ctx: &mut TriggerContext<'_, u64>) {
        *ctx.state() += merged.iter().sum::<u64>();
    }

    fn clear(&mut self, _: &W, ctx: &mut TriggerContext<'_, u64>) {
        *ctx.state() = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::trigger::TestWindow;
    use crate::window::GlobalWindow;

    #[test]
    fn fires_every_n_and_merges_counts() {
        let mut t = CountTrigger::of(3);
        let mut tw = TestWindow::<u64>::new();
        let results: Vec<TriggerResult> =
            (0..7).map(|_| Trigger::<(), _>::on_element(&mut t, &(), 0, &GlobalWindow, &mut tw.ctx())).collect();
        use TriggerResult::{Continue as C, Fire as F};
        assert_eq!(results, vec![C, C, F, C, C, F, C]);
        let mut merged = TestWindow::<u64>::new();
        Trigger::<(), _>::on_merge(&mut t, &GlobalWindow, vec![1, 1], &mut merged.ctx());
        assert_eq!(merged.state, 2);
        assert_eq!(Trigger::<(), _>::on_element(&mut t, &(), 0, &GlobalWindow, &mut merged.ctx()), F);
    }
}
