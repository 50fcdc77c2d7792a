//! State time-to-live (Flink's `StateTtlConfig`): entries that were not written (or read)
//! for a while expire.
//!
//! Time is **processing time passed in**: the backend never reads a clock. A handle gets
//! `now` from [`KeyedStateContext::current_processing_time_ms`](crate::KeyedStateContext)
//! and a snapshot that should drop expired entries from [`HeapKeyedStateBackend::snapshot_at`](crate::HeapKeyedStateBackend::snapshot_at).
//!
//! A state with TTL stores [`TtlValue`] (the value plus the time it was last refreshed)
//! instead of the bare value, so its snapshots only restore into a declaration with TTL.
//!
//! Expiry is lazy, as in Flink: an expired entry stays in memory until it is read (and,
//! with [`StateVisibility::NeverReturnExpired`], removed), visited by incremental cleanup,
//! or left out of a full snapshot.
//!
//! TTL applies to value-like states: [`ValueState`](crate::ValueState),
//! [`ReducingState`](crate::ReducingState) and [`AggregatingState`](crate::AggregatingState),
//! one timestamp per key.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// When an entry's last-access time is refreshed (Flink's `StateTtlConfig.UpdateType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateType {
    /// On every write (creation included); reads do not keep an entry alive.
    OnCreateAndWrite,
    /// On every write and every read that returns the value.
    OnReadAndWrite,
}

/// Whether an expired entry that is still stored may be returned
/// (Flink's `StateTtlConfig.StateVisibility`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateVisibility {
    /// An expired entry reads as absent (and is removed on that read).
    NeverReturnExpired,
    /// An expired entry is returned until some cleanup has removed it.
    ReturnExpiredIfNotCleanedUp,
}

/// How long state lives and how it is cleaned up (Flink's `StateTtlConfig`).
///
/// # Example
/// ```
/// use std::time::Duration;
/// use weir_state::{StateTtlConfig, StateVisibility, UpdateType};
/// let ttl = StateTtlConfig::new(Duration::from_secs(60))
///     .update_type(UpdateType::OnReadAndWrite)
///     .visibility(StateVisibility::NeverReturnExpired)
///     .cleanup_full_snapshot()
///     .cleanup_incrementally(10);
/// assert!(ttl.is_expired(0, 60_000));
/// assert!(!ttl.is_expired(0, 59_999));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateTtlConfig {
    ttl_ms: i64,
    update_type: UpdateType,
    visibility: StateVisibility,
    cleanup_full_snapshot: bool,
    cleanup_incremental: usize,
}

impl StateTtlConfig {
    /// Entries live `ttl` after their last refresh; by default refreshed on create and
    /// write, never returned once expired, with no background cleanup.
    pub fn new(ttl: Duration) -> Self {
        StateTtlConfig {
            ttl_ms: i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
            update_type: UpdateType::OnCreateAndWrite,
            visibility: StateVisibility::NeverReturnExpired,
            cleanup_full_snapshot: false,
            cleanup_incremental: 0,
        }
    }

    /// When the last-access time is refreshed.
    pub fn update_type(mut self, update_type: UpdateType) -> Self {
        self.update_type = update_type;
        self
    }

    /// Whether expired entries may be returned.
    pub fn visibility(mut self, visibility: StateVisibility) -> Self {
        self.visibility = visibility;
        self
    }

    /// Leaves expired entries out of snapshots taken with a time
    /// ([`HeapKeyedStateBackend::snapshot_at`](crate::HeapKeyedStateBackend::snapshot_at)).
    pub fn cleanup_full_snapshot(mut self) -> Self {
        self.cleanup_full_snapshot = true;
        self
    }

    /// On every access of the state, checks up to `entries` more entries (of any key,
    /// walking the state round-robin) and removes the expired ones.
    pub fn cleanup_incrementally(mut self, entries: usize) -> Self {
        self.cleanup_incremental = entries;
        self
    }

    /// The time to live in milliseconds.
    pub fn ttl_ms(&self) -> i64 {
        self.ttl_ms
    }

    /// Whether snapshots with a time leave expired entries out.
    pub fn cleans_up_in_full_snapshot(&self) -> bool {
        self.cleanup_full_snapshot
    }

    /// Entries checked per access by incremental cleanup (0: none).
    pub fn incremental_cleanup_entries(&self) -> usize {
        self.cleanup_incremental
    }

    /// Whether an entry last refreshed at `last_access_ms` has expired at `now_ms`
    /// (Flink: `last_access + ttl <= now`).
    pub fn is_expired(&self, last_access_ms: i64, now_ms: i64) -> bool {
        last_access_ms.saturating_add(self.ttl_ms) <= now_ms
    }

    /// What a read at `now_ms` of an entry last refreshed at `last_access_ms` does.
    pub fn on_read(&self, last_access_ms: i64, now_ms: i64) -> ReadDecision {
        match (self.is_expired(last_access_ms, now_ms), self.visibility, self.update_type) {
            (true, StateVisibility::NeverReturnExpired, _) => ReadDecision::RemoveAndHide,
            (true, StateVisibility::ReturnExpiredIfNotCleanedUp, _) => ReadDecision::Return,
            (false, _, UpdateType::OnReadAndWrite) => ReadDecision::ReturnAndRefresh,
            (false, _, UpdateType::OnCreateAndWrite) => ReadDecision::Return,
        }
    }
}

/// What reading a TTL entry does ([`StateTtlConfig::on_read`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadDecision {
    /// Return the value; leave its time alone.
    Return,
    /// Return the value and set its last-access time to now.
    ReturnAndRefresh,
    /// The entry expired: remove it and read as absent.
    RemoveAndHide,
}

/// A stored value of a state with TTL: the value and when it was last refreshed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtlValue<T> {
    /// The user's value.
    pub value: T,
    /// Processing time (epoch ms) of the last refresh.
    pub last_access_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReadDecision::*;
    use StateVisibility::*;
    use UpdateType::*;

    #[test]
    fn read_decisions() {
        // (update type, visibility, last access, now, decision); ttl = 100 ms.
        let cases = [
            (OnCreateAndWrite, NeverReturnExpired, 0, 99, Return),
            (OnCreateAndWrite, NeverReturnExpired, 0, 100, RemoveAndHide),
            (OnCreateAndWrite, ReturnExpiredIfNotCleanedUp, 0, 100, Return),
            (OnReadAndWrite, NeverReturnExpired, 0, 50, ReturnAndRefresh),
            (OnReadAndWrite, NeverReturnExpired, 0, 150, RemoveAndHide),
            (OnReadAndWrite, ReturnExpiredIfNotCleanedUp, 0, 150, Return),
            (OnReadAndWrite, ReturnExpiredIfNotCleanedUp, 10, 109, ReturnAndRefresh),
            (OnCreateAndWrite, NeverReturnExpired, i64::MAX - 5, i64::MAX - 1, Return),
        ];
        for (update, visibility, last, now, expected) in cases {
            let ttl = StateTtlConfig::new(Duration::from_millis(100)).update_type(update).visibility(visibility);
            assert_eq!(ttl.on_read(last, now), expected, "{update:?} {visibility:?} last={last} now={now}");
        }
    }
}
