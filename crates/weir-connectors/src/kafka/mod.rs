//! Kafka: a source in Flink's split model and a sink with Flink's delivery guarantees, over
//! `rdkafka` (librdkafka built from source).
//!
//! ```text
//!   KafkaSource ── KafkaSplitEnumerator (lists topic-partitions, resolves start/stop offsets,
//!        │                                discovers new partitions at an interval)
//!        └────── KafkaSourceReader × p   (one consumer each, assigned its partitions;
//!                                          a partition = a split = its own watermark)
//!   KafkaSink ─── KafkaWriter × p         (none | at-least-once: flush at barriers |
//!        │                                 exactly-once: one transaction per checkpoint)
//!        └────── KafkaCommitter           (commits the pre-committed transactions)
//! ```
//!
//! | module | what lives there |
//! |---|---|
//! | [`properties`] | [`KafkaProperties`]: the client configuration (`bootstrap.servers`, …) |
//! | [`split`] | [`KafkaPartitionSplit`]: a topic-partition with its next and stop offsets |
//! | [`offsets`] | [`StartingOffsets`], [`StoppingOffsets`] and how they become numbers |
//! | [`enumerator`] | [`KafkaSplitEnumerator`] |
//! | [`reader`] | [`KafkaSourceReader`] |
//! | [`record`] | [`KafkaMessage`] (what a reader sees) and [`KafkaRecordDeserializer`] |
//! | [`source`] | [`KafkaSource`] and its builder |
//! | [`sink`] | [`KafkaSink`], [`DeliveryGuarantee`], [`KafkaRecordSerializer`] |
//! | [`probe`] | [`probe_transactions`]: can this broker commit a transaction? |
//! | [`error`] | [`KafkaConnectorError`] |

pub mod enumerator;
pub mod error;
pub mod offsets;
pub mod probe;
pub mod properties;
pub mod reader;
pub mod record;
pub mod sink;
pub mod source;
pub mod split;

pub use enumerator::KafkaSplitEnumerator;
pub use error::KafkaConnectorError;
pub use offsets::{OffsetReset, StartingOffsets, StoppingOffsets};
pub use probe::{probe_transactions, TransactionSupport};
pub use properties::KafkaProperties;
pub use reader::KafkaSourceReader;
pub use record::{KafkaMessage, KafkaRecordDeserializer, OwnedKafkaMessage, StringValueDeserializer};
pub use sink::{
    DeliveryGuarantee, KafkaCommitter, KafkaProducerRecord, KafkaRecordSerializer, KafkaSink, KafkaWriter,
    SinkPartitioner, StringValueSerializer,
};
pub use source::{KafkaSource, KafkaSourceBuilder, SplitListener, TopicSelection};
pub use split::KafkaPartitionSplit;
