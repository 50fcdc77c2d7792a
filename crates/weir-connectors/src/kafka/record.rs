//! What a Kafka reader sees of a message ([`KafkaMessage`]), and how it becomes a record
//! ([`KafkaRecordDeserializer`]).

use rdkafka::message::{BorrowedHeaders, Headers};
use weir_runtime::BoxError;

use super::error::KafkaConnectorError;

/// A message as read: its place (topic, partition, offset), timestamp, key, value and
/// headers, borrowed from the consumer.
#[derive(Clone, Copy)]
pub struct KafkaMessage<'a> {
    /// The topic.
    pub topic: &'a str,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The message's timestamp (create or log-append time), epoch milliseconds.
    pub timestamp: Option<i64>,
    /// The key, if any.
    pub key: Option<&'a [u8]>,
    /// The value; `None` for a tombstone.
    pub value: Option<&'a [u8]>,
    pub(crate) headers: Option<&'a BorrowedHeaders>,
}

impl std::fmt::Debug for KafkaMessage<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaMessage")
            .field("topic", &self.topic)
            .field("partition", &self.partition)
            .field("offset", &self.offset)
            .field("timestamp", &self.timestamp)
            .field("key", &self.key)
            .field("value", &self.value)
            .field("headers", &self.headers())
            .finish()
    }
}

impl<'a> KafkaMessage<'a> {
    /// A message that did not come from a broker (for deserializer tests and examples).
    pub fn new(topic: &'a str, partition: i32, offset: i64, key: Option<&'a [u8]>, value: Option<&'a [u8]>) -> Self {
        KafkaMessage { topic, partition, offset, timestamp: None, key, value, headers: None }
    }

    /// The headers, in order (a header may have no value).
    pub fn headers(&self) -> Vec<(String, Option<Vec<u8>>)> {
        self.headers
            .map(|h| h.iter().map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec))).collect())
            .unwrap_or_default()
    }

    /// An error about this message that names its topic, partition and offset.
    pub fn error(&self, message: impl Into<String>) -> KafkaConnectorError {
        KafkaConnectorError::Record {
            topic: self.topic.to_string(),
            partition: self.partition,
            offset: self.offset,
            message: message.into(),
        }
    }

    /// An owned copy.
    pub fn to_owned(&self) -> OwnedKafkaMessage {
        OwnedKafkaMessage {
            topic: self.topic.to_string(),
            partition: self.partition,
            offset: self.offset,
            timestamp: self.timestamp,
            key: self.key.map(<[u8]>::to_vec),
            value: self.value.map(<[u8]>::to_vec),
            headers: self.headers(),
        }
    }
}

/// A message with everything copied out of the consumer: what [`OwnedKafkaMessage::deserializer`]
/// makes of every message (the SQL connector decodes these with its formats).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedKafkaMessage {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The timestamp, epoch milliseconds.
    pub timestamp: Option<i64>,
    /// The key.
    pub key: Option<Vec<u8>>,
    /// The value (`None`: a tombstone).
    pub value: Option<Vec<u8>>,
    /// The headers.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl OwnedKafkaMessage {
    /// A deserializer copying each message whole.
    pub fn deserializer() -> impl KafkaRecordDeserializer<OwnedKafkaMessage> {
        |m: &KafkaMessage<'_>| -> Result<Option<OwnedKafkaMessage>, BoxError> { Ok(Some(m.to_owned())) }
    }
}

/// Turns messages into records.
///
/// # Contract
/// `deserialize` returns the record of a message, or `None` to drop it (a tombstone, a
/// message the job does not want). An error fails the job; it should name the message's
/// place ([`KafkaMessage::error`]).
///
/// # Concurrency
/// Shared by every reader of a source.
///
/// # Example
/// ```
/// use weir_connectors::kafka::{KafkaMessage, KafkaRecordDeserializer};
/// let lengths = |m: &KafkaMessage<'_>| -> Result<Option<usize>, weir_runtime::BoxError> {
///     Ok(m.value.map(|v| v.len()))
/// };
/// assert_eq!(lengths.deserialize(&KafkaMessage::new("t", 0, 0, None, Some(b"abc"))).unwrap(), Some(3));
/// ```
pub trait KafkaRecordDeserializer<T>: Send + Sync + 'static {
    /// The record of `message`, if any.
    ///
    /// # Errors
    /// A message that cannot be read.
    fn deserialize(&self, message: &KafkaMessage<'_>) -> Result<Option<T>, BoxError>;
}

impl<T, F> KafkaRecordDeserializer<T> for F
where
    F: Fn(&KafkaMessage<'_>) -> Result<Option<T>, BoxError> + Send + Sync + 'static,
{
    fn deserialize(&self, message: &KafkaMessage<'_>) -> Result<Option<T>, BoxError> {
        self(message)
    }
}

/// Values as UTF-8 strings (Flink's `SimpleStringSchema`); tombstones are dropped.
#[derive(Debug, Clone, Copy, Default)]
pub struct StringValueDeserializer;

impl KafkaRecordDeserializer<String> for StringValueDeserializer {
    fn deserialize(&self, message: &KafkaMessage<'_>) -> Result<Option<String>, BoxError> {
        match message.value {
            None => Ok(None),
            Some(v) => match std::str::from_utf8(v) {
                Ok(s) => Ok(Some(s.to_string())),
                Err(e) => Err(message.error(format!("the value is not UTF-8 ({e})")).into()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_values_and_where_a_bad_one_is() {
        let d = StringValueDeserializer;
        assert_eq!(d.deserialize(&KafkaMessage::new("t", 1, 9, None, Some(b"hi"))).unwrap(), Some("hi".into()));
        assert_eq!(d.deserialize(&KafkaMessage::new("t", 1, 10, None, None)).unwrap(), None);
        let e = d.deserialize(&KafkaMessage::new("t", 1, 11, None, Some(&[0xff, 0xfe]))).unwrap_err().to_string();
        assert!(e.contains("topic t, partition 1, offset 11"), "{e}");
        let owned = OwnedKafkaMessage::deserializer()
            .deserialize(&KafkaMessage::new("t", 1, 12, Some(b"k"), Some(b"v")))
            .unwrap()
            .unwrap();
        assert_eq!((owned.key.as_deref(), owned.offset), (Some(&b"k"[..]), 12));
    }
}
