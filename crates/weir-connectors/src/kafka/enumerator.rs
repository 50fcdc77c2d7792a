//! [`KafkaSplitEnumerator`]: finds the topic-partitions a source reads, resolves where
//! each starts (and stops), and deals them to readers.
//!
//! 1. At start (or restore) it lists the selected topics' partitions; each becomes a split
//!    whose start is resolved by the source's [`StartingOffsets`] — new partitions found
//!    later start at their earliest offset, as in Flink.
//! 2. A partition always goes to the same reader: `(hash(topic) * 31 & i32::MAX + partition)
//!    mod p`, with Java's string hash, as Flink's enumerator deals them.
//! 3. An unbounded source looks again for partitions when a reader asks and the discovery
//!    interval has passed. A bounded one never does; it answers a reader's first "anything
//!    else?" with "not yet" and the next with "no more", so a reader first takes all of its
//!    partitions, reads them together, and only then ends.
//!
//! Invariant: each known partition is either pending here (in the snapshot) or with
//! exactly one reader (in its snapshot, with its position).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use serde::{Deserialize, Serialize};
use weir_runtime::{BoxError, SplitAssignment, SplitEnumerator};

use super::error::KafkaConnectorError;
use super::offsets::{StartingOffsets, StoppingOffsets};
use super::properties::REQUEST_TIMEOUT;
use super::source::{KafkaSource, TopicSelection};
use super::split::KafkaPartitionSplit;

/// What the enumerator checkpoints: the partitions it knows and the splits not yet dealt.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EnumeratorState {
    known: BTreeSet<(String, i32)>,
    pending: Vec<KafkaPartitionSplit>,
}

/// The coordinator of a Kafka source.
pub struct KafkaSplitEnumerator {
    consumer: BaseConsumer,
    topics: TopicSelection,
    stopping: StoppingOffsets,
    parallelism: usize,
    state: EnumeratorState,
    discovery_interval: Option<Duration>,
    last_discovery: Instant,
    /// Bounded sources: readers told "not yet" once.
    asked_once: Vec<bool>,
}

impl std::fmt::Debug for KafkaSplitEnumerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSplitEnumerator").field("state", &self.state).finish()
    }
}

/// Java's `String.hashCode`.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// The reader of `topic`'s `partition` among `parallelism`, as Flink's `getSplitOwner`.
pub fn split_owner(topic: &str, partition: i32, parallelism: usize) -> usize {
    let p = parallelism.max(1) as i64;
    let start = ((java_hash(topic).wrapping_mul(31) & i32::MAX) as i64) % p;
    ((start + partition as i64) % p) as usize
}

impl KafkaSplitEnumerator {
    pub(crate) fn new<T>(
        source: &KafkaSource<T>,
        parallelism: usize,
        restored: Option<EnumeratorState>,
    ) -> Result<Self, KafkaConnectorError> {
        let consumer: BaseConsumer = source
            .properties
            .client_config(&[
                ("enable.auto.commit", "false"),
                ("enable.partition.eof", "true"),
                ("group.id", source.properties.group_id().unwrap_or("weir-enumerator")),
            ])
            .create()
            .map_err(KafkaConnectorError::client("create the split enumerator's client"))?;
        let fresh = restored.is_none();
        let mut enumerator = KafkaSplitEnumerator {
            consumer,
            topics: source.topics.clone(),
            stopping: source.stopping.clone(),
            parallelism: parallelism.max(1),
            state: restored.unwrap_or_default(),
            discovery_interval: source.discovery_interval,
            last_discovery: Instant::now(),
            asked_once: vec![false; parallelism.max(1)],
        };
        let starting = if fresh { source.starting.clone() } else { StartingOffsets::Earliest };
        enumerator.discover(&starting)?;
        Ok(enumerator)
    }

    fn is_bounded(&self) -> bool {
        self.stopping != StoppingOffsets::Unbounded
    }

    /// The selected partitions on the broker now.
    fn list_partitions(&self) -> Result<Vec<(String, i32)>, KafkaConnectorError> {
        let mut out = Vec::new();
        match &self.topics {
            TopicSelection::Topics(topics) => {
                for topic in topics {
                    let metadata = self
                        .consumer
                        .fetch_metadata(Some(topic), REQUEST_TIMEOUT)
                        .map_err(KafkaConnectorError::client(format!("fetch the metadata of topic '{topic}'")))?;
                    for t in metadata.topics() {
                        if t.error().is_some() || t.partitions().is_empty() {
                            return Err(KafkaConnectorError::Config(format!(
                                "topic '{topic}' does not exist on {} (create it first)",
                                metadata.orig_broker_name()
                            )));
                        }
                        out.extend(t.partitions().iter().map(|p| (t.name().to_string(), p.id())));
                    }
                }
            }
            TopicSelection::Pattern(_) => {
                let metadata = self
                    .consumer
                    .fetch_metadata(None, REQUEST_TIMEOUT)
                    .map_err(KafkaConnectorError::client("fetch the metadata of all topics"))?;
                for t in metadata.topics() {
                    if t.error().is_none() && self.topics.matches(t.name()) {
                        out.extend(t.partitions().iter().map(|p| (t.name().to_string(), p.id())));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Adds the partitions not known yet, starting at `starting`.
    fn discover(&mut self, starting: &StartingOffsets) -> Result<(), KafkaConnectorError> {
        self.last_discovery = Instant::now();
        let new: Vec<(String, i32)> =
            self.list_partitions()?.into_iter().filter(|tp| !self.state.known.contains(tp)).collect();
        if new.is_empty() {
            return Ok(());
        }
        let starts = starting.resolve(&self.consumer, &new)?;
        let stops = self.stopping.resolve(&self.consumer, &new)?;
        for (((topic, partition), next_offset), stop_offset) in new.into_iter().zip(starts).zip(stops) {
            self.state.known.insert((topic.clone(), partition));
            self.state.pending.push(KafkaPartitionSplit { topic, partition, next_offset, stop_offset });
        }
        Ok(())
    }

    /// The partitions known so far.
    pub fn known_partitions(&self) -> Vec<(String, i32)> {
        self.state.known.iter().cloned().collect()
    }
}

impl SplitEnumerator for KafkaSplitEnumerator {
    type Split = KafkaPartitionSplit;

    fn next_split(&mut self, subtask: usize) -> SplitAssignment<KafkaPartitionSplit> {
        if !self.is_bounded() {
            if let Some(interval) = self.discovery_interval {
                if self.last_discovery.elapsed() >= interval {
                    // A broker that does not answer now may answer at the next interval; the
                    // partitions already dealt are read meanwhile.
                    if let Err(e) = self.discover(&StartingOffsets::Earliest) {
                        eprintln!("kafka: partition discovery failed, retrying at the next interval: {e}");
                    }
                }
            }
        }
        let parallelism = self.parallelism;
        if let Some(i) =
            self.state.pending.iter().position(|s| split_owner(&s.topic, s.partition, parallelism) == subtask)
        {
            return SplitAssignment::Split(self.state.pending.remove(i));
        }
        if !self.is_bounded() {
            return SplitAssignment::NotYet;
        }
        match self.asked_once.get_mut(subtask) {
            Some(asked) if !*asked => {
                *asked = true;
                SplitAssignment::NotYet
            }
            _ => SplitAssignment::NoMoreSplits,
        }
    }

    fn snapshot_state(&mut self) -> Result<Vec<u8>, BoxError> {
        Ok(bincode::serialize(&self.state)?)
    }

    fn add_splits_back(&mut self, splits: Vec<KafkaPartitionSplit>) {
        for split in splits {
            self.state.known.insert((split.topic.clone(), split.partition));
            self.state.pending.retain(|s| (&s.topic, s.partition) != (&split.topic, split.partition));
            self.state.pending.push(split);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_follow_flinks_formula() {
        // Java: "orders".hashCode() == -1008770331.
        assert_eq!(java_hash("orders"), -1008770331);
        let start = ((-1008770331i32).wrapping_mul(31) & i32::MAX) as usize % 3;
        for p in 0..6 {
            assert_eq!(split_owner("orders", p, 3), (start + p as usize) % 3);
        }
        assert_eq!(split_owner("t", 5, 1), 0);
    }
}
