//! [`Pacer`]: holds a source to a wall-clock rate without spinning.
//!
//! A paced reader asks [`Pacer::allowance`] how many records are due; when none is, it
//! calls [`Pacer::pause`] (a sleep of at most a millisecond, until the next record is
//! due) and reports `ReadStatus::NothingAvailable`, so the task stays responsive to
//! checkpoints and cancellation while mostly asleep.

use std::time::{Duration, Instant};

/// Longest single pause: keeps the task thread responsive.
const MAX_PAUSE: Duration = Duration::from_millis(1);

/// Paces emission at a fixed number of records per wall-clock second, measured from the
/// first call to [`allowance`](Pacer::allowance).
///
/// ```
/// use weir_connectors::pacer::Pacer;
/// let mut pacer = Pacer::new(1_000.0);
/// assert_eq!(pacer.allowance(), 1); // the first record is due at once
/// pacer.record(1);
/// ```
#[derive(Debug, Clone)]
pub struct Pacer {
    per_second: f64,
    start: Option<Instant>,
    emitted: u64,
}

impl Pacer {
    /// A pacer for `per_second` records per second (must be positive).
    pub fn new(per_second: f64) -> Self {
        Pacer { per_second, start: None, emitted: 0 }
    }

    /// How many more records are due now (0 when ahead of schedule).
    pub fn allowance(&mut self) -> u64 {
        let start = *self.start.get_or_insert_with(Instant::now);
        // Record k (from 0) is due at k / per_second seconds.
        let due = (start.elapsed().as_secs_f64() * self.per_second) as u64 + 1;
        due.saturating_sub(self.emitted)
    }

    /// Counts `n` records as emitted.
    pub fn record(&mut self, n: u64) {
        self.emitted += n;
    }

    /// Sleeps until the next record is due, but at most a millisecond.
    pub fn pause(&self) {
        let Some(start) = self.start else { return };
        let due_at = start + Duration::from_secs_f64(self.emitted as f64 / self.per_second);
        let wait = due_at.saturating_duration_since(Instant::now()).min(MAX_PAUSE);
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_the_rate() {
        let mut pacer = Pacer::new(2_000.0);
        let start = Instant::now();
        let mut emitted = 0;
        while emitted < 200 {
            let n = pacer.allowance().min(7);
            if n == 0 {
                pacer.pause();
                continue;
            }
            pacer.record(n);
            emitted += n;
        }
        // 200 records at 2,000/s: the 200th is due after 99.5 ms.
        assert!(start.elapsed() >= Duration::from_millis(99), "{:?}", start.elapsed());
    }

    #[test]
    fn pause_before_start_returns_at_once() {
        Pacer::new(1.0).pause();
    }
}
