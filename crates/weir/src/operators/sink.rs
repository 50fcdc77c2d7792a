//! Runs a sink writer as the last operator of a chain, and takes the writer through
//! two-phase commit.
//!
//! 1. At a checkpoint barrier, `snapshot_state` asks the writer to pre-commit
//!    ([`SinkWriter::prepare_commit`]) and keeps the committables it returns as
//!    *pending*.
//! 2. Every snapshot stores all pending committables; the job commits those of a
//!    checkpoint once it is complete.
//! 3. `notify_checkpoint_complete(c)` drops the pending committables of `c` and earlier
//!    checkpoints: they are committed.
//! 4. At the end of input, `finish` pre-commits the rest with [`CheckpointId::FINAL`]
//!    and closes the writer; the finished task's snapshot (taken with
//!    `CheckpointId::FINAL`) stores them with everything still pending.
//!
//! Invariant: a pre-committed record stays in every snapshot until a checkpoint holding
//! it is known complete. So output pre-committed for a checkpoint that was aborted, or
//! for a savepoint (which commits nothing), is committed with the next complete
//! checkpoint instead of being lost; committing it twice is harmless, as committers are
//! idempotent.

use weir_core::{CheckpointId, StreamRecord, Watermark};
use weir_runtime::snapshot::OperatorStateWriter;
use weir_runtime::{BoxError, Emitter, Operator, SinkWriter};

/// Hands batches to a [`SinkWriter`]; pre-commits at checkpoints, flushes at the end of
/// input.
pub struct SinkOperator<T, W> {
    writer: W,
    /// Committables of snapshots not yet known to be complete, oldest first.
    pending: Vec<(CheckpointId, Vec<Vec<u8>>)>,
    _t: std::marker::PhantomData<fn(T)>,
}

impl<T, W> SinkOperator<T, W> {
    /// Writes with `writer`.
    pub fn new(writer: W) -> Self {
        SinkOperator { writer, pending: Vec::new(), _t: std::marker::PhantomData }
    }
}

impl<T: Send + 'static, W: SinkWriter<T>> Operator for SinkOperator<T, W> {
    type In = T;
    type Out = ();

    #[inline]
    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, _out: &mut Emitter<()>) -> Result<(), BoxError> {
        self.writer.write(batch)
    }

    fn on_watermark(&mut self, watermark: Watermark, _out: &mut Emitter<()>) -> Result<(), BoxError> {
        self.writer.on_watermark(watermark)
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        // After `finish` (the final snapshot) the writer is closed: its last pre-commit
        // is already pending.
        if state.checkpoint_id() != CheckpointId::FINAL {
            let committables = self.writer.prepare_commit(state.checkpoint_id())?;
            if !committables.is_empty() {
                self.pending.push((state.checkpoint_id(), committables));
            }
        }
        let all: Vec<Vec<u8>> = self.pending.iter().flat_map(|(_, c)| c.iter().cloned()).collect();
        if !all.is_empty() {
            state.committables(all);
        }
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, checkpoint: CheckpointId) -> Result<(), BoxError> {
        self.pending.retain(|(id, _)| *id > checkpoint);
        Ok(())
    }

    fn finish(&mut self, _out: &mut Emitter<()>) -> Result<(), BoxError> {
        let committables = self.writer.prepare_commit(CheckpointId::FINAL)?;
        if !committables.is_empty() {
            self.pending.push((CheckpointId::FINAL, committables));
        }
        self.writer.flush(true)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use weir_runtime::snapshot::COMMITTABLES;
    use weir_runtime::SystemClock;

    use super::*;

    /// Pre-commits what was written since the last pre-commit as one committable.
    #[derive(Default)]
    struct Parts {
        written: Vec<u8>,
    }

    impl SinkWriter<u8> for Parts {
        fn write(&mut self, batch: &mut Vec<StreamRecord<u8>>) -> Result<(), BoxError> {
            self.written.extend(batch.drain(..).map(|r| r.value));
            Ok(())
        }
        fn flush(&mut self, _end_of_input: bool) -> Result<(), BoxError> {
            Ok(())
        }
        fn prepare_commit(&mut self, _checkpoint: CheckpointId) -> Result<Vec<Vec<u8>>, BoxError> {
            Ok(if self.written.is_empty() { vec![] } else { vec![std::mem::take(&mut self.written)] })
        }
    }

    enum Step {
        Write(u8),
        Snapshot(u64, &'static [&'static [u8]]),
        Complete(u64),
        Finish,
        FinalSnapshot(&'static [&'static [u8]]),
    }

    #[test]
    fn committables_stay_in_snapshots_until_their_checkpoint_is_complete() {
        use Step::*;
        let steps = [
            Write(1),
            Snapshot(1, &[&[1]]),
            Write(2),
            // Checkpoint 1 is not known complete yet: its committable is stored again.
            Snapshot(2, &[&[1], &[2]]),
            Complete(1),
            Snapshot(3, &[&[2]]),
            // A savepoint (4) is never notified: what it pre-committed stays pending …
            Write(3),
            Snapshot(4, &[&[2], &[3]]),
            Complete(3),
            Write(4),
            Snapshot(5, &[&[3], &[4]]),
            // … until a later checkpoint is complete.
            Complete(5),
            Snapshot(6, &[]),
            Write(5),
            Finish,
            FinalSnapshot(&[&[5]]),
        ];
        let mut op = SinkOperator::new(Parts::default());
        let mut out = Emitter::new(Vec::new(), Arc::new(SystemClock));
        for (i, step) in steps.into_iter().enumerate() {
            let snapshot = |op: &mut SinkOperator<u8, Parts>, id: CheckpointId, expected: &[&[u8]]| {
                let mut writer = OperatorStateWriter::new(id);
                op.snapshot_state(&mut writer).unwrap();
                let stored: Vec<Vec<u8>> = writer
                    .into_entries()
                    .into_iter()
                    .filter(|e| e.name == COMMITTABLES)
                    .flat_map(|e| e.items)
                    .collect();
                assert_eq!(stored, expected.iter().map(|c| c.to_vec()).collect::<Vec<_>>(), "step {i}");
            };
            match step {
                Write(v) => op.process(&mut vec![StreamRecord::new(v)], &mut out).unwrap(),
                Snapshot(id, expected) => snapshot(&mut op, CheckpointId(id), expected),
                Complete(id) => op.notify_checkpoint_complete(CheckpointId(id)).unwrap(),
                Finish => op.finish(&mut out).unwrap(),
                FinalSnapshot(expected) => snapshot(&mut op, CheckpointId::FINAL, expected),
            }
        }
    }
}
