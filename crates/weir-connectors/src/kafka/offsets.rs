//! Where a Kafka source starts and where a bounded one stops, and how the enumerator turns
//! those into offsets with the broker's help (Flink's `OffsetsInitializer`).

use std::collections::BTreeMap;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use super::error::KafkaConnectorError;
use super::properties::REQUEST_TIMEOUT;

/// Where reading starts (`scan.startup.mode`). Partitions discovered after the start read
/// from their earliest offset, as in Flink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartingOffsets {
    /// The earliest offset still on the broker.
    Earliest,
    /// The end of each partition when the source starts: only new records.
    Latest,
    /// The consumer group's committed offsets; a partition without one starts where `reset`
    /// says (Flink: `properties.auto.offset.reset`, without which such a partition is an error).
    GroupOffsets {
        /// Where a partition without a committed offset starts.
        reset: OffsetReset,
    },
    /// The first record whose timestamp is at or after these epoch milliseconds.
    Timestamp(i64),
    /// These offsets per (topic, partition); other partitions start at the earliest offset.
    Specific(BTreeMap<(String, i32), i64>),
}

/// Where a partition without a committed offset starts (`auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    /// At its earliest offset.
    Earliest,
    /// At its end.
    Latest,
    /// Nowhere: the source fails, naming the partition and the group.
    Fail,
}

/// Where a bounded source stops (`scan.bounded.mode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoppingOffsets {
    /// Never: the source is unbounded.
    Unbounded,
    /// The end of each partition when the source starts (`latest-offset`).
    Latest,
    /// Before the first record at or after these epoch milliseconds.
    Timestamp(i64),
    /// Before these offsets per (topic, partition); other partitions stop at their end when
    /// the source starts.
    Specific(BTreeMap<(String, i32), i64>),
}

/// Reads `topic:partition:offset` lists; also accepts Flink's SQL form
/// `partition:0,offset:42;partition:1,offset:300` for one `topic`.
///
/// ```
/// use weir_connectors::kafka::offsets::parse_specific_offsets;
/// let m = parse_specific_offsets("partition:0,offset:42;partition:1,offset:300", "t").unwrap();
/// assert_eq!(m[&("t".to_string(), 1)], 300);
/// ```
///
/// # Errors
/// [`KafkaConnectorError::Config`] naming the part that is not of that form.
pub fn parse_specific_offsets(text: &str, topic: &str) -> Result<BTreeMap<(String, i32), i64>, KafkaConnectorError> {
    let mut out = BTreeMap::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let mut partition = None;
        let mut offset = None;
        for field in part.split(',') {
            let (k, v) = field.split_once(':').ok_or_else(|| bad_specific(part))?;
            match k.trim() {
                "partition" => partition = Some(v.trim().parse::<i32>().map_err(|_| bad_specific(part))?),
                "offset" => offset = Some(v.trim().parse::<i64>().map_err(|_| bad_specific(part))?),
                _ => return Err(bad_specific(part)),
            }
        }
        match (partition, offset) {
            (Some(p), Some(o)) => out.insert((topic.to_string(), p), o),
            _ => return Err(bad_specific(part)),
        };
    }
    Ok(out)
}

fn bad_specific(part: &str) -> KafkaConnectorError {
    KafkaConnectorError::Config(format!("specific offsets must read 'partition:<n>,offset:<n>;…', got '{part}'"))
}

/// The earliest and end offsets of a partition, as the broker reports them.
pub(crate) fn watermarks(
    consumer: &BaseConsumer,
    topic: &str,
    partition: i32,
) -> Result<(i64, i64), KafkaConnectorError> {
    consumer
        .fetch_watermarks(topic, partition, REQUEST_TIMEOUT)
        .map_err(KafkaConnectorError::client(format!("fetch the offsets of {topic}-{partition}")))
}

/// The offset after the last record of a partition now.
///
/// The broker's end offset (high watermark) is checked by reading from the record before it
/// to the partition's end: some brokers (tansu 0.6) report the base offset of the last record
/// *batch* plus one, which would cut a bounded read short in the middle of that batch. On a
/// broker that reports the end right this reads one record. `consumer` must have
/// `enable.partition.eof` set; its assignment is replaced.
pub(crate) fn end_offset(consumer: &BaseConsumer, topic: &str, partition: i32) -> Result<i64, KafkaConnectorError> {
    let (low, high) = watermarks(consumer, topic, partition)?;
    if high <= low {
        return Ok(high);
    }
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Offset(high - 1))
        .map_err(KafkaConnectorError::client("build a partition list"))?;
    consumer.assign(&tpl).map_err(KafkaConnectorError::client(format!("assign {topic}-{partition}")))?;
    let deadline = std::time::Instant::now() + REQUEST_TIMEOUT;
    let mut end = high;
    while std::time::Instant::now() < deadline {
        match consumer.poll(std::time::Duration::from_millis(50)) {
            Some(Ok(m)) if m.topic() == topic && m.partition() == partition => end = end.max(m.offset() + 1),
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) if p == partition => break,
            Some(Err(e)) => {
                return Err(KafkaConnectorError::Client {
                    what: format!("read the end of {topic}-{partition}"),
                    source: e,
                })
            }
            _ => {}
        }
    }
    consumer.unassign().map_err(KafkaConnectorError::client(format!("unassign {topic}-{partition}")))?;
    Ok(end)
}

/// The offset of the first record at or after `timestamp` in each partition (the end of
/// the partition when there is none).
fn offsets_for_time(
    consumer: &BaseConsumer,
    partitions: &[(String, i32)],
    timestamp: i64,
) -> Result<Vec<i64>, KafkaConnectorError> {
    let mut tpl = TopicPartitionList::new();
    for (t, p) in partitions {
        tpl.add_partition_offset(t, *p, Offset::Offset(timestamp))
            .map_err(KafkaConnectorError::client("build a partition list"))?;
    }
    let found = consumer
        .offsets_for_times(tpl, REQUEST_TIMEOUT)
        .map_err(KafkaConnectorError::client(format!("look up the offsets at time {timestamp}")))?;
    partitions
        .iter()
        .map(|(t, p)| match found.find_partition(t, *p).map(|e| e.offset()) {
            Some(Offset::Offset(o)) if o >= 0 => Ok(o),
            _ => end_offset(consumer, t, *p),
        })
        .collect()
}

impl StartingOffsets {
    /// The first offset to read in each of `partitions` (in order).
    pub(crate) fn resolve(
        &self,
        consumer: &BaseConsumer,
        partitions: &[(String, i32)],
    ) -> Result<Vec<i64>, KafkaConnectorError> {
        match self {
            StartingOffsets::Earliest => partitions.iter().map(|(t, p)| Ok(watermarks(consumer, t, *p)?.0)).collect(),
            StartingOffsets::Latest => partitions.iter().map(|(t, p)| end_offset(consumer, t, *p)).collect(),
            StartingOffsets::Timestamp(ts) => offsets_for_time(consumer, partitions, *ts),
            StartingOffsets::Specific(map) => partitions
                .iter()
                .map(|(t, p)| match map.get(&(t.clone(), *p)) {
                    Some(o) => Ok(*o),
                    None => Ok(watermarks(consumer, t, *p)?.0),
                })
                .collect(),
            StartingOffsets::GroupOffsets { reset } => {
                let mut tpl = TopicPartitionList::new();
                for (t, p) in partitions {
                    tpl.add_partition(t, *p);
                }
                let committed = consumer
                    .committed_offsets(tpl, REQUEST_TIMEOUT)
                    .map_err(KafkaConnectorError::client("fetch the consumer group's committed offsets"))?;
                partitions
                    .iter()
                    .map(|(t, p)| match committed.find_partition(t, *p).map(|e| e.offset()) {
                        Some(Offset::Offset(o)) if o >= 0 => Ok(o),
                        _ => match reset {
                            OffsetReset::Latest => end_offset(consumer, t, *p),
                            OffsetReset::Earliest => Ok(watermarks(consumer, t, *p)?.0),
                            OffsetReset::Fail => Err(KafkaConnectorError::Config(format!(
                                "partition {t}-{p} has no committed offset in the consumer group and no \
                                 reset strategy is set ('properties.auto.offset.reset' = 'earliest' or 'latest')"
                            ))),
                        },
                    })
                    .collect()
            }
        }
    }
}

impl StoppingOffsets {
    /// The offset to stop before in each of `partitions` (`None` when unbounded).
    pub(crate) fn resolve(
        &self,
        consumer: &BaseConsumer,
        partitions: &[(String, i32)],
    ) -> Result<Vec<Option<i64>>, KafkaConnectorError> {
        match self {
            StoppingOffsets::Unbounded => Ok(vec![None; partitions.len()]),
            StoppingOffsets::Latest => partitions.iter().map(|(t, p)| Ok(Some(end_offset(consumer, t, *p)?))).collect(),
            StoppingOffsets::Timestamp(ts) => {
                Ok(offsets_for_time(consumer, partitions, *ts)?.into_iter().map(Some).collect())
            }
            StoppingOffsets::Specific(map) => partitions
                .iter()
                .map(|(t, p)| match map.get(&(t.clone(), *p)) {
                    Some(o) => Ok(Some(*o)),
                    None => Ok(Some(end_offset(consumer, t, *p)?)),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specific_offsets_parse_and_bad_ones_name_the_part() {
        let m = parse_specific_offsets("partition:0,offset:42; partition:1,offset:300;", "t").unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[&("t".to_string(), 0)], 42);
        for bad in ["partition:0", "partition:x,offset:1", "offset:1,part:0", "0:1"] {
            let e = parse_specific_offsets(bad, "t").unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }
}
