//! [`Collector`]: where a user function emits its results.

use weir_core::StreamRecord;

/// Collects a function's output records (Flink's `Collector`). Each record emitted
/// carries the timestamp of the input record being processed.
///
/// ```
/// use weir::prelude::*;
/// let env = StreamExecutionEnvironment::new();
/// let words = env
///     .from_collection(vec!["a b".to_string()])
///     .flat_map(|line: String, out: &mut Collector<String>| {
///         for w in line.split(' ') {
///             out.collect(w.to_string());
///         }
///     })
///     .collect();
/// env.execute("split").unwrap();
/// assert_eq!(words.take(), vec!["a", "b"]);
/// ```
pub struct Collector<'a, T> {
    records: &'a mut Vec<StreamRecord<T>>,
    timestamp: i64,
}

impl<'a, T> Collector<'a, T> {
    /// A collector appending to `records`, stamping records with `timestamp`.
    #[inline]
    pub fn new(records: &'a mut Vec<StreamRecord<T>>, timestamp: i64) -> Self {
        Collector { records, timestamp }
    }

    /// Emits `value`.
    #[inline]
    pub fn collect(&mut self, value: T) {
        self.records.push(StreamRecord { value, timestamp: self.timestamp });
    }

    /// Emits `value` with an explicit event-time timestamp.
    #[inline]
    pub fn collect_with_timestamp(&mut self, value: T, timestamp: i64) {
        self.records.push(StreamRecord { value, timestamp });
    }
}
