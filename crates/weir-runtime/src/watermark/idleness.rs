//! Detecting an idle input: one that produced no record for a given processing time.

/// Flink's idleness timer: an input is idle once a whole `timeout` of processing time
/// passed without activity, checked at each periodic emit.
#[derive(Debug, Clone)]
pub struct IdlenessTimer {
    timeout_ms: i64,
    activity: u64,
    last_seen_activity: u64,
    quiet_since: Option<i64>,
}

impl IdlenessTimer {
    /// Idle after `timeout_ms` without activity.
    pub fn new(timeout_ms: i64) -> Self {
        IdlenessTimer { timeout_ms, activity: 0, last_seen_activity: 0, quiet_since: None }
    }

    /// Records arrived.
    #[inline]
    pub fn activity(&mut self) {
        self.activity += 1;
    }

    /// Whether the input is idle at `now_ms`.
    pub fn check_if_idle(&mut self, now_ms: i64) -> bool {
        if self.activity != self.last_seen_activity {
            self.last_seen_activity = self.activity;
            self.quiet_since = None;
            return false;
        }
        match self.quiet_since {
            None => {
                self.quiet_since = Some(now_ms);
                false
            }
            Some(since) => now_ms - since >= self.timeout_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_after_a_quiet_timeout_active_again_on_records() {
        let mut t = IdlenessTimer::new(100);
        assert!(!t.check_if_idle(0));
        assert!(!t.check_if_idle(50));
        assert!(t.check_if_idle(100));
        t.activity();
        assert!(!t.check_if_idle(150)); // activity seen: not idle, quiet period restarts
        assert!(!t.check_if_idle(200)); // the quiet period starts at the first quiet check
        assert!(!t.check_if_idle(250));
        assert!(t.check_if_idle(300));
    }
}
