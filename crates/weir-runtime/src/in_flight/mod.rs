//! In-flight records of unaligned checkpoints: how an edge's records are turned into bytes
//! ([`RecordCodec`]), what one input channel keeps while a checkpoint captures it
//! ([`ChannelCapture`]), what a task stores ([`InFlightState`]), and what it replays on
//! restore, at any parallelism ([`ReplayBatch`]).
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
//! interleave in any order, as they may in any run. At the parallelism the checkpoint was
//! taken at, each subtask replays what it stored itself. At another, every new subtask
//! reads what all old subtasks stored and keeps its share, as the edge would have routed
//! it ([`redistribution`]): a keyed edge's records by key group, so each reaches the
//! subtask that now owns its key's state; each batch of a rebalance, rescale, shuffle or
//! forward edge on one subtask; a broadcast edge's as each new subtask's old counterpart
//! saw them; a custom edge's cut by its [`crate::partitioner::Resplit`] (SQL's batches by
//! their rows' key groups), or refused without one. For that, each stored state names the edge and producer of each of its
//! channels ([`ChannelSource`]).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use weir_core::{CheckpointId, StreamRecord};

use crate::{BoxError, JobError};

pub mod redistribution;

pub use redistribution::{EdgeRouting, Keep, ReplayBatch, ReplayLayout};

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

/// Where the records of one input channel of a task come from: stored with its in-flight
/// records, so that a restore at another parallelism (where the task's channels are
/// others) knows each batch's edge, and so how to deal its records out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSource {
    /// The vertex input the channel feeds (0, or 1 for the second input of `connect`).
    pub input: u32,
    /// The edge: its place among the edges into the vertex, in the job graph's order.
    pub edge: u32,
    /// The producing vertex's operator id (checked on restore: the edge must still come
    /// from it).
    pub producer: String,
    /// The producing subtask.
    pub producer_subtask: u32,
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
    /// Where each input channel's records came from, by channel index. Empty in states
    /// written before it was stored (those restore only at their own parallelism and
    /// channel layout).
    pub sources: Vec<ChannelSource>,
}

/// An [`InFlightState`] as stored before it held its channels' sources.
#[derive(Deserialize)]
struct WithoutSources {
    checkpoint: CheckpointId,
    subtask: u32,
    parallelism: u32,
    channels: u32,
    batches: Vec<InFlightBatch>,
}

impl InFlightState {
    /// Reads a stored state back, in either form: with its channels' sources, or as
    /// written before they were stored (whose bytes end before them; bincode does not mind
    /// trailing bytes, so the newer form is tried first).
    ///
    /// # Errors
    /// [`JobError::Restore`] for bytes that are neither.
    pub fn decode(bytes: &[u8]) -> Result<InFlightState, JobError> {
        if let Ok(state) = bincode::deserialize::<InFlightState>(bytes) {
            return Ok(state);
        }
        let old: WithoutSources = bincode::deserialize(bytes)
            .map_err(|e| JobError::Restore(format!("in-flight records do not decode: {e}")))?;
        Ok(InFlightState {
            checkpoint: old.checkpoint,
            subtask: old.subtask,
            parallelism: old.parallelism,
            channels: old.channels,
            batches: old.batches,
            sources: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_written_without_sources_still_decodes() {
        #[derive(Serialize)]
        struct Old {
            checkpoint: CheckpointId,
            subtask: u32,
            parallelism: u32,
            channels: u32,
            batches: Vec<InFlightBatch>,
        }
        let batches = vec![InFlightBatch { channel: 1, bytes: vec![7, 8] }];
        let old =
            Old { checkpoint: CheckpointId(3), subtask: 1, parallelism: 2, channels: 2, batches: batches.clone() };
        let state = InFlightState::decode(&bincode::serialize(&old).unwrap()).unwrap();
        assert_eq!((state.subtask, state.parallelism, state.channels), (1, 2, 2));
        assert_eq!((&state.batches, state.sources.len()), (&batches, 0));

        let source = ChannelSource { input: 0, edge: 0, producer: "Map#0".into(), producer_subtask: 1 };
        let new = InFlightState { sources: vec![source.clone(); 2], ..state };
        let back = InFlightState::decode(&bincode::serialize(&new).unwrap()).unwrap();
        assert_eq!(back, new);
        assert!(InFlightState::decode(b"\x01").unwrap_err().to_string().contains("do not decode"));
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
