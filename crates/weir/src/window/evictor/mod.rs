//! [`Evictor`]: removes elements from a window before and/or after the window function
//! runs, and the built-in evictors.
//!
//! A window with an evictor keeps all its elements (with their timestamps), even for
//! `reduce` and `aggregate`: on each firing the evictor may drop some, the function
//! runs over the rest, and the evictor may drop more afterwards. What remains stays in
//! the window for its next firing (Flink's `EvictingWindowOperator`).
//!
//! | evictor | keeps |
//! |---|---|
//! | [`CountEvictor`] | the last `n` elements |
//! | [`TimeEvictor`] | elements within a duration of the newest one |
//! | [`DeltaEvictor`] | elements whose delta to the newest one is below a threshold |

pub mod count;
pub mod delta;
pub mod slot;
pub mod time;

pub use count::CountEvictor;
pub use delta::DeltaEvictor;
pub use slot::{EvictorSlot, NoEvictor, WithEvictor};
pub use time::TimeEvictor;

use weir_core::StreamRecord;

/// An element of a window with its timestamp (Flink's `TimestampedValue`).
pub type TimestampedValue<T> = StreamRecord<T>;

/// What an evictor may read: the operator's event and processing time.
#[derive(Debug, Clone, Copy)]
pub struct EvictorContext {
    pub(crate) watermark: i64,
    pub(crate) processing_time: i64,
}

impl EvictorContext {
    /// A context at the given watermark and processing time (for testing evictors).
    pub fn new(watermark: i64, processing_time: i64) -> Self {
        EvictorContext { watermark, processing_time }
    }

    /// The operator's current watermark.
    pub fn current_watermark(&self) -> i64 {
        self.watermark
    }

    /// The current processing time (epoch ms).
    pub fn current_processing_time(&self) -> i64 {
        self.processing_time
    }
}

/// Removes elements from a firing window (Flink's `Evictor`).
///
/// # Contract
/// `evict_before` runs on the window's elements, in arrival order, before the window
/// function; `evict_after` after it. Each removes elements in place; the elements left
/// after `evict_after` stay in the window.
///
/// # Concurrency
/// Each subtask clones its own instance.
///
/// # Example
/// Keeping only even elements:
/// ```
/// use weir::window::{Evictor, EvictorContext, TimeWindow, TimestampedValue};
/// #[derive(Clone)]
/// struct OddOut;
/// impl Evictor<i64, TimeWindow> for OddOut {
///     fn evict_before(&mut self, elements: &mut Vec<TimestampedValue<i64>>, _: &TimeWindow, _: &EvictorContext) {
///         elements.retain(|e| e.value % 2 == 0);
///     }
/// }
/// let mut elements = (1..=4).map(|v| TimestampedValue::with_timestamp(v, v)).collect();
/// OddOut.evict_before(&mut elements, &TimeWindow::new(0, 10), &EvictorContext::new(0, 0));
/// assert_eq!(elements.iter().map(|e| e.value).collect::<Vec<_>>(), vec![2, 4]);
/// ```
pub trait Evictor<T, W>: Clone + Send + Sync + 'static {
    /// Removes elements before the window function runs.
    fn evict_before(&mut self, elements: &mut Vec<TimestampedValue<T>>, window: &W, ctx: &EvictorContext);

    /// Removes elements after the window function ran.
    fn evict_after(&mut self, _elements: &mut Vec<TimestampedValue<T>>, _window: &W, _ctx: &EvictorContext) {}
}
