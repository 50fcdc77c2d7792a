//! In-flight records of unaligned checkpoints: how an edge's records are turned into bytes
//! ([`RecordCodec`]), what one input channel keeps while a checkpoint captures it
//! ([`ChannelCapture`]), and what a task stores and replays ([`InFlightState`]).
//!
//! # Which side stores them
//! Only the consuming side. A barrier of an unaligned checkpoint overtakes the batches
//! queued in a channel, and a producer that forwards it sends its partly filled output
//! batches right after it, each counted as before the barrier. So everything a producer
//! emitted before its snapshot is, at the consumer, either processed before the
//! consumer's snapshot (in the consumer's state) or taken from the channel after it and
//! before that channel's barrier position — and those batches are what the consumer
//! stores. Nothing is stored twice, nothing is left out.
//!
//! # Restoring
//! A restored task pushes its stored batches into its chain before it reads any channel.
//! The batches of one channel keep their order; batches of different channels may
//! interleave in any order, as they may in any run. In-flight records are stored per
//! subtask, so a checkpoint that holds some is restored only at the parallelism it was
//! taken at (rescale through a savepoint, which is always aligned).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use weir_core::{CheckpointId, StreamRecord};

use crate::snapshot::OperatorStateReader;
use crate::{BoxError, JobError};

/// The entry under which a task stores its in-flight records, in an operator snapshot of
/// its own (see [`in_flight_operator_id`]).
pub const IN_FLIGHT: &str = "in-flight";

/// The operator id a task's in-flight records are stored under: its head's id with
/// `/in-flight` appended, so no operator ever sees the entry as its own state.
pub fn in_flight_operator_id(head: &str) -> String {
    format!("{head}/{IN_FLIGHT}")
}

/// Turns batches of one record type into bytes and back (Flink's record serializer of an
/// edge). An edge without one cannot take part in unaligned checkpoints.
///
/// # Example
/// ```
/// use weir_core::StreamRecord;
/// use weir_runtime::in_flight::RecordCodec;
/// let codec = RecordCodec::<(String, u64)>::serde();
/// let batch = vec![StreamRecord::with_timestamp(("a".to_string(), 1), 7)];
/// let bytes = codec.encode(&batch)?;
/// assert_eq!(codec.decode(&bytes)?, batch);
/// # Ok::<(), weir_runtime::BoxError>(())
/// ```
pub struct RecordCodec<T> {
    encode: EncodeFn<T>,
    decode: DecodeFn<T>,
}

/// Encodes a batch of records.
pub type EncodeFn<T> = fn(&[StreamRecord<T>]) -> Result<Vec<u8>, BoxError>;
/// Decodes a batch of records.
pub type DecodeFn<T> = fn(&[u8]) -> Result<Vec<StreamRecord<T>>, BoxError>;

impl<T> Clone for RecordCodec<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for RecordCodec<T> {}

impl<T> std::fmt::Debug for RecordCodec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordCodec")
    }
}

impl<T: Serialize + DeserializeOwned> RecordCodec<T> {
    /// Values and timestamps in bincode, as the DataStream API stores state.
    pub fn serde() -> Self {
        RecordCodec {
            encode: |batch| {
                let pairs: Vec<(&T, i64)> = batch.iter().map(|r| (&r.value, r.timestamp)).collect();
                Ok(bincode::serialize(&pairs)?)
            },
            decode: |bytes| {
                let pairs: Vec<(T, i64)> = bincode::deserialize(bytes)?;
                Ok(pairs.into_iter().map(|(value, timestamp)| StreamRecord { value, timestamp }).collect())
            },
        }
    }
}

impl<T> RecordCodec<T> {
    /// A codec of the given functions (for record types serde does not cover, such as
    /// Arrow batches).
    pub fn new(encode: EncodeFn<T>, decode: DecodeFn<T>) -> Self {
        RecordCodec { encode, decode }
    }

    /// The batch as bytes.
    ///
    /// # Errors
    /// The encoder's.
    pub fn encode(&self, batch: &[StreamRecord<T>]) -> Result<Vec<u8>, BoxError> {
        (self.encode)(batch)
    }

    /// A batch read back.
    ///
    /// # Errors
    /// Bytes the decoder does not accept.
    pub fn decode(&self, bytes: &[u8]) -> Result<Vec<StreamRecord<T>>, BoxError> {
        (self.decode)(bytes)
    }
}

/// What one input channel keeps for the checkpoint being captured: the record batches at
/// positions after `done` and up to `until`, encoded, in position order.
#[derive(Debug, Default)]
pub struct ChannelCapture {
    /// The last position that belongs before the barrier (`u64::MAX` until it is known).
    until: u64,
    /// Every position up to here was looked at (and its records captured if wanted).
    done: u64,
    batches: Vec<Vec<u8>>,
    error: Option<String>,
}

/// [`ChannelCapture`]'s `until` while the channel's barrier has not arrived.
pub const UNTIL_BARRIER: u64 = u64::MAX;

impl ChannelCapture {
    /// Starts a capture with the elements up to position `returned` already processed:
    /// nothing is captured until [`Self::set_until`].
    pub fn start(&mut self, returned: u64) {
        *self = ChannelCapture { done: returned, ..ChannelCapture::default() };
    }

    /// Captures positions up to `until` ([`UNTIL_BARRIER`]: all until told otherwise).
    pub fn set_until(&mut self, until: u64) {
        self.until = until;
    }

    /// Whether the barrier's position is known (only then may an element be offered before
    /// the task takes it: until then, a barrier placed before it may still be on its way).
    pub fn knows_barrier(&self) -> bool {
        self.until != UNTIL_BARRIER
    }

    /// Whether every position up to the barrier's was looked at.
    pub fn is_complete(&self) -> bool {
        self.until != UNTIL_BARRIER && self.done >= self.until
    }

    /// Looks at the element at `position`, the task's next (it is returned to the task,
    /// or the barrier's position is known): encodes it with `codec` if it is a batch the
    /// capture wants (or remembers why it could not). Positions are looked at in order,
    /// each once: any other is ignored.
    #[inline]
    pub fn offer<T>(&mut self, position: u64, batch: Option<&[StreamRecord<T>]>, codec: Option<&RecordCodec<T>>) {
        if position != self.done + 1 || position > self.until {
            return;
        }
        self.done = position;
        let Some(batch) = batch else { return };
        match codec.map(|c| c.encode(batch)) {
            Some(Ok(bytes)) => self.batches.push(bytes),
            Some(Err(e)) => self.error = Some(e.to_string()),
            None => self.error = Some("the edge has no record serializer".into()),
        }
    }

    /// Takes the captured batches and stops capturing.
    ///
    /// # Errors
    /// The first encoding failure.
    pub fn take(&mut self) -> Result<Vec<Vec<u8>>, BoxError> {
        self.until = 0;
        let batches = std::mem::take(&mut self.batches);
        match self.error.take() {
            Some(e) => Err(e.into()),
            None => Ok(batches),
        }
    }
}

/// One stored batch: the index of the task's input channel it came from, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlightBatch {
    /// The input channel (the order in which the task's channels are built).
    pub channel: u32,
    /// The batch, encoded by the edge's [`RecordCodec`].
    pub bytes: Vec<u8>,
}

/// The in-flight records one subtask stored with a checkpoint (bincode, one item of the
/// union entry [`IN_FLIGHT`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlightState {
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// The subtask that stored them.
    pub subtask: u32,
    /// Its vertex's parallelism then.
    pub parallelism: u32,
    /// Its number of input channels then.
    pub channels: u32,
    /// The batches, in the order the task took them.
    pub batches: Vec<InFlightBatch>,
}

impl InFlightState {
    /// The batches subtask `subtask` of `parallelism`, with `channels` input channels,
    /// replays from its head's restored union entry.
    ///
    /// # Errors
    /// [`JobError::Restore`] when the checkpoint holds in-flight records of another
    /// parallelism or channel layout, or they do not decode.
    pub fn for_subtask(
        restored: &OperatorStateReader,
        subtask: usize,
        parallelism: usize,
        channels: usize,
    ) -> Result<Vec<InFlightBatch>, JobError> {
        let mut mine = Vec::new();
        for item in restored.list(IN_FLIGHT) {
            let state: InFlightState = bincode::deserialize(item)
                .map_err(|e| JobError::Restore(format!("in-flight records do not decode: {e}")))?;
            if state.batches.is_empty() {
                continue;
            }
            if state.parallelism as usize != parallelism || state.channels as usize != channels {
                return Err(JobError::Restore(format!(
                    "{} is an unaligned checkpoint holding in-flight records of a parallelism of {} ({} input \
                     channels); it can be restored only at that parallelism, not at {parallelism} ({channels} \
                     channels). To rescale, restore it at its parallelism and take a savepoint (always aligned)",
                    state.checkpoint, state.parallelism, state.channels
                )));
            }
            if state.subtask as usize == subtask {
                mine.extend(state.batches);
            }
        }
        Ok(mine)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn stored(subtask: u32, parallelism: u32, batches: &[u8]) -> Vec<u8> {
        let batches = batches.iter().map(|&b| InFlightBatch { channel: 0, bytes: vec![b] }).collect();
        let state = InFlightState { checkpoint: CheckpointId(4), subtask, parallelism, channels: 2, batches };
        bincode::serialize(&state).unwrap()
    }

    #[test]
    fn each_subtask_gets_its_own_batches_and_another_parallelism_is_refused() {
        let items = vec![stored(0, 2, &[1, 2]), stored(1, 2, &[3])];
        let reader = OperatorStateReader::new(BTreeMap::from([(IN_FLIGHT.to_string(), items)]));
        let bytes = |b: Vec<InFlightBatch>| b.into_iter().map(|b| b.bytes[0]).collect::<Vec<_>>();
        assert_eq!(bytes(InFlightState::for_subtask(&reader, 0, 2, 2).unwrap()), vec![1, 2]);
        assert_eq!(bytes(InFlightState::for_subtask(&reader, 1, 2, 2).unwrap()), vec![3]);
        let err = InFlightState::for_subtask(&reader, 0, 3, 2).unwrap_err().to_string();
        assert!(err.contains("chk-4 is an unaligned checkpoint") && err.contains("savepoint"), "{err}");
        // Nothing in flight: any parallelism will do.
        let empty = OperatorStateReader::new(BTreeMap::from([(IN_FLIGHT.to_string(), vec![stored(0, 2, &[])])]));
        assert!(InFlightState::for_subtask(&empty, 0, 5, 1).unwrap().is_empty());
    }

    #[test]
    fn a_capture_keeps_each_batch_after_its_start_and_up_to_its_limit_once() {
        let codec = RecordCodec::<u32>::serde();
        let batch = |v: u32| vec![StreamRecord::new(v)];
        let mut c = ChannelCapture::default();
        c.start(1);
        c.set_until(UNTIL_BARRIER);
        assert!(!c.is_complete());
        c.offer(1, Some(&batch(1)), Some(&codec)); // processed before the snapshot
        c.offer(2, Some(&batch(2)), Some(&codec));
        c.set_until(4);
        c.offer(3, None, Some(&codec)); // a watermark
        assert!(!c.is_complete());
        c.offer(5, Some(&batch(5)), Some(&codec)); // out of order: ignored
        c.offer(4, Some(&batch(4)), Some(&codec));
        c.offer(4, Some(&batch(4)), Some(&codec)); // offered again: kept once
        c.offer(5, Some(&batch(5)), Some(&codec)); // after the barrier
        assert!(c.is_complete());
        let taken: Vec<u32> = c.take().unwrap().iter().map(|b| codec.decode(b).unwrap()[0].value).collect();
        assert_eq!(taken, vec![2, 4]);
        c.start(5);
        c.set_until(6);
        c.offer::<u32>(6, Some(&batch(6)), None);
        assert!(c.take().unwrap_err().to_string().contains("no record serializer"));
    }
}
