//! Processing time, injected: [`SystemClock`] in production, [`ManualClock`] in tests,
//! so processing-time logic (timers, windows, watermark intervals) is tested without
//! sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Where tasks read processing time from.
///
/// # Contract
/// `now_ms` never goes backwards. `max_wait` says how long a task may block before it
/// must look at the clock again to fire a timer due at `deadline_ms`.
///
/// # Concurrency
/// Shared by all tasks of a job.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> i64;

    /// How long to block at most before a timer due at `deadline_ms` fires.
    fn max_wait(&self, deadline_ms: i64) -> Duration;
}

/// The machine's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    }

    fn max_wait(&self, deadline_ms: i64) -> Duration {
        Duration::from_millis(deadline_ms.saturating_sub(self.now_ms()).max(0) as u64)
    }
}

/// A clock that moves only when told to: tests set processing time by hand.
///
/// ```
/// use weir_runtime::clock::{Clock, ManualClock};
/// let clock = ManualClock::new(1_000);
/// clock.advance(500);
/// assert_eq!(clock.now_ms(), 1_500);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock showing `start_ms`.
    pub fn new(start_ms: i64) -> Self {
        ManualClock { now: Arc::new(AtomicI64::new(start_ms)) }
    }

    /// Moves time forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.now.fetch_add(ms.max(0), Ordering::SeqCst);
    }

    /// Sets the time (ignored if it would go backwards).
    pub fn set(&self, ms: i64) {
        self.now.fetch_max(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }

    /// Time moves from another thread: look again soon.
    fn max_wait(&self, _deadline_ms: i64) -> Duration {
        Duration::from_millis(1)
    }
}
