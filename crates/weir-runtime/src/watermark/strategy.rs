//! [`WatermarkStrategy`]: a timestamp assigner, a watermark generator and idleness.

use std::sync::Arc;
use std::time::Duration;

use weir_core::StreamRecord;

use super::generator::{BoundedOutOfOrderness, WatermarkGenerator};

/// Reads event time from records, a batch at a time.
pub trait TimestampAssigner<T>: Send + Sync {
    /// Sets each record's timestamp.
    fn assign(&self, batch: &mut [StreamRecord<T>]);
}

struct FnAssigner<F>(F);

impl<T, F: Fn(&T, i64) -> i64 + Send + Sync> TimestampAssigner<T> for FnAssigner<F> {
    #[inline]
    fn assign(&self, batch: &mut [StreamRecord<T>]) {
        for r in batch {
            r.timestamp = (self.0)(&r.value, r.timestamp);
        }
    }
}

type GeneratorFactory<T> = Arc<dyn Fn() -> Box<dyn WatermarkGenerator<T>> + Send + Sync>;

/// How a stream gets event time (Flink's `WatermarkStrategy`).
///
/// ```
/// use std::time::Duration;
/// use weir_runtime::watermark::WatermarkStrategy;
/// let strategy = WatermarkStrategy::<(String, i64)>::for_bounded_out_of_orderness(Duration::from_secs(5))
///     .with_timestamp_assigner(|event, _| event.1)
///     .with_idleness(Duration::from_secs(60));
/// assert_eq!(strategy.idleness(), Some(Duration::from_secs(60)));
/// ```
pub struct WatermarkStrategy<T> {
    generator: Option<GeneratorFactory<T>>,
    assigner: Option<Arc<dyn TimestampAssigner<T>>>,
    idleness: Option<Duration>,
    ingestion_time: bool,
}

impl<T> Clone for WatermarkStrategy<T> {
    fn clone(&self) -> Self {
        WatermarkStrategy {
            generator: self.generator.clone(),
            assigner: self.assigner.clone(),
            idleness: self.idleness,
            ingestion_time: self.ingestion_time,
        }
    }
}

impl<T: 'static> WatermarkStrategy<T> {
    /// No watermarks (records keep the timestamps they have; event time advances only at
    /// the end of a bounded input).
    pub fn no_watermarks() -> Self {
        WatermarkStrategy { generator: None, assigner: None, idleness: None, ingestion_time: false }
    }

    /// Ingestion time: each record's event time is the processing time (of the task's
    /// clock) at which it enters the stream — at the source, or where this strategy is
    /// applied — with watermarks following it.
    pub fn for_ingestion_time() -> Self {
        WatermarkStrategy { ingestion_time: true, ..Self::for_monotonous_timestamps() }
    }

    /// Whether records are stamped with the processing time at which they arrive.
    pub fn is_ingestion_time(&self) -> bool {
        self.ingestion_time
    }

    /// Stamps `batch` as this strategy says: ingestion time (`now_ms`), the timestamp
    /// assigner, or the timestamps records already carry.
    #[inline]
    pub fn assign(&self, batch: &mut [StreamRecord<T>], now_ms: i64) {
        if self.ingestion_time {
            batch.iter_mut().for_each(|r| r.timestamp = now_ms);
        } else if let Some(assigner) = &self.assigner {
            assigner.assign(batch);
        }
    }

    /// Watermarks trailing the highest timestamp seen by `bound`: records up to `bound`
    /// late are on time.
    pub fn for_bounded_out_of_orderness(bound: Duration) -> Self {
        Self::for_generator(move || BoundedOutOfOrderness::new(bound))
    }

    /// Timestamps never decrease: the watermark is the highest timestamp seen (minus 1 ms).
    pub fn for_monotonous_timestamps() -> Self {
        Self::for_bounded_out_of_orderness(Duration::ZERO)
    }

    /// A custom generator, made once per input (per split for sources).
    pub fn for_generator<G, F>(make: F) -> Self
    where
        G: WatermarkGenerator<T> + 'static,
        F: Fn() -> G + Send + Sync + 'static,
    {
        WatermarkStrategy {
            generator: Some(Arc::new(move || Box::new(make()) as Box<dyn WatermarkGenerator<T>>)),
            assigner: None,
            idleness: None,
            ingestion_time: false,
        }
    }

    /// Reads each record's event time with `f(record, previous_timestamp)`. Without an
    /// assigner, records keep the timestamps their source gave them.
    pub fn with_timestamp_assigner<F>(mut self, f: F) -> Self
    where
        F: Fn(&T, i64) -> i64 + Send + Sync + 'static,
    {
        self.assigner = Some(Arc::new(FnAssigner(f)));
        self
    }

    /// Declares an input idle after `timeout` of processing time without records, so it
    /// stops holding back the watermark until records arrive again.
    pub fn with_idleness(mut self, timeout: Duration) -> Self {
        self.idleness = Some(timeout);
        self
    }

    /// A fresh generator, if the strategy makes watermarks.
    pub fn create_generator(&self) -> Option<Box<dyn WatermarkGenerator<T>>> {
        self.generator.as_ref().map(|make| make())
    }

    /// Whether the strategy makes watermarks.
    pub fn has_watermarks(&self) -> bool {
        self.generator.is_some()
    }

    /// The timestamp assigner, if any.
    pub fn assigner(&self) -> Option<&Arc<dyn TimestampAssigner<T>>> {
        self.assigner.as_ref()
    }

    /// The idleness timeout, if any.
    pub fn idleness(&self) -> Option<Duration> {
        self.idleness
    }
}
