//! The loop of a task headed by a source reader.
//!
//! Checkpoints start here: the job places barrier *n* in the task's mailbox (under the
//! split enumerator's lock, see [`crate::source`]); between two polls the task records
//! its reader's unfinished splits, snapshots its chain and sends the barrier downstream.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use weir_core::{CheckpointBarrier, CheckpointId, Watermark, WatermarkStatus};

use crate::chain::guard;
use crate::output::Output;
use crate::snapshot::{OperatorSnapshot, OperatorStateWriter};
use crate::source::{ReadStatus, ReaderOutput, SourceReader, SplitAssignment, SplitEnumerator};
use crate::task::{empty_state, Flusher, TaskBody, TaskEnv};
use crate::vertex::SPLITS;
use crate::watermark::split::Emission;
use crate::watermark::{SplitWatermarks, WatermarkStrategy};
use crate::{JobError, Location};

/// How long a reader with nothing to read waits before polling again.
const IDLE_WAIT: Duration = Duration::from_millis(1);
/// How long a reader waits before asking again for a split that is not there yet.
const SPLIT_WAIT: Duration = Duration::from_millis(10);

/// A task running one source reader.
pub struct SourceTask<R: SourceReader, E> {
    reader: R,
    enumerator: Arc<Mutex<E>>,
    head: Box<dyn Output<R::Out>>,
    subtask: usize,
    location: Location,
    watermarks: Option<SourceWatermarks<R::Out>>,
    operator_id: String,
    /// The reader's encoded splits per checkpoint not yet complete nor aborted.
    pending: Vec<(CheckpointId, Vec<Vec<u8>>)>,
}

/// Per-split watermark generation and its periodic schedule.
pub struct SourceWatermarks<T: 'static> {
    splits: SplitWatermarks<T>,
    interval_ms: i64,
    next_emit: Option<i64>,
}

impl<T: 'static> SourceWatermarks<T> {
    /// Watermarks by `strategy`, emitted every `interval_ms` of processing time; `None`
    /// when the strategy makes no watermarks.
    pub fn new(strategy: WatermarkStrategy<T>, interval_ms: i64) -> Option<Self> {
        strategy.has_watermarks().then(|| SourceWatermarks {
            splits: SplitWatermarks::new(strategy),
            interval_ms: interval_ms.max(1),
            next_emit: None,
        })
    }
}

impl<R: SourceReader, E: SplitEnumerator<Split = R::Split>> SourceTask<R, E> {
    /// A task reading with `reader`, asking `enumerator` for splits, feeding `head`,
    /// generating watermarks per split if `watermarks` is given.
    pub fn new(
        reader: R,
        enumerator: Arc<Mutex<E>>,
        head: Box<dyn Output<R::Out>>,
        subtask: usize,
        location: Location,
        watermarks: Option<SourceWatermarks<R::Out>>,
        operator_id: String,
    ) -> Self {
        SourceTask { reader, enumerator, head, subtask, location, watermarks, operator_id, pending: Vec::new() }
    }

    /// The source's entry in a task state: the reader's unfinished `splits`, encoded.
    fn splits_snapshot(&self, checkpoint: CheckpointId, splits: Vec<Vec<u8>>) -> OperatorSnapshot {
        let mut writer = OperatorStateWriter::new(checkpoint);
        writer.union(SPLITS, splits);
        OperatorSnapshot { operator_id: self.operator_id.clone(), entries: writer.into_entries() }
    }

    /// The reader's state: its unfinished splits, each with its position.
    fn reader_state(&mut self, checkpoint: CheckpointId) -> Result<OperatorSnapshot, JobError> {
        let reader = &mut self.reader;
        let mut splits = Vec::new();
        guard(&self.location, || {
            splits = reader.snapshot_state()?;
            Ok(())
        })?;
        let items = splits
            .iter()
            .map(bincode::serialize)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| JobError::Internal(format!("a split does not serialize: {e}")))?;
        // Kept until the checkpoint's outcome is known, for the reader's completion hook.
        self.pending.push((checkpoint, items.clone()));
        Ok(self.splits_snapshot(checkpoint, items))
    }

    /// Hands the reader the positions it recorded for `checkpoint`, now complete; older
    /// pending snapshots are subsumed by it.
    fn checkpoint_complete(&mut self, checkpoint: CheckpointId) -> Result<(), JobError> {
        let Some(at) = self.pending.iter().position(|(id, _)| *id == checkpoint) else { return Ok(()) };
        let (_, items) = self.pending.drain(..=at).next_back().expect("position found above");
        let splits = items
            .iter()
            .map(|b| bincode::deserialize(b))
            .collect::<Result<Vec<R::Split>, _>>()
            .map_err(|e| JobError::Internal(format!("a split does not deserialize: {e}")))?;
        let reader = &mut self.reader;
        guard(&self.location, || reader.on_checkpoint_complete(checkpoint, splits))
    }

    fn checkpoint(&mut self, env: &TaskEnv, barrier: CheckpointBarrier) -> Result<(), JobError> {
        let mut state = empty_state();
        state.push(self.reader_state(barrier.id)?);
        env.checkpoint(barrier, state, self.head.as_mut())
    }

    /// Handles what the mailbox holds; `true` if it held a barrier.
    fn serve_mailbox(&mut self, env: &TaskEnv) -> Result<bool, JobError> {
        let mut any = false;
        loop {
            let mut completed = Vec::new();
            let mut aborted = Vec::new();
            let barrier = env.take_mailbox_notifying(
                self.head.as_mut(),
                |id| {
                    aborted.push(id);
                    Ok(())
                },
                |id| {
                    completed.push(id);
                    Ok(())
                },
            )?;
            self.pending.retain(|(id, _)| !aborted.contains(id));
            for id in completed {
                self.checkpoint_complete(id)?;
            }
            let Some(barrier) = barrier else { break };
            self.checkpoint(env, barrier)?;
            any = true;
        }
        Ok(any)
    }

    fn pass_on(&mut self, emission: Emission) -> Result<(), JobError> {
        if let Some(w) = emission.watermark {
            self.head.watermark(w)?;
        }
        match emission.idle {
            Some(true) => self.head.watermark_status(WatermarkStatus::Idle),
            Some(false) => self.head.watermark_status(WatermarkStatus::Active),
            None => Ok(()),
        }
    }

    /// Hands the polled records on, with the watermarks their splits produce.
    fn emit_batch(&mut self, out: &mut ReaderOutput<R::Out>, now_ms: i64) -> Result<(), JobError> {
        let (runs, finished) = out.take_runs();
        let assigned = out.take_assigned();
        let Some(wm) = &mut self.watermarks else {
            if !out.is_empty() {
                self.head.push(out)?;
            }
            return Ok(());
        };
        let mut watermark = None;
        let mut idle = None;
        for split in assigned {
            let e = wm.splits.split_assigned(split);
            idle = e.idle.or(idle);
        }
        for (split, range) in runs {
            let e = wm.splits.on_records(split, &mut out[range], now_ms);
            watermark = e.watermark.or(watermark);
            idle = e.idle.or(idle);
        }
        // Becoming active must reach downstream before the records.
        if idle == Some(false) {
            self.head.watermark_status(WatermarkStatus::Active)?;
        }
        if !out.is_empty() {
            self.head.push(out)?;
        }
        for split in finished {
            let e = wm.splits.split_finished(split);
            watermark = e.watermark.or(watermark);
            idle = e.idle.or(idle);
        }
        self.pass_on(Emission { watermark, idle: idle.filter(|&i| i) })
    }

    fn periodic_watermark(&mut self, now_ms: i64) -> Result<(), JobError> {
        let Some(wm) = &mut self.watermarks else { return Ok(()) };
        let due = *wm.next_emit.get_or_insert(now_ms + wm.interval_ms);
        if now_ms < due {
            return Ok(());
        }
        wm.next_emit = Some(now_ms + wm.interval_ms);
        let e = wm.splits.on_periodic_emit(now_ms);
        self.pass_on(e)
    }
}

impl<R: SourceReader, E: SplitEnumerator<Split = R::Split>> TaskBody for SourceTask<R, E> {
    fn run(mut self: Box<Self>, env: &TaskEnv) -> Result<(), JobError> {
        let mut batch = ReaderOutput::with_capacity(env.batch_size);
        let mut flusher = Flusher::new(env.buffer_timeout);
        loop {
            if env.cancel.is_cancelled() {
                return Err(JobError::Cancelled);
            }
            self.serve_mailbox(env)?;
            let mut status = ReadStatus::MoreAvailable;
            let reader = &mut self.reader;
            guard(&self.location, || {
                status = reader.poll_next(&mut batch, env.batch_size)?;
                Ok(())
            })?;
            // One clock read per poll serves ingestion time and the periodic watermark.
            let now_ms = if self.watermarks.is_some() { env.clock.now_ms() } else { 0 };
            self.emit_batch(&mut batch, now_ms)?;
            if self.watermarks.is_some() {
                self.periodic_watermark(now_ms)?;
            }
            match status {
                ReadStatus::MoreAvailable => {}
                ReadStatus::NothingAvailable => {
                    self.head.flush()?;
                    let next_timer = env.fire_due_timers(self.head.as_mut())?;
                    let wait = env.max_block(Some(IDLE_WAIT), next_timer).unwrap_or(IDLE_WAIT);
                    if env.cancel.wait(wait) {
                        return Err(JobError::Cancelled);
                    }
                }
                ReadStatus::NeedsSplit => {
                    let assignment = {
                        let mut enumerator = self
                            .enumerator
                            .lock()
                            .map_err(|_| JobError::Internal("split enumerator poisoned by a panic".into()))?;
                        // A barrier injected before this lock was taken comes first: the
                        // enumerator's snapshot still counts the next split as unassigned.
                        if !env.mailbox.is_empty() {
                            None
                        } else {
                            Some(enumerator.next_split(self.subtask))
                        }
                    };
                    let Some(assignment) = assignment else { continue };
                    match assignment {
                        SplitAssignment::Split(split) => {
                            let reader = &mut self.reader;
                            guard(&self.location, || reader.add_split(split))?;
                        }
                        SplitAssignment::NotYet => {
                            // Idle until a split comes: the others' event time moves on.
                            if let Some(wm) = &mut self.watermarks {
                                let e = wm.splits.no_split_available();
                                self.pass_on(e)?;
                            }
                            self.head.flush()?;
                            if env.cancel.wait(SPLIT_WAIT) {
                                return Err(JobError::Cancelled);
                            }
                        }
                        SplitAssignment::NoMoreSplits => break,
                    }
                }
            }
            env.fire_due_timers(self.head.as_mut())?;
            flusher.maybe_flush(self.head.as_mut())?;
        }
        // Barriers injected before the enumerator said "no more" are taken first.
        self.serve_mailbox(env)?;
        if self.watermarks.as_ref().is_some_and(|w| w.splits.is_idle()) {
            self.head.watermark_status(WatermarkStatus::Active)?;
        }
        self.head.watermark(Watermark::MAX)?;
        self.head.end_of_input()?;
        // A reader that ran out of splits has no position left to record.
        let mut state = empty_state();
        state.push(self.splits_snapshot(CheckpointId::FINAL, Vec::new()));
        env.finished(state, self.head.as_mut())
    }
}
