//! [`DeltaEvictor`]: evicts the elements too far from a window's newest element by a
//! user-defined delta (Flink's `DeltaEvictor`).

use super::{Evictor, EvictorContext, TimestampedValue};

/// Evicts every element `e` with `delta(e, newest) >= threshold`, where `newest` is the
/// window's last element.
///
/// ```
/// use weir::window::{DeltaEvictor, Evictor, EvictorContext, GlobalWindow, TimestampedValue};
/// let mut elements: Vec<_> = [1.0, 9.0, 4.0, 5.0].map(TimestampedValue::new).to_vec();
/// let mut evictor = DeltaEvictor::of(2.0, |a: &f64, b: &f64| (a - b).abs());
/// evictor.evict_before(&mut elements, &GlobalWindow, &EvictorContext::new(0, 0));
/// assert_eq!(elements.iter().map(|e| e.value).collect::<Vec<_>>(), vec![4.0, 5.0]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DeltaEvictor<F> {
    threshold: f64,
    delta: F,
    after: bool,
}

impl<F> DeltaEvictor<F> {
    /// Evicts elements whose `delta` to the newest element reaches `threshold`.
    pub fn of<T>(threshold: f64, delta: F) -> Self
    where
        F: Fn(&T, &T) -> f64,
    {
        DeltaEvictor { threshold, delta, after: false }
    }

    /// Evicts after the window function instead of before.
    pub fn do_evict_after(self) -> Self {
        DeltaEvictor { after: true, ..self }
    }

    fn evict<T>(&self, elements: &mut Vec<TimestampedValue<T>>)
    where
        F: Fn(&T, &T) -> f64,
    {
        // The newest element is the last; it is compared with itself too, as in Flink.
        let Some(newest) = elements.pop() else { return };
        elements.retain(|e| (self.delta)(&e.value, &newest.value) < self.threshold);
        if (self.delta)(&newest.value, &newest.value) < self.threshold {
            elements.push(newest);
        }
    }
}

impl<T: Send + 'static, W, F> Evictor<T, W> for DeltaEvictor<F>
where
    F: Fn(&T, &T) -> f64 + Clone + Send + Sync + 'static,
{
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
