//! [`KafkaSink`]: records to Kafka with Flink's delivery guarantees.
//!
//! * `none`: records are handed to the producer; nothing waits for the broker.
//! * `at-least-once`: at every checkpoint barrier the writer flushes and waits until the
//!   broker acknowledged every record (the producer is idempotent, so its own retries do
//!   not duplicate); a restored job may write again what it wrote after the checkpoint.
//! * `exactly-once`: two-phase commit over Kafka transactions:
//!   1. each writer writes in a transaction of its own `transactional.id`
//!      (`<prefix>-<subtask>-<n mod 4>`, a pool of four per subtask);
//!   2. at the barrier of checkpoint *c* it flushes (pre-commit), hands the producer with
//!      its open transaction to the sink's shared registry, returns the committable
//!      `(transactional.id, c)` and opens the next transaction on the next id of its pool;
//!   3. when *c* is complete the [`KafkaCommitter`] commits that transaction;
//!   4. a writer starting (fresh or restored) initialises every id of its pool, which
//!      aborts whatever an earlier run left open under them, so `read_committed` readers are
//!      not blocked by lingering transactions.
//!
//!   Recovery after a crash between pre-commit and commit: librdkafka cannot resume another
//!   producer's transaction (Flink does it through reflection), so the writer keeps what it
//!   wrote in each transaction and puts it in the committable (write-ahead: the checkpoint
//!   holds one checkpoint interval of the sink's output). The committer of the restarted
//!   job ([`KafkaCommitter`]), before any writer starts, initialises every transactional id
//!   the crashed run used — which seals each of its transactions as committed or aborted —
//!   and looks, with a `read_committed` consumer, at the offset where the transaction's first
//!   record went: visible means it was committed before the crash; otherwise it writes the
//!   records again in a transaction of its own and commits it. The first record of such a
//!   replay carries the header `weir.replay` = `<transactional.id>/<checkpoint>`, so a crash
//!   during the replay's commit is recognised and the replay is not repeated.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use serde::{Deserialize, Serialize};
use weir_core::{CheckpointId, StreamRecord};
use weir_runtime::{BoxError, Committer, Sink, SinkWriter, SubtaskInfo};

use super::error::KafkaConnectorError;
use super::properties::{KafkaProperties, REQUEST_TIMEOUT};

/// How long a flush or a transaction commit may take.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(60);
/// Transactional ids per subtask.
const POOL: u64 = 4;

/// `sink.delivery-guarantee`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryGuarantee {
    /// Fire and forget.
    None,
    /// Flush and wait for acknowledgement at every checkpoint.
    AtLeastOnce,
    /// Transactions committed when checkpoints complete.
    ExactlyOnce,
}

impl DeliveryGuarantee {
    /// Reads Flink's names: `none`, `at-least-once`, `exactly-once`.
    ///
    /// # Errors
    /// [`KafkaConnectorError::Config`] naming the accepted values.
    pub fn parse(text: &str) -> Result<Self, KafkaConnectorError> {
        match text {
            "none" => Ok(DeliveryGuarantee::None),
            "at-least-once" => Ok(DeliveryGuarantee::AtLeastOnce),
            "exactly-once" => Ok(DeliveryGuarantee::ExactlyOnce),
            other => Err(KafkaConnectorError::Config(format!(
                "delivery guarantee must be 'none', 'at-least-once' or 'exactly-once', got '{other}'"
            ))),
        }
    }
}

/// `sink.partitioner`: which partition a record without one of its own goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkPartitioner {
    /// Kafka's: by the key's hash, records without a key spread by the producer.
    Default,
    /// Each writer to one partition: subtask mod partitions (Flink's `fixed`).
    Fixed,
    /// Each writer cycles over the partitions.
    RoundRobin,
}

impl SinkPartitioner {
    /// Reads Flink's names: `default`, `fixed`, `round-robin`.
    ///
    /// # Errors
    /// [`KafkaConnectorError::Config`] naming the accepted values.
    pub fn parse(text: &str) -> Result<Self, KafkaConnectorError> {
        match text {
            "default" => Ok(SinkPartitioner::Default),
            "fixed" => Ok(SinkPartitioner::Fixed),
            "round-robin" => Ok(SinkPartitioner::RoundRobin),
            other => Err(KafkaConnectorError::Config(format!(
                "sink partitioner must be 'default', 'fixed' or 'round-robin' (custom classes are Java), got '{other}'"
            ))),
        }
    }
}

/// One message to produce.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KafkaProducerRecord {
    /// The topic; `None`: the sink's topic.
    pub topic: Option<String>,
    /// The partition; `None`: the sink's partitioner decides.
    pub partition: Option<i32>,
    /// The key.
    pub key: Option<Vec<u8>>,
    /// The value (`None`: a tombstone).
    pub value: Option<Vec<u8>>,
    /// The timestamp, epoch milliseconds (`None`: the producer's clock).
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// Turns records into messages.
///
/// # Contract
/// `serialize` appends zero or more messages for one record.
///
/// # Concurrency
/// Shared by every writer of a sink.
///
/// # Example
/// ```
/// use weir_connectors::kafka::{KafkaProducerRecord, KafkaRecordSerializer};
/// use weir_core::StreamRecord;
/// let s = |r: StreamRecord<u32>, out: &mut Vec<KafkaProducerRecord>| -> Result<(), weir_runtime::BoxError> {
///     out.push(KafkaProducerRecord { value: Some(r.value.to_string().into_bytes()), ..Default::default() });
///     Ok(())
/// };
/// let mut out = Vec::new();
/// s.serialize(StreamRecord::new(7), &mut out).unwrap();
/// assert_eq!(out[0].value.as_deref(), Some(&b"7"[..]));
/// ```
pub trait KafkaRecordSerializer<T>: Send + Sync + 'static {
    /// The messages of `record`.
    ///
    /// # Errors
    /// A record that cannot be written; the job fails.
    fn serialize(&self, record: StreamRecord<T>, out: &mut Vec<KafkaProducerRecord>) -> Result<(), BoxError>;
}

impl<T, F> KafkaRecordSerializer<T> for F
where
    F: Fn(StreamRecord<T>, &mut Vec<KafkaProducerRecord>) -> Result<(), BoxError> + Send + Sync + 'static,
{
    fn serialize(&self, record: StreamRecord<T>, out: &mut Vec<KafkaProducerRecord>) -> Result<(), BoxError> {
        self(record, out)
    }
}

/// Strings as UTF-8 values without key, stamped with the record's timestamp.
#[derive(Debug, Clone, Copy, Default)]
pub struct StringValueSerializer;

impl KafkaRecordSerializer<String> for StringValueSerializer {
    fn serialize(&self, record: StreamRecord<String>, out: &mut Vec<KafkaProducerRecord>) -> Result<(), BoxError> {
        out.push(KafkaProducerRecord {
            value: Some(record.value.into_bytes()),
            timestamp: (record.timestamp != weir_core::record::NO_TIMESTAMP).then_some(record.timestamp),
            ..Default::default()
        });
        Ok(())
    }
}

/// Remembers the first failed delivery of a producer and, for a transactional writer,
/// where each record went.
#[derive(Debug, Default)]
pub struct DeliveryTracker {
    error: Mutex<Option<String>>,
    /// `(index of the record in its transaction, partition, offset)` of each delivery.
    placed: Mutex<Vec<(usize, i32, i64)>>,
}

impl ClientContext for DeliveryTracker {}

impl ProducerContext for DeliveryTracker {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, index: usize) {
        match result {
            Ok(m) => {
                if let Ok(mut placed) = self.placed.lock() {
                    placed.push((index, m.partition(), m.offset()));
                }
            }
            Err((e, m)) => {
                if let Ok(mut first) = self.error.lock() {
                    first.get_or_insert_with(|| format!("delivery to {}-{} failed: {e}", m.topic(), m.partition()));
                }
            }
        }
    }
}

/// The header marking the first record of a replayed transaction.
const REPLAY_HEADER: &str = "weir.replay";

type TrackedProducer = ThreadedProducer<DeliveryTracker>;

/// A pre-committed transaction waiting for its checkpoint.
struct Prepared {
    checkpoint: CheckpointId,
    producer: TrackedProducer,
}

/// What a committable holds: the transaction, and enough to recover it after a crash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Committable {
    transactional_id: String,
    checkpoint: u64,
    /// The `transactional.id` prefix and the writing job's parallelism: every id its
    /// writers may have left a transaction open under is `<prefix>-<subtask>-<0..POOL>`.
    prefix: String,
    parallelism: usize,
    /// The transaction's records in the order written, each with the partition it went to.
    records: Vec<KafkaProducerRecord>,
    /// The offset of the first record.
    first_offset: i64,
}

impl Committable {
    fn encode(&self) -> Vec<u8> {
        bincode::serialize(self).expect("a committable always serializes")
    }

    fn decode(bytes: &[u8]) -> Result<Committable, BoxError> {
        bincode::deserialize(bytes)
            .map_err(|e| format!("kafka: a committable of the checkpoint does not read: {e}").into())
    }

    fn replay_mark(&self) -> String {
        format!("{}/{}", self.transactional_id, self.checkpoint)
    }
}

/// The transactions pre-committed in this process, by `transactional.id`.
type Registry = Arc<Mutex<HashMap<String, Prepared>>>;

/// Writes records to Kafka.
///
/// ```no_run
/// use weir_connectors::kafka::{DeliveryGuarantee, KafkaSink, StringValueSerializer};
/// let sink = KafkaSink::new("127.0.0.1:9092", "out", StringValueSerializer)
///     .with_delivery_guarantee(DeliveryGuarantee::AtLeastOnce);
/// ```
pub struct KafkaSink<T> {
    properties: KafkaProperties,
    topic: String,
    guarantee: DeliveryGuarantee,
    prefix: String,
    partitioner: SinkPartitioner,
    serializer: Arc<dyn KafkaRecordSerializer<T>>,
    registry: Registry,
}

impl<T> std::fmt::Debug for KafkaSink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSink")
            .field("topic", &self.topic)
            .field("guarantee", &self.guarantee)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl<T: Send + 'static> KafkaSink<T> {
    /// A sink writing to `topic` on `bootstrap_servers`, at least once.
    pub fn new(bootstrap_servers: &str, topic: &str, serializer: impl KafkaRecordSerializer<T>) -> Self {
        KafkaSink {
            properties: KafkaProperties::new(bootstrap_servers),
            topic: topic.to_string(),
            guarantee: DeliveryGuarantee::AtLeastOnce,
            prefix: format!("weir-{topic}"),
            partitioner: SinkPartitioner::Default,
            serializer: Arc::new(serializer),
            registry: Arc::default(),
        }
    }

    /// Producer properties (`bootstrap.servers` among them), replacing those so far.
    pub fn with_properties(mut self, properties: KafkaProperties) -> Self {
        self.properties = properties;
        self
    }

    /// The delivery guarantee.
    pub fn with_delivery_guarantee(mut self, guarantee: DeliveryGuarantee) -> Self {
        self.guarantee = guarantee;
        self
    }

    /// The `transactional.id` prefix (exactly-once): distinct per job writing to a cluster.
    pub fn with_transactional_id_prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }

    /// The partitioner for records without a partition.
    pub fn with_partitioner(mut self, partitioner: SinkPartitioner) -> Self {
        self.partitioner = partitioner;
        self
    }

    fn producer(&self, transactional_id: Option<&str>) -> Result<TrackedProducer, KafkaConnectorError> {
        let mut overrides = vec![("enable.idempotence", "true")];
        if let Some(id) = transactional_id {
            overrides.push(("transactional.id", id));
        }
        self.properties
            .client_config(&overrides)
            .create_with_context(DeliveryTracker::default())
            .map_err(KafkaConnectorError::client(format!("create the producer for topic '{}'", self.topic)))
    }
}

impl<T: Send + 'static> Sink<T> for KafkaSink<T> {
    type Writer = KafkaWriter<T>;

    fn create_writer(&self, subtask: &SubtaskInfo) -> Result<Self::Writer, BoxError> {
        let base = format!("{}-{}", self.prefix, subtask.index);
        let producer = match self.guarantee {
            DeliveryGuarantee::ExactlyOnce => {
                // Aborts what an earlier run left open under any id of the pool.
                for n in 1..POOL {
                    let id = format!("{base}-{n}");
                    let p = self.producer(Some(&id))?;
                    p.init_transactions(REQUEST_TIMEOUT)
                        .map_err(KafkaConnectorError::client(format!("initialise transactions of '{id}'")))?;
                }
                let id = format!("{base}-0");
                let p = self.producer(Some(&id))?;
                p.init_transactions(REQUEST_TIMEOUT)
                    .map_err(KafkaConnectorError::client(format!("initialise transactions of '{id}'")))?;
                p.begin_transaction().map_err(KafkaConnectorError::client(format!("begin a transaction of '{id}'")))?;
                p
            }
            _ => self.producer(None)?,
        };
        let partitions = match self.partitioner {
            SinkPartitioner::Default => 0,
            _ => {
                let metadata = producer
                    .client()
                    .fetch_metadata(Some(&self.topic), REQUEST_TIMEOUT)
                    .map_err(KafkaConnectorError::client(format!("fetch the metadata of topic '{}'", self.topic)))?;
                metadata.topics().first().map_or(0, |t| t.partitions().len() as i32)
            }
        };
        if self.partitioner != SinkPartitioner::Default && partitions == 0 {
            return Err(KafkaConnectorError::Config(format!(
                "topic '{}' does not exist (create it first)",
                self.topic
            ))
            .into());
        }
        Ok(KafkaWriter {
            producer,
            topic: self.topic.clone(),
            guarantee: self.guarantee,
            partitioner: self.partitioner,
            partitions,
            subtask: subtask.index,
            next_partition: subtask.index as i32,
            serializer: self.serializer.clone(),
            scratch: Vec::new(),
            transactional_base: base,
            prefix: self.prefix.clone(),
            parallelism: subtask.parallelism,
            sequence: 0,
            written: Vec::new(),
            registry: self.registry.clone(),
            sink: SinkHandle { properties: self.properties.clone(), topic: self.topic.clone() },
        })
    }

    fn create_committer(&self) -> Result<Option<Box<dyn Committer>>, BoxError> {
        Ok((self.guarantee == DeliveryGuarantee::ExactlyOnce)
            .then(|| Box::new(KafkaCommitter::new(self.registry.clone(), self.properties.clone())) as _))
    }
}

/// What a writer needs to make its next producer.
#[derive(Debug, Clone)]
struct SinkHandle {
    properties: KafkaProperties,
    topic: String,
}

/// The writer of one subtask.
pub struct KafkaWriter<T> {
    producer: TrackedProducer,
    topic: String,
    guarantee: DeliveryGuarantee,
    partitioner: SinkPartitioner,
    partitions: i32,
    subtask: usize,
    next_partition: i32,
    serializer: Arc<dyn KafkaRecordSerializer<T>>,
    scratch: Vec<KafkaProducerRecord>,
    transactional_base: String,
    prefix: String,
    parallelism: usize,
    sequence: u64,
    /// The records of the open transaction (exactly-once), kept for its committable.
    written: Vec<KafkaProducerRecord>,
    registry: Registry,
    sink: SinkHandle,
}

impl<T> KafkaWriter<T> {
    fn check_deliveries(&self) -> Result<(), KafkaConnectorError> {
        let error = self.producer.context().error.lock().ok().and_then(|e| e.clone());
        match error {
            Some(e) => Err(KafkaConnectorError::Config(format!("topic '{}': {e}", self.topic))),
            None => Ok(()),
        }
    }

    fn flush_producer(&self) -> Result<(), KafkaConnectorError> {
        self.producer
            .flush(FLUSH_TIMEOUT)
            .map_err(KafkaConnectorError::client(format!("flush the records for topic '{}'", self.topic)))?;
        self.check_deliveries()
    }

    /// Flushes, hands the open transaction to the committer and opens the next one.
    fn pre_commit(&mut self, checkpoint: CheckpointId) -> Result<Vec<Vec<u8>>, KafkaConnectorError> {
        self.flush_producer()?;
        let id = format!("{}-{}", self.transactional_base, self.sequence % POOL);
        self.sequence += 1;
        let next_id = format!("{}-{}", self.transactional_base, self.sequence % POOL);
        // The next id of the pool may still hold a transaction the committer has not
        // committed yet (a slow checkpoint); reusing it now would abort that one.
        let deadline = Instant::now() + FLUSH_TIMEOUT;
        while self.registry.lock().map_err(|_| poisoned())?.contains_key(&next_id) {
            if Instant::now() > deadline {
                return Err(KafkaConnectorError::Config(format!(
                    "transaction '{next_id}' was still not committed after {FLUSH_TIMEOUT:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut overrides = vec![("enable.idempotence", "true")];
        overrides.push(("transactional.id", next_id.as_str()));
        let next: TrackedProducer = self
            .sink
            .properties
            .client_config(&overrides)
            .create_with_context(DeliveryTracker::default())
            .map_err(KafkaConnectorError::client(format!("create the producer for topic '{}'", self.sink.topic)))?;
        next.init_transactions(REQUEST_TIMEOUT)
            .map_err(KafkaConnectorError::client(format!("initialise transactions of '{next_id}'")))?;
        next.begin_transaction().map_err(KafkaConnectorError::client(format!("begin a transaction of '{next_id}'")))?;
        let prepared = std::mem::replace(&mut self.producer, next);
        let mut records = std::mem::take(&mut self.written);
        let mut first_offset = -1;
        for (index, partition, offset) in prepared.context().placed.lock().map_err(|_| poisoned())?.drain(..) {
            if let Some(r) = records.get_mut(index) {
                r.topic.get_or_insert_with(|| self.topic.clone());
                r.partition = Some(partition);
                if index == 0 {
                    first_offset = offset;
                }
            }
        }
        if records.iter().any(|r| r.partition.is_none()) {
            return Err(KafkaConnectorError::Config(format!(
                "transaction '{id}': a flushed record has no delivery report (topic '{}')",
                self.topic
            )));
        }
        self.registry.lock().map_err(|_| poisoned())?.insert(id.clone(), Prepared { checkpoint, producer: prepared });
        let committable = Committable {
            transactional_id: id,
            checkpoint: checkpoint.0,
            prefix: self.prefix.clone(),
            parallelism: self.parallelism,
            records,
            first_offset,
        };
        Ok(vec![committable.encode()])
    }

    fn send(&mut self, record: KafkaProducerRecord) -> Result<(), KafkaConnectorError> {
        let index = self.written.len();
        let topic = record.topic.as_deref().unwrap_or(&self.topic);
        let partition = record.partition.or(match self.partitioner {
            SinkPartitioner::Default => None,
            SinkPartitioner::Fixed => Some(self.subtask as i32 % self.partitions),
            SinkPartitioner::RoundRobin => {
                self.next_partition = (self.next_partition + 1) % self.partitions;
                Some(self.next_partition)
            }
        });
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for (key, value) in &record.headers {
            headers = headers.insert(Header { key, value: value.as_deref() });
        }
        let mut base: BaseRecord<'_, Vec<u8>, Vec<u8>, usize> = BaseRecord::with_opaque_to(topic, index);
        if let Some(k) = &record.key {
            base = base.key(k);
        }
        if let Some(v) = &record.value {
            base = base.payload(v);
        }
        if let Some(p) = partition {
            base = base.partition(p);
        }
        if let Some(ts) = record.timestamp {
            base = base.timestamp(ts);
        }
        if !record.headers.is_empty() {
            base = base.headers(headers);
        }
        loop {
            match self.producer.send(base) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    base = back;
                    self.check_deliveries()?;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((e, _)) => {
                    return Err(KafkaConnectorError::Client {
                        what: format!("send a record to topic '{topic}'"),
                        source: e,
                    })
                }
            }
        }
        if self.guarantee == DeliveryGuarantee::ExactlyOnce {
            self.written.push(record);
        }
        Ok(())
    }
}

fn poisoned() -> KafkaConnectorError {
    KafkaConnectorError::Config("the transaction registry was poisoned by a panic".into())
}

impl<T: Send + 'static> SinkWriter<T> for KafkaWriter<T> {
    fn write(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        for record in batch.drain(..) {
            self.serializer.serialize(record, &mut scratch)?;
            for message in scratch.drain(..) {
                self.send(message)?;
            }
        }
        self.scratch = scratch;
        self.check_deliveries()?;
        Ok(())
    }

    fn flush(&mut self, _end_of_input: bool) -> Result<(), BoxError> {
        // An exactly-once writer's records become visible by its committer only.
        self.flush_producer()?;
        Ok(())
    }

    fn prepare_commit(&mut self, checkpoint: CheckpointId) -> Result<Vec<Vec<u8>>, BoxError> {
        match self.guarantee {
            DeliveryGuarantee::None => Ok(Vec::new()),
            DeliveryGuarantee::AtLeastOnce => {
                self.flush_producer()?;
                Ok(Vec::new())
            }
            DeliveryGuarantee::ExactlyOnce => Ok(self.pre_commit(checkpoint)?),
        }
    }
}

/// Commits the transactions of complete checkpoints, and recovers those a crashed run
/// pre-committed (see the module's docs).
pub struct KafkaCommitter {
    registry: Registry,
    properties: KafkaProperties,
    committed: Mutex<BTreeSet<(String, u64)>>,
    /// The transactional ids initialised by this committer (once each).
    sealed: Mutex<BTreeSet<String>>,
}

impl KafkaCommitter {
    fn new(registry: Registry, properties: KafkaProperties) -> Self {
        KafkaCommitter { registry, properties, committed: Mutex::default(), sealed: Mutex::default() }
    }

    fn producer(&self, transactional_id: &str) -> Result<TrackedProducer, KafkaConnectorError> {
        self.properties
            .client_config(&[("enable.idempotence", "true"), ("transactional.id", transactional_id)])
            .create_with_context(DeliveryTracker::default())
            .map_err(KafkaConnectorError::client(format!("create the producer of '{transactional_id}'")))
    }

    /// Initialises every id the writers of `c`'s run used: each transaction they left open
    /// is aborted, each they committed stays, and `read_committed` reads are not held up.
    fn seal(&self, c: &Committable) -> Result<(), KafkaConnectorError> {
        for subtask in 0..c.parallelism.max(1) {
            for n in 0..POOL {
                let id = format!("{}-{subtask}-{n}", c.prefix);
                if self.sealed.lock().map_err(|_| poisoned())?.contains(&id) {
                    continue;
                }
                self.producer(&id)?
                    .init_transactions(REQUEST_TIMEOUT)
                    .map_err(KafkaConnectorError::client(format!("initialise transactions of '{id}'")))?;
                self.sealed.lock().map_err(|_| poisoned())?.insert(id);
            }
        }
        Ok(())
    }

    /// Reads the committed records of `topic`'s `partition` from `offset` to its end, until
    /// `stop` says enough; whether it did.
    fn scan(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        mut stop: impl FnMut(&rdkafka::message::BorrowedMessage<'_>) -> bool,
    ) -> Result<bool, KafkaConnectorError> {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let consumer: BaseConsumer = self
            .properties
            .client_config(&[
                ("group.id", &format!("weir-recovery-{}", std::process::id())),
                ("enable.auto.commit", "false"),
                ("enable.partition.eof", "true"),
                ("isolation.level", "read_committed"),
                ("auto.offset.reset", "error"),
            ])
            .create()
            .map_err(KafkaConnectorError::client("create the recovery consumer"))?;
        let mut tpl = rdkafka::TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, rdkafka::Offset::Offset(offset))
            .map_err(KafkaConnectorError::client("build a partition list"))?;
        consumer.assign(&tpl).map_err(KafkaConnectorError::client(format!("read {topic}-{partition}")))?;
        let deadline = Instant::now() + FLUSH_TIMEOUT;
        while Instant::now() < deadline {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) if stop(&m) => return Ok(true),
                None | Some(Ok(_)) => {}
                Some(Err(KafkaError::PartitionEOF(_))) => return Ok(false),
                Some(Err(e)) => {
                    return Err(KafkaConnectorError::Client {
                        what: format!("read {topic}-{partition} from offset {offset} to recover a transaction"),
                        source: e,
                    })
                }
            }
        }
        Err(KafkaConnectorError::Config(format!(
            "reading {topic}-{partition} from offset {offset} did not reach its end within {FLUSH_TIMEOUT:?}"
        )))
    }

    /// Makes the records of a transaction pre-committed by a crashed run visible exactly
    /// once.
    fn recover_transaction(&self, c: &Committable) -> Result<(), KafkaConnectorError> {
        self.seal(c)?;
        let Some(first) = c.records.first() else { return Ok(()) };
        let topic = first.topic.as_deref().unwrap_or_default();
        let partition = first.partition.unwrap_or_default();
        let what = format!("transaction '{}' of checkpoint {}", c.transactional_id, c.checkpoint);
        // One read from the transaction's first offset: its first record visible there means
        // it was committed before the crash (an aborted record is skipped, so the first
        // visible one is then a later one, or none); a later record carrying the replay mark
        // means an earlier recovery wrote it again.
        let mark = c.replay_mark();
        let (mut first_visible, mut replayed) = (None, false);
        self.scan(topic, partition, c.first_offset, |m| {
            use rdkafka::message::Headers;
            if first_visible.is_none() {
                first_visible = Some(m.offset());
                if m.offset() == c.first_offset {
                    return true;
                }
            }
            replayed = m
                .headers()
                .is_some_and(|h| h.iter().any(|h| h.key == REPLAY_HEADER && h.value == Some(mark.as_bytes())));
            replayed
        })?;
        if first_visible == Some(c.first_offset) {
            eprintln!("kafka: {what} was committed before the crash");
            return Ok(());
        }
        if replayed {
            eprintln!("kafka: {what} was replayed by an earlier recovery");
            return Ok(());
        }
        eprintln!("kafka: {what} was aborted by the crash; writing its {} records again", c.records.len());
        let producer = self.producer(&c.transactional_id)?;
        producer
            .init_transactions(REQUEST_TIMEOUT)
            .map_err(KafkaConnectorError::client(format!("initialise transactions of '{}'", c.transactional_id)))?;
        producer.begin_transaction().map_err(KafkaConnectorError::client(format!("begin the replay of {what}")))?;
        for (i, r) in c.records.iter().enumerate() {
            let mut headers = OwnedHeaders::new_with_capacity(r.headers.len() + 1);
            for (key, value) in &r.headers {
                headers = headers.insert(Header { key, value: value.as_deref() });
            }
            if i == 0 {
                headers = headers.insert(Header { key: REPLAY_HEADER, value: Some(mark.as_bytes()) });
            }
            let topic = r.topic.as_deref().unwrap_or_default();
            let mut base: BaseRecord<'_, Vec<u8>, Vec<u8>, usize> =
                BaseRecord::with_opaque_to(topic, i).headers(headers);
            if let Some(k) = &r.key {
                base = base.key(k);
            }
            if let Some(v) = &r.value {
                base = base.payload(v);
            }
            if let Some(p) = r.partition {
                base = base.partition(p);
            }
            if let Some(ts) = r.timestamp {
                base = base.timestamp(ts);
            }
            loop {
                match producer.send(base) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        base = back;
                        producer.poll(Duration::from_millis(1));
                    }
                    Err((e, _)) => {
                        return Err(KafkaConnectorError::Client { what: format!("replay {what}"), source: e })
                    }
                }
            }
        }
        producer.flush(FLUSH_TIMEOUT).map_err(KafkaConnectorError::client(format!("flush the replay of {what}")))?;
        if let Some(e) = producer.context().error.lock().ok().and_then(|e| e.clone()) {
            return Err(KafkaConnectorError::Config(format!("replay of {what}: {e}")));
        }
        producer
            .commit_transaction(FLUSH_TIMEOUT)
            .map_err(KafkaConnectorError::client(format!("commit the replay of {what}")))
    }
}

impl Committer for KafkaCommitter {
    fn commit(&self, committables: &[Vec<u8>]) -> Result<(), BoxError> {
        for bytes in committables {
            let c = Committable::decode(bytes)?;
            let key = (c.transactional_id.clone(), c.checkpoint);
            if self.committed.lock().map_err(|_| poisoned())?.contains(&key) {
                continue;
            }
            let prepared = self.registry.lock().map_err(|_| poisoned())?.remove(&c.transactional_id);
            match prepared {
                Some(p) if p.checkpoint.0 == c.checkpoint => {
                    p.producer.commit_transaction(FLUSH_TIMEOUT).map_err(KafkaConnectorError::client(format!(
                        "commit transaction '{}' of checkpoint {}",
                        c.transactional_id, c.checkpoint
                    )))?;
                }
                Some(p) => {
                    // A newer transaction under the same id: not ours to touch, and this
                    // one was committed when its own checkpoint completed.
                    self.registry.lock().map_err(|_| poisoned())?.insert(c.transactional_id.clone(), p);
                }
                // Pre-committed by another run (this one is being restored).
                None => self.recover_transaction(&c)?,
            }
            self.committed.lock().map_err(|_| poisoned())?.insert(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_flinks_names_and_name_the_accepted_ones() {
        assert_eq!(DeliveryGuarantee::parse("exactly-once").unwrap(), DeliveryGuarantee::ExactlyOnce);
        assert_eq!(DeliveryGuarantee::parse("none").unwrap(), DeliveryGuarantee::None);
        assert!(DeliveryGuarantee::parse("twice").unwrap_err().to_string().contains("'at-least-once'"));
        assert_eq!(SinkPartitioner::parse("round-robin").unwrap(), SinkPartitioner::RoundRobin);
        assert!(SinkPartitioner::parse("com.x.P").unwrap_err().to_string().contains("'fixed'"));
    }

    #[test]
    fn a_committable_that_does_not_read_fails_saying_so() {
        let committer = KafkaCommitter::new(Arc::default(), KafkaProperties::new("127.0.0.1:1"));
        assert!(committer.commit(&[b"{oops".to_vec()]).unwrap_err().to_string().contains("does not read"));
    }
}
