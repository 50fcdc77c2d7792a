//! Writing raw messages to, and reading them back from, a test broker's topic.

use std::time::Duration;

use weir_connectors::kafka::{KafkaProducerRecord, KafkaProperties, KafkaSink, KafkaSource, StoppingOffsets};
use weir_core::{CheckpointId, StreamRecord};
use weir_runtime::{
    BoxError, ReadStatus, ReaderOutput, Sink, SinkWriter, Source, SourceReader, SplitAssignment, SplitEnumerator,
    SubtaskInfo,
};
use weir_testkit::kafka::KafkaBroker;

/// Writes raw messages (key, value, timestamp, headers), one record per batch.
pub fn produce(broker: &KafkaBroker, topic: &str, messages: Vec<KafkaProducerRecord>) {
    let mut properties = KafkaProperties::new(&broker.bootstrap_servers());
    for (k, v) in weir_testkit::kafka::PRODUCER_SETTINGS {
        properties.set(k, v);
    }
    let sink = KafkaSink::new(
        &broker.bootstrap_servers(),
        topic,
        |r: StreamRecord<KafkaProducerRecord>, out: &mut Vec<KafkaProducerRecord>| -> Result<(), BoxError> {
            out.push(r.value);
            Ok(())
        },
    )
    .with_properties(properties);
    let mut w = sink.create_writer(&SubtaskInfo::single("produce")).unwrap();
    w.write(&mut messages.into_iter().map(StreamRecord::new).collect()).unwrap();
    w.prepare_commit(CheckpointId(1)).unwrap();
}

/// A message with a text key and value.
pub fn message(key: Option<&str>, value: Option<&str>) -> KafkaProducerRecord {
    KafkaProducerRecord {
        key: key.map(|k| k.as_bytes().to_vec()),
        value: value.map(|v| v.as_bytes().to_vec()),
        ..Default::default()
    }
}

/// A message's key and value bytes.
pub type RawMessage = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Every (key, value) on `topic` now, as bytes, in partition then offset order.
pub fn consume_raw(broker: &KafkaBroker, topic: &str) -> Vec<RawMessage> {
    let source = KafkaSource::builder()
        .bootstrap_servers(&broker.bootstrap_servers())
        .topics([topic])
        .bounded(StoppingOffsets::Latest)
        .build(|m: &weir_connectors::kafka::KafkaMessage<'_>| -> Result<_, BoxError> {
            Ok(Some((m.partition, m.offset, m.key.map(<[u8]>::to_vec), m.value.map(<[u8]>::to_vec))))
        })
        .unwrap();
    let mut enumerator = source.create_enumerator(1).unwrap();
    let mut reader = source.create_reader(&SubtaskInfo::single("consume")).unwrap();
    let mut out = ReaderOutput::default();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        assert!(std::time::Instant::now() < deadline, "reading '{topic}' did not end");
        if reader.poll_next(&mut out, 1000).unwrap() == ReadStatus::NeedsSplit {
            match enumerator.next_split(0) {
                SplitAssignment::Split(s) => reader.add_split(s).unwrap(),
                SplitAssignment::NotYet => {}
                SplitAssignment::NoMoreSplits => break,
            }
        }
    }
    let mut all: Vec<_> = out.into_records().into_iter().map(|r| r.value).collect();
    all.sort();
    all.into_iter().map(|(_, _, k, v)| (k, v)).collect()
}

/// Every (key, value) on `topic` now, as text, in partition then offset order.
pub fn consume(broker: &KafkaBroker, topic: &str) -> Vec<(Option<String>, Option<String>)> {
    let text = |b: Option<Vec<u8>>| b.map(|b| String::from_utf8_lossy(&b).to_string());
    consume_raw(broker, topic).into_iter().map(|(k, v)| (text(k), text(v))).collect()
}

/// `CREATE TABLE name (columns)` over `topic`, read from the earliest to the latest offset,
/// in `format`, with `extra` options (each starting with a comma).
pub fn kafka_table(broker: &KafkaBroker, name: &str, columns: &str, topic: &str, format: &str, extra: &str) -> String {
    format!(
        "CREATE TABLE {name} ({columns}) WITH ('connector' = 'kafka', 'topic' = '{topic}',
           'properties.bootstrap.servers' = '{}', 'scan.startup.mode' = 'earliest-offset',
           'scan.bounded.mode' = 'latest-offset', 'format' = '{format}'{extra});",
        broker.bootstrap_servers()
    )
}
