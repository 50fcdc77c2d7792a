//! [`probe_transactions`]: finds out whether a broker can commit a transaction, so that
//! exactly-once tests run fully where it can and say loudly where it cannot.

use std::time::{SystemTime, UNIX_EPOCH};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use super::error::KafkaConnectorError;
use super::properties::{KafkaProperties, REQUEST_TIMEOUT};

/// What a broker did with a probe transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionSupport {
    /// It committed one.
    Commits,
    /// It refused as not supported (tansu 0.6 has no EndTxn); the broker's words.
    Unsupported(String),
}

fn unsupported(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::UnsupportedFeature
                | RDKafkaErrorCode::UnsupportedVersion
                | RDKafkaErrorCode::UnsupportedForMessageFormat
                | RDKafkaErrorCode::InvalidRequest
        )
    ) || e.to_string().to_lowercase().contains("not support")
}

/// Begins a transaction, writes one record to `topic` and commits it.
///
/// # Errors
/// [`KafkaConnectorError::Client`] when the broker cannot be reached or fails in any way
/// other than "not supported" — that is not an answer to the question.
pub fn probe_transactions(
    properties: &KafkaProperties,
    topic: &str,
) -> Result<TransactionSupport, KafkaConnectorError> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let id = format!("weir-probe-{}-{nanos}", std::process::id());
    let producer: BaseProducer = properties
        .client_config(&[("transactional.id", &id), ("message.timeout.ms", "10000")])
        .create()
        .map_err(KafkaConnectorError::client("create the probe producer"))?;
    let answer = |what: &str, e: KafkaError| {
        if unsupported(&e) {
            Ok(TransactionSupport::Unsupported(format!("{what}: {e}")))
        } else {
            Err(KafkaConnectorError::Client { what: format!("probe transactions: {what}"), source: e })
        }
    };
    if let Err(e) = producer.init_transactions(REQUEST_TIMEOUT) {
        return answer("init_transactions", e);
    }
    if let Err(e) = producer.begin_transaction() {
        return answer("begin_transaction", e);
    }
    if let Err((e, _)) = producer.send(BaseRecord::<(), str>::to(topic).payload("weir transaction probe")) {
        return answer("send", e);
    }
    match producer.commit_transaction(REQUEST_TIMEOUT) {
        Ok(()) => Ok(TransactionSupport::Commits),
        Err(e) => answer("commit_transaction", e),
    }
}
