//! The one operator trait the runtime drives, and the [`Emitter`] operators write to.
//!
//! An operator sees batches: `process` gets a batch of input records and appends its
//! results to the emitter's buffer; the runtime then hands the buffer to the next
//! operator of the chain by a direct call. Dispatch happens once per batch, never per
//! record, and records are moved, never copied.
//!
//! Operators with two inputs (`connect`) are operators over [`weir_core::Either`]; there
//! is no separate trait per input count.

use std::any::Any;
use std::sync::Arc;

use weir_core::{CheckpointBarrier, CheckpointId, StreamRecord, Watermark, WatermarkStatus};

use crate::clock::Clock;
use crate::output::{earliest, Output};
use crate::snapshot::{OperatorStateReader, OperatorStateWriter, PendingTaskState};
use crate::{BoxError, JobError, SubtaskInfo};

/// A stream operator: turns batches of `In` into records of `Out`.
///
/// # Contract
/// `initialize_state` is called once, first, with the state restored from a checkpoint
/// or savepoint (empty on a fresh start); then `open`, once, before any input. `process`
/// takes every record out of `batch`; `on_watermark` sees event-time progress (the
/// default forwards it); `finish` is called once at end of input, before the end is passed
/// downstream, and may emit final results.
///
/// Checkpoints: at a barrier, `snapshot_state` writes everything the operator needs to
/// continue as if it had never stopped — keyed state, timers, window contents, buffered
/// records — and must not emit. After the whole job has stored the checkpoint,
/// `notify_checkpoint_complete` says so (or `notify_checkpoint_aborted`). An operator that
/// keeps state and does not implement `snapshot_state` loses it on recovery.
///
/// # Errors
/// An error fails the job; the runtime names this operator and subtask in the message.
///
/// # Concurrency
/// An operator instance lives on one task thread; it needs no locks.
pub trait Operator: Send + 'static {
    /// Input record type.
    type In: Send + 'static;
    /// Output record type.
    type Out: Send + 'static;

    /// Prepares the operator for `subtask`.
    fn open(&mut self, _subtask: &SubtaskInfo) -> Result<(), BoxError> {
        Ok(())
    }

    /// Restores the operator's state (see [`OperatorStateReader`]); called before `open`.
    fn initialize_state(&mut self, _state: &OperatorStateReader) -> Result<(), BoxError> {
        Ok(())
    }

    /// Writes the operator's state for the checkpoint `state` names.
    fn snapshot_state(&mut self, _state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        Ok(())
    }

    /// The checkpoint is complete: every task stored it and it is the restore point.
    fn notify_checkpoint_complete(&mut self, _checkpoint: CheckpointId) -> Result<(), BoxError> {
        Ok(())
    }

    /// The checkpoint was given up.
    fn notify_checkpoint_aborted(&mut self, _checkpoint: CheckpointId) -> Result<(), BoxError> {
        Ok(())
    }

    /// Processes a batch, appending results to `out`.
    fn process(
        &mut self,
        batch: &mut Vec<StreamRecord<Self::In>>,
        out: &mut Emitter<Self::Out>,
    ) -> Result<(), BoxError>;

    /// Reacts to event-time progress; by default passes it on.
    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<Self::Out>) -> Result<(), BoxError> {
        out.emit_watermark(watermark);
        Ok(())
    }

    /// Reacts to its input becoming idle or active; by default passes it on.
    fn on_watermark_status(&mut self, status: WatermarkStatus, out: &mut Emitter<Self::Out>) -> Result<(), BoxError> {
        out.emit_watermark_status(status);
        Ok(())
    }

    /// End of input: emit what is still held.
    fn finish(&mut self, _out: &mut Emitter<Self::Out>) -> Result<(), BoxError> {
        Ok(())
    }

    /// The earliest processing time (epoch ms) at which the operator wants
    /// [`Operator::on_processing_time`] called; `None` when it has no such timer.
    fn next_processing_timer(&mut self) -> Option<i64> {
        None
    }

    /// Processing time has reached `now_ms`: fire the timers due.
    fn on_processing_time(&mut self, _now_ms: i64, _out: &mut Emitter<Self::Out>) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A side output's buffer and consumers, with its record type hidden.
pub trait SideChannel: Send {
    /// The tag's name.
    fn tag(&self) -> &str;
    /// `&mut SideBuffer<X>` for downcasting.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// Sends buffered records to the consumers.
    fn push_buffered(&mut self) -> Result<(), JobError>;
    /// The consumers as one output.
    fn output(&mut self) -> &mut dyn OutputControl;
}

/// The record-type-independent part of [`Output`].
pub trait OutputControl {
    /// As [`Output::watermark`].
    fn watermark(&mut self, watermark: Watermark) -> Result<(), JobError>;
    /// As [`Output::watermark_status`].
    fn watermark_status(&mut self, status: WatermarkStatus) -> Result<(), JobError>;
    /// As [`Output::flush`].
    fn flush(&mut self) -> Result<(), JobError>;
    /// As [`Output::end_of_input`].
    fn end_of_input(&mut self) -> Result<(), JobError>;
    /// As [`Output::next_timer`].
    fn next_timer(&mut self) -> Option<i64>;
    /// As [`Output::fire_timers`].
    fn fire_timers(&mut self, now_ms: i64) -> Result<(), JobError>;
    /// As [`Output::barrier`].
    fn barrier(&mut self, barrier: CheckpointBarrier, task: &mut PendingTaskState) -> Result<(), JobError>;
    /// As [`Output::snapshot_finished`].
    fn snapshot_finished(&mut self, task: &mut PendingTaskState) -> Result<(), JobError>;
    /// As [`Output::notify_checkpoint`].
    fn notify_checkpoint(&mut self, checkpoint: CheckpointId, complete: bool) -> Result<(), JobError>;
}

impl<T> OutputControl for Box<dyn Output<T>> {
    fn watermark(&mut self, watermark: Watermark) -> Result<(), JobError> {
        (**self).watermark(watermark)
    }
    fn watermark_status(&mut self, status: WatermarkStatus) -> Result<(), JobError> {
        (**self).watermark_status(status)
    }
    fn flush(&mut self) -> Result<(), JobError> {
        (**self).flush()
    }
    fn end_of_input(&mut self) -> Result<(), JobError> {
        (**self).end_of_input()
    }
    fn next_timer(&mut self) -> Option<i64> {
        (**self).next_timer()
    }
    fn fire_timers(&mut self, now_ms: i64) -> Result<(), JobError> {
        (**self).fire_timers(now_ms)
    }
    fn barrier(&mut self, barrier: CheckpointBarrier, task: &mut PendingTaskState) -> Result<(), JobError> {
        (**self).barrier(barrier, task)
    }
    fn snapshot_finished(&mut self, task: &mut PendingTaskState) -> Result<(), JobError> {
        (**self).snapshot_finished(task)
    }
    fn notify_checkpoint(&mut self, checkpoint: CheckpointId, complete: bool) -> Result<(), JobError> {
        (**self).notify_checkpoint(checkpoint, complete)
    }
}

/// The records emitted to one side output (`OutputTag`) and where they go.
pub struct SideBuffer<X> {
    tag: String,
    /// Records emitted since the last push.
    pub records: Vec<StreamRecord<X>>,
    output: Box<dyn Output<X>>,
}

impl<X: Send + 'static> SideBuffer<X> {
    /// A side output called `tag` feeding `output`.
    pub fn new(tag: impl Into<String>, output: Box<dyn Output<X>>) -> Self {
        SideBuffer { tag: tag.into(), records: Vec::new(), output }
    }
}

impl<X: Send + 'static> SideChannel for SideBuffer<X> {
    fn tag(&self) -> &str {
        &self.tag
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn push_buffered(&mut self) -> Result<(), JobError> {
        if self.records.is_empty() {
            return Ok(());
        }
        self.output.push(&mut self.records)
    }
    fn output(&mut self) -> &mut dyn OutputControl {
        &mut self.output
    }
}

/// The side outputs of an operator, by tag name.
pub struct SideOutputs {
    sides: Vec<Box<dyn SideChannel>>,
}

impl SideOutputs {
    /// The buffer of the side output called `tag`, or `None` when nobody consumes it
    /// (then records emitted to it are dropped, as in Flink).
    ///
    /// # Panics
    /// If the tag is consumed with another record type — tags are typed, so two tags
    /// with one name and different types is a programming error caught on first use.
    #[inline]
    pub fn get<X: 'static>(&mut self, tag: &str) -> Option<&mut Vec<StreamRecord<X>>> {
        let side = self.sides.iter_mut().find(|s| s.tag() == tag)?;
        let buffer = side
            .as_any_mut()
            .downcast_mut::<SideBuffer<X>>()
            .unwrap_or_else(|| panic!("side output '{tag}' is used with two different record types"));
        Some(&mut buffer.records)
    }
}

/// What an operator writes to — its main output buffer, its side outputs, a pending
/// watermark — and asks the runtime for: the current processing time. The runtime drains
/// it after each call into the operator.
pub struct Emitter<T> {
    records: Vec<StreamRecord<T>>,
    /// Watermarks emitted between records: each goes out after the first `n` records.
    between: Vec<(usize, Watermark)>,
    watermark: Option<Watermark>,
    status: Option<WatermarkStatus>,
    sides: SideOutputs,
    clock: Arc<dyn Clock>,
}

impl<T> Emitter<T> {
    /// An emitter with the given side outputs, reading processing time from `clock`.
    pub fn new(sides: Vec<Box<dyn SideChannel>>, clock: Arc<dyn Clock>) -> Self {
        Emitter {
            records: Vec::new(),
            between: Vec::new(),
            watermark: None,
            status: None,
            sides: SideOutputs { sides },
            clock,
        }
    }

    /// The current processing time (epoch ms) of the task's clock.
    #[inline]
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The task's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The main buffer and the side outputs, borrowed separately.
    #[inline]
    pub fn parts(&mut self) -> (&mut Vec<StreamRecord<T>>, &mut SideOutputs) {
        (&mut self.records, &mut self.sides)
    }

    /// Emits a record.
    #[inline]
    pub fn emit(&mut self, record: StreamRecord<T>) {
        self.records.push(record);
    }

    /// The main output buffer, to append many records at once.
    #[inline]
    pub fn records(&mut self) -> &mut Vec<StreamRecord<T>> {
        &mut self.records
    }

    /// Emits every record of `batch` (leaving it empty): when nothing else was emitted
    /// yet, the two buffers are swapped and no record moves.
    #[inline]
    pub fn emit_all(&mut self, batch: &mut Vec<StreamRecord<T>>) {
        if self.records.is_empty() {
            std::mem::swap(&mut self.records, batch);
        } else {
            self.records.append(batch);
        }
    }

    /// Emits a watermark after the records emitted so far (and before those emitted
    /// after it, on the main output).
    pub fn emit_watermark(&mut self, watermark: Watermark) {
        if self.watermark.is_none() && !self.records.is_empty() {
            self.between.push((self.records.len(), watermark));
        } else {
            self.watermark = Some(watermark);
        }
    }

    /// Declares the output idle or active again, after the records emitted so far.
    pub fn emit_watermark_status(&mut self, status: WatermarkStatus) {
        self.status = Some(status);
    }

    /// The buffer of the side output called `tag` (see [`SideOutputs::get`]).
    #[inline]
    pub fn side<X: 'static>(&mut self, tag: &str) -> Option<&mut Vec<StreamRecord<X>>> {
        self.sides.get(tag)
    }

    /// Sends everything emitted since the last drain to `main` and the side outputs.
    pub fn drain_into(&mut self, main: &mut dyn Output<T>) -> Result<(), JobError> {
        if !self.between.is_empty() {
            // Records, watermark, records…: the main output keeps the order.
            let mut rest = std::mem::take(&mut self.records);
            let mut sent = 0;
            for (n, w) in std::mem::take(&mut self.between) {
                let mut head: Vec<StreamRecord<T>> = rest.drain(..n - sent).collect();
                sent = n;
                if !head.is_empty() {
                    main.push(&mut head)?;
                }
                main.watermark(w)?;
            }
            self.records = rest;
        }
        if !self.records.is_empty() {
            main.push(&mut self.records)?;
        }
        for side in &mut self.sides.sides {
            side.push_buffered()?;
        }
        if let Some(w) = self.watermark.take() {
            main.watermark(w)?;
            for side in &mut self.sides.sides {
                side.output().watermark(w)?;
            }
        }
        if let Some(s) = self.status.take() {
            main.watermark_status(s)?;
            for side in &mut self.sides.sides {
                side.output().watermark_status(s)?;
            }
        }
        Ok(())
    }

    /// Flushes `main` and the side outputs' consumers.
    pub fn flush_into(&mut self, main: &mut dyn Output<T>) -> Result<(), JobError> {
        main.flush()?;
        self.sides.sides.iter_mut().try_for_each(|s| s.output().flush())
    }

    /// Ends `main` and the side outputs.
    pub fn end_into(&mut self, main: &mut dyn Output<T>) -> Result<(), JobError> {
        main.end_of_input()?;
        self.sides.sides.iter_mut().try_for_each(|s| s.output().end_of_input())
    }

    /// The earliest processing-time timer of `main` and the side outputs' consumers.
    pub fn next_timer_of(&mut self, main: &mut dyn Output<T>) -> Option<i64> {
        self.sides.sides.iter_mut().fold(main.next_timer(), |t, s| earliest(t, s.output().next_timer()))
    }

    /// Passes a barrier to the side outputs' consumers (after their buffered records).
    pub fn barrier_sides(&mut self, barrier: CheckpointBarrier, task: &mut PendingTaskState) -> Result<(), JobError> {
        for side in &mut self.sides.sides {
            side.push_buffered()?;
            side.output().barrier(barrier, task)?;
        }
        Ok(())
    }

    /// Takes the final snapshots of the side outputs' consumers.
    pub fn snapshot_finished_sides(&mut self, task: &mut PendingTaskState) -> Result<(), JobError> {
        self.sides.sides.iter_mut().try_for_each(|s| s.output().snapshot_finished(task))
    }

    /// Passes a checkpoint's outcome to the side outputs' consumers.
    pub fn notify_sides(&mut self, checkpoint: CheckpointId, complete: bool) -> Result<(), JobError> {
        self.sides.sides.iter_mut().try_for_each(|s| s.output().notify_checkpoint(checkpoint, complete))
    }

    /// Fires processing-time timers in `main` and the side outputs' consumers.
    pub fn fire_timers_of(&mut self, main: &mut dyn Output<T>, now_ms: i64) -> Result<(), JobError> {
        main.fire_timers(now_ms)?;
        self.sides.sides.iter_mut().try_for_each(|s| s.output().fire_timers(now_ms))
    }
}
