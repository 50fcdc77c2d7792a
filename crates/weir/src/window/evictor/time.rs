//! [`TimeEvictor`]: keeps the elements within a duration of a window's newest element
//! (Flink's `TimeEvictor`).

use std::time::Duration;

use weir_core::record::NO_TIMESTAMP;

use super::{Evictor, EvictorContext, TimestampedValue};
use crate::window::assigner::millis;

/// Keeps the elements whose timestamp is greater than `newest - d` (those at or before
/// the cut-off are evicted). Elements without timestamps are left alone.
///
/// ```
/// use std::time::Duration;
/// use weir::window::{Evictor, EvictorContext, GlobalWindow, TimeEvictor, TimestampedValue};
/// let mut elements: Vec<_> = [100, 150, 180, 200].map(|t| TimestampedValue::with_timestamp('x', t)).to_vec();
/// let mut evictor = TimeEvictor::of(Duration::from_millis(50));
/// Evictor::<char, _>::evict_before(&mut evictor, &mut elements, &GlobalWindow, &EvictorContext::new(0, 0));
/// assert_eq!(elements.iter().map(|e| e.timestamp).collect::<Vec<_>>(), vec![180, 200]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TimeEvictor {
    window_size: i64,
    after: bool,
}

impl TimeEvictor {
    /// Keeps elements within `d` of the newest one.
    pub fn of(d: Duration) -> Self {
        TimeEvictor { window_size: millis(d), after: false }
    }

    /// Evicts after the window function instead of before.
    pub fn do_evict_after(self) -> Self {
        TimeEvictor { after: true, ..self }
    }

    fn evict<T>(&self, elements: &mut Vec<TimestampedValue<T>>) {
        let Some(newest) = elements.iter().map(|e| e.timestamp).filter(|t| *t != NO_TIMESTAMP).max() else {
            return;
        };
        let cutoff = newest.saturating_sub(self.window_size);
        elements.retain(|e| e.timestamp == NO_TIMESTAMP || e.timestamp > cutoff);
    }
}

impl<T: Send + 'static, W> Evictor<T, W> for TimeEvictor {
    fn evict_before(&mut self, elements: &mut Vec<TimestampedValue<T>>, _: &W, _: &EvictorContext) {
        if !self.after {
            self.evict(elements);
        }
    }

    fn evict_after(&mut self, elements: &mut Vec<TimestampedValue<T>>, _: &W, _: &EvictorContext) {
        if self.after {
            self.evict(elements);
        }
    }
}
