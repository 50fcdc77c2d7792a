//! [`CountEvictor`]: keeps the last `n` elements of a window (Flink's `CountEvictor`).

use super::{Evictor, EvictorContext, TimestampedValue};

/// Keeps the last `n` elements of a window, before the window function runs (or after
/// it, with [`CountEvictor::do_evict_after`]).
///
/// ```
/// use weir::window::{CountEvictor, Evictor, EvictorContext, GlobalWindow, TimestampedValue};
/// let mut elements: Vec<_> = (1..=5).map(TimestampedValue::new).collect();
/// Evictor::<i32, _>::evict_before(&mut CountEvictor::of(2), &mut elements, &GlobalWindow, &EvictorContext::new(0, 0));
/// assert_eq!(elements.iter().map(|e| e.value).collect::<Vec<_>>(), vec![4, 5]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CountEvictor {
    max_count: usize,
    after: bool,
}

impl CountEvictor {
    /// Keeps the last `n` elements.
    pub fn of(n: usize) -> Self {
        CountEvictor { max_count: n, after: false }
    }

    /// Evicts after the window function instead of before (Flink's `doEvictAfter`):
    /// the function sees every element, the window keeps the last `n`.
    pub fn do_evict_after(self) -> Self {
        CountEvictor { after: true, ..self }
    }

    fn evict<T>(&self, elements: &mut Vec<TimestampedValue<T>>) {
        if elements.len() > self.max_count {
            elements.drain(..elements.len() - self.max_count);
        }
    }
}

impl<T: Send + 'static, W> Evictor<T, W> for CountEvictor {
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
