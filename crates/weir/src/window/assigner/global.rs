//! [`GlobalWindows`]: every record of a key in one never-ending window (Flink's
//! `GlobalWindows`). Useful only with a trigger that fires, as count windows do.

use weir_runtime::BoxError;

use super::{WindowAssigner, WindowAssignerContext};
use crate::window::{GlobalWindow, NeverTrigger};

/// Assigns every record to the [`GlobalWindow`]. Its default trigger never fires; set
/// one with `WindowedStream::trigger` (count windows use a [`CountTrigger`](crate::window::CountTrigger)).
///
/// ```
/// use weir::prelude::*;
/// use weir::window::{CountTrigger, GlobalWindows, PurgingTrigger};
/// let env = StreamExecutionEnvironment::new();
/// let pairs = env
///     .from_collection(vec![1, 2, 3, 4, 5])
///     .key_by(|_: &i32| 0)
///     .window(GlobalWindows::create())
///     .trigger(PurgingTrigger::of(CountTrigger::of(2)))
///     .reduce(|a, b| a + b)
///     .collect();
/// env.execute("global windows").unwrap();
/// assert_eq!(pairs.take(), vec![3, 7]); // 5 waits for a partner forever
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GlobalWindows;

impl GlobalWindows {
    /// The global window assigner.
    pub fn create() -> Self {
        GlobalWindows
    }
}

impl<T> WindowAssigner<T> for GlobalWindows {
    type W = GlobalWindow;
    type DefaultTrigger = NeverTrigger;

    #[inline]
    fn assign_windows(
        &self,
        _element: &T,
        _timestamp: i64,
        _ctx: &WindowAssignerContext,
        windows: &mut Vec<GlobalWindow>,
    ) -> Result<(), BoxError> {
        windows.push(GlobalWindow);
        Ok(())
    }

    fn default_trigger(&self) -> NeverTrigger {
        NeverTrigger
    }

    fn is_event_time(&self) -> bool {
        false
    }
}
