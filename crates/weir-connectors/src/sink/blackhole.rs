//! [`BlackholeSink`]: drops every record and counts them (Flink's `blackhole`
//! connector), for throughput runs where writing output would be the bottleneck.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use weir_core::StreamRecord;
use weir_runtime::{BoxError, Sink, SinkWriter, SubtaskInfo};

/// Discards records; counts them in a shared counter readable during and after the job.
///
/// ```
/// use weir_connectors::BlackholeSink;
/// use weir_core::StreamRecord;
/// use weir_runtime::{Sink, SinkWriter, SubtaskInfo};
/// let sink = BlackholeSink::new();
/// let counter = sink.counter();
/// let mut writer = Sink::<u8>::create_writer(&sink, &SubtaskInfo::single("bh")).unwrap();
/// writer.write(&mut vec![StreamRecord::new(1), StreamRecord::new(2)]).unwrap();
/// assert_eq!(counter.load(std::sync::atomic::Ordering::Relaxed), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct BlackholeSink {
    count: Arc<AtomicU64>,
}

impl BlackholeSink {
    /// A sink with a fresh counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The shared counter of records received (by all subtasks).
    pub fn counter(&self) -> Arc<AtomicU64> {
        self.count.clone()
    }

    /// Records received so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

impl<T: Send + 'static> Sink<T> for BlackholeSink {
    type Writer = BlackholeWriter;

    fn create_writer(&self, _subtask: &SubtaskInfo) -> Result<BlackholeWriter, BoxError> {
        Ok(BlackholeWriter { count: self.count.clone() })
    }
}

/// One subtask's blackhole: one atomic add per batch.
#[derive(Debug)]
pub struct BlackholeWriter {
    count: Arc<AtomicU64>,
}

impl<T: Send + 'static> SinkWriter<T> for BlackholeWriter {
    fn write(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError> {
        self.count.fetch_add(batch.len() as u64, Ordering::Relaxed);
        batch.clear();
        Ok(())
    }

    fn flush(&mut self, _end_of_input: bool) -> Result<(), BoxError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_over_subtasks() {
        let sink = BlackholeSink::new();
        for index in 0..3 {
            let info = SubtaskInfo { name: "bh".into(), index, parallelism: 3, max_parallelism: 128 };
            let mut writer = Sink::<String>::create_writer(&sink, &info).unwrap();
            let mut batch = vec![StreamRecord::new("x".to_string()); index + 1];
            writer.write(&mut batch).unwrap();
            assert!(batch.is_empty());
            SinkWriter::<String>::flush(&mut writer, true).unwrap();
        }
        assert_eq!(sink.count(), 6);
        assert_eq!(sink.clone().count(), 6, "clones share the counter");
    }
}
