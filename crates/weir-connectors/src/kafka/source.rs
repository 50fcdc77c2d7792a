//! [`KafkaSource`]: Kafka topics as a source in Flink's split model, and its builder.

use std::sync::Arc;
use std::time::Duration;

use weir_runtime::{Boundedness, BoxError, Source, SubtaskInfo};

use super::enumerator::{EnumeratorState, KafkaSplitEnumerator};
use super::error::KafkaConnectorError;
use super::offsets::{StartingOffsets, StoppingOffsets};
use super::properties::KafkaProperties;
use super::reader::KafkaSourceReader;
use super::record::KafkaRecordDeserializer;
use super::split::KafkaPartitionSplit;

/// Which topics a source reads.
#[derive(Debug, Clone)]
pub enum TopicSelection {
    /// These topics (each must exist when the source starts).
    Topics(Vec<String>),
    /// Every topic whose whole name matches (topics created later are found by partition
    /// discovery).
    Pattern(regex::Regex),
}

impl TopicSelection {
    /// Whether `topic` is selected.
    pub fn matches(&self, topic: &str) -> bool {
        match self {
            TopicSelection::Topics(t) => t.iter().any(|t| t == topic),
            TopicSelection::Pattern(p) => p.find(topic).is_some_and(|m| m.start() == 0 && m.end() == topic.len()),
        }
    }
}

/// Reads Kafka topics: one split per topic-partition, dealt to readers as Flink's
/// `KafkaSourceEnumerator` deals them (a topic's partitions round-robin from a start given by
/// the topic's name hash), so each partition has its own watermark and a reader without
/// records from a partition is not held back by it.
///
/// Positions go into checkpoints; a job restored from one continues after the last record
/// it had read. When a checkpoint completes, the readers commit their positions to the
/// consumer group (`group.id`), for monitoring and for [`StartingOffsets::GroupOffsets`].
///
/// ```no_run
/// use weir_connectors::kafka::{KafkaSource, StartingOffsets, StringValueDeserializer};
/// let source = KafkaSource::builder()
///     .bootstrap_servers("127.0.0.1:9092")
///     .topics(["events"])
///     .group_id("my-job")
///     .starting_offsets(StartingOffsets::Earliest)
///     .build(StringValueDeserializer)
///     .unwrap();
/// ```
pub struct KafkaSource<T> {
    pub(crate) properties: KafkaProperties,
    pub(crate) topics: TopicSelection,
    pub(crate) starting: StartingOffsets,
    pub(crate) stopping: StoppingOffsets,
    pub(crate) discovery_interval: Option<Duration>,
    pub(crate) deserializer: Arc<dyn KafkaRecordDeserializer<T>>,
    pub(crate) listener: Option<Arc<dyn SplitListener>>,
}

/// Hears which partitions each reader is given and reads to their end: for event time kept
/// per partition downstream of the reader (Weir's SQL assigns watermarks after decoding,
/// and a partition given to a reader must hold its watermark back before its first record,
/// as Flink's per-split watermarks do).
///
/// Calls come from the reader's own task thread, before the records of the partition they
/// name are handed on.
pub trait SplitListener: Send + Sync {
    /// Reader `subtask` starts (again, after a restart) and has no partitions.
    fn reader_started(&self, subtask: usize);
    /// Reader `subtask` was given `topic`'s `partition`.
    fn assigned(&self, subtask: usize, topic: &str, partition: i32);
    /// Reader `subtask` has read `topic`'s `partition` to its end (a bounded source).
    fn finished(&self, subtask: usize, topic: &str, partition: i32);
}

impl<T> std::fmt::Debug for KafkaSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSource")
            .field("properties", &self.properties)
            .field("topics", &self.topics)
            .field("starting", &self.starting)
            .field("stopping", &self.stopping)
            .finish()
    }
}

impl KafkaSource<()> {
    /// A builder; `bootstrap_servers`, the topics and the deserializer are required.
    pub fn builder() -> KafkaSourceBuilder {
        KafkaSourceBuilder::default()
    }
}

/// Builds a [`KafkaSource`].
#[derive(Clone)]
pub struct KafkaSourceBuilder {
    properties: KafkaProperties,
    topics: Option<TopicSelection>,
    starting: StartingOffsets,
    stopping: StoppingOffsets,
    discovery_interval: Option<Duration>,
    listener: Option<Arc<dyn SplitListener>>,
}

impl std::fmt::Debug for KafkaSourceBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSourceBuilder").field("topics", &self.topics).finish_non_exhaustive()
    }
}

impl Default for KafkaSourceBuilder {
    fn default() -> Self {
        KafkaSourceBuilder {
            properties: KafkaProperties::default(),
            topics: None,
            starting: StartingOffsets::Earliest,
            stopping: StoppingOffsets::Unbounded,
            discovery_interval: Some(Duration::from_secs(300)),
            listener: None,
        }
    }
}

impl KafkaSourceBuilder {
    /// The brokers to start from.
    pub fn bootstrap_servers(mut self, servers: &str) -> Self {
        self.properties.set("bootstrap.servers", servers);
        self
    }

    /// Reads these topics.
    pub fn topics<S: Into<String>>(mut self, topics: impl IntoIterator<Item = S>) -> Self {
        self.topics = Some(TopicSelection::Topics(topics.into_iter().map(Into::into).collect()));
        self
    }

    /// Reads every topic matching `pattern` (a regular expression over the whole name).
    pub fn topic_pattern(mut self, pattern: regex::Regex) -> Self {
        self.topics = Some(TopicSelection::Pattern(pattern));
        self
    }

    /// The consumer group positions are committed to.
    pub fn group_id(mut self, group: &str) -> Self {
        self.properties.set("group.id", group);
        self
    }

    /// Any librdkafka consumer property.
    pub fn property(mut self, key: &str, value: &str) -> Self {
        self.properties.set(key, value);
        self
    }

    /// All properties at once (replacing those set so far).
    pub fn properties(mut self, properties: KafkaProperties) -> Self {
        self.properties = properties;
        self
    }

    /// Where to start (default: earliest).
    pub fn starting_offsets(mut self, starting: StartingOffsets) -> Self {
        self.starting = starting;
        self
    }

    /// Makes the source bounded: it stops at `stopping` (Flink's `setBounded`).
    pub fn bounded(mut self, stopping: StoppingOffsets) -> Self {
        self.stopping = stopping;
        self
    }

    /// How often an unbounded source looks for new partitions and topics (`None`: never;
    /// default five minutes, as Flink's SQL connector).
    pub fn partition_discovery_interval(mut self, interval: Option<Duration>) -> Self {
        self.discovery_interval = interval;
        self
    }

    /// Tells `listener` which partitions each reader is given and finishes.
    pub fn split_listener(mut self, listener: Arc<dyn SplitListener>) -> Self {
        self.listener = Some(listener);
        self
    }

    /// The source, reading records with `deserializer`.
    ///
    /// # Errors
    /// [`KafkaConnectorError::Config`] without bootstrap servers or topics.
    pub fn build<T, D: KafkaRecordDeserializer<T>>(
        self,
        deserializer: D,
    ) -> Result<KafkaSource<T>, KafkaConnectorError> {
        if self.properties.bootstrap_servers().is_empty() {
            return Err(KafkaConnectorError::Config("the source needs bootstrap servers".into()));
        }
        let topics = self
            .topics
            .ok_or_else(|| KafkaConnectorError::Config("the source needs topics or a topic pattern".into()))?;
        if matches!(&topics, TopicSelection::Topics(t) if t.is_empty()) {
            return Err(KafkaConnectorError::Config("the source needs at least one topic".into()));
        }
        if matches!(self.starting, StartingOffsets::GroupOffsets { .. }) && self.properties.group_id().is_none() {
            return Err(KafkaConnectorError::Config("starting from group offsets needs a group.id".into()));
        }
        Ok(KafkaSource {
            properties: self.properties,
            topics,
            starting: self.starting,
            stopping: self.stopping,
            discovery_interval: self.discovery_interval,
            deserializer: Arc::new(deserializer),
            listener: self.listener,
        })
    }
}

impl<T: Send + 'static> Source for KafkaSource<T> {
    type Out = T;
    type Split = KafkaPartitionSplit;
    type Reader = KafkaSourceReader<T>;
    type Enumerator = KafkaSplitEnumerator;

    fn boundedness(&self) -> Boundedness {
        match self.stopping {
            StoppingOffsets::Unbounded => Boundedness::ContinuousUnbounded,
            _ => Boundedness::Bounded,
        }
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        Ok(KafkaSplitEnumerator::new(self, parallelism, None)?)
    }

    fn restore_enumerator(&self, parallelism: usize, state: &[u8]) -> Result<Self::Enumerator, BoxError> {
        let state: EnumeratorState = bincode::deserialize(state)
            .map_err(|e| format!("kafka: the split enumerator's checkpointed state does not read: {e}"))?;
        Ok(KafkaSplitEnumerator::new(self, parallelism, Some(state))?)
    }

    fn create_reader(&self, subtask: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(KafkaSourceReader::new(self, subtask)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::{OffsetReset, StringValueDeserializer};

    #[test]
    fn patterns_match_whole_names_and_the_builder_refuses_what_is_missing() {
        let p = TopicSelection::Pattern(regex::Regex::new("orders-[0-9]+").unwrap());
        assert!(p.matches("orders-12"));
        assert!(!p.matches("x-orders-12"));
        assert!(!p.matches("orders-12x"));
        let e = KafkaSource::builder().topics(["t"]).build(StringValueDeserializer).unwrap_err();
        assert!(e.to_string().contains("bootstrap servers"), "{e}");
        let e = KafkaSource::builder().bootstrap_servers("h:1").build(StringValueDeserializer).unwrap_err();
        assert!(e.to_string().contains("topics"), "{e}");
        let e = KafkaSource::builder()
            .bootstrap_servers("h:1")
            .topics(["t"])
            .starting_offsets(StartingOffsets::GroupOffsets { reset: OffsetReset::Earliest })
            .build(StringValueDeserializer)
            .unwrap_err();
        assert!(e.to_string().contains("group.id"), "{e}");
    }
}
