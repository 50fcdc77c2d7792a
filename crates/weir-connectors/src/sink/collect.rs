//! [`CollectSink`]: gathers the values a job emits into a shared `Vec`, for tests and
//! small programs that look at the output after the job (Flink's `executeAndCollect`).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use weir_core::StreamRecord;
use weir_runtime::{BoxError, Sink, SinkWriter, SubtaskInfo};

/// Collects values (timestamps dropped) from all subtasks, in arrival order.
///
/// ```
/// use weir_connectors::CollectSink;
/// use weir_core::StreamRecord;
/// use weir_runtime::{Sink, SinkWriter, SubtaskInfo};
/// let sink = CollectSink::new();
/// let results = sink.handle();
/// let mut writer = sink.create_writer(&SubtaskInfo::single("collect")).unwrap();
/// writer.write(&mut vec![StreamRecord::new(1), StreamRecord::new(2)]).unwrap();
/// assert_eq!(results.take(), [1, 2]);
/// assert!(results.is_empty());
/// ```
#[derive(Debug)]
pub struct CollectSink<T> {
    values: Arc<Mutex<Vec<T>>>,
}

impl<T> Default for CollectSink<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> CollectSink<T> {
    /// An empty sink.
    pub fn new() -> Self {
        CollectSink { values: Arc::new(Mutex::new(Vec::new())) }
    }

    /// A handle to read the collected values, during or after the job.
    pub fn handle(&self) -> CollectHandle<T> {
        CollectHandle { values: self.values.clone() }
    }
}

/// Reads what a [`CollectSink`] gathered. Cloning shares the same values.
#[derive(Debug)]
pub struct CollectHandle<T> {
    values: Arc<Mutex<Vec<T>>>,
}

impl<T> Clone for CollectHandle<T> {
    fn clone(&self) -> Self {
        CollectHandle { values: self.values.clone() }
    }
}

/// Locks the values; a writer that panicked cannot have left the `Vec` half-updated
/// (extending is the only update), so a poisoned lock is still good to read.
fn lock<T>(values: &Mutex<Vec<T>>) -> MutexGuard<'_, Vec<T>> {
    values.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T> CollectHandle<T> {
    /// Takes the values collected so far, leaving none.
    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut *lock(&self.values))
    }

    /// A copy of the values collected so far.
    pub fn snapshot(&self) -> Vec<T>
    where
        T: Clone,
    {
        lock(&self.values).clone()
    }

    /// Number of values collected so far.
    pub fn len(&self) -> usize {
        lock(&self.values).len()
    }

    /// Whether nothing was collected (or everything was taken).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: Send + 'static> Sink<T> for CollectSink<T> {
    type Writer = CollectWriter<T>;

    fn create_writer(&self, _subtask: &SubtaskInfo) -> Result<CollectWriter<T>, BoxError> {
        Ok(CollectWriter { values: self.values.clone() })
    }
}

/// One subtask's collector: one lock per batch.
#[derive(Debug)]
pub struct CollectWriter<T> {
    values: Arc<Mutex<Vec<T>>>,
}

impl<T: Send + 'static> SinkWriter<T> for CollectWriter<T> {
    fn write(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError> {
        lock(&self.values).extend(batch.drain(..).map(|r| r.value));
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
    fn collects_from_several_writers_and_threads() {
        let sink = CollectSink::new();
        let handle = sink.handle();
        std::thread::scope(|s| {
            for index in 0..4u32 {
                let mut writer = sink.create_writer(&SubtaskInfo::single("c")).unwrap();
                s.spawn(move || {
                    for k in 0..100u32 {
                        let mut batch = vec![StreamRecord::new(index * 1000 + k)];
                        writer.write(&mut batch).unwrap();
                        assert!(batch.is_empty());
                    }
                    writer.flush(true).unwrap();
                });
            }
        });
        assert_eq!(handle.len(), 400);
        let mut values = handle.clone().snapshot();
        values.sort_unstable();
        assert_eq!(values[..3], [0, 1, 2]);
        assert_eq!(handle.take().len(), 400);
        assert!(handle.is_empty());
    }
}
