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

/// What one input channel keeps for the checkpoint being captured: the batches taken from
/// it whose position is at most `until`, encoded.
#[derive(Debug, Default)]
pub struct ChannelCapture {
    until: u64,
    batches: Vec<Vec<u8>>,
    error: Option<String>,
}

impl ChannelCapture {
    /// Captures the batches at positions up to `until` (0: stop capturing).
    pub fn set_until(&mut self, until: u64) {
        self.until = until;
    }

    /// Whether the element at `position` (counted from 1) is to be captured.
    #[inline]
    pub fn wants(&self, position: u64) -> bool {
        position <= self.until
    }

    /// Encodes `batch` with `codec` (or remembers why it could not).
    pub fn capture<T>(&mut self, codec: Option<&RecordCodec<T>>, batch: &[StreamRecord<T>]) {
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
    fn a_capture_keeps_batches_up_to_its_limit() {
        let codec = RecordCodec::<u32>::serde();
        let mut c = ChannelCapture::default();
        assert!(!c.wants(1));
        c.set_until(2);
        assert!(c.wants(2) && !c.wants(3));
        c.capture(Some(&codec), &[StreamRecord::new(5)]);
        let taken = c.take().unwrap();
        assert_eq!(codec.decode(&taken[0]).unwrap(), vec![StreamRecord::new(5)]);
        assert!(!c.wants(1));
        c.capture::<u32>(None, &[StreamRecord::new(5)]);
        assert!(c.take().unwrap_err().to_string().contains("no record serializer"));
    }
}
