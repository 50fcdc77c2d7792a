//! Event-time progress markers.

use std::fmt;

/// A watermark: the assertion that no more records with a timestamp at or below
/// `timestamp` will arrive on this stream (Flink's `Watermark`).
///
/// Watermarks are monotonic per channel. A task's watermark is the minimum over its
/// input channels; end of input is announced with [`Watermark::MAX`] so that every
/// pending event-time timer fires.
///
/// ```
/// use weir_core::Watermark;
/// assert!(Watermark::MIN < Watermark::new(0));
/// assert!(Watermark::new(0) < Watermark::MAX);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Watermark(pub i64);

impl Watermark {
    /// Before any event time: nothing is known yet.
    pub const MIN: Watermark = Watermark(i64::MIN);
    /// The end of event time: emitted when a bounded input ends.
    pub const MAX: Watermark = Watermark(i64::MAX);

    /// A watermark at `timestamp` epoch milliseconds.
    pub const fn new(timestamp: i64) -> Self {
        Watermark(timestamp)
    }

    /// The timestamp in epoch milliseconds.
    pub const fn timestamp(self) -> i64 {
        self.0
    }
}

/// Whether an input currently drives event time (Flink's `WatermarkStatus`). An idle
/// input (no records for a while) is left out when a task takes the minimum watermark
/// over its inputs, so it does not hold event time back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatermarkStatus {
    /// The input produces records and watermarks.
    Active,
    /// The input produces nothing for now.
    Idle,
}

impl fmt::Display for Watermark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Watermark::MIN => write!(f, "Watermark(MIN)"),
            Watermark::MAX => write!(f, "Watermark(MAX)"),
            Watermark(t) => write!(f, "Watermark({t})"),
        }
    }
}
