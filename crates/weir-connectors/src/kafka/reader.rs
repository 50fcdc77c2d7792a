//! [`KafkaSourceReader`]: one consumer reading the partitions dealt to one subtask.
//!
//! The consumer is *assigned* its partitions at explicit offsets (no group rebalancing):
//! the checkpoint, not the group, owns the positions. Each partition is a split with its
//! own id in [`ReaderOutput`], so event time and idleness are tracked per partition.
//!
//! Asking for work: after taking a split the reader asks again at once (to take all of its
//! partitions before reading); an unbounded reader asks again at every discovery interval
//! (new partitions); a reader without splits asks whenever polled.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use weir_core::{CheckpointId, StreamRecord};
use weir_runtime::{BoxError, ReadStatus, ReaderOutput, SourceReader, SubtaskInfo};

use super::error::KafkaConnectorError;
use super::offsets::StoppingOffsets;
use super::record::{KafkaMessage, KafkaRecordDeserializer};
use super::source::{KafkaSource, SplitListener};
use super::split::KafkaPartitionSplit;

/// A split being read and its id in the reader's output.
#[derive(Debug)]
struct SplitState {
    split: KafkaPartitionSplit,
    id: u64,
}

/// Reads the partitions of one subtask.
pub struct KafkaSourceReader<T> {
    consumer: BaseConsumer,
    splits: BTreeMap<(String, i32), SplitState>,
    next_id: u64,
    deserializer: Arc<dyn KafkaRecordDeserializer<T>>,
    commits: bool,
    ask_now: bool,
    ask_interval: Option<Duration>,
    next_ask: Instant,
    subtask: String,
    index: usize,
    listener: Option<Arc<dyn SplitListener>>,
    /// Splits added since the last poll, to announce on the output.
    announce: Vec<u64>,
}

impl<T> std::fmt::Debug for KafkaSourceReader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSourceReader").field("subtask", &self.subtask).field("splits", &self.splits).finish()
    }
}

impl<T: Send + 'static> KafkaSourceReader<T> {
    pub(crate) fn new(source: &KafkaSource<T>, subtask: &SubtaskInfo) -> Result<Self, KafkaConnectorError> {
        let bounded = source.stopping != StoppingOffsets::Unbounded;
        // librdkafka assigns partitions only to a consumer of some group; without the
        // user's, an anonymous one that nothing is committed to.
        let anonymous = format!("weir-reader-{}-{}", std::process::id(), subtask.index);
        let group = source.properties.group_id().unwrap_or(&anonymous).to_string();
        let consumer: BaseConsumer = source
            .properties
            .client_config(&[
                ("group.id", &group),
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
                ("enable.partition.eof", if bounded { "true" } else { "false" }),
            ])
            .create()
            .map_err(KafkaConnectorError::client(format!("create the consumer of {}", subtask.name)))?;
        let ask_interval = if bounded { None } else { source.discovery_interval };
        if let Some(listener) = &source.listener {
            listener.reader_started(subtask.index);
        }
        Ok(KafkaSourceReader {
            consumer,
            splits: BTreeMap::new(),
            next_id: 0,
            deserializer: source.deserializer.clone(),
            commits: source.properties.group_id().is_some(),
            ask_now: true,
            ask_interval,
            next_ask: Instant::now() + ask_interval.unwrap_or_default(),
            subtask: format!("{} ({}/{})", subtask.name, subtask.index + 1, subtask.parallelism),
            index: subtask.index,
            listener: source.listener.clone(),
            announce: Vec::new(),
        })
    }

    /// Adds `split` to the consumer's assignment at its next offset (incrementally: the
    /// partitions being read keep their fetch positions and prefetched records).
    fn assign(&self, split: &KafkaPartitionSplit) -> Result<(), KafkaConnectorError> {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&split.topic, split.partition, Offset::Offset(split.next_offset))
            .map_err(KafkaConnectorError::client("build a partition list"))?;
        self.consumer.incremental_assign(&tpl).map_err(KafkaConnectorError::client(format!(
            "assign {} to {}",
            split.id(),
            self.subtask
        )))
    }

    /// Hands on and drops the splits read to their stop offset.
    fn finish_done(&mut self, out: &mut ReaderOutput<T>) -> Result<(), KafkaConnectorError> {
        let done: Vec<(String, i32)> =
            self.splits.iter().filter(|(_, s)| s.split.is_finished()).map(|(k, _)| k.clone()).collect();
        if done.is_empty() {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        for key in done {
            if let Some(s) = self.splits.remove(&key) {
                out.finish_split(s.id);
                if let Some(listener) = &self.listener {
                    listener.finished(self.index, &key.0, key.1);
                }
                tpl.add_partition(&key.0, key.1);
            }
        }
        self.consumer
            .incremental_unassign(&tpl)
            .map_err(KafkaConnectorError::client(format!("unassign finished partitions of {}", self.subtask)))
    }

    /// A bounded partition at its end: finished when the end is at or past its stop offset
    /// (offsets may skip, e.g. over transaction markers, so the last record may come before).
    fn on_partition_end(&mut self, partition: i32) -> Result<(), KafkaConnectorError> {
        for s in self.splits.values_mut().filter(|s| s.split.partition == partition) {
            // At the end with the fetch position at or past the stop offset, every record
            // before it has been handed out, even when the offsets just before it hold no
            // record (transaction markers).
            let Some(stop) = s.split.stop_offset else { continue };
            let position = self
                .consumer
                .position()
                .ok()
                .and_then(|tpl| tpl.find_partition(&s.split.topic, partition).and_then(|e| e.offset().to_raw()));
            if position.is_some_and(|p| p >= stop) {
                s.split.next_offset = s.split.next_offset.max(stop);
            }
        }
        Ok(())
    }
}

impl<T: Send + 'static> SourceReader for KafkaSourceReader<T> {
    type Out = T;
    type Split = KafkaPartitionSplit;

    fn add_split(&mut self, split: KafkaPartitionSplit) -> Result<(), BoxError> {
        let id = self.next_id;
        self.next_id += 1;
        self.assign(&split)?;
        if let Some(listener) = &self.listener {
            listener.assigned(self.index, &split.topic, split.partition);
        }
        self.splits.insert((split.topic.clone(), split.partition), SplitState { split, id });
        self.announce.push(id);
        self.ask_now = true;
        Ok(())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<T>, max: usize) -> Result<ReadStatus, BoxError> {
        // Partitions are read side by side: each holds event time back from its assignment.
        for id in self.announce.drain(..) {
            out.assign_split(id);
        }
        if self.ask_now {
            self.ask_now = false;
            return Ok(ReadStatus::NeedsSplit);
        }
        if let Some(interval) = self.ask_interval {
            if Instant::now() >= self.next_ask {
                self.next_ask = Instant::now() + interval;
                return Ok(ReadStatus::NeedsSplit);
            }
        }
        self.finish_done(out)?;
        if self.splits.is_empty() {
            return Ok(ReadStatus::NeedsSplit);
        }
        let mut read = 0;
        while read < max {
            let message = match self.consumer.poll(Duration::ZERO) {
                None => break,
                Some(Ok(m)) => m,
                Some(Err(KafkaError::PartitionEOF(p))) => {
                    self.on_partition_end(p)?;
                    continue;
                }
                Some(Err(e)) => {
                    return Err(
                        KafkaConnectorError::Client { what: format!("read in {}", self.subtask), source: e }.into()
                    )
                }
            };
            let Some(state) = self.splits.get_mut(&(message.topic().to_string(), message.partition())) else {
                continue; // fetched before the partition was taken away
            };
            let offset = message.offset();
            if offset < state.split.next_offset || state.split.is_finished() {
                continue;
            }
            if state.split.stop_offset.is_some_and(|stop| offset >= stop) {
                state.split.next_offset = offset;
                continue;
            }
            let view = KafkaMessage {
                topic: message.topic(),
                partition: message.partition(),
                offset,
                timestamp: message.timestamp().to_millis(),
                key: message.key(),
                value: message.payload(),
                headers: message.headers(),
            };
            if let Some(value) = self.deserializer.deserialize(&view)? {
                out.start_split(state.id);
                out.push(StreamRecord { value, timestamp: view.timestamp.unwrap_or(weir_core::record::NO_TIMESTAMP) });
            }
            state.split.next_offset = offset + 1;
            read += 1;
        }
        self.finish_done(out)?;
        Ok(if self.splits.is_empty() {
            ReadStatus::NeedsSplit
        } else if read == 0 {
            ReadStatus::NothingAvailable
        } else {
            ReadStatus::MoreAvailable
        })
    }

    fn snapshot_state(&mut self) -> Result<Vec<KafkaPartitionSplit>, BoxError> {
        Ok(self.splits.values().map(|s| s.split.clone()).collect())
    }

    fn on_checkpoint_complete(
        &mut self,
        checkpoint: CheckpointId,
        splits: Vec<KafkaPartitionSplit>,
    ) -> Result<(), BoxError> {
        if !self.commits || splits.is_empty() {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        for s in &splits {
            tpl.add_partition_offset(&s.topic, s.partition, Offset::Offset(s.next_offset))?;
        }
        // The checkpoint holds the positions; the group's copy is for monitoring and for
        // starting a new job from group offsets, so a failed commit does not fail the job.
        if let Err(e) = self.consumer.commit(&tpl, CommitMode::Async) {
            eprintln!(
                "kafka: {}: committing the offsets of checkpoint {checkpoint:?} to the group failed: {e}",
                self.subtask
            );
        }
        Ok(())
    }
}
