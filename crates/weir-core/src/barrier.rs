//! The checkpoint barrier: the in-band marker that cuts a stream into "before checkpoint
//! *n*" and "after checkpoint *n*" (Flink's `CheckpointBarrier`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Identifies one checkpoint or savepoint of a job. Ids start at 1 and only grow, also
/// across restarts of the coordinator, so a newer checkpoint always has a larger id.
///
/// ```
/// use weir_core::CheckpointId;
/// assert!(CheckpointId(1) < CheckpointId(2));
/// assert_eq!(CheckpointId(7).to_string(), "chk-7");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CheckpointId(pub u64);

impl CheckpointId {
    /// Stands for "the end of input" where a checkpoint id is expected: what a task
    /// pre-commits when its input ends, to be committed with the job's last checkpoint.
    pub const FINAL: CheckpointId = CheckpointId(u64::MAX);

    /// The id after this one.
    ///
    /// ```
    /// use weir_core::CheckpointId;
    /// assert_eq!(CheckpointId(1).next(), CheckpointId(2));
    /// ```
    pub const fn next(self) -> Self {
        CheckpointId(self.0 + 1)
    }
}

impl fmt::Display for CheckpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chk-{}", self.0)
    }
}

/// Whether a snapshot is a periodic checkpoint or a user-triggered savepoint.
///
/// ```
/// use weir_core::CheckpointKind;
/// assert_ne!(CheckpointKind::Checkpoint, CheckpointKind::Savepoint);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CheckpointKind {
    /// Taken by the coordinator on its interval; the restore point after a failure, owned
    /// (retained and discarded) by Weir.
    Checkpoint,
    /// Taken on the user's request for upgrades, moves and rescaling; owned by the user:
    /// never discarded by Weir, never a failover restore point, commits no side effects.
    Savepoint,
}

/// How tasks with several inputs treat a barrier.
///
/// ```
/// use weir_core::CheckpointMode;
/// assert!(CheckpointMode::AlignedExactlyOnce.is_exactly_once());
/// assert!(CheckpointMode::Unaligned.is_exactly_once());
/// assert!(!CheckpointMode::AtLeastOnce.is_exactly_once());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CheckpointMode {
    /// Inputs that delivered the barrier are held until every input has: the snapshot
    /// reflects exactly the records before the barrier.
    AlignedExactlyOnce,
    /// Inputs are never held; records after the barrier on a fast input may be in the
    /// snapshot and are replayed after a restore, so they count twice.
    AtLeastOnce,
    /// The first barrier triggers the snapshot at once; records still queued before the
    /// barrier on the other inputs are stored with the snapshot (in-flight data), so
    /// checkpoints complete under backpressure.
    Unaligned,
}

impl CheckpointMode {
    /// Whether a restore from this mode's checkpoints sees every record exactly once.
    pub const fn is_exactly_once(self) -> bool {
        !matches!(self, CheckpointMode::AtLeastOnce)
    }
}

/// The marker the coordinator injects at every source and tasks forward downstream.
///
/// ```
/// use weir_core::{CheckpointBarrier, CheckpointId, CheckpointKind, CheckpointMode};
/// let b = CheckpointBarrier::new(CheckpointId(3), 1_000, CheckpointMode::AlignedExactlyOnce);
/// assert_eq!(b.kind, CheckpointKind::Checkpoint);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CheckpointBarrier {
    /// The checkpoint this barrier belongs to.
    pub id: CheckpointId,
    /// When the coordinator triggered the checkpoint, epoch milliseconds.
    pub timestamp_ms: u64,
    /// Checkpoint or savepoint.
    pub kind: CheckpointKind,
    /// How tasks align on this barrier.
    pub mode: CheckpointMode,
    /// Unaligned mode only: above 0, a task aligns on the barrier as in aligned mode, and
    /// switches to unaligned once this many milliseconds have passed since
    /// `timestamp_ms` (Flink's `execution.checkpointing.aligned-checkpoint-timeout`,
    /// which Flink also carries in its barrier). 0: unaligned from the start.
    #[serde(default)]
    pub aligned_timeout_ms: u64,
}

impl CheckpointBarrier {
    /// The barrier of periodic checkpoint `id`.
    pub const fn new(id: CheckpointId, timestamp_ms: u64, mode: CheckpointMode) -> Self {
        CheckpointBarrier { id, timestamp_ms, kind: CheckpointKind::Checkpoint, mode, aligned_timeout_ms: 0 }
    }

    /// The barrier with an alignment timeout (see [`Self::aligned_timeout_ms`]); ignored
    /// unless the mode is unaligned.
    ///
    /// ```
    /// use weir_core::{CheckpointBarrier, CheckpointId, CheckpointMode};
    /// let b = CheckpointBarrier::new(CheckpointId(3), 1_000, CheckpointMode::Unaligned).with_aligned_timeout(50);
    /// assert_eq!(b.alignment_deadline_ms(), Some(1_050));
    /// let b = CheckpointBarrier::new(CheckpointId(3), 1_000, CheckpointMode::AlignedExactlyOnce).with_aligned_timeout(50);
    /// assert_eq!(b.alignment_deadline_ms(), None);
    /// ```
    pub const fn with_aligned_timeout(mut self, aligned_timeout_ms: u64) -> Self {
        self.aligned_timeout_ms = aligned_timeout_ms;
        self
    }

    /// When a task aligning on this unaligned barrier switches to unaligned (epoch
    /// milliseconds); `None` when it never aligns (unaligned from the start, or another mode).
    pub const fn alignment_deadline_ms(&self) -> Option<u64> {
        match self.mode {
            CheckpointMode::Unaligned if self.aligned_timeout_ms > 0 => {
                Some(self.timestamp_ms.saturating_add(self.aligned_timeout_ms))
            }
            _ => None,
        }
    }

    /// The barrier of savepoint `id`. Savepoints are always aligned, whatever the job's
    /// mode, as in Flink: their state must not depend on in-flight data.
    ///
    /// ```
    /// use weir_core::{CheckpointBarrier, CheckpointId, CheckpointMode};
    /// assert_eq!(CheckpointBarrier::savepoint(CheckpointId(1), 0).mode, CheckpointMode::AlignedExactlyOnce);
    /// ```
    pub const fn savepoint(id: CheckpointId, timestamp_ms: u64) -> Self {
        CheckpointBarrier {
            id,
            timestamp_ms,
            kind: CheckpointKind::Savepoint,
            mode: CheckpointMode::AlignedExactlyOnce,
            aligned_timeout_ms: 0,
        }
    }
}
