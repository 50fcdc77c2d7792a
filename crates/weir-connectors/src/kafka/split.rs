//! [`KafkaPartitionSplit`]: one topic-partition with the offset to read next.

use serde::{Deserialize, Serialize};

/// A topic-partition and the reader's position in it: the unit of work and of recovery.
///
/// `next_offset` is the offset of the next record to hand out (a reader given this split
/// back continues there); `stop_offset`, when bounded, is the first offset *not* to read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KafkaPartitionSplit {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The next offset to read.
    pub next_offset: i64,
    /// Stop before this offset (bounded reads), or never.
    pub stop_offset: Option<i64>,
}

impl KafkaPartitionSplit {
    /// `topic-partition`, as Kafka names partitions in logs.
    pub fn id(&self) -> String {
        format!("{}-{}", self.topic, self.partition)
    }

    /// Whether everything this split should read has been read.
    pub fn is_finished(&self) -> bool {
        self.stop_offset.is_some_and(|stop| self.next_offset >= stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_only_when_bounded_and_reached() {
        let mut s = KafkaPartitionSplit { topic: "t".into(), partition: 3, next_offset: 5, stop_offset: None };
        assert_eq!(s.id(), "t-3");
        assert!(!s.is_finished());
        s.stop_offset = Some(6);
        assert!(!s.is_finished());
        s.next_offset = 6;
        assert!(s.is_finished());
    }
}
