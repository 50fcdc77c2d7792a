//! Record writers: the end of a chain that sends records to other tasks. Records are
//! gathered into one batch per target channel and a batch is sent when it is full, on
//! [`Output::flush`] (the buffer timeout), and before a watermark or the end of input.

use weir_core::{StreamElement, StreamRecord, Watermark};

use crate::channel::{CancelToken, ChannelSender};
use crate::output::Output;
use crate::partitioner::ChannelSelector;
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
        self.channels.iter().try_for_each(|ch| ch.send(element(), &self.ctx.cancel))
    }
}

impl<T: Send, S: ChannelSelector<T>> Output<T> for RecordWriter<T, S> {
    fn push(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), JobError> {
        let n = self.channels.len();
        if n == 1 {
            // One target: pass whole batches on without touching the records.
            if self.buffers[0].is_empty() && batch.len() * 2 >= self.ctx.batch_size {
                let full = std::mem::replace(batch, Vec::with_capacity(self.ctx.batch_size));
                return self.channels[0].send(StreamElement::Records(full), &self.ctx.cancel);
            }
            self.buffers[0].append(batch);
            if self.buffers[0].len() >= self.ctx.batch_size {
                self.send_buffer(0)?;
            }
            return Ok(());
        }
        for record in batch.drain(..) {
            let c = self.selector.select(&record.value);
            if c >= n {
                return Err(JobError::Operator {
                    location: self.ctx.location.clone(),
                    source: format!("partitioner chose channel {c}, but there are only {n} downstream subtasks").into(),
                });
            }
            let buffer = &mut self.buffers[c];
            buffer.push(record);
            if buffer.len() >= self.ctx.batch_size {
                let full = std::mem::replace(buffer, Vec::with_capacity(self.ctx.batch_size));
                self.channels[c].send(StreamElement::Records(full), &self.ctx.cancel)?;
            }
        }
        Ok(())
    }

    fn watermark(&mut self, watermark: Watermark) -> Result<(), JobError> {
        self.broadcast_element(|| StreamElement::Watermark(watermark))
    }

    fn flush(&mut self) -> Result<(), JobError> {
        self.send_all_buffers()
    }

    fn end_of_input(&mut self) -> Result<(), JobError> {
        self.broadcast_element(|| StreamElement::EndOfInput)
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
            if w.buffers[c].len() >= w.ctx.batch_size {
                w.send_buffer(c)?;
            }
        }
        Ok(())
    }

    fn watermark(&mut self, watermark: Watermark) -> Result<(), JobError> {
        self.inner.watermark(watermark)
    }

    fn flush(&mut self) -> Result<(), JobError> {
        self.inner.flush()
    }

    fn end_of_input(&mut self) -> Result<(), JobError> {
        self.inner.end_of_input()
    }
}
