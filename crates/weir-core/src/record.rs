//! A record as it travels through a job: the user's value plus its event-time timestamp.

/// The timestamp a record carries when no timestamp was assigned (Flink's "no timestamp").
pub const NO_TIMESTAMP: i64 = i64::MIN;

/// One user value and its event-time timestamp in milliseconds since the epoch.
///
/// Records move through operator chains in `Vec<StreamRecord<T>>` batches. The timestamp
/// is [`NO_TIMESTAMP`] until a timestamp assigner sets one; operators that transform a
/// value (map, filter, flat_map) keep the input's timestamp, as Flink does.
///
/// ```
/// use weir_core::StreamRecord;
/// let r = StreamRecord::with_timestamp("bid", 1_000);
/// assert_eq!(r.timestamp(), Some(1_000));
/// assert_eq!(StreamRecord::new(7).timestamp(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamRecord<T> {
    /// The user's value.
    pub value: T,
    /// Event time in epoch milliseconds, or [`NO_TIMESTAMP`].
    pub timestamp: i64,
}

impl<T> StreamRecord<T> {
    /// A record without a timestamp.
    #[inline]
    pub fn new(value: T) -> Self {
        StreamRecord { value, timestamp: NO_TIMESTAMP }
    }

    /// A record with an event-time timestamp (epoch milliseconds).
    #[inline]
    pub fn with_timestamp(value: T, timestamp: i64) -> Self {
        StreamRecord { value, timestamp }
    }

    /// The event-time timestamp, if one was assigned.
    #[inline]
    pub fn timestamp(&self) -> Option<i64> {
        (self.timestamp != NO_TIMESTAMP).then_some(self.timestamp)
    }

    /// Replaces the value, keeping the timestamp.
    #[inline]
    pub fn replace<U>(self, value: U) -> StreamRecord<U> {
        StreamRecord { value, timestamp: self.timestamp }
    }
}
