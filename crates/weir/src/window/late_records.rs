//! [`LateRecordsDropped`]: how many records a window operator dropped for being late
//! (Flink's `numLateRecordsDropped` metric).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A counter of the records a window operator dropped because every window they
/// belonged to was already cleaned up (end + allowed lateness passed by the
/// watermark). Shared by all subtasks of the operator; read it during or after the
/// job. Records sent to a late-data side output are not counted.
///
/// ```
/// use std::time::Duration;
/// use weir::prelude::*;
/// use weir::window::TumblingEventTimeWindows;
/// let env = StreamExecutionEnvironment::new();
/// let windowed = env
///     .from_collection(vec![1i64, 2, 3])
///     .key_by(|_: &i64| 0)
///     .window(TumblingEventTimeWindows::of(Duration::from_millis(10)));
/// let dropped = windowed.late_records_dropped();
/// # let _ = windowed;
/// assert_eq!(dropped.count(), 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct LateRecordsDropped(Arc<AtomicU64>);

impl LateRecordsDropped {
    /// Records dropped so far.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn add(&self, n: u64) {
        if n > 0 {
            self.0.fetch_add(n, Ordering::Relaxed);
        }
    }
}
