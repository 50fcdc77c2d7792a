//! [`WatermarkGenerator`]s: from timestamps seen to watermarks.

use std::time::Duration;

use weir_core::{StreamRecord, Watermark};

/// Where a generator puts the watermark it decides on.
#[derive(Debug, Default, Clone, Copy)]
pub struct WatermarkOutput {
    watermark: Option<Watermark>,
}

impl WatermarkOutput {
    /// Emits `watermark` (ignored unless it is the highest emitted in this call).
    #[inline]
    pub fn emit_watermark(&mut self, watermark: Watermark) {
        self.watermark = Some(self.watermark.map_or(watermark, |w| w.max(watermark)));
    }

    /// Takes what was emitted.
    pub fn take(&mut self) -> Option<Watermark> {
        self.watermark.take()
    }
}

/// Derives watermarks from the event timestamps of one input (Flink's
/// `WatermarkGenerator`).
///
/// # Contract
/// `on_event` sees every record with its assigned timestamp, in order; it may emit a
/// watermark (a *punctuated* generator). `on_periodic_emit` is called every auto-watermark
/// interval of processing time (a *periodic* generator emits there). Emitted watermarks
/// that do not advance event time are ignored, so generators need not track what they
/// emitted.
///
/// # Example
/// ```
/// use weir_runtime::watermark::{WatermarkGenerator, WatermarkOutput};
/// use weir_core::Watermark;
/// /// Emits a watermark at every record whose value is negative (a marker record).
/// struct Punctuated;
/// impl WatermarkGenerator<i64> for Punctuated {
///     fn on_event(&mut self, value: &i64, timestamp: i64, out: &mut WatermarkOutput) {
///         if *value < 0 { out.emit_watermark(Watermark(timestamp)) }
///     }
///     fn on_periodic_emit(&mut self, _: &mut WatermarkOutput) {}
/// }
/// ```
pub trait WatermarkGenerator<T>: Send {
    /// Sees one record.
    fn on_event(&mut self, value: &T, timestamp: i64, output: &mut WatermarkOutput);

    /// Called every auto-watermark interval.
    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput);

    /// Sees a batch of records (by default one `on_event` per record, in a loop
    /// compiled for this generator).
    #[inline]
    fn on_batch(&mut self, batch: &[StreamRecord<T>], output: &mut WatermarkOutput) {
        for r in batch {
            self.on_event(&r.value, r.timestamp, output);
        }
    }
}

/// Watermarks trailing the highest timestamp seen by a fixed bound (Flink's
/// `BoundedOutOfOrdernessWatermarks`): `max_timestamp - bound - 1`, so that records up to
/// `bound` late are still on time. With a zero bound: monotonous timestamps.
#[derive(Debug, Clone)]
pub struct BoundedOutOfOrderness {
    max_timestamp: i64,
    bound_ms: i64,
}

impl BoundedOutOfOrderness {
    /// Allows records `bound` late.
    pub fn new(bound: Duration) -> Self {
        let bound_ms = bound.as_millis() as i64;
        BoundedOutOfOrderness { max_timestamp: i64::MIN + bound_ms + 1, bound_ms }
    }
}

impl<T> WatermarkGenerator<T> for BoundedOutOfOrderness {
    #[inline]
    fn on_event(&mut self, _: &T, timestamp: i64, _: &mut WatermarkOutput) {
        self.max_timestamp = self.max_timestamp.max(timestamp);
    }

    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput) {
        output.emit_watermark(Watermark(self.max_timestamp - self.bound_ms - 1));
    }

    #[inline]
    fn on_batch(&mut self, batch: &[StreamRecord<T>], _: &mut WatermarkOutput) {
        if let Some(max) = batch.iter().map(|r| r.timestamp).max() {
            self.max_timestamp = self.max_timestamp.max(max);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_out_of_orderness_trails_the_maximum() {
        let mut g = BoundedOutOfOrderness::new(Duration::from_millis(100));
        let mut out = WatermarkOutput::default();
        WatermarkGenerator::<()>::on_periodic_emit(&mut g, &mut out);
        assert_eq!(out.take(), Some(Watermark(i64::MIN))); // nothing seen yet
        let batch = [StreamRecord::with_timestamp((), 1_000), StreamRecord::with_timestamp((), 900)];
        g.on_batch(&batch, &mut out);
        WatermarkGenerator::<()>::on_periodic_emit(&mut g, &mut out);
        assert_eq!(out.take(), Some(Watermark(899)));
        WatermarkGenerator::<()>::on_event(&mut g, &(), 950, &mut out); // late record: no change
        WatermarkGenerator::<()>::on_periodic_emit(&mut g, &mut out);
        assert_eq!(out.take(), Some(Watermark(899)));
    }
}
