//! [`KafkaConnectorError`]: what went wrong talking to Kafka, and where.

use weir_core::ErrorKind;

/// A Kafka connector failure.
#[derive(Debug, thiserror::Error)]
pub enum KafkaConnectorError {
    /// The source or sink was configured with an impossible value.
    #[error("kafka: invalid configuration: {0}")]
    Config(String),
    /// The broker or the client failed (`what` says during what).
    #[error("kafka: {what}: {source}")]
    Client {
        /// What was being done ("fetch metadata of topic t", "commit transaction x", …).
        what: String,
        /// librdkafka's error.
        #[source]
        source: rdkafka::error::KafkaError,
    },
    /// A record could not be read; names where it is.
    #[error("kafka: topic {topic}, partition {partition}, offset {offset}: {message}")]
    Record {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The record's offset.
        offset: i64,
        /// What is wrong with it.
        message: String,
    },
}

impl KafkaConnectorError {
    /// Whose fault it is: the configuration's or the record's ([`ErrorKind::User`]) or the
    /// broker's ([`ErrorKind::External`], a retry may help).
    pub fn kind(&self) -> ErrorKind {
        match self {
            KafkaConnectorError::Config(_) | KafkaConnectorError::Record { .. } => ErrorKind::User,
            KafkaConnectorError::Client { .. } => ErrorKind::External,
        }
    }

    /// A client failure while doing `what`.
    pub(crate) fn client(what: impl Into<String>) -> impl FnOnce(rdkafka::error::KafkaError) -> Self {
        let what = what.into();
        move |source| KafkaConnectorError::Client { what, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_errors_name_topic_partition_and_offset() {
        let e = KafkaConnectorError::Record { topic: "t".into(), partition: 2, offset: 17, message: "bad".into() };
        assert_eq!(e.to_string(), "kafka: topic t, partition 2, offset 17: bad");
        assert_eq!(e.kind(), ErrorKind::User);
    }
}
