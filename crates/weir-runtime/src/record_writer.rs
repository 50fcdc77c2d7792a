//! Record writers: the end of a chain that sends records to other tasks. Records are
//! gathered into one batch per target channel and a batch is sent when it is full, on
//! [`Output::flush`] (the buffer timeout), and before a watermark or the end of input.
//!
//! A barrier follows the records before it on the data lane — except a barrier of an
//! unaligned checkpoint, which goes on each channel's priority lane and so overtakes the
//! batches still queued there. It is placed after everything the task emitted before it:
//! a partly filled batch counts as the next data element, and is sent right after the
//! barrier, before any record emitted after it (see [`crate::in_flight`]).

use std::panic::{catch_unwind, AssertUnwindSafe};

use weir_core::{CheckpointBarrier, CheckpointMode, StreamElement, StreamRecord, Watermark, WatermarkStatus};

use crate::channel::{CancelToken, ChannelSender, Priority};
use crate::error::panic_message;
use crate::output::Output;
use crate::partitioner::ChannelSelector;
use crate::snapshot::PendingTaskState;
use crate::{JobError, Location};

/// What every writer needs besides its channels.
#[derive(Debug, Clone)]
pub struct WriterContext {
    /// The producing subtask's index (seeds round robin and shuffle).
    pub subtask: usize,
    /// Records per batch.
    pub batch_size: usize,
    /// Number of key groups of the consuming vertex.
    pub max_parallelism: usize,
    /// The job's cancellation signal.
    pub cancel: CancelToken,
    /// The producing operator, for errors.
    pub location: Location,
}

/// Sends each record to the one channel its selector picks.
pub struct RecordWriter<T, S> {
    channels: Vec<ChannelSender<T>>,
    buffers: Vec<Vec<StreamRecord<T>>>,
    selector: S,
    ctx: WriterContext,
}

impl<T: Send, S: ChannelSelector<T>> RecordWriter<T, S> {
    /// A writer over `channels` (indexed as the selector counts them).
    pub fn new(channels: Vec<ChannelSender<T>>, selector: S, ctx: WriterContext) -> Self {
        let buffers = channels.iter().map(|_| Vec::new()).collect();
        RecordWriter { channels, buffers, selector, ctx }
    }

    #[inline]
    fn send_buffer(&mut self, c: usize) -> Result<(), JobError> {
        let full = std::mem::replace(&mut self.buffers[c], Vec::with_capacity(self.ctx.batch_size));
        self.channels[c].send(StreamElement::Records(full), &self.ctx.cancel)
    }

    /// Sends channel `c`'s buffer on in batches of at most `batch_size`, keeping the rest.
    /// Channel capacity counts batches, so no batch may be larger than that: memory in
    /// flight stays bounded however many records an operator emits per input.
    fn send_full_batches(&mut self, c: usize) -> Result<(), JobError> {
        let size = self.ctx.batch_size;
        if self.buffers[c].len() == size {
            return self.send_buffer(c);
        }
        if self.buffers[c].len() < size {
            return Ok(());
        }
        let mut records = std::mem::take(&mut self.buffers[c]).into_iter();
        loop {
            let chunk: Vec<StreamRecord<T>> = records.by_ref().take(size).collect();
            if chunk.len() < size {
                self.buffers[c] = chunk;
                return Ok(());
            }
            self.channels[c].send(StreamElement::Records(chunk), &self.ctx.cancel)?;
        }
    }

    fn send_all_buffers(&mut self) -> Result<(), JobError> {
        for c in 0..self.channels.len() {
            if !self.buffers[c].is_empty() {
                self.send_buffer(c)?;
            }
        }
        Ok(())
    }

    fn broadcast_element(&mut self, element: impl Fn() -> StreamElement<T>) -> Result<(), JobError> {
        self.send_all_buffers()?;
        self.channels.iter_mut().try_for_each(|ch| ch.send(element(), &self.ctx.cancel))
    }

    /// Sends `event` (placed after what was emitted) ahead of the queued batches, then the
    /// partly filled ones, which it counts as before it.
    fn overtake(&mut self, event: impl Fn(u64) -> Priority) -> Result<(), JobError> {
        for (channel, buffer) in self.channels.iter_mut().zip(&self.buffers) {
            let after = channel.sent() + u64::from(!buffer.is_empty());
            channel.send_priority(event(after), &self.ctx.cancel)?;
        }
        self.send_all_buffers()
    }

    /// Routes every record through the selector. The selector may be user code (a key
    /// selector, a custom partitioner): its panic fails the job naming this operator.
    fn route(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), JobError> {
        let location = self.ctx.location.clone();
        let routed = catch_unwind(AssertUnwindSafe(|| {
            let n = self.channels.len();
            for record in batch.drain(..) {
                let c = self.selector.select(&record.value);
                if c >= n {
                    return Err(JobError::Operator {
                        location: self.ctx.location.clone(),
                        source: format!("partitioner chose channel {c}, but there are only {n} downstream subtasks")
                            .into(),
                    });
                }
                let buffer = &mut self.buffers[c];
                buffer.push(record);
                if buffer.len() >= self.ctx.batch_size {
                    self.send_buffer(c)?;
                }
            }
            Ok(())
        }));
        routed.unwrap_or_else(|payload| Err(JobError::Panic { location, message: panic_message(payload.as_ref()) }))
    }
}

impl<T: Send, S: ChannelSelector<T>> Output<T> for RecordWriter<T, S> {
    fn push(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), JobError> {
        if self.channels.len() > 1 || S::SELECTS_WITH_ONE_CHANNEL {
            return self.route(batch);
        }
        // One target: pass whole batches on without touching the records.
        let size = self.ctx.batch_size;
        if self.buffers[0].is_empty() && batch.len() * 2 >= size && batch.len() <= size {
            let full = std::mem::replace(batch, Vec::with_capacity(size));
            return self.channels[0].send(StreamElement::Records(full), &self.ctx.cancel);
        }
        self.buffers[0].append(batch);
        self.send_full_batches(0)
    }

    fn watermark(&mut self, watermark: Watermark) -> Result<(), JobError> {
        self.broadcast_element(|| StreamElement::Watermark(watermark))
    }

    fn watermark_status(&mut self, status: WatermarkStatus) -> Result<(), JobError> {
        self.broadcast_element(|| StreamElement::WatermarkStatus(status))
    }

    fn flush(&mut self) -> Result<(), JobError> {
        self.send_all_buffers()
    }

    fn end_of_input(&mut self) -> Result<(), JobError> {
        // Announced ahead of what is queued: an unaligned checkpoint need not wait for it.
        self.overtake(|after| Priority::End { after })?;
        self.broadcast_element(|| StreamElement::EndOfInput)
    }

    fn barrier(&mut self, barrier: CheckpointBarrier, _: &mut PendingTaskState) -> Result<(), JobError> {
        if barrier.mode == CheckpointMode::Unaligned {
            return self.overtake(|after| Priority::Barrier { barrier, after });
        }
        self.broadcast_element(|| StreamElement::Barrier(barrier))
    }
}

/// Sends every record to every channel (the broadcast partitioner).
pub struct BroadcastWriter<T> {
    inner: RecordWriter<T, crate::partitioner::FirstChannel>,
}

impl<T: Clone + Send> BroadcastWriter<T> {
    /// A writer copying every record to each of `channels`.
    pub fn new(channels: Vec<ChannelSender<T>>, ctx: WriterContext) -> Self {
        BroadcastWriter { inner: RecordWriter::new(channels, crate::partitioner::FirstChannel, ctx) }
    }
}

impl<T: Clone + Send> Output<T> for BroadcastWriter<T> {
    fn push(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), JobError> {
        let w = &mut self.inner;
        let last = w.channels.len() - 1;
        for c in 0..=last {
            if c == last {
                w.buffers[c].append(batch);
            } else {
                w.buffers[c].extend_from_slice(batch);
            }
            w.send_full_batches(c)?;
        }
        Ok(())
    }

    fn watermark(&mut self, watermark: Watermark) -> Result<(), JobError> {
        self.inner.watermark(watermark)
    }

    fn watermark_status(&mut self, status: WatermarkStatus) -> Result<(), JobError> {
        self.inner.watermark_status(status)
    }

    fn flush(&mut self) -> Result<(), JobError> {
        self.inner.flush()
    }

    fn end_of_input(&mut self) -> Result<(), JobError> {
        self.inner.end_of_input()
    }

    fn barrier(&mut self, barrier: CheckpointBarrier, task: &mut PendingTaskState) -> Result<(), JobError> {
        self.inner.barrier(barrier, task)
    }
}
