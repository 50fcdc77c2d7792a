//! [`CollectSink`]: gathers the values a job emits into a shared `Vec`, for tests and
//! small programs that look at the output after the job (Flink's `executeAndCollect`).
//!
//! [`TransactionalCollectSink`] is its two-phase-commit variant, for testing exactly-once
//! jobs: values reach the handle only when the checkpoint that pre-committed them
//! completes.
//! 1. A writer buffers values; at a barrier (or the end of input) `prepare_commit` turns
//!    the buffer into one committable — the values themselves, bincode, under an id
//!    (writer, sequence) no other committable of the sink has — and returns it with every
//!    earlier one the committer has not taken yet (so an aborted checkpoint's values are
//!    committed with the next one).
//! 2. The committer appends a committable's values to the handle and remembers its id;
//!    an id it has seen is skipped.
//!
//! Invariant: each committable's values reach the handle at most once, and only from a
//! complete checkpoint (or a finished job); values a failed run had not pre-committed
//! into a complete checkpoint never reach it, and the restored job replays them.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use weir_core::{CheckpointId, StreamRecord};
use weir_runtime::{BoxError, Committer, Sink, SinkWriter, SubtaskInfo};

use crate::error::ConnectorError;

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

    /// The transactional variant: values become visible when committed.
    pub fn transactional() -> TransactionalCollectSink<T> {
        TransactionalCollectSink::new()
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

/// Locks the values (or ids); a writer that panicked cannot have left them half-updated
/// (extending is the only update), so a poisoned lock is still good to read.
fn lock<V>(values: &Mutex<V>) -> MutexGuard<'_, V> {
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

/// Names a committable of a [`TransactionalCollectSink`]: which writer, which of its
/// pre-commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct CommitId {
    writer: u64,
    seq: u64,
}

/// What a transactional writer pre-commits (encoded from a slice, decoded into a `Vec`:
/// bincode writes both alike).
#[derive(Serialize)]
struct CommittableRef<'a, T> {
    id: CommitId,
    values: &'a [T],
}

#[derive(Deserialize)]
struct CommittableOwned<T> {
    id: CommitId,
    values: Vec<T>,
}

/// Collects values from all subtasks, but only those of complete checkpoints (and of the
/// end of input): the two-phase-commit variant of [`CollectSink`], for testing
/// exactly-once jobs (see the [module](self) for the protocol).
///
/// ```
/// use weir_connectors::CollectSink;
/// use weir_core::{CheckpointId, StreamRecord};
/// use weir_runtime::{Sink, SinkWriter, SubtaskInfo};
/// let sink = CollectSink::<i32>::transactional();
/// let results = sink.handle();
/// let mut writer = sink.create_writer(&SubtaskInfo::single("collect")).unwrap();
/// writer.write(&mut vec![StreamRecord::new(1), StreamRecord::new(2)]).unwrap();
/// let committables = writer.prepare_commit(CheckpointId(1)).unwrap();
/// assert!(results.is_empty());
/// let committer = sink.create_committer().unwrap().unwrap();
/// committer.commit(&committables).unwrap();
/// committer.commit(&committables).unwrap(); // again after a restart: no duplicates
/// assert_eq!(results.take(), [1, 2]);
/// ```
#[derive(Debug)]
pub struct TransactionalCollectSink<T> {
    values: Arc<Mutex<Vec<T>>>,
    committed: Arc<Mutex<HashSet<CommitId>>>,
    writers: Arc<AtomicU64>,
}

impl<T> Default for TransactionalCollectSink<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> TransactionalCollectSink<T> {
    /// An empty sink.
    pub fn new() -> Self {
        TransactionalCollectSink {
            values: Arc::new(Mutex::new(Vec::new())),
            committed: Arc::new(Mutex::new(HashSet::new())),
            writers: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A handle to read the committed values, during or after the job.
    pub fn handle(&self) -> CollectHandle<T> {
        CollectHandle { values: self.values.clone() }
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> Sink<T> for TransactionalCollectSink<T> {
    type Writer = TransactionalCollectWriter<T>;

    fn create_writer(&self, _subtask: &SubtaskInfo) -> Result<TransactionalCollectWriter<T>, BoxError> {
        Ok(TransactionalCollectWriter {
            writer: self.writers.fetch_add(1, Ordering::Relaxed),
            next_seq: 0,
            buffered: Vec::new(),
            outstanding: Vec::new(),
            committed: self.committed.clone(),
        })
    }

    fn create_committer(&self) -> Result<Option<Box<dyn Committer>>, BoxError> {
        let committer = CollectCommitter { values: self.values.clone(), committed: self.committed.clone() };
        Ok(Some(Box::new(committer)))
    }
}

/// One subtask's transactional collector: buffers until `prepare_commit`.
#[derive(Debug)]
pub struct TransactionalCollectWriter<T> {
    writer: u64,
    next_seq: u64,
    buffered: Vec<T>,
    /// Pre-committed, not yet seen committed.
    outstanding: Vec<(CommitId, Vec<u8>)>,
    committed: Arc<Mutex<HashSet<CommitId>>>,
}

impl<T: Serialize + DeserializeOwned + Send + 'static> SinkWriter<T> for TransactionalCollectWriter<T> {
    fn write(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError> {
        self.buffered.extend(batch.drain(..).map(|r| r.value));
        Ok(())
    }

    /// Nothing to do: values become visible through the committer only.
    fn flush(&mut self, _end_of_input: bool) -> Result<(), BoxError> {
        Ok(())
    }

    fn prepare_commit(&mut self, _checkpoint: CheckpointId) -> Result<Vec<Vec<u8>>, BoxError> {
        if !self.buffered.is_empty() {
            let id = CommitId { writer: self.writer, seq: self.next_seq };
            let bytes = bincode::serialize(&CommittableRef { id, values: &self.buffered }).map_err(|e| {
                ConnectorError::Config(format!("collect sink: a value does not encode as bincode: {e}"))
            })?;
            self.next_seq += 1;
            self.buffered.clear();
            self.outstanding.push((id, bytes));
        }
        let committed = lock(&self.committed);
        self.outstanding.retain(|(id, _)| !committed.contains(id));
        Ok(self.outstanding.iter().map(|(_, bytes)| bytes.clone()).collect())
    }
}

/// Appends committed values to the handle, once per committable id.
struct CollectCommitter<T> {
    values: Arc<Mutex<Vec<T>>>,
    committed: Arc<Mutex<HashSet<CommitId>>>,
}

impl<T: DeserializeOwned + Send> Committer for CollectCommitter<T> {
    fn commit(&self, committables: &[Vec<u8>]) -> Result<(), BoxError> {
        for bytes in committables {
            let c: CommittableOwned<T> = bincode::deserialize(bytes)
                .map_err(|e| ConnectorError::Config(format!("collect sink: a committable does not decode: {e}")))?;
            if lock(&self.committed).insert(c.id) {
                lock(&self.values).extend(c.values);
            }
        }
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

    #[test]
    fn transactional_values_wait_for_their_commit() {
        let sink = CollectSink::<u32>::transactional();
        let handle = sink.handle();
        let committer = sink.create_committer().unwrap().unwrap();
        let mut a = sink.create_writer(&SubtaskInfo::single("c")).unwrap();
        let mut b = sink.create_writer(&SubtaskInfo::single("c")).unwrap();
        a.write(&mut vec![StreamRecord::new(1), StreamRecord::new(2)]).unwrap();
        b.write(&mut vec![StreamRecord::new(10)]).unwrap();
        let a1 = a.prepare_commit(CheckpointId(1)).unwrap();
        let b1 = b.prepare_commit(CheckpointId(1)).unwrap();
        assert_eq!((a1.len(), b1.len()), (1, 1));
        assert_ne!(a1, b1, "writers never share an id");
        assert!(handle.is_empty(), "pre-committed is not visible");

        // Checkpoint 1 aborts: its committables come again with checkpoint 2.
        a.write(&mut vec![StreamRecord::new(3)]).unwrap();
        let a2 = a.prepare_commit(CheckpointId(2)).unwrap();
        assert_eq!(a2.len(), 2);
        committer.commit(&a2).unwrap();
        committer.commit(&a2).unwrap();
        assert_eq!(handle.snapshot(), [1, 2, 3]);

        // Once committed, they are not offered again; an empty pre-commit offers nothing.
        assert!(a.prepare_commit(CheckpointId(3)).unwrap().is_empty());
        committer.commit(&[b1.clone(), b1].concat()).unwrap();
        assert_eq!(handle.take(), [1, 2, 3, 10]);
        assert!(committer.commit(&[b"junk".to_vec()]).unwrap_err().to_string().contains("does not decode"));
    }
}
